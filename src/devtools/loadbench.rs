//! `bench serve`: the report server under load on an organisation-sized data set. The server
//! is `sprintlens serve` in a process of its own on 127.0.0.1 (port chosen by the system), as a
//! user runs it; a bounded load generator of a few keep-alive HTTP/1.1 connections on loopback
//! drives each page kind for a fixed number of requests and records every latency. Both share
//! the machine's cores, as a real deployment shares them with its users' browsers less so: the
//! figures are conservative. The server is then stopped and started again, to measure what a
//! restart costs (reports kept in the store are read, not computed).

use crate::devtools::bench::BenchSpec;
use crate::devtools::generate;
use crate::devtools::workdir::work_dir;
use crate::error::{Error, Result};
use crate::ingest::{IngestRequest, ingest as run_ingest};
use crate::metrics::forecast::lower_quantile;
use crate::metrics::rng::Rng;
use crate::present::fmt::{count, enc};
use crate::present::table::{Format, Render, Table};
use crate::store::Store;
use serde::Serialize;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Connections of the load generator.
pub const CONNECTIONS: usize = 4;

/// Round events posted in the live-capture phase, and the poker tools posting them at once.
const ROUND_EVENTS: usize = 3000;
const ROUND_CONNECTIONS: usize = 32;
/// Teams whose Sprint Review is opened a second after a round of theirs arrives.
const AFTER_ROUND_TEAMS: usize = 20;

#[derive(Debug, Serialize)]
pub struct PageLoad {
    pub page: String,
    pub requests: usize,
    pub connections: usize,
    pub pages_per_second: f64,
    pub median_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_kib: f64,
    /// The server's peak memory (VmHWM) once this phase was done: where it grows.
    pub peak_mib_after: Option<f64>,
}

impl PageLoad {
    /// With the server's peak memory after the phase.
    fn with_peak(mut self, server: &ServerProcess) -> PageLoad {
        self.peak_mib_after = server.peak_mib();
        self
    }
}

#[derive(Debug, Serialize)]
pub struct ServeBench {
    pub teams: usize,
    pub sprints: usize,
    pub votes: usize,
    pub cores: usize,
    pub setup_seconds: f64,
    /// From the first start (nothing kept yet) until `/readyz` said ready.
    pub first_ready_seconds: f64,
    pub pages: Vec<PageLoad>,
    /// From a round event's answer until its team's page showed the round.
    pub write_visible_median_ms: f64,
    pub write_visible_max_ms: f64,
    /// The server's peak memory while serving all of the above.
    pub peak_mib: Option<f64>,
    /// After the last write, until every team's reports were up to date (and kept) again.
    pub settle_seconds: f64,
    pub restart: Restart,
    pub ingest: IngestLoad,
}

/// Votes of more teams sent while pages are read: over HTTP to the server, and the same
/// files through the CLI's ingest into a copy of the database, for comparison.
#[derive(Debug, Serialize)]
pub struct IngestLoad {
    pub teams: usize,
    pub requests: usize,
    pub votes: usize,
    pub http_seconds: f64,
    pub http_votes_per_second: f64,
    pub cli_seconds: f64,
    pub cli_votes_per_second: f64,
}

/// The files of `dir` with every team key prefixed (column 1 of every generated file).
fn prefix_teams(dir: &std::path::Path, prefix: &str) -> Result<()> {
    for e in std::fs::read_dir(dir).map_err(Error::io(dir, "cannot list"))? {
        let path = e.map_err(Error::io(dir, "cannot list"))?.path();
        let text = std::fs::read_to_string(&path).map_err(Error::io(&path, "cannot read"))?;
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        for (i, line) in text.lines().enumerate() {
            if i > 0 && !line.is_empty() {
                out.push_str(prefix);
            }
            out.push_str(line);
            out.push('\n');
        }
        std::fs::write(&path, out).map_err(Error::io(&path, "cannot write"))?;
    }
    Ok(())
}

/// The votes file split by team (the header on each): (team, CSV).
fn votes_by_team(path: &std::path::Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).map_err(Error::io(path, "cannot read"))?;
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in lines {
        let team = line.split(',').next().unwrap_or_default();
        if out.last().is_none_or(|(t, _)| t != team) {
            out.push((team.to_string(), format!("{header}\n")));
        }
        if let Some((_, csv)) = out.last_mut() {
            csv.push_str(line);
            csv.push('\n');
        }
    }
    Ok(out)
}

