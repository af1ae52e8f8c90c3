//! `bench serve`: the report server under load on an organisation-sized data set. The server
//! runs in this process on 127.0.0.1 (port chosen by the system); a bounded load generator of
//! a few keep-alive HTTP/1.1 connections on loopback drives each page kind for a fixed number
//! of requests and records every latency. Both share the machine's cores, as a real
//! deployment shares them with its users' browsers less so: the figures are conservative.

use crate::devtools::bench::BenchSpec;
use crate::devtools::generate;
use crate::devtools::workdir::work_dir;
use crate::error::{Error, Result};
use crate::ingest::{IngestRequest, ingest as run_ingest};
use crate::metrics::forecast::lower_quantile;
use crate::metrics::rng::Rng;
use crate::present::fmt::{count, enc};
use crate::present::table::{Format, Render, Table};
use crate::settings::Settings;
use crate::store::Store;
use serde::Serialize;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
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
}

#[derive(Debug, Serialize)]
pub struct ServeBench {
    pub teams: usize,
    pub sprints: usize,
    pub votes: usize,
    pub cores: usize,
    pub setup_seconds: f64,
    pub pages: Vec<PageLoad>,
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
struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Client {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        })
    }

    fn get(&mut self, path: &str) -> std::io::Result<(u16, usize)> {
        write!(self.writer, "GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n")?;
        self.answer()
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

    fn answer(&mut self) -> std::io::Result<(u16, usize)> {
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
        Ok((status, n))
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

/// Generates and ingests the data set, serves it, and drives each page.
pub fn serve(b: &BenchSpec) -> Result<ServeBench> {
    let dir = work_dir(&b.dir, b.keep)?;
    let t0 = Instant::now();
    let (summary, db) = dir.generated_store(&b.params, "serve")?;
    let setup_seconds = t0.elapsed().as_secs_f64();
    // More teams to send while pages are read: 20 (or fewer) with keys of their own.
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
    let extra_votes: usize = extra_by_team
        .iter()
        .map(|(_, csv)| csv.lines().count() - 1)
        .sum();
    // The CLI's ingest of the same files into a copy, for comparison.
    let copy = dir.path.join("cli.duckdb");
    std::fs::copy(&db, &copy).map_err(Error::io(&copy, "cannot copy the database"))?;
    let ingest_files = |db: &std::path::Path, paths: Vec<std::path::PathBuf>| {
        run_ingest(
            db,
            &IngestRequest {
                paths,
                ..Default::default()
            },
        )
    };
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
    let store = Store::open(&db)?;
    let teams: Vec<String> = store.teams()?.into_iter().map(|(t, _)| t).collect();
    let sprints: Vec<(String, String)> = store.sprint_ids()?;
    let by_team = |t: &str| -> Vec<&str> {
        sprints
            .iter()
            .filter(|(x, _)| x == t)
            .map(|(_, s)| s.as_str())
            .collect()
    };
    let team_sprints: Vec<(String, Vec<&str>)> =
        teams.iter().map(|t| (t.clone(), by_team(t))).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("<runtime>", "cannot start the server runtime"))?;
    let (listener, addr) = rt.block_on(crate::web::listen("127.0.0.1:0"))?;
    let decks = store.decks()?;
    let state = crate::web::AppState::new(
        store,
        Settings::default(),
        crate::web::cache::DEFAULT_CACHE_BYTES,
    )?;
    let app = crate::web::app(state.clone());
    rt.spawn(async move {
        let options = crate::web::ServeOptions::default();
        crate::web::server::run(listener, app, &options, std::future::pending()).await;
    });
    let mut rng = Rng::new(b.params.seed);
    let review = |rng: &mut Rng, i: Option<usize>| -> String {
        let (t, s) = match i {
            Some(i) => &team_sprints[i],
            None => rng.pick(&team_sprints),
        };
        format!("/teams/{}/sprints/{}", enc(t), enc(rng.pick::<&str>(s)))
    };
    let mut pages = Vec::new();
    let health: Vec<String> = vec!["/healthz".to_string(); 4000];
    pages.push(drive(addr, "/healthz", &health, CONNECTIONS)?);
    // First visits: each team's reports are computed on its first page.
    let first: Vec<String> = (0..team_sprints.len())
        .map(|i| review(&mut rng, Some(i)))
        .collect();
    pages.push(drive(
        addr,
        "Sprint Review, first visit of each team",
        &first,
        CONNECTIONS,
    )?);
    let warm: Vec<String> = (0..4000).map(|_| review(&mut rng, None)).collect();
    pages.push(drive(addr, "Sprint Review", &warm, CONNECTIONS)?);
    let team: Vec<String> = (0..1000)
        .map(|_| format!("/teams/{}", enc(rng.pick::<String>(&teams))))
        .collect();
    pages.push(drive(addr, "team page", &team, CONNECTIONS)?);
    let splits: Vec<String> = (0..1000)
        .map(|_| format!("/teams/{}/splits", enc(rng.pick::<String>(&teams))))
        .collect();
    pages.push(drive(addr, "split candidates", &splits, CONNECTIONS)?);
    pages.push(drive(
        addr,
        "dashboard, all teams, first visit",
        &["/dashboard".to_string()],
        1,
    )?);
    pages.push(drive(
        addr,
        "dashboard, all teams",
        &vec!["/dashboard".to_string(); 200],
        CONNECTIONS,
    )?);
    // From here on the server keeps reports ready as `serve` does: its warm-up finds every
    // team computed; after each write the teams written are computed again in the background.
    crate::web::refresh::start(&state)
        .map_err(Error::io("<refresh>", "cannot start the refresher"))?;
    while !state.ready.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(10));
    }
    // Sprint Reviews while the extra teams' votes arrive over HTTP, one request per team;
    // every ingest raises the generation, so pages are computed afresh after each.
    let busy = AtomicBool::new(true);
    let url = format!("http://{addr}");
    let auth = format!("Bearer {secret}");
    let warm: Vec<String> = (0..4000).map(|_| review(&mut rng, None)).collect();
    let (during, http_seconds) = std::thread::scope(|s| -> Result<(PageLoad, f64)> {
        let sender = s.spawn(|| -> Result<f64> {
            let t = Instant::now();
            let out = (|| {
                for (team, csv) in &extra_by_team {
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
    })?;
    pages.push(during);
    // Live round capture: events of 8 votes each, 3 rounds per story, posted as a poker tool
    // would at each reveal.
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let events: Vec<String> = (0..ROUND_EVENTS)
        .map(|i| {
            let (story, round) = (i / 3, i % 3 + 1);
            let team = &teams[story % teams.len()];
            let body = round_event(team, decks.get(team), &format!("LIVE-{story}"), round, &now);
            format!("POST /api/v1/rounds\n{secret}\n{body}")
        })
        .collect();
    // The server settles first (it moves the ingests' log into the file when idle): what
    // is measured is capture in a steady state.
    std::thread::sleep(Duration::from_secs(1));
    // Many tools at once: events that arrive together are stored in one transaction.
    pages.push(drive(
        addr,
        "round events (8 votes each), POST /api/v1/rounds",
        &events,
        ROUND_CONNECTIONS,
    )?);
    // A round revealed, then its team's Sprint Review opened a second later, as the room
    // does: the refresher has computed the team's reports again in between.
    let mut answers = Vec::new();
    let t0 = Instant::now();
    let mut c = Client::connect(addr).map_err(Error::io("<load generator>", "cannot connect"))?;
    for (i, (team, sprints)) in team_sprints.iter().take(AFTER_ROUND_TEAMS).enumerate() {
        let body = round_event(team, decks.get(team), &format!("AFTER-{i}"), 1, &now);
        let failed = |what: String| Error::Internal(format!("bench round of {team}: {what}"));
        match c.post("/api/v1/rounds", &secret, &body) {
            Ok((200, _)) => {}
            Ok((status, _)) => return Err(failed(format!("HTTP {status}"))),
            Err(e) => return Err(failed(e.to_string())),
        }
        std::thread::sleep(Duration::from_secs(1));
        let path = format!(
            "/teams/{}/sprints/{}",
            enc(team),
            enc(sprints.last().copied().unwrap_or("1"))
        );
        let t = Instant::now();
        match c.get(&path) {
            Ok((200, n)) => answers.push((t.elapsed().as_secs_f64() * 1000.0, n)),
            Ok((status, _)) => return Err(failed(format!("{path}: HTTP {status}"))),
            Err(e) => return Err(failed(e.to_string())),
        }
    }
    pages.push(page_load(
        "Sprint Review 1 s after its team's round arrived",
        answers,
        1,
        t0.elapsed().as_secs_f64(),
    ));
    pages.push(drive(addr, "/healthz (after)", &health, CONNECTIONS)?);
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(ServeBench {
        teams: b.params.teams,
        sprints: b.params.sprints,
        votes: summary.votes,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        setup_seconds,
        pages,
        ingest: IngestLoad {
            teams: extra_teams,
            requests: extra_by_team.len(),
            votes: extra_votes,
            http_seconds,
            http_votes_per_second: extra_votes as f64 / http_seconds.max(1e-9),
            cli_seconds,
            cli_votes_per_second: extra_votes as f64 / cli_seconds.max(1e-9),
        },
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
            ],
            &[false, true, true, true, true, true, true, true],
        );
        for p in &r.pages {
            t.row(vec![
                p.page.clone(),
                p.requests.to_string(),
                p.connections.to_string(),
                format!("{:.0}", p.pages_per_second),
                format!("{:.2}", p.median_ms),
                format!("{:.2}", p.p99_ms),
                format!("{:.2}", p.max_ms),
                format!("{:.0}", p.mean_kib),
            ]);
        }
        let mut s = format!(
            "serve bench: {} teams x {} sprints ({} votes), {} cores; data made and loaded in {:.1} s\n\
         server and load generator share the machine; loopback only\n\n",
            r.teams,
            r.sprints,
            count(r.votes as i64),
            r.cores,
            r.setup_seconds
        );
        s.push_str(&t.render(format));
        let i = &r.ingest;
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
        "\ntargets: Sprint Review p99 < 50 ms and >= 200 pages/s; dashboard for all teams < 500 ms\n",
    );
        Ok(s)
    }
}
