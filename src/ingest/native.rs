//! Ingest, second step: types the text cells of a native file into one canonical frame per
//! kind (an Arrow record batch in the store's column order), checking every value.
//!
//! Every check that can be made without the store is made here, so a file with problems never
//! opens the database for writing.

use crate::domain::{BuiltinDeck, Deck, ItemStatus, Kind, normalise_card};
use crate::error::{Problem, Problems};
use crate::ingest::text::RawTable;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use duckdb::arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, StringArray,
    StringBuilder, TimestampMicrosecondArray,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The value types of canonical columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Text,
    Int,
    Float,
    Bool,
    Date,
    Timestamp,
}

impl Ty {
    pub fn describe(self) -> &'static str {
        match self {
            Ty::Text => "text",
            Ty::Int => "a whole number",
            Ty::Float => "a number",
            Ty::Bool => "true or false",
            Ty::Date => "a date (YYYY-MM-DD)",
            Ty::Timestamp => "a time (YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or RFC 3339)",
        }
    }

    fn arrow(self) -> DataType {
        match self {
            Ty::Text => DataType::Utf8,
            Ty::Int => DataType::Int32,
            Ty::Float => DataType::Float64,
            Ty::Bool => DataType::Boolean,
            Ty::Date => DataType::Date32,
            Ty::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        }
    }

    /// The DuckDB type of a column of this kind, as the schema files declare it.
    pub fn sql(self) -> &'static str {
        match self {
            Ty::Text => "VARCHAR",
            Ty::Int => "INTEGER",
            Ty::Float => "DOUBLE",
            Ty::Bool => "BOOLEAN",
            Ty::Date => "DATE",
            Ty::Timestamp => "TIMESTAMP",
        }
    }
}

/// A column a native file may carry.
pub struct FieldSpec {
    pub name: &'static str,
    /// Other header names taken for this column (e.g. `issuekey` for `story`).
    pub aliases: &'static [&'static str],
    pub ty: Ty,
    pub required: bool,
    /// Must not be negative (points, hours, days).
    pub nonneg: bool,
    pub doc: &'static str,
}

const fn f(name: &'static str, ty: Ty, required: bool, doc: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        aliases: &[],
        ty,
        required,
        nonneg: false,
        doc,
    }
}

const fn fa(
    name: &'static str,
    aliases: &'static [&'static str],
    ty: Ty,
    required: bool,
    nonneg: bool,
    doc: &'static str,
) -> FieldSpec {
    FieldSpec {
        name,
        aliases,
        ty,
        required,
        nonneg,
        doc,
    }
}

/// What a kind of native file holds and how it is stored.
pub struct KindSpec {
    pub kind: Kind,
    /// The columns a file may carry besides `team` and `program`.
    pub fields: &'static [FieldSpec],
    /// The store table's columns in order, with their types (the first is always `team`).
    pub columns: &'static [(&'static str, Ty)],
    /// The natural key: one row per key in the store.
    pub keys: &'static [&'static str],
}

