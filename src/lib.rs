//! sprintlens: Planning Poker analytics and Sprint Review reports.
//!
//! The pipeline, one stage per module; each stage knows only the stages below it:
//!
//! ```text
//! files (CSV, NDJSON; Jira / Azure DevOps / Linear exports)
//!   -> ingest    read, type and check every file; canonical frames       (ingest/)
//!   -> store     one DuckDB file, one transaction per ingest, migrations   (store/)
//!   -> metrics   SQL in queries/ -> Polars -> statistics; the chain        (metrics/)
//!   -> present   tables, JSON, CSV, Markdown, page models, SVG charts      (present/)
//!   -> room      the estimation room: Planning Poker played here, every round kept (room/)
//!   -> faces     the server and static site (web/), the commands (commands/) and the
//!                command line (cli/)
//! ```
//!
//! Under all of them: [`domain`] (cards, decks, the canonical schema, typed undefined values),
//! [`settings`] (`sprintlens.toml`) and [`error`]. Beside them: [`devtools`] (the generator and
//! the benches), which the stages never import.

pub mod cli;
pub mod commands;
pub mod devtools;
pub mod domain;
pub mod error;
pub mod ingest;
pub mod metrics;
pub mod present;
pub mod room;
pub mod settings;
pub mod store;
pub mod sync;
pub mod web;
