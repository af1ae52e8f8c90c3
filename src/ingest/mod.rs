//! Ingest: files in, canonical frames out, validated, then one transaction into the store.
//!
//! The steps, each in its own module:
//! [`files`] (which files, their bytes and kind) -> [`read`] (text cells with line numbers,
//! structure and encoding checked) -> [`typing`] (values typed by the schema) -> [`frames`]
//! (per-kind checks, one canonical frame per file; [`decks`], [`keys`]) -> [`rules`] (across
//! rows, files and the stored data) -> the store.
//! Tool exports go through [`export`] first and join at the typing step.
//! [`pipeline::ingest`] is the one call that runs them.

pub mod decks;
pub mod export;
pub mod files;
pub mod flags;
pub mod frames;
pub mod keys;
pub mod pipeline;
pub mod progress;
pub mod read;
pub mod rounds;
pub mod rules;
pub mod typing;
pub mod values;

pub use pipeline::{
    FileOutcome, IngestJob, IngestOutcome, IngestRequest, Inline, ingest, ingest_known,
};
