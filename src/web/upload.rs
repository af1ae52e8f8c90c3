//! `POST /api/v1/ingest`: data sent to a running server, checked and stored exactly as
//! `sprintlens ingest` does it (same rules, one transaction through the server's one writer).
//!
//! The body is one file (`Content-Type: text/csv` or `application/x-ndjson`; `?name=` names it
//! in messages) or several as `multipart/form-data` (each part's file name names it). The
//! query takes the CLI's flags: `kind`, `team`, `program`, `from`, `points_field`,
//! `date_format`, `map`. The answer is the CLI's summary as JSON; bad input is a 400 whose
//! `problems` name file, line and column, and nothing is stored.

use crate::error::{Error, Problem, shown};
use crate::ingest::export::ImportOptions;
use crate::ingest::export::parse_map;
use crate::ingest::flags as values;
use crate::ingest::typing::Defaults;
use crate::ingest::{IngestJob, IngestRequest};
use crate::store::writer::Refused;
use crate::web::query::Q;
use crate::web::state::Shared;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The default bound of one ingest's body.
pub const DEFAULT_MAX_UPLOAD: usize = 64 << 20;

/// What a refused ingest answers: the message, and the problems of the input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refusal {
    pub error: String,
    #[serde(default)]
    pub problems: Vec<Problem>,
    /// All problems found (only the first ones are listed).
    #[serde(default)]
    pub total: usize,
}

/// A refusal without input problems, as JSON.
pub fn refuse(status: StatusCode, error: impl Into<String>) -> Response {
    (
        status,
        Json(Refusal {
            error: error.into(),
            problems: Vec::new(),
            total: 0,
        }),
    )
        .into_response()
}

impl Refusal {
    /// The status and body for an ingest that failed; internals go to the log only.
    pub fn from_error(e: Error) -> (StatusCode, Refusal) {
        let plain = |error: String| Refusal {
            error,
            problems: Vec::new(),
            total: 0,
        };
        match e {
            Error::Input(p) => (
                StatusCode::BAD_REQUEST,
                Refusal {
                    error: Error::Input(p.clone()).to_string(),
                    total: p.total,
                    problems: p.list,
                },
            ),
            Error::Usage(m) => (StatusCode::BAD_REQUEST, plain(m)),
            other => {
                tracing::error!(error = %crate::error::cause_chain(&other), "ingest failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    plain(
                        "the ingest failed on the server; nothing was stored (the details are \
                         in the server's log)"
                            .into(),
                    ),
                )
            }
        }
    }

    /// The answer for an ingest that failed.
    fn of(e: Error) -> Response {
        let (status, r) = Refusal::from_error(e);
        (status, Json(r)).into_response()
    }
}

/// The CLI's flags, from the query.
fn options(
    q: &HashMap<String, String>,
    defaults: &mut Defaults,
) -> Result<(Option<crate::domain::Kind>, ImportOptions), String> {
    const KNOWN: [&str; 9] = [
        "kind",
        "team",
        "program",
        "from",
        "points_field",
        "date_format",
        "encoding",
        "map",
        "name",
    ];
    if let Some(k) = q.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!(
            "unknown parameter \"{}\"; this takes {}",
            shown(k),
            KNOWN.join(", ")
        ));
    }
    // Named as the query gives them (`kind=pizzas`), not as the command line's flags.
    let kind = q
        .get("kind")
        .map(|k| values::kind_as(k, "kind="))
        .transpose()?;
    defaults.team = q.get("team").map(|t| values::name(t)).transpose()?;
    defaults.program = q.get("program").map(|p| values::name(p)).transpose()?;
    let import = ImportOptions {
        from: q
            .get("from")
            .map(|s| values::source_as(s, "from="))
            .transpose()?,
        points_field: q.get("points_field").cloned(),
        date_format: q
            .get("date_format")
            .map(|d| values::date_format_as(d, "date_format="))
            .transpose()?,
        map: q
            .get("map")
            .map(|m| parse_map(m))
            .transpose()?
            .unwrap_or_default(),
        encoding: q
            .get("encoding")
            .map(|e| values::encoding_as(e, "encoding="))
            .transpose()?
            .unwrap_or_default(),
    };
    Ok((kind, import))
}

