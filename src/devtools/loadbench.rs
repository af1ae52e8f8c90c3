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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Connections of the load generator.
pub const CONNECTIONS: usize = 4;

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
                        let Some(p) = paths.get(i) else {
                            return Ok(out);
                        };
                        let t = Instant::now();
                        let (status, n) = c.get(p)?;
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
    let mut lat = Vec::new();
    let mut bytes = 0usize;
    for r in results {
        for (ms, n) in r.map_err(Error::io("<load generator>", "a request failed"))? {
            lat.push(ms);
            bytes += n;
        }
    }
    lat.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let q = |p: f64| lower_quantile(&lat, p).unwrap_or(0.0);
    Ok(PageLoad {
        page: page.to_string(),
        requests: lat.len(),
        connections,
        pages_per_second: lat.len() as f64 / wall.max(1e-9),
        median_ms: q(0.5),
        p99_ms: q(0.99),
        max_ms: lat.last().copied().unwrap_or(0.0),
        mean_kib: bytes as f64 / lat.len().max(1) as f64 / 1024.0,
    })
}

/// Generates and ingests the data set, serves it, and drives each page.
pub fn serve(b: &BenchSpec) -> Result<ServeBench> {
    let dir = work_dir(&b.dir, b.keep)?;
    let t0 = Instant::now();
    let data = dir.path.join("data");
    let summary = generate::generate(&b.params, &data)?;
    let db = dir.path.join("serve.duckdb");
    run_ingest(
        &db,
        &IngestRequest {
            paths: vec![data],
            ..Default::default()
        },
    )?;
    let setup_seconds = t0.elapsed().as_secs_f64();
    let store = Store::open_read_only(&db)?
        .ok_or_else(|| Error::Internal("bench database vanished".into()))?;
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
    let app = crate::web::app(crate::web::AppState::new(
        store,
        Settings::default(),
        crate::web::cache::DEFAULT_CACHE_BYTES,
    )?);
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
        s.push_str(
        "\ntargets: Sprint Review p99 < 50 ms and >= 200 pages/s; dashboard for all teams < 500 ms\n",
    );
        Ok(s)
    }
}
