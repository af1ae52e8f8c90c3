//! Helpers for the integration tests: the real binary, scratch folders, database fingerprints.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the real `sprintlens` binary with a database of its own and no inherited settings.
pub fn sprintlens(db: &Path, args: &[&str]) -> Run {
    sprintlens_in(None, db, args)
}

/// Like [`sprintlens`], in the folder `cwd` when given (for relative paths in the output).
pub fn sprintlens_in(cwd: Option<&Path>, db: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sprintlens"));
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let out = cmd
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("SPRINTLENS_DB")
        .env_remove("SPRINTLENS_FORMAT")
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

pub fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write fixture");
    p
}

/// The bytes of the database file and of any file beside it that DuckDB made (the WAL).
pub fn fingerprint(db: &Path) -> Vec<(String, Vec<u8>)> {
    let dir = db.parent().expect("parent");
    let stem = db.file_name().unwrap().to_string_lossy().to_string();
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&stem))
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The published data beside the project; `None` (with a note) when it is not there, which
/// fails under CI.
pub fn shared_data() -> Option<PathBuf> {
    let p = project_root().join("../shared/data");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("../shared/data is missing: CI must run with the shared data beside the project");
    }
    eprintln!("skipped: ../shared/data not found");
    None
}

/// A database holding a small valid data set, for tests that check nothing changes.
/// Ingests `files` (or folders) into `db` in one call, which must succeed.
pub fn ingest_ok(db: &Path, files: &[&Path]) {
    let mut args = vec!["ingest", "-q"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let r = sprintlens(db, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A store `dir/name` holding the bundled sample data.
pub fn sample_store(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join(name);
    ingest_ok(&db, &[&project_root().join("sample-data")]);
    db
}

pub fn seeded_db(dir: &Path) -> PathBuf {
    let db = dir.join("store.duckdb");
    let votes = write(
        dir,
        "seed_votes.csv",
        b"team,session,story,round,voter,card\npay,s1,PAY-1,1,ann,5\npay,s1,PAY-1,1,bob,8\n",
    );
    let run = sprintlens(&db, &["ingest", "-q", votes.to_str().unwrap()]);
    assert_eq!(run.code, 0, "seed ingest failed: {}", run.stderr);
    db
}

/// Runs an ingest that must be refused; checks exit 1, that the database is untouched, and
/// returns stderr.
pub fn refused(files: &[&Path], extra: &[&str]) -> String {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let before = fingerprint(&db);
    let mut args: Vec<&str> = vec!["ingest", "-q"];
    args.extend(extra);
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let run = sprintlens(&db, &args);
    assert_eq!(
        run.code, 1,
        "expected exit 1, got {}: {}{}",
        run.code, run.stdout, run.stderr
    );
    assert!(
        run.stdout.is_empty(),
        "a refused ingest prints no result: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains("nothing was written") || run.stderr.contains("error:"),
        "{}",
        run.stderr
    );
    assert_eq!(
        before,
        fingerprint(&db),
        "the database changed after a refused ingest"
    );
    run.stderr
}

/// Kills a child process when dropped, so a failing test leaves no server running.
pub struct Reap(pub std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads a server's stdout until its "serving on" line; returns host:port.
pub fn served_address(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let out = child.stdout.take().expect("stdout is piped");
    for line in std::io::BufReader::new(out).lines() {
        let line = line.expect("the server's output");
        if let Some(rest) = line.split("serving on http://").nth(1) {
            return rest.split('/').next().unwrap_or_default().to_string();
        }
    }
    panic!("the server printed no URL");
}

/// The real binary serving `db` on a port the system picks: the process and host:port.
pub fn serve(db: &Path) -> (Reap, String) {
    let mut child = Reap(
        Command::new(env!("CARGO_BIN_EXE_sprintlens"))
            .arg("--db")
            .arg(db)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the server starts"),
    );
    let addr = served_address(&mut child.0);
    (child, addr)
}

/// One GET over a fresh connection: the raw response (status line, headers, body).
pub fn fetch(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

/// Every row of `sql` as text: the cells' DuckDB values, `" | "` between them.
pub fn rows_as_text(conn: &duckdb::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        let n = r.as_ref().column_count();
        let cells: Vec<String> = (0..n)
            .map(|i| format!("{:?}", r.get::<_, duckdb::types::Value>(i).unwrap()))
            .collect();
        out.push(cells.join(" | "));
    }
    out
}

/// The round figures of a store, and its voters, as text: lists in a fixed order.
pub fn round_figures(conn: &duckdb::Connection) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "select team, session, story, round, votes, numeric_votes, question_votes, min_step, \
         max_step, steps, first_voted_at, low_voters, high_voters, list_sort(round1_votes), \
         last_round_only from round_stats order by all",
        "select 'voter', team, voter from voters order by all",
    ] {
        out.extend(rows_as_text(conn, sql));
    }
    out
}

/// The round figures computed afresh from every stored vote (every story touched, nothing
/// incoming), on a copy of the store.
pub fn recomputed(db: &Path, dir: &Path) -> Vec<String> {
    let copy = dir.join("recomputed.duckdb");
    std::fs::copy(db, &copy).unwrap();
    let conn = duckdb::Connection::open(&copy).unwrap();
    let read = |f: &str| std::fs::read_to_string(project_root().join("queries/writes").join(f));
    let compute = read("round_stats_compute.sql")
        .unwrap()
        .replace("$votes", "merged");
    let refresh = read("round_stats_refresh.sql")
        .unwrap()
        .replace("$compute", &compute)
        .replace("$incoming", "(select * from votes where false)");
    conn.execute_batch(&format!(
        "delete from round_stats; delete from voters; \
         create temp table touched_stories as select distinct team, session, story from votes; \
         {refresh}; insert into voters select distinct team, voter from votes;"
    ))
    .unwrap();
    let figures = round_figures(&conn);
    drop(conn);
    std::fs::remove_file(&copy).unwrap();
    figures
}

// Servers and requests, for the service and room tests.

/// A server on a port the system picks, with extra flags; the process and host:port.
pub fn serve_with(db: &Path, extra: &[&str]) -> (Reap, String) {
    let mut child = Reap(
        Command::new(env!("CARGO_BIN_EXE_sprintlens"))
            .arg("--db")
            .arg(db)
            .arg("serve")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts"),
    );
    let addr = served_address(&mut child.0);
    (child, addr)
}

/// One request on a fresh connection: status and body.
pub fn call(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

pub fn get_json(addr: &str, path: &str) -> serde_json::Value {
    let (status, body) = call(addr, "GET", path, &[], b"");
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

pub fn token(db: &Path, name: &str, scope: &str) -> String {
    let run = sprintlens(db, &["token", "add", name, "--scope", scope]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout.trim().to_string()
}

/// `/readyz` once it answers 200 (the warm-up done), within `limit`.
pub fn ready(addr: &str, limit: Duration) -> serde_json::Value {
    let t = Instant::now();
    loop {
        let (status, body) = call(addr, "GET", "/readyz", &[], b"");
        if status == 200 {
            return serde_json::from_str(&body).unwrap();
        }
        assert!(t.elapsed() < limit, "not ready within {limit:?}: {body}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