const TEAM_FIELDS: &[FieldSpec] = &[f(
    "name",
    Ty::Text,
    false,
    "display name (defaults to the team key)",
)];
const DECK_FIELDS: &[FieldSpec] = &[
    f(
        "deck",
        Ty::Text,
        true,
        "deck name: fibonacci, modified-fibonacci, powers-of-two, tshirt, or your own name",
    ),
    f(
        "card",
        Ty::Text,
        false,
        "a card of your own deck, in order (leave empty to take a named deck as it is)",
    ),
    fa(
        "value",
        &[],
        Ty::Float,
        false,
        true,
        "the card's points (needed for cards that are not numbers)",
    ),
];
const SPRINT_FIELDS: &[FieldSpec] = &[
    fa(
        "sprint_id",
        &["sprint", "id"],
        Ty::Text,
        true,
        false,
        "the sprint's id, unique within the team",
    ),
    fa(
        "name",
        &["sprint_name"],
        Ty::Text,
        false,
        false,
        "the sprint's name",
    ),
    fa("start_date", &["start"], Ty::Date, true, false, "first day"),
    fa(
        "end_date",
        &["end"],
        Ty::Date,
        true,
        false,
        "last day (not before start_date)",
    ),
    f("goal", Ty::Text, false, "the sprint goal"),
];
const STORY_FIELDS: &[FieldSpec] = &[
    fa(
        "story",
        &["issuekey", "issue_key", "key", "story_key"],
        Ty::Text,
        true,
        false,
        "story key, e.g. PAY-142",
    ),
    fa("title", &["summary"], Ty::Text, false, false, "title"),
    fa(
        "type",
        &["issue_type"],
        Ty::Text,
        false,
        false,
        "story, bug, task, ...",
    ),
    f("epic", Ty::Text, false, "epic key or name"),
    fa(
        "created_at",
        &["created"],
        Ty::Timestamp,
        false,
        false,
        "when the story was created",
    ),
    fa(
        "estimate",
        &["storypoint", "story_points", "points"],
        Ty::Float,
        false,
        true,
        "the final estimate in points",
    ),
];
const VOTE_FIELDS: &[FieldSpec] = &[
    f(
        "session",
        Ty::Text,
        false,
        "the Planning Poker session (defaults to empty)",
    ),
    fa(
        "story",
        &["issuekey", "issue_key", "key", "story_key"],
        Ty::Text,
        true,
        false,
        "story key",
    ),
    fa(
        "round",
        &[],
        Ty::Int,
        true,
        false,
        "1 for the first vote on the story, 2 for the revote, ...",
    ),
    f(
        "voter",
        Ty::Text,
        true,
        "who voted (pseudonymised in reports)",
    ),
    f(
        "card",
        Ty::Text,
        true,
        "the card as shown: 5, ½, ?, ☕, ∞, pass, XL, ...",
    ),
    fa(
        "voted_at",
        &["time", "timestamp"],
        Ty::Timestamp,
        false,
        false,
        "when the vote was cast",
    ),
];
const ITEM_FIELDS: &[FieldSpec] = &[
    fa(
        "sprint_id",
        &["sprint"],
        Ty::Text,
        true,
        false,
        "the sprint",
    ),
    fa(
        "story",
        &["issuekey", "issue_key", "key", "story_key"],
        Ty::Text,
        true,
        false,
        "story key",
    ),
    f(
        "committed",
        Ty::Bool,
        false,
        "true if the story was in the sprint at its start, false if added later (empty: unknown)",
    ),
    f(
        "removed",
        Ty::Bool,
        false,
        "true if the story was taken out during the sprint",
    ),
    fa(
        "points_start",
        &[],
        Ty::Float,
        false,
        true,
        "points when the sprint started (empty for added work)",
    ),
    fa(
        "points_end",
        &["points"],
        Ty::Float,
        false,
        true,
        "points at the sprint's end",
    ),
    f(
        "status",
        Ty::Text,
        true,
        "status at the sprint's end: done, not_done or removed",
    ),
    fa(
        "started_at",
        &["started"],
        Ty::Timestamp,
        false,
        false,
        "work started",
    ),
    fa(
        "completed_at",
        &["completed"],
        Ty::Timestamp,
        false,
        false,
        "work completed (not before started_at)",
    ),
    fa(
        "actual_hours",
        &["hours"],
        Ty::Float,
        false,
        true,
        "actual effort in hours, where the team logs it",
    ),
];
const SUMMARY_FIELDS: &[FieldSpec] = &[
    fa(
        "sprint_id",
        &["sprint"],
        Ty::Text,
        true,
        false,
        "the sprint",
    ),
    fa(
        "sprint_name",
        &["name"],
        Ty::Text,
        false,
        false,
        "the sprint's name",
    ),
    fa(
        "planned_days",
        &[],
        Ty::Float,
        false,
        true,
        "planned length in days",
    ),
    fa(
        "committed_points",
        &["committed"],
        Ty::Float,
        true,
        true,
        "points committed",
    ),
    fa(
        "completed_points",
        &["completed"],
        Ty::Float,
        true,
        true,
        "points completed",
    ),
    fa(
        "added_points",
        &["added"],
        Ty::Float,
        false,
        true,
        "points added during the sprint",
    ),
    fa(
        "removed_points",
        &["removed"],
        Ty::Float,
        false,
        true,
        "points removed during the sprint",
    ),
];

pub const SPECS: &[KindSpec] = &[
    KindSpec {
        kind: Kind::Teams,
        fields: TEAM_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("name", Ty::Text),
            ("program", Ty::Text),
        ],
        keys: &["team"],
    },
    KindSpec {
        kind: Kind::Decks,
        fields: DECK_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("position", Ty::Int),
            ("card", Ty::Text),
            ("value", Ty::Float),
            ("deck", Ty::Text),
        ],
        keys: &["team", "card"],
    },
    KindSpec {
        kind: Kind::Sprints,
        fields: SPRINT_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("sprint_id", Ty::Text),
            ("name", Ty::Text),
            ("start_date", Ty::Date),
            ("end_date", Ty::Date),
            ("goal", Ty::Text),
        ],
        keys: &["team", "sprint_id"],
    },
    KindSpec {
        kind: Kind::Stories,
        fields: STORY_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("story", Ty::Text),
            ("title", Ty::Text),
            ("type", Ty::Text),
            ("epic", Ty::Text),
            ("created_at", Ty::Timestamp),
            ("estimate", Ty::Float),
        ],
        keys: &["team", "story"],
    },
    KindSpec {
        kind: Kind::Votes,
        fields: VOTE_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("session", Ty::Text),
            ("story", Ty::Text),
            ("round", Ty::Int),
            ("voter", Ty::Text),
            ("card", Ty::Text),
            ("value", Ty::Float),
            ("voted_at", Ty::Timestamp),
        ],
        keys: &["team", "session", "story", "round", "voter"],
    },
    KindSpec {
        kind: Kind::SprintItems,
        fields: ITEM_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("sprint_id", Ty::Text),
            ("story", Ty::Text),
            ("committed", Ty::Bool),
            ("removed", Ty::Bool),
            ("points_start", Ty::Float),
            ("points_end", Ty::Float),
            ("status", Ty::Text),
            ("started_at", Ty::Timestamp),
            ("completed_at", Ty::Timestamp),
            ("actual_hours", Ty::Float),
        ],
        keys: &["team", "sprint_id", "story"],
    },
    KindSpec {
        kind: Kind::SprintSummaries,
        fields: SUMMARY_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("sprint_id", Ty::Text),
            ("sprint_name", Ty::Text),
            ("planned_days", Ty::Float),
            ("committed_points", Ty::Float),
            ("completed_points", Ty::Float),
            ("added_points", Ty::Float),
            ("removed_points", Ty::Float),
        ],
        keys: &["team", "sprint_id"],
    },
];

