//! `info`, `report` and `serve`: what the store holds, a team's pages as static files or a
//! Sprint Review as text, and the report server.

use crate::commands::metrics::open_scoped;
use crate::commands::{Config, write};
use crate::domain::Scope;
use crate::error::{Error, Result};
use crate::present::pages::{data, review};
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
}

pub fn info(c: &Config, ingests: usize, out: &mut dyn Write) -> Result<()> {
    store_info(&c.db, ingests)?.write_to(c.format, c.json, out)
}

pub fn serve(c: &Config, bind: &str, out: &mut dyn Write) -> Result<()> {
    serve_store(Store::open_existing(&c.db)?, c, bind, out)
}

/// Serves an open store until interrupted.
pub fn serve_store(store: Store, c: &Config, bind: &str, out: &mut dyn Write) -> Result<()> {
    crate::web::serve(store, c.settings()?, bind, out)
}

pub fn report(c: &Config, a: &ReportArgs, out: &mut dyn Write) -> Result<()> {
    let settings = c.settings()?;
    let store = open_scoped(c, &Scope::team(&a.team))?;
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
            // open_scoped above named an unknown team.
            let d = data::team_data(&store, &settings, &a.team, a.as_of)?
                .ok_or_else(|| Error::Internal(format!("team {} vanished", a.team)))?;
            let r = review::review_of(&d, a.sprint.as_deref())?;
            r.write_to(c.format, c.json, out)
        }
    }
}
