//! Rules that hold across rows, files and the stored data; no input dropped or ignored without a
//! word; server answers that leak nothing. Each case on the real binary: exit 1 (or a 400), the
//! message naming file and line where one is at fault, the database byte for byte as it was.

use crate::common::*;
use std::path::{Path, PathBuf};

/// A database holding one team's stored item (started 2025-01-07) and votes on modified
/// Fibonacci.
fn stored(dir: &Path) -> PathBuf {
    let db = dir.join("store.duckdb");
    let items = write(
        dir,
        "items.csv",
        b"team,sprint_id,story,committed,status,started_at,completed_at\n\
          pay,1,PAY-1,true,not_done,2025-01-07,\n",
    );
    let votes = write(
        dir,
        "votes.csv",
        b"team,session,story,round,voter,card\npay,s,PAY-1,1,ann,5\npay,s,PAY-1,1,bob,21\n",
    );
    let decks = write(dir, "decks.csv", b"team,deck\npay,fibonacci\n");
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            items.to_str().unwrap(),
            votes.to_str().unwrap(),
            decks.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    db
}

/// Runs an ingest that must be refused on `db`; checks exit 1, no output, the database
/// unchanged; returns stderr.
fn refused_on(db: &Path, args: &[&str]) -> String {
    let before = fingerprint(db);
    let mut all = vec!["ingest", "-q"];
    all.extend(args);
    let r = sprintlens(db, &all);
    assert_eq!(r.code, 1, "expected exit 1: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(before, fingerprint(db), "the database changed");
    r.stderr
}

#[test]
fn a_completion_before_the_stored_start_is_refused() {
    let dir = scratch();
    let db = stored(dir.path());
    let f = write(
        dir.path(),
        "done.csv",
        b"team,sprint_id,story,status,completed_at\npay,1,PAY-1,done,2025-01-01\n",
    );
    let err = refused_on(&db, &[f.to_str().unwrap()]);
    assert!(
        err.contains(
            "done.csv:2: column \"completed_at\": the item would be completed (2025-01-01 00:00:00, \
             from "
        ) && err.contains("done.csv:2) before it was started (2025-01-07 00:00:00, already stored)"),
        "{err}"
    );
}

#[test]
fn a_start_and_a_completion_from_two_files_of_one_call_are_checked_together() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let a = write(
        dir.path(),
        "a.csv",
        b"team,sprint_id,story,status,started_at\npay,1,PAY-9,done,2025-01-07\n",
    );
    let b = write(
        dir.path(),
        "b.csv",
        b"team,sprint_id,story,status,completed_at\npay,1,PAY-9,done,2025-01-01\n",
    );
    // Either order of the files: the same refusal.
    for files in [[&a, &b], [&b, &a]] {
        let err = refused_on(
            &db,
            &[files[0].to_str().unwrap(), files[1].to_str().unwrap()],
        );
        assert!(
            err.contains("before it was started (2025-01-07 00:00:00, from "),
            "{err}"
        );
        assert!(err.contains("a.csv:2)"), "{err}");
    }
}

