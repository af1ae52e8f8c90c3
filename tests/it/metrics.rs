//! Metrics reproduce the published tables from real projects.

use crate::common::*;

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number, found {v}"))
}

/// A row of a paper's table (`project,file,count,value...`) against sprintlens' JSON row:
/// the count exactly, each value within 0.01.
fn matches_paper(got: &serde_json::Value, paper: &[String], fields: &[&str], label: &str) {
    assert_eq!(
        got["n"].as_u64().unwrap(),
        paper[2].parse::<u64>().unwrap(),
        "{label}: count"
    );
    for (k, field) in fields.iter().enumerate() {
        let want: f64 = paper[3 + k].parse().unwrap();
        let have = num(&got[*field]);
        assert!(
            (have - want).abs() <= 0.01,
            "{label} {field}: paper {want}, sprintlens {have}"
        );
    }
}

#[test]
fn points_reproduce_table_1_of_the_story_point_paper() {
    let Some(data) = shared_data() else { return };
    let dir = scratch();
    let db = dir.path().join("t1.duckdb");
    let expected =
        std::fs::read_to_string(data.join("storypoints-tse2018/expected_table1.csv")).unwrap();
    let mut rows = Vec::new();
    for line in expected.lines().skip(1) {
        let f: Vec<String> = line.split(',').map(str::to_string).collect();
        let team = f[1].trim_end_matches(".csv").to_string();
        let path = data.join("storypoints-tse2018").join(&f[1]);
        let r = sprintlens(
            &db,
            &["ingest", "-q", "--team", &team, path.to_str().unwrap()],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        rows.push((team, f));
    }
    let r = sprintlens(&db, &["--format", "json", "points"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let got = got["rows"].as_array().unwrap();
    assert_eq!(got.len(), 16);
    for (team, f) in rows {
        let g = got
            .iter()
            .find(|g| g["group"] == team.as_str())
            .unwrap_or_else(|| panic!("{team}"));
        matches_paper(
            g,
            &f,
            &["min", "max", "mean", "median", "mode", "variance", "sd"],
            &team,
        );
    }
}

#[test]
fn points_of_an_unknown_team_or_program_are_refused() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let r = sprintlens(&db, &["points", "--team", "nobody"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("unknown team \"nobody\"; the database has 1 team: pay"),
        "{}",
        r.stderr
    );
    // Another case of a name is pointed at.
    let r = sprintlens(&db, &["points", "--team", "PAY"]);
    assert!(
        r.stderr
            .contains("unknown team \"PAY\"; did you mean \"pay\"?"),
        "{}",
        r.stderr
    );
    let r = sprintlens(&db, &["points", "--program", "x"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("unknown program \"x\"; the database has none"),
        "{}",
        r.stderr
    );
}

#[test]
fn points_by_hand_with_undefined_values() {
    let dir = scratch();
    let db = dir.path().join("p.duckdb");
    let f = write(
        dir.path(),
        "s.csv",
        b"team,program,story,estimate\na,core,A-1,1\na,core,A-2,2\na,core,A-3,2\na,core,A-4,3\na,core,A-5,5\na,core,A-6,8\nb,core,B-1,13\nb,core,B-2,\n",
    );
    assert_eq!(
        sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]).code,
        0
    );
    let r = sprintlens(&db, &["--format", "json", "points"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let a = &v["rows"][0];
    assert_eq!(a["group"], "a");
    assert_eq!(
        (num(&a["mean"]), num(&a["median"]), num(&a["mode"])),
        (3.5, 2.5, 2.0)
    );
    assert!((num(&a["variance"]) - 6.7).abs() < 1e-9);
    let b = &v["rows"][1];
    assert_eq!(b["n"], 1);
    assert!(b["sd"].is_null());
    assert_eq!(b["undefined"]["sd"], "needs at least two values");
    let t = sprintlens(&db, &["points"]);
    assert!(t.stdout.contains("n/a"), "{}", t.stdout);
    let p = sprintlens(&db, &["--format", "json", "points", "--by", "program"]);
    let v: serde_json::Value = serde_json::from_str(&p.stdout).unwrap();
    assert_eq!(v["rows"][0]["group"], "core");
    assert_eq!(v["rows"][0]["n"], 7);
}

#[test]
fn velocity_difference_reproduces_table_7_of_the_delivery_paper() {
    let Some(data) = shared_data() else { return };
    let dir = scratch();
    let db = dir.path().join("t7.duckdb");
    let expected =
        std::fs::read_to_string(data.join("sprints-tse2017/expected_table7.csv")).unwrap();
    let mut programs = Vec::new();
    for line in expected.lines().skip(1) {
        let f: Vec<String> = line.split(',').map(str::to_string).collect();
        let program = f[1].trim_end_matches(".csv").to_string();
        let path = data.join("sprints-tse2017").join(&f[1]);
        let r = sprintlens(
            &db,
            &[
                "ingest",
                "-q",
                "--program",
                &program,
                path.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        programs.push((program, f));
    }
    let r = sprintlens(&db, &["--format", "json", "velocity", "--by", "program"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let got = got["difference"].as_array().unwrap();
    assert_eq!(got.len(), 2);
    for (program, f) in programs {
        let g = got.iter().find(|g| g["group"] == program.as_str()).unwrap();
        matches_paper(
            g,
            &f,
            &["min", "max", "mean", "median", "mode", "sd", "iqr"],
            &program,
        );
    }
}

#[test]
fn forecast_backtest_on_the_delivery_paper_sprints() {
    // Every closed sprint with 10 non-empty sprints before it, forecast from those 10, next
    // sprint and next 3. Expected counts from an independent implementation of the method
    // (README "Forecast") over the published files: (sprints ahead, level, forecasts, met,
    // lines above 0, met of those).
    let Some(data) = shared_data() else { return };
    let dir = scratch();
    let db = dir.path().join("bt.duckdb");
    type Row = (u64, f64, u64, u64, u64, u64);
    let expected: [(&str, [Row; 8]); 2] = [
        (
            "apache",
            [
                (1, 0.5, 182, 117, 145, 80),
                (1, 0.7, 182, 145, 121, 84),
                (1, 0.85, 182, 174, 79, 71),
                (1, 0.95, 182, 179, 54, 51),
                (3, 0.5, 160, 105, 134, 79),
                (3, 0.7, 160, 137, 123, 100),
                (3, 0.85, 160, 149, 113, 102),
                (3, 0.95, 160, 157, 76, 73),
            ],
        ),
        (
            "jira",
            [
                (1, 0.5, 877, 559, 743, 425),
                (1, 0.7, 877, 679, 570, 372),
                (1, 0.85, 877, 811, 288, 222),
                (1, 0.95, 877, 863, 127, 113),
                (3, 0.5, 828, 423, 771, 366),
                (3, 0.7, 828, 584, 730, 486),
                (3, 0.85, 828, 688, 699, 559),
                (3, 0.95, 828, 779, 496, 447),
            ],
        ),
    ];
    for (program, rows) in expected {
        let f = data.join(format!("sprints-tse2017/{program}.csv"));
        let r = sprintlens(
            &db,
            &["ingest", "-q", "--program", program, f.to_str().unwrap()],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = sprintlens(
            &db,
            &[
                "--format",
                "json",
                "forecast",
                "--program",
                program,
                "--backtest",
                "--sprints",
                "3",
                "--min-history",
                "10",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let got: Vec<Row> = v["levels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["horizon"].as_u64().unwrap(),
                    c["probability"].as_f64().unwrap(),
                    c["forecasts"].as_u64().unwrap(),
                    c["met"].as_u64().unwrap(),
                    c["above_zero"].as_u64().unwrap(),
                    c["met_above_zero"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, rows.to_vec(), "{program}");
        let misses: u64 = rows.iter().map(|r| r.2 - r.3).sum();
        assert_eq!(v["misses"].as_array().unwrap().len() as u64, misses);
    }
    let bad = sprintlens(&db, &["forecast", "--backtest", "--min-history", "0"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    // More sprints before than drawn from is a fair question; a shorter history alone too.
    let ok = sprintlens(
        &db,
        &[
            "forecast",
            "--backtest",
            "--min-history",
            "12",
            "--history",
            "3",
        ],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(sprintlens(&db, &["forecast", "--history", "3"]).code, 0);
    assert!(bad.stderr.contains("--min-history 0"), "{}", bad.stderr);
}

#[test]
fn velocity_by_hand() {
    let dir = scratch();
    let db = dir.path().join("v.duckdb");
    let sprints = write(
        dir.path(),
        "sprints.csv",
        b"team,sprint_id,start_date,end_date\na,1,2025-01-06,2025-01-19\na,2,2025-01-20,2025-02-02\na,3,2025-02-03,2025-02-16\na,4,2025-02-17,2025-03-02\n",
    );
    // Sprint 1: committed 5+3+2 = 10, A-3 removed, A-4 added (1 point); done:
    //   completed 5+1 = 6, completed of committed 5, say/do 50%, carry-over 1.
    // Sprint 2: committed 3 (A-2 carried) + 8 = 11, both done: completed 11, say/do 100%.
    // Sprint 3: committed 0 (nothing): say/do undefined; completed 0.
    // Sprint 4: active on 2025-02-20.
    let items = write(
        dir.path(),
        "items.csv",
        b"team,sprint_id,story,committed,points_start,points_end,status\n\
a,1,A-1,true,5,5,done\na,1,A-2,true,3,3,not_done\na,1,A-3,true,2,2,removed\na,1,A-4,false,,1,done\n\
a,2,A-2,true,3,3,done\na,2,A-5,true,8,8,done\n\
a,3,A-6,false,,2,not_done\n\
a,4,A-7,true,5,5,not_done\n",
    );
    assert_eq!(
        sprintlens(
            &db,
            &[
                "ingest",
                "-q",
                sprints.to_str().unwrap(),
                items.to_str().unwrap()
            ]
        )
        .code,
        0
    );
    let r = sprintlens(
        &db,
        &["--format", "json", "velocity", "--as-of", "2025-02-20"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let s = v["sprints"].as_array().unwrap();
    assert_eq!(s.len(), 4);
    let f = |i: usize, k: &str| s[i][k].clone();
    assert_eq!(
        (
            num(&f(0, "committed")),
            num(&f(0, "added")),
            num(&f(0, "removed")),
            num(&f(0, "completed"))
        ),
        (10.0, 1.0, 2.0, 6.0)
    );
    assert_eq!(
        (
            num(&f(0, "say_do")),
            f(0, "carry_over_items"),
            num(&f(0, "difference"))
        ),
        (0.5, serde_json::json!(1), -4.0)
    );
    assert_eq!(
        (
            num(&f(1, "committed")),
            num(&f(1, "completed")),
            num(&f(1, "say_do"))
        ),
        (11.0, 11.0, 1.0)
    );
    assert!(f(2, "say_do").is_null());
    assert_eq!(f(2, "undefined")["say_do"], "nothing was committed");
    assert_eq!(f(3, "closed"), false);
    // The sd of one sprint is undefined, with its reason.
    assert!(f(0, "rolling_sd").is_null());
    assert_eq!(
        f(0, "undefined")["rolling_sd"],
        "needs at least two closed sprints"
    );
    assert!(f(3, "rolling_mean").is_null());
    // Rolling over closed sprints 1-3: completed 6, 11, 0 -> mean 17/3, median 6.
    assert!((num(&f(2, "rolling_mean")) - 17.0 / 3.0).abs() < 1e-9);
    assert_eq!(num(&f(2, "rolling_median")), 6.0);
    let t = &v["teams"][0];
    assert_eq!(t["closed_sprints"], 3);
    // Trend of 6, 11, 0: slope -3.
    assert!((num(&t["trend_slope"]) + 3.0).abs() < 1e-9);
    assert!((num(&t["say_do"]) - 0.75).abs() < 1e-9);
    // The active sprint is not in the difference distribution: 6-10, 11-11, 0-0.
    let d = &v["difference"][0];
    assert_eq!(d["n"], 3);
    assert_eq!(
        (num(&d["min"]), num(&d["max"]), num(&d["median"])),
        (-4.0, 0.0, 0.0)
    );
    // One sprint's row, with its history's rolling values.
    let r = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "velocity",
            "--sprint",
            "2",
            "--as-of",
            "2025-02-20",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["sprints"].as_array().unwrap().len(), 1);
    assert_eq!(num(&v["sprints"][0]["rolling_mean"]), 8.5);
    let r = sprintlens(&db, &["velocity", "--sprint", "99"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("unknown sprint \"99\""), "{}", r.stderr);
}

#[test]
fn velocity_window_per_team_all_history_and_median_sprint_length() {
    let dir = scratch();
    let db = dir.path().join("w.duckdb");
    // Teams a and b have the same four closed sprints of 14, 14, 10 and 7 days, completing
    // 10, 20, 30 and 40 points.
    let mut sprints = String::from("team,sprint_id,start_date,end_date\n");
    let mut items = String::from("team,sprint_id,story,committed,points_start,points_end,status\n");
    let days = [
        ("2025-01-01", "2025-01-14"),
        ("2025-01-15", "2025-01-28"),
        ("2025-01-29", "2025-02-07"),
        ("2025-02-08", "2025-02-14"),
    ];
    for team in ["a", "b"] {
        for (i, (start, end)) in days.iter().enumerate() {
            let p = 10 * (i + 1);
            sprints.push_str(&format!("{team},{i},{start},{end}\n"));
            items.push_str(&format!("{team},{i},{team}-{i},true,{p},{p},done\n"));
        }
    }
    let sprints = write(dir.path(), "sprints.csv", sprints.as_bytes());
    let items = write(dir.path(), "items.csv", items.as_bytes());
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            sprints.to_str().unwrap(),
            items.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Team a's own window is 2; team b keeps the default 3.
    write(dir.path(), "sprintlens.toml", b"[teams.a]\nwindow = 2\n");
    let r = sprintlens(
        &db,
        &["--format", "json", "velocity", "--as-of", "2025-03-01"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let (a, b) = (&v["teams"][0], &v["teams"][1]);
    assert_eq!(
        (a["team"].as_str(), a["window"].as_u64()),
        (Some("a"), Some(2))
    );
    assert_eq!(
        (b["team"].as_str(), b["window"].as_u64()),
        (Some("b"), Some(3))
    );
    // Rolling: a over 30, 40 -> 35; b over 20, 30, 40 -> 30. Sprint 3 of a: 20, 30 -> 25.
    assert_eq!(num(&a["rolling_mean"]), 35.0);
    assert_eq!(num(&b["rolling_mean"]), 30.0);
    assert_eq!(num(&v["sprints"][2]["rolling_mean"]), 25.0);
    assert_eq!(num(&v["sprints"][6]["rolling_mean"]), 20.0);
    // All history, both teams: mean 25, sd sqrt(500/3) = 12.9099, CV 0.5164.
    for t in [a, b] {
        assert_eq!(num(&t["all_mean"]), 25.0);
        assert!((num(&t["all_sd"]) - (500.0f64 / 3.0).sqrt()).abs() < 1e-9);
        assert!((num(&t["all_cv"]) - (500.0f64 / 3.0).sqrt() / 25.0).abs() < 1e-9);
        // Lengths 7, 10, 14, 14: the median is (10 + 14) / 2 = 12, as every median here.
        assert_eq!(num(&t["sprint_days"]), 12.0);
    }
    // The table names each team's window when they differ.
    let r = sprintlens(&db, &["velocity", "--as-of", "2025-03-01"]);
    assert!(r.stdout.contains("each team's window"), "{}", r.stdout);
    // A --window on the command line is for every team.
    let r = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "velocity",
            "--as-of",
            "2025-03-01",
            "--window",
            "4",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(num(&v["teams"][0]["rolling_mean"]), 25.0);
    assert_eq!(v["teams"][0]["window"], 4);
}

#[test]
fn spread_and_consensus_by_hand_with_pseudonyms() {
    let dir = scratch();
    let db = dir.path().join("s.duckdb");
    let decks = write(dir.path(), "decks.csv", b"team,deck\nt,fibonacci\n");
    let stories = write(dir.path(), "stories.csv", b"team,story,estimate\nt,T-1,8\n");
    // Round 1: 5, 13, 8, ? -> spread 2 steps, suggested 8; round 2: 8, 8, 8, 5 -> spread 1.
    let votes = write(
        dir.path(),
        "votes.csv",
        b"team,session,story,round,voter,card\n\
t,s1,T-1,1,zoe,5\nt,s1,T-1,1,max,13\nt,s1,T-1,1,ada,8\nt,s1,T-1,1,bo,?\n\
t,s1,T-1,2,zoe,8\nt,s1,T-1,2,max,8\nt,s1,T-1,2,ada,8\nt,s1,T-1,2,bo,5\n",
    );
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            decks.to_str().unwrap(),
            stories.to_str().unwrap(),
            votes.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = sprintlens(&db, &["--format", "json", "spread"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stdout.contains("zoe") && !r.stdout.contains("\"max\""),
        "names leak: {}",
        r.stdout
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["pseudonymised"], true);
    let r1 = &v["rounds"][0];
    assert_eq!(
        (r1["spread_steps"].as_i64(), r1["question_votes"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(r1["suggested_card"], "8");
    assert!((num(&r1["ratio_spread"]) - 2.6).abs() < 1e-12);
    assert_eq!(r1["low_voters"].as_array().unwrap().len(), 1);
    assert!(r1["low_voters"][0].as_str().unwrap().starts_with("voter "));
    let r2 = &v["rounds"][1];
    assert_eq!(
        (r2["spread_steps"].as_i64(), r2["spread_change"].as_i64()),
        (Some(1), Some(-1))
    );
    assert_eq!(
        (r2["near_consensus"].as_bool(), r2["unanimous"].as_bool()),
        (Some(true), Some(false))
    );
    assert!((num(&r2["mode_share"]) - 0.75).abs() < 1e-12);
    let s = &v["stories"][0];
    assert_eq!(
        (s["rounds"].as_i64(), s["rounds_to_consensus"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(s["question_share"], 0.125);
    // Calibration on round 1 against the final 8 (step 5): 5 -> -1, 13 -> +1, 8 -> 0.
    let voters = v["voters"].as_array().unwrap();
    assert_eq!(voters.len(), 3);
    let mut abs: Vec<f64> = voters.iter().map(|x| num(&x["mean_abs_steps"])).collect();
    abs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(abs, vec![0.0, 1.0, 1.0]);
    let named = sprintlens(&db, &["--format", "json", "spread", "--show-names"]);
    assert!(named.stdout.contains("\"zoe\""), "{}", named.stdout);
}

#[test]
fn forecast_from_a_steady_team_is_certain_and_seeded() {
    let dir = scratch();
    let db = dir.path().join("f.duckdb");
    let sprints = write(
        dir.path(),
        "sprints.csv",
        b"team,sprint_id,start_date,end_date\na,1,2025-01-06,2025-01-19\na,2,2025-01-20,2025-02-02\na,3,2025-02-03,2025-02-16\n",
    );
    let items = write(
        dir.path(),
        "items.csv",
        b"team,sprint_id,story,committed,points_start,points_end,status\na,1,A-1,true,10,10,done\na,2,A-2,true,10,10,done\na,3,A-3,true,10,10,done\n",
    );
    let stories = write(
        dir.path(),
        "stories.csv",
        b"team,story,estimate\na,A-4,13\na,A-5,8\na,A-1,10\n",
    );
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            sprints.to_str().unwrap(),
            items.to_str().unwrap(),
            stories.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "forecast",
            "--sprints",
            "2",
            "--as-of",
            "2025-03-01",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let t = &v["teams"][0];
    assert_eq!(t["history"], serde_json::json!([10.0, 10.0, 10.0]));
    for l in t["how_much"].as_array().unwrap() {
        assert_eq!(num(&l["value"]), 20.0);
    }
    // The remaining backlog is A-4 and A-5 (A-1 is done): 21 points, 3 sprints of 10.
    assert_eq!(
        (num(&t["target_points"]), t["target_source"].as_str()),
        (21.0, Some("remaining backlog"))
    );
    for l in t["when"].as_array().unwrap() {
        assert_eq!(num(&l["value"]), 3.0);
        assert_eq!(l["date"], "2025-03-30");
    }
    let again = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "forecast",
            "--sprints",
            "2",
            "--as-of",
            "2025-03-01",
        ],
    );
    assert_eq!(r.stdout, again.stdout);
    // Out of range, refused before any work: the message names the flag, the value as
    // written (short) and the bound.
    for (args, says) in [
        (
            vec!["--points", "-3"],
            "--points -3: expected a number above 0 and at most 1000000000",
        ),
        (
            vec!["--points", "1e300"],
            "--points 1e300: expected a number above 0 and at most 1000000000",
        ),
        (
            vec!["--trials", "100000000"],
            "--trials 100000000: at most 1000000",
        ),
        (
            vec!["--sprints", "100000"],
            "--sprints 100000: at most 1000",
        ),
    ] {
        let bad = sprintlens(&db, &[&["forecast"], &args[..]].concat());
        assert_eq!(bad.code, 1, "{args:?}");
        assert!(bad.stderr.contains(says), "{args:?}: {}", bad.stderr);
        assert!(bad.stdout.is_empty(), "{args:?}: {}", bad.stdout);
    }
}

#[test]
fn accuracy_by_hand() {
    let dir = scratch();
    let db = dir.path().join("a.duckdb");
    // Points 1, 2, 2, 3 taking 1, 3, 2, 2 days: Kendall tau-b 0.4 (see the unit test);
    // hours 4, 8, 10, 12 -> hours per point 4, 4, 5, 4: median 4, E = 4, 8, 8, 12;
    // MRE 0, 0, 0.2, 0 -> MdMRE 0, PRED(25) 100%, MAE 0.5.
    let items = write(
        dir.path(),
        "items.csv",
        b"team,sprint_id,story,committed,points_end,status,started_at,completed_at,actual_hours\n\
a,1,A-1,true,1,done,2025-01-06 09:00,2025-01-07 09:00,4\n\
a,1,A-2,true,2,done,2025-01-06 09:00,2025-01-09 09:00,8\n\
a,1,A-3,true,2,done,2025-01-06 09:00,2025-01-08 09:00,10\n\
a,1,A-4,true,3,done,2025-01-06 09:00,2025-01-08 09:00,12\n\
a,1,A-5,true,5,not_done,2025-01-06 09:00,,\n",
    );
    assert_eq!(
        sprintlens(&db, &["ingest", "-q", items.to_str().unwrap()]).code,
        0
    );
    let r = sprintlens(&db, &["--format", "json", "accuracy"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let t = &v["teams"][0];
    assert_eq!(t["items"], 4);
    assert!((num(&t["kendall_tau_b"]) - 0.4).abs() < 1e-9);
    assert_eq!(t["medians_rise"], false);
    assert_eq!(
        (
            num(&t["hours_per_point"]),
            num(&t["mdmre"]),
            num(&t["pred25"])
        ),
        (4.0, 0.0, 1.0)
    );
    assert!((num(&t["mae_hours"]) - 0.5).abs() < 1e-9);
    let b = v["buckets"].as_array().unwrap();
    assert_eq!(b.len(), 3);
    assert_eq!(
        (num(&b[1]["points"]), num(&b[1]["median_days"])),
        (2.0, 2.5)
    );
    // 2-point items (3, 2 days) against the 3-point item (2 days): 3 > 2 counts 1, 2 = 2 counts 0.5.
    assert_eq!(num(&b[1]["overlap_with_next"]), 0.75);
}

#[test]
fn splits_fire_with_reasons_and_follow_the_settings() {
    let dir = scratch();
    let db = dir.path().join("sp.duckdb");
    let decks = write(dir.path(), "decks.csv", b"team,deck\nt,fibonacci\n");
    let stories = write(
        dir.path(),
        "stories.csv",
        b"team,story,title,estimate\nt,T-1,Wide votes,8\nt,T-2,Big one,13\nt,T-3,Calm,3\n",
    );
    // T-1: round 1 from 3 to 13 (3 steps), half of the votes are '?'; T-3: everyone says 3.
    let votes = write(
        dir.path(),
        "votes.csv",
        b"team,story,round,voter,card\nt,T-1,1,a,3\nt,T-1,1,b,13\nt,T-1,1,c,?\nt,T-1,1,d,?\n\
t,T-3,1,a,3\nt,T-3,1,b,3\nt,T-3,1,c,3\n",
    );
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            decks.to_str().unwrap(),
            stories.to_str().unwrap(),
            votes.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = sprintlens(&db, &["--format", "json", "splits"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["scope"], "backlog");
    assert_eq!(v["stories_checked"], 3);
    // At the default cut (4) neither is listed: T-1 trips signals 1-3 (score 3), T-2 signal 4
    // (score 1); both are watched, highest score first.
    assert_eq!(v["score_cut"], 4);
    assert_eq!(v["candidates"].as_array().unwrap().len(), 0, "{v}");
    let c = v["watch"].as_array().unwrap();
    assert_eq!(c.len(), 2, "{c:?}");
    assert_eq!((&c[0]["story"], &c[0]["score"]), (&"T-1".into(), &3.into()));
    let signals: Vec<u64> = c[0]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["signal"].as_u64().unwrap())
        .collect();
    assert_eq!(signals, vec![1, 2, 3]);
    assert_eq!(
        c[0]["signals"][0]["reason"],
        "the first round's votes were 3 cards apart (threshold 2)"
    );
    assert_eq!(
        c[0]["signals"][2]["reason"],
        "50% of the votes were \"?\" (threshold 25%)"
    );
    assert_eq!((&c[1]["story"], &c[1]["score"]), (&"T-2".into(), &1.into()));
    assert_eq!(
        c[1]["signals"][0]["reason"],
        "estimated at 13 points (threshold 13)"
    );
    // The split report as JSON, at the settings written last.
    let splits_json = || -> serde_json::Value {
        serde_json::from_str(&sprintlens(&db, &["--format", "json", "splits"]).stdout).unwrap()
    };
    // A lower cut lists T-1; a heavier signal 4 lists T-2 too (4 x 1).
    let listed = |toml: &[u8]| -> Vec<(String, i64)> {
        write(dir.path(), "sprintlens.toml", toml);
        let v = splits_json();
        v["candidates"]
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
    assert_eq!(
        listed(b"[teams.t.split]\nscore_cut = 3\n"),
        vec![("T-1".to_string(), 3)]
    );
    // With three stories checked, a quarter is less than one: the list holds the best one,
    // and T-1 (at the cut) is watched as beyond the team's share; a larger share lists both.
    assert_eq!(
        listed(b"[teams.t.split]\nscore_cut = 3\nweights = [1, 1, 1, 4, 3, 1]\n"),
        vec![("T-2".to_string(), 4)]
    );
    let v = splits_json();
    assert_eq!(v["beyond_share"], 1, "{v}");
    assert_eq!(
        (&v["watch"][0]["story"], &v["watch"][0]["beyond_share"]),
        (&"T-1".into(), &true.into())
    );
    let table = sprintlens(&db, &["splits"]).stdout;
    assert!(
        table.contains(
            "(1 of them reach their team's score cut, but the team's list is full: max_share)"
        ),
        "{table}"
    );
    assert_eq!(
        listed(b"[teams.t.split]\nscore_cut = 3\nweights = [1, 1, 1, 4, 3, 1]\nmax_share = 0.67\n"),
        vec![("T-2".to_string(), 4), ("T-1".to_string(), 3)]
    );
    write(
        dir.path(),
        "sprintlens.toml",
        b"[defaults.split]\nmax_share = 0\n",
    );
    let r = sprintlens(&db, &["splits"]);
    assert!(
        r.stderr
            .contains("sprintlens.toml: defaults.split.max_share: must be above 0 and at most 1"),
        "{}",
        r.stderr
    );
    // Settings next to the database raise the thresholds for team t: nothing is flagged.
    write(dir.path(), "sprintlens.toml", b"[teams.t.split]\nround1_spread = 4\nlast_spread = 4\nquestion_share = 0.6\nmax_points = 21\n");
    let v = splits_json();
    assert_eq!(v["candidates"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(v["watch"].as_array().unwrap().len(), 0, "{v}");
    // Weights are six whole numbers.
    write(
        dir.path(),
        "sprintlens.toml",
        b"[defaults.split]\nweights = [1, 2]\n",
    );
    let r = sprintlens(&db, &["splits"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "sprintlens.toml: defaults.split.weights: expected six whole numbers from 0 to 10, one per signal"
        ),
        "{}",
        r.stderr
    );
    // A bad settings file is refused with its name and key.
    let bad = write(dir.path(), "bad.toml", b"[defaults]\nwindow = 0\n");
    let r = sprintlens(&db, &["--config", bad.to_str().unwrap(), "splits"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("bad.toml: defaults.window: must be at least 1"),
        "{}",
        r.stderr
    );
    // A team section naming no team of the database is noted (a misspelt team's settings
    // would otherwise apply to no one); a known team's section is not.
    let typo = write(
        dir.path(),
        "typo.toml",
        b"[teams.T.split]\nscore_cut = 3\n[teams.t.split]\nscore_cut = 4\n",
    );
    let r = sprintlens(&db, &["--config", typo.to_str().unwrap(), "splits"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let notes: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("note:"))
        .collect();
    assert_eq!(
        notes,
        [format!(
            "note: {}: [teams] \"T\" is no team of the database (did you mean \"t\"?); its settings apply to no team",
            typo.display()
        )],
        "{}",
        r.stderr
    );
    // Only team t cuts at 3: the report's cut is t's own while t is the only team checked; with
    // team u (at the defaults' 4) checked too, the cuts differ and the table says so.
    write(
        dir.path(),
        "sprintlens.toml",
        b"[teams.t.split]\nscore_cut = 3\n",
    );
    let v = splits_json();
    assert_eq!(
        (&v["score_cut"], &v["cuts_differ"]),
        (&3.into(), &serde_json::Value::Null)
    );
    let other = write(
        dir.path(),
        "other.csv",
        b"team,story,title,estimate\nu,U-1,Other,2\n",
    );
    ingest_ok(&db, &[&other]);
    let v = splits_json();
    assert_eq!(
        (&v["score_cut"], &v["cuts_differ"]),
        (&4.into(), &true.into())
    );
    let table = sprintlens(&db, &["splits"]).stdout;
    assert!(
        table.contains("1 of 4 stories in the backlog to split (each team's score cut or more)"),
        "{table}"
    );
}

#[test]
fn points_of_one_sprint_or_since_a_day() {
    let dir = scratch();
    let db = dir.path().join("ps.duckdb");
    let stories = write(
        dir.path(),
        "stories.csv",
        b"team,story,created_at,estimate\na,A-1,2025-01-01,1\na,A-2,2025-02-01,5\na,A-3,2025-03-01,8\n",
    );
    let items = write(
        dir.path(),
        "items.csv",
        b"team,sprint_id,story,status\na,7,A-2,done\na,7,A-3,not_done\n",
    );
    assert_eq!(
        sprintlens(
            &db,
            &[
                "ingest",
                "-q",
                stories.to_str().unwrap(),
                items.to_str().unwrap()
            ]
        )
        .code,
        0
    );
    let run = |args: &[&str]| -> serde_json::Value {
        let mut a = vec!["--format", "json", "points"];
        a.extend(args);
        serde_json::from_str(&sprintlens(&db, &a).stdout).unwrap()
    };
    assert_eq!(run(&[])["rows"][0]["n"], 3);
    let v = run(&["--sprint", "7"]);
    assert_eq!(
        (v["rows"][0]["n"].as_u64(), num(&v["rows"][0]["mean"])),
        (Some(2), 6.5)
    );
    let v = run(&["--since", "2025-02-15"]);
    assert_eq!(
        (v["rows"][0]["n"].as_u64(), num(&v["rows"][0]["min"])),
        (Some(1), 8.0)
    );
    // Sprint 7 is known from its items alone (no sprints file): another id is refused.
    let r = sprintlens(&db, &["points", "--sprint", "8"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("unknown sprint \"8\" for the teams; they have 7"),
        "{}",
        r.stderr
    );
}

#[test]
fn votes_of_the_last_round_only_leave_earlier_round_figures_unknown() {
    let dir = scratch();
    let db = dir.path().join("last.duckdb");
    // PAY-1 from an export (last round only): 3, 8 and ? on modified Fibonacci (steps 4 and
    // 6: spread 2, ? share 1/3). PAY-2 captured live: 3 and 3 in round 1.
    let votes = write(
        dir.path(),
        "votes.csv",
        b"team,session,story,round,voter,card,last_round_only\n\
pay,export,PAY-1,1,ann,3,true\n\
pay,export,PAY-1,1,bob,8,true\n\
pay,export,PAY-1,1,cy,?,true\n\
pay,live,PAY-2,1,ann,3,\n\
pay,live,PAY-2,1,bob,3,\n",
    );
    let stories = write(
        dir.path(),
        "stories.csv",
        b"team,story,title,estimate\npay,PAY-1,Refund,5\npay,PAY-2,Export,3\n",
    );
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            votes.to_str().unwrap(),
            stories.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = sprintlens(
        &db,
        &["--format", "json", "spread", "--rounds", "--show-names"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let why = "unknown: the source keeps only the last round";
    let round = &v["rounds"][0];
    assert_eq!(round["story"], "PAY-1");
    assert_eq!(round["spread_steps"], 2);
    assert!((round["question_share"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(round["last_round_only"], true);
    assert_eq!(round["spread_change"], serde_json::Value::Null);
    assert_eq!(round["undefined"]["spread_change"], why);
    assert!(
        v["rounds"][1].get("last_round_only").is_none(),
        "live rounds are complete"
    );
    let s1 = &v["stories"][0];
    assert_eq!(
        (s1["story"].as_str(), s1["last_spread"].as_i64()),
        (Some("PAY-1"), Some(2))
    );
    for f in [
        "rounds_to_consensus",
        "first_spread",
        "first_suggested_value",
    ] {
        assert_eq!(s1[f], serde_json::Value::Null, "{f}");
        assert_eq!(s1["undefined"][f], why, "{f}");
    }
    let s2 = &v["stories"][1];
    assert_eq!(
        (s2["story"].as_str(), s2["rounds_to_consensus"].as_i64()),
        (Some("PAY-2"), Some(1))
    );
    assert!(s2.get("undefined").is_none());
    // The table says unknown, not "never".
    let r = sprintlens(&db, &["spread"]);
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("PAY-1") && l.contains("export"))
        .unwrap();
    assert!(
        line.contains("last only") && line.contains("unknown") && !line.contains("never"),
        "{line}"
    );
    // Calibration uses PAY-2 only: ann and bob at 0 steps; cy voted only on PAY-1.
    let voters: Vec<(String, u64, f64)> = v["voters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["voter"].as_str().unwrap().to_string(),
                x["votes"].as_u64().unwrap(),
                x["mean_abs_steps"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        voters,
        vec![("ann".to_string(), 1, 0.0), ("bob".to_string(), 1, 0.0)]
    );
    // Splits: PAY-1's signals 1-3 cannot be told (they would have fired on spread 2 and 33%
    // "?"), nothing else fires: undecided, not a candidate and not silent.
    let r = sprintlens(
        &db,
        &["--format", "json", "splits", "--as-of", "2025-07-01"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sp: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(sp["candidates"].as_array().unwrap().len(), 0, "{sp}");
    let undecided = sp["undecided"].as_array().unwrap();
    assert_eq!(undecided.len(), 1, "{sp}");
    assert_eq!(undecided[0]["story"], "PAY-1");
    assert_eq!(undecided[0]["rounds"], serde_json::Value::Null);
    let unknown: Vec<u64> = undecided[0]["unknown_signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["signal"].as_u64().unwrap())
        .collect();
    assert_eq!(unknown, vec![1, 2, 3]);
    assert_eq!(undecided[0]["unknown_signals"][0]["reason"], why);
    // The split page says so.
    let out = dir.path().join("site");
    let r = sprintlens(
        &db,
        &[
            "report",
            "--team",
            "pay",
            "--as-of",
            "2025-07-01",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let page = std::fs::read_to_string(out.join("splits.html")).unwrap();
    assert!(
        page.contains("Signals 1–3 unknown") && page.contains("PAY-1"),
        "{page}"
    );
}

/// Outcome sizes, the items that left their bucket, discussion against outcomes, voters against
/// the room and against outcomes, and the "let's talk" pair, on a team computed by hand.
#[test]
fn estimates_are_read_against_outcomes() {
    let dir = scratch();
    let db = dir.path().join("oc.duckdb");
    let decks = write(dir.path(), "decks.csv", b"team,deck\nt,fibonacci\n");
    let sprints = write(
        dir.path(),
        "sprints.csv",
        b"team,sprint_id,name,start_date,end_date\nt,1,S1,2025-01-06,2025-01-19\n",
    );
    // Fibonacci steps: 0 1 2 3 5 8 13 21 -> 2 is step 2, 3 step 3, 5 step 4, 8 step 5.
    // Four 2-point items took 1, 1, 2, 2 days and A-5 16 days; four 5-point items 4, 4, 4, 16.
    let mut items = String::from(
        "team,sprint_id,story,committed,removed,points_start,points_end,status,started_at,completed_at\n",
    );
    for (story, points, days) in [
        ("A-1", 2, 1),
        ("A-2", 2, 1),
        ("A-3", 2, 2),
        ("A-4", 2, 2),
        ("A-5", 2, 16),
        ("B-1", 5, 4),
        ("B-2", 5, 4),
        ("B-3", 5, 4),
        ("B-4", 5, 16),
    ] {
        let end = chrono::NaiveDate::from_ymd_opt(2025, 1, 19).unwrap();
        let start = end - chrono::Duration::days(days);
        items.push_str(&format!(
            "t,1,{story},true,false,{points},{points},done,{start}T09:00:00,{end}T09:00:00\n"
        ));
    }
    let items = write(dir.path(), "sprint_items.csv", items.as_bytes());
    let stories = write(
        dir.path(),
        "stories.csv",
        b"team,story,title,estimate\nt,A-5,Grew,2\nt,B-1,Talked up,5\nt,B-4,Agreed,5\n",
    );
    // 2 5 8, then 2 2 2 (the room talked itself down); B-4: 3 5 5, then 5 5 5;
    // B-1: 2 3 8, then 5 5 5.
    let votes = write(
        dir.path(),
        "votes.csv",
        b"team,story,round,voter,card\n\
t,A-5,1,a,2\nt,A-5,1,b,5\nt,A-5,1,c,8\nt,A-5,2,a,2\nt,A-5,2,b,2\nt,A-5,2,c,2\n\
t,B-4,1,a,3\nt,B-4,1,b,5\nt,B-4,1,c,5\nt,B-4,2,a,5\nt,B-4,2,b,5\nt,B-4,2,c,5\n\
t,B-1,1,a,2\nt,B-1,1,b,3\nt,B-1,1,c,8\nt,B-1,2,a,5\nt,B-1,2,b,5\nt,B-1,2,c,5\n",
    );
    ingest_ok(&db, &[&decks, &sprints, &items, &stories, &votes]);
    let r = sprintlens(&db, &["--format", "json", "accuracy"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let o = &v["outcomes"][0];
    assert_eq!(o["team"], "t");
    // Every item has an outcome. A-5's 16 days: the 2-point bucket without it is 1, 1, 2, 2
    // (median of ln days: ln 1.41), the 5-point bucket 4, 4, 4, 16 (ln 4): nearer 5, two steps
    // above its estimate. Every other item stays in its own bucket.
    assert_eq!(o["items"], 9);
    let left = o["left_bucket"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{o}");
    assert_eq!(
        (
            &left[0]["story"],
            &left[0]["estimate_card"],
            &left[0]["outcome_card"],
            &left[0]["steps"],
        ),
        (&"A-5".into(), &"2".into(), &"5".into(), &2.into())
    );
    // Discussion: A-5 first suggested 5 (step 4), final 2 (step 2), outcome step 4: farther.
    // B-1 first 3 (step 3), final 5 (step 4), outcome 4: nearer. B-4: 5 and 5: the same.
    // Sign test of 1 against 1: p = 1.
    let d = &o["discussion"];
    assert_eq!(
        (&d["stories"], &d["nearer"], &d["farther"], &d["ties"]),
        (&3.into(), &1.into(), &1.into(), &1.into())
    );
    assert_eq!(d["nearer_share"], 0.5);
    assert_eq!(d["p_value"], 1.0);
    // The lowest and highest first-round cards against the outcome (step 4): A-5 2 vs 8
    // (2 and 1 steps away), B-4 3 vs 5 (1 and 0), B-1 2 vs 8 (2 and 1): the high card each time.
    assert_eq!(
        o["talk_pair"],
        serde_json::json!({"rounds": 3, "low_nearer": 0, "high_nearer": 3, "same": 0})
    );
    // Voters by hand (first-round steps; the room's final steps 2, 4, 4; outcomes 4, 4, 4):
    // a: 2, 3, 2 -> room |0|+|1|+|2| = 3/3, outcome 2+1+2 = 5/3, bias -5/3;
    // b: 4, 4, 3 -> room 2+0+1 = 3/3, outcome 0+0+1 = 1/3, bias -1/3;
    // c: 5, 4, 5 -> room 3+0+1 = 4/3, outcome 1+0+1 = 2/3, bias +2/3.
    let mut voters: Vec<(i64, i64, i64)> = o["voters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            assert!(x["voter"].as_str().unwrap().starts_with("voter "), "{x}");
            assert_eq!(
                (&x["room_votes"], &x["outcome_votes"]),
                (&3.into(), &3.into())
            );
            let r = |k: &str| (x[k].as_f64().unwrap() * 3.0).round() as i64;
            (
                r("room_mean_abs_steps"),
                r("outcome_mean_abs_steps"),
                r("outcome_bias_steps"),
            )
        })
        .collect();
    voters.sort();
    assert_eq!(voters, vec![(3, 1, -1), (3, 5, -5), (4, 2, 2)]);
    // No name appears anywhere in the report.
    for name in ["\"a\"", "\"b\"", "\"c\""] {
        assert!(!r.stdout.contains(name), "{name}");
    }
    // Names when asked for: the same figures, each with its voter (from the hand count above).
    let r = sprintlens(&db, &["--format", "json", "accuracy", "--show-names"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let mut named: Vec<(String, i64)> = v["outcomes"][0]["voters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let bias = (x["outcome_bias_steps"].as_f64().unwrap() * 3.0).round() as i64;
            (x["voter"].as_str().unwrap().to_string(), bias)
        })
        .collect();
    named.sort();
    assert_eq!(
        named,
        vec![("a".into(), -5), ("b".into(), -1), ("c".into(), 2)]
    );
    let t = sprintlens(&db, &["accuracy", "--show-names"]);
    assert!(
        t.stdout
            .contains("Voters' first-round cards against the room and against outcomes\n")
    );
    let t = sprintlens(&db, &["accuracy"]);
    assert!(
        t.stdout
            .contains("against outcomes (pseudonymised; --show-names shows names)\n")
    );
}

/// Reference stories: quick consensus first, nearest the card's median cycle time, the most
/// recent on a tie; slow consensus left out; a split candidate of the card is "sized like" the
/// first.
#[test]
fn reference_stories_show_what_a_card_means() {
    let dir = scratch();
    let db = dir.path().join("ref.duckdb");
    let decks = write(dir.path(), "decks.csv", b"team,deck\nt,fibonacci\n");
    let sprints = write(
        dir.path(),
        "sprints.csv",
        b"team,sprint_id,name,start_date,end_date\nt,1,S1,2025-01-06,2025-01-19\nt,2,S2,2025-01-20,2025-02-02\n",
    );
    // Five done 2-point stories: R-5 (2 days, sprint 1), R-1 (1 day), R-2 (2 days), R-3 (1.5
    // days), R-4 (4 days), the last four in sprint 2. The card's median: 2 days.
    let items = write(
        dir.path(),
        "sprint_items.csv",
        b"team,sprint_id,story,committed,removed,points_start,points_end,status,started_at,completed_at\n\
t,1,R-5,true,false,2,2,done,2025-01-07T09:00:00,2025-01-09T09:00:00\n\
t,2,R-1,true,false,2,2,done,2025-01-21T09:00:00,2025-01-22T09:00:00\n\
t,2,R-2,true,false,2,2,done,2025-01-21T09:00:00,2025-01-23T09:00:00\n\
t,2,R-3,true,false,2,2,done,2025-01-21T09:00:00,2025-01-22T21:00:00\n\
t,2,R-4,true,false,2,2,done,2025-01-21T09:00:00,2025-01-25T09:00:00\n",
    );
    let stories = write(
        dir.path(),
        "stories.csv",
        b"team,story,title,estimate\nt,R-1,One,2\nt,R-2,Two,2\nt,R-3,Three,2\nt,R-4,Four,2\nt,R-5,Five,2\nt,S-1,Next,2\n",
    );
    // agreed at once; R-5 in round 2; R-3 in round 3 (slow: left out); R-4 has no
    // votes (after every story with quick consensus). S-1 is in the backlog.
    let votes = write(
        dir.path(),
        "votes.csv",
        b"team,story,round,voter,card\n\
t,R-1,1,a,2\nt,R-1,1,b,2\nt,R-2,1,a,2\nt,R-2,1,b,2\n\
t,R-5,1,a,1\nt,R-5,1,b,5\nt,R-5,2,a,2\nt,R-5,2,b,2\n\
t,R-3,1,a,1\nt,R-3,1,b,8\nt,R-3,2,a,1\nt,R-3,2,b,5\nt,R-3,3,a,2\nt,R-3,3,b,2\n\
t,S-1,1,a,1\nt,S-1,1,b,8\nt,S-1,2,a,2\nt,S-1,2,b,2\n",
    );
    ingest_ok(&db, &[&decks, &sprints, &items, &stories, &votes]);
    let r = sprintlens(
        &db,
        &["--format", "json", "reference", "--as-of", "2025-03-01"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let card = &v["teams"][0]["cards"][0];
    assert_eq!(
        (&card["card"], &card["items"], &card["median_days"]),
        (&"2".into(), &5.into(), &2.0.into())
    );
    let picked: Vec<&str> = card["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["story"].as_str().unwrap())
        .collect();
    // sit on the median (R-2 is more recent), R-1 is ln 2 away; R-4 has no votes and
    // comes after them, R-3 took three rounds.
    assert_eq!(picked, vec!["R-2", "R-5", "R-1"]);
    // With quick consensus meaning round 1 only ([retro] quick_rounds = 1), R-5 is left out and
    // the unvoted R-4 fills the third place.
    write(
        dir.path(),
        "sprintlens.toml",
        b"[retro]\nquick_rounds = 1\n",
    );
    let r = sprintlens(
        &db,
        &["--format", "json", "reference", "--as-of", "2025-03-01"],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let picked: Vec<&str> = v["teams"][0]["cards"][0]["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["story"].as_str().unwrap())
        .collect();
    assert_eq!(picked, vec!["R-2", "R-1", "R-4"]);
    std::fs::remove_file(dir.path().join("sprintlens.toml")).unwrap();
    // Markdown and CSV carry the same rows.
    let md = sprintlens(
        &db,
        &["--format", "markdown", "reference", "--as-of", "2025-03-01"],
    );
    assert!(
        md.stdout
            .contains("| t | 2 | 5 | 2 | R-2 | Two | 2 | 1 | 2 |"),
        "{}",
        md.stdout
    );
    // The backlog's S-1 (2 points) is sized like R-2.
    let r = sprintlens(
        &db,
        &["--format", "json", "splits", "--as-of", "2025-03-01"],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let s1 = v["watch"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["story"] == "S-1")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(s1["sized_like"], "R-2 (2)");
}

/// Done items without a start time have no cycle time: the retrospective, the reference stories
/// and the team page's drift say so instead of showing empty tables or an empty chart.
#[test]
fn a_team_without_cycle_times_is_told_why_outcomes_are_missing() {
    let dir = scratch();
    let db = dir.path().join("untimed.duckdb");
    let decks = write(dir.path(), "decks.csv", b"team,deck\nt,fibonacci\n");
    let sprints = write(
        dir.path(),
        "sprints.csv",
        b"team,sprint_id,name,start_date,end_date\nt,1,S1,2025-01-06,2025-01-19\n",
    );
    // Four done 3-point items, completed but never started (an export without start times).
    let items = write(
        dir.path(),
        "sprint_items.csv",
        b"team,sprint_id,story,committed,removed,points_start,points_end,status,started_at,completed_at\n\
t,1,U-1,true,false,3,3,done,,2025-01-09T09:00:00\n\
t,1,U-2,true,false,3,3,done,,2025-01-10T09:00:00\n\
t,1,U-3,true,false,3,3,done,,2025-01-13T09:00:00\n\
t,1,U-4,true,false,3,3,done,,2025-01-14T09:00:00\n",
    );
    let votes = write(
        dir.path(),
        "votes.csv",
        b"team,story,round,voter,card\nt,U-1,1,a,2\nt,U-1,1,b,5\nt,U-1,2,a,3\nt,U-1,2,b,3\n",
    );
    ingest_ok(&db, &[&decks, &sprints, &items, &votes]);

    let no_cards =
        "No card has three done items with a cycle time (a start and a completion time) yet.\n";
    for format in ["table", "markdown"] {
        let r = sprintlens(
            &db,
            &["--format", format, "reference", "--as-of", "2025-03-01"],
        );
        assert_eq!((r.code, r.stdout.as_str()), (0, no_cards), "{}", r.stderr);
    }
    // Accuracy says so instead of printing empty tables of outcomes, voters and pairs.
    let r = sprintlens(&db, &["accuracy"]);
    assert!(
        r.stdout.ends_with(
            "Estimates against outcomes (outcome size: the card whose cycle times an item's \
             resembles)\nNo done item with a cycle time (a start and a completion time) yet.\n"
        ),
        "{}",
        r.stdout
    );
    // CSV stays a table: the header alone.
    let r = sprintlens(&db, &["--format", "csv", "reference"]);
    assert_eq!(
        r.stdout,
        "team,card,items,median days,story,title,cycle days,rounds,sprint\n"
    );

    let r = sprintlens(
        &db,
        &[
            "--format",
            "markdown",
            "report",
            "--team",
            "t",
            "--sprint",
            "1",
            "--retro",
            "--as-of",
            "2025-03-01",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "## Estimation retrospective: t — S1\n\n\
             No done item of this sprint has a cycle time (a start and a completion time), so \
             none can be set against the cycle times of its card.\n\n\
             Discussion: no re-voted story of this sprint has an outcome yet.\n\n\
             ### Reference stories for the next planning\n\n{no_cards}"
        )
    );

    // The team page of a static report: no drift chart, a sentence instead.
    let out = dir.path().join("site");
    let r = sprintlens(
        &db,
        &[
            "report",
            "--team",
            "t",
            "--out",
            out.to_str().unwrap(),
            "--as-of",
            "2025-03-01",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    let drift = &page[page.find("What a card means over time").unwrap()..];
    assert!(
        drift.starts_with(
            "What a card means over time</h2>\n<p>No card has enough done items with a cycle \
             time in one quarter yet.</p>"
        ),
        "{}",
        &drift[..300.min(drift.len())]
    );
    let retro = std::fs::read_to_string(out.join("retro-sprint-1.html")).unwrap();
    assert!(retro.contains("<p>No re-voted story of this sprint has an outcome yet.</p>"));
    assert!(
        retro.contains(
            "No done item of this sprint has a cycle time (a start and a completion\ntime)"
        )
    );
}

#[test]
fn release_burnup_and_the_backlog_as_of_a_day_by_hand() {
    let dir = scratch();
    let db = dir.path().join("r.duckdb");
    let sprints = write(
        dir.path(),
        "sprints.csv",
        b"team,sprint_id,start_date,end_date\nt,1,2025-01-06,2025-01-19\nt,2,2025-01-20,2025-02-02\nt,3,2025-02-03,2025-02-16\n",
    );
    let stories = write(
        dir.path(),
        "stories.csv",
        b"team,story,estimate,created_at\nt,T-1,5,2025-01-01T09:00:00\nt,T-2,3,2025-01-01T09:00:00\nt,T-3,8,2025-01-10T09:00:00\nt,T-4,13,2025-01-25T09:00:00\nt,T-5,2,\n",
    );
    let items = write(
        dir.path(),
        "items.csv",
        b"team,sprint_id,story,committed,points_start,points_end,status,completed_at\n\
t,1,T-1,true,5,5,done,2025-01-15T10:00:00\nt,1,T-2,true,3,3,not_done,\n\
t,2,T-2,true,3,3,done,2025-01-30T10:00:00\nt,2,T-3,true,8,8,done,\n\
t,3,T-4,true,13,13,not_done,\n",
    );
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            sprints.to_str().unwrap(),
            stories.to_str().unwrap(),
            items.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The remaining backlog as of a day: estimated stories created by then (or undated) and
    // not done by then. 20 January: T-1 done on the 15th; T-2 (done 30 Jan), T-3 (done at
    // sprint 2's end, 2 Feb) and T-5 (undated) open: 3 + 8 + 2 = 13. 20 February: T-4 and
    // T-5: 15.
    for (day, backlog) in [("2025-01-20", 13.0), ("2025-02-20", 15.0)] {
        let f = sprintlens(
            &db,
            &[
                "--format", "json", "forecast", "--team", "t", "--as-of", day,
            ],
        );
        assert_eq!(f.code, 0, "{}", f.stderr);
        let v: serde_json::Value = serde_json::from_str(&f.stdout).unwrap();
        assert_eq!(v["teams"][0]["target_points"], backlog, "{day}");
    }
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 2, 20).unwrap();
    let store = sprintlens::store::Store::open_read_only(&db)
        .unwrap()
        .unwrap();
    let settings = sprintlens::settings::Settings::default();
    let d = sprintlens::present::pages::data::team_data(&store, &settings, "t", as_of)
        .unwrap()
        .unwrap();
    // Sprint 1 (ends 19 Jan): done T-1 = 5; open and created by then T-2, T-3, T-5 = 13:
    // scope 18. Sprint 2 (2 Feb): done 5 + 3 + 8 = 16; open T-4 (created 25 Jan), T-5: 31.
    // Sprint 3: nothing more done: 16 and 31.
    let past: Vec<(String, f64, f64)> = d
        .release
        .past
        .iter()
        .map(|p| (p.sprint_id.clone(), p.done, p.scope))
        .collect();
    assert_eq!(
        past,
        vec![
            ("1".into(), 5.0, 18.0),
            ("2".into(), 16.0, 31.0),
            ("3".into(), 16.0, 31.0)
        ]
    );
    assert_eq!((d.release.done, d.release.remaining), (16.0, 15.0));
    // Completed 5, 11 and 0 (sprint 3 committed 13: not empty).
    assert_eq!(d.release.history, vec![5.0, 11.0, 0.0]);
    // The finish levels are the forecast's "when" for the same 15 points.
    let when: Vec<Option<f64>> = d.forecast.when.iter().map(|l| l.value).collect();
    let finish: Vec<Option<f64>> = d
        .release
        .finish
        .iter()
        .map(|f| f.sprints.map(|k| k as f64))
        .collect();
    assert_eq!(finish, vec![when[0], when[2], when[3]]);
    assert_eq!(
        d.release.finish[0].date, d.forecast.when[0].date,
        "the same calendar"
    );
}
