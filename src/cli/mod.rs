//! The command line: clap parses flags once, each into its type (formats, kinds, tools,
//! group-by, dates, column maps), and [`Cli::into_config`] builds the one
//! [`Config`](crate::commands::Config) the commands run. Nothing below this imports clap.

mod values;

use crate::commands::data::{DemoArgs, IngestArgs as IngestCommand};
use crate::commands::devtools::{BenchArgs as BenchCommand, GenerateArgs as GenerateCommand};
use crate::commands::metrics::ReportArgs as ReportCommand;
use crate::commands::metrics::{
    AccuracyArgs, ForecastArgs, PointsArgs, ReferenceArgs, SplitsArgs, SpreadArgs, VelocityArgs,
};
use crate::commands::{Command, Config, DEFAULT_DB, DEMO_DB};
use crate::devtools::bench::BenchSpec;
use crate::devtools::generate::GenParams;
use crate::devtools::roombench::RoomBenchSpec;
use crate::domain::{Kind, Scope};
use crate::error::{Error, Result};
use crate::ingest::export::{ImportOptions, Source};
use crate::ingest::read::Encoding;
use crate::metrics::backtest::BacktestParams;
use crate::metrics::forecast::{
    DEFAULT_HISTORY, DEFAULT_SEED, DEFAULT_TRIALS, MAX_HISTORY, MAX_SPRINTS, MAX_TARGET,
    MAX_TRIALS, MIN_HISTORY,
};
use crate::metrics::points::GroupBy;
use crate::metrics::team::{ForecastParams, StoryFilter};
use crate::present::table::{Format, Json};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use values::FieldMap;

#[derive(Parser, Debug)]
#[command(
    name = "sprintlens",
    version,
    about = "Planning Poker analytics and Sprint Review reports: every vote, joined to what the sprint delivered"
)]
pub struct Cli {
    /// The DuckDB file to use [default: ./sprintlens.duckdb]
    #[arg(long, global = true, env = "SPRINTLENS_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Settings file [default: sprintlens.toml next to the database]
    #[arg(long, global = true, env = "SPRINTLENS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Output format: table, json, csv or markdown
    #[arg(long, global = true, env = "SPRINTLENS_FORMAT", value_name = "FORMAT", value_parser = values::format)]
    pub format: Option<Format>,

    /// Indent JSON (the default on a terminal; piped JSON is compact)
    #[arg(long, global = true)]
    pub pretty: bool,

    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Load CSV or NDJSON files (or folders of them) into the database, all or nothing
    Ingest(IngestArgs),
    /// Write a realistic, seeded data set in the native formats
    Generate(GenerateArgs),
    /// Show what the database holds
    Info(InfoCli),
    /// Fetch sprint history from a tracker's API into the database: sprints with their dates,
    /// every add, removal, re-estimate and status change ([sync.jira] in sprintlens.toml;
    /// credentials from SPRINTLENS_JIRA_EMAIL / SPRINTLENS_JIRA_TOKEN or that file)
    #[command(subcommand)]
    Sync(SyncCmd),
    /// Load the bundled sample data into a fresh demo database and serve the report pages
    Demo(DemoCli),
    /// Point distribution of the stories' final estimates, per team or program
    Points(PointsCli),
    /// Velocity per team and sprint, rolling averages, predictability, trend, and the
    /// distribution of completed - committed
    Velocity(VelocityCli),
    /// Estimate spread and consensus per story and round, convergence, voter calibration
    Spread(SpreadCli),
    /// Forecast: points in the next N sprints, and when X points will be done (exact, from the
    /// last closed sprints); --backtest shows how such forecasts fared
    Forecast(ForecastCli),
    /// Estimation accuracy: cycle time per point value, rank correlations, hours-based errors,
    /// re-estimation
    Accuracy(AccuracyCli),
    /// Stories to split before the next planning, ranked by the signals that fire
    Splits(SplitsCli),
    /// Reference stories per card: up to three recent done stories that show what each card
    /// means in the team (quick consensus, cycle time nearest the card's median)
    Reference(ReferenceCli),
    /// Serve the report pages (Sprint Review, team, split candidates, dashboard; JSON under /api)
    /// as a team service: data over HTTP, tokens, live refresh ([server] in sprintlens.toml)
    Serve(ServeArgs),
    /// Access tokens of the server: add (prints the secret once), list, revoke
    #[command(subcommand)]
    Token(TokenCmd),
    /// Poker tools that sign their round events (POST /api/v1/rounds): add (prints the
    /// secret once), list, remove
    #[command(subcommand)]
    Source(SourceCmd),
    /// A team's report pages as static HTML (--out DIR), or a Sprint Review summary
    /// (--format markdown|json) to paste into a wiki or chat
    Report(ReportCli),
    /// Write the data and figures as Parquet files partitioned by team, for a warehouse
    Export(ExportCli),
    /// Estimation rooms' sessions: list them, or export one's estimates (CSV: key,estimate for
    /// a tracker's bulk edit; Markdown for a wiki; JSON: the session's summary)
    #[command(subcommand)]
    Room(RoomCmd),
    /// Measure speed and memory
    #[command(subcommand)]
    Bench(BenchCmd),
}

