//! Tool exports as users hand them over: Jira Server/DC (repeated Sprint columns), Jira Cloud
//! (the real 155-column "all fields" header), Jira's current-fields list export, Azure DevOps
//! (every value quoted, locale dates), Linear (rows one field short), any CSV through --map,
//! and the mistakes each importer must name without writing anything.

use crate::common::*;

fn rows(db: &std::path::Path, sql: &str) -> Vec<Vec<String>> {
    let conn = duckdb::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let mut out = Vec::new();
    let mut q = stmt.query([]).unwrap();
    while let Some(r) = q.next().unwrap() {
        let n = r.as_ref().column_count();
        out.push(
            (0..n)
                .map(|i| match r.get::<_, duckdb::types::Value>(i).unwrap() {
                    duckdb::types::Value::Null => "NULL".to_string(),
                    duckdb::types::Value::Text(s) => s,
                    duckdb::types::Value::Double(d) => format!("{d}"),
                    duckdb::types::Value::Boolean(b) => format!("{b}"),
                    duckdb::types::Value::Timestamp(_, _) | duckdb::types::Value::Date32(_) => {
                        String::new()
                    }
                    other => format!("{other:?}"),
                })
                .collect(),
        );
    }
    out
}

/// Text of a SQL query's rows, cells joined by " | ", rows by newlines (timestamps as text).
fn table(db: &std::path::Path, sql: &str) -> String {
    rows(db, sql)
        .iter()
        .map(|r| r.join(" | "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
}

const JIRA_SERVER: &str = "Summary,Issue key,Issue id,Issue Type,Status,Project key,Created,Resolved,Description,Sprint,Sprint,Sprint,Custom field (Story Points)\n\
Login page,PAY-1,1001,Story,Done,PAY,22/Oct/21 16:55,25/Oct/21 19:07,\"Line one\nline two, with a comma\",PAY Sprint 1,,,5\n\
Export CSV,PAY-2,1002,Story,Closed,PAY,23/Oct/21 09:00,02/Nov/21 11:30,plain,PAY Sprint 1,PAY Sprint 2,,8\n\
Audit log,PAY-3,1003,Story,In Progress,PAY,24/Oct/21 10:00,,,PAY Sprint 2,PAY Sprint 10,,3\n\
Backlog item,PAY-4,1004,Bug,To Do,PAY,25/Oct/21 10:00,,,,,,\n";

#[test]
fn jira_server_export_with_repeated_sprints_is_recognised_and_read() {
    let dir = scratch();
    let db = dir.path().join("j.duckdb");
    let f = write(dir.path(), "jira.csv", JIRA_SERVER.as_bytes());
    // No --from: the header says Jira.
    let r = sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]);
    ok(&r);
    assert!(
        r.stdout.contains("stories") && r.stdout.contains("sprint_items"),
        "{}",
        r.stdout
    );
    assert_eq!(
        table(
            &db,
            "select story, title, type, strftime(created_at, '%Y-%m-%d %H:%M'), coalesce(estimate::varchar, 'NULL') from stories order by story"
        ),
        "PAY-1 | Login page | Story | 2021-10-22 16:55 | 5.0\n\
         PAY-2 | Export CSV | Story | 2021-10-23 09:00 | 8.0\n\
         PAY-3 | Audit log | Story | 2021-10-24 10:00 | 3.0\n\
         PAY-4 | Backlog item | Bug | 2021-10-25 10:00 | NULL"
    );
    // Earlier sprints did not finish a carried issue; the last has today's status. Commitment
    // and removal are unknown; completion time only for the sprint that finished it.
    assert_eq!(
        table(
            &db,
            "select sprint_id, story, status, coalesce(committed::varchar, 'NULL'), coalesce(removed::varchar, 'NULL'), coalesce(points_end::varchar, 'NULL'), coalesce(strftime(completed_at, '%Y-%m-%d %H:%M'), 'NULL') from sprint_items order by story, sprint_id"
        ),
        "PAY Sprint 1 | PAY-1 | done | NULL | NULL | 5.0 | 2021-10-25 19:07\n\
         PAY Sprint 1 | PAY-2 | not_done | NULL | NULL | 8.0 | NULL\n\
         PAY Sprint 2 | PAY-2 | done | NULL | NULL | 8.0 | 2021-11-02 11:30\n\
         PAY Sprint 10 | PAY-3 | not_done | NULL | NULL | 3.0 | NULL\n\
         PAY Sprint 2 | PAY-3 | not_done | NULL | NULL | 3.0 | NULL"
    );
    // The team comes from the project key.
    assert_eq!(table(&db, "select team from teams"), "PAY");
    // Reports: unknown stays unknown (null with a reason), sprints in number order.
    let v = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "velocity",
            "--team",
            "PAY",
            "--as-of",
            "2026-01-01",
        ],
    );
    ok(&v);
    let v: serde_json::Value = serde_json::from_str(&v.stdout).unwrap();
    let sprints = v["sprints"].as_array().unwrap();
    let ids: Vec<&str> = sprints
        .iter()
        .map(|s| s["sprint_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PAY Sprint 1", "PAY Sprint 2", "PAY Sprint 10"]);
    let completed: Vec<f64> = sprints
        .iter()
        .map(|s| s["completed"].as_f64().unwrap())
        .collect();
    assert_eq!(completed, [5.0, 8.0, 0.0]);
    for s in sprints {
        for k in ["committed", "removed", "say_do", "carry_over_items"] {
            assert!(s[k].is_null(), "{k} must be unknown: {s}");
        }
        assert_eq!(
            s["undefined"]["committed"],
            "the source does not say what was in the sprint at its start"
        );
    }
    // The pages say "unknown", not zero.
    let site = dir.path().join("site");
    ok(&sprintlens(
        &db,
        &[
            "report",
            "--team",
            "PAY",
            "--out",
            site.to_str().unwrap(),
            "--as-of",
            "2026-01-01",
        ],
    ));
    let review = std::fs::read_to_string(site.join("sprint-PAY_Sprint_2.html")).unwrap();
    assert!(
        review.contains("<div class=\"kpi\"><b><span title=\"the source does not say what was in the sprint at its start\">unknown</span></b><span>committed points</span></div>"),
        "{review}"
    );
    assert!(
        review.contains("<b>8</b><span>completed</span>"),
        "{review}"
    );
    let md = sprintlens(
        &db,
        &[
            "report",
            "--team",
            "PAY",
            "--sprint",
            "PAY Sprint 2",
            "--format",
            "markdown",
        ],
    );
    ok(&md);
    assert!(
        md.stdout
            .contains("| unknown | unknown | unknown | 8 | unknown | unknown |"),
        "{}",
        md.stdout
    );
    let table_out = sprintlens(&db, &["velocity", "--team", "PAY", "--as-of", "2026-01-01"]);
    assert!(
        table_out
            .stdout
            .contains("PAY Sprint 2   -      unknown  unknown  unknown          8  unknown"),
        "{}",
        table_out.stdout
    );
    // Again: nothing changes.
    let again = sprintlens(
        &db,
        &["ingest", "-q", "--from", "jira", f.to_str().unwrap()],
    );
    ok(&again);
    assert!(
        again
            .stdout
            .contains("stories          4         0        0          4"),
        "{}",
        again.stdout
    );
}

