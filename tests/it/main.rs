//! The integration tests, one binary with a module per area: the CLI on the real binary, ingest
//! and its errors, importers, metrics against the published tables, query and page snapshots,
//! HTTP on a random port, the browser check, and the architecture rules.

mod architecture;
mod browser;
mod cli;
mod common;
mod events;
mod export;
mod golden;
mod import;
mod ingest;
mod ingest_errors;
mod integrity;
mod jira;
mod metrics;
mod migration;
mod queries;
mod room;
mod service;
mod web;
