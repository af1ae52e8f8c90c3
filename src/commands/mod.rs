//! The commands: one function per subcommand, over the library's stages. `run` is the one
//! match; the CLI ([`crate::cli`]) builds the [`Config`] it runs.

pub mod data;
pub mod devtools;
pub mod export;
pub mod handoff;
pub mod metrics;
pub mod report;
pub mod token;

use crate::error::{Error, Result};
use crate::present::table::{Format, Json};
use crate::settings::Settings;
use std::io::Write;
use std::path::PathBuf;

/// The database used when neither `--db` nor `SPRINTLENS_DB` names one.
pub const DEFAULT_DB: &str = "sprintlens.duckdb";
/// The demo's own database, made anew by every `sprintlens demo`.
pub const DEMO_DB: &str = "sprintlens-demo.duckdb";

/// Everything one run needs, resolved once from flags, environment and defaults.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: PathBuf,
    /// `--config` / `SPRINTLENS_CONFIG`; else `sprintlens.toml` next to the database.
    pub settings_path: Option<PathBuf>,
    pub format: Format,
    /// How JSON is written: compact, or indented on a terminal and with `--pretty`.
    pub json: Json,
    pub command: Command,
}

impl Config {
    /// The settings of this run (read by the commands that use them).
    pub fn settings(&self) -> Result<Settings> {
        Settings::load(self.settings_path.as_deref(), &self.db)
    }
}

#[derive(Debug, Clone)]
pub enum Command {
    Ingest(Box<data::IngestArgs>),
    Demo(data::DemoArgs),
    Info { ingests: usize },
    Sync(data::SyncArgs),
    Serve(report::ServeArgs),
    Token(token::TokenArgs),
    Points(metrics::PointsArgs),
    Velocity(metrics::VelocityArgs),
    Spread(metrics::SpreadArgs),
    Forecast(metrics::ForecastArgs),
    Accuracy(metrics::AccuracyArgs),
    Splits(metrics::SplitsArgs),
    Reference(metrics::ReferenceArgs),
    Report(metrics::ReportArgs),
    Export(export::ExportArgs),
    Room(metrics::RoomArgs),
    Generate(devtools::GenerateArgs),
    Bench(devtools::BenchArgs),
}

/// Runs one command; what it prints goes to `out`.
pub fn run(config: Config, out: &mut dyn Write) -> Result<()> {
    let c = &config;
    let done = match &config.command {
        Command::Ingest(a) => data::ingest(c, a, out),
        Command::Demo(a) => data::demo(c, a, out),
        Command::Info { ingests } => report::info(c, *ingests, out),
        Command::Sync(a) => data::sync(c, a, out),
        Command::Serve(a) => report::serve(c, a, out),
        Command::Token(a) => token::token(c, a, out),
        Command::Points(a) => metrics::points(c, a, out),
        Command::Velocity(a) => metrics::velocity(c, a, out),
        Command::Spread(a) => metrics::spread(c, a, out),
        Command::Forecast(a) => metrics::forecast(c, a, out),
        Command::Accuracy(a) => metrics::accuracy(c, a, out),
        Command::Splits(a) => metrics::splits(c, a, out),
        Command::Reference(a) => metrics::reference(c, a, out),
        Command::Report(a) => metrics::report(c, a, out),
        Command::Export(a) => export::export(c, a, out),
        Command::Room(a) => metrics::room(c, a, out),
        Command::Generate(a) => devtools::generate(a, out),
        Command::Bench(a) => devtools::bench(c, a, out),
    };
    done.map_err(handoff::served_elsewhere)
}

/// Writes a command's output.
pub fn write(out: &mut dyn Write, s: &str) -> Result<()> {
    out.write_all(s.as_bytes())
        .map_err(Error::io("<stdout>", "cannot write the output"))
}