pub fn spec(kind: Kind) -> &'static KindSpec {
    SPECS
        .iter()
        .find(|s| s.kind == kind)
        .expect("every kind has a spec")
}

/// The header name in `columns` that stands for a field, if any.
fn find_column<'a>(columns: &'a [String], field: &FieldSpec) -> Option<&'a str> {
    let matches = |c: &str, n: &str| c.eq_ignore_ascii_case(n);
    columns
        .iter()
        .find(|c| matches(c, field.name))
        .or_else(|| {
            columns
                .iter()
                .find(|c| field.aliases.iter().any(|a| matches(c, a)))
        })
        .map(|s| s.as_str())
}

/// Tells the kind of a native file from its header, or `None` when it is not clear.
pub fn detect_kind(columns: &[String]) -> Option<Kind> {
    let has = |n: &str| columns.iter().any(|c| c.eq_ignore_ascii_case(n));
    if has("voter") && has("card") {
        Some(Kind::Votes)
    } else if has("committed_points") && has("completed_points") {
        Some(Kind::SprintSummaries)
    } else if (has("sprint_id") || has("sprint")) && has("status") && has("story") {
        Some(Kind::SprintItems)
    } else if (has("start_date") || has("start")) && (has("end_date") || has("end")) {
        Some(Kind::Sprints)
    } else if has("deck") {
        Some(Kind::Decks)
    } else if has("story") || has("issuekey") || has("issue_key") || has("story_key") {
        Some(Kind::Stories)
    } else if has("team") && columns.len() <= 3 && (has("name") || has("program")) {
        Some(Kind::Teams)
    } else {
        None
    }
}

/// One validated file in canonical form, ready for the store.
pub struct Frame {
    pub kind: Kind,
    pub file: String,
    pub batch: RecordBatch,
    /// Table columns the file gave values for; only these are updated for existing keys.
    pub present: Vec<&'static str>,
    /// Teams named by the file, with the program the file or `--program` gives them.
    pub teams: BTreeMap<String, Option<String>>,
}

/// Settings from the command line that fill in what a file does not name.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    pub team: Option<String>,
    pub program: Option<String>,
    /// Per-team settings: status names (and, in the caller, the default deck).
    pub settings: crate::config::Settings,
}

// ----------------------------------------------------------------------------------------
// Parsing single values

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

pub fn parse_float(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

pub fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim();
    t.parse::<i64>().ok().or_else(|| {
        let v = t.parse::<f64>().ok()?;
        (v.is_finite() && v == v.trunc() && v.abs() < 1e15).then_some(v as i64)
    })
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_timestamp(t).map(|d| d.date()))
}

/// The common shapes `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM` and `YYYY-MM-DD[T ]HH:MM:SS`,
/// read without a format parser (millions of votes carry a time).
fn fast_timestamp(t: &str) -> Option<NaiveDateTime> {
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut v = 0u32;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as u32;
        }
        Some(v)
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let sep = b.len() > 10 && (b[10] == b'T' || b[10] == b' ');
    match b.len() {
        10 => date.and_hms_opt(0, 0, 0),
        16 if sep && b[13] == b':' => date.and_hms_opt(num(11..13)?, num(14..16)?, 0),
        19 if sep && b[13] == b':' && b[16] == b':' => {
            date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)
        }
        _ => None,
    }
}

pub fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let t = s.trim();
    if let Some(d) = fast_timestamp(t) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.naive_utc());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(d);
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

fn days_since_epoch(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days() as i32
}

// ----------------------------------------------------------------------------------------
// Typed columns

/// A file column typed, one value per row.
enum Values {
    Text(StringArray),
    Int(Vec<Option<i32>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<i32>>),
    Ts(Vec<Option<i64>>),
}

impl Values {
    fn into_array(self) -> ArrayRef {
        match self {
            Values::Text(a) => Arc::new(a),
            Values::Int(v) => Arc::new(Int32Array::from(v)),
            Values::Float(v) => Arc::new(Float64Array::from(v)),
            Values::Bool(v) => Arc::new(BooleanArray::from(v)),
            Values::Date(v) => Arc::new(Date32Array::from(v)),
            Values::Ts(v) => Arc::new(TimestampMicrosecondArray::from(v)),
        }
    }

    fn nulls(ty: Ty, n: usize) -> Values {
        match ty {
            Ty::Text => Values::Text(StringArray::new_null(n)),
            Ty::Int => Values::Int(vec![None; n]),
            Ty::Float => Values::Float(vec![None; n]),
            Ty::Bool => Values::Bool(vec![None; n]),
            Ty::Date => Values::Date(vec![None; n]),
            Ty::Timestamp => Values::Ts(vec![None; n]),
        }
    }

