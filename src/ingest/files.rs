//! Ingest, first step: the files a path stands for (a folder's data files), each read into text
//! cells with its hash, and its kind told from the header, `--kind`, or the tool that wrote it.

use crate::domain::Kind;
use crate::error::{Problem, Problems, shown_list};
use crate::ingest::export;
use crate::ingest::export::ImportOptions;
use crate::ingest::read::{Encoding, RawTable, read_csv, read_ndjson};
use crate::ingest::typing::Defaults;
use crate::ingest::typing::detect_kind;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The extensions a folder's data files have; other files in a folder are skipped (and named).
pub const FOLDER_EXTENSIONS: [&str; 3] = ["csv", "ndjson", "jsonl"];

/// The files of a call, and what was left out of its folders.
#[derive(Debug, Default)]
pub struct Expanded {
    pub files: Vec<PathBuf>,
    /// Files in the folders given that are not data files, with the reason.
    pub skipped: Vec<String>,
}

/// Why a path cannot be read, in words: missing, a link to nothing, a loop of links, ...
fn unreadable(p: &Path, e: &std::io::Error) -> String {
    let dangling = std::fs::symlink_metadata(p).is_ok();
    match e.kind() {
        std::io::ErrorKind::NotFound if dangling => {
            "is a link to a file that does not exist".to_string()
        }
        std::io::ErrorKind::NotFound => "the file does not exist".to_string(),
        std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".to_string(),
        _ if e.raw_os_error() == Some(40) => {
            "cannot be read: it is a loop of symbolic links".to_string()
        }
        _ => format!("cannot be read: {e}"),
    }
}

/// The data files a path stands for: the file itself, or a folder's `.csv`, `.ndjson` and
/// `.jsonl` files (in name order; anything else in the folder is skipped and named).
pub fn expand(paths: &[PathBuf], problems: &mut Problems) -> Expanded {
    let mut out = Expanded::default();
    for p in paths {
        let name = p.display().to_string();
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                problems.push(Problem::file(&name, unreadable(p, &e)));
                continue;
            }
        };
        if !meta.is_dir() {
            if meta.is_file() {
                out.files.push(p.clone());
            } else {
                problems.push(Problem::file(
                    &name,
                    "is not a file (a device, socket or pipe?); name a file or a folder",
                ));
            }
            continue;
        }
        let entries = match std::fs::read_dir(p) {
            Ok(rd) => rd,
            Err(e) => {
                problems.push(Problem::file(&name, format!("cannot read the folder: {e}")));
                continue;
            }
        };
        let mut found = Vec::new();
        let mut skipped = Vec::new();
        for e in entries {
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    problems.push(Problem::file(
                        &name,
                        format!("cannot read the folder: {err}"),
                    ));
                    continue;
                }
            };
            let f = e.path();
            let ext = f
                .extension()
                .and_then(|x| x.to_str())
                .map(|x| x.to_ascii_lowercase());
            let data = ext
                .as_deref()
                .is_some_and(|x| FOLDER_EXTENSIONS.contains(&x));
            match std::fs::metadata(&f) {
                Ok(m) if m.is_file() && data => found.push(f),
                Ok(m) if m.is_dir() => skipped.push(format!("{} (a folder)", f.display())),
                Ok(_) if data => skipped.push(format!("{} (not a regular file)", f.display())),
                Ok(_) => skipped.push(format!(
                    "{} (not a .csv, .ndjson or .jsonl file)",
                    f.display()
                )),
                Err(err) if data => problems.push(Problem::file(
                    &f.display().to_string(),
                    unreadable(&f, &err),
                )),
                Err(_) => skipped.push(format!("{} (cannot be read)", f.display())),
            }
        }
        found.sort();
        skipped.sort();
        if found.is_empty() {
            problems.push(Problem::file(
                &name,
                "the folder holds no .csv, .ndjson or .jsonl files",
            ));
        }
        out.files.extend(found);
        out.skipped.extend(skipped);
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// What the importer noted about the file (read leniently, left out).
    pub notes: Vec<String>,
}

