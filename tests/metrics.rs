//! Metrics reproduce the published tables from real projects.

mod common;
use common::*;

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number, found {v}"))
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
        assert_eq!(
            g["n"].as_u64().unwrap(),
            f[2].parse::<u64>().unwrap(),
            "{team} issues"
        );
        for (i, field) in [
            (3, "min"),
            (4, "max"),
            (5, "mean"),
            (6, "median"),
            (7, "mode"),
            (8, "variance"),
            (9, "sd"),
        ] {
            let want: f64 = f[i].parse().unwrap();
            let have = num(&g[field]);
            assert!(
                (have - want).abs() <= 0.01,
                "{team} {field}: paper {want}, sprintlens {have}"
            );
        }
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
            .contains("unknown team \"nobody\"; the database has pay"),
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
