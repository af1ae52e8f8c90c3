//! Ingest, first step: the files a path stands for (a folder's data files), each read into text
//! cells with its hash, and its kind told from the header, `--kind`, or the tool that wrote it.

use crate::domain::Kind;
use crate::error::{Problem, Problems};
use crate::ingest::export;
use crate::ingest::export::ImportOptions;
use crate::ingest::read::{RawTable, read_csv, read_ndjson};
use crate::ingest::typing::Defaults;
use crate::ingest::typing::detect_kind;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The data files a path stands for: the file itself, or a folder's CSV and NDJSON files.
pub fn expand(paths: &[PathBuf], problems: &mut Problems) -> Vec<PathBuf> {
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
pub enum Format {
    Csv,
    Ndjson,
}

pub fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "csv" | "txt" | "tsv" => Some(Format::Csv),
        "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
        _ => None,
    }
}

/// A file read and recognised, not yet typed.
pub struct Loaded {
    pub raw: RawTable,
    pub kind: Kind,
    pub sha256: String,
    /// A native file (its unknown columns are reported as ignored).
    pub native: bool,
}

/// The tool that wrote a CSV file, when its header says so unambiguously.
pub fn sniff(path: &Path) -> Option<export::Source> {
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
pub fn load_import(
    path: &Path,
    import: &ImportOptions,
    kind: Option<Kind>,
    defaults: &Defaults,
    problems: &mut Problems,
) -> Vec<Loaded> {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::file(&name, format!("cannot be read: {e}")));
            return Vec::new();
        }
    };
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let tables = if import.map.is_empty() {
        let ctx = export::Context {
            options: import,
            team: defaults.team.as_deref(),
            settings: &defaults.settings,
        };
        export::import(&name, &bytes, &ctx, problems).unwrap_or_default()
    } else {
        export::mapped(&name, &bytes, &import.map, kind, problems)
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

pub fn load(path: &Path, kind: Option<Kind>, problems: &mut Problems) -> Option<Loaded> {
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
            Format::Csv => read_csv(&name, &bytes, problems),
            Format::Ndjson => read_ndjson(&name, &bytes, problems),
        };
        (hash.join().expect("hashing does not panic"), raw)
    });
    let raw = raw?;
    let kind = match kind.or_else(|| detect_kind(&raw.columns)) {
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

/// Reads every file: tool exports and mapped CSVs through their importer (a CSV whose header
/// fits exactly one tool too), native files as they are. Teams come first (they name the teams
/// the other files refer to), then decks (votes in the same run are checked against them), then
/// the rest in the order given.
pub fn read_all(
    files: &[PathBuf],
    kind: Option<Kind>,
    defaults: &Defaults,
    import: &ImportOptions,
    progress: &mut dyn FnMut(&str),
    problems: &mut Problems,
) -> Vec<Loaded> {
    let mut loaded: Vec<Loaded> = Vec::new();
    for f in files {
        progress(&format!("reading {}", f.display()));
        if import.active() {
            loaded.extend(load_import(f, import, kind, defaults, problems));
        } else if let Some(source) = kind.is_none().then(|| sniff(f)).flatten() {
            let mut sniffed = import.clone();
            sniffed.from = Some(source);
            loaded.extend(load_import(f, &sniffed, kind, defaults, problems));
        } else if let Some(l) = load(f, kind, problems) {
            loaded.push(l);
        }
    }
    loaded.sort_by_key(|l| match l.kind {
        Kind::Teams => 0,
        Kind::Decks => 1,
        _ => 2,
    });
    loaded
}