/// The real Jira Cloud "all fields" header (155 columns, repeated names), from ../shared.
fn cloud_header() -> Option<Vec<String>> {
    let p = shared_data()?.join("export-headers/jira-cloud-all-fields.txt");
    let text = std::fs::read_to_string(p).unwrap();
    let line = text.lines().find(|l| !l.starts_with('#')).unwrap();
    Some(line.split(',').map(str::to_string).collect())
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn cloud_row(header: &[String], cells: &[(&str, &str)]) -> String {
    header
        .iter()
        .map(|h| {
            cells
                .iter()
                .find(|(k, _)| k == h)
                .map(|(_, v)| csv_cell(v))
                .unwrap_or_else(|| match h.as_str() {
                    // Repeated columns carry values too.
                    "Watchers" => "ann@example.com".into(),
                    "Comment" => csv_cell("25/Feb/26 10:17 PM;ann;Looks good,\nship it"),
                    _ => String::new(),
                })
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn an_export_resaved_by_a_spreadsheet_with_semicolons_and_decimal_commas_reads_the_same() {
    let dir = scratch();
    let db = dir.path().join("j.duckdb");
    // The export of the test above as a spreadsheet in a decimal-comma locale saves it (with
    // an unnamed empty column and rows of empty fields where cells once had formatting).
    let text = "Summary;Issue key;Issue id;Issue Type;Status;Project key;Created;Resolved;Description;Sprint;Sprint;Sprint;Custom field (Story Points);\r\n\
Login page;PAY-1;1001;Story;Done;PAY;22/Oct/21 16:55;25/Oct/21 19:07;\"Line one\nline two, with a comma; and more\";PAY Sprint 1;;;5;\r\n\
;;;;;;;;;;;;;\r\n\
Export CSV;PAY-2;1002;Story;Closed;PAY;23/Oct/21 09:00;02/Nov/21 11:30;plain, no quotes;PAY Sprint 1;PAY Sprint 2;;2,5;\r\n\
;;;;;;;;;;;;;\r\n";
    let f = write(dir.path(), "jira.csv", text.as_bytes());
    ok(&sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]));
    assert_eq!(
        table(
            &db,
            "select story, title, estimate::varchar from stories order by story"
        ),
        "PAY-1 | Login page | 5.0\nPAY-2 | Export CSV | 2.5"
    );
    assert_eq!(
        table(
            &db,
            "select sprint_id, story, status, points_end::varchar from sprint_items order by story, sprint_id"
        ),
        "PAY Sprint 1 | PAY-1 | done | 5.0\n\
         PAY Sprint 1 | PAY-2 | not_done | 2.5\n\
         PAY Sprint 2 | PAY-2 | done | 2.5"
    );
    // A hand-kept wide votes sheet, semicolon-separated: cards with decimal commas too.
    let wide = write(
        dir.path(),
        "wide.csv",
        "Story;Ann;Bob;Majority\nPAY-7 Split refunds;0,5;1;0,5\n;;;\n".as_bytes(),
    );
    ok(&sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--from",
            "wide",
            "--team",
            "PAY",
            wide.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        table(
            &db,
            "select story, voter, card, value::varchar from votes order by voter"
        ),
        "PAY-7 | Ann | ½ | 0.5\nPAY-7 | Bob | 1 | 1.0"
    );
    assert_eq!(
        table(
            &db,
            "select estimate::varchar from stories where story = 'PAY-7'"
        ),
        "0.5"
    );
}

#[test]
fn a_sep_line_and_blank_lines_before_the_header_are_skipped_and_lines_keep_their_numbers() {
    let dir = scratch();
    let db = dir.path().join("s.duckdb");
    // Excel writes (and reads) a first line `sep=;` naming the separator; some sheets have
    // empty rows above the table. The export is still told by its header.
    let text = "sep=;\r\n;;;;;;\r\n\
Summary;Issue key;Issue id;Issue Type;Status;Project key;Created;Resolved;Custom field (Story Points)\r\n\
Login page;PAY-1;1001;Story;Done;PAY;22/Oct/21 16:55;25/Oct/21 19:07;2,5\r\n";
    let f = write(dir.path(), "jira.csv", text.as_bytes());
    let out = sprintlens(&db, &["ingest", f.to_str().unwrap()]);
    ok(&out);
    assert!(out.stdout.contains("jira"), "{}", out.stdout);
    assert_eq!(
        table(&db, "select story, title, estimate::varchar from stories"),
        "PAY-1 | Login page | 2.5"
    );
    // A problem of the export names its line in the file.
    let bad = text.replace("22/Oct/21 16:55", "yesterday");
    let f = write(dir.path(), "bad.csv", bad.as_bytes());
    let out = sprintlens(&db, &["ingest", f.to_str().unwrap()]);
    assert!(
        out.stderr.contains("bad.csv:4: column \"Created\""),
        "{}",
        out.stderr
    );
    // A native file: the same, with a pipe as separator; a header problem names its line.
    let f = write(
        dir.path(),
        "teams.csv",
        b"sep=|\n\nteam|name\npay|Payments\nweb|Web|x\n",
    );
    assert_eq!(
        sprintlens(&db, &["ingest", f.to_str().unwrap()]).stderr,
        format!(
            "error: 1 problem in the input; nothing was written\n  {}:5: 3 fields where the \
             header has 2 (a value with an unquoted vertical bar? quote values that contain \
             vertical bars)\n",
            f.display()
        )
    );
    // Lines ended by carriage returns alone (Excel for Mac's "CSV (Macintosh)").
    let f = write(
        dir.path(),
        "mac.csv",
        b"team,name\rpay,Payments\rweb,Web,x\r",
    );
    assert!(
        sprintlens(&db, &["ingest", f.to_str().unwrap()])
            .stderr
            .contains("mac.csv:3: 3 fields where the header has 2")
    );
    let f = write(dir.path(), "what.csv", b",,\nfoo,bar\n1,2\n");
    assert!(
        sprintlens(&db, &["ingest", f.to_str().unwrap()])
            .stderr
            .contains("what.csv:2: cannot tell what this file holds from its header (foo, bar)"),
    );
    // A wide votes sheet.
    let wide = write(
        dir.path(),
        "wide.csv",
        "sep=;\nStory;Ann;Bob\nPAY-7 Split refunds;0,5;1\n".as_bytes(),
    );
    ok(&sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--from",
            "wide",
            "--team",
            "PAY",
            wide.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        table(&db, "select story, voter, card from votes order by voter"),
        "PAY-7 | Ann | ½\nPAY-7 | Bob | 1"
    );
}

#[test]
fn files_excel_saved_as_windows_1252_read_with_encoding_beside_utf8_ones() {
    let dir = scratch();
    let db = dir.path().join("e.duckdb");
    let folder = dir.path().join("sheets");
    std::fs::create_dir(&folder).unwrap();
    // A UTF-8 deck with a half card, and votes, a story list and a Jira export that Excel saved
    // as "CSV" on Windows: j\xfcrgen, a \xbd card, an en dash (0x96) and a euro sign (0x80).
    write(
        &folder,
        "decks.csv",
        "team,deck,position,card,value\npay,tiny,0,\u{bd},0.5\npay,tiny,1,1,1\npay,tiny,2,2,2\n"
            .as_bytes(),
    );
    write(
        &folder,
        "votes.csv",
        b"team,session,story,round,voter,card\npay,s1,PAY-1,1,j\xfcrgen,\xbd\npay,s1,PAY-1,1,ann,1\n",
    );
    write(
        &folder,
        "stories.csv",
        b"team,story,title\npay,PAY-1,Refunds \x96 \x80 amounts\n",
    );
    write(
        &folder,
        "jira.csv",
        b"Summary,Issue key,Issue id,Issue Type,Status,Project key,Created,Resolved\n\xdcbersicht,PAY-2,1002,Story,Done,pay,22/Oct/21 16:55,25/Oct/21 19:07\n",
    );
    let f = folder.to_str().unwrap();
    // Without --encoding: each file that is not UTF-8 is named with its line and byte.
    let out = sprintlens(&db, &["ingest", "-q", f]);
    assert_ne!(out.code, 0);
    for (file, at) in [
        ("votes.csv", ":2: byte 17: "),
        ("stories.csv", ":2: byte 19: "),
    ] {
        assert!(
            out.stderr
                .contains(&format!("{file}{at}bytes that are not UTF-8 (0x")),
            "{}",
            out.stderr
        );
    }
    assert!(
        out.stderr
            .contains("read it with --encoding windows-1252; or re-save it as UTF-8"),
        "{}",
        out.stderr
    );
    assert!(!db.exists() || table(&db, "select count(*) from votes") == "0");
    // With it: those files are decoded, the UTF-8 deck is read as UTF-8 (its half card is
    // the votes' half card), and the export is still told by its header.
    ok(&sprintlens(
        &db,
        &["ingest", "-q", "--encoding", "latin1", f],
    ));
    assert_eq!(
        table(
            &db,
            "select voter, card, value::varchar from votes order by voter"
        ),
        "ann | 1 | 1.0\nj\u{fc}rgen | \u{bd} | 0.5"
    );
    assert_eq!(
        table(&db, "select story, title from stories order by story"),
        "PAY-1 | Refunds \u{2013} \u{20ac} amounts\nPAY-2 | \u{dc}bersicht"
    );
}

#[test]
fn jira_cloud_all_fields_export_reads_with_its_155_columns() {
    let Some(header) = cloud_header() else { return };
    assert_eq!(header.len(), 155);
    let dir = scratch();
    let db = dir.path().join("c.duckdb");
    let mut text = header.join(",") + "\n";
    text += &(cloud_row(
        &header,
        &[
            ("Summary", "Claim intake form"),
            ("Issue key", "INS-7"),
            ("Issue Type", "Story"),
            ("Status", "Done"),
            ("Project key", "INS"),
            ("Created", "25/Feb/26 10:17 PM"),
            ("Resolved", "3/Mar/26 9:05 AM"),
            (
                "Description",
                "As an adjuster\nI want a form, \"quick\"\nso that claims start",
            ),
            ("Sprint", "INS Sprint 4"),
            ("Custom field (Story point estimate)", "5"),
        ],
    ) + "\n");
    text += &(cloud_row(
        &header,
        &[
            ("Summary", "Fraud score"),
            ("Issue key", "INS-8"),
            ("Issue Type", "Story"),
            ("Status", "In Review"),
            ("Project key", "INS"),
            ("Created", "26/Feb/26 8:00 AM"),
            ("Sprint", "INS Sprint 4"),
            ("Custom field (Story Points)", "8"),
            ("Custom field (Story point estimate)", "13"),
        ],
    ) + "\n");
    let f = write(dir.path(), "cloud.csv", text.as_bytes());
    ok(&sprintlens(
        &db,
        &["ingest", "-q", "--from", "jira", f.to_str().unwrap()],
    ));
    assert_eq!(
        table(
            &db,
            "select story, estimate::varchar, strftime(created_at, '%Y-%m-%d %H:%M') from stories order by story"
        ),
        // `Story Points` is read before `Story point estimate` when both are filled.
        "INS-7 | 5.0 | 2026-02-25 22:17\nINS-8 | 8.0 | 2026-02-26 08:00"
    );
    assert_eq!(
        table(
            &db,
            "select story, status, coalesce(strftime(completed_at, '%Y-%m-%d %H:%M'), 'NULL') from sprint_items order by story"
        ),
        // "In Review" is not a done name: not done at the sprint's end.
        "INS-7 | done | 2026-03-03 09:05\nINS-8 | not_done | NULL"
    );
    // Another column named by --points-field.
    let db2 = dir.path().join("c2.duckdb");
    let text2 = header.join(",")
        + "\n"
        + &cloud_row(
            &header,
            &[
                ("Issue key", "INS-9"),
                ("Summary", "x"),
                ("Status", "Done"),
                ("Project key", "INS"),
                ("Custom field (QA Story Point)", "2"),
                ("Custom field (Story Points)", "99"),
            ],
        )
        + "\n";
    let f2 = write(dir.path(), "cloud2.csv", text2.as_bytes());
    ok(&sprintlens(
        &db2,
        &[
            "ingest",
            "-q",
            "--from",
            "jira",
            "--points-field",
            "Custom field (QA Story Point)",
            f2.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        table(&db2, "select story, estimate::varchar from stories"),
        "INS-9 | 2.0"
    );
}

#[test]
fn jira_current_fields_export_needs_a_team_and_reads_other_date_styles() {
    let dir = scratch();
    let text = "Issue Type,Issue key,Issue id,Summary,Creator,Creator Id,Sprint,Status,Parent,Parent key,Parent summary,Description\n\
Story,CRW-16,5001,Roster view,Ann,a1,Crewing 2026 - Sprint 16,Done,,,,\n\
Task,CRW-17,5002,Shift swap,Bo,b2,Crewing 2026 - Sprint 9,To Do,,,,\"two\nlines\"\n";
    let f = write(dir.path(), "current.csv", text.as_bytes());
    let db = dir.path().join("cur.duckdb");
    let r = sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("no \"Project key\" column to name the team; name it with --team"),
        "{}",
        r.stderr
    );
    assert!(!db.exists(), "nothing written");
    ok(&sprintlens(
        &db,
        &["ingest", "-q", "--team", "crew", f.to_str().unwrap()],
    ));
    assert_eq!(
        table(
            &db,
            "select team, sprint_id, story, status from sprint_items order by story"
        ),
        "crew | Crewing 2026 - Sprint 16 | CRW-16 | done\ncrew | Crewing 2026 - Sprint 9 | CRW-17 | not_done"
    );
    let v = sprintlens(&db, &["--format", "json", "velocity", "--team", "crew"]);
    let v: serde_json::Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(
        v["sprints"][0]["sprint_id"], "Crewing 2026 - Sprint 9",
        "9 before 16"
    );
    // A site with its own date style: --date-format.
    let other = "Summary,Issue key,Status,Project key,Created,Resolved,Sprint\nA,OPS-1,Done,OPS,04.03.2026 18:55,05.03.2026 08:00,S1\n";
    let f = write(dir.path(), "dotted.csv", other.as_bytes());
    let db2 = dir.path().join("d.duckdb");
    let bad = sprintlens(&db2, &["ingest", "-q", f.to_str().unwrap()]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("dotted.csv:2: column \"Created\": cannot read \"04.03.2026 18:55\" as a date (tried ISO 8601, %d/%b/%y %I:%M %p, %d/%b/%y %H:%M"),
        "{}",
        bad.stderr
    );
    ok(&sprintlens(
        &db2,
        &[
            "ingest",
            "-q",
            "--date-format",
            "%d.%m.%Y %H:%M",
            f.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        table(
            &db2,
            "select strftime(created_at, '%Y-%m-%d %H:%M') from stories"
        ),
        "2026-03-04 18:55"
    );
}

#[test]
fn azure_devops_export_maps_iteration_paths_states_and_locale_dates() {
    let dir = scratch();
    let text = "ID,Work Item Type,Title,Assigned To,State,Tags,Created Date,Created By,Changed Date,Area Path,Iteration Path,Story Points,Closed Date,Description\n\
\"18\",\"User Story\",\"As an engineer I want logs\",\"Jim Lentz <jim@example.com>\",\"Closed\",\"Neubank1\",\"3/4/2026 6:55:03 PM\",\"Jim\",\"3/9/2026 1:00:00 PM\",\"Fabrikam\",\"Fabrikam\\Payments\\Sprint 3\",\"5\",\"3/9/2026 12:30:00 PM\",\"\"\n\
\"19\",\"User Story\",\"Refunds, partial\",\"\",\"Active\",\"\",\"3/5/2026 9:00:00 AM\",\"Jim\",\"\",\"Fabrikam\",\"Fabrikam\\Payments\\Sprint 3\",\"8\",\"\",\"\"\n\
\"20\",\"Bug\",\"Typo\",\"\",\"Removed\",\"\",\"3/6/2026 9:00:00 AM\",\"Jim\",\"\",\"Fabrikam\",\"Fabrikam\\Payments\\Sprint 4\",\"1\",\"\",\"\"\n\
\"21\",\"User Story\",\"Later\",\"\",\"New\",\"\",\"3/7/2026 9:00:00 AM\",\"Jim\",\"\",\"Fabrikam\",\"Fabrikam\",\"3\",\"\",\"\"\n";
    let f = write(dir.path(), "ado.csv", text.as_bytes());
    let db = dir.path().join("a.duckdb");
    ok(&sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]));
    assert_eq!(
        table(
            &db,
            "select team, story, title, strftime(created_at, '%Y-%m-%d %H:%M:%S'), estimate::varchar from stories order by story"
        ),
        "Payments | 18 | As an engineer I want logs | 2026-03-04 18:55:03 | 5.0\n\
         Payments | 19 | Refunds, partial | 2026-03-05 09:00:00 | 8.0\n\
         Payments | 20 | Typo | 2026-03-06 09:00:00 | 1.0\n\
         Fabrikam | 21 | Later | 2026-03-07 09:00:00 | 3.0"
    );
    // A bare project path is the backlog: no sprint item for 21.
    assert_eq!(
        table(
            &db,
            "select sprint_id, story, status, coalesce(removed::varchar, 'NULL'), coalesce(strftime(completed_at, '%Y-%m-%d %H:%M'), 'NULL') from sprint_items order by story"
        ),
        "Sprint 3 | 18 | done | NULL | 2026-03-09 12:30\n\
         Sprint 3 | 19 | not_done | NULL | NULL\n\
         Sprint 4 | 20 | removed | true | NULL"
    );
    // Effort (Scrum process) instead of Story Points, and a day-first locale.
    let scrum = "ID,Work Item Type,Title,State,Created Date,Iteration Path,Effort\n\"7\",\"Product Backlog Item\",\"Export\",\"Done\",\"25/12/2025 14:00:00\",\"Shop\\Team A\\Sprint 1\",\"13\"\n";
    let f = write(dir.path(), "scrum.csv", scrum.as_bytes());
    let db2 = dir.path().join("s.duckdb");
    let bad = sprintlens(
        &db2,
        &["ingest", "-q", "--from", "azure", f.to_str().unwrap()],
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains(
            "scrum.csv:2: column \"Created Date\": cannot read \"25/12/2025 14:00:00\" as a date"
        ),
        "{}",
        bad.stderr
    );
    ok(&sprintlens(
        &db2,
        &[
            "ingest",
            "-q",
            "--from",
            "azure",
            "--date-format",
            "%d/%m/%Y %H:%M:%S",
            f.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        table(
            &db2,
            "select team, estimate::varchar, strftime(created_at, '%Y-%m-%d') from stories"
        ),
        "Team A | 13.0 | 2025-12-25"
    );
}

const LINEAR_HEADER: &str = "ID,Team,Title,Description,Status,Estimate,Priority,Project ID,Project,Creator,Assignee,Labels,Cycle Number,Cycle Name,Cycle Start,Cycle End,Created,Updated,Started,Triaged,Completed,Canceled,Archived,Due Date,Parent issue,Initiatives,Project Milestone ID,Project Milestone,SLA Status";

#[test]
fn linear_export_gives_cycles_with_dates_and_cycle_times() {
    let dir = scratch();
    // 29 columns; rows carry 28 fields (the trailing empty SLA Status dropped).
    let row = |id: &str,
               status: &str,
               est: &str,
               cycle: &str,
               started: &str,
               completed: &str,
               canceled: &str| {
        let cyc: [&str; 4] = if cycle.is_empty() {
            ["", "", "", ""]
        } else {
            [
                cycle,
                "",
                "2026-01-05T00:00:00.000Z",
                "2026-01-19T00:00:00.000Z",
            ]
        };
        format!(
            "{id},Mobile,Title {id},\"multi\nline\",{status},{est},High,p1,App,ann,bo,,{},{},{},{},2026-01-02T10:00:00.000Z,2026-01-20T10:00:00.000Z,{started},,{completed},{canceled},,,,,,",
            cyc[0], cyc[1], cyc[2], cyc[3]
        )
    };
    let text = [
        LINEAR_HEADER.to_string(),
        row(
            "MOB-1",
            "Done",
            "3",
            "12",
            "2026-01-06T09:00:00.000Z",
            "2026-01-08T21:00:00.000Z",
            "",
        ),
        row(
            "MOB-2",
            "Done",
            "5",
            "12",
            "2026-01-12T09:00:00.000Z",
            "2026-01-22T09:00:00.000Z",
            "",
        ),
        row(
            "MOB-3",
            "Canceled",
            "2",
            "12",
            "",
            "",
            "2026-01-10T09:00:00.000Z",
        ),
        row("MOB-4", "Todo", "1", "", "", "", ""),
    ]
    .join("\n")
        + "\n";
    let f = write(dir.path(), "linear.csv", text.as_bytes());
    let db = dir.path().join("l.duckdb");
    ok(&sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]));
    // Linear's cycle end is the next cycle's start: the sprint ends the day before.
    assert_eq!(
        table(
            &db,
            "select team, sprint_id, name, strftime(start_date, '%Y-%m-%d'), strftime(end_date, '%Y-%m-%d') from sprints"
        ),
        "Mobile | 12 | Cycle 12 | 2026-01-05 | 2026-01-18"
    );
    assert_eq!(
        table(
            &db,
            "select story, status, round(epoch(completed_at - started_at) / 86400.0, 2) from sprint_items order by story"
        ),
        // MOB-2 was completed after the cycle ended: the cycle did not finish it.
        "MOB-1 | done | 2.5\nMOB-2 | not_done | NULL\nMOB-3 | removed | NULL"
    );
    let acc = sprintlens(&db, &["--format", "json", "accuracy", "--team", "Mobile"]);
    ok(&acc);
    let acc: serde_json::Value = serde_json::from_str(&acc.stdout).unwrap();
    assert_eq!(acc["buckets"][0]["median_days"], 2.5);
}

#[test]
fn any_csv_through_a_column_map() {
    let dir = scratch();
    let text = "Key,SP,Iteration,Resolved,State,Notes\nK-1,3,It 1,2026-02-03T10:00:00,done,a\nK-2,,It 1,,open,b\n";
    let f = write(dir.path(), "any.csv", text.as_bytes());
    let db = dir.path().join("m.duckdb");
    let map = "story=Key,points_end=SP,sprint_id=Iteration,completed_at=Resolved,status=State";
    ok(&sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--kind",
            "sprint_items",
            "--team",
            "ops",
            "--map",
            map,
            f.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        table(
            &db,
            "select team, sprint_id, story, status, coalesce(points_end::varchar, 'NULL') from sprint_items order by story"
        ),
        "ops | It 1 | K-1 | done | 3.0\nops | It 1 | K-2 | not_done | NULL"
    );
    let bad = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--kind",
            "sprint_items",
            "--team",
            "ops",
            "--map",
            "story=Ticket",
            f.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("--map story=Ticket: the file has no column \"Ticket\"; it has Key, SP, Iteration, Resolved, State, Notes"), "{}", bad.stderr);
    let bad = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--kind",
            "stories",
            "--team",
            "ops",
            "--map",
            "story=Key,velocity=SP",
            f.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("--map velocity=...: stories rows have no field \"velocity\""),
        "{}",
        bad.stderr
    );
    let bad = sprintlens(
        &db,
        &["ingest", "-q", "--map", "story", f.to_str().unwrap()],
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("--map: \"story\" is not field=Column"),
        "{}",
        bad.stderr
    );
}

#[test]
fn bad_exports_are_named_and_nothing_is_written() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let before = fingerprint(&db);
    let cases: Vec<(&str, String, Vec<&str>, &str)> = vec![
        (
            "nokey.csv",
            "Summary,Status,Project key,Sprint\nA,Done,PAY,S1\n".into(),
            vec!["--from", "jira"],
            "nokey.csv:1: this jira export has no \"Issue key\" column; its header starts Summary, Status, Project key, Sprint",
        ),
        (
            "baddate.csv",
            "Summary,Issue key,Status,Project key,Created,Sprint\nA,PAY-9,Done,PAY,yesterday,S1\n".into(),
            vec![],
            "baddate.csv:2: column \"Created\": cannot read \"yesterday\" as a date (tried ISO 8601, %d/%b/%y %I:%M %p",
        ),
        (
            "badpoints.csv",
            "Summary,Issue key,Status,Project key,Sprint,Custom field (Story Points)\nA,PAY-9,Done,PAY,S1,five\nB,PAY-10,Done,PAY,S1,-3\nC,PAY-11,Done,PAY,S1,5e9\n".into(),
            vec![],
            "badpoints.csv:2: column \"Custom field (Story Points)\": \"five\" is not a number of points",
        ),
        (
            "ado-noid.csv",
            "Work Item Type,Title,State,Iteration Path\n\"Bug\",\"x\",\"New\",\"P\\S 1\"\n".into(),
            vec!["--from", "azure"],
            "ado-noid.csv:1: this azure export has no \"ID\" column",
        ),
        (
            "ado-points.csv",
            "ID,Work Item Type,Title,State,Iteration Path,Story Points\n\"1\",\"Bug\",\"x\",\"New\",\"P\\T\\S 1\",\"lots\"\n".into(),
            vec![],
            "ado-points.csv:2: column \"Story Points\": \"lots\" is not a number of points",
        ),
        (
            "linear-noid.csv",
            "Team,Title,Status,Estimate,Cycle Number\nMobile,x,Done,2,1\n".into(),
            vec!["--from", "linear"],
            "linear-noid.csv:1: this linear export has no \"ID\" column",
        ),
        (
            "linear-date.csv",
            format!("{LINEAR_HEADER}\nMOB-1,Mobile,t,,Done,2,,,,,,,1,,2026-13-01,2026-01-19T00:00:00Z,,,,,,,,,,,,,\n"),
            vec![],
            "linear-date.csv:2: column \"Cycle Start\": cannot read \"2026-13-01\" as a date (tried ISO 8601)",
        ),
        (
            "linear-points.csv",
            format!("{LINEAR_HEADER}\nMOB-1,Mobile,t,,Done,two,,,,,,,,,,,,,,,,,,,,,,,\n"),
            vec![],
            "linear-points.csv:2: column \"Estimate\": \"two\" is not a number of points",
        ),
        (
            "ragged.csv",
            "Summary,Issue key,Status,Project key,Sprint\nA,PAY-9,Done\n".into(),
            vec!["--from", "jira"],
            "ragged.csv:2: 3 fields where the header has 5",
        ),
        (
            "unknown.csv",
            "Ticket,Size\nT-1,3\n".into(),
            vec!["--from", "jira"],
            "unknown.csv:1: this jira export has no \"Issue key\" column",
        ),
    ];
    for (name, text, flags, want) in cases {
        let f = write(dir.path(), name, text.as_bytes());
        let mut args = vec!["ingest", "-q"];
        args.extend(flags.iter().copied());
        args.push(f.to_str().unwrap());
        let r = sprintlens(&db, &args);
        assert_eq!(r.code, 1, "{name}: {}", r.stdout);
        assert!(
            r.stderr.contains(want),
            "{name}: want {want:?}\n got {}",
            r.stderr
        );
        assert!(fingerprint(&db) == before, "{name}: the database changed");
    }
    // Negative points are named too (the second row of badpoints.csv).
    let f = dir.path().join("badpoints.csv");
    let r = sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]);
    assert!(r.stderr.contains("badpoints.csv:3: column \"Custom field (Story Points)\": \"-3\": points cannot be negative"), "{}", r.stderr);
    // And points beyond any estimate, once, under the export's own column (the third row).
    let beyond = "badpoints.csv:4: column \"Custom field (Story Points)\": \"5e9\": too large for points (at most 1000000)";
    assert!(r.stderr.contains(beyond), "{}", r.stderr);
    assert!(!r.stderr.contains("\"estimate\""), "{}", r.stderr);
    let r = sprintlens(
        &db,
        &["ingest", "-q", "--from", "asana", f.to_str().unwrap()],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("invalid value 'asana' for '--from <FROM>': expected jira, azure, linear, parabol, thunderdome, poinz or wide\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn usual_status_names_and_reference_columns() {
    let dir = scratch();
    let jira = "Summary,Issue key,Status,Project key,Sprint\nA,W-1,Won't Do,W,S1\nB,W-2,In Review,W,S1\nC,W-3,Resolved,W,S1\nD,W-4,Some Custom State,W,S1\n";
    let f = write(dir.path(), "jira.csv", jira.as_bytes());
    let db = dir.path().join("s.duckdb");
    ok(&sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]));
    assert_eq!(
        table(
            &db,
            "select story, status, coalesce(removed::varchar, 'NULL') from sprint_items order by story"
        ),
        // A workflow's own state names count as not done at the sprint's end.
        "W-1 | removed | true\nW-2 | not_done | NULL\nW-3 | done | NULL\nW-4 | not_done | NULL"
    );
    // The sprint as `Custom field (Sprint)` (another export of the same Cloud site).
    let custom =
        "Summary,Issue key,Status,Project key,Custom field (Sprint)\nA,V-1,Done,V,V Sprint 7\n";
    let f = write(dir.path(), "custom.csv", custom.as_bytes());
    let db3 = dir.path().join("v.duckdb");
    ok(&sprintlens(&db3, &["ingest", "-q", f.to_str().unwrap()]));
    assert_eq!(
        table(
            &db3,
            "select team, sprint_id, story, status from sprint_items"
        ),
        "V | V Sprint 7 | V-1 | done"
    );
    let ado = "ID,Work Item Type,Title,State,Iteration Path,Microsoft.VSTS.Scheduling.StoryPoints\n\"5\",\"User Story\",\"x\",\"Done\",\"P\\T\\Sprint 1\",\"3\"\n";
    let f = write(dir.path(), "ado.csv", ado.as_bytes());
    let db2 = dir.path().join("a.duckdb");
    ok(&sprintlens(&db2, &["ingest", "-q", f.to_str().unwrap()]));
    assert_eq!(
        table(&db2, "select team, story, estimate::varchar from stories"),
        "T | 5 | 3.0"
    );
}

