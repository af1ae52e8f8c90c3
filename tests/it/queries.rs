//! Every query in `queries/` runs over the sample data and matches its snapshot; every query
//! file follows the house style (a header naming it, its parameters and columns; CTEs that
//! end in `select * from final`).
//! Update snapshots with SPRINTLENS_UPDATE_SNAPSHOTS=1 cargo test queries::, then read them.

use crate::common::*;
use std::path::PathBuf;

fn query_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["queries/metrics", "queries/store", "queries/pages"] {
        for e in std::fs::read_dir(project_root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "sql") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The parameters each query gets over the sample data (NULL where not named).
fn params(name: &str) -> Vec<duckdb::types::Value> {
    use duckdb::types::Value::{BigInt, Null, Text};
    match name {
        "sprint_velocity" => vec![Null, Null, Text("2025-06-10".into())],
        "info_ingests" => vec![BigInt(6)],
        "round_stats" => vec![
            Text("search".into()),
            Null,
            Text("3".into()),
            Null,
            duckdb::types::Value::Boolean(true),
        ],
        "done_items" => vec![Text("search".into()), Null, Text("3".into()), Null],
        "team_voters" | "round1_votes" | "round_count" => vec![Text("search".into()), Null],
        "point_values" => vec![Null, Text("commerce".into()), Null, Null],
        "story_status" => vec![Text("payments".into()), Null, Text("4".into())],
        "carry_over_by_points" => vec![Null, Null],
        "backlog_points" => vec![Null, Null, Text("2025-05-01".into())],
        "release_burnup" => vec![Text("search".into()), Text("2025-06-10".into())],
        "team_items" | "story_cards" | "team_card" | "team_sprints" | "team_vote_sources"
        | "room_backlog" => {
            vec![Text("search".into())]
        }
        "table_columns" => vec![Text("votes".into())],
        "sync_state" => vec![Text("jira https://example.atlassian.net board 1".into())],
        "synced_items" | "sprint_history" | "story_flow" => vec![Text("search".into())],
        "kept_report" => vec![
            Text("team".into()),
            Text("search".into()),
            Text("2025-06-10".into()),
        ],
        "kept_reports_of_day" => vec![Text("team".into()), Text("2025-06-10".into())],
        "story_votes" => vec![
            Text("payments".into()),
            Text("PAY-P1".into()),
            Text("PAY-101".into()),
        ],
        _ => Vec::new(),
    }
}

/// Columns whose values change from run to run.
fn masked(name: &str, column: &str) -> bool {
    name == "info_ingests" && (column == "ingested_at" || column == "file" || column == "id")
}

#[test]
fn every_query_matches_its_snapshot() {
    let dir = scratch();
    let db = sample_store(dir.path(), "q.duckdb");
    let conn = duckdb::Connection::open(&db).unwrap();
    // The macros every connection of the store gets.
    conn.execute_batch(
        &std::fs::read_to_string(project_root().join("queries/schema/macros.sql")).unwrap(),
    )
    .unwrap();
    let update = std::env::var_os("SPRINTLENS_UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for file in query_files() {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let sql = std::fs::read_to_string(&file).unwrap();
        assert!(
            sql.starts_with(&format!("-- {name}:")),
            "{name}: the header must start with `-- {name}:`"
        );
        assert!(
            sql.contains("-- parameters:") && sql.contains("-- columns:"),
            "{name}: header lacks parameters or columns"
        );
        assert!(
            sql.contains("final as (") && sql.contains("select * from final"),
            "{name}: must end in `select * from final`"
        );
        let mut stmt = conn.prepare(&sql).unwrap_or_else(|e| panic!("{name}: {e}"));
        let p = params(&name);
        let mut rows = stmt
            .query(duckdb::params_from_iter(p.iter()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let columns: Vec<String> = rows.as_ref().unwrap().column_names();
        // A query that leaves the order to its reader is shown sorted.
        let unordered = sql.contains("-- order: none");
        let mut body: Vec<String> = Vec::new();
        let mut n = 0;
        while let Some(row) = rows.next().unwrap() {
            n += 1;
            if n <= 25 || unordered {
                let cells: Vec<String> = columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if masked(&name, c) {
                            return "*".to_string();
                        }
                        let v: duckdb::types::Value = row.get(i).unwrap();
                        match v {
                            duckdb::types::Value::Null => "NULL".into(),
                            duckdb::types::Value::Text(s) => s,
                            duckdb::types::Value::Double(d) => format!("{d}"),
                            other => format!("{other:?}"),
                        }
                    })
                    .collect();
                body.push(cells.join(" | "));
            }
        }
        if unordered {
            body.sort();
            body.truncate(25);
        }
        let mut lines = vec![columns.join(" | ")];
        lines.extend(body);
        lines.push(format!("({n} rows)"));
        let got = lines.join("\n") + "\n";
        let snap = project_root()
            .join("tests/snapshots/queries")
            .join(format!("{name}.txt"));
        if update {
            std::fs::write(&snap, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&snap) {
            Ok(want) if want == got => {}
            Ok(_) => failures.push(format!("{name}: differs from {}", snap.display())),
            Err(_) => failures.push(format!("{name}: no snapshot at {}", snap.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(SPRINTLENS_UPDATE_SNAPSHOTS=1 rewrites them; read the diff)",
        failures.join("\n")
    );
}

/// Statements and schema files follow the same header: their name, then what they take.
#[test]
fn every_statement_names_itself_and_its_parameters() {
    for dir in ["queries/writes", "queries/schema"] {
        for e in std::fs::read_dir(project_root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            let sql = std::fs::read_to_string(&p).unwrap();
            assert!(
                sql.starts_with(&format!("-- {name}:")),
                "{}: the header must start with `-- {name}:`",
                p.display()
            );
            if dir == "queries/writes" {
                assert!(sql.contains("-- parameters:"), "{name}: no parameters line");
            }
        }
    }
}

/// The sprint sort key orders sprints without dates by name with the last number read as a
/// number, ids without a number after those with one.
#[test]
fn the_sprint_sort_key_reads_numbers_as_numbers() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(
        &std::fs::read_to_string(project_root().join("queries/schema/macros.sql")).unwrap(),
    )
    .unwrap();
    let mut stmt = conn
        .prepare(
            "select id from (values ('Sprint 10'), ('Sprint 2'), ('Backlog'), ('Sprint 9'), ('Alpha 3')) t(id) \
             order by sprint_sort_key(id)",
        )
        .unwrap();
    let ids: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        ids,
        ["Alpha 3", "Backlog", "Sprint 2", "Sprint 9", "Sprint 10"]
    );
}
