//! Bad input: every case exits 1 with a message naming file, line, column and reason, and the
//! database stays byte for byte as it was.

use crate::common::*;

fn bad_file(name: &str, content: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = scratch();
    let p = write(dir.path(), name, content);
    (dir, p)
}

#[test]
fn missing_required_column() {
    let (_d, g) = bad_file("votes2.csv", b"team,story,voter,card\npay,PAY-1,ann,5\n");
    let err = refused(&[&g], &["--kind", "votes"]);
    assert!(
        err.contains(
            "votes2.csv:1: column \"round\": the required column is missing from the header"
        ),
        "{err}"
    );
}

#[test]
fn value_of_the_wrong_type() {
    let (_d, f) = bad_file(
        "votes.csv",
        b"team,session,story,round,voter,card,voted_at\npay,s,PAY-1,1,ann,5,2025-01-01\npay,s,PAY-1,two,bob,8,2025-01-01\npay,s,PAY-1,1,cid,8,yesterday\npay,s,PAY-1,99999999999,dan,8,2025-01-01\n",
    );
    let err = refused(&[&f], &[]);
    assert!(
        err.contains("votes.csv:3: column \"round\": \"two\" is not a whole number"),
        "{err}"
    );
    // A whole number too large for the column is named as such, not as "not a whole number".
    assert!(
        err.contains(
            "votes.csv:5: column \"round\": 99999999999 is out of range (whole numbers from \
             -2147483648 to 2147483647)"
        ),
        "{err}"
    );
    assert!(
        err.contains("votes.csv:4: column \"voted_at\": \"yesterday\" is not a time"),
        "{err}"
    );
    assert!(
        err.contains("3 problems in the input; nothing was written"),
        "{err}"
    );
}

#[test]
fn unknown_card() {
    let (_d, f) = bad_file(
        "votes.csv",
        b"team,session,story,round,voter,card\npay,s,PAY-1,1,ann,5\npay,s,PAY-1,1,bob,7\n",
    );
    let err = refused(&[&f], &[]);
    assert!(
        err.contains(
            "votes.csv:3: column \"card\": unknown card \"7\" for team \"pay\": its deck \
             (modified-fibonacci) has 0 ½ 1 2 3 5 8 13 20 40 100 ? ☕ ∞ pass"
        ),
        "{err}"
    );
}

#[test]
fn unknown_card_on_the_teams_own_deck() {
    let dir = scratch();
    let decks = write(dir.path(), "decks.csv", b"team,deck\npay,fibonacci\n");
    let votes = write(
        dir.path(),
        "votes.csv",
        b"team,story,round,voter,card\npay,PAY-1,1,ann,20\n",
    );
    let err = refused(&[&decks, &votes], &[]);
    assert!(
        err.contains("votes.csv:2: column \"card\": unknown card \"20\" for team \"pay\": its deck (fibonacci) has 0 1 2 3 5 8 13 21 ? ☕ ∞ pass"),
        "{err}"
    );
}

#[test]
fn same_voter_twice_in_one_round() {
    let (_d, f) = bad_file(
        "votes.csv",
        b"team,session,story,round,voter,card\npay,s1,PAY-1,1,ann,5\npay,s1,PAY-1,1,bob,8\npay,s1,PAY-1,2,ann,8\npay,s1,PAY-1,1,ann,3\n",
    );
    let err = refused(&[&f], &[]);
    assert!(
        err.contains("votes.csv:5: voter \"ann\" voted twice in round 1 of story \"PAY-1\" in session \"s1\" (first on line 2)"),
        "{err}"
    );
}

#[test]
fn negative_points() {
    let (_d, f) = bad_file(
        "stories.csv",
        b"team,story,estimate\npay,PAY-1,3\npay,PAY-2,-5\n",
    );
    let err = refused(&[&f], &[]);
    assert!(
        err.contains("stories.csv:3: column \"estimate\": -5 must not be negative"),
        "{err}"
    );
}

