//! The report commands: `points`, `velocity`, `spread`, `forecast`, `accuracy`, `splits`,
//! `reference`, `report` and `room`, each a [`Request`] run on the store — or, while a server holds the
//! database, by that server — and printed the same way.

use crate::commands::{Config, handoff, write};
use crate::domain::Scope;
use crate::error::{Error, Result};
use crate::present::requests::{self, Asked, Output, Request};
use crate::settings::Settings;
use crate::store::Store;
use crate::web::site;
use std::io::Write;

pub use crate::present::requests::{
    AccuracyArgs, ForecastArgs, PointsArgs, ReferenceArgs, ReportArgs, RoomArgs, SplitsArgs,
    SpreadArgs, VelocityArgs,
};

/// The store of a command that reads it (points, spread, ...), with the team or program and
/// the sprint the user named checked, and the settings with their notes on stderr.
pub fn open_with_settings(
    c: &Config,
    scope: &Scope,
    sprint: Option<&str>,
) -> Result<(Store, Settings)> {
    let store = Store::open_existing(&c.db)?;
    let teams = store.teams()?;
    requests::check_scope(&teams, scope)?;
    requests::check_sprint(&store, &teams, scope, sprint)?;
    let settings = c.settings()?;
    for note in requests::settings_notes(&teams, &settings) {
        eprintln!("{note}");
    }
    Ok((store, settings))
}

/// Runs a report command on the store, or, while a server holds the database, asks that
/// server (through its address file, on loopback) and prints its answer: the same output.
pub fn run(c: &Config, request: Request, out: &mut dyn Write) -> Result<()> {
    let output = Output {
        format: c.format,
        json: c.json,
    };
    let answered = match Store::open_read_only(&c.db) {
        Ok(Some(store)) => {
            let settings = if request.reads_settings() {
                c.settings()?
            } else {
                Settings::default()
            };
            site::answer_request(&store, &settings, &request, output, true, out)?
        }
        Ok(None) => {
            // The message of a store that is not there.
            Store::open_existing(&c.db)?;
            unreachable!("open_existing refuses a missing store")
        }
        Err(Error::Busy { path, pid }) => match handoff::server_for(&c.db, None, None)? {
            Some(server) => handoff::ask(
                &server,
                &Asked {
                    request: request.clone(),
                    output,
                },
                &c.db,
                out,
            )?,
            None => return Err(Error::Busy { path, pid }),
        },
        Err(e) => return Err(e),
    };
    for note in &answered.notes {
        eprintln!("{note}");
    }
    if let (Request::Report(a), Some(pages)) = (&request, answered.pages) {
        let dir = a.out.as_deref().unwrap_or(std::path::Path::new("."));
        let files = site::write_pages(dir, pages)?;
        write(
            out,
            &format!(
                "wrote {} pages to {} (open {})\n",
                files.len(),
                dir.display(),
                dir.join("index.html").display()
            ),
        )?;
    }
    Ok(())
}

pub fn points(c: &Config, a: &PointsArgs, out: &mut dyn Write) -> Result<()> {
    run(c, Request::Points(a.clone()), out)
}

pub fn velocity(c: &Config, a: &VelocityArgs, out: &mut dyn Write) -> Result<()> {
    run(c, Request::Velocity(a.clone()), out)
}

pub fn spread(c: &Config, a: &SpreadArgs, out: &mut dyn Write) -> Result<()> {
    run(c, Request::Spread(a.clone()), out)
}

pub fn forecast(c: &Config, a: &ForecastArgs, out: &mut dyn Write) -> Result<()> {
    run(c, Request::Forecast(a.clone()), out)
}

pub fn accuracy(c: &Config, a: &AccuracyArgs, out: &mut dyn Write) -> Result<()> {
    run(c, Request::Accuracy(a.clone()), out)
}

pub fn splits(c: &Config, a: &SplitsArgs, out: &mut dyn Write) -> Result<()> {
    run(c, Request::Splits(a.clone()), out)
}

pub fn reference(c: &Config, a: &ReferenceArgs, out: &mut dyn Write) -> Result<()> {
    run(c, Request::Reference(a.clone()), out)
}

pub fn report(c: &Config, a: &ReportArgs, out: &mut dyn Write) -> Result<()> {
    run(c, Request::Report(a.clone()), out)
}

pub fn room(c: &Config, a: &RoomArgs, out: &mut dyn Write) -> Result<()> {
    run(c, Request::Room(a.clone()), out)
}
