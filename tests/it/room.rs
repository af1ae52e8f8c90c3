//! The estimation room over HTTP, through the real binary: a room with a facilitator and three
//! participants plays one story in two rounds and one in one round; nobody sees another's card
//! before the reveal; the stored votes are what was played, every round kept; the reports read
//! them; every bad action is refused with its reason and changes nothing; a server stopped in
//! the middle of a round comes back with the room as it was.

use crate::common::*;
use serde_json::{Value, json};
use std::io::{Read, Write};

/// A room's participant: their secret (sent as the header scripts use).
struct P<'a> {
    addr: &'a str,
    link: String,
    secret: String,
}

impl P<'_> {
    fn post(&self, action: &str, body: Value) -> (u16, Value) {
        let (s, b) = call(
            self.addr,
            "POST",
            &format!("/api/v1/rooms/{}/{action}", self.link),
            &[
                ("Content-Type", "application/json"),
                ("X-Sprintlens-Participant", &self.secret),
            ],
            body.to_string().as_bytes(),
        );
        (s, serde_json::from_str(&b).unwrap_or(Value::String(b)))
    }

    fn ok(&self, action: &str, body: Value) -> Value {
        let (s, v) = self.post(action, body.clone());
        assert_eq!(s, 200, "{action} {body}: {v}");
        v
    }

    /// The room as this participant sees it, as JSON text and parsed.
    fn state(&self) -> (String, Value) {
        let (s, b) = call(
            self.addr,
            "GET",
            &format!("/api/v1/rooms/{}", self.link),
            &[("X-Sprintlens-Participant", &self.secret)],
            b"",
        );
        assert_eq!(s, 200, "{b}");
        let v = serde_json::from_str(&b).unwrap();
        (b, v)
    }
}

fn open_room<'a>(addr: &'a str, team: &str) -> P<'a> {
    open_room_with(
        addr,
        json!({"team": team, "title": "Sprint 13 planning", "name": "Fay"}),
    )
}

fn open_room_with(addr: &str, body: Value) -> P<'_> {
    let (s, b) = call(
        addr,
        "POST",
        "/api/v1/rooms",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    assert_eq!(s, 201, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    let link = v["room"].as_str().unwrap().to_string();
    // The link's secret: 256 random bits.
    assert!(link.len() >= 64, "{link}");
    P {
        addr,
        link,
        secret: v["secret"].as_str().unwrap().to_string(),
    }
}

fn join<'a>(room: &P<'a>, name: &str) -> P<'a> {
    join_with(room, json!({ "name": name }))
}

fn join_with<'a>(room: &P<'a>, body: Value) -> P<'a> {
    let v = P {
        addr: room.addr,
        link: room.link.clone(),
        secret: String::new(),
    }
    .ok("join", body);
    P {
        addr: room.addr,
        link: room.link.clone(),
        secret: v["secret"].as_str().unwrap().to_string(),
    }
}

/// The cards of the round being played that a participant's state shows: their own only.
fn visible_cards(state: &Value) -> Vec<String> {
    let story = state["current"]["story"].as_str().unwrap_or_default();
    let mut cards: Vec<String> = state["current"]["your_card"]
        .as_str()
        .map(|c| vec![c.to_string()])
        .unwrap_or_default();
    for s in state["stories"].as_array().unwrap() {
        if s["key"] == story {
            let current = state["current"]["round"].as_u64().unwrap();
            for r in s["rounds"].as_array().unwrap() {
                if r["round"].as_u64() == Some(current) {
                    cards.extend(
                        r["cards"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|c| c["card"].as_str().unwrap().to_string()),
                    );
                }
            }
        }
    }
    cards
}