#[test]
fn an_export_does_not_blank_what_it_has_no_column_for() {
    let dir = scratch();
    let db = dir.path().join("k.duckdb");
    let native = write(
        dir.path(),
        "stories.csv",
        b"team,story,title,type,created_at,estimate\nMobile,MOB-1,old title,bug,2025-12-01T08:00:00,2\n",
    );
    ok(&sprintlens(
        &db,
        &["ingest", "-q", native.to_str().unwrap()],
    ));
    // Linear has no type column; this export has no Created either.
    let text = "ID,Team,Title,Status,Estimate,Cycle Number,Cycle Start,Cycle End\nMOB-1,Mobile,new title,Done,3,,,\n";
    let f = write(dir.path(), "linear.csv", text.as_bytes());
    let r = sprintlens(
        &db,
        &["ingest", "-q", "--from", "linear", f.to_str().unwrap()],
    );
    ok(&r);
    assert_eq!(
        table(
            &db,
            "select title, type, strftime(created_at, '%Y-%m-%d %H:%M'), estimate::varchar from stories"
        ),
        "new title | bug | 2025-12-01 08:00 | 3.0"
    );
}

/// Parabol's poker summary as its CSV export writes it: a byte-order mark, `KEY: title` or a
/// bare title, several dimensions, `?` and a T-shirt label.
const PARABOL_SUMMARY: &str = "\u{feff}story,dimension,finalScore,voteCount\n\
\"PAY-1: Refund by card\",Story Points,5,4\n\
\"PAY-1: Refund by card\",Complexity,3,4\n\
Write the onboarding doc,Story Points,?,3\n\
\"PAY-2: Export, with \"\"quotes\"\"\",Story Points,8,2\n\
PAY-3: Size it,Story Points,XL,3\n";

