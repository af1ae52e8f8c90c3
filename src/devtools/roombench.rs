//! `bench room`: estimation rooms played at once against `sprintlens serve` in a process of its
//! own on 127.0.0.1. Every room has a facilitator and participants who all vote; every
//! participant holds the room's event stream open, as their page does. Each room plays its
//! stories (every other story in two rounds) with a think time between actions; at every
//! reveal the bench times how long until each participant's stream has the revealed state,
//! from the moment the reveal is sent. The room shows a reveal while it stores the round
//! through the store's one writer; the answer to the reveal comes once the round is stored, and
//! is timed apart. The server's memory is read before the rooms open and while all of them are
//! open with every stream connected.

use crate::devtools::loadbench::{Client, ServerProcess};
use crate::devtools::workdir::work_dir;
use crate::error::{Error, Result};
use crate::metrics::forecast::lower_quantile;
use crate::metrics::rng::Rng;
use crate::present::table::{Format, Render, Table};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Barrier;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What to play.
#[derive(Debug, Clone)]
pub struct RoomBenchSpec {
    pub rooms: usize,
    /// Everyone in a room, the facilitator included; all vote.
    pub participants: usize,
    pub stories: usize,
    /// Mean pause between two actions of a room, in milliseconds (each pause is drawn
    /// uniformly between none and twice this).
    pub think_ms: u64,
    pub seed: u64,
    pub dir: Option<PathBuf>,
    pub keep: bool,
}

#[derive(Debug, Serialize)]
pub struct RoomBench {
    pub rooms: usize,
    pub participants: usize,
    pub stories: usize,
    pub think_ms: u64,
    pub cores: usize,
    pub teams: usize,
    pub reveals: usize,
    pub votes: usize,
    /// From a reveal sent until one participant's stream had it: every stream of every reveal.
    pub page_median_ms: f64,
    pub page_p99_ms: f64,
    pub page_max_ms: f64,
    /// From a reveal sent until the last stream of its room had it.
    pub all_pages_median_ms: f64,
    pub all_pages_p99_ms: f64,
    /// The answers to the reveal and to the votes.
    pub reveal_answer_median_ms: f64,
    pub reveal_answer_p99_ms: f64,
    pub vote_answer_median_ms: f64,
    pub vote_answer_p99_ms: f64,
    /// The server's resident memory once ready, and with every room open and every stream
    /// connected; the difference per room.
    pub rss_before_mib: Option<f64>,
    pub rss_with_rooms_mib: Option<f64>,
    pub per_room_kib: Option<f64>,
    pub peak_mib: Option<f64>,
    pub play_seconds: f64,
}

/// What one room measured.
#[derive(Default)]
struct Played {
    pages_ms: Vec<f64>,
    all_pages_ms: Vec<f64>,
    reveal_ms: Vec<f64>,
    vote_ms: Vec<f64>,
}

/// A participant's view of the room: their secret and their connection for actions.
struct Seat {
    secret: String,
    client: Client,
}

impl Seat {
    /// An action of the room as this participant; the answer must be `want`.
    fn act(&mut self, link: &str, action: &str, body: &Value, want: u16) -> Result<Value> {
        let path = if action.is_empty() {
            "/api/v1/rooms".to_string()
        } else {
            format!("/api/v1/rooms/{link}/{action}")
        };
        act(&mut self.client, &path, &self.secret, body, want)
    }
}

fn act(c: &mut Client, path: &str, secret: &str, body: &Value, want: u16) -> Result<Value> {
    let mut headers = vec![("Content-Type", "application/json")];
    if !secret.is_empty() {
        headers.push(("X-Sprintlens-Participant", secret));
    }
    let (status, answer) = send(c, "POST", path, &headers, &body.to_string())?;
    if status != want {
        return Err(Error::Internal(format!(
            "POST {path}: HTTP {status}: {}",
            String::from_utf8_lossy(&answer)
        )));
    }
    serde_json::from_slice(&answer).map_err(|e| Error::Internal(format!("POST {path}: {e}")))
}

