//! Ingest as one call: files in, canonical frames out, validated, then one transaction into
//! the store.
//!
//! Every file is read, typed and checked before the database is opened for writing; a run with
//! any problem reports up to 20 of them and leaves the database exactly as it was.

use crate::domain::schema::{Frame, spec};
use crate::domain::{Deck, Kind};
use crate::error::{Error, Problems, Result};
use crate::ingest::decks::decks_in_frame;
use crate::ingest::export::ImportOptions;
use crate::ingest::files::{Expanded, expand, in_order, load_bytes, read_all};
use crate::ingest::frames::{DeckLookup, to_frame};
use crate::ingest::progress::Progress;
use crate::ingest::read::RawTable;
use crate::ingest::rules;
use crate::ingest::typing::Defaults;
use crate::settings::Settings;
use crate::store::live::KnownVotes;
use crate::store::writer::{self, Job, WriteCtx, Written};
use crate::store::{LogEntry, Store, WriteStats};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Called after reading, checking and writing with the time since the start (for tuning).
pub type Timing = fn(phase: &str, elapsed: Duration);

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
    pub import: ImportOptions,
    pub timing: Option<Timing>,
    /// Data sent in a request rather than named as files (e.g. a live round event), read
    /// after the files and checked and stored with them.
    pub inline: Vec<Inline>,
    /// Names to show (in problems, the summary and the ingest log) for files read from
    /// elsewhere than the user gave them, e.g. uploads kept in a scratch folder.
    pub labels: HashMap<PathBuf, String>,
    /// Where a synced source stands once this data is written: kept in the same transaction.
    pub marks: Vec<crate::store::merge::SyncMark>,
}

/// Native data in memory: its name in messages, kind, format and bytes.
#[derive(Debug, Clone)]
pub struct Inline {
    pub name: String,
    pub kind: Kind,
    pub format: crate::ingest::files::Format,
    pub bytes: Vec<u8>,
}

impl IngestRequest {
    /// The name a file is shown by.
    pub fn label(&self, path: &Path) -> String {
        self.labels
            .get(path)
            .cloned()
            .unwrap_or_else(|| path.display().to_string())
    }
}

/// What one file brought.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IngestOutcome {
    pub database: String,
    pub files: Vec<FileOutcome>,
    /// Files in the folders given that are not data files (not read), with the reason.
    pub skipped: Vec<String>,
    /// The teams whose rows the ingest wrote (for the server: which teams' pages to recompute).
    #[serde(skip)]
    pub teams: Vec<String>,
    /// What the user may want to look at, though stored: a new team named like a stored one but
    /// for case (team keys are exact: "Payments" makes a second team beside "payments"), a date
    /// far from any sprint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Notes on dates far from any sprint: before 1990 or more than two years after `today`, one
/// per file and column with its first such value's line (a start typed `0001-01-01` made
/// sprints a million days long). They are stored as given: old history and planned sprints
/// exist.
fn odd_date_notes(frames: &[Frame], today: chrono::NaiveDate) -> Vec<String> {
    use crate::ingest::values::{days_since_epoch, epoch_day};
    use duckdb::arrow::array::{Array, AsArray};
    use duckdb::arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMicrosecondType};
    // Days since 1970-01-01, as dates are stored.
    let lo = days_since_epoch(chrono::NaiveDate::from_ymd_opt(1990, 1, 1).expect("a valid day"));
    let hi = days_since_epoch(today + chrono::Duration::days(731));
    let mut notes = Vec::new();
    for f in frames {
        let schema = f.batch.schema();
        for (k, field) in schema.fields().iter().enumerate() {
            let col = f.batch.column(k);
            // The first row whose day (since 1970-01-01) is out of range, and how many are.
            let scan = |day: &dyn Fn(usize) -> Option<i32>| {
                let mut first = None;
                let mut n = 0usize;
                for i in 0..col.len() {
                    if let Some(d) = day(i).filter(|d| *d < lo || *d > hi) {
                        first.get_or_insert((i, d));
                        n += 1;
                    }
                }
                first.map(|f| (f, n))
            };
            let found = match field.data_type() {
                DataType::Date32 => {
                    let a = col.as_primitive::<Date32Type>();
                    scan(&|i| a.is_valid(i).then(|| a.value(i)))
                }
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    let a = col.as_primitive::<TimestampMicrosecondType>();
                    // The day count of any time chrono reads fits an i32.
                    scan(&|i| {
                        a.is_valid(i)
                            .then(|| a.value(i).div_euclid(86_400_000_000) as i32)
                    })
                }
                _ => None,
            };
            let Some(((row, day), count)) = found else {
                continue;
            };
            let shown = epoch_day(day);
            let more = match count {
                1 => String::new(),
                n => format!(" (and {} more in this column)", n - 1),
            };
            notes.push(format!(
                "{}:{}: column \"{}\": {shown} is {}{more}; stored as given (a typo?)",
                f.file,
                f.lines.get(row).copied().unwrap_or(0),
                field.name(),
                if day < lo {
                    "before 1990".to_string()
                } else {
                    format!("more than two years after today ({today})")
                },
            ));
        }
    }
    notes
}