    fn text(&self) -> &StringArray {
        match self {
            Values::Text(a) => a,
            _ => unreachable!("text column"),
        }
    }
    fn floats(&self) -> &[Option<f64>] {
        match self {
            Values::Float(v) => v,
            _ => unreachable!("float column"),
        }
    }
    fn ints(&self) -> &[Option<i32>] {
        match self {
            Values::Int(v) => v,
            _ => unreachable!("int column"),
        }
    }
    fn timestamps(&self) -> &[Option<i64>] {
        match self {
            Values::Ts(v) => v,
            _ => unreachable!("timestamp column"),
        }
    }
    fn dates(&self) -> &[Option<i32>] {
        match self {
            Values::Date(v) => v,
            _ => unreachable!("date column"),
        }
    }
    fn bools(&self) -> &[Option<bool>] {
        match self {
            Values::Bool(v) => v,
            _ => unreachable!("bool column"),
        }
    }
}

/// Types one field of a raw table, reporting every value that does not fit.
fn type_field(
    raw: &RawTable,
    header: Option<&str>,
    field: &FieldSpec,
    problems: &mut Problems,
) -> Values {
    let n = raw.height();
    let Some(cells) = header.and_then(|h| raw.column(h)) else {
        return Values::nulls(field.ty, n);
    };
    let col = header.unwrap_or(field.name);
    let bad = |problems: &mut Problems, row: usize, msg: String| {
        problems.push(Problem::at(&raw.file, raw.line(row), Some(col), msg));
    };
    macro_rules! typed {
        ($variant:ident, $parse:expr) => {{
            let parse = $parse;
            let mut out = Vec::with_capacity(n);
            for (row, cell) in cells.iter().enumerate() {
                let cell = cell.map(str::trim).filter(|c| !c.is_empty());
                match cell {
                    None => {
                        if field.required {
                            bad(problems, row, "a value is required here".to_string());
                        }
                        out.push(None);
                    }
                    Some(c) => match parse(c) {
                        Some(v) => out.push(Some(v)),
                        None => {
                            bad(
                                problems,
                                row,
                                format!("\"{}\" is not {}", c, field.ty.describe()),
                            );
                            out.push(None);
                        }
                    },
                }
            }
            Values::$variant(out)
        }};
    }
    match field.ty {
        Ty::Text => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for (row, cell) in cells.iter().enumerate() {
                match cell.map(str::trim).filter(|c| !c.is_empty()) {
                    Some(c) => b.append_value(c),
                    None => {
                        if field.required {
                            bad(problems, row, "a value is required here".to_string());
                        }
                        b.append_null();
                    }
                }
            }
            Values::Text(b.finish())
        }
        Ty::Int => typed!(Int, |c: &str| parse_int(c)
            .and_then(|v| i32::try_from(v).ok())),
        Ty::Float => {
            let v = typed!(Float, parse_float);
            if field.nonneg
                && let Values::Float(ref vals) = v
            {
                for (row, x) in vals.iter().enumerate() {
                    if let Some(x) = x
                        && *x < 0.0
                    {
                        bad(
                            problems,
                            row,
                            format!("{} must not be negative", crate::domain::format_number(*x)),
                        );
                    }
                }
            }
            v
        }
        Ty::Bool => typed!(Bool, parse_bool),
        Ty::Date => typed!(Date, |c: &str| parse_date(c).map(days_since_epoch)),
        Ty::Timestamp => typed!(Ts, |c: &str| parse_timestamp(c)
            .map(|d| d.and_utc().timestamp_micros())),
    }
}

/// The file's columns typed by name, plus the team of every row.
struct Typed {
    values: HashMap<&'static str, Values>,
    present: Vec<&'static str>,
    team: StringArray,
}

impl Typed {
    fn take(&mut self, name: &str) -> Values {
        self.values.remove(name).expect("typed field")
    }
    fn get(&self, name: &str) -> &Values {
        &self.values[name]
    }
    fn has(&self, name: &str) -> bool {
        self.present.contains(&name)
    }
}

