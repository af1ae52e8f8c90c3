//! Settings, resolved once: flag > `SPRINTLENS_*` environment variable > default.
//! No module below the CLI sees clap; they see this.

use crate::generate::GenParams;
use crate::ingest::IngestRequest;
use crate::render::Format;
use std::path::PathBuf;

/// The database used when neither `--db` nor `SPRINTLENS_DB` names one.
pub const DEFAULT_DB: &str = "sprintlens.duckdb";
/// The demo's own database, made anew by every `sprintlens demo`.
pub const DEMO_DB: &str = "sprintlens-demo.duckdb";

#[derive(Debug, Clone)]
pub struct Config {
    pub db: PathBuf,
    pub format: Format,
    pub command: Command,
}

#[derive(Debug, Clone)]
pub enum Command {
    Ingest(IngestRequest),
    Generate {
        params: GenParams,
        out: PathBuf,
    },
    Info {
        ingests: usize,
    },
    Demo {
        data: PathBuf,
    },
    BenchIngest(BenchIngest),
    Points(Scope, crate::metrics::points::GroupBy),
    Velocity(VelocityArgs),
    Spread(SpreadArgs),
    Forecast(ForecastArgs),
    Accuracy {
        scope: Scope,
        sprint: Option<String>,
        since: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Clone)]
pub struct ForecastArgs {
    pub scope: Scope,
    pub sprints: usize,
    pub points: Option<f64>,
    pub trials: usize,
    pub seed: u64,
    pub history: usize,
    pub as_of: chrono::NaiveDate,
}

#[derive(Debug, Clone)]
pub struct SpreadArgs {
    pub scope: Scope,
    pub sprint: Option<String>,
    pub since: Option<chrono::NaiveDate>,
    pub show_names: bool,
    /// Show every round, not only the stories and voters.
    pub rounds: bool,
}

#[derive(Debug, Clone)]
pub struct VelocityArgs {
    pub scope: Scope,
    pub sprint: Option<String>,
    pub since: Option<chrono::NaiveDate>,
    pub window: usize,
    pub as_of: chrono::NaiveDate,
    pub group_by: crate::metrics::points::GroupBy,
}

/// Which teams a report covers.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub team: Option<String>,
    pub program: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BenchIngest {
    pub params: GenParams,
    /// Where the generated data and databases go; a fresh temporary folder when `None`.
    pub dir: Option<PathBuf>,
    pub keep: bool,
}
