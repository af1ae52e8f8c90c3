//! sprintlens as an always-on team service, through the real binary: a CLI ingest while the
//! server runs goes through the server and shows within 2 s; pages stay consistent while
//! ingests run; HTTP ingest refuses bad input with line numbers and leaves the database as it
//! was; tokens and scopes; reads on a non-loopback address; slow clients; a kill -9 during an
//! ingest; the report cache's bound.

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The sample data split in two: everything but the payments team's sprint 12 (`old/`), and
/// that sprint with its items (`new/`).
fn split_sample(dir: &Path) -> (PathBuf, PathBuf) {
    let sample = project_root().join("sample-data");
    let old = dir.join("old");
    let new = dir.join("new");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    for f in std::fs::read_dir(&sample).unwrap() {
        let f = f.unwrap().path();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap().to_string();
        let sprint_col = header.split(',').position(|c| c == "sprint_id");
        let (mut a, mut b) = (vec![header.clone()], vec![header.clone()]);
        for l in lines {
            let cells: Vec<&str> = l.split(',').collect();
            let late = sprint_col.is_some_and(|i| cells[0] == "payments" && cells[i] == "12");
            if late {
                b.push(l.to_string())
            } else {
                a.push(l.to_string())
            }
        }
        std::fs::write(old.join(&name), a.join("\n") + "\n").unwrap();
        if b.len() > 1 {
            std::fs::write(new.join(&name), b.join("\n") + "\n").unwrap();
        }
    }
    (old, new)
}