#[test]
fn one_vote_two_values_in_two_files_is_refused_whatever_the_order() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let a = write(
        dir.path(),
        "a.csv",
        b"team,session,story,round,voter,card\npay,s,PAY-2,1,ann,5\n",
    );
    let b = write(
        dir.path(),
        "b.csv",
        b"team,session,story,round,voter,card\npay,s,PAY-2,1,ann,8\n",
    );
    let err = refused_on(&db, &[a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(
        err.contains("b.csv:2: column \"card\": voter \"ann\" voted 5 in round 1 of story \"PAY-2\" in session \"s\" in ")
            && err.contains("a.csv:2 and 8 here; one vote per voter and round"),
        "{err}"
    );
    let err = refused_on(&db, &[b.to_str().unwrap(), a.to_str().unwrap()]);
    assert!(
        err.contains("a.csv:2: column \"card\": voter \"ann\" voted 8"),
        "{err}"
    );
    // The same vote in two files with the same card is one vote.
    let c = write(
        dir.path(),
        "c.csv",
        b"team,session,story,round,voter,card\npay,s,PAY-2,1,ann,5\n",
    );
    let r = sprintlens(
        &db,
        &["ingest", "-q", a.to_str().unwrap(), c.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_team_in_two_programs_across_files_is_refused() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let a = write(dir.path(), "a.csv", b"team,story,program\npay,PAY-1,core\n");
    let b = write(dir.path(), "b.csv", b"team,name,program\npay,Pay,edge\n");
    let err = refused_on(&db, &[a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(
        err.contains("column \"program\": team \"pay\" is in program \"edge\" in ")
            && err.contains("and in \"core\" here"),
        "{err}"
    );
}

#[test]
fn a_new_deck_may_not_drop_a_card_stored_votes_use_and_mappings_move_the_votes() {
    let dir = scratch();
    let db = stored(dir.path());
    // Powers of two has no 5 and no 21.
    let d = write(dir.path(), "d.csv", b"team,deck\npay,powers-of-two\n");
    let err = refused_on(&db, &[d.to_str().unwrap()]);
    assert!(
        err.contains("d.csv:2: column \"card\": team \"pay\"'s new deck (powers-of-two) has no card \"21\", which 1 stored vote uses (story \"PAY-1\")"),
        "{err}"
    );
    assert!(err.contains("has no card \"5\""), "{err}");
    // Two decks for one team in one call.
    let e = write(dir.path(), "e.csv", b"team,deck\npay,modified-fibonacci\n");
    let f = write(dir.path(), "f.csv", b"team,deck\npay,fibonacci\n");
    let err = refused_on(&db, &[e.to_str().unwrap(), f.to_str().unwrap()]);
    assert!(
        err.contains("f.csv:2: column \"deck\": team \"pay\" gets a deck in "),
        "{err}"
    );
    // A deck that keeps the cards but gives them other points: stored votes follow.
    let g = write(
        dir.path(),
        "g.csv",
        b"team,deck,card,value\npay,mine,5,6\npay,mine,21,30\n",
    );
    let r = sprintlens(&db, &["ingest", "-q", g.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let conn = duckdb::Connection::open(&db).unwrap();
    let values: Vec<(String, f64)> = conn
        .prepare("select card, value from votes order by card")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(values, [("21".to_string(), 30.0), ("5".to_string(), 6.0)]);
}

#[test]
fn a_map_naming_a_field_twice_is_an_error() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let f = write(dir.path(), "x.csv", b"Key,K2,SP\nPAY-1,PAY-2,3\n");
    for map in [
        "story=Key,story=K2,estimate=SP",
        "story=Key,issuekey=K2,estimate=SP",
    ] {
        let err = refused_on(
            &db,
            &[
                "--map",
                map,
                "--kind",
                "stories",
                "--team",
                "pay",
                f.to_str().unwrap(),
            ],
        );
        assert!(err.contains("mapped twice"), "{map}: {err}");
    }
}

#[test]
fn an_unknown_strftime_specifier_is_an_error() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let f = write(
        dir.path(),
        "j.csv",
        b"Issue key,Summary,Status,Project key,Created\nPAY-1,x,Done,PAY,01.02.2025 10:00\n",
    );
    for fmt in ["%Q", "%d.%m.%Y %Q", "no specifier"] {
        let err = refused_on(&db, &["--date-format", fmt, f.to_str().unwrap()]);
        assert!(err.contains("--date-format"), "{fmt}: {err}");
        assert!(err.contains("expected a chrono format"), "{fmt}: {err}");
    }
    // A good one is taken.
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--date-format",
            "%d.%m.%Y %H:%M",
            f.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn ndjson_follows_the_text_rules_of_csv() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let f = write(
        dir.path(),
        "s.ndjson",
        b"{\"team\":\"pay\",\"story\":\"PAY-1\",\"title\":\"bell \\u0007 here\"}\n{\"team\":\"a\",\"team\":\"b\",\"story\":\"PAY-2\"}\n{\"team\":\"pay\",\"Story\":\"PAY-3\",\"story\":\"PAY-4\"}\n",
    );
    let err = refused_on(&db, &[f.to_str().unwrap()]);
    assert!(
        err.contains("s.ndjson:1: column \"title\": a control character (0x07)"),
        "{err}"
    );
    assert!(
        err.contains("s.ndjson:2: column \"team\": the key appears twice in this object"),
        "{err}"
    );
    assert!(
        err.contains("s.ndjson:3: column \"story\": the key appears twice in this object"),
        "{err}"
    );
}

#[test]
fn a_folder_reads_its_data_files_and_names_what_it_skips() {
    let dir = scratch();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write(&data, "stories.csv", b"team,story,estimate\npay,PAY-1,3\n");
    write(&data, "notes.txt", b"these are my notes\n");
    write(&data, "old.json", b"[1, 2, 3]\n");
    let db = dir.path().join("f.duckdb");
    let r = sprintlens(&db, &["ingest", "-q", data.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("note: skipped ")
            && r.stdout
                .contains("notes.txt (not a .csv, .ndjson or .jsonl file)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("old.json (not a .csv"), "{}", r.stdout);
    let r = sprintlens(
        &db,
        &["--format", "json", "ingest", "-q", data.to_str().unwrap()],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["skipped"].as_array().unwrap().len(), 2, "{}", r.stdout);
    assert_eq!(v["files"].as_array().unwrap().len(), 1);
}

#[test]
fn messages_cap_what_they_echo() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    // A 10 MiB header line of one name no kind takes.
    let mut big = vec![b'x'; 10 * 1024 * 1024];
    big.extend_from_slice(b"\n1\n");
    let f = write(dir.path(), "big.csv", &big);
    let err = refused_on(&db, &[f.to_str().unwrap()]);
    assert!(err.len() < 4000, "{} bytes of messages", err.len());
    assert!(
        err.contains("... (10485760 bytes)"),
        "{}",
        &err[..err.len().min(500)]
    );
}

#[test]
fn links_utf16_zero_and_empty_flags_are_named_rightly() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    // A loop of symbolic links.
    let a = dir.path().join("loop-a.csv");
    let b = dir.path().join("loop-b.csv");
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let err = refused_on(&db, &[a.to_str().unwrap()]);
    assert!(
        err.contains("loop-a.csv: cannot be read: it is a loop of symbolic links"),
        "{err}"
    );
    // A link to nothing.
    let c = dir.path().join("dangling.csv");
    std::os::unix::fs::symlink(dir.path().join("gone.csv"), &c).unwrap();
    let err = refused_on(&db, &[c.to_str().unwrap()]);
    assert!(
        err.contains("dangling.csv: is a link to a file that does not exist"),
        "{err}"
    );
    // UTF-16 without a byte-order mark cannot be told from other encodings; with one it is
    // read (below) unless it does not decode (a lone surrogate).
    let utf16 = |bom: &[u8], text: &str, damaged: bool| {
        let mut u = bom.to_vec();
        for ch in text.encode_utf16() {
            u.extend_from_slice(&ch.to_le_bytes());
        }
        if damaged {
            u.extend_from_slice(&0xD800u16.to_le_bytes());
        }
        u
    };
    let f = write(
        dir.path(),
        "u16.csv",
        &utf16(&[], "team,story\npay,PAY-1\n", false),
    );
    let err = refused_on(&db, &[f.to_str().unwrap()]);
    assert!(
        err.contains("u16.csv: the file is UTF-16 without a byte-order mark"),
        "{err}"
    );
    assert!(!err.contains("Latin-1"), "{err}");
    let f = write(
        dir.path(),
        "cut.csv",
        &utf16(&[0xFF, 0xFE], "team,story\npay,PAY-1\n", true),
    );
    let err = refused_on(&db, &[f.to_str().unwrap()]);
    assert!(
        err.contains("cut.csv: the file is UTF-16 but does not decode as such"),
        "{err}"
    );
    // --team "" is not "no --team".
    let s = write(dir.path(), "s.csv", b"story,estimate\nPAY-1,3\n");
    let err = refused_on(&db, &["--team", "", s.to_str().unwrap()]);
    assert!(err.contains("--team"), "{err}");
    let err = refused_on(
        &db,
        &["--team", "pay", "--program", " ", s.to_str().unwrap()],
    );
    assert!(err.contains("--program"), "{err}");
    // -0 is 0.
    let z = write(dir.path(), "z.csv", b"team,story,estimate\npay,PAY-0,-0\n");
    let r = sprintlens(&db, &["ingest", "-q", z.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let conn = duckdb::Connection::open(&db).unwrap();
    let text: String = conn
        .query_row(
            "select cast(estimate as varchar) from stories where story = 'PAY-0'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(text, "0.0");
}

#[test]
fn store_errors_speak_sprintlens() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    // In use by a server (which writes: reports from the CLI wait for it to stop; an ingest
    // goes through it, see service.rs).
    let (server, _addr) = serve(&db);
    let f = write(dir.path(), "s.csv", b"team,story,estimate\npay,PAY-1,3\n");
    let r = sprintlens(&db, &["info"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("is served by sprintlens at http://127.0.0.1:")
            && r.stderr.contains("read the reports there"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("-readonly"), "{}", r.stderr);
    drop(server);
    // Not a database: a text file, an empty file, a folder.
    for (name, content) in [
        ("notes.duckdb", &b"my notes\n"[..]),
        ("empty.duckdb", &b""[..]),
    ] {
        let other = write(dir.path(), name, content);
        for args in [vec!["info"], vec!["ingest", "-q", f.to_str().unwrap()]] {
            let r = sprintlens(&other, &args);
            assert_eq!(r.code, 1, "{name} {args:?}: {}", r.stderr);
            assert!(
                r.stderr.contains(&format!("{name}: is "))
                    && !r.stderr.contains("in-memory")
                    && !r.stderr.contains("read-only mode"),
                "{name} {args:?}: {}",
                r.stderr
            );
            assert_eq!(std::fs::read(&other).unwrap(), content);
        }
    }
    let folder = dir.path().join("folder.duckdb");
    std::fs::create_dir(&folder).unwrap();
    let r = sprintlens(&folder, &["info"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("is a folder, not a database file"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_server_refuses_days_it_cannot_represent_and_shows_no_paths() {
    let dir = scratch();
    let db = sample_store(dir.path(), "w.duckdb");
    // A sprint planned with nothing recorded yet.
    let s = write(
        dir.path(),
        "next.csv",
        b"team,sprint_id,name,start_date,end_date\npayments,13,PAY Sprint 13,2025-06-23,2025-07-06\n",
    );
    let r = sprintlens(&db, &["ingest", "-q", s.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (_server, addr) = serve(&db);
    for page in [
        "/teams/payments",
        "/teams/payments/splits",
        "/dashboard",
        "/api/teams/payments",
        "/teams/payments/sprints/12",
    ] {
        for day in ["+10000-01-01", "10000-01-01", "1066-10-14", "2025-02-30"] {
            let res = fetch(&addr, &format!("{page}?as_of={day}"));
            assert!(res.starts_with("HTTP/1.1 400"), "{page} {day}: {res}");
            assert!(
                res.contains("expected a date YYYY-MM-DD between 1900-01-01 and 9999-12-31"),
                "{res}"
            );
        }
    }
    for page in ["/", "/api/teams"] {
        let res = fetch(&addr, page);
        assert!(res.starts_with("HTTP/1.1 200"), "{res}");
        assert!(
            !res.contains(".duckdb") && !res.contains(&dir.path().display().to_string()),
            "{page} shows a path: {res}"
        );
        assert!(!res.contains("sample-data"), "{page} shows a file: {res}");
    }
    assert!(fetch(&addr, "/api/teams").contains("\"last_ingest_at\":\""));
    let res = fetch(&addr, "/teams/payments/sprints/13?as_of=2025-07-01");
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    assert!(
        res.contains("nothing is recorded for this sprint yet"),
        "{res}"
    );
    assert!(res.contains("href=\"/teams/payments/sprints/12\""), "{res}");
    let res = fetch(&addr, "/teams/payments/sprints/14");
    assert!(res.starts_with("HTTP/1.1 404"), "{res}");
}

// ------------------------------------------------------------------------------------------
// The property: whatever the split into files and calls, and whatever their order, the store
// ends the same, and every README rule holds after every call.

/// SplitMix64, as the product's generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// One data set: rows per file kind (header, rows).
struct Data {
    files: Vec<(String, String, Vec<String>)>,
}

/// A small random data set over two teams. Sprint items give their start and their completion
/// in separate files (the merged item must hold the rule), some votes repeat in two files with
/// the same card, and every value is valid in any order of the files.
fn data(rng: &mut Rng) -> Data {
    let cards = ["1", "2", "3", "5", "8", "13", "?"];
    let mut files = Vec::new();
    let mut stories = Vec::new();
    let mut votes = Vec::new();
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    let mut sprints = Vec::new();
    for team in ["pay", "web"] {
        for s in 1..=3i64 {
            let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
                + chrono::Duration::days((s - 1) * 14);
            sprints.push(format!(
                "{team},{s},{team} {s},{start},{}",
                start + chrono::Duration::days(13)
            ));
        }
        for k in 0..6 {
            let story = format!("{}-{k}", team.to_uppercase());
            stories.push(format!("{team},{story},Story {k},{}", 1 + rng.below(8)));
            for round in 1..=1 + rng.below(2) {
                for voter in ["ann", "bo", "cy"] {
                    let card = cards[rng.below(cards.len())];
                    votes.push(format!("{team},s,{story},{round},{voter},{card}"));
                }
            }
            let sprint = 1 + rng.below(3);
            let day = 1 + rng.below(20);
            let status = if rng.below(3) == 0 {
                "not_done"
            } else {
                "done"
            };
            starts.push(format!(
                "{team},{sprint},{story},true,{status},2025-01-{day:02}T09:00:00"
            ));
            ends.push(format!(
                "{team},{sprint},{story},true,{status},2025-01-{:02}T17:00:00",
                day + rng.below(5)
            ));
        }
    }
    files.push((
        "teams".into(),
        "team,name,program".into(),
        vec!["pay,Pay,core".into(), "web,Web,core".into()],
    ));
    files.push((
        "decks".into(),
        "team,deck".into(),
        vec!["pay,fibonacci".into(), "web,fibonacci".into()],
    ));
    files.push((
        "sprints".into(),
        "team,sprint_id,name,start_date,end_date".into(),
        sprints,
    ));
    files.push((
        "stories".into(),
        "team,story,title,estimate".into(),
        stories,
    ));
    files.push((
        "votes".into(),
        "team,session,story,round,voter,card".into(),
        votes,
    ));
    files.push((
        "starts".into(),
        "team,sprint_id,story,committed,status,started_at".into(),
        starts,
    ));
    files.push((
        "ends".into(),
        "team,sprint_id,story,committed,status,completed_at".into(),
        ends,
    ));
    Data { files }
}

/// Every canonical table's rows as text, sorted (the ingest log aside).
fn dump(db: &Path) -> Vec<String> {
    let conn = duckdb::Connection::open(db).unwrap();
    let mut out = Vec::new();
    for t in [
        "teams",
        "decks",
        "sprints",
        "stories",
        "votes",
        "sprint_items",
        "sprint_summaries",
    ] {
        for row in rows_as_text(&conn, &format!("select * from {t}")) {
            out.push(format!("{t}: {row}"));
        }
    }
    out.sort();
    out
}

/// The README's rules on the store: keys unique, items not completed before started, sprints
/// not ending before they start, every numeric vote's card in its team's deck with the deck's
/// points, one program per team.
fn rules_hold(db: &Path) {
    let conn = duckdb::Connection::open(db).unwrap();
    for (what, sql) in [
        (
            "duplicate votes",
            "select count(*) from (select 1 from votes group by team, session, story, round, voter having count(*) > 1)",
        ),
        (
            "duplicate items",
            "select count(*) from (select 1 from sprint_items group by team, sprint_id, story having count(*) > 1)",
        ),
        (
            "duplicate stories",
            "select count(*) from (select 1 from stories group by team, story having count(*) > 1)",
        ),
        (
            "duplicate teams",
            "select count(*) from (select 1 from teams group by team having count(*) > 1)",
        ),
        (
            "duplicate cards",
            "select count(*) from (select 1 from decks group by team, card having count(*) > 1)",
        ),
        (
            "completed before started",
            "select count(*) from sprint_items where completed_at < started_at",
        ),
        (
            "sprints ending before they start",
            "select count(*) from sprints where end_date < start_date",
        ),
        (
            "votes off their deck",
            "select count(*) from votes v where v.value is not null and not exists (select 1 from decks d where d.team = v.team and d.card = v.card and d.value = v.value)",
        ),
    ] {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{what}");
    }
}

#[test]
fn the_store_is_the_same_whatever_the_split_and_order_and_the_rules_hold_after_every_call() {
    for seed in 1..=10u64 {
        let mut rng = Rng(seed);
        let d = data(&mut rng);
        let dir = scratch();
        // Every file split into 1-3 parts; a few rows repeated in two parts.
        let mut parts: Vec<PathBuf> = Vec::new();
        for (kind, header, rows) in &d.files {
            let n = 1 + rng.below(3);
            let mut chunks: Vec<Vec<&String>> = vec![Vec::new(); n];
            for r in rows {
                chunks[rng.below(n)].push(r);
                if rng.below(8) == 0 {
                    chunks[rng.below(n)].push(r);
                }
            }
            for (k, c) in chunks.iter_mut().enumerate() {
                c.dedup();
                if c.is_empty() {
                    continue;
                }
                let mut text = format!("{header}\n");
                for r in c.iter() {
                    text.push_str(r);
                    text.push('\n');
                }
                parts.push(write(
                    dir.path(),
                    &format!("{kind}-{k}.csv"),
                    text.as_bytes(),
                ));
            }
        }
        // The reference: every file in one call.
        let reference = dir.path().join("ref.duckdb");
        let mut args: Vec<String> = vec!["ingest".into(), "-q".into()];
        args.extend(parts.iter().map(|p| p.display().to_string()));
        let r = sprintlens(
            &reference,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert_eq!(r.code, 0, "seed {seed}: {}", r.stderr);
        rules_hold(&reference);
        let want = dump(&reference);
        // The same files, shuffled, in 1-4 calls.
        for attempt in 0..2 {
            let mut order = parts.clone();
            rng.shuffle(&mut order);
            let calls = 1 + rng.below(4);
            let db = dir.path().join(format!("split-{attempt}.duckdb"));
            let mut start = 0;
            for c in 0..calls {
                let end = if c + 1 == calls {
                    order.len()
                } else {
                    (start + 1 + rng.below(order.len())).min(order.len())
                };
                if start >= end {
                    continue;
                }
                let mut args: Vec<String> = vec!["ingest".into(), "-q".into()];
                args.extend(order[start..end].iter().map(|p| p.display().to_string()));
                let r = sprintlens(&db, &args.iter().map(String::as_str).collect::<Vec<_>>());
                assert_eq!(r.code, 0, "seed {seed} call {c}: {}", r.stderr);
                rules_hold(&db);
                start = end;
            }
            assert_eq!(
                dump(&db),
                want,
                "seed {seed}, split {attempt}: the store differs"
            );
        }
    }
}
