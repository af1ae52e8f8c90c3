//! Ingest that works: idempotence, updates, decks, NDJSON, the published data sets, the
//! generator and `info`.

use crate::common::*;
use std::path::Path;

fn counts(db: &Path) -> Vec<(String, i64)> {
    let store = sprintlens::store::Store::open_read_only(db)
        .unwrap()
        .unwrap();
    store.table_counts().unwrap()
}

fn count_of(db: &Path, table: &str) -> i64 {
    counts(db).into_iter().find(|(t, _)| t == table).unwrap().1
}

fn json(run: &Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("JSON output")
}

/// All tables' contents, in a stable order, for before/after comparisons.
fn dump(db: &Path) -> Vec<String> {
    let store = sprintlens::store::Store::open_read_only(db)
        .unwrap()
        .unwrap();
    let mut out = Vec::new();
    for spec in sprintlens::domain::schema::SPECS {
        let t = spec.kind.name();
        let rows = store
            .query_rows(
                "dump",
                &format!("select * from {t} order by all"),
                [],
                |r| {
                    let n = r.as_ref().column_count();
                    let mut s = String::new();
                    for i in 0..n {
                        let v: duckdb::types::Value = r.get(i)?;
                        s.push_str(&format!("{v:?}|"));
                    }
                    Ok(s)
                },
            )
            .unwrap();
        out.push(format!("{t}: {}", rows.len()));
        out.extend(rows);
    }
    out
}

#[test]
fn sample_data_ingests_and_is_idempotent() {
    let dir = scratch();
    let db = dir.path().join("s.duckdb");
    let sample = project_root().join("sample-data");
    let first = json(&sprintlens(
        &db,
        &["--format", "json", "ingest", "-q", sample.to_str().unwrap()],
    ));
    let files = first["files"].as_array().unwrap();
    assert_eq!(files.len(), 7);
    for f in files {
        assert_eq!(f["inserted"], f["rows"], "{f}");
        assert_eq!(f["updated"], 0);
    }
    let before = dump(&db);
    let second = json(&sprintlens(
        &db,
        &["--format", "json", "ingest", "-q", sample.to_str().unwrap()],
    ));
    for f in second["files"].as_array().unwrap() {
        assert_eq!(f["inserted"], 0, "{f}");
        assert_eq!(f["updated"], 0, "{f}");
        assert_eq!(f["unchanged"], f["rows"], "{f}");
    }
    assert_eq!(
        before,
        dump(&db),
        "a second ingest of the same files changed a table"
    );
    // Both ingests are in the log, with the file's hash.
    let info = json(&sprintlens(
        &db,
        &["--format", "json", "info", "--ingests", "20"],
    ));
    let ingests = info["ingests"].as_array().unwrap();
    assert_eq!(ingests.len(), 14);
    assert_eq!(ingests[0]["sha256"], ingests[7]["sha256"]);
    assert_eq!(ingests[0]["sha256"].as_str().unwrap().len(), 64);
}

/// A CSV file as a spreadsheet in another locale saves it: fields separated by `separator`,
/// and when it is `;` numbers with a decimal comma and dates as `31.01.2025` (times
/// `31.01.2025 09:35:30`); quoting only where a field needs it; two unnamed empty columns and
/// rows of empty fields where cells once had formatting.
fn resave(from: &Path, to: &Path, separator: char) {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let mut stmt = conn
        .prepare("select * from read_csv(?, all_varchar = true, header = true)")
        .unwrap();
    let columns: Vec<String>;
    let rows: Vec<Vec<Option<String>>> = {
        let mut rows = stmt.query([from.to_str().unwrap()]).unwrap();
        let mut out = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            let n = r.as_ref().column_count();
            out.push((0..n).map(|i| r.get(i).unwrap()).collect());
        }
        columns = stmt.column_names();
        out
    };
    let number = |v: &str| {
        v.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
        })
    };
    let field = |v: &str| {
        let date = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d");
        let time = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S");
        let v = match (separator == ';', date, time) {
            (true, Ok(d), _) => d.format("%d.%m.%Y").to_string(),
            (true, _, Ok(t)) => t.format("%d.%m.%Y %H:%M:%S").to_string(),
            (true, ..) if number(v) => v.replacen('.', ",", 1),
            _ => v.to_string(),
        };
        if v.contains(separator) || v.contains('"') || v.contains('\n') {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v
        }
    };
    let sep = separator.to_string();
    let formatted = sep.repeat(columns.len() + 1) + "\r\n";
    let mut text = columns
        .iter()
        .map(|c| field(c))
        .collect::<Vec<_>>()
        .join(&sep);
    text.push_str(&format!("{sep}{sep}\r\n"));
    for (k, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .map(|v| field(v.as_deref().unwrap_or("")))
            .collect();
        text.push_str(&format!("{}{sep}{sep}\r\n", cells.join(&sep)));
        if k == 0 {
            text.push_str(&formatted);
        }
    }
    text.push_str(&formatted);
    std::fs::write(to, text).unwrap();
}

