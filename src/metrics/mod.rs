//! Metrics: SQL in `queries/metrics/` run by the store, statistics in Rust.
//!
//! One module per metric family ([`points`], [`velocity`], [`spread`], [`accuracy`],
//! [`forecast`], [`splits`]) over shared [`stats`]; [`team`] chains them so that each is
//! computed once per call; [`leadership`] reads velocity across teams for the dashboard.

pub mod accuracy;
pub mod backtest;
pub mod done;
pub mod drift;
pub mod flow;
pub mod forecast;
pub mod frame;
pub mod history;
pub mod leadership;
pub mod outcome;
pub mod par;
pub mod points;
pub mod reference;
pub mod release;
pub mod rng;
pub mod splits;
pub mod spread;
pub mod stats;
pub mod team;
pub mod velocity;