#[test]
fn a_room_plays_its_rounds_and_stores_every_one() {
    let dir = scratch();
    let db = sample_store(dir.path(), "room.duckdb");
    let (server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    ready(&addr, std::time::Duration::from_secs(60));
    let fay = open_room(&addr, "payments");
    let (ann, bob, cy) = (join(&fay, "Ann"), join(&fay, "Bob"), join(&fay, "Cy"));
    fay.ok(
        "stories",
        json!({"text": "NEW-1 Refund by card\nNEW-2 Export invoices"}),
    );
    // Story 1, round 1.
    assert_eq!(fay.ok("rounds", json!({"story": "NEW-1"}))["round"], 1);
    ann.ok("votes", json!({"card": "3"}));
    bob.ok("votes", json!({"card": "13"}));
    cy.ok("votes", json!({"card": "8"}));
    cy.ok("votes", json!({"card": "5"}));
    // Before the reveal nobody sees another's card: each their own, all that they voted.
    for (p, own) in [(&ann, "3"), (&bob, "13"), (&cy, "5")] {
        let (_, v) = p.state();
        assert_eq!(visible_cards(&v), vec![own.to_string()]);
        assert_eq!(v["current"]["voted"], json!([2, 3, 4]));
    }
    let (text, v) = fay.state();
    assert_eq!(visible_cards(&v), Vec::<String>::new(), "{text}");
    assert!(!text.contains("\"your_card\":\"3\""));
    assert_eq!(fay.ok("reveal", json!({}))["revealed"], 1);
    // Revealed: every card, and the help.
    let (_, v) = ann.state();
    let round = &v["stories"][0]["rounds"][0];
    assert_eq!(
        round["cards"],
        json!([
            {"place": 2, "name": "Ann", "card": "3"},
            {"place": 3, "name": "Bob", "card": "13"},
            {"place": 4, "name": "Cy", "card": "5"}
        ])
    );
    // payments plays modified Fibonacci (0 ½ 1 2 3 5 8 13 20 40 100): 3 is step 4, 13 step 7.
    assert_eq!(round["help"]["spread_steps"], 3);
    assert_eq!(
        round["help"]["low"],
        json!({"card": "3", "voters": ["Ann"]})
    );
    assert_eq!(
        round["help"]["high"],
        json!({"card": "13", "voters": ["Bob"]})
    );
    assert_eq!(round["help"]["suggested_card"], "5");
    assert_eq!(v["current"], Value::Null);
    // A late vote is refused, and changes nothing.
    let before = fay.state().1["version"].clone();
    let (s, e) = bob.post("votes", json!({"card": "8"}));
    assert_eq!(s, 409, "{e}");
    assert_eq!(fay.state().1["version"], before);
    // Round 2, then the estimate.
    assert_eq!(fay.ok("rounds", json!({"story": "NEW-1"}))["round"], 2);
    ann.ok("votes", json!({"card": "5"}));
    bob.ok("votes", json!({"card": "8"}));
    cy.ok("votes", json!({"card": "5"}));
    fay.ok("reveal", json!({}));
    assert_eq!(
        fay.ok("estimate", json!({"story": "NEW-1", "card": "5"})),
        json!({"decision": "estimate", "card": "5", "value": 5.0})
    );
    // Story 2, one round, split.
    fay.ok("rounds", json!({"story": "NEW-2"}));
    for (p, c) in [(&ann, "20"), (&bob, "40"), (&cy, "?")] {
        p.ok("votes", json!({ "card": c }));
    }
    fay.ok("reveal", json!({}));
    fay.ok(
        "estimate",
        json!({"story": "NEW-2", "split": "per invoice type"}),
    );

    // The stored votes are what was played, both rounds of story 1 kept, complete rounds.
    let session = fay.state().1["session"].as_str().unwrap().to_string();
    let spread = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "spread",
            "--team",
            "payments",
            "--show-names",
            "--rounds",
        ],
    );
    assert_eq!(spread.code, 0, "{}", spread.stderr);
    let spread: Value = serde_json::from_str(&spread.stdout).unwrap();
    let rounds: Vec<&Value> = spread["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["session"] == session.as_str())
        .collect();
    let summary: Vec<(String, i64, i64, i64)> = rounds
        .iter()
        .map(|r| {
            (
                r["story"].as_str().unwrap().to_string(),
                r["round"].as_i64().unwrap(),
                r["votes"].as_i64().unwrap(),
                r["spread_steps"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("NEW-1".to_string(), 1, 3, 3),
            ("NEW-1".to_string(), 2, 3, 1),
            ("NEW-2".to_string(), 1, 3, 1),
        ]
    );
    assert!(rounds.iter().all(|r| r.get("last_round_only").is_none()));
    let story = spread["stories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["story"] == "NEW-1" && s["session"] == session.as_str())
        .unwrap();
    assert_eq!(story["rounds"], 2);
    assert_eq!(story["first_spread"], 3);
    assert_eq!(story["final_estimate"], 5.0);
    // The split list reads them too (NEW-2: not estimated, voted 20 and 40).
    let splits = sprintlens(&db, &["--format", "json", "splits", "--team", "payments"]);
    assert_eq!(splits.code, 0, "{}", splits.stderr);
    // The session's summary, and its export for the tracker.
    let sum = get_json(&addr, &format!("/api/v1/rooms/{}/summary", fay.link));
    assert_eq!(sum["totals"]["estimated"], 1);
    assert_eq!(sum["totals"]["split"], 1);
    assert_eq!(sum["totals"]["rounds"], 3);
    let csv = sprintlens(&db, &["--format", "csv", "room", "export", &session]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert_eq!(csv.stdout, "key,estimate\nNEW-1,5\n");
    let md = sprintlens(
        &db,
        &[
            "--format",
            "markdown",
            "room",
            "export",
            "sprint 13 PLANNING",
        ],
    );
    assert_eq!(md.code, 0, "{}", md.stderr);
    assert!(
        md.stdout.contains("| NEW-2 | Export invoices | 1 |"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("split: per invoice type"),
        "{}",
        md.stdout
    );
    // The team page says where the votes come from: live capture.
    let team = get_json(&addr, "/api/teams/payments");
    assert!(
        team["vote_sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["source"] == "live room" && s["rounds"] == 3),
        "{}",
        team["vote_sources"]
    );
    drop(server);
    // Without the server, the export reads the store.
    let csv = sprintlens(&db, &["--format", "csv", "room", "export", &session]);
    assert_eq!(csv.stdout, "key,estimate\nNEW-1,5\n");
}

#[test]
fn bad_actions_are_refused_with_their_reason_and_change_nothing() {
    let dir = scratch();
    let db = sample_store(dir.path(), "room.duckdb");
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let fay = open_room(&addr, "payments");
    let ann = join(&fay, "Ann");
    let stranger = P {
        addr: &addr,
        link: fay.link.clone(),
        secret: "sl_nobody".into(),
    };
    fay.ok("stories", json!({"text": "NEW-1 Refund"}));
    fay.ok("rounds", json!({"story": "NEW-1"}));
    ann.ok("votes", json!({"card": "5"}));
    let version = || fay.state().1["version"].clone();
    let before = version();
    let refused = |p: &P, action: &str, body: Value, status: u16, says: &str| {
        let (s, v) = p.post(action, body);
        assert_eq!(s, status, "{action}: {v}");
        assert!(
            v["error"].as_str().unwrap_or_default().contains(says),
            "{action}: {v}"
        );
    };
    refused(
        &ann,
        "votes",
        json!({"card": "4"}),
        400,
        "not a card of this room's deck",
    );
    refused(
        &stranger,
        "votes",
        json!({"card": "5"}),
        403,
        "join the room first",
    );
    refused(&ann, "reveal", json!({}), 403, "only the facilitator");
    refused(
        &ann,
        "stories",
        json!({"text": "X-1"}),
        403,
        "only the facilitator",
    );
    refused(
        &fay,
        "rounds",
        json!({"story": "NEW-1"}),
        409,
        "being played",
    );
    refused(
        &fay,
        "estimate",
        json!({"story": "NEW-1", "card": "5"}),
        409,
        "reveal it first",
    );
    refused(
        &fay,
        "stories",
        json!({"text": "NEW-1 again"}),
        409,
        "already in the room",
    );
    refused(&fay, "join", json!({"name": "ann"}), 200, "");
    refused(
        &P {
            addr: &addr,
            link: fay.link.clone(),
            secret: String::new(),
        },
        "join",
        json!({"name": "ANN"}),
        409,
        "already called",
    );
    refused(
        &fay,
        "votes",
        json!({"card": "5", "extra": 1}),
        400,
        "unknown field",
    );
    refused(
        &fay,
        "estimate",
        json!({"story": "NEW-1"}),
        400,
        "either the card",
    );
    let many: Vec<Value> = (0..501).map(|i| json!({"key": format!("S-{i}")})).collect();
    refused(
        &fay,
        "stories",
        json!({"stories": many}),
        409,
        "at most 500",
    );
    assert_eq!(version(), before, "nothing changed");
    // Not JSON, too large, no such room.
    let (s, _) = call(
        &addr,
        "POST",
        &format!("/api/v1/rooms/{}/votes", fay.link),
        &[
            ("Content-Type", "text/plain"),
            ("X-Sprintlens-Participant", &ann.secret),
        ],
        b"card=5",
    );
    assert_eq!(s, 415);
    let big = vec![b'x'; 300 << 10];
    let (s, _) = call(
        &addr,
        "POST",
        &format!("/api/v1/rooms/{}/stories", fay.link),
        &[
            ("Content-Type", "application/json"),
            ("X-Sprintlens-Participant", &fay.secret),
        ],
        &big,
    );
    assert_eq!(s, 413);
    let (s, _) = call(&addr, "GET", "/api/v1/rooms/sl_nosuchroom", &[], b"");
    assert_eq!(s, 404);
    let (s, _) = call(&addr, "GET", "/rooms/sl_nosuchroom", &[], b"");
    assert_eq!(s, 404);
    // A team the store does not have.
    let (s, b) = call(
        &addr,
        "POST",
        "/api/v1/rooms",
        &[("Content-Type", "application/json")],
        json!({"team": "nobody", "name": "Fay"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(s, 404, "{b}");
    assert_eq!(version(), before);
    // Names and titles are text on the page, never markup.
    fay.ok(
        "stories",
        json!({"stories": [{"key": "X-1", "title": "<script>alert(1)</script>"}]}),
    );
    let page = fetch(&addr, &format!("/rooms/{}", fay.link));
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(!page.contains("<script>alert(1)</script>"), "{page}");
}

#[test]
fn a_room_survives_a_restart_in_the_middle_of_a_round() {
    let dir = scratch();
    let db = sample_store(dir.path(), "room.duckdb");
    let (server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let fay = open_room(&addr, "search");
    let (ann, bob) = (join(&fay, "Ann"), join(&fay, "Bob"));
    fay.ok("stories", json!({"text": "NEW-9 Search by tag"}));
    fay.ok("rounds", json!({"story": "NEW-9"}));
    ann.ok("votes", json!({"card": "M"}));
    let before = ann.state().1;
    let (link, fs, asec, bsec) = (
        fay.link.clone(),
        fay.secret.clone(),
        ann.secret.clone(),
        bob.secret.clone(),
    );
    // A room page is open (its event stream) while the server stops: the stream ends with the
    // server, which stops at once instead of waiting for the page (it would give up after 60 s).
    let mut page = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        page,
        "GET /api/v1/rooms/{link}/events HTTP/1.1\r\nHost: t\r\nX-Sprintlens-Participant: {asec}\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    page.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let mut server = server;
    let asked = std::time::Instant::now();
    unsafe { libc::kill(server.0.id() as i32, libc::SIGTERM) };
    server.0.wait().unwrap();
    let took = asked.elapsed();
    assert!(took < std::time::Duration::from_secs(30), "{took:?}");
    // The stream was ended by the server: reading reaches its end.
    page.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    page.read_to_end(&mut rest).unwrap();

    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let p = |secret: &str| P {
        addr: &addr,
        link: link.clone(),
        secret: secret.to_string(),
    };
    let (fay, ann, bob) = (p(&fs), p(&asec), p(&bsec));
    // The room, its story, the round's vote so far and everyone's place are there.
    assert_eq!(ann.state().1, before);
    assert_eq!(ann.state().1["current"]["your_card"], "M");
    assert_eq!(ann.state().1["you"]["place"], 2);
    assert_eq!(bob.state().1["you"]["place"], 3);
    bob.ok("votes", json!({"card": "L"}));
    fay.ok("reveal", json!({}));
    let (_, v) = bob.state();
    assert_eq!(
        v["stories"][0]["rounds"][0]["cards"],
        json!([
            {"place": 2, "name": "Ann", "card": "M"},
            {"place": 3, "name": "Bob", "card": "L"}
        ])
    );
}

/// A room that reveals by itself: the last card in reveals the round (watchers have no card and
/// are not waited for); the facilitator's own reveal is not needed.
#[test]
fn a_room_reveals_by_itself_once_every_card_is_in() {
    let dir = scratch();
    let db = sample_store(dir.path(), "auto.duckdb");
    let (server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    ready(&addr, std::time::Duration::from_secs(60));
    let fay = open_room_with(
        &addr,
        json!({"team": "payments", "name": "Fay", "watch": true, "auto_reveal": true}),
    );
    let (ann, bob) = (join(&fay, "Ann"), join(&fay, "Bob"));
    let guest = join_with(&fay, json!({"name": "Guest", "watch": true}));
    fay.ok("stories", json!({"text": "NEW-9 Card refunds"}));
    fay.ok("rounds", json!({"story": "NEW-9"}));
    let (s, e) = guest.post("votes", json!({"card": "3"}));
    assert_eq!(s, 403, "{e}");
    let (s, e) = fay.post("votes", json!({"card": "3"}));
    assert_eq!(s, 403, "{e}");
    assert_eq!(
        ann.ok("votes", json!({"card": "3"})),
        json!({"voted": true, "revealed": null})
    );
    assert_eq!(fay.state().1["current"]["voted"], json!([2]));
    assert_eq!(
        bob.ok("votes", json!({"card": "5"})),
        json!({"voted": true, "revealed": 1})
    );
    let (_, v) = guest.state();
    assert_eq!(v["current"], Value::Null);
    assert_eq!(v["revealed"], "NEW-9");
    assert_eq!(
        v["stories"][0]["rounds"][0]["cards"],
        json!([
            {"place": 2, "name": "Ann", "card": "3"},
            {"place": 3, "name": "Bob", "card": "5"}
        ])
    );
    assert_eq!(v["participants"][3]["watching"], true);
    drop(server);
}
