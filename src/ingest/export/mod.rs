//! Importers for tool exports: Jira (Cloud and Server/Data Center), Azure DevOps Boards and
//! Linear CSV exports, the poker tools' own data (Parabol, Thunderdome, Poinz, wide sheets),
//! and any CSV through a column mapping (`--map`). Each turns the export
//! into canonical rows (stories, sprints, sprint items) carrying the export's own line numbers,
//! which then pass the same checks and the same single write as native files.
//!
//! An export holds today's state, not the sprint's start. What each importer derives and what
//! it leaves unknown is written in its module and in the README ("Importing exports"); unknown
//! values stay NULL in the store. One module per tool ([`jira`], [`azure`], [`linear`]), each a
//! [`canon::Tool`]; [`source`] picks the tool and runs it; [`mapped`] is `--map`.

pub mod azure;
pub mod canon;
pub mod jira;
pub mod linear;
pub mod mapped;
pub mod parabol;
pub mod poinz;
pub mod records;
pub mod source;
pub mod thunderdome;
pub mod wide;

pub use canon::{Context, ImportOptions, Source};
pub use mapped::{mapped, parse_map};
pub use records::read_records;
pub use source::{detect, import};
