//! `ingest` and `demo`: data into the store.

use crate::commands::{Config, handoff, report};
use crate::error::{Error, Result};
use crate::ingest::export::ImportOptions;
use crate::ingest::read::Encoding;
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
    /// A running server to send the files to (else the one serving the database, if any).
    pub server: Option<String>,
    pub token: Option<String>,
    /// How long to wait for another process holding the database.
    pub wait: std::time::Duration,
}

/// `sprintlens demo`.
#[derive(Debug, Clone)]
pub struct DemoArgs {
    pub data: PathBuf,
    /// Serve on this address after loading (None: stop after showing the data).
    pub serve: Option<String>,
    /// Move the data's dates by whole weeks so that its last sprint ends in the week from
    /// this day (None: keep them).
    pub current_for: Option<chrono::NaiveDate>,
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
        labels: Default::default(),
        inline: Vec::new(),
        marks: Vec::new(),
    };
    // A running server owns the database: the files go to it. Without one, the database is
    // opened here, waiting while another process holds it (a server may start meanwhile).
    let outcome = handoff::when_free(&c.db, a.wait, || {
        match handoff::server_for(&c.db, a.server.as_deref(), a.token.as_deref())? {
            Some(server) => handoff::send(&server, &a.paths, &handoff_query(a), a.progress, &c.db),
            None => run_ingest(&c.db, &req),
        }
    })?;
    outcome.write_to(c.format, c.json, out)
}

/// The query that carries the ingest flags.
fn handoff_query(a: &IngestArgs) -> String {
    let enc = crate::present::fmt::enc;
    let mut q: Vec<String> = Vec::new();
    if let Some(k) = a.kind {
        q.push(format!("kind={}", k.name()));
    }
    if let Some(t) = &a.team {
        q.push(format!("team={}", enc(t)));
    }
    if let Some(p) = &a.program {
        q.push(format!("program={}", enc(p)));
    }
    if let Some(f) = a.import.from {
        q.push(format!("from={}", f.name()));
    }
    if let Some(p) = &a.import.points_field {
        q.push(format!("points_field={}", enc(p)));
    }
    if let Some(d) = &a.import.date_format {
        q.push(format!("date_format={}", enc(d)));
    }
    if a.import.encoding != Encoding::default() {
        q.push(format!("encoding={}", a.import.encoding.name()));
    }
    if !a.import.map.is_empty() {
        let m: Vec<String> = a
            .import
            .map
            .iter()
            .map(|(f, c)| format!("{f}={c}"))
            .collect();
        q.push(format!("map={}", enc(&m.join(","))));
    }
    if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    }
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
    if let Some(today) = a.current_for {
        let days =
            crate::store::writer::once(Store::open(&c.db)?, move |w| w.store.make_current(today))?;
        if days > 0 {
            let _ = writeln!(
                std::io::stderr(),
                "the sample data's dates moved {} weeks later: its last sprint ends in the week from {today}",
                days / 7
            );
        }
    }
    info(&c.db, 10)?.write_to(c.format, c.json, out)?;
    match &a.serve {
        Some(bind) => report::serve_store(
            Store::open(&c.db)?,
            c,
            &report::ServeArgs {
                bind: Some(bind.clone()),
                ..Default::default()
            },
            out,
        ),
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

/// `sprintlens sync jira`.
#[derive(Debug, Clone, Default)]
pub struct SyncArgs {
    pub teams: Vec<String>,
    pub progress: bool,
}

/// Fetches the boards of `[sync.jira]` and writes what they hold in one transaction. A server
/// that holds the database syncs on its own (`every_minutes`); this run then says so.
pub fn sync(c: &Config, a: &SyncArgs, out: &mut dyn Write) -> Result<()> {
    let settings = c.settings()?;
    if handoff::server_for(&c.db, None, None)?.is_some() {
        return Err(Error::Usage(format!(
            "{}: a running sprintlens server holds this database; it syncs Jira itself when \
             [sync.jira] sets every_minutes (stop it to sync from here)",
            c.db.display()
        )));
    }
    let outcome = handoff::when_free(&c.db, std::time::Duration::from_secs(30), || {
        crate::sync::run_jira(&c.db, &settings, &a.teams, a.progress)
    })?;
    outcome.write_to(c.format, c.json, out)
}
