//! Metrics: SQL in `queries/metrics/` run by the store, statistics in Rust.

pub mod points;
pub mod stats;