/// One keep-alive connection; `get` returns the status and body length.
pub(crate) struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    addr: SocketAddr,
}

impl Client {
    /// Where it connects.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Client {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
            addr,
        })
    }

    fn get(&mut self, path: &str) -> std::io::Result<(u16, usize)> {
        write!(self.writer, "GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n")?;
        self.answer()
    }

    /// The body of a page that must answer 200.
    fn get_body(&mut self, path: &str) -> std::io::Result<Vec<u8>> {
        write!(self.writer, "GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n")?;
        match self.answer_body()? {
            (200, body) => Ok(body),
            (status, _) => Err(std::io::Error::other(format!("{path}: HTTP {status}"))),
        }
    }

    /// A JSON body posted with a bearer token.
    fn post(&mut self, path: &str, token: &str, body: &str) -> std::io::Result<(u16, usize)> {
        write!(
            self.writer,
            "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n\
             Authorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        self.answer()
    }

    /// Any request, with its headers and body: the status and the body.
    pub(crate) fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        self.writer.write_all(head.as_bytes())?;
        self.writer.write_all(body.as_bytes())?;
        self.answer_body()
    }

    fn answer(&mut self) -> std::io::Result<(u16, usize)> {
        self.answer_body().map(|(s, b)| (s, b.len()))
    }

    fn answer_body(&mut self) -> std::io::Result<(u16, Vec<u8>)> {
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut length = None;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse::<usize>().ok();
            }
        }
        let n = length.ok_or_else(|| std::io::Error::other("no content-length"))?;
        let mut body = vec![0u8; n];
        self.reader.read_exact(&mut body)?;
        Ok((status, body))
    }
}

/// Fetches `paths` over `connections` connections; every answer must be 200.
fn drive(addr: SocketAddr, page: &str, paths: &[String], connections: usize) -> Result<PageLoad> {
    drive_while(addr, page, paths, connections, None)
}

/// Like [`drive`]; with `busy`, goes round `paths` again and again while it is set.
fn drive_while(
    addr: SocketAddr,
    page: &str,
    paths: &[String],
    connections: usize,
    busy: Option<&AtomicBool>,
) -> Result<PageLoad> {
    let next = AtomicUsize::new(0);
    let t0 = Instant::now();
    let results: Vec<std::io::Result<Vec<(f64, usize)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..connections)
            .map(|_| {
                s.spawn(|| -> std::io::Result<Vec<(f64, usize)>> {
                    let mut c = Client::connect(addr)?;
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let p = match busy {
                            Some(b) if b.load(Ordering::Acquire) => &paths[i % paths.len()],
                            Some(_) => return Ok(out),
                            None => match paths.get(i) {
                                Some(p) => p,
                                None => return Ok(out),
                            },
                        };
                        let t = Instant::now();
                        let (status, n) = match p.strip_prefix("POST ") {
                            Some(rest) => {
                                let (path, rest) = rest.split_once('\n').unwrap_or((rest, ""));
                                let (token, body) = rest.split_once('\n').unwrap_or(("", rest));
                                c.post(path, token, body)?
                            }
                            None => c.get(p)?,
                        };
                        if status != 200 {
                            return Err(std::io::Error::other(format!("{p}: HTTP {status}")));
                        }
                        out.push((t.elapsed().as_secs_f64() * 1000.0, n));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("a client failed")))
            })
            .collect()
    });
    let wall = t0.elapsed().as_secs_f64();
    let mut answers = Vec::new();
    for r in results {
        answers.extend(r.map_err(Error::io("<load generator>", "a request failed"))?);
    }
    Ok(page_load(page, answers, connections, wall))
}

/// The figures of `answers` (milliseconds and bytes of each) received in `wall` seconds.
fn page_load(page: &str, answers: Vec<(f64, usize)>, connections: usize, wall: f64) -> PageLoad {
    let bytes: usize = answers.iter().map(|a| a.1).sum();
    let mut lat: Vec<f64> = answers.into_iter().map(|a| a.0).collect();
    lat.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let q = |p: f64| lower_quantile(&lat, p).unwrap_or(0.0);
    PageLoad {
        page: page.to_string(),
        requests: lat.len(),
        connections,
        pages_per_second: lat.len() as f64 / wall.max(1e-9),
        median_ms: q(0.5),
        p99_ms: q(0.99),
        max_ms: lat.last().copied().unwrap_or(0.0),
        mean_kib: bytes as f64 / lat.len().max(1) as f64 / 1024.0,
        peak_mib_after: None,
    }
}

