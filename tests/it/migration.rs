//! Schema migrations on files made by earlier versions: upgraded in place, nothing lost, and
//! the same figures as a fresh ingest of the same data.

use crate::common::*;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The version-1 file of the fixtures, unpacked into `dir`.
fn version_1_file(dir: &Path) -> PathBuf {
    fixture(dir, "v1-search.duckdb.gz")
}

/// A packed database file of the fixtures, unpacked into `dir` as old.duckdb.
fn fixture(dir: &Path, name: &str) -> PathBuf {
    let packed = std::fs::File::open(project_root().join("tests/fixtures").join(name))
        .expect("the fixture is there");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(packed)
        .read_to_end(&mut bytes)
        .expect("the fixture unpacks");
    write(dir, "old.duckdb", &bytes)
}

/// The rows the fixtures were made from: the search team's lines of each file of the sample
/// data of that time (tests/fixtures/search-rows/), copied into `dir`.
fn search_rows(dir: &Path) -> PathBuf {
    let folder = dir.join("search");
    std::fs::create_dir(&folder).unwrap();
    for name in [
        "teams",
        "decks",
        "sprints",
        "stories",
        "sprint_items",
        "votes",
    ] {
        let from = project_root().join(format!("tests/fixtures/search-rows/{name}.csv"));
        std::fs::copy(&from, folder.join(format!("{name}.csv"))).unwrap();
    }
    folder
}