#[test]
fn parabol_summary_gives_stories_and_final_estimates_only() {
    let dir = scratch();
    let db = dir.path().join("p.duckdb");
    // T-shirt sizes take their points from the team's deck.
    write(
        dir.path(),
        "sprintlens.toml",
        b"[teams.payments]\ndeck = \"tshirt\"\n",
    );
    let f = write(
        dir.path(),
        "ParabolPoker_pay_2026-11-27.csv",
        PARABOL_SUMMARY.as_bytes(),
    );
    let path = f.to_str().unwrap();
    // It names no team.
    let r = sprintlens(&db, &["ingest", "-q", path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(".csv: a Parabol summary names no team; say which with --team"),
        "{}",
        r.stderr
    );
    // Recognised from its header; the story-points dimension is the estimate.
    let r = sprintlens(
        &db,
        &[
            "--format", "json", "ingest", "-q", "--team", "payments", path,
        ],
    );
    ok(&r);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["files"][0]["kind"], "stories");
    assert_eq!(v["files"][0]["inserted"], 4);
    assert_eq!(
        table(
            &db,
            "select story, title, estimate, type from stories order by story"
        ),
        "PAY-1 | Refund by card | 5 | NULL\n\
         PAY-2 | Export, with \"quotes\" | 8 | NULL\n\
         PAY-3 | Size it | 8 | NULL\n\
         Write the onboarding doc | Write the onboarding doc | NULL | NULL"
    );
    assert_eq!(
        table(&db, "select count(*) from votes"),
        "BigInt(0)",
        "no votes from a summary"
    );
    // Again: nothing changes.
    let r = sprintlens(
        &db,
        &[
            "--format", "json", "ingest", "-q", "--team", "payments", path,
        ],
    );
    ok(&r);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (
            v["files"][0]["unchanged"].as_u64(),
            v["files"][0]["updated"].as_u64()
        ),
        (Some(4), Some(0))
    );
    // Another dimension, named; one that is not there is an error naming the ones that are.
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--team",
            "payments",
            "--points-field",
            "complexity",
            path,
        ],
    );
    ok(&r);
    assert_eq!(
        table(&db, "select estimate from stories where story = 'PAY-1'"),
        "3"
    );
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--team",
            "payments",
            "--points-field",
            "Risk",
            path,
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("no such dimension (it has \"Complexity\", \"Story Points\")"),
        "{}",
        r.stderr
    );
    // A label the deck does not have is named with its line.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let f2 = write(&other, "parabol.csv", PARABOL_SUMMARY.as_bytes());
    let r = sprintlens(
        &other.join("o.duckdb"),
        &[
            "ingest",
            "-q",
            "--from",
            "parabol",
            "--team",
            "payments",
            f2.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "parabol.csv:6: column \"finalScore\": \"XL\" is neither a number nor a card"
        ),
        "{}",
        r.stderr
    );
}

