//! One writer per database: a `sprintlens ingest` finds the server that serves its database
//! (its address file beside the database, or `--server`) and sends it the files; without a
//! server it opens the database itself, waiting its turn while another process holds it.
//!
//! The client is a small HTTP/1.1 one over a plain socket (the server speaks plain HTTP; put
//! TLS in front of it when it leaves the machine).

use crate::error::{Error, Problems, Result};
use crate::ingest::IngestOutcome;
use crate::ingest::files::expand;
use crate::store::Store;
use crate::web::server::{Address, address_path};
use crate::web::upload::Refusal;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
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
    let path = address_path(db);
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(None);
    };
    let Ok(a) = serde_json::from_slice::<Address>(&bytes) else {
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
    let auth = format!("Bearer {}", server.token);
    let (status, answer) = request(
        &server.url,
        "POST",
        &format!("/api/v1/ingest{query}"),
        &[("Content-Type", &content_type), ("Authorization", &auth)],
        &body,
        Duration::from_secs(3600),
    )?;
    let refusal = || {
        serde_json::from_slice::<Refusal>(&answer)
            .map(|r| r.error)
            .unwrap_or_else(|_| String::from_utf8_lossy(&answer).chars().take(300).collect())
    };
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

/// The store opened for writing by a server; a database another server serves is named.
pub fn open_for_writing(db: &Path) -> Result<Store> {
    Store::open(db).map_err(|e| match e {
        Error::Busy { path, pid } => {
            let serving = std::fs::read(address_path(&path))
                .ok()
                .and_then(|b| serde_json::from_slice::<Address>(&b).ok())
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

/// One HTTP/1.1 request on a fresh connection; the status and the body of the answer.
pub fn request(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<(u16, Vec<u8>)> {
    let bad = |m: String| Error::Usage(format!("--server {url}: {m}"));
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        bad("expected http://HOST:PORT (for https, reach the server through its own host or a tunnel)".into())
    })?;
    let (host, prefix) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let hostport = if host.contains(':') && !host.ends_with(']') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let addr = hostport
        .to_socket_addrs()
        .map_err(|e| bad(format!("cannot resolve the host: {e}")))?
        .next()
        .ok_or_else(|| bad("the host has no address".into()))?;
    let unreachable = |e: std::io::Error| Error::Store {
        path: url.into(),
        message: format!("cannot reach the server: {e}"),
    };
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(unreachable)?;
    s.set_read_timeout(Some(timeout)).map_err(unreachable)?;
    s.set_write_timeout(Some(timeout)).map_err(unreachable)?;
    let mut head = format!(
        "{method} {prefix}{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).map_err(unreachable)?;
    // A server that refuses early (401, 413) may close before the whole body is sent; its
    // answer is still read.
    let sent = s.write_all(body);
    let mut answer = Vec::new();
    let read = s.read_to_end(&mut answer);
    if answer.is_empty() {
        sent.and(read.map(|_| ())).map_err(unreachable)?;
    }
    parse_response(&answer).ok_or_else(|| Error::Store {
        path: url.into(),
        message: "the server's answer is not HTTP".into(),
    })
}

/// Status and body of an HTTP/1.1 answer (length-delimited, chunked, or up to the close).
fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = &raw[end + 4..];
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if !chunked {
        return Some((status, body.to_vec()));
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some((status, out));
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_whole_or_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        assert_eq!(parse_response(plain), Some((200, b"ok".to_vec())));
        let chunked =
            b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Some((400, b"abcde".to_vec())));
        assert_eq!(parse_response(b"garbage"), None);
    }

    #[test]
    fn only_plain_http_addresses_are_taken() {
        let e = request("https://x", "GET", "/", &[], &[], Duration::from_secs(1)).unwrap_err();
        assert!(e.to_string().contains("expected http://"), "{e}");
    }
}
