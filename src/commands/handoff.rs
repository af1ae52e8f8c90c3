//! One writer per database: a `sprintlens ingest` finds the server that serves its database
//! (its address file beside the database, or `--server`) and sends it the files; without a
//! server it opens the database itself, waiting its turn while another process holds it.

use crate::error::{Error, Problems, Result};
use crate::ingest::IngestOutcome;
use crate::ingest::files::expand;
use crate::present::requests::{Answered, Asked};
use crate::store::Store;
use crate::web::client::request;
use crate::web::server::{Address, address_path};
use crate::web::upload::Refusal;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A server to send files to.
#[derive(Debug, Clone)]
pub struct Server {
    pub url: String,
    pub token: String,
    /// Found through the address file (not named by the user).
    pub found: bool,
}

/// The server to send to: `--server` (with a token), else the one serving `db` if it answers.
pub fn server_for(
    db: &Path,
    explicit: Option<&str>,
    token: Option<&str>,
) -> Result<Option<Server>> {
    if let Some(url) = explicit {
        let token = token.ok_or_else(|| {
            Error::Usage(format!(
                "--server {url}: sending data needs an ingest token (--token or SPRINTLENS_TOKEN)"
            ))
        })?;
        return Ok(Some(Server {
            url: url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            found: false,
        }));
    }
    let Some(a) = address_of(db) else {
        return Ok(None);
    };
    // A file left by a server that was killed names an address nobody answers on.
    let alive = request(&a.url, "GET", "/healthz", &[], &[], Duration::from_secs(2))
        .map(|(status, _)| status == 200)
        .unwrap_or(false);
    Ok(alive.then(|| Server {
        url: a.url,
        token: token.map(str::to_string).unwrap_or(a.secret),
        found: true,
    }))
}

/// Sends the files (folders expanded here, as a local ingest would) in one request: the
/// server stores all of them or none.
/// `query` carries the ingest flags (`?kind=...`).
pub fn send(
    server: &Server,
    paths: &[PathBuf],
    query: &str,
    progress: bool,
    db: &Path,
) -> Result<IngestOutcome> {
    let mut problems = Problems::default();
    let expanded = expand(paths, &mut problems);
    problems.into_result()?;
    if expanded.files.is_empty() {
        return Err(Error::Usage(
            "nothing to ingest: name one or more files or folders".into(),
        ));
    }
    let mut boundary = crate::web::tokens::new_secret()?;
    boundary.insert_str(0, "----sprintlens");
    let mut body = Vec::new();
    for f in &expanded.files {
        let bytes = std::fs::read(f).map_err(Error::io(f, "cannot be read"))?;
        let label: String = f
            .display()
            .to_string()
            .chars()
            .map(|c| if c == '"' || c.is_control() { '_' } else { c })
            .collect();
        let ndjson = matches!(
            crate::ingest::files::format_of(f),
            Some(crate::ingest::files::Format::Ndjson)
        );
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{label}\"\r\nContent-Type: {}\r\n\r\n",
                if ndjson { "application/x-ndjson" } else { "text/csv" }
            )
            .as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    if progress {
        eprintln!(
            "{} is served by sprintlens at {}; sending {} file{} there",
            db.display(),
            server.url,
            expanded.files.len(),
            if expanded.files.len() == 1 { "" } else { "s" }
        );
    }
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let (status, answer) = post(
        server,
        &format!("/api/v1/ingest{query}"),
        &content_type,
        &body,
    )?;
    let refusal = || refusal_text(&answer);
    match status {
        200 => {
            let mut outcome: IngestOutcome = serde_json::from_slice(&answer).map_err(|e| {
                Error::Internal(format!("the server's answer is not an ingest summary: {e}"))
            })?;
            outcome.database = format!("{} (through the server at {})", db.display(), server.url);
            outcome.skipped = expanded.skipped;
            Ok(outcome)
        }
        400 => match serde_json::from_slice::<Refusal>(&answer) {
            Ok(r) if !r.problems.is_empty() => Err(Error::Input(Problems {
                total: r.total.max(r.problems.len()),
                list: r.problems,
            })),
            Ok(r) => Err(Error::Usage(r.error)),
            Err(_) => Err(Error::Usage(refusal())),
        },
        401 | 403 => Err(Error::Usage(format!(
            "the server at {} refused the token: {}{}",
            server.url,
            refusal(),
            if server.found {
                ""
            } else {
                " (an ingest token: sprintlens token add NAME --scope ingest)"
            }
        ))),
        413 => Err(Error::Usage(format!(
            "the server at {} takes smaller uploads ({} bytes sent); raise its max_upload_mib or \
             send fewer files at once; nothing was stored",
            server.url,
            body.len()
        ))),
        s => Err(Error::Store {
            path: db.to_path_buf(),
            message: format!(
                "the server at {} answered {s}: {}; nothing was stored",
                server.url,
                refusal()
            ),
        }),
    }
}