/// A server on the sample data but payments' sprint 12 (see [`split_sample`]): the process,
/// host:port, the database and the folder holding that sprint.
fn serve_all_but_the_last_sprint(dir: &Path) -> (Reap, String, PathBuf, PathBuf) {
    let (old, new) = split_sample(dir);
    let db = dir.join("team.duckdb");
    let run = sprintlens(&db, &["ingest", "-q", old.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    (server, addr, db, new)
}

const AS_OF: &str = "as_of=2025-07-01";

#[test]
fn a_cli_ingest_while_serving_goes_through_the_server_and_shows_within_two_seconds() {
    let dir = scratch();
    let (_server, addr, db, new) = serve_all_but_the_last_sprint(dir.path());
    let before = get_json(&addr, &format!("/api/teams/payments/sprints/11?{AS_OF}"));
    let (status, _) = call(
        &addr,
        "GET",
        &format!("/api/teams/payments/sprints/12?{AS_OF}"),
        &[],
        b"",
    );
    assert_eq!(status, 404, "sprint 12 is not there yet");

    // Another process ingests the new sprint into the same database.
    let run = sprintlens(
        &db,
        &["--format", "json", "ingest", "-q", new.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let committed = Instant::now();
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        summary["database"]
            .as_str()
            .unwrap()
            .contains("through the server"),
        "{summary}"
    );
    let files = summary["files"].as_array().unwrap();
    assert_eq!(files.len(), 3, "{summary}");
    let items = files.iter().find(|f| f["kind"] == "sprint_items").unwrap();
    // The sample has 8 items in payments' sprint 12 (wc of new/sprint_items.csv - header).
    let expected = std::fs::read_to_string(new.join("sprint_items.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(items["inserted"], expected as u64, "{summary}");
    assert!(
        items["file"]
            .as_str()
            .unwrap()
            .ends_with("sprint_items.csv")
    );

    let mut page = None;
    while committed.elapsed() < Duration::from_secs(2) {
        let (status, body) = call(
            &addr,
            "GET",
            &format!("/api/teams/payments/sprints/12?{AS_OF}"),
            &[],
            b"",
        );
        if status == 200 {
            page = Some(body);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let page: serde_json::Value =
        serde_json::from_str(&page.expect("sprint 12 within 2 s")).unwrap();
    assert_eq!(page["sprint"]["sprint_id"], "12", "{page}");
    let after = get_json(&addr, &format!("/api/teams/payments/sprints/11?{AS_OF}"));
    for k in ["committed", "completed", "added", "removed", "say_do"] {
        assert_eq!(
            before["sprint"][k], after["sprint"][k],
            "sprint 11 {k} changed"
        );
    }
    // The index says data arrived, and counts the new sprint.
    let index = get_json(&addr, "/api/teams");
    assert!(index["last_ingest_at"].is_string(), "{index}");
    let pay = index["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == "payments")
        .unwrap();
    assert_eq!(pay["latest"], "12");
}

#[test]
fn after_a_write_the_written_team_s_reports_are_computed_before_its_next_visit() {
    let dir = scratch();
    // Reports are kept per day: a run across midnight recomputes every team, as it should, and
    // then the counts below cannot tell a visit's computing from the new day's.
    let day = chrono::Local::now().date_naive();
    let new_day = || {
        let changed = chrono::Local::now().date_naive() != day;
        if changed {
            eprintln!(
                "the day changed during the test: the counts of computed reports are not checked"
            );
        }
        changed
    };
    let (server, addr, db, new) = serve_all_but_the_last_sprint(dir.path());
    let before = ready(&addr, Duration::from_secs(120));
    let teams = get_json(&addr, "/api/teams")["teams"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before["reports_computed"], teams, "the warm-up: {before}");
    assert_eq!(before["reports_refreshed"], 0, "{before}");
    assert_eq!(before["refresh_pending"], 0, "{before}");
    // Leadership looks at the dashboard (computed on this first visit).
    let (status, _) = call(&addr, "GET", "/dashboard", &[], b"");
    assert_eq!(status, 200);
    assert_eq!(get_json(&addr, "/readyz")["dashboards_computed"], 1);

    // Payments' sprint 12 arrives (through the server).
    let run = sprintlens(&db, &["ingest", "-q", new.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = Instant::now();
    let after = loop {
        let r = get_json(&addr, "/readyz");
        if r["reports_refreshed"] == 1
            && r["refresh_pending"] == 0
            && r["dashboards_refreshed"] == 1
        {
            break r;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "not refreshed: {r}");
        std::thread::sleep(Duration::from_millis(20));
    };
    if new_day() {
        return;
    }
    // Only the team written was computed again, once.
    assert_eq!(after["reports_computed"], teams + 1, "{after}");
    // Its page (today's, as the refresher computes) shows the new sprint without computing.
    let page = get_json(&addr, "/api/teams/payments");
    let latest = &page["velocity"]["sprints"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["sprint_id"];
    assert_eq!(latest, "12", "{}", page["velocity"]);
    let (status, _) = call(&addr, "GET", "/teams/payments", &[], b"");
    assert_eq!(status, 200);
    let r = get_json(&addr, "/readyz");
    if new_day() {
        return;
    }
    assert_eq!(
        r["reports_computed"],
        teams + 1,
        "a visit computed it again: {r}"
    );
    // The dashboard, visited today, was computed again after the write: the next visit (and
    // its JSON twin) shows sprint 12 without computing it.
    assert_eq!(after["dashboards_computed"], 2, "{after}");
    let (status, _) = call(&addr, "GET", "/dashboard", &[], b"");
    assert_eq!(status, 200);
    let d = get_json(&addr, "/api/dashboard");
    let r = get_json(&addr, "/readyz");
    if new_day() {
        return;
    }
    assert_eq!(
        r["dashboards_computed"], 2,
        "a visit computed it again: {r}"
    );
    let pay = d["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == "payments")
        .unwrap_or_else(|| panic!("{d}"));
    assert_eq!(pay["summary"]["closed_sprints"], 12, "{pay}");

    // One more write, and the server is asked to stop at once (SIGTERM) while the refresher is
    // due to work: it stops promptly and closes cleanly, the database file whole by itself.
    let late = write(
        dir.path(),
        "late.csv",
        b"team,name,program\nlate,Late,commerce\n",
    );
    let run = sprintlens(&db, &["ingest", "-q", late.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stop = Instant::now();
    unsafe { libc::kill(server.0.id() as i32, libc::SIGTERM) };
    let mut server = server;
    let status = server.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        stop.elapsed() < Duration::from_secs(10),
        "{:?}",
        stop.elapsed()
    );
    let wal = db.with_extension("duckdb.wal");
    assert!(!wal.exists(), "{} left beside the database", wal.display());
    let info = sprintlens(&db, &["--format", "json", "info"]);
    assert_eq!(info.code, 0, "{}", info.stderr);
    assert!(info.stdout.contains("\"late\""), "{}", info.stdout);
}

#[test]
fn pages_stay_consistent_while_ingests_run() {
    let dir = scratch();
    let db = dir.path().join("busy.duckdb");
    let data = dir.path().join("gen");
    let run = sprintlens(
        &db,
        &[
            "generate",
            "--teams",
            "3",
            "--sprints",
            "8",
            "--out",
            data.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = sprintlens(&db, &["ingest", "-q", data.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let teams: Vec<String> = get_teams(&db);
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let completed = |v: &serde_json::Value| -> Vec<f64> {
        v["velocity"]["sprints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["completed"].as_f64().unwrap_or(0.0))
            .collect()
    };
    let base0 = completed(&get_json(&addr, &format!("/api/teams/{}", teams[0])));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for i in 0..8 {
        let addr = addr.clone();
        let team = teams[i % teams.len()].clone();
        let base = completed(&get_json(&addr, &format!("/api/teams/{team}")));
        assert!(base.iter().any(|c| *c > 0.0));
        let stop = stop.clone();
        readers.push(std::thread::spawn(move || {
            let mut n = 0;
            let mut factors = std::collections::BTreeSet::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 3 {
                let (status, body) = call(&addr, "GET", &format!("/api/teams/{team}"), &[], b"");
                assert!(status < 500, "{status}: {body}");
                assert_eq!(status, 200, "{body}");
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                // One generation: every sprint's completed points carry the same factor.
                let now = completed(&v);
                let ratios: std::collections::BTreeSet<u64> = now
                    .iter()
                    .zip(&base)
                    .filter(|(_, b)| **b > 0.0)
                    .map(|(c, b)| (c / b * 1000.0).round() as u64)
                    .collect();
                assert_eq!(
                    ratios.len(),
                    1,
                    "sprints of different generations: {ratios:?}"
                );
                factors.extend(ratios);
                n += 1;
            }
            (n, factors)
        }));
    }
    // Three ingests re-send the sprint items with every completed point doubled.
    let items = std::fs::read_to_string(data.join("sprint_items.csv")).unwrap();
    for round in 0..3 {
        let doubled = scale_points(&items, 2u32.pow(round + 1) as f64);
        let f = write(dir.path(), &format!("items{round}.csv"), doubled.as_bytes());
        let run = sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut loads = 0;
    let mut seen = std::collections::BTreeSet::new();
    for r in readers {
        let (n, f) = r.join().expect("no reader failed");
        loads += n;
        seen.extend(f);
    }
    assert!(loads >= 24, "{loads}");
    // Every factor a page showed is one the store held: 1, 2, 4 or 8.
    assert!(
        seen.iter().all(|f| [1000, 2000, 4000, 8000].contains(f)),
        "{seen:?}"
    );
    // The last ingest shows: every sprint at 8 times its first points.
    let last = completed(&get_json(&addr, &format!("/api/teams/{}", teams[0])));
    let want: Vec<f64> = base0.iter().map(|c| c * 8.0).collect();
    assert_eq!(last, want);
}

fn get_teams(db: &Path) -> Vec<String> {
    let run = sprintlens(db, &["--format", "json", "info"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    v["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"].as_str().unwrap().to_string())
        .collect()
}

/// The sprint items with points_start and points_end multiplied.
fn scale_points(csv: &str, by: f64) -> String {
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split(',').collect();
    let idx: Vec<usize> = ["points_start", "points_end"]
        .iter()
        .filter_map(|c| cols.iter().position(|x| x == c))
        .collect();
    let mut out = vec![header.to_string()];
    for l in lines {
        let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
        for &i in &idx {
            if let Ok(v) = cells[i].parse::<f64>() {
                cells[i] = format!("{}", v * by);
            }
        }
        out.push(cells.join(","));
    }
    out.join("\n") + "\n"
}

#[test]
fn http_ingest_takes_files_refuses_bad_ones_with_lines_and_needs_an_ingest_token() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let ingest = token(&db, "nightly", "ingest");
    let reader = token(&db, "wall", "read");
    let revoked = token(&db, "old", "ingest");
    let run = sprintlens(&db, &["token", "revoke", "old"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = sprintlens(&db, &["--format", "json", "token", "list"]);
    assert!(
        !list.stdout.contains(&ingest) && !list.stdout.contains("sha256"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("nightly") && !list.stdout.contains("\"old\""),
        "{}",
        list.stdout
    );
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0", "--max-upload-mib", "1"]);
    let csv = "text/csv";
    let good = b"team,session,story,round,voter,card\npay,s2,PAY-2,1,ann,3\npay,s2,PAY-2,1,bob,3\n";
    let bearer = |t: &str| format!("Bearer {t}");
    // No token, an unknown one, a revoked one, a read token.
    let (s, _) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[("Content-Type", csv)],
        good,
    );
    assert_eq!(s, 401);
    let (s, _) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[("Content-Type", csv), ("Authorization", "Bearer sl_nope")],
        good,
    );
    assert_eq!(s, 401);
    let (s, _) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[("Content-Type", csv), ("Authorization", &bearer(&revoked))],
        good,
    );
    assert_eq!(s, 401);
    let (s, body) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[("Content-Type", csv), ("Authorization", &bearer(&reader))],
        good,
    );
    assert_eq!(s, 403, "{body}");
    // Unknown content type; too big.
    let (s, _) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[
            ("Content-Type", "image/png"),
            ("Authorization", &bearer(&ingest)),
        ],
        good,
    );
    assert_eq!(s, 415);
    let big = vec![b'a'; (1 << 20) + 10];
    let (s, _) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[("Content-Type", csv), ("Authorization", &bearer(&ingest))],
        &big,
    );
    assert_eq!(s, 413);
    // A round event over the limit: the framework's refusal, as JSON like every API error.
    let (s, body) = call(
        &addr,
        "POST",
        "/api/v1/rounds",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &bearer(&ingest)),
        ],
        &vec![b' '; 3 << 20],
    );
    assert_eq!(
        (s, body.as_str()),
        (
            413,
            r#"{"error":"Failed to buffer the request body: length limit exceeded"}"#
        )
    );
    // A bad file: 400 with its lines, nothing stored.
    let before = get_json(&addr, "/api/teams");
    let bad = b"team,session,story,round,voter,card\npay,s3,PAY-3,1,ann,3\npay,s3,PAY-3,x,bob,3\npay,s3,PAY-3,1,cy,\n";
    let (s, body) = call(
        &addr,
        "POST",
        "/api/v1/ingest?name=tonight.csv",
        &[("Content-Type", csv), ("Authorization", &bearer(&ingest))],
        bad,
    );
    assert_eq!(s, 400, "{body}");
    let refusal: serde_json::Value = serde_json::from_str(&body).unwrap();
    let problems = refusal["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["file"] == "tonight.csv" && p["line"] == 3 && p["column"] == "round"),
        "{body}"
    );
    assert!(
        refusal["error"]
            .as_str()
            .unwrap()
            .contains("nothing was written"),
        "{body}"
    );
    assert_eq!(before, get_json(&addr, "/api/teams"), "nothing stored");
    // A good file is stored and answered with the CLI's summary.
    let (s, body) = call(
        &addr,
        "POST",
        "/api/v1/ingest?name=tonight.csv",
        &[("Content-Type", csv), ("Authorization", &bearer(&ingest))],
        good,
    );
    assert_eq!(s, 200, "{body}");
    let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(summary["files"][0]["file"], "tonight.csv");
    assert_eq!(summary["files"][0]["kind"], "votes");
    assert_eq!(summary["files"][0]["inserted"], 2);
    let index = get_json(&addr, "/api/teams");
    assert_eq!(index["totals"]["votes"], 4, "{index}");
    // A sheet Excel saved as Windows-1252 (a voter named j\u{fc}rgen): refused as not UTF-8,
    // stored with encoding=windows-1252.
    let ansi = b"team,session,story,round,voter,card\npay,s4,PAY-4,1,j\xfcrgen,3\n";
    let post = |query: &str| {
        call(
            &addr,
            "POST",
            &format!("/api/v1/ingest?name=ansi.csv{query}"),
            &[("Content-Type", csv), ("Authorization", &bearer(&ingest))],
            ansi,
        )
    };
    let (s, body) = post("");
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("bytes that are not UTF-8 (0xFC)"), "{body}");
    let (s, body) = post("&encoding=windows-1252");
    assert_eq!(s, 200, "{body}");
    let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(summary["files"][0]["inserted"], 1, "{body}");
    // Unknown parameters are named.
    let (s, body) = call(
        &addr,
        "POST",
        "/api/v1/ingest?colour=red",
        &[("Content-Type", csv), ("Authorization", &bearer(&ingest))],
        good,
    );
    assert_eq!(s, 400);
    assert!(body.contains("colour"), "{body}");
    // A bad value is named as the query gives it, not as the command line's flag.
    for (query, said) in [
        ("kind=pizzas", "kind=pizzas: expected one of teams, decks"),
        ("from=asana", "from=asana: expected jira, azure"),
        (
            "date_format=%25Q",
            "date_format=\\\"%Q\\\": expected a chrono format",
        ),
        (
            "encoding=ebcdic",
            "encoding=ebcdic: expected utf-8 or windows-1252",
        ),
    ] {
        let (s, body) = call(
            &addr,
            "POST",
            &format!("/api/v1/ingest?{query}"),
            &[("Content-Type", csv), ("Authorization", &bearer(&ingest))],
            good,
        );
        assert_eq!(s, 400, "{query}: {body}");
        assert!(
            body.contains(said) && !body.contains("--"),
            "{query}: {body}"
        );
    }
}

#[test]
fn a_bad_http_ingest_leaves_the_database_file_byte_identical() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let ingest = token(&db, "nightly", "ingest");
    let before = fingerprint(&db);
    {
        let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
        let bad =
            b"team,session,story,round,voter,card\npay,s3,PAY-3,1,ann,3\npay,s3,PAY-3,0,bob,3\n";
        let (s, body) = call(
            &addr,
            "POST",
            "/api/v1/ingest",
            &[
                ("Content-Type", "text/csv"),
                ("Authorization", &format!("Bearer {ingest}")),
            ],
            bad,
        );
        assert_eq!(s, 400, "{body}");
        assert!(body.contains("\"line\":3"), "{body}");
    }
    let after: Vec<(String, Vec<u8>)> = fingerprint(&db)
        .into_iter()
        .filter(|(n, _)| !n.ends_with(".server") && !n.ends_with(".tokens"))
        .collect();
    let before: Vec<(String, Vec<u8>)> = before
        .into_iter()
        .filter(|(n, _)| !n.ends_with(".tokens"))
        .collect();
    assert_eq!(
        before, after,
        "the database changed after a refused HTTP ingest"
    );
}

#[test]
fn reads_need_a_token_off_loopback_unless_public() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let reader = token(&db, "wall", "read");
    let ingest = token(&db, "nightly", "ingest");
    // 0.0.0.0 is not loopback: pages need a read token.
    let (_server, addr) = serve_with(&db, &["--bind", "0.0.0.0:0"]);
    let addr = addr.replace("0.0.0.0", "127.0.0.1");
    let (s, body) = call(&addr, "GET", "/teams/pay", &[], b"");
    assert_eq!(s, 401);
    assert!(
        body.contains("action=\"/sign-in\""),
        "the sign-in form: {body}"
    );
    assert_eq!(call(&addr, "GET", "/api/teams", &[], b"").0, 401);
    assert_eq!(call(&addr, "GET", "/healthz", &[], b"").0, 200);
    // HEAD reads as GET does: open for the probes, a read token for pages.
    assert_eq!(
        call(&addr, "HEAD", "/healthz", &[], b""),
        (200, String::new())
    );
    assert_eq!(call(&addr, "HEAD", "/teams/pay", &[], b"").0, 401);
    let (s, body) = call(
        &addr,
        "HEAD",
        "/teams/pay",
        &[("Authorization", &format!("Bearer {reader}"))],
        b"",
    );
    assert_eq!((s, body.as_str()), (200, ""));
    // A method a page does not take is a 405 without a token (nothing behind it to guard);
    // the write routes still need theirs, and one spelt otherwise is no write route.
    let (s, body) = call(&addr, "DELETE", "/teams/pay", &[], b"");
    assert_eq!(s, 405, "{body}");
    assert!(body.contains("does not take DELETE requests"), "{body}");
    assert_eq!(
        call(&addr, "POST", "/api/teams", &[], b"{}"),
        (
            405,
            r#"{"error":"This page does not take POST requests."}"#.to_string()
        )
    );
    assert_eq!(call(&addr, "POST", "/api/v1/ingest", &[], b"x").0, 401);
    assert_eq!(call(&addr, "POST", "/api/v1/rounds", &[], b"{}").0, 401);
    assert_eq!(call(&addr, "POST", "/api/v1/%69ngest", &[], b"x").0, 404);
    assert_eq!(call(&addr, "POST", "/api/v1/ingest/", &[], b"x").0, 404);
    assert_eq!(
        call(
            &addr,
            "GET",
            "/api/teams",
            &[("Authorization", &format!("Bearer {reader}"))],
            b""
        )
        .0,
        200
    );
    assert_eq!(
        call(
            &addr,
            "GET",
            "/api/teams",
            &[("Authorization", &format!("Bearer {ingest}"))],
            b""
        )
        .0,
        200,
        "ingest includes read"
    );
    assert_eq!(
        call(
            &addr,
            "GET",
            "/api/teams",
            &[("Authorization", "Bearer sl_bad")],
            b""
        )
        .0,
        401
    );
    // The sign-in form sets a cookie that lets the browser read.
    let form = format!("token={reader}");
    let mut s = TcpStream::connect(&addr).unwrap();
    write!(s, "POST /sign-in HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}", form.len()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    let cookie = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("a cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(answer.to_ascii_lowercase().contains("httponly"));
    assert_eq!(
        call(&addr, "GET", "/teams/pay", &[("Cookie", &cookie)], b"").0,
        200
    );
    // A cookie does not send data.
    let (s, _) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[("Content-Type", "text/csv"), ("Cookie", &cookie)],
        b"x",
    );
    assert_eq!(s, 401);
    drop(_server);
    let (_public, addr) = serve_with(&db, &["--bind", "0.0.0.0:0", "--public"]);
    let addr = addr.replace("0.0.0.0", "127.0.0.1");
    assert_eq!(call(&addr, "GET", "/teams/pay", &[], b"").0, 200);
    assert_eq!(
        call(
            &addr,
            "POST",
            "/api/v1/ingest",
            &[("Content-Type", "text/csv")],
            b"x"
        )
        .0,
        401
    );
}

#[test]
fn slow_clients_are_dropped_and_do_not_starve_others() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let mut slow = Vec::new();
    for _ in 0..500 {
        if let Ok(mut s) = TcpStream::connect(&addr) {
            let _ = s.write_all(b"GET /heal");
            slow.push(s);
        }
    }
    assert!(slow.len() >= 400, "{} slow clients connected", slow.len());
    let t0 = Instant::now();
    let (status, body) = call(&addr, "GET", "/healthz", &[], b"");
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "healthz took {:?}",
        t0.elapsed()
    );
    // The half-sent requests are closed after the header timeout (5 s).
    std::thread::sleep(Duration::from_secs(7));
    let closed = slow
        .iter_mut()
        .map(|s| {
            s.set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let mut buf = [0u8; 512];
            loop {
                match s.read(&mut buf) {
                    Ok(0) => return true,
                    Ok(_) => continue,
                    Err(e) => return e.kind() == std::io::ErrorKind::ConnectionReset,
                }
            }
        })
        .filter(|c| *c)
        .count();
    assert_eq!(closed, slow.len(), "every slow client was closed");
}

/// A generated data set's teams and decks in a new database, and its votes file's bytes.
fn teams_and_their_votes(dir: &Path, teams: usize, sprints: usize) -> (PathBuf, Vec<u8>) {
    let db = dir.join("gen.duckdb");
    let data = dir.join("gen");
    let (t, s) = (teams.to_string(), sprints.to_string());
    let args = [
        "generate",
        "--teams",
        &t,
        "--sprints",
        &s,
        "--out",
        data.to_str().unwrap(),
    ];
    let run = sprintlens(&db, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (teams, decks) = (data.join("teams.csv"), data.join("decks.csv"));
    let run = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            teams.to_str().unwrap(),
            decks.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    (db, std::fs::read(data.join("votes.csv")).unwrap())
}

#[test]
fn a_server_killed_during_an_ingest_leaves_the_state_before_or_after() {
    let dir = scratch();
    let (db, votes) = teams_and_their_votes(dir.path(), 12, 30);
    let ingest = token(&db, "nightly", "ingest");
    let expected_votes = String::from_utf8_lossy(&votes).lines().count() as i64 - 1;
    for delay_ms in [100u64, 150, 200, 250, 300, 400, 600] {
        let (mut server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
        let body = votes.clone();
        let addr2 = addr.clone();
        let auth = format!("Bearer {ingest}");
        let sender = std::thread::spawn(move || {
            call(
                &addr2,
                "POST",
                "/api/v1/ingest",
                &[("Content-Type", "text/csv"), ("Authorization", &auth)],
                &body,
            )
        });
        std::thread::sleep(Duration::from_millis(delay_ms));
        server.0.kill().unwrap();
        server.0.wait().unwrap();
        let _ = sender.join();
        let info = sprintlens(&db, &["--format", "json", "info"]);
        assert_eq!(info.code, 0, "{}", info.stderr);
        let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
        let n = v["totals"]["votes"].as_i64().unwrap();
        eprintln!("killed {delay_ms} ms into the ingest: {n} of {expected_votes} votes stored");
        assert!(
            n == 0 || n == expected_votes,
            "after kill at {delay_ms} ms: {n} votes of {expected_votes}"
        );
        if n == expected_votes {
            return;
        }
    }
    // Killed before the commit every time: the same file, left to finish, is whole.
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let (status, body) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[
            ("Content-Type", "text/csv"),
            ("Authorization", &format!("Bearer {ingest}")),
        ],
        &votes,
    );
    assert_eq!(status, 200, "{body}");
    let v = get_json(&addr, "/api/teams");
    assert_eq!(v["totals"]["votes"], expected_votes);
}

#[test]
fn the_report_cache_stays_within_its_bound() {
    let dir = scratch();
    let db = dir.path().join("cache.duckdb");
    let run = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            project_root().join("sample-data").to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0", "--cache-mib", "1"]);
    let mut day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    for _ in 0..60 {
        let (s, _) = call(
            &addr,
            "GET",
            &format!("/api/teams/payments?as_of={day}"),
            &[],
            b"",
        );
        assert_eq!(s, 200);
        day = day.succ_opt().unwrap();
    }
    let ready = get_json(&addr, "/readyz");
    let bytes = ready["cache_bytes"].as_u64().unwrap();
    assert!(bytes <= 1 << 20, "{ready}");
    assert!(ready["cache_entries"].as_u64().unwrap() >= 2, "{ready}");
}

#[test]
fn an_ingest_waits_for_a_busy_database_then_gives_up_clearly() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    // Another process holds the database for writing (not a sprintlens server).
    let holder = Reap(
        Command::new(env!("CARGO_BIN_EXE_sprintlens"))
            .arg("--db")
            .arg(&db)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut holder = holder;
    let _ = served_address(&mut holder.0);
    // Hide the address file: the ingest cannot hand off and must wait.
    let address = PathBuf::from(format!("{}.server", db.display()));
    std::fs::remove_file(&address).unwrap();
    let votes = write(
        dir.path(),
        "v.csv",
        b"team,session,story,round,voter,card\npay,s9,PAY-9,1,ann,3\n",
    );
    let t0 = Instant::now();
    let run = sprintlens(
        &db,
        &["ingest", "-q", "--wait", "2", votes.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(t0.elapsed() >= Duration::from_secs(2));
    assert!(run.stderr.contains("waiting up to 2 s"), "{}", run.stderr);
    assert!(
        run.stderr.contains("gave up, nothing was written"),
        "{}",
        run.stderr
    );
    drop(holder);
    let run = sprintlens(&db, &["ingest", "-q", votes.to_str().unwrap()]);
    assert_eq!(run.code, 0, "after the holder is gone: {}", run.stderr);
}

#[test]
fn sprints_known_only_from_their_items_count_and_the_latest_is_by_number() {
    let dir = scratch();
    let db = dir.path().join("items.duckdb");
    let items = write(
        dir.path(),
        "items.csv",
        b"team,sprint_id,story,committed,points_end,status\npay,Sprint 3,PAY-1,true,3,done\npay,Sprint 10,PAY-2,true,5,done\npay,Sprint 10,PAY-3,true,2,not_done\n",
    );
    let run = sprintlens(&db, &["ingest", "-q", items.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = sprintlens(&db, &["--format", "json", "info"]);
    let info: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(info["totals"]["sprints"], 2, "{info}");
    assert_eq!(info["teams"][0]["sprints"], 2, "{info}");
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let index = get_json(&addr, "/api/teams");
    assert_eq!(index["teams"][0]["latest"], "Sprint 10", "{index}");
    assert!(index["last_ingest_at"].is_string(), "{index}");
    let (status, page) = call(&addr, "GET", "/", &[], b"");
    assert_eq!(status, 200);
    assert!(
        page.contains("2 sprints") && page.contains("Data last arrived"),
        "{page}"
    );
}

/// A server whose stderr (the request log) goes to `log`.
fn serve_logged(db: &Path, log: &Path, extra: &[&str]) -> (Reap, String) {
    let mut child = Reap(
        Command::new(env!("CARGO_BIN_EXE_sprintlens"))
            .arg("--db")
            .arg(db)
            .arg("serve")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("the server starts"),
    );
    let addr = served_address(&mut child.0);
    (child, addr)
}

#[test]
fn request_logs_are_json_lines_without_queries_or_secrets() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let secret = token(&db, "nightly", "ingest");
    let log = dir.path().join("log.txt");
    let (server, addr) = serve_logged(
        &db,
        &log,
        &["--bind", "127.0.0.1:0", "--log-format", "json"],
    );
    assert_eq!(
        call(&addr, "GET", "/teams/pay?as_of=2025-07-01", &[], b"").0,
        200
    );
    let wrong = format!("{secret}x");
    let (s, _) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[
            ("Content-Type", "text/csv"),
            ("Authorization", &format!("Bearer {wrong}")),
        ],
        b"x",
    );
    assert_eq!(s, 401);
    // Ask the server to stop (SIGTERM) and read what it wrote.
    unsafe { libc::kill(server.0.id() as i32, libc::SIGTERM) };
    let mut server = server;
    let status = server.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let page = lines
        .iter()
        .find(|l| l["path"] == "/teams/pay")
        .expect("the page's line");
    assert_eq!(page["method"], "GET");
    assert_eq!(page["status"], 200);
    assert!(page["ms"].as_f64().unwrap() >= 0.0);
    assert!(
        lines
            .iter()
            .any(|l| l["status"] == 401 && l["path"] == "/api/v1/ingest")
    );
    assert!(
        lines.iter().any(|l| l["level"] == "WARN"),
        "the refused token is logged: {text}"
    );
    assert!(
        !text.contains("as_of") && !text.contains(&secret[3..20]),
        "{text}"
    );
    assert!(
        !std::path::PathBuf::from(format!("{}.server", db.display())).exists(),
        "the address file is removed"
    );
}

#[test]
fn a_stopping_server_finishes_the_ingest_in_flight() {
    let dir = scratch();
    let (db, votes) = teams_and_their_votes(dir.path(), 6, 20);
    let secret = token(&db, "nightly", "ingest");
    let expected = String::from_utf8_lossy(&votes).lines().count() as i64 - 1;
    let log = dir.path().join("log.txt");
    let (server, addr) = serve_logged(&db, &log, &["--bind", "127.0.0.1:0"]);
    let auth = format!("Bearer {secret}");
    let a = addr.clone();
    // Half the body is sent, then the server is asked to stop, then the rest follows: the
    // request in flight is served to its end.
    let (half_sent, stop_sent) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    let sender = std::thread::spawn(move || {
        let mut s = TcpStream::connect(&a).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            s,
            "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/csv\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n",
            votes.len()
        )
        .unwrap();
        let (first, rest) = votes.split_at(votes.len() / 2);
        s.write_all(first).unwrap();
        half_sent.0.send(()).unwrap();
        stop_sent.1.recv().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        s.write_all(rest).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        let status: u16 = out
            .split_whitespace()
            .nth(1)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        (status, out)
    });
    half_sent.1.recv().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    unsafe { libc::kill(server.0.id() as i32, libc::SIGTERM) };
    stop_sent.0.send(()).unwrap();
    let (status, body) = sender.join().unwrap();
    assert_eq!(status, 200, "the ingest in flight finished: {body}");
    let mut server = server;
    assert!(server.0.wait().unwrap().success());
    let info = sprintlens(&db, &["--format", "json", "info"]);
    let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(v["totals"]["votes"], expected);
}

/// A poker tool's round events: team `web`, a T-shirt deck, 3 stories, up to 3 rounds.
fn round_event(
    story: &str,
    round: u32,
    cards: &[(&str, &str)],
    fin: Option<&str>,
    at: &str,
) -> String {
    let votes: Vec<String> = cards
        .iter()
        .map(|(v, c)| format!(r#"{{"voter":"{v}","card":"{c}","voted_at":"{at}"}}"#))
        .collect();
    let deck = r#"[{"card":"XS","value":1},{"card":"S","value":2},{"card":"M","value":3},{"card":"L","value":5},{"card":"XL","value":8},{"card":"XXL","value":13},{"card":"?"},{"card":"☕️"}]"#;
    let fin = fin
        .map(|f| format!(r#","final_estimate":{{"card":"{f}"}}"#))
        .unwrap_or_default();
    format!(
        r#"{{"event":"round.revealed","schema_version":1,"source":"testpoker/1","team":"web","session":"g1","story":"{story}","story_title":"Story {story}","round":{round},"revealed_at":"{at}","deck":{deck},"votes":[{}]{fin}}}"#,
        votes.join(",")
    )
}

fn the_session(at: &str) -> Vec<String> {
    vec![
        round_event(
            "WEB-1",
            1,
            &[("ann", "S"), ("bob", "L"), ("cy", "?")],
            None,
            at,
        ),
        round_event(
            "WEB-1",
            2,
            &[("ann", "M"), ("bob", "M"), ("cy", "M")],
            Some("M"),
            at,
        ),
        round_event(
            "WEB-2",
            1,
            &[("ann", "XS"), ("bob", "XXL"), ("cy", "☕️")],
            None,
            at,
        ),
        round_event(
            "WEB-2",
            2,
            &[("ann", "M"), ("bob", "XL"), ("cy", "L")],
            None,
            at,
        ),
        round_event(
            "WEB-2",
            3,
            &[("ann", "L"), ("bob", "L"), ("cy", "L")],
            Some("L"),
            at,
        ),
        round_event(
            "WEB-3",
            1,
            &[("ann", "M"), ("bob", "M"), ("cy", "M")],
            Some("M"),
            at,
        ),
    ]
}

#[test]
fn a_poker_tool_posts_its_rounds_live_and_every_round_is_kept() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let ingest = token(&db, "nightly", "ingest");
    let reader = token(&db, "wall", "read");
    let run = sprintlens(&db, &["source", "add", "testpoker"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let secret = run.stdout.trim().to_string();
    let (server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let post_signed = |body: &str, source: &str, key: &str| {
        let sig = sprintlens::web::sources::signature(key, body.as_bytes());
        call(
            &addr,
            "POST",
            "/api/v1/rounds",
            &[
                ("Content-Type", "application/json"),
                ("X-Sprintlens-Source", source),
                ("X-Sprintlens-Signature", &sig),
            ],
            body.as_bytes(),
        )
    };
    let post_token = |body: &str, token: &str| {
        call(
            &addr,
            "POST",
            "/api/v1/rounds",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &format!("Bearer {token}")),
            ],
            body.as_bytes(),
        )
    };
    let votes_now = || {
        get_json(&addr, "/api/teams")["totals"]["votes"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(votes_now(), 2, "the seed's votes");

    // Refused, nothing stored: bad signature, unknown source, stale timestamp, read token,
    // no auth, unknown card, a voter twice, not JSON.
    let session = the_session(&now);
    let first = &session[0];
    assert_eq!(post_signed(first, "testpoker", "sl_wrong").0, 401);
    assert_eq!(post_signed(first, "othertool", &secret).0, 401);
    let stale = round_event("WEB-1", 1, &[("ann", "S")], None, "2026-01-01T00:00:00Z");
    let (s, body) = post_signed(&stale, "testpoker", &secret);
    assert_eq!(s, 401, "{body}");
    assert!(body.contains("within 300 s"), "{body}");
    assert_eq!(post_token(first, &reader).0, 403);
    assert_eq!(
        call(
            &addr,
            "POST",
            "/api/v1/rounds",
            &[("Content-Type", "application/json")],
            first.as_bytes()
        )
        .0,
        401
    );
    let unknown_card = round_event("WEB-1", 1, &[("ann", "XXXL")], None, &now);
    let (s, body) = post_token(&unknown_card, &ingest);
    assert_eq!(s, 400, "{body}");
    assert!(
        body.contains("the card \\\"XXXL\\\" is not in the event's deck"),
        "{body}"
    );
    let twice = round_event("WEB-1", 1, &[("ann", "S"), ("ann", "M")], None, &now);
    let (s, body) = post_token(&twice, &ingest);
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("votes twice"), "{body}");
    assert_eq!(post_token("{not json", &ingest).0, 400);
    assert_eq!(
        call(
            &addr,
            "POST",
            "/api/v1/rounds",
            &[
                ("Content-Type", "text/plain"),
                ("Authorization", &format!("Bearer {ingest}"))
            ],
            first.as_bytes()
        )
        .0,
        415
    );
    assert_eq!(votes_now(), 2, "nothing stored by refused events");

    // The session, signed; then replayed with a token: the replay changes nothing.
    for (k, e) in session.iter().enumerate() {
        let (s, body) = post_signed(e, "testpoker", &secret);
        assert_eq!(s, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["inserted"], 3, "{body}");
        // "web" is no team of the seed: the first event creates it, and says so.
        assert_eq!(v["team_created"], k == 0, "{body}");
        assert_eq!(v["deck_recorded"], k == 0, "{body}");
    }
    assert_eq!(votes_now(), 2 + 18);
    for e in &session {
        let (s, body) = post_token(e, &ingest);
        assert_eq!(s, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (
                v["inserted"].as_u64(),
                v["updated"].as_u64(),
                v["unchanged"].as_u64()
            ),
            (Some(0), Some(0), Some(3)),
            "{body}"
        );
    }
    assert_eq!(votes_now(), 2 + 18);
    // A changed replay is an update.
    let changed = round_event(
        "WEB-3",
        1,
        &[("ann", "M"), ("bob", "M"), ("cy", "L")],
        None,
        &now,
    );
    let (s, body) = post_token(&changed, &ingest);
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("\"updated\":1"), "{body}");
    let (s, _) = post_token(&session[5], &ingest);
    assert_eq!(s, 200);
    // The rounds' team has its reports computed again in the background before it is visited.
    let t = Instant::now();
    let refreshed = loop {
        let r = ready(&addr, Duration::from_secs(60));
        if r["reports_refreshed"].as_u64() >= Some(1) && r["refresh_pending"] == 0 {
            break r;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "not refreshed: {r}");
        std::thread::sleep(Duration::from_millis(20));
    };

    // Voter calibration on the team page, by hand (T-shirt steps XS 0, S 1, M 2, L 3, XL 4,
    // XXL 5; final WEB-1 M, WEB-2 L, WEB-3 M): ann |1-2|,|0-3|,|2-2| -> mean 4/3, signed
    // -4/3; bob |3-2|,|5-3|,0 -> 1, +1; cy only WEB-3 numeric in round 1 -> 0.
    let team = get_json(&addr, "/api/teams/web");
    let mut cal: Vec<(f64, f64)> = team["voters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["mean_abs_steps"].as_f64().unwrap(),
                v["mean_signed_steps"].as_f64().unwrap(),
            )
        })
        .collect();
    cal.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let want = [(0.0, 0.0), (1.0, 1.0), (4.0 / 3.0, -4.0 / 3.0)];
    assert_eq!(cal.len(), 3, "{}", team["voters"]);
    for (got, want) in cal.iter().zip(want) {
        assert!(
            (got.0 - want.0).abs() < 1e-12 && (got.1 - want.1).abs() < 1e-12,
            "{cal:?}"
        );
    }
    assert!(
        !team.to_string().contains("\"ann\""),
        "voters are pseudonymised"
    );
    assert_eq!(
        ready(&addr, Duration::from_secs(1))["reports_computed"],
        refreshed["reports_computed"],
        "the visit found the reports computed"
    );
    // The page says where the votes come from: all six rounds captured live.
    let sources = &team["vote_sources"];
    assert_eq!(sources.as_array().unwrap().len(), 1, "{sources}");
    assert_eq!(
        (
            sources[0]["source"].as_str(),
            sources[0]["rounds"].as_i64(),
            sources[0]["votes"].as_i64()
        ),
        (Some("live"), Some(6), Some(18))
    );
    assert!(sources[0]["last_voted_at"].is_string());
    // Flagged: WEB-1 (round-1 spread 2 steps: signal 1; its ? share is 1 of 6, below 25%)
    // and WEB-2 (spread 5 and three rounds: signals 1 and 2), scores 1 and 2, below the cut
    // of 4: watched, not listed to split; WEB-3 agreed at once.
    let splits = get_json(&addr, "/api/teams/web/splits");
    let stories = |list: &str| -> Vec<(String, i64)> {
        splits[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["story"].as_str().unwrap().to_string(),
                    c["score"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(stories("candidates"), vec![], "{splits}");
    let mut watch = stories("watch");
    watch.sort();
    assert_eq!(
        watch,
        vec![("WEB-1".to_string(), 1), ("WEB-2".to_string(), 2)],
        "{splits}"
    );
    drop(server);

    // Every round is there, with the figures computed by hand.
    let run = sprintlens(
        &db,
        &["--format", "json", "spread", "--team", "web", "--rounds"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rounds: Vec<(String, i64, i64, i64)> = v["rounds"]
        .as_array()
        .unwrap()
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
        rounds,
        vec![
            ("WEB-1".to_string(), 1, 3, 2),
            ("WEB-1".to_string(), 2, 3, 0),
            ("WEB-2".to_string(), 1, 3, 5),
            ("WEB-2".to_string(), 2, 3, 2),
            ("WEB-2".to_string(), 3, 3, 0),
            ("WEB-3".to_string(), 1, 3, 0),
        ]
    );
    let story = |s: &str| {
        v["stories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["story"] == s)
            .unwrap()
            .clone()
    };
    assert_eq!(story("WEB-1")["rounds_to_consensus"], 2);
    assert_eq!(story("WEB-2")["rounds_to_consensus"], 3);
    assert_eq!(story("WEB-3")["rounds_to_consensus"], 1);
    // The final estimates and titles reached the stories.
    let conn = duckdb::Connection::open(&db).unwrap();
    assert_eq!(
        rows_as_text(
            &conn,
            "select story, title, estimate from stories where team = 'web' order by story"
        ),
        vec![
            "Text(\"WEB-1\") | Text(\"Story WEB-1\") | Double(3.0)",
            "Text(\"WEB-2\") | Text(\"Story WEB-2\") | Double(5.0)",
            "Text(\"WEB-3\") | Text(\"Story WEB-3\") | Double(3.0)",
        ]
    );
}

#[test]
fn round_events_posted_at_once_are_stored_together_and_counted_each() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let ingest = token(&db, "nightly", "ingest");
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let events: Vec<String> = (0..48)
        .map(|i| {
            let votes: Vec<String> = (0..8)
                .map(|v| format!(r#"{{"voter":"v{v}","card":"{}","voted_at":"{now}"}}"#, ["1", "2", "3", "5", "8", "?"][(i + v) % 6]))
                .collect();
            format!(
                r#"{{"event":"round.revealed","schema_version":1,"team":"pay","session":"live","story":"LIVE-{}","round":{},"revealed_at":"{now}","votes":[{}]}}"#,
                i / 3,
                i % 3 + 1,
                votes.join(",")
            )
        })
        .collect();
    let send_all = |events: &[String]| -> Vec<serde_json::Value> {
        std::thread::scope(|s| {
            let handles: Vec<_> = events
                .chunks(6)
                .map(|chunk| {
                    let addr = addr.clone();
                    let auth = format!("Bearer {ingest}");
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|e| {
                                let (status, body) = call(
                                    &addr,
                                    "POST",
                                    "/api/v1/rounds",
                                    &[
                                        ("Content-Type", "application/json"),
                                        ("Authorization", &auth),
                                    ],
                                    e.as_bytes(),
                                );
                                assert_eq!(status, 200, "{body}");
                                serde_json::from_str::<serde_json::Value>(&body).unwrap()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        })
    };
    let first = send_all(&events);
    assert_eq!(first.len(), 48);
    assert!(
        first
            .iter()
            .all(|v| v["inserted"] == 8 && v["votes"] == 8 && v["team_created"] == false),
        "{first:?}"
    );
    assert_eq!(get_json(&addr, "/api/teams")["totals"]["votes"], 2 + 48 * 8);
    let again = send_all(&events);
    assert!(
        again
            .iter()
            .all(|v| v["unchanged"] == 8 && v["inserted"] == 0),
        "{again:?}"
    );
    assert_eq!(get_json(&addr, "/api/teams")["totals"]["votes"], 2 + 48 * 8);
}

#[test]
fn an_ingest_of_one_team_leaves_the_other_teams_pages_computed() {
    let dir = scratch();
    let db = sample_store(dir.path(), "teams.duckdb");
    let ingest = token(&db, "nightly", "ingest");
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let entries = || -> u64 {
        loop {
            let (s, body) = call(&addr, "GET", "/readyz", &[], b"");
            if s == 200 {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                return v["cache_entries"].as_u64().unwrap();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let before = entries();
    assert_eq!(
        before, 4,
        "the warm-up computed the three teams and the dashboard of every team"
    );
    get_json(&addr, "/api/teams/checkout");
    assert_eq!(entries(), 4);
    let computed = || -> u64 {
        let (_, body) = call(&addr, "GET", "/readyz", &[], b"");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["reports_computed"].as_u64().unwrap()
    };
    let computed_before = computed();
    // New votes of payments only.
    let votes = b"team,session,story,round,voter,card\npayments,new,PAY-900,1,ann,3\n";
    let (s, body) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[
            ("Content-Type", "text/csv"),
            ("Authorization", &format!("Bearer {ingest}")),
        ],
        votes,
    );
    assert_eq!(s, 200, "{body}");
    // checkout's reports are still the ones computed: no new entry.
    get_json(&addr, "/api/teams/checkout");
    assert_eq!(entries(), 4);
    // payments' are computed afresh at the new generation (once: by the refresher or by this
    // visit), in place of the older ones (never read again): as many entries.
    get_json(&addr, "/api/teams/payments");
    assert_eq!(entries(), 4);
    assert_eq!(computed(), computed_before + 1);
}

#[test]
fn live_rounds_keep_the_same_figures_as_a_full_recompute_whatever_else_writes() {
    // The round writer stores events without reading the stored votes back: what it knows
    // of them must stay true across replays, changed replays, rounds a file stored and file
    // ingests in between.
    let dir = scratch();
    let db = seeded_db(dir.path());
    let ingest = token(&db, "nightly", "ingest");
    let (server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let at = |s: u32| format!("2026-11-27T10:00:{s:02}Z");
    let event = |story: &str, round: u32, votes: &[(&str, &str, u32)], fin: &str| {
        let votes: Vec<String> = votes
            .iter()
            .map(|(v, c, s)| format!(r#"{{"voter":"{v}","card":"{c}","voted_at":"{}"}}"#, at(*s)))
            .collect();
        format!(
            r#"{{"event":"round.revealed","schema_version":1,"team":"pay","session":"s1","story":"{story}","round":{round},"revealed_at":"{}","votes":[{}]{fin}}}"#,
            at(59),
            votes.join(",")
        )
    };
    let post = |body: String| -> (i64, i64, i64) {
        let (s, b) = call(
            &addr,
            "POST",
            "/api/v1/rounds",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &format!("Bearer {ingest}")),
            ],
            body.as_bytes(),
        );
        assert_eq!(s, 200, "{b}");
        let v: serde_json::Value = serde_json::from_str(&b).unwrap();
        let n = |k: &str| v[k].as_i64().unwrap();
        (n("inserted"), n("updated"), n("unchanged"))
    };
    // A new story, then the same round again with one card changed and one voter more.
    assert_eq!(
        post(event(
            "LIVE-1",
            1,
            &[("ann", "1", 1), ("bob", "3", 2), ("cy", "?", 3)],
            ""
        )),
        (3, 0, 0)
    );
    assert_eq!(
        post(event(
            "LIVE-1",
            1,
            &[
                ("ann", "5", 1),
                ("bob", "3", 2),
                ("cy", "?", 3),
                ("dee", "8", 4)
            ],
            ""
        )),
        (1, 1, 2)
    );
    assert_eq!(
        post(event(
            "LIVE-1",
            2,
            &[("ann", "5", 5), ("bob", "5", 6), ("cy", "3", 7)],
            r#","final_estimate":{"card":"5"}"#
        )),
        (3, 0, 0)
    );
    // A round of the story the seed file stored (PAY-1 round 1: ann 5, bob 8), and its
    // round 2.
    assert_eq!(
        post(event("PAY-1", 1, &[("ann", "5", 0), ("cy", "13", 8)], "")),
        (1, 1, 0),
        "ann's vote had no time: giving one is an update"
    );
    assert_eq!(
        post(event("PAY-1", 2, &[("ann", "8", 9), ("bob", "8", 10)], "")),
        (2, 0, 0)
    );
    // A file, through the server, changes a round the writer knows and adds a story.
    let file = write(
        dir.path(),
        "more_votes.csv",
        format!(
            "team,session,story,round,voter,card,voted_at\n\
             pay,s1,LIVE-1,2,cy,8,{}\npay,s1,LIVE-2,1,ann,2,{}\npay,s1,LIVE-2,1,bob,3,{}\n",
            at(7),
            at(11),
            at(12)
        )
        .as_bytes(),
    );
    let run = sprintlens(&db, &["ingest", "-q", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The event of LIVE-1 round 2 again: cy's card is the file's now, so this changes it back.
    assert_eq!(
        post(event(
            "LIVE-1",
            2,
            &[("ann", "5", 5), ("bob", "5", 6), ("cy", "3", 7)],
            ""
        )),
        (0, 1, 2)
    );
    assert_eq!(
        post(event("LIVE-2", 1, &[("ann", "2", 11), ("cy", "1", 13)], "")),
        (1, 0, 1)
    );
    assert_eq!(
        post(event(
            "LIVE-2",
            2,
            &[("ann", "2", 14), ("bob", "2", 15)],
            ""
        )),
        (2, 0, 0)
    );
    // A round without a numeric card (no steps, no lowest or highest voter; round 1 keeps an
    // empty list of numeric votes), then one whose voters sort with capitals first.
    assert_eq!(
        post(event(
            "LIVE-3",
            1,
            &[("Zed", "?", 16), ("amy", "☕", 17)],
            ""
        )),
        (2, 0, 0)
    );
    assert_eq!(
        post(event(
            "LIVE-3",
            2,
            &[("Zed", "3", 18), ("amy", "5", 19), ("Bob", "5", 20)],
            ""
        )),
        (3, 0, 0)
    );
    drop(server);
    let conn = duckdb::Connection::open(&db).unwrap();
    let kept = round_figures(&conn);
    let votes: Vec<String> = conn
        .prepare(
            "select concat_ws(' | ', story, round, voter, card, coalesce(value::varchar, 'NULL'), \
             coalesce(voted_at::varchar, 'NULL')) as v from votes order by v",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(conn);
    assert_eq!(kept, recomputed(&db, dir.path()));
    assert_eq!(kept.len(), 8 + 7, "8 rounds and 7 voters: {kept:#?}");
    let live3: Vec<&String> = kept.iter().filter(|r| r.contains("LIVE-3")).collect();
    assert_eq!(live3.len(), 2, "{live3:#?}");
    assert!(
        live3[0].contains("Int(2) | Int(0) | Int(1) | Null | Null | Null |"),
        "no steps without a numeric vote: {}",
        live3[0]
    );
    assert_eq!(
        votes,
        [
            "LIVE-1 | 1 | ann | 5 | 5.0 | 2026-11-27 10:00:01",
            "LIVE-1 | 1 | bob | 3 | 3.0 | 2026-11-27 10:00:02",
            "LIVE-1 | 1 | cy | ? | NULL | 2026-11-27 10:00:03",
            "LIVE-1 | 1 | dee | 8 | 8.0 | 2026-11-27 10:00:04",
            "LIVE-1 | 2 | ann | 5 | 5.0 | 2026-11-27 10:00:05",
            "LIVE-1 | 2 | bob | 5 | 5.0 | 2026-11-27 10:00:06",
            "LIVE-1 | 2 | cy | 3 | 3.0 | 2026-11-27 10:00:07",
            "LIVE-2 | 1 | ann | 2 | 2.0 | 2026-11-27 10:00:11",
            "LIVE-2 | 1 | bob | 3 | 3.0 | 2026-11-27 10:00:12",
            "LIVE-2 | 1 | cy | 1 | 1.0 | 2026-11-27 10:00:13",
            "LIVE-2 | 2 | ann | 2 | 2.0 | 2026-11-27 10:00:14",
            "LIVE-2 | 2 | bob | 2 | 2.0 | 2026-11-27 10:00:15",
            "LIVE-3 | 1 | Zed | ? | NULL | 2026-11-27 10:00:16",
            "LIVE-3 | 1 | amy | ☕ | NULL | 2026-11-27 10:00:17",
            "LIVE-3 | 2 | Bob | 5 | 5.0 | 2026-11-27 10:00:20",
            "LIVE-3 | 2 | Zed | 3 | 3.0 | 2026-11-27 10:00:18",
            "LIVE-3 | 2 | amy | 5 | 5.0 | 2026-11-27 10:00:19",
            "PAY-1 | 1 | ann | 5 | 5.0 | 2026-11-27 10:00:00",
            "PAY-1 | 1 | bob | 8 | 8.0 | NULL",
            "PAY-1 | 1 | cy | 13 | 13.0 | 2026-11-27 10:00:08",
            "PAY-1 | 2 | ann | 8 | 8.0 | 2026-11-27 10:00:09",
            "PAY-1 | 2 | bob | 8 | 8.0 | 2026-11-27 10:00:10",
        ]
    );
}

/// Every report command in every format, and a static report: printed the same with and
/// without a server holding the database.
#[test]
fn report_commands_while_serving_print_what_they_print_without_a_server() {
    let dir = scratch();
    let db = sample_store(dir.path(), "s.duckdb");
    let commands: Vec<Vec<&str>> = vec![
        vec!["points"],
        vec!["points", "--by", "program", "--team", "search"],
        vec!["velocity", "--as-of", "2025-07-01"],
        vec![
            "velocity",
            "--team",
            "payments",
            "--sprint",
            "9",
            "--as-of",
            "2025-07-01",
        ],
        vec!["spread", "--rounds"],
        vec!["spread", "--show-names", "--team", "search"],
        vec!["forecast", "--as-of", "2025-07-01", "--points", "80"],
        vec!["accuracy", "--show-names"],
        vec!["splits", "--as-of", "2025-07-01"],
        vec!["reference", "--as-of", "2025-07-01"],
        vec!["report", "--team", "payments", "--as-of", "2025-07-01"],
        vec![
            "report",
            "--team",
            "payments",
            "--sprint",
            "9",
            "--retro",
            "--as-of",
            "2025-07-01",
        ],
    ];
    let formats = ["table", "json", "csv", "markdown"];
    let run =
        |args: &[&str], format: &str| sprintlens(&db, &[&["--format", format], args].concat());
    let mut before = Vec::new();
    for c in &commands {
        for f in formats {
            let r = run(c, f);
            assert_eq!(r.code, 0, "{c:?} {f}: {}", r.stderr);
            before.push(r.stdout);
        }
    }
    let unknown = run(&["velocity", "--team", "nobody"], "table");
    let pages = |out: &Path| {
        let r = sprintlens(
            &db,
            &[
                "report",
                "--team",
                "search",
                "--as-of",
                "2025-07-01",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        (r.stdout.replace(out.to_str().unwrap(), "OUT"), files)
    };
    let pages_before = pages(&dir.path().join("site-a"));
    assert!(pages_before.1.len() > 20, "{}", pages_before.1.len());

    let (_server, _addr) = serve(&db);
    let mut after = Vec::new();
    for c in &commands {
        for f in formats {
            let r = run(c, f);
            assert_eq!(r.code, 0, "{c:?} {f} through the server: {}", r.stderr);
            after.push(r.stdout);
        }
    }
    for (k, (a, b)) in before.iter().zip(&after).enumerate() {
        let (c, f) = (&commands[k / formats.len()], formats[k % formats.len()]);
        assert!(a == b, "{c:?} {f}: differs through the server");
    }
    // A name the database does not have: the same message, the same exit code.
    let through = run(&["velocity", "--team", "nobody"], "table");
    assert_eq!(
        (through.code, &through.stderr),
        (unknown.code, &unknown.stderr)
    );
    assert_eq!(through.code, 1);
    // A static report: the same pages, written by the command line.
    assert_eq!(pages(&dir.path().join("site-b")), pages_before);
}

/// Stops a server as Ctrl-C would and waits for it to close.
fn stop(mut server: Reap) {
    unsafe { libc::kill(server.0.id() as i32, libc::SIGTERM) };
    let status = server.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// A restarted server reads the reports it kept instead of computing them: ready at once,
/// every page as before; a write makes only its team's reports be computed again.
#[test]
fn after_a_restart_pages_are_read_from_the_kept_reports() {
    let dir = scratch();
    let db = sample_store(dir.path(), "kept.duckdb");
    let ingest = token(&db, "nightly", "ingest");
    let pages = [
        "/api/teams/payments",
        "/api/teams/search/splits",
        "/api/teams/checkout/sprints/7",
        "/api/dashboard",
        "/teams/payments/sprints/12",
    ];
    let (server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let r = ready(&addr, Duration::from_secs(60));
    assert_eq!(r["reports_computed"], 3, "{r}");
    assert_eq!(r["dashboards_computed"], 1, "{r}");
    let before: Vec<String> = pages
        .iter()
        .map(|p| call(&addr, "GET", p, &[], b"").1)
        .collect();
    stop(server);
    let conn = duckdb::Connection::open(&db).unwrap();
    assert_eq!(
        rows_as_text(&conn, "select kind, subject from kept_reports order by all"),
        vec![
            "Text(\"dashboard\") | Text(\"\")",
            "Text(\"team\") | Text(\"checkout\")",
            "Text(\"team\") | Text(\"payments\")",
            "Text(\"team\") | Text(\"search\")",
        ]
    );
    drop(conn);

    let (server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let r = ready(&addr, Duration::from_secs(60));
    assert_eq!(
        r["reports_computed"], 0,
        "nothing computed at the start: {r}"
    );
    assert_eq!(r["dashboards_computed"], 0, "{r}");
    let after: Vec<String> = pages
        .iter()
        .map(|p| call(&addr, "GET", p, &[], b"").1)
        .collect();
    assert_eq!(after, before);
    let r = get_json(&addr, "/readyz");
    assert_eq!(r["reports_computed"], 0, "{r}");
    assert_eq!(
        r["reports_kept_read"], 4,
        "three teams and the dashboard: {r}"
    );
    // A write to payments: its reports are computed again (the refresher's), the others read.
    let votes = b"team,session,story,round,voter,card\npayments,new,PAY-900,1,ann,3\n";
    let (s, body) = call(
        &addr,
        "POST",
        "/api/v1/ingest",
        &[
            ("Content-Type", "text/csv"),
            ("Authorization", &format!("Bearer {ingest}")),
        ],
        votes,
    );
    assert_eq!(s, 200, "{body}");
    get_json(&addr, "/api/teams/payments");
    get_json(&addr, "/api/teams/search");
    let r = get_json(&addr, "/readyz");
    assert_eq!(r["reports_computed"], 1, "{r}");
    stop(server);
    // Kept for the next start: payments at its new generation, the others as they were.
    let conn = duckdb::Connection::open(&db).unwrap();
    assert_eq!(
        rows_as_text(
            &conn,
            "select subject, k.generation = w.generation from kept_reports k \
             join team_writes w on w.team = k.subject where kind = 'team' order by all"
        ),
        vec![
            "Text(\"checkout\") | Boolean(true)",
            "Text(\"payments\") | Boolean(true)",
            "Text(\"search\") | Boolean(true)",
        ]
    );
}