fn type_table(
    raw: &RawTable,
    spec: &KindSpec,
    defaults: &Defaults,
    problems: &mut Problems,
) -> Option<(Typed, BTreeMap<String, Option<String>>)> {
    let before = problems.total;
    let mut present = Vec::new();
    let mut headers = Vec::new();
    for field in spec.fields {
        let h = find_column(&raw.columns, field);
        if field.required && h.is_none() {
            problems.push(Problem {
                file: raw.file.clone(),
                line: Some(1),
                column: Some(field.name.to_string()),
                message: format!(
                    "the required column is missing from the header (a {} file needs {}; the header has {})",
                    spec.kind,
                    spec.fields
                        .iter()
                        .filter(|f| f.required)
                        .map(|f| f.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                    raw.columns.join(", ")
                ),
            });
        }
        if h.is_some() {
            present.push(field.name);
        }
        headers.push(h);
    }
    let team_col = raw.columns.iter().find(|c| c.eq_ignore_ascii_case("team"));
    if team_col.is_none() && defaults.team.is_none() {
        problems.push(Problem::file(
            &raw.file,
            "the file has no team column; name the team with --team",
        ));
    }
    if problems.total > before {
        return None;
    }

    // Columns are typed side by side (one thread each); problems are kept in field order.
    let typed: Vec<(Values, Problems)> = std::thread::scope(|scope| {
        let handles: Vec<_> = spec
            .fields
            .iter()
            .zip(headers)
            .map(|(field, h)| {
                scope.spawn(move || {
                    let mut p = Problems::default();
                    let v = type_field(raw, h, field, &mut p);
                    (v, p)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a typing thread does not panic"))
            .collect()
    });
    let mut values = HashMap::new();
    for (field, (v, p)) in spec.fields.iter().zip(typed) {
        values.insert(field.name, v);
        problems.extend(p);
    }

    // Team and program of every row: the file's columns first, the flags where they are empty.
    let n = raw.height();
    let team_cells = team_col.and_then(|c| raw.column(c));
    let program_col = raw
        .columns
        .iter()
        .find(|c| c.eq_ignore_ascii_case("program"));
    let program_cells = program_col.and_then(|c| raw.column(c));
    let mut team = StringBuilder::with_capacity(n, n * 8);
    let mut teams: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut program_line: HashMap<String, usize> = HashMap::new();
    let mut last_team: Option<(String, Option<String>)> = None;
    for row in 0..n {
        let t = team_cells
            .and_then(|c| c.get(row))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .or(defaults.team.as_deref());
        let Some(t) = t else {
            problems.push(Problem::at(
                &raw.file,
                raw.line(row),
                Some("team"),
                "a value is required here (or name the team with --team)",
            ));
            team.append_null();
            continue;
        };
        team.append_value(t);
        let p = program_cells
            .and_then(|c| c.get(row))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .or(defaults.program.as_deref());
        // Most files repeat one team row after row; skip the map for repeats.
        if let Some((lt, lp)) = &last_team
            && lt == t
            && lp.as_deref() == p
        {
            continue;
        }
        last_team = Some((t.to_string(), p.map(str::to_string)));
        match teams.get(t) {
            None => {
                teams.insert(t.to_string(), p.map(str::to_string));
                program_line.insert(t.to_string(), raw.line(row));
            }
            Some(existing) => {
                if let (Some(e), Some(p)) = (existing, p)
                    && e != p
                {
                    problems.push(Problem::at(
                        &raw.file,
                        raw.line(row),
                        Some("program"),
                        format!(
                            "team \"{t}\" is in program \"{e}\" on line {} and in \"{p}\" here",
                            program_line[t]
                        ),
                    ));
                } else if existing.is_none() && p.is_some() {
                    teams.insert(t.to_string(), p.map(str::to_string));
                }
            }
        }
    }
    Some((
        Typed {
            values,
            present,
            team: team.finish(),
        },
        teams,
    ))
}

/// A source of decks: the team's deck as this ingest sees it.
pub trait DeckLookup {
    fn deck(&self, team: &str) -> Deck;
}

/// Types and checks one native file of a known kind.
pub fn to_frame(
    raw: &RawTable,
    kind: Kind,
    defaults: &Defaults,
    decks: &dyn DeckLookup,
    problems: &mut Problems,
) -> Option<Frame> {
    let spec = spec(kind);
    let before = problems.total;
    let (mut t, teams) = type_table(raw, spec, defaults, problems)?;
    let n = raw.height();
    let team: ArrayRef = Arc::new(t.team.clone());
    let text = |a: StringArray| -> ArrayRef { Arc::new(a) };

    let (columns, present): (Vec<ArrayRef>, Vec<&'static str>) = match kind {
        Kind::Teams => {
            let name = t.take("name");
            let program: StringArray = t
                .team
                .iter()
                .map(|tm| tm.and_then(|tm| teams.get(tm).cloned().flatten()))
                .collect();
            let mut present = vec!["team"];
            if t.has("name") {
                present.push("name");
            }
            if teams.values().any(Option::is_some) {
                present.push("program");
            }
            (vec![team, name.into_array(), text(program)], present)
        }
        Kind::Decks => return decks_frame(raw, t, teams, problems),
        Kind::Votes => {
            let mut card_shown = StringBuilder::with_capacity(n, n * 2);
            let mut value: Vec<Option<f64>> = Vec::with_capacity(n);
            {
                let cards = t.get("card").text();
                // Per team, its deck and every way of writing a card seen so far.
                let mut cache: HashMap<
                    String,
                    (Deck, HashMap<String, Option<crate::domain::Card>>),
                > = HashMap::new();
                for row in 0..n {
                    let (Some(tm), Some(c)) = (
                        t.team.is_valid(row).then(|| t.team.value(row)),
                        cards.is_valid(row).then(|| cards.value(row)),
                    ) else {
                        card_shown.append_null();
                        value.push(None);
                        continue;
                    };
                    if !cache.contains_key(tm) {
                        cache.insert(tm.to_string(), (decks.deck(tm), HashMap::new()));
                    }
                    let (deck, seen) = cache.get_mut(tm).expect("inserted above");
                    if !seen.contains_key(c) {
                        seen.insert(c.to_string(), deck.card(c));
                    }
                    match &seen[c] {
                        Some(card) => {
                            card_shown.append_value(&card.shown);
                            value.push(card.value);
                        }
                        None => {
                            problems.push(Problem::at(
                                &raw.file,
                                raw.line(row),
                                Some("card"),
                                format!(
                                    "unknown card \"{}\" for team \"{}\": its deck ({}) has {}",
                                    c,
                                    tm,
                                    deck.name,
                                    deck.describe()
                                ),
                            ));
                            card_shown.append_null();
                            value.push(None);
                        }
                    }
                }
            }
            let rounds = t.get("round").ints();
            for (row, r) in rounds.iter().enumerate() {
                if let Some(r) = r
                    && *r < 1
                {
                    problems.push(Problem::at(
                        &raw.file,
                        raw.line(row),
                        Some("round"),
                        format!("round {r}: rounds count from 1"),
                    ));
                }
            }
            // No session column: every vote is in the one unnamed session.
            let session = match t.take("session") {
                Values::Text(a) => {
                    let filled: StringArray = a.iter().map(|s| Some(s.unwrap_or(""))).collect();
                    filled
                }
                _ => unreachable!(),
            };
            let mut present = vec![
                "team", "session", "story", "round", "voter", "card", "value",
            ];
            if t.has("voted_at") {
                present.push("voted_at");
            }
            (
                vec![
                    team,
                    text(session),
                    t.take("story").into_array(),
                    t.take("round").into_array(),
                    t.take("voter").into_array(),
                    text(card_shown.finish()),
                    Arc::new(Float64Array::from(value)),
                    t.take("voted_at").into_array(),
                ],
                present,
            )
        }
        Kind::Sprints => {
            let (s, e) = (t.get("start_date").dates(), t.get("end_date").dates());
            for row in 0..n {
                if let (Some(s), Some(e)) = (s[row], e[row])
                    && e < s
                {
                    problems.push(Problem::at(
                        &raw.file,
                        raw.line(row),
                        Some("end_date"),
                        format!(
                            "the sprint ends ({}) before it starts ({})",
                            date_text(e),
                            date_text(s)
                        ),
                    ));
                }
            }
            let present = present_columns(spec, &t);
            (
                vec![
                    team,
                    t.take("sprint_id").into_array(),
                    t.take("name").into_array(),
                    t.take("start_date").into_array(),
                    t.take("end_date").into_array(),
                    t.take("goal").into_array(),
                ],
                present,
            )
        }
        Kind::Stories => {
            let present = present_columns(spec, &t);
            (
                vec![
                    team,
                    t.take("story").into_array(),
                    t.take("title").into_array(),
                    t.take("type").into_array(),
                    t.take("epic").into_array(),
                    t.take("created_at").into_array(),
                    t.take("estimate").into_array(),
                ],
                present,
            )
        }
        Kind::SprintItems => {
            let status_in = t.get("status").text();
            let mut status = StringBuilder::with_capacity(n, n * 8);
            let removed_in = t.get("removed").bools();
            // A file with a removed column may leave it empty: unknown (exports do).
            let has_removed = present_columns(spec, &t).contains(&"removed");
            let mut removed: Vec<Option<bool>> = Vec::with_capacity(n);
            let (started, completed) = (
                t.get("started_at").timestamps(),
                t.get("completed_at").timestamps(),
            );
            for row in 0..n {
                let st = status_in
                    .is_valid(row)
                    .then(|| status_in.value(row))
                    .map(|s| {
                        let team = if t.team.is_valid(row) {
                            t.team.value(row)
                        } else {
                            ""
                        };
                        (s, defaults.settings.team(team).statuses.parse(s))
                    });
                match st {
                    Some((_, Some(s))) => {
                        status.append_value(s.name());
                        removed.push(
                            if s == ItemStatus::Removed || removed_in[row] == Some(true) {
                                Some(true)
                            } else if has_removed {
                                removed_in[row]
                            } else {
                                Some(false)
                            },
                        );
                    }
                    Some((s, None)) => {
                        problems.push(Problem::at(
                            &raw.file,
                            raw.line(row),
                            Some("status"),
                            {
                                let team = if t.team.is_valid(row) { t.team.value(row) } else { "" };
                                let n = &defaults.settings.team(team).statuses;
                                format!(
                                    "unknown status \"{s}\": expected done, not_done or removed \
                                     (done: {}; not done: {}; removed: {}; set done_statuses in sprintlens.toml)",
                                    n.done.join(", "),
                                    n.not_done.join(", "),
                                    n.removed.join(", ")
                                )
                            },
                        ));
                        status.append_null();
                        removed.push(None);
                    }
                    None => {
                        status.append_null();
                        removed.push(None);
                    }
                }
                if let (Some(s), Some(c)) = (started[row], completed[row])
                    && c < s
                {
                    problems.push(Problem::at(
                        &raw.file,
                        raw.line(row),
                        Some("completed_at"),
                        format!(
                            "the item was completed ({}) before it was started ({})",
                            ts_text(c),
                            ts_text(s)
                        ),
                    ));
                }
            }
            let mut present = present_columns(spec, &t);
            if !present.contains(&"removed") {
                present.push("removed");
            }
            (
                vec![
                    team,
                    t.take("sprint_id").into_array(),
                    t.take("story").into_array(),
                    t.take("committed").into_array(),
                    Arc::new(BooleanArray::from(removed)),
                    t.take("points_start").into_array(),
                    t.take("points_end").into_array(),
                    text(status.finish()),
                    t.take("started_at").into_array(),
                    t.take("completed_at").into_array(),
                    t.take("actual_hours").into_array(),
                ],
                present,
            )
        }
        Kind::SprintSummaries => {
            let present = present_columns(spec, &t);
            (
                vec![
                    team,
                    t.take("sprint_id").into_array(),
                    t.take("sprint_name").into_array(),
                    t.take("planned_days").into_array(),
                    t.take("committed_points").into_array(),
                    t.take("completed_points").into_array(),
                    t.take("added_points").into_array(),
                    t.take("removed_points").into_array(),
                ],
                present,
            )
        }
    };
    if problems.total > before {
        return None;
    }
    let batch = make_batch(spec, columns);
    check_unique_keys(raw, spec, &batch, problems);
    if problems.total > before {
        return None;
    }
    Some(Frame {
        kind,
        file: raw.file.clone(),
        batch,
        present,
        teams,
    })
}

/// The table columns a file gave values for: keys always, the rest when the file has them.
fn present_columns(spec: &KindSpec, t: &Typed) -> Vec<&'static str> {
    spec.columns
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| spec.keys.contains(c) || t.has(c))
        .collect()
}

fn make_batch(spec: &KindSpec, columns: Vec<ArrayRef>) -> RecordBatch {
    let schema = Schema::new(
        spec.columns
            .iter()
            .map(|(name, ty)| Field::new(*name, ty.arrow(), true))
            .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(Arc::new(schema), columns).expect("columns match the kind's schema")
}

fn date_text(days: i32) -> String {
    (NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid") + chrono::Duration::days(days as i64))
        .to_string()
}

fn ts_text(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|d| d.naive_utc().to_string())
        .unwrap_or_default()
}

/// A fast hash for natural keys (FxHash's multiply-rotate with a final avalanche); equal
/// hashes are always confirmed by comparing the keys themselves.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u8(&mut self, w: u8) {
        self.write_u64(w as u64);
    }
    fn write_i32(&mut self, w: i32) {
        self.write_u64(w as u32 as u64);
    }
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    }
}

/// Reports rows of one file that share a natural key (the same voter twice in one round, ...).
fn check_unique_keys(
    raw: &RawTable,
    spec: &KindSpec,
    batch: &RecordBatch,
    problems: &mut Problems,
) {
    use std::hash::Hasher;
    enum KeyCol<'a> {
        Text(&'a StringArray),
        Int(&'a Int32Array),
    }
    let keys: Vec<KeyCol> = spec
        .keys
        .iter()
        .map(|k| {
            let a = batch.column_by_name(k).expect("key column");
            match a.as_any().downcast_ref::<StringArray>() {
                Some(s) => KeyCol::Text(s),
                None => KeyCol::Int(
                    a.as_any()
                        .downcast_ref::<Int32Array>()
                        .expect("text or int key"),
                ),
            }
        })
        .collect();
    let key_text = |row: usize| -> Vec<String> {
        keys.iter()
            .map(|k| match k {
                KeyCol::Text(s) => s.value(row).to_string(),
                KeyCol::Int(i) => i.value(row).to_string(),
            })
            .collect()
    };
    let same_key = |a: usize, b: usize| -> bool {
        keys.iter().all(|k| match k {
            KeyCol::Text(s) => s.value(a) == s.value(b),
            KeyCol::Int(i) => i.value(a) == i.value(b),
        })
    };
    // One hash per row, sorted: rows with equal keys end up next to each other, and keys are
    // compared only within a run of equal hashes. (A sort beats a hash table of millions of
    // entries: it walks memory in order.)
    let mut hashed: Vec<(u64, u32)> = (0..batch.num_rows())
        .map(|row| {
            let mut h = KeyHasher::default();
            for k in &keys {
                match k {
                    KeyCol::Text(s) => {
                        h.write(s.value(row).as_bytes());
                        h.write_u8(0xff);
                    }
                    KeyCol::Int(i) => h.write_i32(i.value(row)),
                }
            }
            (h.finish(), row as u32)
        })
        .collect();
    hashed.sort_unstable();
    let mut dups: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < hashed.len() {
        let mut j = i + 1;
        while j < hashed.len() && hashed[j].0 == hashed[i].0 {
            j += 1;
        }
        // Within the run rows are in file order; each row is a duplicate of the first
        // earlier row with the same key.
        for b in i + 1..j {
            let row = hashed[b].1 as usize;
            if let Some(a) = (i..b)
                .map(|a| hashed[a].1 as usize)
                .find(|&a| same_key(a, row))
            {
                dups.push((row, a));
            }
        }
        i = j;
    }
    dups.sort_unstable();
    for (row, r) in dups {
        let mine = key_text(row);
        let what = match spec.kind {
            Kind::Votes => format!(
                "voter \"{}\" voted twice in round {} of story \"{}\"{} (first on line {})",
                mine[4],
                mine[3],
                mine[2],
                if mine[1].is_empty() {
                    String::new()
                } else {
                    format!(" in session \"{}\"", mine[1])
                },
                raw.line(r)
            ),
            _ => format!(
                "the same {} ({}) appears twice in the file (first on line {})",
                spec.keys.join(", "),
                mine.join(", "),
                raw.line(r)
            ),
        };
        problems.push(Problem::at(&raw.file, raw.line(row), None, what));
    }
}

/// One team's rows of a decks file: the deck's name, its first line, and the cards listed
/// (card, value, line).
struct ListedDeck {
    name: String,
    line: usize,
    cards: Vec<(String, Option<f64>, usize)>,
}

/// A decks file: each team's deck, a named one or the cards listed in order.
fn decks_frame(
    raw: &RawTable,
    mut t: Typed,
    teams: BTreeMap<String, Option<String>>,
    problems: &mut Problems,
) -> Option<Frame> {
    let before = problems.total;
    let deck_names = t.take("deck");
    let cards = t.take("card");
    let values = t.take("value");
    let (deck_names, cards, values) = (deck_names.text(), cards.text(), values.floats());
    let mut per_team: BTreeMap<String, ListedDeck> = BTreeMap::new();
    for (row, value) in values.iter().enumerate() {
        if !t.team.is_valid(row) || !deck_names.is_valid(row) {
            continue;
        }
        let team = t.team.value(row);
        let name = deck_names.value(row);
        let entry = per_team
            .entry(team.to_string())
            .or_insert_with(|| ListedDeck {
                name: name.to_string(),
                line: raw.line(row),
                cards: Vec::new(),
            });
        if entry.name != name {
            problems.push(Problem::at(
                &raw.file,
                raw.line(row),
                Some("deck"),
                format!(
                    "team \"{team}\" gets deck \"{}\" on line {} and \"{name}\" here; a team has one deck",
                    entry.name, entry.line
                ),
            ));
            continue;
        }
        if cards.is_valid(row) {
            entry
                .cards
                .push((cards.value(row).to_string(), *value, raw.line(row)));
        }
    }
    let mut team_col = StringBuilder::new();
    let mut pos_col: Vec<Option<i32>> = Vec::new();
    let mut card_col = StringBuilder::new();
    let mut value_col: Vec<Option<f64>> = Vec::new();
    let mut deck_col = StringBuilder::new();
    for (
        team,
        ListedDeck {
            name,
            line,
            cards: listed,
        },
    ) in &per_team
    {
        let builtin = BuiltinDeck::parse(name);
        let deck = if listed.is_empty() {
            match builtin {
                Some(b) => b.deck(),
                None => {
                    problems.push(Problem::at(
                        &raw.file,
                        *line,
                        Some("deck"),
                        format!(
                            "\"{name}\" is not a deck sprintlens knows ({}); list its cards in the card column",
                            BuiltinDeck::ALL.map(|d| d.name()).join(", ")
                        ),
                    ));
                    continue;
                }
            }
        } else {
            let mut deck = Deck {
                name: builtin
                    .map(|b| b.name().to_string())
                    .unwrap_or_else(|| name.clone()),
                cards: Vec::new(),
            };
            let known = builtin.map(BuiltinDeck::deck);
            for (card, value, line) in listed {
                let shown = normalise_card(card);
                if crate::domain::NON_NUMERIC_CARDS.contains(&shown.as_str()) {
                    problems.push(Problem::at(
                        &raw.file,
                        *line,
                        Some("card"),
                        format!("\"{card}\" is always accepted and need not be listed in a deck"),
                    ));
                    continue;
                }
                let value = value
                    .or_else(|| {
                        known
                            .as_ref()
                            .and_then(|k| k.card(&shown))
                            .and_then(|c| c.value)
                    })
                    .or_else(|| {
                        if shown == "½" {
                            Some(0.5)
                        } else {
                            parse_float(&shown)
                        }
                    });
                let Some(value) = value else {
                    problems.push(Problem::at(
                        &raw.file,
                        *line,
                        Some("value"),
                        format!(
                            "card \"{card}\" is not a number: give its points in the value column"
                        ),
                    ));
                    continue;
                };
                if deck.cards.iter().any(|c| c.shown == shown) {
                    problems.push(Problem::at(
                        &raw.file,
                        *line,
                        Some("card"),
                        format!("card \"{card}\" is listed twice for team \"{team}\""),
                    ));
                    continue;
                }
                deck.cards.push(crate::domain::Card {
                    shown,
                    value: Some(value),
                });
            }
            deck
        };
        for (k, c) in deck.cards.iter().enumerate() {
            team_col.append_value(team);
            pos_col.push(Some(k as i32));
            card_col.append_value(&c.shown);
            value_col.push(c.value);
            deck_col.append_value(&deck.name);
        }
    }
    if problems.total > before {
        return None;
    }
    let spec = spec(Kind::Decks);
    let batch = make_batch(
        spec,
        vec![
            Arc::new(team_col.finish()),
            Arc::new(Int32Array::from(pos_col)),
            Arc::new(card_col.finish()),
            Arc::new(Float64Array::from(value_col)),
            Arc::new(deck_col.finish()),
        ],
    );
    Some(Frame {
        kind: Kind::Decks,
        file: raw.file.clone(),
        batch,
        present: spec.columns.iter().map(|(c, _)| *c).collect(),
        teams,
    })
}

/// Reads the decks of a decks frame back, for votes checked in the same ingest.
pub fn decks_in_frame(frame: &Frame) -> HashMap<String, Deck> {
    let b = &frame.batch;
    let team = b
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("team");
    let card = b
        .column(2)
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("card");
    let value = b
        .column(3)
        .as_any()
        .downcast_ref::<Float64Array>()
        .expect("value");
    let deck = b
        .column(4)
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("deck");
    let mut out: HashMap<String, Deck> = HashMap::new();
    for row in 0..b.num_rows() {
        let d = out
            .entry(team.value(row).to_string())
            .or_insert_with(|| Deck {
                name: deck.value(row).to_string(),
                cards: Vec::new(),
            });
        d.cards.push(crate::domain::Card {
            shown: card.value(row).to_string(),
            value: value.is_valid(row).then(|| value.value(row)),
        });
    }
    out
}