/// A request on `c`; as a browser does, once more on a new connection when the server had
/// closed the idle one (it closes keep-alive connections idle for its header timeout).
fn send(
    c: &mut Client,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, Vec<u8>)> {
    match c.request(method, path, headers, body) {
        Ok(r) => Ok(r),
        Err(_) => {
            *c = Client::connect(c.addr()).map_err(Error::io("<bench>", "cannot connect"))?;
            c.request(method, path, headers, body)
                .map_err(Error::io("<bench>", "a room request failed"))
        }
    }
}

/// A participant's event stream read on a thread of its own: every state's version and when
/// it arrived, sent to the room's driver. Ends when its socket is shut.
fn stream(
    addr: SocketAddr,
    link: &str,
    seat: usize,
    secret: &str,
    to: mpsc::Sender<(usize, u64, Instant)>,
) -> Result<(TcpStream, std::thread::JoinHandle<()>)> {
    let io = Error::io("<bench>", "cannot open a room's event stream");
    let mut s = TcpStream::connect(addr).map_err(io)?;
    s.set_nodelay(true)
        .map_err(Error::io("<bench>", "cannot set nodelay"))?;
    write!(
        s,
        "GET /api/v1/rooms/{link}/events HTTP/1.1\r\nHost: bench\r\n\
         X-Sprintlens-Participant: {secret}\r\n\r\n"
    )
    .map_err(Error::io("<bench>", "cannot ask for a room's events"))?;
    let handle = s
        .try_clone()
        .map_err(Error::io("<bench>", "cannot clone a socket"))?;
    let thread = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let _ = read_events(BufReader::new(s), |version| {
                let _ = to.send((seat, version, Instant::now()));
            });
        })
        .map_err(Error::io("<bench>", "cannot start a stream reader"))?;
    Ok((handle, thread))
}

/// Reads a chunked `text/event-stream` answer, calling `seen` with each state's version.
fn read_events(mut r: BufReader<TcpStream>, mut seen: impl FnMut(u64)) -> std::io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut pending: Vec<u8> = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
            .map_err(|_| std::io::Error::other(format!("bad chunk size {line:?}")))?;
        if size == 0 {
            return Ok(());
        }
        let start = pending.len();
        pending.resize(start + size, 0);
        r.read_exact(&mut pending[start..])?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf)?;
        while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = pending.drain(..end + 2).collect();
            if let Some(v) = version_of(&event) {
                seen(v);
            }
        }
    }
}

