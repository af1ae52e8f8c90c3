//! The command line as a user meets it: the demo, settings, flags and the bench command.

use crate::common::*;
use std::process::Command;

#[test]
fn demo_loads_the_sample_data_afresh() {
    let dir = scratch();
    let db = dir.path().join("demo.duckdb");
    let data = project_root().join("sample-data");
    for _ in 0..2 {
        let r = sprintlens(
            &db,
            &["demo", "--no-serve", "--data", data.to_str().unwrap()],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        // A fresh database each time: everything inserted, nothing updated.
        assert!(r.stdout.contains("votes.csv"), "{}", r.stdout);
        assert!(r.stdout.contains("3 teams in 1 program"), "{}", r.stdout);
        let votes_line = r.stdout.lines().find(|l| l.contains("votes.csv")).unwrap();
        let cells: Vec<&str> = votes_line.split_whitespace().collect();
        assert_eq!(cells[1], "votes");
        assert_eq!(cells[2], cells[3], "rows == inserted: {votes_line}");
    }
}

#[test]
fn the_demo_is_current_its_last_sprint_active_and_its_forecast_ahead() {
    // A fixed clock: the demo made current for 2030-03-14 (a Thursday). The sample data's last
    // sprint ends on Sunday 2025-06-22, 1,726 days before: 247 weeks later is Sunday
    // 2030-03-17, the first such day on or after the 14th.
    let dir = scratch();
    let db = dir.path().join("demo.duckdb");
    let data = project_root().join("sample-data");
    let r = sprintlens(
        &db,
        &[
            "demo",
            "--no-serve",
            "--today",
            "2030-03-14",
            "--data",
            data.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("moved 247 weeks later"), "{}", r.stderr);
    let json = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--format", "json"];
        all.extend(args);
        let r = sprintlens(&db, &all);
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    };
    let v = json(&["velocity", "--team", "payments", "--as-of", "2030-03-14"]);
    let last = v["sprints"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["end_date"], "2030-03-17");
    assert_eq!(last["start_date"], "2030-03-04");
    assert_eq!(last["closed"], false, "the latest sprint is active");
    let f = json(&["forecast", "--team", "payments", "--as-of", "2030-03-14"]);
    let dates: Vec<&str> = f["teams"][0]["when"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates.len(), 4);
    assert!(dates.iter().all(|d| *d > "2030-03-14"), "{dates:?}");
    // The same data without moving: the sample's own dates.
    let r = sprintlens(
        &db,
        &[
            "demo",
            "--no-serve",
            "--keep-dates",
            "--data",
            data.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&["velocity", "--team", "payments", "--as-of", "2030-03-14"]);
    assert_eq!(
        v["sprints"].as_array().unwrap().last().unwrap()["end_date"],
        "2025-06-22"
    );
}

#[test]
fn the_database_comes_from_the_flag_then_the_environment() {
    let dir = scratch();
    let env_db = dir.path().join("env.duckdb");
    let f = write(dir.path(), "s.csv", b"team,story,estimate\npay,PAY-1,3\n");
    let out = Command::new(env!("CARGO_BIN_EXE_sprintlens"))
        .args(["ingest", "-q", f.to_str().unwrap()])
        .env("SPRINTLENS_DB", &env_db)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(env_db.exists());
    assert!(!dir.path().join("sprintlens.duckdb").exists());
    // Without flag or environment: ./sprintlens.duckdb.
    let out = Command::new(env!("CARGO_BIN_EXE_sprintlens"))
        .args(["ingest", "-q", f.to_str().unwrap()])
        .env_remove("SPRINTLENS_DB")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir.path().join("sprintlens.duckdb").exists());
}

#[test]
fn bad_flags_exit_1_with_the_reason() {
    let dir = scratch();
    let db = dir.path().join("x.duckdb");
    let r = sprintlens(&db, &["--format", "yaml", "info"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "invalid value 'yaml' for '--format <FORMAT>': expected table, json, csv or markdown\n"
        ),
        "{}",
        r.stderr
    );
    let r = sprintlens(&db, &["ingest", "--kind", "pizzas", "x.csv"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("invalid value 'pizzas' for '--kind <KIND>': expected one of teams, decks, sprints, stories, votes, sprint_items, sprint_summaries"), "{}", r.stderr);
    let r = sprintlens(
        &db,
        &[
            "generate",
            "--teams",
            "0",
            "--out",
            dir.path().join("g").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("--teams and --sprints must be at least 1"),
        "{}",
        r.stderr
    );
    // Too large a data set is refused before a file is written.
    let g = dir.path().join("big");
    let r = sprintlens(
        &db,
        &[
            "generate",
            "--teams",
            "100000000",
            "--out",
            g.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("--teams 100000000 x --sprints 12: at most 100000 team-sprints"),
        "{}",
        r.stderr
    );
    assert!(!g.exists(), "nothing written");
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = scratch();
    let db = write(
        dir.path(),
        "notes.duckdb",
        b"these are my notes, not a database\n",
    );
    let f = write(dir.path(), "s.csv", b"team,story,estimate\npay,PAY-1,3\n");
    let r = sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "notes.duckdb: is not a DuckDB database (the file holds other data); pass another --db"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        b"these are my notes, not a database\n"
    );
}

/// The split check counts what the generator's truth file says: the backlog (stories not done)
/// and those really too big; precision and recall follow from its own counts.
#[test]
fn bench_splits_measures_the_list_against_the_truth() {
    let dir = scratch();
    let unused = dir.path().join("unused.duckdb");
    // Six teams of eight sprints, seed 5; `config` before the command when given.
    let bench = |config: &[&str]| {
        let args = [
            "--format",
            "json",
            "bench",
            "splits",
            "--teams",
            "6",
            "--sprints",
            "8",
        ];
        let r = sprintlens(&unused, &[config, &args[..], &["--seeds", "5"]].concat());
        assert_eq!(r.code, 0, "{}", r.stderr);
        r
    };
    let r = bench(&[]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let row = &v["rows"][0];
    // The same data set's truth, written by generate.
    let truth = dir.path().join("truth.csv");
    let g = sprintlens(
        &unused,
        &[
            "generate",
            "--teams",
            "6",
            "--sprints",
            "8",
            "--seed",
            "5",
            "--out",
            dir.path().join("data").to_str().unwrap(),
            "--truth",
            truth.to_str().unwrap(),
        ],
    );
    assert_eq!(g.code, 0, "{}", g.stderr);
    let text = std::fs::read_to_string(&truth).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("team,story,work_days,carried_over,overran,done,too_big")
    );
    // Each team's sprint length from its first sprint (end - start + 1).
    let sprints = std::fs::read_to_string(dir.path().join("data/sprints.csv")).unwrap();
    let mut days: std::collections::HashMap<String, f64> = Default::default();
    let head: Vec<&str> = sprints.lines().next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    for l in sprints.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let len = (d(f[col("end_date")]) - d(f[col("start_date")])).num_days() + 1;
        days.entry(f[col("team")].to_string()).or_insert(len as f64);
    }
    let (mut backlog, mut too_big, mut late_only) = (0, 0, 0);
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let (work, carried, overran, big) = (
            f[2].parse::<f64>().unwrap(),
            f[3] == "true",
            f[4] == "true",
            f[6] == "true",
        );
        // Too big: its work takes longer than the team's sprint, or it overran (carried over
        // although started by the sprint's middle); overran is a kind of carried over.
        let longer = work > days[f[0]] + 0.005;
        if work < days[f[0]] - 0.005 {
            assert_eq!(big, overran, "{l}");
        } else if longer {
            assert!(big, "{l}");
        }
        assert!(!overran || carried, "{l}");
        // Carried over only for starting late: not too big.
        late_only += usize::from(carried && !overran && !longer && !big);
        if f[5] == "false" {
            backlog += 1;
            too_big += usize::from(big);
        }
    }
    assert!(
        late_only > 0,
        "some stories are carried over only for starting late"
    );
    assert_eq!(row["backlog"], backlog);
    assert_eq!(row["too_big"], too_big);
    let n = |k: &str| row[k].as_f64().unwrap();
    assert!(n("listed") > 0.0, "{row}");
    assert_eq!(n("precision"), n("listed_too_big") / n("listed"));
    assert_eq!(n("recall"), n("listed_too_big") / n("too_big"));
    assert_eq!(n("listed_share"), n("listed") / n("backlog"));
    assert_eq!(v["total"]["listed"], row["listed"]);
    assert_eq!(v["settings"], serde_json::Value::Null);
    // The two rules of thumb on the same backlog and truth.
    let b = v["baselines"].as_array().unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0]["rule"], "votes of a round spanned 5 to 13 or wider");
    assert_eq!(b[1]["rule"], "estimate of 13 points or more");
    for x in b {
        let n = |k: &str| x[k].as_f64().unwrap();
        assert_eq!(n("recall"), n("listed_too_big") / too_big as f64);
        assert_eq!(n("listed_share"), n("listed") / backlog as f64);
    }
    // With a settings file the list follows it: every flagged story listed (cut 1, the whole
    // backlog allowed), so nothing is watched and at least as many are listed.
    let toml = write(
        dir.path(),
        "cut.toml",
        b"[defaults.split]\nscore_cut = 1\nmax_share = 1\n",
    );
    let r = bench(&["--config", toml.to_str().unwrap()]);
    let w: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(w["settings"], toml.to_str().unwrap());
    assert_eq!(w["rows"][0]["watched"], 0, "{w}");
    assert_eq!(
        w["rows"][0]["listed"].as_u64().unwrap(),
        row["listed"].as_u64().unwrap() + row["watched"].as_u64().unwrap()
    );
}

