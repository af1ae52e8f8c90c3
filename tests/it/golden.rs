//! Every command's output on the sample data, in every format, against snapshots read by a
//! person: what a user sees does not change unless a snapshot changes with it.
//! Paths and ingest times are masked. Update with SPRINTLENS_UPDATE_SNAPSHOTS=1 cargo test
//! golden::, then read the diff.

use crate::common::*;
use std::path::Path;

/// Every sample sprint ended before this day.
const AS_OF: &str = "2025-07-01";

const FORMATS: [&str; 4] = ["table", "json", "csv", "markdown"];

/// (snapshot name, arguments) of every report command.
fn commands() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("info", vec!["info"]),
        ("points", vec!["points"]),
        ("points.program", vec!["points", "--by", "program"]),
        ("velocity", vec!["velocity", "--as-of", AS_OF]),
        (
            "velocity.program",
            vec![
                "velocity", "--as-of", AS_OF, "--by", "program", "--window", "5",
            ],
        ),
        ("spread", vec!["spread", "--team", "search", "--rounds"]),
        ("forecast", vec!["forecast", "--as-of", AS_OF]),
        ("accuracy", vec!["accuracy"]),
        ("splits", vec!["splits", "--as-of", AS_OF]),
        (
            "report",
            vec!["report", "--team", "payments", "--as-of", AS_OF],
        ),
    ]
}

/// Paths and times vary from run to run.
fn masked(text: &str, dir: &Path) -> String {
    let mut out = text.replace(&dir.display().to_string(), "DIR");
    // Ingest times: YYYY-MM-DD HH:MM:SS (tables) and YYYY-MM-DDTHH:MM:SS(.f) (JSON).
    let bytes: Vec<char> = out.chars().collect();
    let mut masked = String::with_capacity(out.len());
    let mut i = 0;
    while i < bytes.len() {
        let window: String = bytes[i..(i + 19).min(bytes.len())].iter().collect();
        let is_time = window.len() == 19
            && window.chars().enumerate().all(|(k, c)| match k {
                4 | 7 => c == '-',
                10 => c == ' ' || c == 'T',
                13 | 16 => c == ':',
                _ => c.is_ascii_digit(),
            });
        if is_time {
            masked.push_str("TIME");
            i += 19;
            while i < bytes.len() && (bytes[i] == '.' || bytes[i].is_ascii_digit()) {
                i += 1;
            }
        } else {
            masked.push(bytes[i]);
            i += 1;
        }
    }
    out = masked;
    out
}

/// JSON without the whitespace between tokens (strings kept as they are), ending in a newline.
fn minified(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.trim_end().chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

#[test]
fn every_command_in_every_format_matches_its_snapshot() {
    let dir = scratch();
    let db = dir.path().join("g.duckdb");
    // The sample files are read as `sample/...` from the scratch folder, so that the file
    // names in the output (and the tables' widths) do not depend on where the clone is.
    let sample_dir = dir.path().join("sample");
    std::fs::create_dir(&sample_dir).unwrap();
    for e in std::fs::read_dir(project_root().join("sample-data")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), sample_dir.join(e.file_name())).unwrap();
    }
    let sample = Path::new("sample");
    let update = std::env::var_os("SPRINTLENS_UPDATE_SNAPSHOTS").is_some();
    let snapshots = project_root().join("tests/snapshots/cli");
    if update {
        std::fs::create_dir_all(&snapshots).unwrap();
    }
    let mut failures = Vec::new();
    let mut check = |name: String, got: String| {
        let snap = snapshots.join(format!("{name}.txt"));
        if update {
            std::fs::write(&snap, &got).unwrap();
            return;
        }
        match std::fs::read_to_string(&snap) {
            Ok(want) if want == got => {}
            Ok(_) => failures.push(format!("{name}: differs from {}", snap.display())),
            Err(_) => failures.push(format!("{name}: no snapshot at {}", snap.display())),
        }
    };
    for format in FORMATS {
        let fresh = dir.path().join(format!("ingest-{format}.duckdb"));
        let r = sprintlens_in(
            Some(dir.path()),
            &fresh,
            &[
                "--format",
                format,
                "--pretty",
                "ingest",
                "-q",
                sample.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        check(format!("ingest.{format}"), masked(&r.stdout, dir.path()));
    }
    let r = sprintlens_in(Some(dir.path()), &db, &["ingest", "-q", "sample"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (name, args) in commands() {
        for format in FORMATS {
            // JSON indented, as a person reads it (piped JSON is compact).
            let mut all = vec!["--format", format, "--pretty"];
            all.extend(&args);
            let r = sprintlens(&db, &all);
            assert_eq!(r.code, 0, "{name} {format}: {}", r.stderr);
            if format == "json" {
                // Piped, the same JSON comes compact: one line, the same bytes without the
                // indentation (spread writes its lists on every core: the bytes must agree).
                let compact = sprintlens(&db, &[&["--format", "json"], &args[..]].concat());
                assert_eq!(compact.code, 0, "{name}: {}", compact.stderr);
                assert_eq!(compact.stdout.lines().count(), 1, "{name}");
                assert_eq!(compact.stdout, minified(&r.stdout), "{name}");
            }
            check(format!("{name}.{format}"), masked(&r.stdout, dir.path()));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(SPRINTLENS_UPDATE_SNAPSHOTS=1 rewrites them; read the diff)",
        failures.join("\n")
    );
}

#[test]
fn minifying_keeps_strings() {
    assert_eq!(
        minified("{\n  \"a b\": [1, 2],\n  \"c\": \"x \\\" y\"\n}\n"),
        "{\"a b\":[1,2],\"c\":\"x \\\" y\"}\n"
    );
}

#[test]
fn the_mask_hides_only_paths_and_times() {
    let dir = Path::new("/tmp/x");
    assert_eq!(
        masked(
            "/tmp/x/g.duckdb at 2026-01-02 03:04:05 and 2026-01-02T03:04:05.123456, sprint 2025-07-01",
            dir
        ),
        "DIR/g.duckdb at TIME and TIME, sprint 2025-07-01"
    );
}