/// The tool that wrote a file: a CSV whose header says so unambiguously, or a saved
/// Parabol meeting, Poinz room or Thunderdome game.
pub fn sniff(path: &Path, encoding: Encoding) -> Option<export::Source> {
    use std::io::Read;
    // A `.json` file holding one saved meeting, room or game (not NDJSON rows).
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        let bytes = std::fs::read(path).ok()?;
        if export::parabol::json::recognises(&bytes) {
            return Some(export::Source::Parabol);
        }
        if export::poinz::recognises(&bytes) {
            return Some(export::Source::Poinz);
        }
        return export::thunderdome::recognises(&bytes).then_some(export::Source::Thunderdome);
    }
    // A file without a data extension named on the command line is read as CSV.
    if format_of(path).unwrap_or(Format::Csv) != Format::Csv {
        return None;
    }
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(256 * 1024)
        .read_to_end(&mut head)
        .ok()?;
    // A UTF-16 file's head: its whole lines (cut at a line's end, so that it decodes).
    let newline: Option<[u8; 2]> = match head.as_slice() {
        [0xFF, 0xFE, ..] => Some([b'\n', 0]),
        [0xFE, 0xFF, ..] => Some([0, b'\n']),
        _ => None,
    };
    if let Some(nl) = newline {
        let end = (2..head.len().saturating_sub(1))
            .step_by(2)
            .rev()
            .find(|&k| head[k..k + 2] == nl)
            .unwrap_or(head.len() & !1);
        head.truncate(end);
    }
    let head = crate::ingest::read::decode(&head, encoding).into_owned();
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    // The header line, after blank lines or a `sep=` line (which names the separator).
    let pre = crate::ingest::read::preamble(head);
    let line = &head[pre.skip..];
    let end = line.iter().position(|b| *b == b'\n').unwrap_or(line.len());
    // planningpoker.live's layout, which CSV cannot read (unescaped quotes in its cells).
    if let Ok(header) = std::str::from_utf8(&line[..end])
        && export::wide::recognises(header, pre.separator(head))
    {
        return Some(export::Source::Wide);
    }
    let mut quiet = Problems::default();
    let r = export::read_records(
        "",
        &head[..pre.skip + end],
        &|h: &[String]| vec![false; h.len()],
        &mut quiet,
    )?;
    export::detect(&r.header)
}

/// Reads a tool export or a mapped CSV into canonical tables.
pub fn load_import(
    path: &Path,
    name: &str,
    import: &ImportOptions,
    kind: Option<Kind>,
    defaults: &Defaults,
    problems: &mut Problems,
) -> Vec<Loaded> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::file(name, format!("cannot be read: {e}")));
            return Vec::new();
        }
    };
    let text = match crate::ingest::read::text_of(name, &bytes, import.encoding) {
        Ok(t) => t,
        Err(p) => {
            problems.push(p);
            return Vec::new();
        }
    };
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let bytes: &[u8] = &text;
    let json = format_of(path) == Some(Format::Ndjson);
    let ctx = export::Context::new(import, defaults.team.as_deref(), &defaults.settings);
    let tables = if import.from == Some(export::Source::Thunderdome) {
        export::thunderdome::import(name, bytes, &ctx, problems).unwrap_or_default()
    } else if import.from == Some(export::Source::Poinz) {
        export::poinz::import(name, bytes, &ctx, problems).unwrap_or_default()
    } else if import.from == Some(export::Source::Wide) {
        export::wide::import(name, bytes, &ctx, problems).unwrap_or_default()
    } else if import.from == Some(export::Source::Parabol) && json {
        export::parabol::json::import(name, bytes, &ctx, problems).unwrap_or_default()
    } else if import.map.is_empty() {
        export::import(name, bytes, &ctx, problems).unwrap_or_default()
    } else {
        export::mapped(name, bytes, &import.map, kind, problems)
            .into_iter()
            .map(|(kind, mut raw)| {
                raw.date_format = import.date_format.clone();
                (kind, raw)
            })
            .collect()
    };
    let mut notes = ctx.notes.take();
    let mut loaded: Vec<Loaded> = tables
        .into_iter()
        .map(|(kind, raw)| Loaded {
            raw,
            kind,
            sha256: sha256.clone(),
            native: false,
            notes: Vec::new(),
        })
        .collect();
    // The file's notes ride with its first table (or are dropped with a refused file).
    if let Some(first) = loaded.first_mut() {
        first.notes.append(&mut notes);
    }
    loaded
}