#[test]
fn spreadsheet_csv_with_semicolons_or_tabs_reads_as_the_comma_files() {
    let dir = scratch();
    let sample = project_root().join("sample-data");
    let commas = dir.path().join("commas.duckdb");
    ingest_ok(&commas, &[&sample]);
    let expected = dump(&commas);
    // Tabs in UTF-16 with a byte-order mark: a spreadsheet's "Unicode text".
    for (separator, name, utf16) in [
        (';', "semicolons", false),
        ('\t', "tabs", false),
        ('\t', "unicode-text", true),
    ] {
        let folder = dir.path().join(name);
        std::fs::create_dir(&folder).unwrap();
        for f in std::fs::read_dir(&sample).unwrap() {
            let f = f.unwrap().path();
            let to = folder.join(f.file_name().unwrap());
            resave(&f, &to, separator);
            if utf16 {
                let text = std::fs::read_to_string(&to).unwrap();
                let mut bytes = vec![0xFF, 0xFE];
                for unit in text.encode_utf16() {
                    bytes.extend_from_slice(&unit.to_le_bytes());
                }
                std::fs::write(&to, bytes).unwrap();
            }
        }
        if separator == ';' {
            // The file has decimal commas and titles with commas, unquoted.
            let items = std::fs::read_to_string(folder.join("sprint_items.csv")).unwrap();
            assert!(items.contains(";07.01.2025 19:35:00;"), "{}", &items[..400]);
            let sprints = std::fs::read_to_string(folder.join("sprints.csv")).unwrap();
            assert!(sprints.contains(";06.01.2025;"), "{}", &sprints[..300]);
            assert!(items.contains(";3,5;;\r\n"), "{}", &items[..400]);
            let stories = std::fs::read_to_string(folder.join("stories.csv")).unwrap();
            assert!(
                stories
                    .lines()
                    .skip(1)
                    .any(|l| l.contains(',') && !l.contains('"'))
            );
        }
        let db = dir.path().join(format!("{name}.duckdb"));
        if separator == ';' {
            // Without the style, the first date that is not ISO 8601 is named.
            let err = refused(&[&folder.join("sprints.csv")], &[]);
            assert!(
                err.contains(
                    "sprints.csv:2: column \"start_date\": \"06.01.2025\" is not a date (YYYY-MM-DD)"
                ),
                "{err}"
            );
            let err = refused(
                &[&folder.join("sprints.csv")],
                &["--date-format", "%m/%d/%Y"],
            );
            assert!(
                err.contains(
                    "\"06.01.2025\" is not a date (YYYY-MM-DD) nor in the style of --date-format \"%m/%d/%Y\""
                ),
                "{err}"
            );
        }
        // The dates of the semicolon files in their style (times with it, dates with its
        // date part); the tab files' are ISO 8601.
        let r = sprintlens(
            &db,
            &[
                "ingest",
                "-q",
                "--date-format",
                "%d.%m.%Y %H:%M:%S",
                folder.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert_eq!(dump(&db), expected, "{name}");
    }
    // A row with one field too many names the separator the file uses.
    let bad = write(
        dir.path(),
        "teams.csv",
        b"team;name\nops;Operations;extra\n",
    );
    let err = refused(&[&bad], &[]);
    assert!(
        err.contains(
            "teams.csv:2: 3 fields where the header has 2 (a value with an unquoted semicolon? \
             quote values that contain semicolons)"
        ),
        "{err}"
    );
    // Decimal commas only where the file is separated by semicolons: in a comma file a quoted
    // "2,5" is not a number.
    let comma = write(
        dir.path(),
        "stories.csv",
        b"team,story,title,estimate\npayments,PAY-1,A,\"2,5\"\n",
    );
    let err = refused(&[&comma], &[]);
    assert!(
        err.contains("stories.csv:2: column \"estimate\": \"2,5\" is not a number"),
        "{err}"
    );
}

#[test]
fn a_json_array_file_reads_as_its_ndjson_and_nested_keys_no_field_reads_are_ignored() {
    let dir = scratch();
    let rows = [
        r#"{"team": "pay", "session": "s1", "story": "PAY-1", "round": 1, "voter": "ann", "card": "5", "meta": {"client": "web"}}"#,
        r#"{"team": "pay", "session": "s1", "story": "PAY-1", "round": 1, "voter": "bob", "card": 8, "meta": {}, "tags": ["a"]}"#,
    ];
    let nd = write(dir.path(), "votes.ndjson", rows.join("\n").as_bytes());
    let arr = write(
        dir.path(),
        "votes.json",
        format!("[\n  {},\n  {}\n]\n", rows[0], rows[1]).as_bytes(),
    );
    let (a, b) = (dir.path().join("a.duckdb"), dir.path().join("b.duckdb"));
    let out = json(&sprintlens(
        &a,
        &["--format", "json", "ingest", "-q", nd.to_str().unwrap()],
    ));
    assert_eq!(out["files"][0]["inserted"], 2, "{out}");
    assert_eq!(
        out["files"][0]["ignored_columns"],
        serde_json::json!(["meta", "tags"]),
        "{out}"
    );
    ingest_ok(&b, &[&arr]);
    assert_eq!(dump(&a), dump(&b));
    // Where a field reads the key, a list is an error at its line (also when the file has
    // other problems).
    let bad = write(
        dir.path(),
        "bad.json",
        b"[{\"team\": \"pay\", \"story\": \"PAY-2\", \"title\": \"x\"},\n {\"team\": \"pay\", \"story\": \"PAY-3\", \"title\": [\"y\"]}]",
    );
    let err = refused(&[&bad], &[]);
    assert!(
        err.contains("bad.json:2: column \"title\": a value of the wrong type: expected text, a number or true/false, found a list"),
        "{err}"
    );
}

#[test]
fn a_new_team_named_like_a_stored_one_is_noted() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let f = write(
        dir.path(),
        "typo.csv",
        b"team,session,story,round,voter,card\nPay,s9,PAY-9,1,ann,3\nweb,s9,WEB-9,1,ann,3\n",
    );
    // "Pay" beside the stored "pay" is noted; "web" is like no stored team.
    let run = sprintlens(&db, &["ingest", f.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let note =
        r#"note: team "Pay" is new, beside "pay" (team names are exact: did you mean "pay"?)"#;
    assert!(run.stdout.contains(note), "{}", run.stdout);
    assert_eq!(run.stdout.matches("note:").count(), 1, "{}", run.stdout);
    // Stored now: the same file again notes nothing; JSON leaves the field out then.
    let again = json(&sprintlens(
        &db,
        &["--format", "json", "ingest", f.to_str().unwrap()],
    ));
    assert!(again.get("notes").is_none(), "{again}");
    let g = write(
        dir.path(),
        "typo2.csv",
        b"team,session,story,round,voter,card\nPAY,s9,PAY-9,1,ann,3\n",
    );
    let v = json(&sprintlens(
        &db,
        &["--format", "json", "ingest", g.to_str().unwrap()],
    ));
    assert_eq!(v["notes"].as_array().map(Vec::len), Some(1), "{v}");
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap()
            .starts_with(r#"team "PAY" is new, beside "#),
        "{v}"
    );
}

#[test]
fn dates_far_from_any_sprint_are_noted_and_stored() {
    let dir = scratch();
    let db = dir.path().join("d.duckdb");
    let sprints = write(
        dir.path(),
        "sprints.csv",
        b"team,sprint_id,name,start_date,end_date\nt,1,S1,0001-01-01,2025-01-14\nt,2,S2,1989-12-31,2025-01-28\nt,3,S3,2025-01-29,2025-02-11\nt,4,S4,2025-02-12,9999-12-31\n",
    );
    let votes = write(
        dir.path(),
        "votes.csv",
        b"team,session,story,round,voter,card,voted_at\nt,s,T-1,1,ann,3,1990-01-01T00:00:00Z\nt,s,T-1,1,bob,5,1969-12-31T23:59:59Z\n",
    );
    let v = json(&sprintlens(
        &db,
        &[
            "--format",
            "json",
            "ingest",
            sprints.to_str().unwrap(),
            votes.to_str().unwrap(),
        ],
    ));
    // One note per file and column, at its first such line; 1990-01-01 is no note.
    let folder = format!("{}/", dir.path().display());
    let notes: Vec<String> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().replace(&folder, ""))
        .collect();
    let far = format!(
        "more than two years after today ({})",
        chrono::Local::now().date_naive()
    );
    assert_eq!(
        notes,
        [
            "sprints.csv:2: column \"start_date\": 0001-01-01 is before 1990 (and 1 more in this column); stored as given (a typo?)".to_string(),
            format!("sprints.csv:5: column \"end_date\": 9999-12-31 is {far}; stored as given (a typo?)"),
            "votes.csv:3: column \"voted_at\": 1969-12-31 is before 1990; stored as given (a typo?)".to_string(),
        ]
    );
    // Stored as given.
    assert_eq!(v["files"][0]["inserted"], 4, "{v}");
    assert_eq!(v["files"][1]["inserted"], 2, "{v}");
}

#[test]
fn a_changed_row_is_an_update_and_missing_columns_are_kept() {
    let dir = scratch();
    let db = dir.path().join("u.duckdb");
    let a = write(
        dir.path(),
        "stories.csv",
        b"team,story,title,estimate\npay,PAY-1,Refund,3\npay,PAY-2,\"Export, CSV\",5\n",
    );
    let r = json(&sprintlens(
        &db,
        &["--format", "json", "ingest", "-q", a.to_str().unwrap()],
    ));
    assert_eq!(r["files"][0]["inserted"], 2);
    // A later file changes one estimate and carries no titles.
    let b = write(
        dir.path(),
        "estimates.csv",
        b"team,story,estimate\npay,PAY-1,3\npay,PAY-2,8\npay,PAY-3,1\n",
    );
    let r = json(&sprintlens(
        &db,
        &[
            "--format",
            "json",
            "ingest",
            "-q",
            "--kind",
            "stories",
            b.to_str().unwrap(),
        ],
    ));
    assert_eq!(r["files"][0]["inserted"], 1);
    assert_eq!(r["files"][0]["updated"], 1);
    assert_eq!(r["files"][0]["unchanged"], 1);
    let store = sprintlens::store::Store::open_read_only(&db)
        .unwrap()
        .unwrap();
    let rows: Vec<(String, Option<String>, Option<f64>)> = store
        .query_rows(
            "check",
            "select story, title, estimate from stories order by story",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        rows,
        vec![
            ("PAY-1".into(), Some("Refund".into()), Some(3.0)),
            ("PAY-2".into(), Some("Export, CSV".into()), Some(8.0)),
            ("PAY-3".into(), None, Some(1.0)),
        ]
    );
}

#[test]
fn cards_are_normalised_and_decks_replace() {
    let dir = scratch();
    let db = dir.path().join("d.duckdb");
    let decks = write(
        dir.path(),
        "decks.csv",
        b"team,deck,card,value\nweb,tshirt,S,1\nweb,tshirt,M,3\nweb,tshirt,L,8\napi,modified-fibonacci,,\n",
    );
    let votes = write(
        dir.path(),
        "votes.ndjson",
        "{\"team\":\"web\",\"story\":\"W-1\",\"round\":1,\"voter\":\"ann\",\"card\":\"m\"}\n\
         {\"team\":\"web\",\"story\":\"W-1\",\"round\":1,\"voter\":\"bob\",\"card\":\"coffee\"}\n\
         {\"team\":\"api\",\"story\":\"A-1\",\"round\":1,\"voter\":\"ann\",\"card\":\"1/2\"}\n\
         {\"team\":\"api\",\"story\":\"A-1\",\"round\":1,\"voter\":\"bob\",\"card\":0.5}\n\
         {\"team\":\"api\",\"story\":\"A-1\",\"round\":1,\"voter\":\"cy\",\"card\":\"?\"}\n"
            .as_bytes(),
    );
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            votes.to_str().unwrap(),
            decks.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let store = sprintlens::store::Store::open_read_only(&db)
        .unwrap()
        .unwrap();
    let rows: Vec<(String, String, Option<f64>)> = store
        .query_rows(
            "check",
            "select voter, card, value from votes order by team, voter",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        rows,
        vec![
            ("ann".into(), "½".into(), Some(0.5)),
            ("bob".into(), "½".into(), Some(0.5)),
            ("cy".into(), "?".into(), None),
            ("ann".into(), "M".into(), Some(3.0)),
            ("bob".into(), "☕".into(), None),
        ]
    );
    let web: Vec<(i32, String, f64)> = store
        .query_rows(
            "check",
            "select position, card, value from decks where team = 'web' order by position",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        web,
        vec![
            (0, "S".into(), 1.0),
            (1, "M".into(), 3.0),
            (2, "L".into(), 8.0)
        ]
    );
    drop(store);
    // A new decks file gives web a smaller deck: the dropped card goes, and is counted.
    let decks2 = write(
        dir.path(),
        "decks2.csv",
        b"team,deck,card,value\nweb,tshirt,S,1\nweb,tshirt,M,5\n",
    );
    let r = json(&sprintlens(
        &db,
        &["--format", "json", "ingest", "-q", decks2.to_str().unwrap()],
    ));
    assert_eq!(r["files"][0]["removed"], 1);
    assert_eq!(r["files"][0]["updated"], 1);
    assert_eq!(count_of(&db, "decks"), 2 + 11);
    // Votes are checked against the stored deck in a later run.
    let late = write(
        dir.path(),
        "late.csv",
        b"team,story,round,voter,card\nweb,W-2,1,ann,L\n",
    );
    let r = sprintlens(&db, &["ingest", "-q", late.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("unknown card \"L\" for team \"web\": its deck (tshirt) has S M ? ☕ ∞ pass"),
        "{}",
        r.stderr
    );
}

#[test]
fn published_velocity_summaries_read_as_they_are() {
    let Some(data) = shared_data() else { return };
    let dir = scratch();
    let db = dir.path().join("v.duckdb");
    for (file, program, sprints, boards) in [
        ("apache.csv", "apache", 348, 17),
        ("jira.csv", "jira", 1873, 83),
    ] {
        let f = data.join("sprints-tse2017").join(file);
        let r = json(&sprintlens(
            &db,
            &[
                "--format",
                "json",
                "ingest",
                "-q",
                "--program",
                program,
                f.to_str().unwrap(),
            ],
        ));
        assert_eq!(r["files"][0]["kind"], "sprint_summaries");
        assert_eq!(r["files"][0]["inserted"], sprints);
        let info = json(&sprintlens(&db, &["--format", "json", "info"]));
        let teams = info["teams"].as_array().unwrap();
        let in_program = teams.iter().filter(|t| t["program"] == program).count();
        assert_eq!(in_program, boards, "{file}");
    }
    assert_eq!(count_of(&db, "sprint_summaries"), 348 + 1873);
    // Sums of the published columns, computed independently from the file.
    let store = sprintlens::store::Store::open_read_only(&db)
        .unwrap()
        .unwrap();
    let (c, d): (f64, f64) = store
        .query_rows(
            "sum",
            "select sum(committed_points), sum(completed_points) from sprint_summaries where team like 'apache%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()[0];
    let text = std::fs::read_to_string(data.join("sprints-tse2017/apache.csv")).unwrap();
    let mut rdr_c = 0.0;
    let mut rdr_d = 0.0;
    for line in text.lines().skip(1) {
        // The last two fields never contain commas.
        let f: Vec<&str> = line.rsplitn(3, ',').collect();
        rdr_d += f[0].parse::<f64>().unwrap();
        rdr_c += f[1].parse::<f64>().unwrap();
    }
    assert_eq!((c, d), (rdr_c, rdr_d));
}

#[test]
fn published_story_points_read_as_they_are() {
    let Some(data) = shared_data() else { return };
    let dir = scratch();
    let db = dir.path().join("p.duckdb");
    let expected =
        std::fs::read_to_string(data.join("storypoints-tse2018/expected_table1.csv")).unwrap();
    let mut total = 0;
    for line in expected.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (file, issues): (&str, i64) = (f[1], f[2].parse().unwrap());
        let team = file.trim_end_matches(".csv");
        let path = data.join("storypoints-tse2018").join(file);
        let r = json(&sprintlens(
            &db,
            &[
                "--format",
                "json",
                "ingest",
                "-q",
                "--team",
                team,
                path.to_str().unwrap(),
            ],
        ));
        assert_eq!(r["files"][0]["kind"], "stories", "{file}");
        assert_eq!(r["files"][0]["inserted"], issues, "{file}");
        total += issues;
    }
    assert_eq!(count_of(&db, "stories"), total);
    assert_eq!(total, 23313);
}

#[test]
fn generator_is_deterministic_and_made_the_sample_data() {
    let dir = scratch();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let c = dir.path().join("c");
    let db = dir.path().join("unused.duckdb");
    for (out, seed) in [(&a, "42"), (&b, "42"), (&c, "43")] {
        let r = sprintlens(
            &db,
            &[
                "generate",
                "--teams",
                "3",
                "--sprints",
                "12",
                "--seed",
                seed,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let sample = project_root().join("sample-data");
    for f in [
        "teams.csv",
        "decks.csv",
        "sprints.csv",
        "stories.csv",
        "votes.csv",
        "sprint_items.csv",
    ] {
        let x = std::fs::read(a.join(f)).unwrap();
        assert_eq!(
            x,
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs for the same seed"
        );
        assert_eq!(
            x,
            std::fs::read(sample.join(f)).unwrap(),
            "sample-data/{f} is not what the README's command makes"
        );
        if f == "votes.csv" || f == "stories.csv" {
            assert_ne!(
                x,
                std::fs::read(c.join(f)).unwrap(),
                "{f} is the same for another seed"
            );
        }
    }
}

#[test]
fn generated_data_has_the_documented_shape() {
    let dir = scratch();
    let out = dir.path().join("g");
    let db = dir.path().join("g.duckdb");
    let r = sprintlens(
        &db,
        &[
            "generate",
            "--teams",
            "6",
            "--sprints",
            "10",
            "--seed",
            "5",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = sprintlens(&db, &["ingest", "-q", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let store = sprintlens::store::Store::open_read_only(&db)
        .unwrap()
        .unwrap();
    let one = |sql: &str| -> f64 {
        store
            .query_rows("shape", sql, [], |r| r.get::<_, f64>(0))
            .unwrap()[0]
    };
    // Teams of 4 to 9 voters.
    assert!(
        one(
            "select min(n)::double from (select team, count(distinct voter) n from votes group by team)"
        ) >= 4.0
    );
    assert!(
        one(
            "select max(n)::double from (select team, count(distinct voter) n from votes group by team)"
        ) <= 9.0
    );
    // Some stories need three or more rounds; some rounds hold a '?'.
    assert!(
        one(
            "select count(*)::double from (select team, story from votes group by all having max(round) >= 3)"
        ) > 0.0
    );
    assert!(one("select count(*)::double from votes where card = '?'") > 0.0);
    // Some round-1 votes span 5 to 13 on a Fibonacci-like deck.
    assert!(
        one(
            "select count(*)::double from (select team, story from votes where round = 1 group by all having min(value) <= 5 and max(value) >= 13)"
        ) > 0.0
    );
    // Scope added and removed; carry-over; hours for some teams only.
    assert!(one("select count(*)::double from sprint_items where committed = false") > 0.0);
    assert!(one("select count(*)::double from sprint_items where status = 'removed'") > 0.0);
    assert!(one("select count(*)::double from sprint_items where status = 'not_done'") > 0.0);
    let hours_teams =
        one("select count(distinct team)::double from sprint_items where actual_hours is not null");
    assert!((1.0..6.0).contains(&hours_teams), "{hours_teams}");
    // Cycle time grows with points.
    let small = one(
        "select median(epoch(completed_at - started_at)) from sprint_items i where status = 'done' and points_end <= 2",
    );
    let large = one(
        "select median(epoch(completed_at - started_at)) from sprint_items i where status = 'done' and points_end >= 8",
    );
    assert!(large > small * 1.5, "small {small} large {large}");
    // Programs of teams.
    assert!(one("select count(distinct program)::double from teams") >= 2.0);
}

#[test]
fn info_reports_what_the_store_holds() {
    let dir = scratch();
    let db = sample_store(dir.path(), "i.duckdb");
    let sample = project_root().join("sample-data");
    let info = json(&sprintlens(&db, &["--format", "json", "info"]));
    let lines = |f: &str| {
        std::fs::read_to_string(sample.join(f))
            .unwrap()
            .lines()
            .count() as i64
            - 1
    };
    assert_eq!(info["schema_version"], 6);
    assert_eq!(info["totals"]["teams"], 3);
    assert_eq!(info["totals"]["votes"], lines("votes.csv"));
    assert_eq!(info["totals"]["sprints"], lines("sprints.csv"));
    assert_eq!(info["totals"]["stories"], lines("stories.csv"));
    assert_eq!(info["totals"]["sprint_items"], lines("sprint_items.csv"));
    assert_eq!(info["first_day"], "2025-01-06");
    assert_eq!(info["ingests"].as_array().unwrap().len(), 7);
    let table = sprintlens(&db, &["info"]);
    assert_eq!(table.code, 0);
    assert!(
        table.stdout.contains("3 teams in 1 program"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("Last ingests"), "{}", table.stdout);
}

#[test]
fn info_without_a_database_says_how_to_start() {
    let dir = scratch();
    let r = sprintlens(&dir.path().join("none.duckdb"), &["info"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("no database here yet; load data with `sprintlens ingest FILE...`"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("none.duckdb").exists());
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    {
        let conn = duckdb::Connection::open(&db).unwrap();
        conn.execute(
            "update meta set value = '99' where key = 'schema_version'",
            [],
        )
        .unwrap();
    }
    let before = fingerprint(&db);
    for args in [
        vec!["info"],
        vec![
            "ingest",
            "-q",
            dir.path().join("seed_votes.csv").to_str().unwrap(),
        ],
    ] {
        let r = sprintlens(&db, &args);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains("written by a newer sprintlens (schema version 99); this build understands up to version 6"), "{}", r.stderr);
    }
    assert_eq!(before, fingerprint(&db));
}

#[test]
fn store_tables_match_the_canonical_columns() {
    let dir = scratch();
    let db = seeded_db(dir.path());
    let store = sprintlens::store::Store::open_read_only(&db)
        .unwrap()
        .unwrap();
    for spec in sprintlens::domain::schema::SPECS {
        let cols = store.table_columns(spec.kind.name()).unwrap();
        let expected: Vec<(String, String)> = spec
            .columns
            .iter()
            .map(|(c, t)| (c.to_string(), t.sql().to_string()))
            .collect();
        assert_eq!(cols, expected, "{}", spec.kind);
    }
}

#[test]
fn readme_documents_every_field() {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    for spec in sprintlens::domain::schema::SPECS {
        let section = readme
            .split(&format!("### {}", spec.kind.name()))
            .nth(1)
            .unwrap_or_else(|| panic!("README has no section for {}", spec.kind));
        let section = section.split("\n### ").next().unwrap();
        for f in spec.fields {
            assert!(
                section.contains(&format!("| {} |", f.name)),
                "README: {} lacks {}",
                spec.kind,
                f.name
            );
            let required = section.contains(&format!(
                "| {} | {} | yes |",
                f.name,
                match f.ty {
                    sprintlens::domain::schema::Ty::Text => "text",
                    sprintlens::domain::schema::Ty::Int => "int",
                    sprintlens::domain::schema::Ty::Float => "number",
                    sprintlens::domain::schema::Ty::Bool => "bool",
                    sprintlens::domain::schema::Ty::Date => "date",
                    sprintlens::domain::schema::Ty::Timestamp => "time",
                }
            ));
            assert_eq!(
                required, f.required,
                "README: {}.{} type or required flag",
                spec.kind, f.name
            );
        }
    }
}

#[test]
fn settings_give_default_decks_and_status_names() {
    let dir = scratch();
    let db = dir.path().join("st.duckdb");
    write(
        dir.path(),
        "sprintlens.toml",
        b"[defaults]\ndeck = \"fibonacci\"\n[teams.web]\ndone_statuses = [\"Shipped\"]\n",
    );
    // Fibonacci has 21 but not 20.
    let votes = write(
        dir.path(),
        "votes.csv",
        b"team,story,round,voter,card\napi,A-1,1,ann,21\n",
    );
    let r = sprintlens(&db, &["ingest", "-q", votes.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let store = sprintlens::store::Store::open_read_only(&db)
        .unwrap()
        .unwrap();
    let deck: Vec<String> = store
        .query_rows(
            "deck",
            "select distinct deck from decks where team = 'api'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(deck, vec!["fibonacci".to_string()]);
    drop(store);
    let items = write(
        dir.path(),
        "items.csv",
        b"team,sprint_id,story,status\nweb,1,W-1,Shipped\napi,1,A-1,Shipped\n",
    );
    let r = sprintlens(&db, &["ingest", "-q", items.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    // web's "Shipped" is done; api has the default names, so the same word is refused there.
    assert!(
        r.stderr
            .contains("items.csv:3: column \"status\": unknown status \"Shipped\""),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("items.csv:2"), "{}", r.stderr);
}