#[test]
fn amounts_beyond_a_million() {
    // 1000000 is the largest amount taken; 1e308 would make every mean and sum of its team
    // meaningless.
    let (_d, f) = bad_file(
        "sprint_items.csv",
        b"team,sprint_id,story,points_end,actual_hours,status
pay,1,PAY-1,1000000,2,done
pay,1,PAY-2,1e308,2000001,done
",
    );
    let err = refused(&[&f], &[]);
    for expected in [
        "sprint_items.csv:3: column \"points_end\": 1e308 is too large for points, hours or days \
         (at most 1000000)",
        "sprint_items.csv:3: column \"actual_hours\": 2000001 is too large for points, hours or \
         days (at most 1000000)",
        "2 problems in the input; nothing was written",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}

#[test]
fn keys_are_one_short_line() {
    // Keys name teams, stories, sessions and voters in lists, links and files: a quoted line
    // break or a tab in one is a damaged file, not a name; 200 characters is the most.
    let long = "s".repeat(201);
    let ok = "v".repeat(200);
    let text = format!(
        "team,session,story,round,voter,card,voted_at
\"pay\nments\",S1,PAY-1,1,ann,5,2025-01-06T10:00:00
pay,S1,\"PAY\t2\",1,ann,5,2025-01-06T10:00:00
pay,{long},PAY-3,1,ann,5,2025-01-06T10:00:00
pay,S1,PAY-4,1,{ok},5,2025-01-06T10:00:00
pay,S1,PAY-5,1,\"a title, not a key\",5,2025-01-06T10:00:00
"
    );
    let (_d, f) = bad_file("votes.csv", text.as_bytes());
    let err = refused(&[&f], &[]);
    for expected in [
        "votes.csv:2: column \"team\": \"pay\\u{a}ments\" holds a line break; a key is one line without tabs",
        "votes.csv:4: column \"story\": \"PAY\\u{9}2\" holds a tab; a key is one line without tabs",
        &format!(
            "votes.csv:5: column \"session\": \"{}... (201 bytes)\" is 201 characters long; a key has at most 200",
            "s".repeat(80)
        ),
        "3 problems in the input; nothing was written",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}

#[test]
fn sprint_ends_before_it_starts() {
    let (_d, f) = bad_file(
        "sprints.csv",
        b"team,sprint_id,start_date,end_date\npay,1,2025-01-06,2025-01-19\npay,2,2025-01-20,2025-01-10\n",
    );
    let err = refused(&[&f], &[]);
    assert!(
        err.contains("sprints.csv:3: column \"end_date\": the sprint ends (2025-01-10) before it starts (2025-01-20)"),
        "{err}"
    );
}

#[test]
fn item_completed_before_it_started() {
    let (_d, f) = bad_file(
        "items.csv",
        b"team,sprint_id,story,committed,status,started_at,completed_at\npay,1,PAY-1,true,done,2025-01-08T10:00:00,2025-01-07 09:00\n",
    );
    let err = refused(&[&f], &[]);
    assert!(
        err.contains("items.csv:2: column \"completed_at\": the item was completed (2025-01-07 09:00:00) before it was started (2025-01-08 10:00:00)"),
        "{err}"
    );
}

#[test]
fn wrong_number_of_fields() {
    let (_d, f) = bad_file(
        "summaries.csv",
        b"team,sprint_id,sprint_name,committed_points,completed_points\nb1,1,Sprint 1,10,8\nb1,2,Status, Reporting,12,9\n",
    );
    let err = refused(&[&f], &[]);
    assert!(
        err.contains("summaries.csv:3: 6 fields where the header has 5 (a value with an unquoted comma? quote values that contain commas)"),
        "{err}"
    );
}

#[test]
fn broken_quoting() {
    let (_d, f) = bad_file(
        "stories.csv",
        b"team,story,title\npay,PAY-1,\"Refund, partial\npay,PAY-2,Export\n",
    );
    let err = refused(&[&f], &[]);
    assert!(
        err.contains(
            "stories.csv:2: a quoted value opened here never closes (a missing closing quote)"
        ),
        "{err}"
    );
}

#[test]
fn a_spreadsheet_s_day_number_in_a_date_column_is_named_with_its_day() {
    let (_d, f) = bad_file(
        "sprints.csv",
        b"team,sprint_id,start_date,end_date\npay,S1,45663,2025-01-19\n",
    );
    let err = refused(&[&f], &[]);
    assert!(
        err.contains(
            "sprints.csv:2: column \"start_date\": \"45663\" is not a date (YYYY-MM-DD); it \
             looks like a spreadsheet's day number (2025-01-06): format the column as a date \
             before saving"
        ),
        "{err}"
    );
}

#[test]
fn a_workbook_or_a_compressed_file_is_named_as_such() {
    let dir = scratch();
    // What Excel saves as .xlsx (a ZIP whose entries are under xl/), and a gzipped CSV.
    let mut xlsx = b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml".to_vec();
    xlsx.extend_from_slice(&[0u8; 300]);
    xlsx.extend_from_slice(b"PK\x03\x04\x14\x00\x06\x00xl/workbook.xml");
    let book = write(dir.path(), "votes.xlsx", &xlsx);
    let gz = write(
        dir.path(),
        "votes.csv.gz",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
    );
    let err = refused(&[&book, &gz], &[]);
    assert!(
        err.contains(
            "votes.xlsx: the file is an Excel workbook (.xlsx), not CSV or JSON text; save the \
             sheet as CSV (UTF-8) and ingest that"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "votes.csv.gz: the file is compressed with gzip, not CSV or JSON text; decompress \
             it first"
        ),
        "{err}"
    );
    assert!(err.starts_with("error: 2 problems in the input"), "{err}");
}

#[test]
fn bytes_that_are_not_utf8() {
    let (_d, f) = bad_file("stories.csv", b"team,story,title\npay,PAY-1,Caf\xe9 menu\n");
    let err = refused(&[&f], &[]);
    assert!(
        err.contains(
            "stories.csv:2: byte 14: bytes that are not UTF-8 (0xE9); if it is Windows-1252 or \
             Latin-1 (what Excel saves as CSV on Windows), read it with --encoding windows-1252; \
             or re-save it as UTF-8"
        ),
        "{err}"
    );
}

#[test]
fn real_export_with_latin1_control_bytes_and_unquoted_commas() {
    let Some(data) = shared_data() else { return };
    let f = data.join("sprints-tse2017/raw/jira_iteration_30.csv");
    let err = refused(&[&f], &["--kind", "sprint_summaries"]);
    assert!(err.contains("bytes that are not UTF-8"), "{err}");
    assert!(err.contains("a control character (0x1A)"), "{err}");
    assert!(err.contains("where the header has 19"), "{err}");
    // Two lines with Latin-1 bytes and 0x1A each, twelve rows with 20 or 21 fields.
    assert!(err.contains("16 problems in the input"), "{err}");
    assert!(
        err.contains("jira_iteration_30.csv:93: 20 fields where the header has 19"),
        "{err}"
    );
    assert!(
        err.contains("jira_iteration_30.csv:1419: byte 11: bytes that are not UTF-8 (0xC4)"),
        "{err}"
    );
    // Every listed problem names the file and a line.
    for line in err.lines().skip(1) {
        assert!(
            line.trim_start().starts_with(&format!("{}:", f.display())),
            "{line}"
        );
    }
}

#[test]
fn empty_file() {
    let (_d, f) = bad_file("votes.csv", b"");
    let err = refused(&[&f], &[]);
    assert!(
        err.contains("votes.csv: the file is empty: expected a header row and data rows"),
        "{err}"
    );
}

#[test]
fn file_that_does_not_exist() {
    let dir = scratch();
    let f = dir.path().join("nope.csv");
    let err = refused(&[&f], &[]);
    assert!(err.contains("nope.csv: the file does not exist"), "{err}");
}

#[test]
fn one_bad_file_stops_all_files() {
    let dir = scratch();
    let good = write(
        dir.path(),
        "a_sprints.csv",
        b"team,sprint_id,start_date,end_date\npay,9,2025-03-03,2025-03-16\n",
    );
    let bad = write(
        dir.path(),
        "b_stories.csv",
        b"team,story,estimate\npay,PAY-9,lots\n",
    );
    let err = refused(&[&good, &bad], &[]);
    assert!(
        err.contains("b_stories.csv:2: column \"estimate\": \"lots\" is not a number"),
        "{err}"
    );
}

#[test]
fn no_more_than_twenty_problems_are_listed() {
    let mut s = b"team,story,estimate\n".to_vec();
    for i in 0..30 {
        s.extend_from_slice(format!("pay,PAY-{i},x{i}\n").as_bytes());
    }
    let (_d, f) = bad_file("stories.csv", &s);
    let err = refused(&[&f], &[]);
    assert!(err.contains("30 problems in the input"), "{err}");
    assert!(
        err.contains("stories.csv:21: column \"estimate\": \"x19\" is not a number"),
        "{err}"
    );
    assert!(!err.contains("\"x20\""), "{err}");
    assert!(
        err.contains("... and 10 more (only the first 20 are listed)"),
        "{err}"
    );
}

#[test]
fn missing_team_is_named() {
    let (_d, f) = bad_file("stories.csv", b"story,estimate\nPAY-1,3\n");
    let err = refused(&[&f], &[]);
    assert!(
        err.contains("stories.csv: the file has no team column; name the team with --team"),
        "{err}"
    );
}

#[test]
fn unknown_kind_is_named() {
    let (_d, f) = bad_file("mystery.csv", b"alpha,beta\n1,2\n");
    let err = refused(&[&f], &[]);
    assert!(err.contains("mystery.csv:1: cannot tell what this file holds from its header (alpha, beta); name it with --kind"), "{err}");
}

#[test]
fn bad_status_and_bad_ndjson() {
    let dir = scratch();
    let items = write(
        dir.path(),
        "items.csv",
        b"team,sprint_id,story,status\npay,1,PAY-1,finished\n",
    );
    let nd = write(dir.path(), "votes.ndjson", b"{\"team\":\"pay\",\"story\":\"PAY-1\",\"round\":1,\"voter\":\"ann\",\"card\":\"5\"}\n{\"team\":\"pay\",\"story\":\"PAY-1\",\"round\":1,\"voter\":\"bob\",\"card\":[5]}\n{oops\n");
    let err = refused(&[&items, &nd], &[]);
    assert!(err.contains("items.csv:2: column \"status\": unknown status \"finished\": expected done, not_done or removed"), "{err}");
    assert!(
        err.contains("votes.ndjson:2: column \"card\": a value of the wrong type"),
        "{err}"
    );
    assert!(err.contains("votes.ndjson:3: not valid JSON"), "{err}");
}