/// The `"version":N` of a state event's data.
fn version_of(event: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(event).ok()?;
    let at = text.find("\"version\":")? + "\"version\":".len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Plays one room: opens it, seats everyone, opens their streams, then (after every room is
/// ready) plays its stories; keeps the streams open until every room has played.
fn play_room(
    addr: SocketAddr,
    spec: &RoomBenchSpec,
    (i, team): (usize, &str),
    gates: &mut Gates,
) -> Result<Played> {
    let connect = || Client::connect(addr).map_err(Error::io("<bench>", "cannot connect"));
    let mut facilitator = Seat {
        secret: String::new(),
        client: connect()?,
    };
    let opened = facilitator.act(
        "",
        "",
        &json!({"team": team, "title": format!("bench room {i}"), "name": "p0"}),
        201,
    )?;
    let link = opened["room"].as_str().unwrap_or_default().to_string();
    facilitator.secret = opened["secret"].as_str().unwrap_or_default().to_string();
    let mut seats = vec![facilitator];
    for p in 1..spec.participants {
        let mut c = connect()?;
        let path = format!("/api/v1/rooms/{link}/join");
        let joined = act(&mut c, &path, "", &json!({ "name": format!("p{p}") }), 200)?;
        seats.push(Seat {
            secret: joined["secret"].as_str().unwrap_or_default().to_string(),
            client: c,
        });
    }
    let (tx, rx) = mpsc::channel();
    let mut streams = Vec::new();
    for (k, s) in seats.iter().enumerate() {
        streams.push(stream(addr, &link, k, &s.secret, tx.clone())?);
    }
    drop(tx);
    let state = |seat: &mut Seat| -> Result<Value> {
        let (status, body) = send(
            &mut seat.client,
            "GET",
            &format!("/api/v1/rooms/{link}"),
            &[("X-Sprintlens-Participant", &seat.secret)],
            "",
        )?;
        if status != 200 {
            return Err(Error::Internal(format!("room state: HTTP {status}")));
        }
        serde_json::from_slice(&body).map_err(|e| Error::Internal(format!("room state: {e}")))
    };
    // Every stream has the room before play starts.
    let version = state(&mut seats[0])?["version"].as_u64().unwrap_or(0);
    wait_for(&rx, spec.participants, version)?;
    let deck: Vec<String> = state(&mut seats[0])?["deck"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|c| c.as_str())
                .filter(|c| *c != "?" && *c != "☕")
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if deck.len() < 2 {
        return Err(Error::Internal(format!("team {team}: a deck of {deck:?}")));
    }
    let text: Vec<String> = (0..spec.stories)
        .map(|s| format!("B{i}-{s} bench story {s}"))
        .collect();
    seats[0].act(&link, "stories", &json!({ "text": text.join("\n") }), 200)?;
    gates.pass();

    let mut rng = Rng::new(spec.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let think = |rng: &mut Rng| {
        let ms = (rng.unit() * 2.0 * spec.think_ms as f64) as u64;
        std::thread::sleep(Duration::from_millis(ms));
    };
    let mut out = Played::default();
    for s in 0..spec.stories {
        let key = format!("B{i}-{s}");
        for round in 1..=(1 + s % 2) {
            seats[0].act(&link, "rounds", &json!({ "story": key }), 200)?;
            for k in 0..seats.len() {
                think(&mut rng);
                let card = &deck[(k + s + round) % deck.len().min(5)];
                let t = Instant::now();
                seats[k].act(&link, "votes", &json!({ "card": card }), 200)?;
                out.vote_ms.push(ms(t));
            }
            think(&mut rng);
            let t0 = Instant::now();
            seats[0].act(&link, "reveal", &json!({}), 200)?;
            out.reveal_ms.push(ms(t0));
            let version = state(&mut seats[0])?["version"].as_u64().unwrap_or(0);
            let arrived = wait_for(&rx, spec.participants, version)?;
            let pages: Vec<f64> = arrived
                .iter()
                .map(|a| a.duration_since(t0).as_secs_f64() * 1000.0)
                .collect();
            out.all_pages_ms
                .push(pages.iter().copied().fold(0.0, f64::max));
            out.pages_ms.extend(pages);
        }
        think(&mut rng);
        let card = &deck[s % deck.len()];
        seats[0].act(
            &link,
            "estimate",
            &json!({ "story": key, "card": card }),
            200,
        )?;
    }
    gates.pass();
    // Measured by the main thread here; then every room closes its streams.
    gates.pass();
    for (socket, thread) in streams {
        let _ = socket.shutdown(Shutdown::Both);
        let _ = thread.join();
    }
    Ok(out)
}

/// The points every room and the main thread meet at: all rooms ready to play, all played,
/// memory measured. A room that fails passes the rest at once.
struct Gates<'a> {
    barriers: [&'a Barrier; 3],
    passed: usize,
}

impl Gates<'_> {
    fn pass(&mut self) {
        if let Some(b) = self.barriers.get(self.passed) {
            b.wait();
            self.passed += 1;
        }
    }

    fn pass_all(&mut self) {
        while self.passed < self.barriers.len() {
            self.pass();
        }
    }
}

/// Waits until every one of `n` streams has had a state of at least `version`: when each did.
fn wait_for(
    rx: &mpsc::Receiver<(usize, u64, Instant)>,
    n: usize,
    version: u64,
) -> Result<Vec<Instant>> {
    let mut arrived: Vec<Option<Instant>> = vec![None; n];
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrived.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        let (seat, v, at) = rx.recv_timeout(left).map_err(|_| {
            Error::Internal(format!(
                "a room's pages did not all see version {version} within 60 s"
            ))
        })?;
        if v >= version && arrived[seat].is_none() {
            arrived[seat] = Some(at);
        }
    }
    Ok(arrived.into_iter().flatten().collect())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    v
}

pub fn room(spec: &RoomBenchSpec) -> Result<RoomBench> {
    if spec.rooms == 0 || spec.participants < 2 || spec.stories == 0 {
        return Err(Error::Usage(
            "a room bench needs at least one room, two participants and one story".into(),
        ));
    }
    let dir = work_dir(&spec.dir, spec.keep)?;
    let teams = spec.rooms.min(50);
    let params = crate::devtools::generate::GenParams {
        teams,
        sprints: 12,
        seed: spec.seed,
        ..Default::default()
    };
    let (_, db) = dir.generated_store(&params, "room")?;
    let names: Vec<String> = crate::store::Store::open_read_only(&db)?
        .ok_or_else(|| Error::Internal("the bench's database is missing".into()))?
        .teams()?
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let server = ServerProcess::start(&db)?;
    server.ready_after(Duration::from_secs(3600))?;
    server.settled(Duration::from_secs(3600))?;
    let addr = server.addr;
    let rss_before = server.rss_mib();
    let (ready, played, measured) = (
        Barrier::new(spec.rooms + 1),
        Barrier::new(spec.rooms + 1),
        Barrier::new(spec.rooms + 1),
    );
    let (results, play_seconds, rss_with_rooms) = std::thread::scope(|scope| {
        // Every driver waits for the word to start: given once all of them are running, so
        // that no barrier waits for a room that never started.
        let mut starts = Vec::new();
        let mut handles = Vec::new();
        for i in 0..spec.rooms {
            let team = names[i % names.len()].as_str();
            let barriers = [&ready, &played, &measured];
            let (start, go) = mpsc::channel::<bool>();
            let spawned = std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn_scoped(scope, move || {
                    if go.recv() != Ok(true) {
                        return Err(Error::Internal("the bench stopped".into()));
                    }
                    let mut gates = Gates {
                        barriers,
                        passed: 0,
                    };
                    let r = play_room(addr, spec, (i, team), &mut gates);
                    gates.pass_all();
                    r
                });
            match spawned {
                Ok(h) => {
                    starts.push(start);
                    handles.push(h);
                }
                Err(e) => {
                    for s in &starts {
                        let _ = s.send(false);
                    }
                    return Err(Error::Internal(format!(
                        "cannot start a room's driver: {e}"
                    )));
                }
            }
        }
        for s in &starts {
            let _ = s.send(true);
        }
        ready.wait();
        let t = Instant::now();
        played.wait();
        let play_seconds = t.elapsed().as_secs_f64();
        let rss = server.rss_mib();
        measured.wait();
        let results: Vec<Result<Played>> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Internal("a room's driver failed".into())))
            })
            .collect();
        Ok((results, play_seconds, rss))
    })?;
    let peak_mib = server.peak_mib();
    server.stop()?;
    let mut all = Played::default();
    for r in results {
        let r = r?;
        all.pages_ms.extend(r.pages_ms);
        all.all_pages_ms.extend(r.all_pages_ms);
        all.reveal_ms.extend(r.reveal_ms);
        all.vote_ms.extend(r.vote_ms);
    }
    let (pages, every, reveal, vote) = (
        sorted(all.pages_ms),
        sorted(all.all_pages_ms),
        sorted(all.reveal_ms),
        sorted(all.vote_ms),
    );
    let q = |v: &[f64], p: f64| lower_quantile(v, p).unwrap_or(0.0);
    Ok(RoomBench {
        rooms: spec.rooms,
        participants: spec.participants,
        stories: spec.stories,
        think_ms: spec.think_ms,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        teams,
        reveals: every.len(),
        votes: vote.len(),
        page_median_ms: q(&pages, 0.5),
        page_p99_ms: q(&pages, 0.99),
        page_max_ms: pages.last().copied().unwrap_or(0.0),
        all_pages_median_ms: q(&every, 0.5),
        all_pages_p99_ms: q(&every, 0.99),
        reveal_answer_median_ms: q(&reveal, 0.5),
        reveal_answer_p99_ms: q(&reveal, 0.99),
        vote_answer_median_ms: q(&vote, 0.5),
        vote_answer_p99_ms: q(&vote, 0.99),
        per_room_kib: rss_before
            .zip(rss_with_rooms)
            .map(|(b, a)| (a - b) * 1024.0 / spec.rooms as f64),
        rss_before_mib: rss_before,
        rss_with_rooms_mib: rss_with_rooms,
        peak_mib,
        play_seconds,
    })
}

