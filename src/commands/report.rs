//! `info` and `serve`: what the store holds, and the report server.

use crate::commands::Config;
use crate::error::{Error, Result};
use crate::present::requests::settings_notes;
use crate::present::table::Render;
use crate::store::Store;
use crate::store::info::info as store_info;
use std::io::Write;

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
