//! `ingest` and `demo`: data into the store.

use crate::commands::{Config, report};
use crate::error::{Error, Result};
use crate::ingest::export::ImportOptions;
use crate::ingest::typing::Defaults;
use crate::ingest::{IngestRequest, ingest as run_ingest};
use crate::present::table::Render;
use crate::store::Store;
use crate::store::info::info;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `sprintlens ingest`.
#[derive(Debug, Clone)]
pub struct IngestArgs {
    pub paths: Vec<PathBuf>,
    pub kind: Option<crate::domain::Kind>,
    pub team: Option<String>,
    pub program: Option<String>,
    pub import: ImportOptions,
    pub progress: bool,
}

/// `sprintlens demo`.
#[derive(Debug, Clone)]
pub struct DemoArgs {
    pub data: PathBuf,
    /// Serve on this address after loading (None: stop after showing the data).
    pub serve: Option<String>,
}

/// `SPRINTLENS_TIMING=1` prints how long reading, checking and writing took (for tuning).
fn timing() -> Option<crate::ingest::pipeline::Timing> {
    std::env::var_os("SPRINTLENS_TIMING").map(|_| {
        (|phase: &str, elapsed: std::time::Duration| {
            eprintln!(
                "timing: {phase} {:.2}s, peak {} MiB",
                elapsed.as_secs_f64(),
                crate::devtools::memory::peak_rss().unwrap_or(0) >> 20
            );
        }) as crate::ingest::pipeline::Timing
    })
}

pub fn ingest(c: &Config, a: &IngestArgs, out: &mut dyn Write) -> Result<()> {
    let req = IngestRequest {
        paths: a.paths.clone(),
        kind: a.kind,
        defaults: Defaults {
            team: a.team.clone(),
            program: a.program.clone(),
            settings: c.settings()?,
        },
        progress: a.progress,
        import: a.import.clone(),
        timing: timing(),
    };
    let outcome = run_ingest(&c.db, &req)?;
    outcome.write_to(c.format, c.json, out)
}

pub fn demo(c: &Config, a: &DemoArgs, out: &mut dyn Write) -> Result<()> {
    let data = find_sample_data(&a.data)?;
    if c.db.exists() {
        // The demo's database is its own: start it afresh each time.
        std::fs::remove_file(&c.db)
            .map_err(Error::io(&c.db, "cannot replace the demo database"))?;
    }
    let req = IngestRequest {
        paths: vec![data],
        progress: true,
        defaults: Defaults {
            settings: c.settings()?,
            ..Default::default()
        },
        timing: timing(),
        ..Default::default()
    };
    let outcome = run_ingest(&c.db, &req)?;
    outcome.write_to(c.format, c.json, out)?;
    info(&c.db, 10)?.write_to(c.format, c.json, out)?;
    match &a.serve {
        Some(bind) => report::serve_store(Store::open_existing(&c.db)?, c, bind, out),
        None => Ok(()),
    }
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
