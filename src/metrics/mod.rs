//! Metrics: SQL in `queries/metrics/` run by the store, statistics in Rust.

pub mod accuracy;
pub mod frame;
pub mod points;
pub mod splits;
pub mod spread;
pub mod stats;
pub mod velocity;
