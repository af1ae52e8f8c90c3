//! sprintlens: Planning Poker analytics and Sprint Review reports.
//!
//! Pipeline: files -> `ingest` (Polars readers, canonical frames, validated) -> `store` (one
//! DuckDB file) -> `report` (one model per page or command) -> `render` -> the CLI (`cli`).

pub mod bench;
pub mod charts;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod forecast;
pub mod generate;
pub mod ingest;
pub mod loadbench;
pub mod metrics;
pub mod pages;
pub mod progress;
pub mod render;
pub mod report;
pub mod store;
pub mod web;

use config::{Command, Config};
use error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs one command; what it prints goes to `out`.
pub fn run(config: Config, out: &mut dyn Write) -> Result<()> {
    let write = |out: &mut dyn Write, s: &str| -> Result<()> {
        out.write_all(s.as_bytes())
            .map_err(Error::io("<stdout>", "cannot write the output"))
    };
    // Read only by the commands that use settings.
    let settings = || config::Settings::load(config.settings_path.as_deref(), &config.db);
    match config.command {
        Command::Ingest(mut req) => {
            req.defaults.settings = settings()?;
            let outcome = ingest::ingest(&config.db, &req)?;
            write(out, &render::ingest_outcome(&outcome, config.format)?)
        }
        Command::Generate { params, out: dir } => {
            let s = generate::generate(&params, &dir)?;
            write(
                out,
                &format!(
                    "wrote {} teams, {} sprints, {} stories, {} votes, {} sprint items to {}\n",
                    s.teams,
                    s.sprints,
                    s.stories,
                    render::count(s.votes as i64),
                    s.sprint_items,
                    dir.display()
                ),
            )
        }
        Command::Info { ingests } => {
            let info = report::info(&config.db, ingests)?;
            write(out, &render::info(&info, config.format)?)
        }
        Command::Demo { data, serve } => {
            let data = find_sample_data(&data)?;
            if config.db.exists() {
                // The demo's database is its own: start it afresh each time.
                std::fs::remove_file(&config.db)
                    .map_err(Error::io(&config.db, "cannot replace the demo database"))?;
            }
            let mut req = ingest::IngestRequest {
                paths: vec![data],
                progress: true,
                ..Default::default()
            };
            req.defaults.settings = settings()?;
            let outcome = ingest::ingest(&config.db, &req)?;
            write(out, &render::ingest_outcome(&outcome, config.format)?)?;
            let info = report::info(&config.db, 10)?;
            write(out, &render::info(&info, config.format)?)?;
            match serve {
                Some(bind) => web::serve(open_existing(&config.db)?, settings()?, &bind, out),
                None => Ok(()),
            }
        }
        Command::Points {
            scope,
            by,
            sprint,
            since,
        } => {
            let store = open_existing(&config.db)?;
            check_scope(&store, &scope)?;
            let filter = metrics::points::PointFilter {
                sprint: sprint.as_deref(),
                since,
            };
            let d = metrics::points::point_distribution(
                &store,
                scope.team.as_deref(),
                scope.program.as_deref(),
                by,
                filter,
            )?;
            write(out, &render::points(&d, config.format)?)
        }
        Command::Velocity(v) => {
            let store = open_existing(&config.db)?;
            check_scope(&store, &v.scope)?;
            let settings = settings()?;
            let q = metrics::velocity::VelocityQuery {
                team: v.scope.team.as_deref(),
                program: v.scope.program.as_deref(),
                sprint: v.sprint.as_deref(),
                since: v.since,
                window: v.window.unwrap_or(settings.defaults.window),
                // A --window given on the command line is for every team.
                team_windows: match v.window {
                    Some(_) => Default::default(),
                    None => settings
                        .teams
                        .iter()
                        .map(|(t, s)| (t.clone(), s.window))
                        .collect(),
                },
                as_of: v.as_of,
                group_by: v.group_by,
            };
            let report = metrics::velocity::velocity(&store, &q)?;
            if let Some(s) = &v.sprint
                && report.sprints.is_empty()
            {
                return Err(Error::Usage(format!(
                    "unknown sprint \"{s}\" for the teams chosen"
                )));
            }
            write(out, &render::velocity(&report, config.format)?)
        }
        Command::Spread(a) => {
            let store = open_existing(&config.db)?;
            check_scope(&store, &a.scope)?;
            let q = metrics::spread::SpreadQuery {
                team: a.scope.team.as_deref(),
                program: a.scope.program.as_deref(),
                sprint: a.sprint.as_deref(),
                since: a.since,
                show_names: a.show_names,
            };
            let report = metrics::spread::spread(&store, &q)?;
            write(out, &render::spread(&report, config.format, a.rounds)?)
        }
        Command::Forecast(a) => {
            let store = open_existing(&config.db)?;
            check_scope(&store, &a.scope)?;
            let q = forecast::ForecastQuery {
                team: a.scope.team.as_deref(),
                program: a.scope.program.as_deref(),
                sprints: a.sprints,
                points: a.points,
                trials: a.trials,
                seed: a.seed,
                history: a.history,
                as_of: a.as_of,
            };
            let report = forecast::forecast(&store, &q)?;
            write(out, &render::forecast(&report, config.format)?)
        }
        Command::Accuracy {
            scope,
            sprint,
            since,
        } => {
            let store = open_existing(&config.db)?;
            check_scope(&store, &scope)?;
            let spread = metrics::spread::spread(
                &store,
                &metrics::spread::SpreadQuery {
                    team: scope.team.as_deref(),
                    program: scope.program.as_deref(),
                    sprint: sprint.as_deref(),
                    since,
                    show_names: false,
                },
            )?;
            let q = metrics::accuracy::AccuracyQuery {
                team: scope.team.as_deref(),
                program: scope.program.as_deref(),
                sprint: sprint.as_deref(),
                since,
            };
            let report =
                metrics::accuracy::accuracy(&store, &q, metrics::accuracy::reestimation(&spread))?;
            write(out, &render::accuracy(&report, config.format)?)
        }
        Command::Splits {
            scope,
            sprint,
            as_of,
        } => {
            let settings = settings()?;
            let store = open_existing(&config.db)?;
            check_scope(&store, &scope)?;
            let q = metrics::splits::SplitQuery {
                team: scope.team.as_deref(),
                program: scope.program.as_deref(),
                sprint: sprint.as_deref(),
                as_of,
            };
            let spread = metrics::spread::spread(
                &store,
                &metrics::spread::SpreadQuery {
                    team: q.team,
                    program: q.program,
                    sprint: q.sprint,
                    since: None,
                    show_names: false,
                },
            )?;
            let velocity = metrics::velocity::velocity(
                &store,
                &metrics::splits::velocity_query(&q, &settings),
            )?;
            let accuracy = metrics::accuracy::accuracy(
                &store,
                &metrics::accuracy::AccuracyQuery {
                    team: q.team,
                    program: q.program,
                    sprint: None,
                    since: None,
                },
                Vec::new(),
            )?;
            let inputs = metrics::splits::SplitInputs {
                spread: &spread,
                velocity: &velocity,
                accuracy: &accuracy,
            };
            let report = metrics::splits::splits(&store, &q, &settings, &inputs)?;
            write(out, &render::splits(&report, config.format)?)
        }
        Command::Serve { bind } => {
            let store = open_existing(&config.db)?;
            web::serve(store, settings()?, &bind, out)
        }
        Command::Report(a) => {
            let settings = settings()?;
            let store = open_existing(&config.db)?;
            check_scope(
                &store,
                &config::Scope {
                    team: Some(a.team.clone()),
                    program: None,
                },
            )?;
            match &a.out {
                Some(dir) => {
                    let files = web::site::write_report(
                        &store,
                        &settings,
                        &a.team,
                        a.sprint.as_deref(),
                        a.as_of,
                        dir,
                    )?;
                    write(
                        out,
                        &format!(
                            "wrote {} pages to {} (open {})\n",
                            files.len(),
                            dir.display(),
                            dir.join("index.html").display()
                        ),
                    )
                }
                None => {
                    // check_scope above named an unknown team.
                    let d = pages::team_data(&store, &settings, &a.team, a.as_of)?
                        .ok_or_else(|| Error::Internal(format!("team {} vanished", a.team)))?;
                    let review = pages::review_of(&d, a.sprint.as_deref())?;
                    write(out, &render::sprint_review(&review, config.format)?)
                }
            }
        }
        Command::BenchMetrics(b) => {
            let report = bench::metrics(&b)?;
            write(out, &bench::render_metrics(&report, config.format)?)
        }
        Command::BenchImport {
            rows,
            seed,
            dir,
            keep,
        } => {
            let report = bench::import(rows, seed, &dir, keep)?;
            write(out, &bench::render_import(&report, config.format)?)
        }
        Command::BenchServe(b) => {
            let report = loadbench::serve(&b)?;
            write(out, &loadbench::render(&report, config.format)?)
        }
        Command::BenchIngest(b) => {
            let report = bench::ingest(&b)?;
            write(out, &bench::render_ingest(&report, config.format)?)
        }
    }
}