pub fn load(
    path: &Path,
    name: &str,
    kind: Option<Kind>,
    encoding: Encoding,
    problems: &mut Problems,
) -> Option<Loaded> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::file(name, format!("cannot be read: {e}")));
            return None;
        }
    };
    load_bytes(
        name,
        &bytes,
        format_of(path).unwrap_or(Format::Csv),
        kind,
        encoding,
        problems,
    )
}

/// A native file's bytes, read as `format` (a file or data sent in a request).
pub fn load_bytes(
    name: &str,
    bytes: &[u8],
    format: Format,
    kind: Option<Kind>,
    encoding: Encoding,
    problems: &mut Problems,
) -> Option<Loaded> {
    let text = match crate::ingest::read::text_of(name, bytes, encoding) {
        Ok(t) => t,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    // The hash is taken beside the parse, on the other core.
    let (sha256, raw) = std::thread::scope(|scope| {
        let hash = scope.spawn(|| format!("{:x}", Sha256::digest(bytes)));
        let raw = match format {
            Format::Csv => read_csv(name, &text, problems),
            Format::Ndjson => read_ndjson(name, &text, problems),
        };
        (hash.join().expect("hashing does not panic"), raw)
    });
    let raw = raw?;
    let kind = match kind.or_else(|| detect_kind(&raw.columns)) {
        Some(k) => k,
        None => {
            problems.push(Problem::at(
                name,
                raw.header_line,
                None,
                format!(
                    "cannot tell what this file holds from its header ({}); name it with --kind ({})",
                    shown_list(&raw.columns, 30),
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
        notes: Vec::new(),
    })
}

/// Reads every file: tool exports and mapped CSVs through their importer (a CSV whose header
/// fits exactly one tool too), native files as they are. Teams come first (they name the teams
/// the other files refer to), then decks (votes in the same run are checked against them), then
/// the rest in the order given.
pub fn read_all(
    files: &[PathBuf],
    label: &dyn Fn(&Path) -> String,
    kind: Option<Kind>,
    defaults: &Defaults,
    import: &ImportOptions,
    progress: &mut dyn FnMut(&str),
    problems: &mut Problems,
) -> Vec<Loaded> {
    let mut loaded: Vec<Loaded> = Vec::new();
    for f in files {
        let name = label(f);
        progress(&format!("reading {name}"));
        if import.active() {
            loaded.extend(load_import(f, &name, import, kind, defaults, problems));
        } else if let Some(source) = kind.is_none().then(|| sniff(f, import.encoding)).flatten() {
            let mut sniffed = import.clone();
            sniffed.from = Some(source);
            loaded.extend(load_import(f, &name, &sniffed, kind, defaults, problems));
        } else if let Some(mut l) = load(f, &name, kind, import.encoding, problems) {
            l.raw.date_format = import.date_format.clone();
            loaded.push(l);
        }
    }
    in_order(&mut loaded);
    loaded
}

/// Teams first (they name the teams the other files refer to), then decks (votes in the same
/// run are checked against them), then the rest in the order given.
pub fn in_order(loaded: &mut [Loaded]) {
    loaded.sort_by_key(|l| match l.kind {
        Kind::Teams => 0,
        Kind::Decks => 1,
        _ => 2,
    });
}