#[derive(Args, Debug)]
pub struct PointsCli {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Summarise per team or per program
    #[arg(long, default_value = "team", value_parser = values::group_by)]
    pub by: GroupBy,
    /// Only the stories of this sprint
    #[arg(long)]
    pub sprint: Option<String>,
    /// Only stories created on or after this day (YYYY-MM-DD)
    #[arg(long, value_parser = values::day)]
    pub since: Option<NaiveDate>,
}

#[derive(Args, Debug)]
pub struct VelocityCli {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Only this sprint's row (rolling values still use the sprints before it)
    #[arg(long)]
    pub sprint: Option<String>,
    /// Only sprints starting on or after this day (YYYY-MM-DD)
    #[arg(long, value_parser = values::day)]
    pub since: Option<NaiveDate>,
    /// How many closed sprints the rolling values cover [default: the settings' window, 3]
    #[arg(long, value_parser = values::window)]
    pub window: Option<usize>,
    /// The day that decides which sprints are closed (default: today)
    #[arg(long, value_parser = values::day)]
    pub as_of: Option<NaiveDate>,
    /// Difference distribution per team or per program
    #[arg(long, default_value = "team", value_parser = values::group_by)]
    pub by: GroupBy,
}

#[derive(Args, Debug)]
pub struct SpreadCli {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Only the stories of this sprint
    #[arg(long)]
    pub sprint: Option<String>,
    /// Only votes cast on or after this day (YYYY-MM-DD)
    #[arg(long, value_parser = values::day)]
    pub since: Option<NaiveDate>,
    /// Show voters' names instead of "voter 1", "voter 2", ...
    #[arg(long)]
    pub show_names: bool,
    /// List every round in the table output
    #[arg(long)]
    pub rounds: bool,
}