impl Render for RoomBench {
    fn tables(&self, format: Format) -> Result<String> {
        let r = self;
        let mut t = Table::new(
            &["time", "count", "median ms", "p99 ms"],
            &[false, true, true, true],
        );
        t.row(vec![
            "reveal sent -> a participant's page has it".into(),
            (r.reveals * r.participants).to_string(),
            format!("{:.1}", r.page_median_ms),
            format!("{:.1}", r.page_p99_ms),
        ]);
        t.row(vec![
            "reveal sent -> every page of the room has it".into(),
            r.reveals.to_string(),
            format!("{:.1}", r.all_pages_median_ms),
            format!("{:.1}", r.all_pages_p99_ms),
        ]);
        t.row(vec![
            "reveal answered (round stored)".into(),
            r.reveals.to_string(),
            format!("{:.1}", r.reveal_answer_median_ms),
            format!("{:.1}", r.reveal_answer_p99_ms),
        ]);
        t.row(vec![
            "vote answered (room saved)".into(),
            r.votes.to_string(),
            format!("{:.1}", r.vote_answer_median_ms),
            format!("{:.1}", r.vote_answer_p99_ms),
        ]);
        let mib = |m: Option<f64>| m.map_or("unknown".to_string(), |m| format!("{m:.0} MiB"));
        let mut s = format!(
            "room bench: {} rooms x {} participants (all voting, each with the room's event \
             stream open), {} stories each (every other one in two rounds), think time {} ms \
             (mean), {} teams' data, {} cores; played in {:.1} s\n\
             the server is `sprintlens serve` in a process of its own; it and the participants \
             share the machine; loopback only\n\n",
            r.rooms, r.participants, r.stories, r.think_ms, r.teams, r.cores, r.play_seconds
        );
        s.push_str(&t.render(format));
        s.push_str(&format!(
            "\nserver memory: {} once ready, {} with every room open and every stream \
             connected: {} per room; peak {}\n\
             target: p99 from a reveal to every page under 100 ms (100 rooms x 8 \
             participants): {} here\n",
            mib(r.rss_before_mib),
            mib(r.rss_with_rooms_mib),
            r.per_room_kib
                .map_or("unknown".to_string(), |k| format!("{k:.0} KiB")),
            mib(r.peak_mib),
            if r.all_pages_p99_ms < 100.0 {
                "met"
            } else {
                "not met"
            },
        ));
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_event_gives_its_version() {
        let e = b"event: state\ndata: {\"room\":\"x\",\"team\":\"t\",\"version\":42,\"closed\":false}\n\n";
        assert_eq!(version_of(e), Some(42));
        assert_eq!(version_of(b": keep-alive\n\n"), None);
    }
}