fn json(db: &Path, args: &[&str]) -> serde_json::Value {
    let r = sprintlens(db, &[&["--format", "json"], args].concat());
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

#[test]
fn a_version_1_file_is_upgraded_in_place_to_what_a_fresh_ingest_gives() {
    let dir = scratch();
    let old = version_1_file(dir.path());
    let fresh = dir.path().join("fresh.duckdb");
    let rows = search_rows(dir.path());
    let r = sprintlens(&fresh, &["ingest", "-q", rows.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // A read-only command upgrades the file in place: version 2, the same rows, the ingest log
    // of version 1 kept.
    let info = json(&old, &["info"]);
    assert_eq!(info["schema_version"], 6);
    assert_eq!(info["totals"], json(&fresh, &["info"])["totals"]);
    assert_eq!(info["totals"]["votes"], 1024);
    let log = info["ingests"].as_array().unwrap();
    assert_eq!(log.len(), 6);
    assert_eq!(log[0]["file"], "./votes.csv");
    assert_eq!(log[0]["inserted"], 1024);

    // The round figures kept at the upgrade are those a fresh ingest keeps: every report that
    // reads them agrees, names shown or not.
    for args in [
        vec!["spread", "--show-names"],
        vec!["spread"],
        vec!["accuracy"],
        vec!["splits", "--as-of", "2025-07-01"],
    ] {
        assert_eq!(json(&old, &args), json(&fresh, &args), "{args:?}");
    }
    let spread = json(&old, &["spread"]);
    assert_eq!(spread["rounds"].as_array().unwrap().len(), 256);

    // The upgraded file takes new rounds like any other: a round 2 for a story voted XXL.
    let more = write(
        dir.path(),
        "more.csv",
        b"team,session,story,round,voter,card\nsearch,SEA-R1,SEA-106,2,lena.c,L\nsearch,SEA-R1,SEA-106,2,sven.c,XXL\n",
    );
    for db in [&old, &fresh] {
        let r = sprintlens(db, &["ingest", "-q", more.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let (a, b) = (json(&old, &["spread"]), json(&fresh, &["spread"]));
    assert_eq!(a, b);
    let rounds = a["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 257);
    let added = rounds
        .iter()
        .find(|r| r["story"] == "SEA-106" && r["round"] == 2)
        .unwrap();
    // L is step 3 of the deck, XXL step 5: two steps apart, up from 0 in round 1.
    assert_eq!(
        (added["votes"].as_u64(), added["spread_steps"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(added["spread_change"], 2);

    // Opening it again changes nothing more.
    let before = fingerprint(&old);
    assert_eq!(json(&old, &["info"])["schema_version"], 6);
    assert_eq!(fingerprint(&old), before);
}

/// SplitMix64, as the product's generator.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

// The property: after any sequence of ingests (new votes, votes cast again with another card,
// the same vote in two files of one call, a team changing its deck so that every card moves to
// another step), the round figures kept incrementally are those computed afresh from every
// stored vote.
#[test]
fn incremental_round_figures_equal_a_full_recompute_after_random_ingests() {
    let cards = ["1", "2", "3", "5", "8", "13", "?", "coffee"];
    // Each deck holds every card above, at different steps.
    let decks = [
        "fibonacci,,",
        "modified-fibonacci,,",
        "big,1,1\n{team},big,2,2\n{team},big,3,3\n{team},big,5,5\n{team},big,8,8\n{team},big,13,13\n{team},big,100,100",
    ];
    // (calls that changed a deck, calls that stored votes, calls refused, rounds kept at the end)
    let mut seen = (0, 0, 0, 0);
    for seed in 1..=8u64 {
        let mut rng = Rng(seed);
        let dir = scratch();
        let db = dir.path().join("inc.duckdb");
        let teams = write(dir.path(), "teams.csv", b"team,name\npay,Pay\nweb,Web\n");
        let r = sprintlens(&db, &["ingest", "-q", teams.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        for call in 0..8 {
            let mut files = Vec::new();
            let mut with_deck = false;
            for f in 0..1 + rng.below(2) {
                let name = format!("c{call}-{f}.csv");
                let text = if rng.below(4) == 0 {
                    let team = ["pay", "web"][rng.below(2)];
                    let deck = decks[rng.below(decks.len())].replace("{team}", team);
                    with_deck = true;
                    format!("team,deck,card,value\n{team},{deck}\n")
                } else {
                    let mut t = String::from("team,session,story,round,voter,card,voted_at\n");
                    for _ in 0..1 + rng.below(12) {
                        let team = ["pay", "web"][rng.below(2)];
                        t.push_str(&format!(
                            "{team},s{},{team}-{},{},{},{},2025-02-{:02}T10:00:00\n",
                            rng.below(2),
                            rng.below(4),
                            1 + rng.below(3),
                            ["ann", "bo", "cy", "di"][rng.below(4)],
                            cards[rng.below(cards.len())],
                            1 + rng.below(28),
                        ));
                    }
                    t
                };
                files.push(write(dir.path(), &name, text.as_bytes()));
            }
            let mut args = vec!["ingest".to_string(), "-q".to_string()];
            args.extend(files.iter().map(|p| p.display().to_string()));
            let r = sprintlens(&db, &args.iter().map(String::as_str).collect::<Vec<_>>());
            // A call may be refused (one vote, two cards in the call; a decks file and votes
            // of another deck): then nothing changes, which the comparison checks as well.
            if r.code != 0 {
                assert!(
                    r.stderr.contains("error"),
                    "seed {seed} call {call}: {}",
                    r.stderr
                );
                seen.2 += 1;
            } else if with_deck {
                seen.0 += 1;
            } else {
                seen.1 += 1;
            }
            let conn = duckdb::Connection::open(&db).unwrap();
            let kept = round_figures(&conn);
            drop(conn);
            assert_eq!(
                kept,
                recomputed(&db, dir.path()),
                "seed {seed}, after call {call}: the kept round figures differ"
            );
            if call == 7 {
                seen.3 += kept
                    .iter()
                    .filter(|l| !l.starts_with("Text(\"voter\")"))
                    .count();
            }
        }
    }
    // The sequences did what they are for.
    assert!(seen.0 >= 5 && seen.1 >= 20 && seen.3 >= 100, "{seen:?}");
}

#[test]
fn a_version_2_file_is_upgraded_in_place_and_takes_last_round_only_votes() {
    let dir = scratch();
    let old = fixture(dir.path(), "v2-search.duckdb.gz");
    let fresh = dir.path().join("fresh.duckdb");
    let rows = search_rows(dir.path());
    let r = sprintlens(&fresh, &["ingest", "-q", rows.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let info = json(&old, &["info"]);
    assert_eq!(info["schema_version"], 6);
    assert_eq!(info["totals"], json(&fresh, &["info"])["totals"]);
    for args in [
        vec!["spread", "--show-names"],
        vec!["accuracy"],
        vec!["splits", "--as-of", "2025-07-01"],
    ] {
        assert_eq!(json(&old, &args), json(&fresh, &args), "{args:?}");
    }
    // Rows stored before the upgrade are complete rounds.
    let conn = duckdb::Connection::open(&old).unwrap();
    assert_eq!(
        rows_as_text(
            &conn,
            "select count(*), count(last_round_only) from votes union all \
             select count(*), count(last_round_only) from round_stats"
        ),
        vec!["BigInt(1024) | BigInt(0)", "BigInt(256) | BigInt(0)"]
    );
    drop(conn);
    // Both take an export's last round the same way.
    let last = write(
        dir.path(),
        "last.csv",
        b"team,session,story,round,voter,card,last_round_only\nsearch,export,SEA-900,1,lena.c,L,true\nsearch,export,SEA-900,1,sven.c,XS,true\n",
    );
    for db in [&old, &fresh] {
        let r = sprintlens(db, &["ingest", "-q", last.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let (a, b) = (
        json(&old, &["spread", "--rounds"]),
        json(&fresh, &["spread", "--rounds"]),
    );
    assert_eq!(a, b);
    let story = a["stories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["story"] == "SEA-900")
        .unwrap();
    assert_eq!(story["last_round_only"], true);
    assert_eq!(story["first_spread"], serde_json::Value::Null);
    assert_eq!(
        story["undefined"]["first_spread"],
        "unknown: the source keeps only the last round"
    );
}

#[test]
fn a_version_3_file_is_upgraded_in_place_and_keeps_reports_from_then_on() {
    let dir = scratch();
    let old = fixture(dir.path(), "v3-search.duckdb.gz");
    let fresh = dir.path().join("fresh.duckdb");
    let rows = search_rows(dir.path());
    let r = sprintlens(&fresh, &["ingest", "-q", rows.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let info = json(&old, &["info"]);
    assert_eq!(info["schema_version"], 6);
    assert_eq!(info["totals"], json(&fresh, &["info"])["totals"]);
    for args in [
        vec!["spread", "--show-names"],
        vec!["accuracy"],
        vec!["splits", "--as-of", "2025-07-01"],
        vec!["velocity", "--as-of", "2025-07-01"],
    ] {
        assert_eq!(json(&old, &args), json(&fresh, &args), "{args:?}");
    }
    // Its one team was last written by its last ingest (the six files of version 3's ingest);
    // nothing is kept yet.
    let conn = duckdb::Connection::open(&old).unwrap();
    assert_eq!(
        rows_as_text(
            &conn,
            "select team, generation, (select max(id) from ingest_log) from team_writes"
        ),
        vec!["Text(\"search\") | BigInt(6) | Int(6)"]
    );
    assert_eq!(
        rows_as_text(&conn, "select count(*) from kept_reports"),
        vec!["BigInt(0)"]
    );
    drop(conn);
    // A new write marks the team it wrote, at its own generation.
    let more = write(
        dir.path(),
        "more.csv",
        b"team,session,story,round,voter,card\nsearch,SEA-R1,SEA-106,2,lena.c,L\n",
    );
    let r = sprintlens(&old, &["ingest", "-q", more.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let conn = duckdb::Connection::open(&old).unwrap();
    assert_eq!(
        rows_as_text(&conn, "select team, generation from team_writes"),
        vec!["Text(\"search\") | BigInt(7)"]
    );
    drop(conn);
    // Opening it again changes nothing more.
    let before = fingerprint(&old);
    assert_eq!(json(&old, &["info"])["schema_version"], 6);
    assert_eq!(fingerprint(&old), before);
    // And takes sprint events (schema 6) like a new file.
    let conn = duckdb::Connection::open(&old).unwrap();
    assert_eq!(
        rows_as_text(&conn, "select count(*) from sprint_events"),
        vec!["BigInt(0)"]
    );
}

#[test]
fn a_version_4_file_is_upgraded_in_place_and_keeps_rooms_from_then_on() {
    let dir = scratch();
    let old = fixture(dir.path(), "v4-search.duckdb.gz");
    let fresh = dir.path().join("fresh.duckdb");
    let rows = search_rows(dir.path());
    let r = sprintlens(&fresh, &["ingest", "-q", rows.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let info = json(&old, &["info"]);
    assert_eq!(info["schema_version"], 6);
    assert_eq!(info["totals"], json(&fresh, &["info"])["totals"]);
    for args in [
        vec!["spread", "--show-names"],
        vec!["splits", "--as-of", "2025-07-01"],
    ] {
        assert_eq!(json(&old, &args), json(&fresh, &args), "{args:?}");
    }
    // No room yet; version 4's marks of the teams' last writes kept.
    assert_eq!(
        json(&old, &["room", "list"]),
        serde_json::json!({"sessions": []})
    );
    let conn = duckdb::Connection::open(&old).unwrap();
    assert_eq!(
        rows_as_text(&conn, "select team, generation from team_writes"),
        vec!["Text(\"search\") | BigInt(6)"]
    );
    assert_eq!(
        rows_as_text(&conn, "select count(*) from rooms"),
        vec!["BigInt(0)"]
    );
    drop(conn);
    // A room opened on the upgraded file plays and is kept like any other.
    let (server, addr) = serve_with(&old, &["--bind", "127.0.0.1:0"]);
    let (s, b) = call(
        &addr,
        "POST",
        "/api/v1/rooms",
        &[("Content-Type", "application/json")],
        br#"{"team": "search", "name": "Fay", "title": "after the upgrade"}"#,
    );
    assert_eq!(s, 201, "{b}");
    drop(server);
    let conn = duckdb::Connection::open(&old).unwrap();
    assert_eq!(
        rows_as_text(&conn, "select team, title from rooms"),
        vec!["Text(\"search\") | Text(\"after the upgrade\")"]
    );
    drop(conn);
    let before = fingerprint(&old);
    assert_eq!(json(&old, &["info"])["schema_version"], 6);
    assert_eq!(fingerprint(&old), before);
}

#[test]
fn a_version_5_file_is_upgraded_in_place_and_takes_sprint_events() {
    let dir = scratch();
    let old = fixture(dir.path(), "v5-search.duckdb.gz");
    let fresh = dir.path().join("fresh.duckdb");
    let rows = search_rows(dir.path());
    let r = sprintlens(&fresh, &["ingest", "-q", rows.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let info = json(&old, &["info"]);
    assert_eq!(info["schema_version"], 6);
    assert_eq!(info["totals"], json(&fresh, &["info"])["totals"]);
    for args in [
        vec!["velocity"],
        vec!["spread", "--show-names"],
        vec!["splits", "--as-of", "2025-07-01"],
    ] {
        assert_eq!(json(&old, &args), json(&fresh, &args), "{args:?}");
    }
    let conn = duckdb::Connection::open(&old).unwrap();
    // The sprints keep their rows, with no start or close time yet; no events.
    assert_eq!(
        rows_as_text(
            &conn,
            "select count(*), count(started_at), count(closed_at) from sprints"
        ),
        vec!["BigInt(12) | BigInt(0) | BigInt(0)"]
    );
    assert_eq!(
        rows_as_text(&conn, "select count(*) from sprint_events"),
        vec!["BigInt(0)"]
    );
    let sprint = rows_as_text(
        &conn,
        "select sprint_id, strftime(start_date, '%Y-%m-%d') from sprints order by start_date limit 1",
    );
    drop(conn);
    // Events for the upgraded file's first sprint: a story added on its second day is added
    // work, not committed.
    let id = sprint[0].split('"').nth(1).unwrap().to_string();
    let day = sprint[0].split('"').nth(3).unwrap().to_string();
    let events = write(
        dir.path(),
        "events.csv",
        format!(
            "team,sprint_id,story,changed_at,event,points\nsearch,{id},NEW-1,{day} 00:00,added,3\n\
             search,{id},NEW-2,{day} 23:00,added,5\n"
        )
        .as_bytes(),
    );
    ingest_ok(&old, &[&events]);
    let conn = duckdb::Connection::open(&old).unwrap();
    assert_eq!(
        rows_as_text(
            &conn,
            &format!(
                "select story, committed, points_start, status from sprint_items \
                 where sprint_id = '{id}' and story like 'NEW-%' order by story"
            )
        ),
        vec![
            "Text(\"NEW-1\") | Boolean(true) | Double(3.0) | Text(\"not_done\")",
            "Text(\"NEW-2\") | Boolean(false) | Null | Text(\"not_done\")",
        ]
    );
}