/// A Thunderdome game as `GET /api/battles/{id}` answers it (field names from Thunderdome's
/// model): a finalised story with a Jira key, one skipped without a key or points, one not
/// voted yet; `☕️` and `1/2` cards.
const THUNDERDOME_GAME: &str = r#"{"success":true,"error":"","data":{"id":"game-7f3a","name":"Sprint 14 planning","teamId":"t-1","teamName":"payments",
 "users":[{"id":"u1","name":"Ann","spectator":false,"active":true},{"id":"u2","name":"Bob"},{"id":"u3","name":"Cy"}],
 "pointValuesAllowed":["0","1/2","1","2","3","5","8","13","20","40","100","?","☕️"],
 "plans":[
  {"id":"p1","name":"Refund by card","type":"Story","referenceId":"PAY-142","link":"","votes":[{"warriorId":"u1","vote":"5"},{"warriorId":"u2","vote":"8"},{"warriorId":"u3","vote":"☕️"}],"points":"8","active":false,"skipped":false,"voteStartTime":"2026-06-01T10:00:00Z","voteEndTime":"2026-06-01T10:05:00Z","position":0},
  {"id":"p2","name":"Export CSV","type":"Story","referenceId":"","votes":[{"warriorId":"u1","vote":"1/2"},{"warriorId":"u2","vote":"1"}],"points":"","active":false,"skipped":true,"voteStartTime":"2026-06-01T10:10:00Z","voteEndTime":"2026-06-01T10:12:00Z","position":1},
  {"id":"p3","name":"Not voted yet","type":"Story","referenceId":"PAY-150","votes":[],"points":"","active":false,"voteStartTime":"2026-06-01T10:20:00Z","position":2}
 ]},"meta":{}}"#;

