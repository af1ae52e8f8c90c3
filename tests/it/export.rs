//! `sprintlens export --parquet DIR`: the canonical tables and the figures as Parquet files
//! partitioned by team, read back with DuckDB over the files and compared with the store and
//! the JSON reports.

use crate::common::*;

/// One query's rows as text, on a fresh in-memory DuckDB (the warehouse's view: only files).
fn over_files(sql: &str) -> Vec<String> {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    rows_as_text(&conn, sql)
}

/// The files of one exported table, as a warehouse reads them.
fn files(dir: &std::path::Path, table: &str) -> String {
    format!(
        "read_parquet('{}/{table}/*/*.parquet', hive_partitioning = true, hive_types = {{'team': VARCHAR}})",
        dir.display()
    )
}

#[test]
fn the_export_reads_back_as_the_store_holds_it() {
    let dir = scratch();
    let db = sample_store(dir.path(), "s.duckdb");
    let out = dir.path().join("lake");
    let r = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "export",
            "--parquet",
            out.to_str().unwrap(),
            "--as-of",
            "2025-07-01",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let summary: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(summary["pseudonymised"], true);
    // Read-only, as the commands below read it too.
    let store = duckdb::Connection::open_with_flags(
        &db,
        duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap(),
    )
    .unwrap();
    // Every canonical table: the same rows, one folder per team.
    for table in [
        "teams",
        "decks",
        "sprints",
        "stories",
        "sprint_items",
        "sprint_summaries",
    ] {
        // The store's columns in order (the files' team column comes from the folder).
        let columns = rows_as_text(
            &store,
            &format!(
                "select string_agg(column_name, ', ' order by ordinal_position) \
                 from information_schema.columns where table_name = '{table}'"
            ),
        )[0]
        .trim_start_matches("Text(\"")
        .trim_end_matches("\")")
        .to_string();
        let stored = rows_as_text(
            &store,
            &format!("select {columns} from {table} order by all"),
        );
        if stored.is_empty() {
            // An empty table is an empty folder (no partition to write).
            assert_eq!(
                std::fs::read_dir(out.join(table)).unwrap().count(),
                0,
                "{table}"
            );
            continue;
        }
        let read = over_files(&format!(
            "select {columns} from {} order by all",
            files(&out, table)
        ));
        assert_eq!(read, stored, "{table}");
        let listed = summary["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .unwrap();
        assert_eq!(listed["rows"], stored.len(), "{table}");
    }
    let teams = rows_as_text(&store, "select team from teams order by team");
    let mut folders: Vec<String> = std::fs::read_dir(out.join("votes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    folders.sort();
    assert_eq!(
        folders,
        teams
            .iter()
            .map(|t| format!(
                "team={}",
                t.trim_start_matches("Text(\"").trim_end_matches("\")")
            ))
            .collect::<Vec<_>>()
    );
    // Votes without names: each voter as the reports name them, the rest as stored.
    let read = over_files(&format!(
        "select team, session, story, round, card, value, voted_at, count(*) from {} \
         group by all order by all",
        files(&out, "votes")
    ));
    let stored = rows_as_text(
        &store,
        "select team, session, story, round, card, value, voted_at, count(*) from votes \
         group by all order by all",
    );
    assert_eq!(read, stored);
    let names = over_files(&format!(
        "select count(*) filter (where voter not like 'voter %'), count(distinct (team, voter)) from {}",
        files(&out, "votes")
    ));
    assert_eq!(
        names,
        rows_as_text(&store, "select 0::bigint, count(*) from voters")
    );
    // The round figures are the spread report's, read from the files.
    let spread = sprintlens(&db, &["--format", "json", "spread"]);
    assert_eq!(spread.code, 0, "{}", spread.stderr);
    let spread: serde_json::Value = serde_json::from_str(&spread.stdout).unwrap();
    let rounds = spread["rounds"].as_array().unwrap();
    let read = over_files(&format!(
        "select count(*), sum(spread_steps), count(*) filter (where unanimous), \
         count(*) filter (where near_consensus) from {}",
        files(&out, "round_figures")
    ));
    let sum: i64 = rounds
        .iter()
        .filter_map(|r| r["spread_steps"].as_i64())
        .sum();
    let unanimous = rounds.iter().filter(|r| r["unanimous"] == true).count();
    let near = rounds
        .iter()
        .filter(|r| r["near_consensus"] == true)
        .count();
    assert_eq!(
        read,
        vec![format!(
            "BigInt({}) | HugeInt({sum}) | BigInt({unanimous}) | BigInt({near})",
            rounds.len()
        )]
    );
    // The sprint figures are the velocity report's, as of the same day.
    let velocity = sprintlens(
        &db,
        &["--format", "json", "velocity", "--as-of", "2025-07-01"],
    );
    assert_eq!(velocity.code, 0, "{}", velocity.stderr);
    let velocity: serde_json::Value = serde_json::from_str(&velocity.stdout).unwrap();
    let sprints = velocity["sprints"].as_array().unwrap();
    for s in sprints.iter().take(5).chain(sprints.iter().rev().take(5)) {
        // Rounded to 12 decimals: the JSON is read back by serde_json, not to the last bit.
        let row = over_files(&format!(
            "select round(committed, 12), round(completed, 12), round(say_do, 12), \
             round(rolling_mean, 12), closed from {} where team = '{}' and sprint_id = '{}'",
            files(&out, "sprint_figures"),
            s["team"].as_str().unwrap(),
            s["sprint_id"].as_str().unwrap()
        ));
        let f = |k: &str| match s[k].as_f64() {
            Some(x) => format!("Double({:?})", (x * 1e12).round() / 1e12),
            None => "Null".to_string(),
        };
        assert_eq!(
            row,
            vec![format!(
                "{} | {} | {} | {} | Boolean({})",
                f("committed"),
                f("completed"),
                f("say_do"),
                f("rolling_mean"),
                s["closed"]
            )],
            "{s}"
        );
    }
    assert_eq!(
        over_files(&format!(
            "select count(*) from {}",
            files(&out, "sprint_figures")
        )),
        vec![format!("BigInt({})", sprints.len())]
    );
    // Exported again (with names): the folder is replaced, not added to.
    let r = sprintlens(
        &db,
        &["export", "--parquet", out.to_str().unwrap(), "--show-names"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        over_files(&format!(
            "select count(*) from {} where voter like 'voter %'",
            files(&out, "votes")
        )),
        vec!["BigInt(0)".to_string()]
    );
    assert_eq!(
        over_files(&format!("select count(*) from {}", files(&out, "votes"))),
        rows_as_text(&store, "select count(*) from votes")
    );
}

#[test]
fn a_team_key_with_slashes_or_dots_stays_inside_the_folder() {
    let dir = scratch();
    let db = dir.path().join("s.duckdb");
    let votes = write(
        dir.path(),
        "v.csv",
        b"team,session,story,round,voter,card\n../up,s1,A-1,1,ann,5\na/b,s1,A-2,1,bob,3\n",
    );
    ingest_ok(&db, &[&votes]);
    let out = dir.path().join("lake");
    let r = sprintlens(&db, &["export", "--parquet", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Nothing was written beside the folder.
    let beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(!beside.iter().any(|n| n == "votes"), "{beside:?}");
    assert_eq!(
        over_files(&format!(
            "select team, story from {} order by team",
            files(&out, "votes")
        )),
        vec![
            "Text(\"../up\") | Text(\"A-1\")",
            "Text(\"a/b\") | Text(\"A-2\")"
        ]
    );
}
