//! Ingest: files in, canonical frames out, validated, then one transaction into the store.
//!
//! Every file is read, typed and checked before the database is opened for writing; a run with
//! any problem reports up to 20 of them and leaves the database exactly as it was.

pub mod export;
pub mod native;
pub mod text;

use crate::domain::{Deck, Kind};
use crate::error::{Error, Problem, Problems, Result};
use crate::progress::Progress;
use crate::store::{LogEntry, Store, WriteStats};
use native::{DeckLookup, Defaults, Frame};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What to ingest and how.
#[derive(Debug, Clone, Default)]
pub struct IngestRequest {
    pub paths: Vec<PathBuf>,
    /// The kind of every file, when the header should not decide.
    pub kind: Option<Kind>,
    pub defaults: Defaults,
    /// Show a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// Tool exports (`--from`) or a column mapping (`--map`).
    pub import: export::ImportOptions,
}

/// What one file brought.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileOutcome {
    pub file: String,
    pub kind: Kind,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Columns of the file that no canonical field takes.
    pub ignored_columns: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestOutcome {
    pub database: String,
    pub files: Vec<FileOutcome>,
}

/// The data files a path stands for: the file itself, or a folder's CSV and NDJSON files.
fn expand(paths: &[PathBuf], problems: &mut Problems) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = match std::fs::read_dir(p) {
                Ok(rd) => rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| f.is_file() && format_of(f).is_some())
                    .collect(),
                Err(e) => {
                    problems.push(Problem::file(
                        &p.display().to_string(),
                        format!("cannot read the folder: {e}"),
                    ));
                    continue;
                }
            };
            found.sort();
            if found.is_empty() {
                problems.push(Problem::file(
                    &p.display().to_string(),
                    "the folder holds no .csv, .ndjson or .jsonl files",
                ));
            }
            out.extend(found);
        } else if !p.exists() {
            problems.push(Problem::file(
                &p.display().to_string(),
                "the file does not exist",
            ));
        } else {
            out.push(p.clone());
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Ndjson,
}

fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "csv" | "txt" | "tsv" => Some(Format::Csv),
        "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
        _ => None,
    }
}

/// A file read and recognised, not yet typed.
struct Loaded {
    raw: text::RawTable,
    kind: Kind,
    sha256: String,
    /// A native file (its unknown columns are reported as ignored).
    native: bool,
}

/// The tool that wrote a CSV file, when its header says so unambiguously.
fn sniff(path: &Path) -> Option<export::Source> {
    use std::io::Read;
    if format_of(path)? != Format::Csv {
        return None;
    }
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(256 * 1024)
        .read_to_end(&mut head)
        .ok()?;
    let end = head.iter().position(|b| *b == b'\n').unwrap_or(head.len());
    let mut quiet = Problems::default();
    let r = export::read_records(
        "",
        &head[..end],
        &|h: &[String]| vec![false; h.len()],
        &mut quiet,
    )?;
    export::detect(&r.header)
}

/// Reads a tool export or a mapped CSV into canonical tables.
fn load_import(path: &Path, req: &IngestRequest, problems: &mut Problems) -> Vec<Loaded> {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::file(&name, format!("cannot be read: {e}")));
            return Vec::new();
        }
    };
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let tables = if req.import.map.is_empty() {
        let ctx = export::Context {
            options: &req.import,
            team: req.defaults.team.as_deref(),
            settings: &req.defaults.settings,
        };
        export::import(&name, &bytes, &ctx, problems).unwrap_or_default()
    } else {
        export::mapped(&name, &bytes, &req.import.map, req.kind, problems)
            .into_iter()
            .collect()
    };
    tables
        .into_iter()
        .map(|(kind, raw)| Loaded {
            raw,
            kind,
            sha256: sha256.clone(),
            native: false,
        })
        .collect()
}

fn load(path: &Path, kind: Option<Kind>, problems: &mut Problems) -> Option<Loaded> {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::file(&name, format!("cannot be read: {e}")));
            return None;
        }
    };
    // The hash is taken beside the parse, on the other core.
    let (sha256, raw) = std::thread::scope(|scope| {
        let hash = scope.spawn(|| format!("{:x}", Sha256::digest(&bytes)));
        let raw = match format_of(path).unwrap_or(Format::Csv) {
            Format::Csv => text::read_csv(&name, &bytes, problems),
            Format::Ndjson => text::read_ndjson(&name, &bytes, problems),
        };
        (hash.join().expect("hashing does not panic"), raw)
    });
    let raw = raw?;
    let kind = match kind.or_else(|| native::detect_kind(&raw.columns)) {
        Some(k) => k,
        None => {
            problems.push(Problem::at(
                &name,
                1,
                None,
                format!(
                    "cannot tell what this file holds from its header ({}); name it with --kind ({})",
                    raw.columns.join(", "),
                    Kind::ALL.map(|k| k.name()).join(", ")
                ),
            ));
            return None;
        }
    };
    Some(Loaded {
        raw,
        kind,
        sha256,
        native: true,
    })
}

/// Decks as this ingest sees them: the ones in its own decks files, then the store's.
struct Decks<'a> {
    from_files: HashMap<String, Deck>,
    from_store: HashMap<String, Deck>,
    settings: &'a crate::config::Settings,
}

impl Decks<'_> {
    /// Whether the team has a deck of its own (in this ingest or the store).
    fn known(&self, team: &str) -> bool {
        self.from_files.contains_key(team) || self.from_store.contains_key(team)
    }
}