/// A Poinz room export as its export button saves it (`GET /api/export/room/ROOM`).
const POINZ_ROOM: &str = r#"{"roomId":"pay-room","exportedAt":1764460800000,"stories":[
{"title":"PAY-142 Refund by card","description":"split?","estimations":[{"username":"Ann","value":5,"userId":"u1"},{"username":"Bob","value":8,"userId":"u2"},{"username":"Cy","value":-2,"userId":"u3"}],"consensus":8},
{"title":"Export CSV","estimations":[{"username":"Ann","value":0.5,"userId":"u1"},{"userId":"u2","value":-1}]},
{"title":"PAY-9 Dropped","trashed":true,"estimations":[{"username":"Ann","value":13,"userId":"u1"}]},
{"title":"Linked story","key":"PAY-7","estimations":[{"username":"Ann","value":13,"userId":"u1","confidence":1}],"consensus":-2}
]}"#;

#[test]
fn poinz_room_gives_last_round_votes_marked_as_such() {
    let dir = scratch();
    let db = dir.path().join("p.duckdb");
    let f = write(dir.path(), "room.json", POINZ_ROOM.as_bytes());
    // Recognised without --from; a room names no team, so --team is asked for.
    let r = sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("room.json: a Poinz room names no team; say which with --team"),
        "{}",
        r.stderr
    );
    ok(&sprintlens(
        &db,
        &["ingest", "-q", "--team", "payments", f.to_str().unwrap()],
    ));
    // -2 is ?, -1 the too-big card (∞), 0.5 is ½; a user without a name is named by id; the
    // story in the trash is left out.
    assert_eq!(
        table(
            &db,
            "select session, story, round, voter, card, value, voted_at, last_round_only from votes order by story, voter"
        ),
        "pay-room | Export CSV | Int(1) | Ann | ½ | 0.5 | NULL | true\n\
         pay-room | Export CSV | Int(1) | u2 | ∞ | NULL | NULL | true\n\
         pay-room | PAY-142 | Int(1) | Ann | 5 | 5 | NULL | true\n\
         pay-room | PAY-142 | Int(1) | Bob | 8 | 8 | NULL | true\n\
         pay-room | PAY-142 | Int(1) | Cy | ? | NULL | NULL | true\n\
         pay-room | PAY-7 | Int(1) | Ann | 13 | 13 | NULL | true"
    );
    // Key from `key`, else the title's leading key, else the title; the consensus is the
    // estimate when it is a card with points.
    assert_eq!(
        table(
            &db,
            "select story, title, estimate from stories order by story"
        ),
        "Export CSV | Export CSV | NULL\n\
         PAY-142 | Refund by card | 8\n\
         PAY-7 | Linked story | NULL"
    );
    // A value Poinz gives no meaning is refused, naming the story.
    let bad = POINZ_ROOM.replace(r#""value":8,"#, r#""value":-7,"#);
    let f2 = write(dir.path(), "bad.json", bad.as_bytes());
    let r = sprintlens(
        &db,
        &["ingest", "-q", "--team", "payments", f2.to_str().unwrap()],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "bad.json#stories:1: column \"estimations\": story \"PAY-142\": Bob's value -7 is no card"
        ),
        "{}",
        r.stderr
    );
    // --from poinz on something else says what it expected.
    let f3 = write(dir.path(), "other.json", br#"{"data":{"plans":[]}}"#);
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--from",
            "poinz",
            "--team",
            "payments",
            f3.to_str().unwrap(),
        ],
    );
    assert!(
        r.stderr.contains(
            "other.json: is not a Poinz room export (the JSON of GET /api/export/room/ROOM)"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn thunderdome_game_gives_last_round_votes_marked_as_such() {
    let dir = scratch();
    let db = dir.path().join("t.duckdb");
    let f = write(dir.path(), "game.json", THUNDERDOME_GAME.as_bytes());
    // Recognised without --from; the team is the game's.
    let r = sprintlens(
        &db,
        &["--format", "json", "ingest", "-q", f.to_str().unwrap()],
    );
    ok(&r);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let kinds: Vec<(&str, u64)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["inserted"].as_u64().unwrap()))
        .collect();
    assert_eq!(kinds, vec![("stories", 3), ("votes", 5)]);
    assert_eq!(
        table(
            &db,
            "select session, story, round, voter, card, value, last_round_only from votes order by story, voter"
        ),
        "game-7f3a | PAY-142 | Int(1) | Ann | 5 | 5 | true\n\
         game-7f3a | PAY-142 | Int(1) | Bob | 8 | 8 | true\n\
         game-7f3a | PAY-142 | Int(1) | Cy | ☕ | NULL | true\n\
         game-7f3a | p2 | Int(1) | Ann | ½ | 0.5 | true\n\
         game-7f3a | p2 | Int(1) | Bob | 1 | 1 | true"
    );
    assert_eq!(
        table(
            &db,
            "select team, story, title, type, estimate from stories order by story"
        ),
        "payments | PAY-142 | Refund by card | Story | 8\n\
         payments | PAY-150 | Not voted yet | Story | NULL\n\
         payments | p2 | Export CSV | Story | NULL"
    );
    // Again: nothing changes.
    let r = sprintlens(
        &db,
        &["--format", "json", "ingest", "-q", f.to_str().unwrap()],
    );
    ok(&r);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["inserted"] == 0 && f["updated"] == 0),
        "{v}"
    );
    // The first round's figures are unknown, the last round's are there.
    let r = sprintlens(&db, &["--format", "json", "spread"]);
    ok(&r);
    let sp: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let s = sp["stories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["story"] == "PAY-142")
        .unwrap()
        .clone();
    // 5 and 8 on modified Fibonacci: steps 5 and 6.
    assert_eq!(
        (s["last_spread"].as_i64(), s["first_spread"].clone()),
        (Some(1), serde_json::Value::Null)
    );
    assert_eq!(
        s["undefined"]["rounds_to_consensus"],
        "unknown: the source keeps only the last round"
    );
    // A game saved while a story is being voted on is refused, naming the plan.
    let live = THUNDERDOME_GAME
        .replace(
            r#""points":"8","active":false"#,
            r#""points":"","active":true"#,
        )
        .replace(
            r#"{"warriorId":"u1","vote":"5"}"#,
            r#"{"warriorId":"u1","vote":""}"#,
        );
    let f2 = write(dir.path(), "live.json", live.as_bytes());
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--from",
            "thunderdome",
            f2.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "live.json#plans:1: column \"votes\": story \"PAY-142\" is still being voted on"
        ),
        "{}",
        r.stderr
    );
    // No team anywhere: --team is asked for.
    let f3 = write(
        dir.path(),
        "noteam.json",
        THUNDERDOME_GAME
            .replace(r#""teamName":"payments","#, "")
            .as_bytes(),
    );
    let r = sprintlens(&db, &["ingest", "-q", f3.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("noteam.json: the game belongs to no team; say which with --team"),
        "{}",
        r.stderr
    );
}

/// A Parabol poker meeting as the GraphQL query of the README answers it (field names from
/// Parabol's schema): two dimensions, a Jira story and a Linear one, `Pass` and `?`.
const PARABOL_MEETING: &str = r#"{"data":{"viewer":{"meeting":{"id":"m-42","teamId":"team-abc","createdAt":"2026-06-02T09:00:00Z","endedAt":"2026-06-02T10:00:00Z",
 "phases":[{"phaseType":"checkin"},{"phaseType":"ESTIMATE","stages":[
  {"taskId":"t1","startAt":"2026-06-02T09:05:00Z","endAt":"2026-06-02T09:09:00Z","finalScore":"5","isVoting":false,
   "dimensionRef":{"name":"Story Points","scale":{"values":[{"label":"1"},{"label":"2"},{"label":"3"},{"label":"5"},{"label":"8"},{"label":"?"},{"label":"Pass"}]}},
   "scores":[{"userId":"u1","label":"3","user":{"preferredName":"Ann"}},{"userId":"u2","label":"5","user":{"preferredName":"Bob"}},{"userId":"u3","label":"Pass","user":{"preferredName":"Cy"}}],
   "task":{"title":"Refund by card","integration":{"issueKey":"PAY-142"}}},
  {"taskId":"t1","startAt":"2026-06-02T09:10:00Z","finalScore":"2","isVoting":false,
   "dimensionRef":{"name":"Complexity","scale":{"values":[]}},
   "scores":[{"userId":"u1","label":"2","user":{"preferredName":"Ann"}}],
   "task":{"title":"Refund by card","integration":{"issueKey":"PAY-142"}}},
  {"taskId":"t2","startAt":"2026-06-02T09:20:00Z","finalScore":"","isVoting":false,
   "dimensionRef":{"name":"Story Points","scale":{"values":[]}},
   "scores":[{"userId":"u1","label":"?","user":{"preferredName":"Ann"}},{"userId":"u2","label":"8","user":null}],
   "task":{"title":"Export CSV","integration":{"identifier":"ENG-7"}}}
 ]}]}}}}"#;

