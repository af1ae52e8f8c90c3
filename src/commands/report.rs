//! `info`, `report` and `serve`: what the store holds, a team's pages as static files or a
//! Sprint Review as text, and the report server.

use crate::commands::metrics::{open_with_settings, settings_notes};
use crate::commands::{Config, write};
use crate::domain::Scope;
use crate::error::{Error, Result};
use crate::present::pages::{data, retro, review};
use crate::present::table::Render;
use crate::store::Store;
use crate::store::info::info as store_info;
use chrono::NaiveDate;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct ReportArgs {
    pub team: String,
    pub sprint: Option<String>,
    pub out: Option<PathBuf>,
    pub as_of: NaiveDate,
    /// The estimation retrospective instead of the Sprint Review.
    pub retro: bool,
}

pub fn info(c: &Config, ingests: usize, out: &mut dyn Write) -> Result<()> {
    store_info(&c.db, ingests)?.write_to(c.format, c.json, out)
}

/// `sprintlens serve`: flags over `[server]` in the settings.
#[derive(Debug, Clone, Default)]
pub struct ServeArgs {
    pub bind: Option<String>,
    pub public: bool,
    pub max_upload_mib: Option<u64>,
    pub cache_mib: Option<u64>,
    pub log_format: Option<crate::settings::LogFormat>,
}

pub fn serve(c: &Config, a: &ServeArgs, out: &mut dyn Write) -> Result<()> {
    if !c.db.exists() {
        return Err(Error::Usage(format!(
            "{}: no database here yet; load data with `sprintlens ingest FILE...` (or pass --db)",
            c.db.display()
        )));
    }
    serve_store(
        crate::commands::handoff::open_for_writing(&c.db)?,
        c,
        a,
        out,
    )
}

/// Serves a store opened for writing until interrupted.
pub fn serve_store(store: Store, c: &Config, a: &ServeArgs, out: &mut dyn Write) -> Result<()> {
    let settings = c.settings()?;
    for note in settings_notes(&store.teams()?, &settings) {
        eprintln!("{note}");
    }
    // Its values are checked here, not when the settings are read: name the file.
    let mut options =
        crate::web::ServeOptions::from_settings(&settings.server).map_err(|e| match e {
            Error::Usage(m) => Error::Usage(format!("{}: {m}", settings.file_name())),
            other => other,
        })?;
    if let Some(b) = &a.bind {
        options.bind = b.clone();
    }
    options.public |= a.public;
    if let Some(m) = a.max_upload_mib {
        options.max_upload = crate::web::server::mib(m);
    }
    if let Some(m) = a.cache_mib {
        options.cache_bytes = crate::web::server::mib(m);
    }
    if let Some(f) = a.log_format {
        options.log_format = f;
    }
    crate::web::serve(store, settings, options, out)
}

pub fn report(c: &Config, a: &ReportArgs, out: &mut dyn Write) -> Result<()> {
    let (store, settings) = open_with_settings(c, &Scope::team(&a.team), None)?;
    match &a.out {
        Some(dir) => {
            let files = crate::web::site::write_report(
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
            // open_with_settings above named an unknown team.
            let d = data::team_data(&store, &settings, &a.team, a.as_of)?
                .ok_or_else(|| Error::Internal(format!("team {} vanished", a.team)))?;
            let r = review::review_of(&d, a.sprint.as_deref())?;
            if a.retro {
                return retro::sprint_retro(&store, &d, &r.sprint.sprint_id)?
                    .ok_or_else(|| {
                        Error::Usage(format!(
                            "sprint \"{}\" of team \"{}\" has nothing recorded yet",
                            r.sprint.sprint_id, a.team
                        ))
                    })?
                    .write_to(c.format, c.json, out);
            }
            r.write_to(c.format, c.json, out)
        }
    }
}