/// The store for a report: it must exist.
pub(crate) fn open_existing(db: &Path) -> Result<store::Store> {
    store::Store::open_read_only(db)?.ok_or_else(|| {
        Error::Usage(format!(
            "{}: no database here yet; load data with `sprintlens ingest FILE...` (or pass --db)",
            db.display()
        ))
    })
}

/// A team or program the user named must exist.
fn check_scope(store: &store::Store, scope: &config::Scope) -> Result<()> {
    let teams = store.teams()?;
    if let Some(t) = &scope.team
        && !teams.iter().any(|(k, _)| k == t)
    {
        return Err(Error::Usage(format!(
            "unknown team \"{t}\"; the database has {}",
            teams
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if let Some(p) = &scope.program
        && !teams.iter().any(|(_, q)| q.as_deref() == Some(p.as_str()))
    {
        let mut programs: Vec<&str> = teams.iter().filter_map(|(_, q)| q.as_deref()).collect();
        programs.sort();
        programs.dedup();
        return Err(Error::Usage(format!(
            "unknown program \"{p}\"; the database has {}",
            if programs.is_empty() {
                "none".to_string()
            } else {
                programs.join(", ")
            }
        )));
    }
    Ok(())
}

/// The sample data folder: as given, else the one shipped beside the sources.
fn find_sample_data(given: &Path) -> Result<PathBuf> {
    if given.is_dir() {
        return Ok(given.to_path_buf());
    }
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    if given == Path::new("sample-data") && shipped.is_dir() {
        return Ok(shipped);
    }
    Err(Error::Usage(format!(
        "{}: no such folder; pass --data with the folder of sample data",
        given.display()
    )))
}