#[derive(Args, Debug)]
pub struct ForecastCli {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// How many sprints ahead for "how much"
    #[arg(long, default_value_t = 6)]
    pub sprints: usize,
    /// "When will this many points be done" [default: the team's remaining backlog]
    #[arg(long, allow_negative_numbers = true)]
    pub points: Option<f64>,
    /// No effect since the levels are exact (accepted so that scripts keep running)
    #[arg(long, default_value_t = DEFAULT_TRIALS)]
    pub trials: usize,
    /// No effect since the levels are exact (accepted so that scripts keep running)
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Draw from the last this many closed sprints
    #[arg(long, default_value_t = DEFAULT_HISTORY)]
    pub history: usize,
    /// Draw from empty sprints too (nothing committed and nothing completed; left out by default)
    #[arg(long)]
    pub keep_empty: bool,
    /// How the forecasts fared: for every closed sprint with enough history before it, the
    /// forecast made at its start against what was then completed (next sprint and next
    /// --sprints sprints, every level)
    #[arg(long)]
    pub backtest: bool,
    /// With --backtest: the fewest closed sprints before a sprint for it to be forecast
    #[arg(long, default_value_t = MIN_HISTORY)]
    pub min_history: usize,
    /// The day that decides which sprints are closed (default: today)
    #[arg(long, value_parser = values::day)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Args, Debug)]
pub struct AccuracyCli {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Only items of this sprint
    #[arg(long)]
    pub sprint: Option<String>,
    /// Only items completed on or after this day (YYYY-MM-DD)
    #[arg(long, value_parser = values::day)]
    pub since: Option<NaiveDate>,
    /// Show voters' names instead of "voter 1", "voter 2", ... (calibration against outcomes)
    #[arg(long)]
    pub show_names: bool,
}

#[derive(Args, Debug)]
pub struct SplitsCli {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// The stories of this sprint [default: the backlog, every story not done]
    #[arg(long)]
    pub sprint: Option<String>,
    /// The day that decides which sprints are closed (default: today)
    #[arg(long, value_parser = values::day)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Args, Debug)]
pub struct ReferenceCli {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// The day the stories are recent to (default: today)
    #[arg(long, value_parser = values::day)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Args, Debug)]
pub struct ReportCli {
    /// The team
    #[arg(long)]
    pub team: String,
    /// One sprint [default: every sprint with --out; the latest closed sprint otherwise]
    #[arg(long)]
    pub sprint: Option<String>,
    /// Write self-contained HTML pages into this folder
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The day that decides which sprints are closed (default: today)
    #[arg(long, value_parser = values::day)]
    pub as_of: Option<NaiveDate>,
    /// The sprint's estimation retrospective instead of its Sprint Review (stories that
    /// left their bucket, discussion against outcomes, reference stories)
    #[arg(long, conflicts_with = "out")]
    pub retro: bool,
}

#[derive(Args, Debug)]
pub struct DemoCli {
    /// The folder with the sample data
    #[arg(long, default_value = "sample-data")]
    pub data: PathBuf,
    /// Address to serve on; loopback unless you say otherwise
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Load and show the data, then stop instead of serving
    #[arg(long)]
    pub no_serve: bool,
    /// The day the demo is made current for: every date of the sample data moves by whole
    /// weeks so that its last sprint ends in the week from this day (default: today)
    #[arg(long, value_parser = values::day)]
    pub today: Option<NaiveDate>,
    /// Keep the sample data's own dates (they end in 2025)
    #[arg(long, conflicts_with = "today")]
    pub keep_dates: bool,
}

#[derive(Args, Debug)]
pub struct InfoCli {
    /// How many of the last ingests to list
    #[arg(long, default_value_t = 10)]
    pub ingests: usize,
}

#[derive(Subcommand, Debug)]
pub enum SyncCmd {
    /// Jira Cloud or Data Center: the boards of [sync.jira.teams]; the first run reads them
    /// whole, later runs what changed since; all of a run is written, or nothing
    Jira {
        /// Only these teams' boards (repeatable; default: every board of the settings)
        #[arg(long = "team")]
        teams: Vec<String>,
        /// No progress line
        #[arg(short, long)]
        quiet: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum RoomCmd {
    /// The sessions held: session, title, team, stories estimated and to split
    List,
    /// One session's stories: rounds, time, first-round spread, consensus and decision
    Export {
        /// The session (as `room list` names it) or the room's title
        session: String,
    },
}

impl RoomCmd {
    fn into_command(self) -> Command {
        Command::Room(crate::commands::metrics::RoomArgs {
            session: match self {
                RoomCmd::List => None,
                RoomCmd::Export { session } => Some(session),
            },
        })
    }
}

#[derive(Args, Debug)]
pub struct ExportCli {
    /// The folder to write the Parquet data set into (one folder per table, one per team in
    /// it; an earlier export's tables there are replaced)
    #[arg(long, value_name = "DIR")]
    pub parquet: PathBuf,
    /// The day that decides which sprints are closed in the sprint figures (default: today)
    #[arg(long, value_parser = values::day)]
    pub as_of: Option<NaiveDate>,
    /// Voters by their stored names instead of "voter 1", "voter 2", ...
    #[arg(long)]
    pub show_names: bool,
}

impl ExportCli {
    fn into_args(self) -> crate::commands::export::ExportArgs {
        crate::commands::export::ExportArgs {
            dir: self.parquet,
            as_of: today_or(self.as_of),
            show_names: self.show_names,
        }
    }
}

#[derive(Args, Debug)]
pub struct ScopeArgs {
    /// Only this team
    #[arg(long)]
    pub team: Option<String>,
    /// Only the teams of this program
    #[arg(long)]
    pub program: Option<String>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on [default: [server] bind, else 127.0.0.1:8080]; on a
    /// non-loopback address pages need a read token unless --public
    #[arg(long)]
    pub bind: Option<String>,
    /// Pages readable without a token on a non-loopback address (sending data still needs one)
    #[arg(long)]
    pub public: bool,
    /// The largest body POST /api/v1/ingest takes, MiB (1-1048576) [default: 64]
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub max_upload_mib: Option<u64>,
    /// The report cache's bound, MiB (1-1048576) [default: 256]
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub cache_mib: Option<u64>,
    /// Request logs on stderr: text or json [default: text]
    #[arg(long, value_parser = values::log_format)]
    pub log_format: Option<crate::settings::LogFormat>,
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Make a token and print its secret (once: only its hash is kept)
    Add {
        /// A name to know it by (letters, digits, - _ .)
        name: String,
        /// What it may do: read (pages), room (open and run estimation rooms; reads too), ingest (send data; rooms and reads too), admin (everything)
        #[arg(long, value_parser = values::scope)]
        scope: crate::web::tokens::Scope,
    },
    /// The tokens: name, scope, made when (never the secrets)
    List,
    /// Remove a token; a running server refuses it from its next request on
    Revoke { name: String },
}

#[derive(Subcommand, Debug)]
pub enum SourceCmd {
    /// Make a signing secret for a tool and print it (once; it signs X-Sprintlens-Signature)
    Add {
        /// The name the tool sends in X-Sprintlens-Source (letters, digits, - _ .)
        name: String,
    },
    /// The sources: name and when made (never the secrets)
    List,
    /// Remove a source; its events are refused from the next one on
    Remove { name: String },
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Files or folders (every .csv, .ndjson and .jsonl in a folder)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// What the files hold, when the header should not decide:
    /// teams, decks, sprints, stories, votes, sprint_items, sprint_summaries
    #[arg(long, value_parser = values::kind)]
    pub kind: Option<Kind>,
    /// The team of rows that do not name one
    #[arg(long, value_parser = values::name)]
    pub team: Option<String>,
    /// The program (group of teams) of rows that do not name one
    #[arg(long, value_parser = values::name)]
    pub program: Option<String>,
    /// The files are tool exports: jira, azure, linear, parabol, thunderdome, poinz or wide (recognised from the header when
    /// only one fits)
    #[arg(long, value_parser = values::source)]
    pub from: Option<Source>,
    /// The export column holding story points (default: the tool's usual names); for a
    /// Parabol summary, the dimension that is the estimate
    #[arg(long)]
    pub points_field: Option<String>,
    /// The files' date style, chrono strftime (e.g. "%d.%m.%Y %H:%M"), tried before ISO 8601 (exports, native and --map files; a date alone reads with the style's date part)
    #[arg(long, value_parser = values::date_format)]
    pub date_format: Option<String>,
    /// How files that are not UTF-8 are read: windows-1252 (what Excel saves as CSV on
    /// Windows; latin1 reads the same); a UTF-8 file or one with a byte-order mark is read as such
    #[arg(long, value_parser = values::encoding, value_name = "ENCODING")]
    pub encoding: Option<Encoding>,
    /// Any CSV: map its columns to canonical fields, "story=Key,estimate=SP,..." (with --kind)
    #[arg(long, value_parser = values::field_map)]
    pub map: Option<FieldMap>,
    /// No progress bar
    #[arg(long, short)]
    pub quiet: bool,
    /// Send the files to this running sprintlens (http://host:port) instead of opening the
    /// database [default: the server serving --db, found by its address file]
    #[arg(long, env = "SPRINTLENS_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// The ingest token for --server
    #[arg(
        long,
        env = "SPRINTLENS_TOKEN",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// How long to wait for another process that holds the database, seconds
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub wait: u64,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 3)]
    pub teams: usize,
    #[arg(long, default_value_t = 12)]
    pub sprints: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The first sprint's start date (YYYY-MM-DD)
    #[arg(long, default_value = "2025-01-06", value_parser = values::day)]
    pub start: NaiveDate,
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also write what the generator knows of each story (its work in days, whether it was
    /// carried over and "really too big") to this CSV file, for checking the split list
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum BenchCmd {
    /// Compute every metric for every team on an organisation-sized data set and on one ten
    /// times smaller; print time and peak memory of each
    Metrics(BenchArgs),
    /// Generate an organisation-sized data set, ingest it, and compare with DuckDB's own CSV load
    Ingest(BenchArgs),
    /// Write a Jira Cloud-style export (155 columns) and import it into a fresh database
    Import {
        /// Issues in the export
        #[arg(long, default_value_t = 200_000)]
        rows: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Work folder (default: a new temporary folder, removed afterwards)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Keep the work folder
        #[arg(long)]
        keep: bool,
    },
    /// Serve an organisation-sized data set on loopback and drive the Sprint Review, team,
    /// split and dashboard pages with a bounded load generator; print throughput and latency
    Serve(BenchArgs),
    /// Play estimation rooms at once against a served data set, every participant's page
    /// (event stream) open; print the time from a reveal to every page having it, and memory
    /// per room
    Room {
        #[arg(long, default_value_t = 100)]
        rooms: usize,
        /// Everyone in a room, the facilitator included; all vote
        #[arg(long, default_value_t = 8)]
        participants: usize,
        /// Stories each room estimates (every other one in two rounds)
        #[arg(long, default_value_t = 4)]
        stories: usize,
        /// Mean pause before each action of a room (each vote, the reveal, the estimate),
        /// milliseconds: 2000 plays a round of 8 in about 18 s, faster than teams do
        #[arg(long, default_value_t = 2000)]
        think_ms: u64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Work folder (default: a new temporary folder, removed afterwards)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Keep the work folder
        #[arg(long)]
        keep: bool,
    },
    /// Check the split list against the generator's truth (stories carried over or longer
    /// than a sprint): precision, recall and the share of the backlog listed, per seed
    Splits {
        #[arg(long, default_value_t = 20)]
        teams: usize,
        #[arg(long, default_value_t = 12)]
        sprints: usize,
        /// The data sets' seeds, comma-separated
        #[arg(long, default_value = "42,7,3", value_delimiter = ',')]
        seeds: Vec<u64>,
        /// Work folder (default: a new temporary folder, removed afterwards)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Keep the work folder
        #[arg(long)]
        keep: bool,
    },
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[arg(long, default_value_t = 200)]
    pub teams: usize,
    #[arg(long, default_value_t = 52)]
    pub sprints: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Work folder (default: a new temporary folder, removed afterwards)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Keep the work folder
    #[arg(long)]
    pub keep: bool,
}

impl From<BenchArgs> for BenchSpec {
    fn from(a: BenchArgs) -> BenchSpec {
        BenchSpec {
            params: GenParams {
                teams: a.teams,
                sprints: a.sprints,
                seed: a.seed,
                ..GenParams::default()
            },
            dir: a.dir,
            keep: a.keep,
        }
    }
}

impl From<ScopeArgs> for Scope {
    fn from(a: ScopeArgs) -> Scope {
        Scope {
            team: a.team,
            program: a.program,
        }
    }
}

/// `--as-of`, else today.
fn today_or(d: Option<NaiveDate>) -> NaiveDate {
    d.unwrap_or_else(|| chrono::Local::now().date_naive())
}

impl IngestArgs {
    fn into_command(self) -> Result<Command> {
        let map = self.map.map(|m| m.0).unwrap_or_default();
        if self.from.is_some() && !map.is_empty() {
            return Err(Error::Usage(
                "--from and --map do not go together: --map is for CSV files no importer knows"
                    .into(),
            ));
        }
        Ok(Command::Ingest(Box::new(IngestCommand {
            paths: self.paths,
            kind: self.kind,
            team: self.team,
            program: self.program,
            import: ImportOptions {
                from: self.from,
                points_field: self.points_field,
                date_format: self.date_format,
                map,
                encoding: self.encoding.unwrap_or_default(),
            },
            progress: !self.quiet,
            server: self.server,
            token: self.token,
            wait: std::time::Duration::from_secs(self.wait),
        })))
    }
}

impl GenerateArgs {
    fn into_command(self) -> Command {
        Command::Generate(GenerateCommand {
            params: GenParams {
                teams: self.teams,
                sprints: self.sprints,
                seed: self.seed,
                start: self.start,
            },
            out: self.out,
            truth: self.truth,
        })
    }
}

impl PointsCli {
    fn into_command(self) -> Command {
        Command::Points(PointsArgs {
            scope: self.scope.into(),
            by: self.by,
            sprint: self.sprint,
            since: self.since,
        })
    }
}

impl VelocityCli {
    fn into_command(self) -> Command {
        Command::Velocity(VelocityArgs {
            scope: self.scope.into(),
            sprint: self.sprint,
            since: self.since,
            window: self.window,
            as_of: today_or(self.as_of),
            group_by: self.by,
        })
    }
}

impl SpreadCli {
    fn into_command(self) -> Command {
        Command::Spread(SpreadArgs {
            scope: self.scope.into(),
            sprint: self.sprint,
            since: self.since,
            show_names: self.show_names,
            rounds: self.rounds,
        })
    }
}

impl ForecastCli {
    fn into_command(self) -> Result<Command> {
        let (sprints, trials, history) = (self.sprints, self.trials, self.history);
        if sprints == 0 || trials == 0 || history == 0 {
            return Err(Error::Usage(
                "--sprints, --trials and --history must be at least 1".into(),
            ));
        }
        if sprints > MAX_SPRINTS {
            return Err(Error::Usage(format!(
                "--sprints {sprints}: at most {MAX_SPRINTS}"
            )));
        }
        if history > MAX_HISTORY {
            return Err(Error::Usage(format!(
                "--history {history}: at most {MAX_HISTORY}"
            )));
        }
        if self.min_history == 0 {
            return Err(Error::Usage("--min-history 0: expected at least 1".into()));
        }
        if trials > MAX_TRIALS {
            return Err(Error::Usage(format!(
                "--trials {trials}: at most {MAX_TRIALS}"
            )));
        }
        if let Some(p) = self.points
            && !(p.is_finite() && p > 0.0 && p <= MAX_TARGET)
        {
            // As written, short: 1e300 rather than its 301 digits.
            let given = if p.abs() < 1e15 {
                p.to_string()
            } else {
                format!("{p:e}")
            };
            return Err(Error::Usage(format!(
                "--points {given}: expected a number above 0 and at most {}",
                crate::domain::format_number(MAX_TARGET)
            )));
        }
        Ok(Command::Forecast(ForecastArgs {
            scope: self.scope.into(),
            params: ForecastParams {
                sprints,
                points: self.points,
                trials,
                seed: self.seed,
                history,
                keep_empty: self.keep_empty,
            },
            backtest: self.backtest.then_some(BacktestParams {
                min_history: self.min_history,
            }),
            as_of: today_or(self.as_of),
        }))
    }
}

impl AccuracyCli {
    fn into_command(self) -> Command {
        Command::Accuracy(AccuracyArgs {
            scope: self.scope.into(),
            filter: StoryFilter {
                sprint: self.sprint,
                since: self.since,
            },
            show_names: self.show_names,
        })
    }
}

impl SplitsCli {
    fn into_command(self) -> Command {
        Command::Splits(SplitsArgs {
            scope: self.scope.into(),
            sprint: self.sprint,
            as_of: today_or(self.as_of),
        })
    }
}

impl ReferenceCli {
    fn into_command(self) -> Command {
        Command::Reference(ReferenceArgs {
            scope: self.scope.into(),
            as_of: today_or(self.as_of),
        })
    }
}

impl ReportCli {
    fn into_command(self) -> Command {
        Command::Report(ReportCommand {
            team: self.team,
            sprint: self.sprint,
            out: self.out,
            as_of: today_or(self.as_of),
            retro: self.retro,
        })
    }
}

impl DemoCli {
    fn into_command(self) -> Command {
        Command::Demo(DemoArgs {
            data: self.data,
            serve: (!self.no_serve).then_some(self.bind),
            current_for: (!self.keep_dates).then(|| today_or(self.today)),
        })
    }
}

impl ServeArgs {
    fn into_command(self) -> Command {
        Command::Serve(crate::commands::report::ServeArgs {
            bind: self.bind,
            public: self.public,
            max_upload_mib: self.max_upload_mib,
            cache_mib: self.cache_mib,
            log_format: self.log_format,
        })
    }
}

impl TokenCmd {
    fn into_command(self) -> Command {
        use crate::commands::token::TokenArgs;
        Command::Token(match self {
            TokenCmd::Add { name, scope } => TokenArgs::Add { name, scope },
            TokenCmd::List => TokenArgs::List,
            TokenCmd::Revoke { name } => TokenArgs::Revoke { name },
        })
    }
}

impl SourceCmd {
    fn into_command(self) -> Command {
        use crate::commands::token::TokenArgs;
        Command::Token(match self {
            SourceCmd::Add { name } => TokenArgs::AddSource { name },
            SourceCmd::List => TokenArgs::ListSources,
            SourceCmd::Remove { name } => TokenArgs::RemoveSource { name },
        })
    }
}

impl BenchCmd {
    fn into_command(self) -> Result<Command> {
        Ok(Command::Bench(match self {
            BenchCmd::Metrics(b) => BenchCommand::Metrics(b.into()),
            BenchCmd::Ingest(b) => BenchCommand::Ingest(b.into()),
            BenchCmd::Serve(b) => BenchCommand::Serve(b.into()),
            BenchCmd::Room {
                rooms,
                participants,
                stories,
                think_ms,
                seed,
                dir,
                keep,
            } => BenchCommand::Room(RoomBenchSpec {
                rooms,
                participants,
                stories,
                think_ms,
                seed,
                dir,
                keep,
            }),
            BenchCmd::Splits {
                teams,
                sprints,
                seeds,
                dir,
                keep,
            } => {
                if teams == 0 || sprints == 0 || seeds.is_empty() {
                    return Err(Error::Usage(
                        "--teams and --sprints must be at least 1 and --seeds name one seed or more"
                            .into(),
                    ));
                }
                BenchCommand::Splits(crate::devtools::splitcheck::SplitCheckSpec {
                    teams,
                    sprints,
                    seeds,
                    dir,
                    keep,
                })
            }
            BenchCmd::Import {
                rows,
                seed,
                dir,
                keep,
            } => BenchCommand::Import {
                rows,
                seed,
                dir,
                keep,
            },
        }))
    }
}

impl Cli {
    /// Resolves the parsed flags into the settings every module uses.
    pub fn into_config(self) -> Result<Config> {
        use std::io::IsTerminal;
        let json = if self.pretty || std::io::stdout().is_terminal() {
            Json::Pretty
        } else {
            Json::Compact
        };
        // The demo has a database of its own.
        let default_db = match self.command {
            Cmd::Demo(_) => DEMO_DB,
            _ => DEFAULT_DB,
        };
        let command = match self.command {
            Cmd::Ingest(a) => a.into_command()?,
            Cmd::Generate(g) => g.into_command(),
            Cmd::Info(i) => Command::Info { ingests: i.ingests },
            Cmd::Sync(SyncCmd::Jira { teams, quiet }) => {
                Command::Sync(crate::commands::data::SyncArgs {
                    teams,
                    progress: !quiet,
                })
            }
            Cmd::Demo(d) => d.into_command(),
            Cmd::Points(a) => a.into_command(),
            Cmd::Velocity(a) => a.into_command(),
            Cmd::Spread(a) => a.into_command(),
            Cmd::Forecast(a) => a.into_command()?,
            Cmd::Accuracy(a) => a.into_command(),
            Cmd::Splits(a) => a.into_command(),
            Cmd::Reference(a) => a.into_command(),
            Cmd::Serve(a) => a.into_command(),
            Cmd::Token(t) => t.into_command(),
            Cmd::Source(s) => s.into_command(),
            Cmd::Report(a) => a.into_command(),
            Cmd::Export(e) => Command::Export(e.into_args()),
            Cmd::Room(r) => r.into_command(),
            Cmd::Bench(b) => b.into_command()?,
        };
        Ok(Config {
            db: self.db.unwrap_or_else(|| PathBuf::from(default_db)),
            settings_path: self.config,
            format: self.format.unwrap_or_default(),
            json,
            command,
        })
    }
}