/// Asks the server for a report and prints its answer to `out`: the answer's first line is
/// what it gave besides the output (notes, a report's pages), the rest the output as the
/// command prints it.
pub fn ask(server: &Server, asked: &Asked, db: &Path, out: &mut dyn Write) -> Result<Answered> {
    let body = serde_json::to_vec(asked)
        .map_err(|e| Error::Internal(format!("cannot write the request: {e}")))?;
    let (status, answer) = post(server, crate::web::reports::PATH, "application/json", &body)?;
    let refusal = || refusal_text(&answer);
    match status {
        200 => {
            let end = answer
                .iter()
                .position(|b| *b == b'\n')
                .unwrap_or(answer.len());
            let answered: Answered = serde_json::from_slice(&answer[..end]).map_err(|e| {
                Error::Internal(format!("the server's answer is not a report's: {e}"))
            })?;
            out.write_all(answer.get(end + 1..).unwrap_or_default())
                .map_err(Error::io("<stdout>", "cannot write the output"))?;
            Ok(answered)
        }
        400 | 404 => Err(Error::Usage(refusal())),
        s => Err(Error::Store {
            path: db.to_path_buf(),
            message: format!(
                "is served by sprintlens at {}, which answered {s}: {}",
                server.url,
                refusal()
            ),
        }),
    }
}

/// A POST to the server with its token: the status and the body of the answer.
fn post(server: &Server, path: &str, content_type: &str, body: &[u8]) -> Result<(u16, Vec<u8>)> {
    let auth = format!("Bearer {}", server.token);
    request(
        &server.url,
        "POST",
        path,
        &[("Content-Type", content_type), ("Authorization", &auth)],
        body,
        Duration::from_secs(3600),
    )
}

/// What a refusal says: its `error`, else the start of the answer as text.
fn refusal_text(answer: &[u8]) -> String {
    serde_json::from_slice::<Refusal>(answer)
        .map(|r| r.error)
        .unwrap_or_else(|_| String::from_utf8_lossy(answer).chars().take(300).collect())
}

/// Runs `f` (which opens the database) and, while another process holds the database, tries
/// again until `wait` has passed, saying once that it waits.
pub fn when_free<T>(db: &Path, wait: Duration, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let deadline = Instant::now() + wait;
    let mut said = false;
    loop {
        match f() {
            Err(Error::Busy { pid, .. }) if Instant::now() < deadline => {
                if !said {
                    eprintln!(
                        "{} is in use by another process{}; waiting up to {} s for it",
                        db.display(),
                        pid.map(|p| format!(" (PID {p})")).unwrap_or_default(),
                        wait.as_secs()
                    );
                    said = true;
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(Error::Busy { path, pid }) => {
                return Err(Error::Store {
                    path,
                    message: format!(
                        "still in use by another process{} after {} s; gave up, nothing was \
                         written (wait longer with --wait SECONDS, or stop that process)",
                        pid.map(|p| format!(" (PID {p})")).unwrap_or_default(),
                        wait.as_secs()
                    ),
                });
            }
            other => return other,
        }
    }
}

/// What the address file beside `db` says, if there is a readable one.
fn address_of(db: &Path) -> Option<Address> {
    let bytes = std::fs::read(address_path(db)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A database held by a running server: say where its reports are instead.
pub fn served_elsewhere(e: Error) -> Error {
    let Error::Busy { path, pid } = e else {
        return e;
    };
    match address_of(&path) {
        Some(a) => Error::Store {
            message: format!(
                "is served by sprintlens at {} (PID {}), which alone may open it: read the \
                 reports there (the pages, or their JSON under {}/api/), send data with \
                 `sprintlens ingest` (it goes through the server), or stop the server",
                a.url, a.pid, a.url
            ),
            path,
        },
        None => Error::Busy { path, pid },
    }
}

/// The store opened for writing by a server; a database another server serves is named.
pub fn open_for_writing(db: &Path) -> Result<Store> {
    Store::open(db).map_err(|e| match e {
        Error::Busy { path, pid } => {
            let serving = address_of(&path)
                .map(|a| format!(" (sprintlens serves it at {})", a.url))
                .unwrap_or_default();
            Error::Store {
                path,
                message: format!(
                    "is in use by another process{}{serving}; one server per database",
                    pid.map(|p| format!(" (PID {p})")).unwrap_or_default()
                ),
            }
        }
        e => e,
    })
}