#[test]
fn parabol_meeting_gives_last_round_votes_of_the_estimate_dimension() {
    let dir = scratch();
    let db = dir.path().join("pm.duckdb");
    let f = write(dir.path(), "meeting.json", PARABOL_MEETING.as_bytes());
    let r = sprintlens(&db, &["ingest", "-q", f.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("say which team with --team"),
        "{}",
        r.stderr
    );
    // Recognised from its shape; Story Points is the estimate, Complexity is left out.
    let r = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "ingest",
            "-q",
            "--team",
            "payments",
            f.to_str().unwrap(),
        ],
    );
    ok(&r);
    assert_eq!(
        table(
            &db,
            "select session, story, round, voter, card, last_round_only from votes order by story, voter"
        ),
        "m-42 | ENG-7 | Int(1) | Ann | ? | true\n\
         m-42 | ENG-7 | Int(1) | u2 | 8 | true\n\
         m-42 | PAY-142 | Int(1) | Ann | 3 | true\n\
         m-42 | PAY-142 | Int(1) | Bob | 5 | true\n\
         m-42 | PAY-142 | Int(1) | Cy | pass | true"
    );
    assert_eq!(
        table(
            &db,
            "select story, title, estimate from stories order by story"
        ),
        "ENG-7 | Export CSV | NULL\nPAY-142 | Refund by card | 5"
    );
    let r = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "ingest",
            "-q",
            "--team",
            "payments",
            f.to_str().unwrap(),
        ],
    );
    ok(&r);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["inserted"] == 0 && f["updated"] == 0),
        "{v}"
    );
    // The other dimension, named.
    let db2 = dir.path().join("pm2.duckdb");
    let r = sprintlens(
        &db2,
        &[
            "ingest",
            "-q",
            "--team",
            "payments",
            "--from",
            "parabol",
            "--points-field",
            "complexity",
            f.to_str().unwrap(),
        ],
    );
    ok(&r);
    assert_eq!(
        table(&db2, "select story, voter, card from votes"),
        "PAY-142 | Ann | 2"
    );
    // Cards cast and not revealed: refused, naming the stage.
    let voting = PARABOL_MEETING.replacen(r#""isVoting":false"#, r#""isVoting":true"#, 1);
    let f2 = write(dir.path(), "voting.json", voting.as_bytes());
    let r = sprintlens(
        &db,
        &["ingest", "-q", "--team", "payments", f2.to_str().unwrap()],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "voting.json#stages:1: column \"scores\": story \"PAY-142\" has cards that are not revealed yet"
        ),
        "{}",
        r.stderr
    );
    // A meeting ended while its last story was open with no cards: that story is left out and
    // named, the others stored.
    let open = PARABOL_MEETING.replace(
        r#""finalScore":"","isVoting":false"#,
        r#""finalScore":"","isVoting":true"#,
    );
    let open = open.replace(
        r#""scores":[{"userId":"u1","label":"?","user":{"preferredName":"Ann"}},{"userId":"u2","label":"8","user":null}]"#,
        r#""scores":[]"#,
    );
    assert_ne!(open, PARABOL_MEETING);
    let f3 = write(dir.path(), "open.json", open.as_bytes());
    let db3 = dir.path().join("pm3.duckdb");
    let r = sprintlens(
        &db3,
        &[
            "--format",
            "json",
            "ingest",
            "-q",
            "--team",
            "payments",
            f3.to_str().unwrap(),
        ],
    );
    ok(&r);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["notes"],
        serde_json::json!([format!(
            "{}#stages:3: story \"ENG-7\" was still open for voting with no cards; left out",
            f3.display()
        )]),
        "{v}"
    );
    assert_eq!(
        table(&db3, "select story, voter, card from votes order by voter"),
        "PAY-142 | Ann | 3\nPAY-142 | Bob | 5\nPAY-142 | Cy | pass"
    );
}

