//! Sprint history by the event: sprint items follow from the events (one definition, in
//! `queries/writes/items_from_events.sql`), checked by hand on a small history.

use crate::common::*;
use std::path::Path;

/// Two sprints of team `web` and seven stories (tests/fixtures/events/): A committed and done;
/// B committed at 3 points, re-estimated to 8, not done, carried into S2 and done there; C added
/// mid-sprint and done; D committed and removed; E added and removed again; F done, reopened
/// and done again; G added to S1 and removed before it started.
fn history(dir: &Path) -> std::path::PathBuf {
    let folder = dir.join("events");
    std::fs::create_dir(&folder).unwrap();
    for name in ["sprints", "stories", "events"] {
        std::fs::copy(
            project_root().join(format!("tests/fixtures/events/{name}.csv")),
            folder.join(format!("{name}.csv")),
        )
        .unwrap();
    }
    folder
}

#[test]
fn sprint_items_follow_from_the_events_by_hand() {
    let dir = scratch();
    let db = dir.path().join("e.duckdb");
    let folder = history(dir.path());
    ingest_ok(&db, &[&folder]);
    let conn = duckdb::Connection::open(&db).unwrap();
    let rows = rows_as_text(
        &conn,
        "select sprint_id, story, committed, removed, points_start, points_end, status, \
         strftime(started_at, '%m-%d %H:%M'), strftime(completed_at, '%m-%d %H:%M') \
         from sprint_items order by sprint_id, story",
    );
    let want = [
        "Text(\"S1\") | Text(\"A\") | Boolean(true) | Boolean(false) | Double(5.0) | Double(5.0) | Text(\"done\") | Text(\"03-03 09:00\") | Text(\"03-05 12:00\")",
        "Text(\"S1\") | Text(\"B\") | Boolean(true) | Boolean(false) | Double(3.0) | Double(8.0) | Text(\"not_done\") | Text(\"03-06 10:00\") | Null",
        "Text(\"S1\") | Text(\"C\") | Boolean(false) | Boolean(false) | Null | Double(2.0) | Text(\"done\") | Text(\"03-06 15:00\") | Text(\"03-06 15:00\")",
        "Text(\"S1\") | Text(\"D\") | Boolean(true) | Boolean(true) | Double(5.0) | Double(5.0) | Text(\"removed\") | Null | Null",
        "Text(\"S1\") | Text(\"E\") | Boolean(false) | Boolean(true) | Null | Double(1.0) | Text(\"removed\") | Null | Null",
        "Text(\"S1\") | Text(\"F\") | Boolean(true) | Boolean(false) | Double(2.0) | Double(2.0) | Text(\"done\") | Text(\"03-04 10:00\") | Text(\"03-12 10:00\")",
        "Text(\"S2\") | Text(\"B\") | Boolean(true) | Boolean(false) | Double(8.0) | Double(8.0) | Text(\"done\") | Text(\"03-06 10:00\") | Text(\"03-18 10:00\")",
    ];
    assert_eq!(rows, want);
    drop(conn);

    // The Sprint Review's figures: S1 committed A 5 + B 3 + D 5 + F 2 = 15, added C 2 + E 1,
    // removed D 5 + E 1, completed A 5 + C 2 + F 2 = 9 (of the committed: 7), say/do 7/15,
    // carry-over 1 (B).
    let r = sprintlens(&db, &["--format", "json", "velocity"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let s1 = &v["sprints"][0];
    assert_eq!(s1["sprint_id"], "S1");
    for (k, want) in [
        ("committed", 15.0),
        ("added", 3.0),
        ("removed", 6.0),
        ("completed", 9.0),
        ("completed_of_committed", 7.0),
    ] {
        assert_eq!(s1[k].as_f64(), Some(want), "{k}");
    }
    assert!((s1["say_do"].as_f64().unwrap() - 7.0 / 15.0).abs() < 1e-12);
    assert_eq!(s1["carry_over_items"], 1);
    let s2 = &v["sprints"][1];
    assert_eq!(
        (s2["committed"].as_f64(), s2["completed"].as_f64()),
        (Some(8.0), Some(8.0))
    );

    // The same events again change nothing.
    let before = fingerprint_rows(&db);
    let r = sprintlens(&db, &["ingest", "-q", folder.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fingerprint_rows(&db), before);
}

/// The rows of the tables events touch, for comparing two states of a store.
fn fingerprint_rows(db: &Path) -> Vec<String> {
    let conn = duckdb::Connection::open(db).unwrap();
    let mut rows = rows_as_text(&conn, "select * from sprint_items order by all");
    rows.extend(rows_as_text(
        &conn,
        "select * from sprint_events order by all",
    ));
    rows
}

#[test]
fn events_win_over_an_items_file_for_the_stories_they_tell_and_leave_the_rest() {
    let dir = scratch();
    let db = dir.path().join("e.duckdb");
    let folder = history(dir.path());
    // An export's view of S1 (today's state): A not done, and H, a story no event names.
    write(
        &folder,
        "items.csv",
        b"team,sprint_id,story,status,points_end,actual_hours\n\
          web,S1,A,In Progress,5,12\n\
          web,S1,H,Done,3,\n",
    );
    ingest_ok(&db, &[&folder]);
    let conn = duckdb::Connection::open(&db).unwrap();
    assert_eq!(
        rows_as_text(
            &conn,
            "select story, status, actual_hours from sprint_items where sprint_id = 'S1' \
             and story in ('A', 'H') order by story"
        ),
        [
            "Text(\"A\") | Text(\"done\") | Double(12.0)",
            "Text(\"H\") | Text(\"done\") | Null"
        ]
    );
}

#[test]
fn a_bad_event_names_its_file_line_and_problem_and_writes_nothing() {
    let dir = scratch();
    let db = dir.path().join("e.duckdb");
    let folder = history(dir.path());
    ingest_ok(&db, &[&folder]);
    let before = fingerprint(&db);
    let bad = write(
        dir.path(),
        "more_events.csv",
        b"team,story,changed_at,event,points,to_status,category\n\
          web,A,2026-03-20,moved,,,\n\
          web,B,2026-03-20,estimate,,,\n\
          web,C,2026-03-20,status,,,\n\
          web,C,2026-03-21,status,,Doing,half\n\
          web,C,not a time,done,,,\n",
    );
    let r = sprintlens(&db, &["ingest", bad.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for line in [
        "more_events.csv:2: column \"event\": unknown event \"moved\": expected added, removed, estimate, status, done, reopened",
        "more_events.csv:3: column \"points\": an estimate event needs the new points",
        "more_events.csv:4: column \"to_status\": a status event needs the status it changed to",
        "more_events.csv:5: column \"category\": unknown status category \"half\"",
        "more_events.csv:6: column \"changed_at\": \"not a time\" is not a time",
    ] {
        assert!(r.stderr.contains(line), "{line}\n{}", r.stderr);
    }
    assert_eq!(fingerprint(&db), before);
}

#[test]
fn the_sprint_review_shows_the_sprint_by_the_day_by_hand() {
    let dir = scratch();
    let db = dir.path().join("e.duckdb");
    let folder = history(dir.path());
    ingest_ok(&db, &[&folder]);
    let r = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "report",
            "--team",
            "web",
            "--sprint",
            "S1",
            "--as-of",
            "2026-04-01",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let h = &v["history"];
    // At the end of each day of S1 (03-02 .. 03-13): committed A 5 + B 3 + D 5 + F 2 = 15;
    // 03-04 B re-estimated to 8 and C (2) added: 22; 03-05 E (1) added: 23; 03-06 E removed:
    // 22; 03-09 D removed: 17. Done: F 03-04 (2), A 03-05 (7), C 03-06 (9), F reopened 03-10
    // (7), done again 03-12 (9).
    let days: Vec<(String, f64, f64)> = h["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["day"].as_str().unwrap()[5..].to_string(),
                d["scope"].as_f64().unwrap(),
                d["done"].as_f64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, f64, f64)> = [
        ("03-02", 15.0, 0.0),
        ("03-03", 15.0, 0.0),
        ("03-04", 22.0, 2.0),
        ("03-05", 23.0, 7.0),
        ("03-06", 22.0, 9.0),
        ("03-07", 22.0, 9.0),
        ("03-08", 22.0, 9.0),
        ("03-09", 17.0, 9.0),
        ("03-10", 17.0, 7.0),
        ("03-11", 17.0, 7.0),
        ("03-12", 17.0, 9.0),
        ("03-13", 17.0, 9.0),
    ]
    .iter()
    .map(|(d, s, n)| (d.to_string(), *s, *n))
    .collect();
    assert_eq!(days, want);
    assert_eq!(h["days"][0]["done"].to_string(), "0.0");
    let changes: Vec<String> = h["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {} {}",
                c["at"], c["story"], c["change"], c["points"], c["old_points"]
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            "\"2026-03-04T10:00:00\" \"B\" \"re-estimated\" 8.0 3.0",
            "\"2026-03-04T11:00:00\" \"C\" \"added\" 2.0 null",
            "\"2026-03-05T10:00:00\" \"E\" \"added\" 1.0 null",
            "\"2026-03-06T10:00:00\" \"E\" \"removed\" 1.0 null",
            "\"2026-03-09T10:00:00\" \"D\" \"removed\" 5.0 null",
        ]
    );
    // The page: the burnup with its marks' stories in the tooltips, and the scope-change table.
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let page = fetch(&addr, "/teams/web/sprints/S1?as_of=2026-04-01");
    assert!(page.contains("Sprint burnup of"), "{page}");
    assert!(
        page.contains("03-04 — scope changed: 22\nB re-estimated 3 → 8; C added (2 points)"),
        "{page}"
    );
    assert!(page.contains("<td>2026-03-09 10:00:00</td><td>D</td><td>Delta</td><td>removed</td>"));
    assert!(page.contains("03-13 closed"));
}

/// The generator's events tell the same sprints as its sprint items: every item of a generated
/// data set follows from the events alone (committed, removed, points at start and end, status,
/// started and completed), re-estimates, removals and reopenings included.
#[test]
fn generated_events_give_the_generated_sprint_items() {
    let dir = scratch();
    let data = dir.path().join("data");
    let r = sprintlens(
        &dir.path().join("unused.duckdb"),
        &[
            "generate",
            "--teams",
            "4",
            "--sprints",
            "10",
            "--seed",
            "7",
            "--out",
            data.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let events = std::fs::read_to_string(data.join("sprint_events.csv")).unwrap();
    for kind in [",added,", ",removed,", ",estimate,", "Done,In Progress"] {
        assert!(events.contains(kind), "the generator writes {kind}");
    }
    let file = |name: &str| data.join(format!("{name}.csv"));
    let from_items = dir.path().join("items.duckdb");
    ingest_ok(
        &from_items,
        &[
            &file("teams"),
            &file("decks"),
            &file("sprints"),
            &file("stories"),
            &file("sprint_items"),
        ],
    );
    let from_events = dir.path().join("events.duckdb");
    ingest_ok(
        &from_events,
        &[
            &file("teams"),
            &file("decks"),
            &file("sprints"),
            &file("stories"),
            &file("sprint_events"),
        ],
    );
    let rows = |db: &Path| {
        let conn = duckdb::Connection::open(db).unwrap();
        rows_as_text(
            &conn,
            "select * exclude (actual_hours) from sprint_items order by all",
        )
    };
    let want = rows(&from_items);
    assert!(want.len() > 100);
    let got = rows(&from_events);
    let differ: Vec<(&String, &String)> = want
        .iter()
        .zip(&got)
        .filter(|(a, b)| a != b)
        .take(3)
        .collect();
    assert!(differ.is_empty() && got.len() == want.len(), "{differ:#?}");
}
