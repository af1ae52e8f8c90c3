//! Ingest, second step: the text cells of a file typed by the canonical schema, column by
//! column on both cores, every value that does not fit reported with its file, line and column;
//! the team (and program) of every row from the file or the flags.

use crate::domain::schema::{FieldSpec, KindSpec, MAX_AMOUNT, Ty};
use crate::domain::{Kind, format_number};
use crate::error::{Problem, Problems, shown, shown_list};
use crate::ingest::read::RawTable;
use crate::ingest::values::{
    days_since_epoch, parse_bool, parse_date_styled, parse_float, parse_int, parse_timestamp_styled,
};
use duckdb::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The header name in `columns` that stands for a field, if any.
pub fn find_column<'a>(columns: &'a [String], field: &FieldSpec) -> Option<&'a str> {
    columns
        .iter()
        .find(|c| c.eq_ignore_ascii_case(field.name))
        .or_else(|| columns.iter().find(|c| field.is_named(c)))
        .map(|s| s.as_str())
}

/// Tells the kind of a native file from its header, or `None` when it is not clear.
pub fn detect_kind(columns: &[String]) -> Option<Kind> {
    let has = |n: &str| columns.iter().any(|c| c.eq_ignore_ascii_case(n));
    if has("voter") && has("card") {
        Some(Kind::Votes)
    } else if has("committed_points") && has("completed_points") {
        Some(Kind::SprintSummaries)
    } else if has("event") && (has("changed_at") || has("at") || has("time") || has("timestamp")) {
        Some(Kind::SprintEvents)
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

/// Settings from the command line that fill in what a file does not name.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    pub team: Option<String>,
    pub program: Option<String>,
    /// Per-team settings: status names (and, in the caller, the default deck).
    pub settings: crate::settings::Settings,
}

/// A file column typed, one value per row.
pub enum Values {
    Text(StringArray),
    Int(Vec<Option<i32>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<i32>>),
    Ts(Vec<Option<i64>>),
}

impl Values {
    pub fn into_array(self) -> ArrayRef {
        match self {
            Values::Text(a) => Arc::new(a),
            Values::Int(v) => Arc::new(Int32Array::from(v)),
            Values::Float(v) => Arc::new(Float64Array::from(v)),
            Values::Bool(v) => Arc::new(BooleanArray::from(v)),
            Values::Date(v) => Arc::new(Date32Array::from(v)),
            Values::Ts(v) => Arc::new(TimestampMicrosecondArray::from(v)),
        }
    }

    pub fn nulls(ty: Ty, n: usize) -> Values {
        match ty {
            Ty::Text => Values::Text(StringArray::new_null(n)),
            Ty::Int => Values::Int(vec![None; n]),
            Ty::Float => Values::Float(vec![None; n]),
            Ty::Bool => Values::Bool(vec![None; n]),
            Ty::Date => Values::Date(vec![None; n]),
            Ty::Timestamp => Values::Ts(vec![None; n]),
        }
    }

    pub fn text(&self) -> &StringArray {
        match self {
            Values::Text(a) => a,
            _ => unreachable!("text column"),
        }
    }
    pub fn floats(&self) -> &[Option<f64>] {
        match self {
            Values::Float(v) => v,
            _ => unreachable!("float column"),
        }
    }
    pub fn ints(&self) -> &[Option<i32>] {
        match self {
            Values::Int(v) => v,
            _ => unreachable!("int column"),
        }
    }
    pub fn timestamps(&self) -> &[Option<i64>] {
        match self {
            Values::Ts(v) => v,
            _ => unreachable!("timestamp column"),
        }
    }
    pub fn dates(&self) -> &[Option<i32>] {
        match self {
            Values::Date(v) => v,
            _ => unreachable!("date column"),
        }
    }
    pub fn bools(&self) -> &[Option<bool>] {
        match self {
            Values::Bool(v) => v,
            _ => unreachable!("bool column"),
        }
    }
}

/// The longest key value (team, story, session, voter, sprint, card), in characters.
pub const MAX_KEY_CHARS: usize = 200;

/// What is wrong with a key value, if anything: keys name things in lists, links and files,
/// so they are one line without tabs, and short.
pub fn key_problem(value: &str) -> Option<String> {
    // Bytes, not chars: these are ASCII, never part of a longer UTF-8 sequence.
    if let Some(b) = value.bytes().find(|b| matches!(b, b'\n' | b'\r' | b'\t')) {
        let what = if b == b'\t' { "a tab" } else { "a line break" };
        return Some(format!(
            "\"{}\" holds {what}; a key is one line without tabs",
            shown(value)
        ));
    }
    if value.len() > MAX_KEY_CHARS {
        let n = value.chars().count();
        if n > MAX_KEY_CHARS {
            return Some(format!(
                "\"{}\" is {n} characters long; a key has at most {MAX_KEY_CHARS}",
                shown(value)
            ));
        }
    }
    None
}

/// Types one field of a raw table, reporting every value that does not fit; `key`: the field
/// is part of its kind's key (see [`key_problem`]).
pub fn type_field(
    raw: &RawTable,
    header: Option<&str>,
    field: &FieldSpec,
    key: bool,
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
    // Why a cell did not parse: what the column expects.
    let expected = |c: &str| format!("\"{}\" is not {}", shown(c), field.ty.describe());
    // Dates: the user's style first, when given.
    let style = raw.date_format.as_deref();
    let styled_expected = |c: &str| {
        let why = match style {
            Some(f) => format!(
                "\"{}\" is not {} nor in the style of --date-format \"{}\"",
                shown(c),
                field.ty.describe(),
                shown(f)
            ),
            None => expected(c),
        };
        match crate::ingest::values::spreadsheet_serial_day(c) {
            Some(day) => format!(
                "{why}; it looks like a spreadsheet's day number ({day}): format the column as \
                 a date before saving"
            ),
            None => why,
        }
    };
    macro_rules! typed {
        ($variant:ident, $parse:expr) => {
            typed!($variant, $parse, expected)
        };
        ($variant:ident, $parse:expr, $why:expr) => {{
            let parse = $parse;
            let why = $why;
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
                            bad(problems, row, why(c));
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
                    Some(c) => {
                        if key && let Some(m) = key_problem(c) {
                            bad(problems, row, m);
                        }
                        b.append_value(c)
                    }
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
        Ty::Int => typed!(
            Int,
            |c: &str| parse_int(&raw.number_text(c)).and_then(|v| i32::try_from(v).ok()),
            |c: &str| match parse_int(&raw.number_text(c)) {
                Some(_) => format!(
                    "{} is out of range (whole numbers from {} to {})",
                    shown(c),
                    i32::MIN,
                    i32::MAX
                ),
                None => expected(c),
            }
        ),
        Ty::Float => {
            let v = typed!(Float, |c: &str| parse_float(&raw.number_text(c)));
            if field.nonneg
                && let Values::Float(ref vals) = v
            {
                for (row, x) in vals.iter().enumerate() {
                    match x {
                        Some(x) if *x < 0.0 => bad(
                            problems,
                            row,
                            format!("{} must not be negative", format_number(*x)),
                        ),
                        Some(x) if *x > MAX_AMOUNT => bad(
                            problems,
                            row,
                            format!(
                                "{} is too large for points, hours or days (at most {})",
                                shown(cells.get(row).map(str::trim).unwrap_or_default()),
                                format_number(MAX_AMOUNT)
                            ),
                        ),
                        _ => {}
                    }
                }
            }
            v
        }
        Ty::Bool => typed!(Bool, parse_bool),
        Ty::Date => typed!(
            Date,
            |c: &str| parse_date_styled(c, style).map(days_since_epoch),
            styled_expected
        ),
        Ty::Timestamp => typed!(
            Ts,
            |c: &str| parse_timestamp_styled(c, style).map(|d| d.and_utc().timestamp_micros()),
            styled_expected
        ),
    }
}

/// The file's columns typed by name, plus the team of every row.
pub struct Typed {
    values: HashMap<&'static str, Values>,
    pub present: Vec<&'static str>,
    pub team: StringArray,
}

impl Typed {
    pub fn take(&mut self, name: &str) -> Values {
        self.values.remove(name).expect("typed field")
    }
    pub fn get(&self, name: &str) -> &Values {
        &self.values[name]
    }
    pub fn has(&self, name: &str) -> bool {
        self.present.contains(&name)
    }
}

pub fn type_table(
    raw: &RawTable,
    spec: &KindSpec,
    defaults: &Defaults,
    problems: &mut Problems,
) -> Option<(Typed, TeamsNamed)> {
    let before = problems.total;
    let mut present = Vec::new();
    let mut headers = Vec::new();
    for field in spec.fields {
        let h = find_column(&raw.columns, field);
        if field.required && h.is_none() {
            problems.push(Problem {
                file: raw.file.clone(),
                line: Some(raw.header_line),
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
                    shown_list(&raw.columns, 30)
                ),
            });
        }
        if let Some(h) = h {
            present.push(field.name);
            // A JSON list or object where a field reads a value (elsewhere it is ignored).
            if let Some(n) = raw.nested.iter().find(|n| n.column == h) {
                problems.push(n.problem(&raw.file));
            }
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
                    let v = type_field(raw, h, field, spec.keys.contains(&field.name), &mut p);
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
    // Where each team's program was given (else where the team was first named).
    let mut program_line: BTreeMap<String, usize> = BTreeMap::new();
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
                if let Some(m) = key_problem(t) {
                    problems.push(Problem::at(&raw.file, raw.line(row), Some("team"), m));
                }
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
                            "team \"{}\" is in program \"{}\" on line {} and in \"{}\" here",
                            shown(t),
                            shown(e),
                            program_line[t],
                            shown(p)
                        ),
                    ));
                } else if existing.is_none() && p.is_some() {
                    teams.insert(t.to_string(), p.map(str::to_string));
                    program_line.insert(t.to_string(), raw.line(row));
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
        TeamsNamed {
            programs: teams,
            lines: program_line,
        },
    ))
}

/// The teams a file names: each with the program the file or `--program` gives it, and the
/// line that gave it (else the line that first named the team).
pub struct TeamsNamed {
    pub programs: BTreeMap<String, Option<String>>,
    pub lines: BTreeMap<String, usize>,
}