/// planningpoker.live's export: `Round`, the members quoted, `Average`, `Majority`, `Notes`;
/// empty cells bare, a quote inside a topic not escaped; the file has no extension.
const WIDE_SESSION: &str = "Round,\"Alice\",\"Bob\",\"Cy\",Average,Majority,Notes\n\
\"PAY-142 Refund \"by card\" flow\",\"5\",\"8\",,\"6.5\",\"5\",\"split?\"\n\
\"Write the onboarding doc\",\"2\",\"2\",\"3\",\"2.3\",\"2\",\n";

#[test]
fn wide_votes_file_gives_one_vote_per_voter_cell_of_the_last_round() {
    let dir = scratch();
    let db = dir.path().join("w.duckdb");
    let f = write(
        dir.path(),
        "Planning Poker Session - 27.11.2026",
        WIDE_SESSION.as_bytes(),
    );
    let path = f.to_str().unwrap();
    let r = sprintlens(&db, &["ingest", "-q", "--from", "wide", path]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("names no team; say which with --team"),
        "{}",
        r.stderr
    );
    let r = sprintlens(
        &db,
        &["ingest", "-q", "--from", "wide", "--team", "payments", path],
    );
    ok(&r);
    assert_eq!(
        table(
            &db,
            "select session, story, round, voter, card, last_round_only from votes order by story, voter"
        ),
        "Planning Poker Session - 27.11.2026 | PAY-142 | Int(1) | Alice | 5 | true\n\
         Planning Poker Session - 27.11.2026 | PAY-142 | Int(1) | Bob | 8 | true\n\
         Planning Poker Session - 27.11.2026 | Write the onboarding doc | Int(1) | Alice | 2 | true\n\
         Planning Poker Session - 27.11.2026 | Write the onboarding doc | Int(1) | Bob | 2 | true\n\
         Planning Poker Session - 27.11.2026 | Write the onboarding doc | Int(1) | Cy | 3 | true"
    );
    assert_eq!(
        table(
            &db,
            "select story, title, estimate from stories order by story"
        ),
        "PAY-142 | Refund \"by card\" flow | 5\n\
         Write the onboarding doc | Write the onboarding doc | 2"
    );
    let r = sprintlens(
        &db,
        &[
            "--format", "json", "ingest", "-q", "--from", "wide", "--team", "payments", path,
        ],
    );
    ok(&r);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["inserted"] == 0 && f["updated"] == 0),
        "{v}"
    );
    // A row with a cell too many is named with its line.
    let bad = WIDE_SESSION.replace("\"2.3\",\"2\",\n", "\"2.3\",\"2\",,x\n");
    let f2 = write(dir.path(), "bad.csv", bad.as_bytes());
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            "--from",
            "wide",
            "--team",
            "payments",
            f2.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("bad.csv:3: 8 cells where the header has 7"),
        "{}",
        r.stderr
    );
}

#[test]
fn planningpoker_live_files_are_recognised_and_their_loose_quotes_named() {
    let dir = scratch();
    let db = dir.path().join("w.duckdb");
    // As the tool names it (no extension) and as a user may rename it.
    for name in ["Planning Poker Session - 27.11.2026", "session.csv"] {
        let f = write(dir.path(), name, WIDE_SESSION.as_bytes());
        let r = sprintlens(
            &db,
            &[
                "--format",
                "json",
                "ingest",
                "-q",
                "--team",
                "payments",
                f.to_str().unwrap(),
            ],
        );
        ok(&r);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            v["notes"],
            serde_json::json!([format!(
                "{}: a cell was read leniently: a quote inside a cell that CSV does not allow \
                 (the tool does not escape quotes), taken as written: line 2 column \"Round\"",
                f.display()
            )]),
            "{v}"
        );
    }
    assert_eq!(
        table(
            &db,
            "select story, title, estimate from stories order by story"
        ),
        "PAY-142 | Refund \"by card\" flow | 5\n\
         Write the onboarding doc | Write the onboarding doc | 2"
    );
    assert_eq!(
        table(
            &db,
            "select count(*), count(distinct session), bool_and(last_round_only) from votes"
        ),
        "BigInt(10) | BigInt(2) | true"
    );
}