/// A note for each team of `written` not in `stored` whose name differs from a stored team's
/// only by case (spaces around the new one aside: `--team " Payments"`).
fn look_alike_notes(written: &[String], stored: &[String]) -> Vec<String> {
    written
        .iter()
        .filter(|t| !stored.contains(t))
        .filter_map(|t| {
            let like = crate::error::same_but_case(stored.iter().map(String::as_str), t.trim())?;
            Some(format!(
                "team \"{}\" is new, beside \"{}\" (team names are exact: did you mean \"{}\"?)",
                crate::error::shown(t),
                crate::error::shown(like),
                crate::error::shown(like)
            ))
        })
        .collect()
}

/// Decks as this ingest sees them: the ones in its own decks files, then the store's.
struct Decks<'a> {
    from_files: HashMap<String, Deck>,
    from_store: HashMap<String, Deck>,
    settings: &'a Settings,
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
fn ignored_columns(raw: &RawTable, kind: Kind) -> Vec<String> {
    let spec = spec(kind);
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

/// Reads, checks and stores the files of one request, in one transaction, opening the store
/// at `db` (read-only while checking, for writing only once everything is clean).
pub fn ingest(db: &Path, req: &IngestRequest) -> Result<IngestOutcome> {
    run(Target::Path(db), req, None)
}

/// A file ingest as a job of the store's one writer (a server's ingest over HTTP, or a file
/// handed over by the command line): read, checked and stored in its own transaction, against
/// the store as the writer has it.
pub struct IngestJob {
    pub request: IngestRequest,
    pub reply: Box<dyn FnOnce(Result<IngestOutcome>) + Send>,
}

impl Job for IngestJob {
    fn run(self: Box<Self>, w: &mut WriteCtx<'_>) -> Written {
        // A file's votes are not learnt one by one: the next round event finds the generation
        // moved and reads what it needs of the store again.
        let out = run(Target::Open(w.store), &self.request, None);
        let written = match &out {
            Ok(o) => {
                // Files' rows into the database file now, while their answer is awaited anyway,
                // rather than at a later commit (a round event's). Refused while a page is
                // being read: then the writer does it when idle. A few rows sent inline (a
                // room's accepted estimate) wait for the writer's next idle checkpoint.
                if !self.request.paths.is_empty() {
                    let _ = w.store.checkpoint();
                }
                Written::Teams(o.teams.clone())
            }
            Err(_) => Written::Nothing,
        };
        let reply = self.reply;
        w.answer(move || reply(out));
        written
    }
}

/// The same for the live round writer, which knows the stored votes of the stories it writes
/// (prepared in `known` for every story of the request) and keeps that knowledge current.
pub fn ingest_known(
    store: &mut Store,
    req: &IngestRequest,
    known: &mut KnownVotes,
) -> Result<IngestOutcome> {
    run(Target::Open(store), req, Some(known))
}

/// Where an ingest writes.
enum Target<'a> {
    Path(&'a Path),
    Open(&'a mut Store),
}

fn run(
    target: Target,
    req: &IngestRequest,
    known: Option<&mut KnownVotes>,
) -> Result<IngestOutcome> {
    let db: PathBuf = match &target {
        Target::Path(p) => p.to_path_buf(),
        Target::Open(s) => s.path().to_path_buf(),
    };
    let db = db.as_path();
    let mut problems = Problems::default();
    let Expanded { files, skipped } = expand(&req.paths, &mut problems);
    if files.is_empty() && req.inline.is_empty() && problems.is_empty() {
        return Err(Error::Usage(
            "nothing to ingest: name one or more files or folders".into(),
        ));
    }
    let mut progress = Progress::new(req.progress, files.len() * 2 + 1);
    let t0 = Instant::now();
    let timing = |phase: &str| {
        if let Some(t) = req.timing {
            t(phase, t0.elapsed());
        }
    };
    let label = |p: &Path| req.label(p);
    let mut loaded = read_all(
        &files,
        &label,
        req.kind,
        &req.defaults,
        &req.import,
        &mut |what| progress.step(what),
        &mut problems,
    );
    if !req.inline.is_empty() {
        for i in &req.inline {
            loaded.extend(load_bytes(
                &i.name,
                &i.bytes,
                i.format,
                Some(i.kind),
                req.import.encoding,
                &mut problems,
            ));
        }
        in_order(&mut loaded);
    }
    timing("read");
    // The store as it is, read without the right to write: its decks, and later what the
    // rules across files and stored rows need.
    let opened = match &target {
        Target::Path(p) => Store::open_read_only(p)?,
        Target::Open(_) => None,
    };
    let stored: Option<&Store> = match &target {
        Target::Open(s) => Some(&**s),
        Target::Path(_) => opened.as_ref(),
    };
    // The stored teams, for the notes on new teams named like them.
    let stored_teams: Vec<String> = match (known.as_deref().and_then(|k| k.teams()), stored) {
        (Some(teams), _) => teams.iter().cloned().collect(),
        (None, Some(store)) => store.teams()?.into_iter().map(|(t, _)| t).collect(),
        (None, None) => Vec::new(),
    };
    let from_store = match (known.as_deref().and_then(|k| k.decks()), stored) {
        (Some(decks), _) => decks.clone(),
        (None, Some(store)) => store.decks()?,
        (None, None) => HashMap::new(),
    };
    let mut decks = Decks {
        from_files: HashMap::new(),
        from_store,
        settings: &req.defaults.settings,
    };

    let mut frames: Vec<Frame> = Vec::new();
    let mut log: Vec<LogEntry> = Vec::new();
    let mut ignored: Vec<Vec<String>> = Vec::new();
    let mut read_notes: Vec<String> = Vec::new();
    // Each file's text cells are dropped as soon as its frame is made.
    for mut l in loaded {
        read_notes.append(&mut l.notes);
        progress.step(&format!(
            "checking {} ({} rows)",
            l.raw.file,
            l.raw.height()
        ));
        if let Some(frame) = to_frame(&l.raw, l.kind, &req.defaults, &decks, &mut problems) {
            if frame.kind == Kind::Decks {
                decks.from_files.extend(decks_in_frame(&frame));
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
    if problems.is_empty() {
        rules::check(&frames, stored, &mut problems)?;
    }
    // The read-only connection goes before the one that writes.
    drop(opened);
    if !problems.is_empty() {
        progress.clear();
        return Err(Error::Input(problems));
    }
    timing("checked");
    progress.step(&format!("writing {}", db.display()));
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
    let stats = match target {
        Target::Open(store) => store.write(&frames, &log, &default_decks, known, &req.marks)?,
        Target::Path(p) => {
            // Checked: now through a writer of its own on the store opened for writing.
            let store = Store::open(p)?;
            timing("opened");
            let decks = default_decks.clone();
            let marks = req.marks.clone();
            // What the writer knows of the stored votes is for live rounds: a command's writer
            // ends with it.
            let (back, stats) = writer::once(store, move |w| {
                let stats = w.store.write(&frames, &log, &decks, None, &marks)?;
                Ok((frames, stats))
            })?;
            frames = back;
            stats
        }
    };
    timing("written");
    progress.clear();
    let mut teams: Vec<String> = frames
        .iter()
        .flat_map(|f| f.teams.keys().cloned())
        .chain(default_decks.iter().map(|(t, _)| t.clone()))
        .collect();
    teams.sort();
    teams.dedup();
    Ok(IngestOutcome {
        database: db.display().to_string(),
        skipped,
        notes: read_notes
            .into_iter()
            .chain(look_alike_notes(&teams, &stored_teams))
            .chain(odd_date_notes(&frames, chrono::Local::now().date_naive()))
            .collect(),
        teams,
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