#[test]
fn bench_ingest_prints_its_table() {
    let dir = scratch();
    let work = dir.path().join("bench");
    let r = sprintlens(
        &dir.path().join("unused.duckdb"),
        &[
            "bench",
            "ingest",
            "--teams",
            "2",
            "--sprints",
            "3",
            "--dir",
            work.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for phase in [
        "generate",
        "ingest all files",
        "ingest votes.csv (+ decks)",
        "DuckDB read_csv(votes.csv)",
    ] {
        assert!(r.stdout.contains(phase), "{}", r.stdout);
    }
    assert!(
        r.stdout
            .contains("votes ingest speed / DuckDB read_csv speed:"),
        "{}",
        r.stdout
    );
    // The raw load and our ingest read the same number of votes.
    let rows = |phase: &str| -> String {
        let l = r.stdout.lines().find(|l| l.starts_with(phase)).unwrap();
        l[phase.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    let votes_lines = std::fs::read_to_string(work.join("data/votes.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(
        rows("DuckDB read_csv(votes.csv)").replace(',', ""),
        votes_lines.to_string()
    );
}

#[test]
fn a_bad_command_line_exits_1_and_help_exits_0() {
    let dir = scratch();
    let db = dir.path().join("x.duckdb");
    let r = sprintlens(&db, &["ingest", "--no-such-flag", "x.csv"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--no-such-flag"), "{}", r.stderr);
    let r = sprintlens(&db, &["--help"]);
    assert_eq!(r.code, 0);
    for cmd in [
        "ingest", "generate", "info", "demo", "points", "velocity", "spread", "forecast", "bench",
    ] {
        assert!(r.stdout.contains(cmd), "help lacks {cmd}: {}", r.stdout);
    }
}

#[test]
fn bench_metrics_prints_both_sizes() {
    let dir = scratch();
    let r = sprintlens(
        &dir.path().join("unused.duckdb"),
        &[
            "bench",
            "metrics",
            "--teams",
            "2",
            "--sprints",
            "4",
            "--dir",
            dir.path().join("b").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for phase in [
        "points",
        "velocity",
        "spread",
        "accuracy",
        "forecast",
        "splits (backlog)",
        "full refresh",
    ] {
        assert!(
            r.stdout.contains(&format!("{phase} (1 teams)")),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout.contains(&format!("{phase} (2 teams)")),
            "{}",
            r.stdout
        );
    }
    assert!(r.stdout.contains("data grew"), "{}", r.stdout);
}

/// Each report computed once per call: a team's whole report set (what its first page
/// computes) runs every query once; SPRINTLENS_TIMING names each query as it runs.
#[test]
fn a_team_s_reports_run_each_query_once() {
    let dir = scratch();
    let db = sample_store(dir.path(), "once.duckdb");
    let out = Command::new(env!("CARGO_BIN_EXE_sprintlens"))
        .arg("--db")
        .arg(&db)
        .args(["report", "--team", "payments", "--format", "json"])
        .env("SPRINTLENS_TIMING", "1")
        .env_remove("SPRINTLENS_FORMAT")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Lines like "query      1.23 ms  round_stats".
    let mut names: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("query "))
        .filter_map(|l| l.split("  ").last())
        .map(str::trim)
        .collect();
    names.sort_unstable();
    let mut once = names.clone();
    once.dedup();
    assert_eq!(names, once, "a query ran more than once:\n{stderr}");
    for name in [
        "round_stats",
        "team_decks",
        "team_voters",
        "done_items",
        "sprint_velocity",
    ] {
        assert!(names.contains(&name), "{name} did not run:\n{stderr}");
    }
}

#[test]
fn an_unknown_sprint_is_refused_by_every_command_that_takes_one() {
    let dir = scratch();
    let db = sample_store(dir.path(), "sprints.duckdb");
    // The sample's payments team has sprints 1 to 12; program commerce is payments and
    // checkout, whose sprints have the same ids.
    let latest = "3, 4, 5, 6, 7, 8, 9, 10, 11, 12";
    for cmd in ["points", "velocity", "spread", "accuracy", "splits"] {
        let refused = |args: &[&str], says: String| {
            let r = sprintlens(&db, &[&[cmd], args].concat());
            assert_eq!(r.code, 1, "{cmd}: {}", r.stdout);
            assert!(r.stderr.contains(&says), "{cmd}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{cmd}: {}", r.stdout);
        };
        refused(
            &["--team", "payments", "--sprint", "13"],
            format!(
                "unknown sprint \"13\" for team \"payments\"; it has 12 sprints, the latest: {latest}"
            ),
        );
        refused(
            &["--program", "commerce", "--sprint", "x"],
            format!(
                "unknown sprint \"x\" for the teams of program \"commerce\"; they have 12 sprints, the latest: {latest}"
            ),
        );
        // A sprint of the team is taken.
        let r = sprintlens(&db, &[cmd, "--team", "payments", "--sprint", "12"]);
        assert_eq!(r.code, 0, "{cmd}: {}", r.stderr);
    }
}