/// A poker tool's `round.revealed` event: 8 votes on the first cards of the team's deck, `?`
/// and coffee, varied by story and round.
fn round_event(
    team: &str,
    deck: Option<&crate::domain::Deck>,
    story: &str,
    round: usize,
    now: &str,
) -> String {
    let mut cards: Vec<&str> = deck
        .map(|d| d.cards.iter().take(6).map(|c| c.shown.as_str()).collect())
        .unwrap_or_default();
    cards.extend(["?", "☕"]);
    let seed = story.bytes().map(usize::from).sum::<usize>();
    let votes: Vec<String> = (0..8)
        .map(|v| {
            let card = cards[(v + round + seed) % cards.len()];
            format!(r#"{{"voter":"v{v}","card":"{card}","voted_at":"{now}"}}"#)
        })
        .collect();
    format!(
        "{{\"event\":\"round.revealed\",\"schema_version\":1,\"team\":\"{team}\",\
         \"session\":\"live\",\"story\":\"{story}\",\"round\":{round},\
         \"revealed_at\":\"{now}\",\"votes\":[{}]}}",
        votes.join(",")
    )
}

/// `sprintlens serve` of the bench's database as a user runs it: a process of its own.
pub(crate) struct ServerProcess {
    child: std::process::Child,
    pub(crate) addr: SocketAddr,
    started: Instant,
}

impl ServerProcess {
    /// Starts it on a port the system picks and reads where it listens.
    pub(crate) fn start(db: &Path) -> Result<ServerProcess> {
        let exe =
            std::env::current_exe().map_err(Error::io("<bench>", "cannot find sprintlens"))?;
        let started = Instant::now();
        let mut child = std::process::Command::new(exe)
            .arg("--db")
            .arg(db)
            .args(["serve", "--bind", "127.0.0.1:0", "--log-format", "json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(Error::io("<bench>", "cannot start the server"))?;
        let out = child
            .stdout
            .take()
            .ok_or_else(|| Error::Internal("no stdout".into()))?;
        let mut line = String::new();
        let mut stdout = BufReader::new(out);
        // Its first line says where it listens; the pipe stays open while it runs.
        while !line.contains("serving on") {
            line.clear();
            let n = stdout
                .read_line(&mut line)
                .map_err(Error::io("<bench>", "cannot read the server's address"))?;
            if n == 0 {
                break;
            }
        }
        let addr = line
            .split("serving on http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| Error::Internal(format!("the server printed {line:?}")))?;
        Ok(ServerProcess {
            child,
            addr,
            started,
        })
    }

    /// Seconds from its start until `/readyz` says ready.
    pub(crate) fn ready_after(&self, limit: Duration) -> Result<f64> {
        let mut c = Client::connect(self.addr).map_err(Error::io("<bench>", "cannot connect"))?;
        loop {
            match c.get("/readyz") {
                Ok((200, _)) => return Ok(self.started.elapsed().as_secs_f64()),
                Ok(_) => {}
                Err(_) => {
                    c = Client::connect(self.addr)
                        .map_err(Error::io("<bench>", "cannot connect"))?;
                }
            }
            if self.started.elapsed() > limit {
                return Err(Error::Internal("the server was not ready in time".into()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until it has brought every team's reports up to date after the writes it took
    /// (`/readyz` says none pending): the quiet moment a restart comes after.
    pub(crate) fn settled(&self, limit: Duration) -> Result<()> {
        let t = Instant::now();
        let mut c = Client::connect(self.addr).map_err(Error::io("<bench>", "cannot connect"))?;
        loop {
            let body = c
                .get_body("/readyz")
                .map_err(Error::io("<bench>", "cannot ask /readyz"))?;
            let v: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|e| Error::Internal(format!("/readyz: {e}")))?;
            if v["refresh_pending"] == 0 {
                return Ok(());
            }
            if t.elapsed() > limit {
                return Err(Error::Internal("the server did not settle in time".into()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Its peak resident memory so far, MiB (VmHWM).
    pub(crate) fn peak_mib(&self) -> Option<f64> {
        self.status_mib("VmHWM:")
    }

    /// Its resident memory now, MiB (VmRSS).
    pub(crate) fn rss_mib(&self) -> Option<f64> {
        self.status_mib("VmRSS:")
    }

    fn status_mib(&self, field: &str) -> Option<f64> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = s.lines().find(|l| l.starts_with(field))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    /// Stops it as Ctrl-C would, and waits for it to close.
    pub(crate) fn stop(mut self) -> Result<()> {
        #[cfg(unix)]
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        #[cfg(not(unix))]
        let _ = self.child.kill();
        self.child
            .wait()
            .map_err(Error::io("<bench>", "the server did not stop"))?;
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bench's data: the database of the organisation, more teams' files to send while pages
/// are read, and what the database holds.
struct Setup {
    _dir: crate::devtools::workdir::WorkDir,
    db: std::path::PathBuf,
    votes: usize,
    setup_seconds: f64,
    extra_by_team: Vec<(String, String)>,
    extra_votes: usize,
    cli_seconds: f64,
    secret: String,
    teams: Vec<String>,
    team_sprints: Vec<(String, Vec<String>)>,
    decks: std::collections::HashMap<String, crate::domain::Deck>,
}

/// Generates and ingests the data set; writes 20 more teams' files and times the CLI's ingest
/// of them into a copy, for comparison with the same over HTTP.
fn setup(b: &BenchSpec) -> Result<Setup> {
    let dir = work_dir(&b.dir, b.keep)?;
    let t0 = Instant::now();
    let (summary, db) = dir.generated_store(&b.params, "serve")?;
    let setup_seconds = t0.elapsed().as_secs_f64();
    let extra = dir.path.join("extra");
    let extra_teams = b.params.teams.min(20);
    generate::generate(
        &generate::GenParams {
            teams: extra_teams,
            seed: b.params.seed + 1,
            ..b.params.clone()
        },
        &extra,
    )?;
    prefix_teams(&extra, "x-")?;
    let base: Vec<std::path::PathBuf> = ["teams", "decks", "sprints", "stories"]
        .iter()
        .map(|k| extra.join(format!("{k}.csv")))
        .collect();
    let extra_by_team = votes_by_team(&extra.join("votes.csv"))?;
    let extra_votes = extra_by_team
        .iter()
        .map(|(_, csv)| csv.lines().count() - 1)
        .sum();
    let ingest_files = |db: &Path, paths: Vec<std::path::PathBuf>| {
        run_ingest(
            db,
            &IngestRequest {
                paths,
                ..Default::default()
            },
        )
    };
    let copy = dir.path.join("cli.duckdb");
    std::fs::copy(&db, &copy).map_err(Error::io(&copy, "cannot copy the database"))?;
    ingest_files(&copy, base.clone())?;
    let votes_dir = dir.path.join("extra-votes");
    std::fs::create_dir_all(&votes_dir).map_err(Error::io(&votes_dir, "cannot create"))?;
    let mut team_files = Vec::new();
    for (team, csv) in &extra_by_team {
        let f = votes_dir.join(format!("{team}.csv"));
        std::fs::write(&f, csv).map_err(Error::io(&f, "cannot write"))?;
        team_files.push(f);
    }
    let t = Instant::now();
    for f in &team_files {
        ingest_files(&copy, vec![f.clone()])?;
    }
    let cli_seconds = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&copy);
    ingest_files(&db, base)?;
    let secret = crate::web::tokens::add(&db, "bench", crate::web::tokens::Scope::Ingest)?;
    let store = Store::open_read_only(&db)?
        .ok_or_else(|| Error::Internal("the bench's database is missing".into()))?;
    let teams: Vec<String> = store.teams()?.into_iter().map(|(t, _)| t).collect();
    let sprints: Vec<(String, String)> = store.sprint_ids()?;
    let team_sprints = teams
        .iter()
        .map(|t| {
            let of: Vec<String> = sprints
                .iter()
                .filter(|(x, _)| x == t)
                .map(|(_, s)| s.clone())
                .collect();
            (t.clone(), of)
        })
        .collect();
    let decks = store.decks()?;
    Ok(Setup {
        _dir: dir,
        db,
        votes: summary.votes,
        setup_seconds,
        extra_by_team,
        extra_votes,
        cli_seconds,
        secret,
        teams,
        team_sprints,
        decks,
    })
}

impl Setup {
    /// A Sprint Review's path: of team `i`, or of a team picked at random.
    fn review(&self, rng: &mut Rng, i: Option<usize>) -> String {
        let (t, s) = match i {
            Some(i) => &self.team_sprints[i],
            None => rng.pick(&self.team_sprints),
        };
        format!("/teams/{}/sprints/{}", enc(t), enc(rng.pick::<String>(s)))
    }
}

/// The pages of a served organisation: each kind driven for a fixed number of requests.
fn read_pages(server: &ServerProcess, s: &Setup, rng: &mut Rng) -> Result<Vec<PageLoad>> {
    let addr = server.addr;
    let mut pages = Vec::new();
    let health: Vec<String> = vec!["/healthz".to_string(); 4000];
    pages.push(drive(addr, "/healthz", &health, CONNECTIONS)?.with_peak(server));
    let first: Vec<String> = (0..s.team_sprints.len())
        .map(|i| s.review(rng, Some(i)))
        .collect();
    pages.push(
        drive(
            addr,
            "Sprint Review, first visit of each team",
            &first,
            CONNECTIONS,
        )?
        .with_peak(server),
    );
    let warm: Vec<String> = (0..4000).map(|_| s.review(rng, None)).collect();
    pages.push(drive(addr, "Sprint Review", &warm, CONNECTIONS)?.with_peak(server));
    let team: Vec<String> = (0..1000)
        .map(|_| format!("/teams/{}", enc(rng.pick::<String>(&s.teams))))
        .collect();
    pages.push(drive(addr, "team page", &team, CONNECTIONS)?.with_peak(server));
    let splits: Vec<String> = (0..1000)
        .map(|_| format!("/teams/{}/splits", enc(rng.pick::<String>(&s.teams))))
        .collect();
    pages.push(drive(addr, "split candidates", &splits, CONNECTIONS)?.with_peak(server));
    pages.push(
        drive(
            addr,
            "dashboard, all teams, first visit",
            &["/dashboard".to_string()],
            1,
        )?
        .with_peak(server),
    );
    pages.push(
        drive(
            addr,
            "dashboard, all teams",
            &vec!["/dashboard".to_string(); 200],
            CONNECTIONS,
        )?
        .with_peak(server),
    );
    Ok(pages)
}

/// Sprint Reviews while the extra teams' votes arrive over HTTP, one request per team (every
/// ingest raises the generation, so pages are computed afresh after each); the seconds the
/// ingests took.
fn ingest_while_reading(addr: SocketAddr, s: &Setup, rng: &mut Rng) -> Result<(PageLoad, f64)> {
    let busy = AtomicBool::new(true);
    let url = format!("http://{addr}");
    let auth = format!("Bearer {}", s.secret);
    let warm: Vec<String> = (0..4000).map(|_| s.review(rng, None)).collect();
    std::thread::scope(|scope| -> Result<(PageLoad, f64)> {
        let sender = scope.spawn(|| -> Result<f64> {
            let t = Instant::now();
            let out = (|| {
                for (team, csv) in &s.extra_by_team {
                    let (status, body) = crate::web::client::request(
                        &url,
                        "POST",
                        &format!("/api/v1/ingest?name={}.csv", enc(team)),
                        &[("Content-Type", "text/csv"), ("Authorization", &auth)],
                        csv.as_bytes(),
                        Duration::from_secs(600),
                    )?;
                    if status != 200 {
                        return Err(Error::Internal(format!(
                            "bench ingest of {team}: HTTP {status}: {}",
                            String::from_utf8_lossy(&body)
                        )));
                    }
                }
                Ok(())
            })();
            busy.store(false, Ordering::Release);
            out.map(|_| t.elapsed().as_secs_f64())
        });
        let during = drive_while(
            addr,
            "Sprint Review, while votes arrive over HTTP",
            &warm,
            CONNECTIONS,
            Some(&busy),
        );
        let seconds = sender
            .join()
            .map_err(|_| Error::Internal("the bench sender failed".into()))??;
        Ok((during?, seconds))
    })
}

/// Live round capture: events of 8 votes each, 3 rounds per story, posted as poker tools
/// would at each reveal, many at once (events that arrive together share a transaction).
fn post_rounds(addr: SocketAddr, s: &Setup, now: &str) -> Result<PageLoad> {
    let events: Vec<String> = (0..ROUND_EVENTS)
        .map(|i| {
            let (story, round) = (i / 3, i % 3 + 1);
            let team = &s.teams[story % s.teams.len()];
            let body = round_event(
                team,
                s.decks.get(team),
                &format!("LIVE-{story}"),
                round,
                now,
            );
            format!("POST /api/v1/rounds\n{}\n{body}", s.secret)
        })
        .collect();
    // The server settles first (it moves the ingests' log into the file when idle): what is
    // measured is capture in a steady state.
    std::thread::sleep(Duration::from_secs(1));
    drive(
        addr,
        "round events (8 votes each), POST /api/v1/rounds",
        &events,
        ROUND_CONNECTIONS,
    )
}

/// A round revealed, then its team's page asked for until it shows the round: milliseconds
/// from the event's answer to the page showing it, per team.
fn write_visible(addr: SocketAddr, s: &Setup, now: &str) -> Result<Vec<f64>> {
    let rounds_on_page = |c: &mut Client, team: &str| -> Result<i64> {
        let path = format!("/api/teams/{}", enc(team));
        let body = c
            .get_body(&path)
            .map_err(Error::io("<load generator>", "a request failed"))?;
        let v: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| Error::Internal(format!("{path}: {e}")))?;
        Ok(v["vote_sources"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x["rounds"].as_i64()).sum())
            .unwrap_or(0))
    };
    let mut c = Client::connect(addr).map_err(Error::io("<load generator>", "cannot connect"))?;
    let mut shown = Vec::new();
    for (i, (team, _)) in s.team_sprints.iter().take(AFTER_ROUND_TEAMS).enumerate() {
        let before = rounds_on_page(&mut c, team)?;
        let body = round_event(team, s.decks.get(team), &format!("SHOWN-{i}"), 1, now);
        let failed = |what: String| Error::Internal(format!("bench round of {team}: {what}"));
        match c.post("/api/v1/rounds", &s.secret, &body) {
            Ok((200, _)) => {}
            Ok((status, _)) => return Err(failed(format!("HTTP {status}"))),
            Err(e) => return Err(failed(e.to_string())),
        }
        let t = Instant::now();
        while rounds_on_page(&mut c, team)? == before {
            if t.elapsed() > Duration::from_secs(30) {
                return Err(failed("its page did not show it within 30 s".into()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        shown.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(shown)
}

/// Generates and ingests the data set, serves it from a process of its own and drives each
/// page; then restarts the server and measures what a restart costs.
pub fn serve(b: &BenchSpec) -> Result<ServeBench> {
    let s = setup(b)?;
    let first = ServerProcess::start(&s.db)?;
    let first_ready = first.ready_after(Duration::from_secs(3600))?;
    let addr = first.addr;
    let mut rng = Rng::new(b.params.seed);
    let mut pages = read_pages(&first, &s, &mut rng)?;
    let (during, http_seconds) = ingest_while_reading(addr, &s, &mut rng)?;
    pages.push(during.with_peak(&first));
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    pages.push(post_rounds(addr, &s, &now)?.with_peak(&first));
    let mut shown = write_visible(addr, &s, &now)?;
    shown.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let health: Vec<String> = vec!["/healthz".to_string(); 4000];
    pages.push(drive(addr, "/healthz (after)", &health, CONNECTIONS)?.with_peak(&first));
    let peak_mib = first.peak_mib();
    let t = Instant::now();
    first.settled(Duration::from_secs(3600))?;
    let settle_seconds = t.elapsed().as_secs_f64();
    first.stop()?;
    let restart = restart(&s, &mut rng)?;
    Ok(ServeBench {
        teams: b.params.teams,
        sprints: b.params.sprints,
        votes: s.votes,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        setup_seconds: s.setup_seconds,
        first_ready_seconds: first_ready,
        pages,
        write_visible_median_ms: lower_quantile(&shown, 0.5).unwrap_or(0.0),
        write_visible_max_ms: shown.last().copied().unwrap_or(0.0),
        peak_mib,
        settle_seconds,
        restart,
        ingest: IngestLoad {
            teams: s.extra_by_team.len(),
            requests: s.extra_by_team.len(),
            votes: s.extra_votes,
            http_seconds,
            http_votes_per_second: s.extra_votes as f64 / http_seconds.max(1e-9),
            cli_seconds: s.cli_seconds,
            cli_votes_per_second: s.extra_votes as f64 / s.cli_seconds.max(1e-9),
        },
    })
}

/// What a restart costs: the server started again on the same database asked at once (before
/// it says ready) for the Sprint Review of 20 teams, then for the dashboard once ready.
#[derive(Debug, Serialize)]
pub struct Restart {
    pub ready_seconds: f64,
    pub first_pages: PageLoad,
    pub dashboard: PageLoad,
    pub peak_mib: Option<f64>,
}

fn restart(s: &Setup, rng: &mut Rng) -> Result<Restart> {
    let server = ServerProcess::start(&s.db)?;
    // The listener answers as soon as the address is printed: no warm-up waited for.
    let firsts: Vec<String> = (0..s.team_sprints.len().min(AFTER_ROUND_TEAMS))
        .map(|i| s.review(rng, Some(i * s.team_sprints.len() / AFTER_ROUND_TEAMS)))
        .collect();
    let first_pages = drive(
        server.addr,
        "Sprint Review, first visit after a restart",
        &firsts,
        1,
    )?;
    let ready_seconds = server.ready_after(Duration::from_secs(3600))?;
    let dashboard = drive(
        server.addr,
        "dashboard, all teams, first visit after a restart",
        &["/dashboard".to_string()],
        1,
    )?;
    let peak_mib = server.peak_mib();
    server.stop()?;
    Ok(Restart {
        ready_seconds,
        first_pages,
        dashboard,
        peak_mib,
    })
}

impl Render for ServeBench {
    fn tables(&self, format: Format) -> Result<String> {
        let r = self;
        let mut t = Table::new(
            &[
                "page",
                "requests",
                "conns",
                "pages/s",
                "median ms",
                "p99 ms",
                "max ms",
                "KiB",
                "peak MiB",
            ],
            &[false, true, true, true, true, true, true, true, true],
        );
        let rows = r
            .pages
            .iter()
            .chain([&r.restart.first_pages, &r.restart.dashboard]);
        for p in rows {
            t.row(vec![
                p.page.clone(),
                p.requests.to_string(),
                p.connections.to_string(),
                format!("{:.0}", p.pages_per_second),
                format!("{:.2}", p.median_ms),
                format!("{:.2}", p.p99_ms),
                format!("{:.2}", p.max_ms),
                format!("{:.0}", p.mean_kib),
                p.peak_mib_after
                    .map_or("-".to_string(), |m| format!("{m:.0}")),
            ]);
        }
        let mib = |m: Option<f64>| m.map_or("unknown".to_string(), |m| format!("{m:.0} MiB"));
        let mut s = format!(
            "serve bench: {} teams x {} sprints ({} votes), {} cores; data made and loaded in {:.1} s\n\
             the server is `sprintlens serve` in a process of its own; it and the load generator \
             share the machine; loopback only\n\n",
            r.teams,
            r.sprints,
            count(r.votes as i64),
            r.cores,
            r.setup_seconds
        );
        s.push_str(&t.render(format));
        let i = &r.ingest;
        s.push_str(&format!(
            "\nfirst start (no report kept yet): ready after {:.1} s; every team up to date {:.1} s \
             after the last write; restart: ready after {:.2} s\n\
             a round event shows on its team's page after {:.0} ms (median; max {:.0} ms)\n\
             server peak memory: {} serving the pages above; {} after the restart\n",
            r.first_ready_seconds,
            r.settle_seconds,
            r.restart.ready_seconds,
            r.write_visible_median_ms,
            r.write_visible_max_ms,
            mib(r.peak_mib),
            mib(r.restart.peak_mib),
        ));
        s.push_str(&format!(
            "\nvotes of {} more teams ({} votes) in {} requests: over HTTP {:.2} s ({} votes/s, \
             while the pages above were read); the CLI's ingest of the same files into a copy \
             {:.2} s ({} votes/s)\n",
            i.teams,
            count(i.votes as i64),
            i.requests,
            i.http_seconds,
            count(i.http_votes_per_second as i64),
            i.cli_seconds,
            count(i.cli_votes_per_second as i64),
        ));
        s.push_str(
            "\ntargets: Sprint Review p99 < 50 ms and >= 200 pages/s; a team's first page after a \
             restart < 20 ms (median, 200 teams); ready after a restart < 5 s (200 teams), < 20 s \
             (1,000); a write shows within 2 s; the dashboard's first visit < 500 ms (1,000 teams); \
             server peak < 1 GiB (1,000 teams)\n",
        );
        Ok(s)
    }
}