/// A scratch folder for one request's files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Scratch> {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("sprintlens-upload-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Removes the scratch folders of servers that are no longer running (one killed in the middle
/// of an ingest cannot remove its own). Where the system cannot tell whether a process runs
/// (no `/proc`), nothing is removed.
pub fn remove_stale_scratch() {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix("sprintlens-upload-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !proc.join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The formats a body can be in, by content type.
fn format_of(content_type: &str) -> Option<&'static str> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "text/csv" | "application/csv" | "text/plain" => Some("csv"),
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "application/json" => Some("ndjson"),
        _ => None,
    }
}

/// A file name safe to write in the scratch folder, keeping the extension that tells the
/// format (or giving one).
fn scratch_name(i: usize, given: &str, fallback_ext: &str) -> String {
    let base = Path::new(given)
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut safe: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let known = Path::new(&safe)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| {
            ["csv", "txt", "tsv", "ndjson", "jsonl", "json"]
                .contains(&e.to_ascii_lowercase().as_str())
        });
    if !known {
        safe.push('.');
        safe.push_str(fallback_ext);
    }
    format!("{i}-{safe}")
}

/// The files of the request, written to the scratch folder: (path, the name to show).
async fn receive(
    req: Request,
    scratch: &Scratch,
    name: Option<&str>,
) -> Result<Vec<(PathBuf, String)>, (StatusCode, String)> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let write = |i: usize, given: &str, ext: &str, bytes: &[u8]| {
        let path = scratch.0.join(scratch_name(i, given, ext));
        std::fs::write(&path, bytes).map(|_| path).map_err(|e| {
            tracing::error!(error = %e, "cannot keep an upload in the scratch folder");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot keep the upload".to_string(),
            )
        })
    };
    if content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        let mut parts = Multipart::from_request(req, &())
            .await
            .map_err(|e| (e.status(), e.body_text()))?;
        let mut files = Vec::new();
        loop {
            let field = match parts.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return Err((e.status(), e.body_text())),
            };
            let i = files.len() + 1;
            let given = field
                .file_name()
                .map(str::to_string)
                .unwrap_or_else(|| format!("upload-{i}"));
            let ext = field.content_type().and_then(format_of).unwrap_or("csv");
            let bytes = field
                .bytes()
                .await
                .map_err(|e| (e.status(), e.body_text()))?;
            files.push((write(i, &given, ext, &bytes)?, given));
        }
        if files.is_empty() {
            return Err((
                StatusCode::BAD_REQUEST,
                "the form holds no file; send one part per file".into(),
            ));
        }
        return Ok(files);
    }
    let Some(ext) = format_of(&content_type) else {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type \"{}\": send text/csv, application/x-ndjson, or several files as \
                 multipart/form-data",
                shown(&content_type)
            ),
        ));
    };
    let bytes = Bytes::from_request(req, &())
        .await
        .map_err(|e| (e.status(), e.body_text()))?;
    let given = name
        .map(str::to_string)
        .unwrap_or_else(|| format!("upload.{ext}"));
    Ok(vec![(write(1, &given, ext, &bytes)?, given)])
}

/// The handler.
pub async fn ingest(State(state): State<Shared>, Q(q): Q, req: Request) -> Response {
    let mut defaults = Defaults {
        settings: state.settings().clone(),
        ..Default::default()
    };
    let (kind, import) = match options(&q, &mut defaults) {
        Ok(o) => o,
        Err(m) => return refuse(StatusCode::BAD_REQUEST, m),
    };
    let scratch = match Scratch::new() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot make a scratch folder");
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "cannot keep the upload");
        }
    };
    let files = match receive(req, &scratch, q.get("name").map(String::as_str)).await {
        Ok(f) => f,
        Err((status, message)) => return refuse(status, message),
    };
    let request = IngestRequest {
        paths: files.iter().map(|(p, _)| p.clone()).collect(),
        kind,
        defaults,
        import,
        labels: files.into_iter().collect(),
        ..Default::default()
    };
    // The ingest runs to its end even if the client goes away or the server is stopping: the
    // job holds the scratch folder until it is done.
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = IngestJob {
        request,
        reply: Box::new(move |out| {
            drop(scratch);
            let _ = reply.send(out);
        }),
    };
    if let Err(why) = state.writer().try_submit(Box::new(job)) {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            match why {
                Refused::Busy => "too many writes waiting; send it again shortly",
                Refused::Stopped => "the store's writer stopped",
            },
        );
    }
    match answer.await {
        Ok(Ok(outcome)) => Json(outcome).into_response(),
        Ok(Err(e)) => Refusal::of(e),
        Err(_) => Refusal::of(Error::Internal("the store's writer stopped".into())),
    }
}