impl DeckLookup for Decks<'_> {
    fn deck(&self, team: &str) -> Deck {
        self.from_files
            .get(team)
            .or_else(|| self.from_store.get(team))
            .cloned()
            .unwrap_or_else(|| self.settings.team(team).deck.deck())
    }
}

/// Names the file columns no field of the kind takes.
fn ignored_columns(raw: &text::RawTable, kind: Kind) -> Vec<String> {
    let spec = native::spec(kind);
    raw.columns
        .iter()
        .filter(|c| {
            let c = c.to_ascii_lowercase();
            c != "team"
                && c != "program"
                && !spec
                    .fields
                    .iter()
                    .any(|f| f.name == c || f.aliases.iter().any(|a| *a == c))
        })
        .cloned()
        .collect()
}

/// Reads, checks and stores the files of one request, in one transaction.
pub fn ingest(db: &Path, req: &IngestRequest) -> Result<IngestOutcome> {
    let mut problems = Problems::default();
    let files = expand(&req.paths, &mut problems);
    if files.is_empty() && problems.is_empty() {
        return Err(Error::Usage(
            "nothing to ingest: name one or more files or folders".into(),
        ));
    }
    let mut progress = Progress::new(req.progress, files.len() * 2 + 1);

    // SPRINTLENS_TIMING=1 prints how long reading, checking and writing took (for tuning).
    let timing = std::env::var_os("SPRINTLENS_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let mut loaded: Vec<Loaded> = Vec::new();
    for f in &files {
        progress.step(&format!("reading {}", f.display()));
        if req.import.active() {
            loaded.extend(load_import(f, req, &mut problems));
        } else if let Some(source) = req.kind.is_none().then(|| sniff(f)).flatten() {
            let mut r = req.clone();
            r.import.from = Some(source);
            loaded.extend(load_import(f, &r, &mut problems));
        } else if let Some(l) = load(f, req.kind, &mut problems) {
            loaded.push(l);
        }
    }
    // Teams first (they name the teams the other files refer to), then decks (votes in the
    // same run are checked against them), then the rest in the order given.
    loaded.sort_by_key(|l| match l.kind {
        Kind::Teams => 0,
        Kind::Decks => 1,
        _ => 2,
    });

    if timing {
        eprintln!(
            "timing: read {:.2}s, peak {} MiB",
            t0.elapsed().as_secs_f64(),
            crate::bench::peak_rss().unwrap_or(0) >> 20
        );
    }
    // The decks already stored, read without the right to write.
    let from_store = match Store::open_read_only(db)? {
        Some(store) => store.decks()?,
        None => HashMap::new(),
    };
    let mut decks = Decks {
        from_files: HashMap::new(),
        from_store,
        settings: &req.defaults.settings,
    };

    let mut frames: Vec<Frame> = Vec::new();
    let mut log: Vec<LogEntry> = Vec::new();
    let mut ignored: Vec<Vec<String>> = Vec::new();
    // Each file's text cells are dropped as soon as its frame is made.
    for l in loaded {
        progress.step(&format!(
            "checking {} ({} rows)",
            l.raw.file,
            l.raw.height()
        ));
        if let Some(frame) = native::to_frame(&l.raw, l.kind, &req.defaults, &decks, &mut problems)
        {
            if frame.kind == Kind::Decks {
                decks.from_files.extend(native::decks_in_frame(&frame));
            }
            ignored.push(if l.native {
                ignored_columns(&l.raw, l.kind)
            } else {
                Vec::new()
            });
            log.push(LogEntry {
                file: l.raw.file.clone(),
                sha256: l.sha256.clone(),
            });
            frames.push(frame);
        }
    }
    if !problems.is_empty() {
        progress.clear();
        return Err(Error::Input(problems));
    }
    if timing {
        eprintln!(
            "timing: checked {:.2}s, peak {} MiB",
            t0.elapsed().as_secs_f64(),
            crate::bench::peak_rss().unwrap_or(0) >> 20
        );
    }
    progress.step(&format!("writing {}", db.display()));
    let mut store = Store::open(db)?;
    // Teams that voted without a deck of their own get their default deck recorded.
    let mut default_decks: Vec<(String, Deck)> = frames
        .iter()
        .filter(|f| f.kind == Kind::Votes)
        .flat_map(|f| f.teams.keys())
        .filter(|t| !decks.known(t))
        .map(|t| (t.clone(), decks.deck(t)))
        .collect();
    default_decks.sort_by(|a, b| a.0.cmp(&b.0));
    default_decks.dedup_by(|a, b| a.0 == b.0);
    let stats = store.write(&frames, &log, &default_decks)?;
    if timing {
        eprintln!(
            "timing: written {:.2}s, peak {} MiB",
            t0.elapsed().as_secs_f64(),
            crate::bench::peak_rss().unwrap_or(0) >> 20
        );
    }
    progress.clear();
    Ok(IngestOutcome {
        database: db.display().to_string(),
        files: frames
            .iter()
            .zip(stats)
            .zip(ignored)
            .map(
                |((f, s), ignored_columns): ((&Frame, WriteStats), Vec<String>)| FileOutcome {
                    file: f.file.clone(),
                    kind: f.kind,
                    rows: s.rows,
                    inserted: s.inserted,
                    updated: s.updated,
                    unchanged: s.rows.saturating_sub(s.inserted + s.updated),
                    removed: s.removed,
                    ignored_columns,
                },
            )
            .collect(),
    })
}
