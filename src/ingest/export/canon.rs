//! What every importer shares: the command-line options, canonical rows with the export's line
//! numbers, reading dates and points with named errors, and the [`Tool`] descriptor each tool
//! module fills in.

use crate::domain::schema::MAX_AMOUNT;
use crate::domain::{ItemStatus, Kind};
use crate::error::{Problem, Problems, shown};
use crate::ingest::export::records::Records;
use crate::ingest::read::RawTable;
use crate::ingest::values::{number_text, parse_float, parse_timestamp, styled_timestamp};
use crate::settings::Settings;
use chrono::NaiveDateTime;
use polars::prelude::{Column, DataFrame};
use std::collections::{BTreeMap, HashSet};

/// Where an export comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Jira,
    Azure,
    Linear,
    /// Parabol's poker summary CSV (final estimates only).
    Parabol,
    /// A saved Thunderdome game (JSON; votes of the last round only).
    Thunderdome,
    /// A Poinz room's export (JSON; votes of the last round only).
    Poinz,
    /// One row per story, one column per voter (planningpoker.live, spreadsheets).
    Wide,
}

impl Source {
    pub const ALL: [Source; 7] = [
        Source::Jira,
        Source::Azure,
        Source::Linear,
        Source::Parabol,
        Source::Thunderdome,
        Source::Poinz,
        Source::Wide,
    ];

    /// Every source's name, as messages list them: "jira, azure, ... or wide".
    pub fn listed() -> String {
        let names = Source::ALL.map(Source::name);
        let (last, rest) = names.split_last().expect("sources");
        format!("{} or {last}", rest.join(", "))
    }

    pub fn parse(s: &str) -> Option<Source> {
        match s.to_ascii_lowercase().as_str() {
            "jira" => Some(Source::Jira),
            "azure" | "azure-devops" | "ado" => Some(Source::Azure),
            "linear" => Some(Source::Linear),
            "parabol" => Some(Source::Parabol),
            "thunderdome" => Some(Source::Thunderdome),
            "poinz" => Some(Source::Poinz),
            "wide" => Some(Source::Wide),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Source::Jira => "jira",
            Source::Azure => "azure",
            Source::Linear => "linear",
            Source::Parabol => "parabol",
            Source::Thunderdome => "thunderdome",
            Source::Poinz => "poinz",
            Source::Wide => "wide",
        }
    }
}

/// How to read export files (from the command line).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `--from`; `None`: recognise from the header.
    pub from: Option<Source>,
    /// `--points-field`: the column holding story points.
    pub points_field: Option<String>,
    /// `--date-format` (chrono strftime), tried before the source's own styles.
    pub date_format: Option<String>,
    /// `--map field=Column,...` for any CSV (with `--kind`).
    pub map: Vec<(String, String)>,
    /// `--encoding`: how files that are not UTF-8 are read (every file, native or export).
    pub encoding: crate::ingest::read::Encoding,
}

impl ImportOptions {
    pub fn active(&self) -> bool {
        self.from.is_some() || !self.map.is_empty()
    }
}

/// What an importer needs from the command line and settings, and the notes it leaves: what
/// it read though it was not as the format says, or left out (the ingest's summary lists them).
pub struct Context<'a> {
    pub options: &'a ImportOptions,
    pub team: Option<&'a str>,
    pub settings: &'a Settings,
    pub notes: std::cell::RefCell<Vec<String>>,
}

/// A tool's saved JSON as parsed, or (`None`) a problem saying what the file should have been
/// (`what`: "a Poinz room export (the JSON of ...)").
pub fn parsed_or_say<T, E: std::fmt::Display>(
    file: &str,
    parsed: Result<T, E>,
    what: &str,
    problems: &mut Problems,
) -> Option<T> {
    match parsed {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(Problem::file(file, format!("is not {what}: {e}")));
            None
        }
    }
}

impl<'a> Context<'a> {
    pub fn new(options: &'a ImportOptions, team: Option<&'a str>, settings: &'a Settings) -> Self {
        Context {
            options,
            team,
            settings,
            notes: Default::default(),
        }
    }

    /// Leaves a note for the summary.
    pub fn note(&self, note: String) {
        self.notes.borrow_mut().push(note);
    }

    /// `--team`, for a file that names no team (`what`: "a Poinz room"); without it, a problem
    /// that asks for it.
    pub fn team_or_ask(&self, file: &str, what: &str, problems: &mut Problems) -> Option<&'a str> {
        if self.team.is_none() {
            problems.push(Problem::file(
                file,
                format!("{what} names no team; say which with --team"),
            ));
        }
        self.team
    }
}

/// One tool's importer: the columns it reads, where points and dates come from, how its header
/// is recognised, and how its rows become canonical rows.
pub struct Tool {
    pub name: &'static str,
    /// The columns read (besides the points columns); the others are skipped while parsing.
    pub columns: &'static [&'static str],
    /// The columns read for story points without `--points-field`, first filled wins.
    pub points: &'static [&'static str],
    /// Date styles tried, in order, after any `--date-format`.
    pub date_formats: &'static [&'static str],
    /// The columns that mark a header as this tool's (all of them; checked against the other
    /// tools: only one may fit).
    pub header: &'static [&'static str],
    /// Turns the kept rows into canonical rows.
    pub read: fn(&Import, &mut Reader, &mut Canon) -> Option<()>,
}

impl Tool {
    /// Whether a header is this tool's.
    pub fn recognises(&self, header: &[String]) -> bool {
        self.header
            .iter()
            .all(|c| header.iter().any(|h| h.eq_ignore_ascii_case(c)))
    }
}

/// One export being imported: its file, records (the kept columns looked up by name) and what
/// was asked.
pub struct Import<'a> {
    pub file: &'a str,
    pub records: &'a Records,
    pub cols: Cols<'a>,
    pub ctx: &'a Context<'a>,
}

/// The points columns: `--points-field`, else the tool's usual ones that exist.
pub fn points_columns(
    file: &str,
    options: &ImportOptions,
    cols: &Cols,
    usual: &[&str],
    problems: &mut Problems,
) -> Option<Vec<usize>> {
    match &options.points_field {
        Some(p) => match cols.find(&[p.as_str()]) {
            Some(c) => Some(vec![c]),
            None => {
                problems.push(Problem::at(
                    file,
                    cols.line,
                    None,
                    format!(
                        "--points-field \"{}\": the export has no such column",
                        shown(p)
                    ),
                ));
                None
            }
        },
        None => Some(usual.iter().filter_map(|n| cols.find(&[n])).collect()),
    }
}

/// Rows of optional cells, each with the export line it came from.
type Rows = Vec<(u32, Vec<Option<String>>)>;

#[derive(Default)]
pub struct Canon {
    /// Column names per kind, then the rows.
    tables: BTreeMap<Kind, (Vec<&'static str>, Rows)>,
    /// Canonical columns the export has no source for: left out, so that an import does not
    /// blank what another file set (only the columns a file carries are updated).
    absent: HashSet<(Kind, &'static str)>,
}

impl Canon {
    pub fn push(&mut self, kind: Kind, line: u32, cells: Vec<(&'static str, Option<String>)>) {
        let t = self
            .tables
            .entry(kind)
            .or_insert_with(|| (cells.iter().map(|c| c.0).collect(), Vec::new()));
        t.1.push((line, cells.into_iter().map(|c| c.1).collect()));
    }

    /// Leaves `column` of `kind` out when the export has no source column for it.
    pub fn source(&mut self, kind: Kind, column: &'static str, present: bool) {
        if !present {
            self.absent.insert((kind, column));
        }
    }

    pub fn into_tables(self, file: &str) -> Vec<(Kind, RawTable)> {
        let absent = self.absent;
        self.tables
            .into_iter()
            .map(|(kind, (all, rows))| {
                let keep: Vec<usize> = (0..all.len())
                    .filter(|j| !absent.contains(&(kind, all[*j])))
                    .collect();
                let names: Vec<&str> = keep.iter().map(|j| all[*j]).collect();
                let lines: Vec<u32> = rows.iter().map(|r| r.0).collect();
                let columns: Vec<Column> = keep
                    .iter()
                    .map(|&j| {
                        let cells: Vec<Option<&str>> =
                            rows.iter().map(|r| r.1[j].as_deref()).collect();
                        Column::new(all[j].into(), cells)
                    })
                    .collect();
                let frame = DataFrame::new(columns).expect("columns of equal length");
                (
                    kind,
                    RawTable {
                        file: file.to_string(),
                        columns: names.iter().map(|s| s.to_string()).collect(),
                        frame,
                        lines,
                        // Every column is made here: no header problem can arise.
                        header_line: 1,
                        // Canonical text: numbers written with a decimal point, dates in
                        // ISO 8601.
                        decimal_comma: false,
                        date_format: None,
                        nested: Vec::new(),
                    },
                )
            })
            .collect()
    }
}

/// Reads dates and numbers of one export, naming the file, line and column on failure.
pub struct Reader<'a> {
    pub file: &'a str,
    pub header: &'a [String],
    pub formats: Vec<String>,
    /// Numbers are written with a decimal comma (a semicolon-separated export).
    pub decimal_comma: bool,
    pub problems: &'a mut Problems,
}

impl Reader<'_> {
    pub fn bad(&mut self, line: u32, col: usize, msg: String) {
        self.problems.push(Problem::at(
            self.file,
            line as usize,
            Some(&self.header[col]),
            msg,
        ));
    }

    /// A timestamp as canonical text (`YYYY-MM-DDTHH:MM:SS`); empty is unknown.
    pub fn time(&mut self, line: u32, col: Option<usize>, row: &[String]) -> Option<NaiveDateTime> {
        let col = col?;
        let v = row[col].as_str();
        if v.is_empty() {
            return None;
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
            return Some(t.naive_utc());
        }
        if let Some(t) = self.formats.iter().find_map(|f| styled_timestamp(v, f)) {
            return Some(t);
        }
        if let Some(t) = parse_timestamp(v) {
            return Some(t);
        }
        let tried = if self.formats.is_empty() {
            "ISO 8601".to_string()
        } else {
            format!("ISO 8601, {}", self.formats.join(", "))
        };
        self.bad(
            line,
            col,
            format!(
                "cannot read \"{}\" as a date (tried {tried}); name the style with --date-format",
                shown(v)
            ),
        );
        None
    }

    /// The first filled of the points columns.
    pub fn first_points(&mut self, line: u32, cols: &[usize], row: &[String]) -> Option<f64> {
        cols.iter().find_map(|c| self.points(line, Some(*c), row))
    }

    pub fn points(&mut self, line: u32, col: Option<usize>, row: &[String]) -> Option<f64> {
        let col = col?;
        let v = row[col].as_str();
        if v.is_empty() {
            return None;
        }
        match parse_float(&number_text(v, self.decimal_comma)).map(points_in_range) {
            Some(Ok(x)) => Some(x),
            Some(Err(why)) => {
                self.bad(line, col, format!("\"{}\": {why}", shown(v)));
                None
            }
            None => {
                self.bad(
                    line,
                    col,
                    format!("\"{}\" is not a number of points", shown(v)),
                );
                None
            }
        }
    }
}

/// Points as an export gives them: not negative and at most [`MAX_AMOUNT`] (as native files).
fn points_in_range(x: f64) -> Result<f64, String> {
    if !x.is_finite() || x < 0.0 {
        Err("points cannot be negative".into())
    } else if x > MAX_AMOUNT {
        Err(format!(
            "too large for points (at most {})",
            crate::domain::format_number(MAX_AMOUNT)
        ))
    } else {
        Ok(x)
    }
}

pub fn iso(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
}

pub fn cell(row: &[String], col: Option<usize>) -> Option<String> {
    col.map(|c| row[c].clone()).filter(|s| !s.is_empty())
}

/// A status at the sprint's end: the team's done and removed names, anything else not done.
pub fn status(settings: &Settings, team: &str, s: &str) -> ItemStatus {
    match settings.team(team).statuses.parse(s) {
        Some(ItemStatus::Done) => ItemStatus::Done,
        Some(ItemStatus::Removed) => ItemStatus::Removed,
        _ => ItemStatus::NotDone,
    }
}

/// Removed when the status says so; otherwise unknown (an export does not show what left a
/// sprint).
fn removed_flag(s: ItemStatus) -> Option<String> {
    (s == ItemStatus::Removed).then(|| "true".to_string())
}

/// A canonical story row.
pub fn story_cells(
    team: &str,
    story: &str,
    title: Option<String>,
    typ: Option<String>,
    created_at: Option<NaiveDateTime>,
    estimate: Option<f64>,
) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("team", Some(team.to_string())),
        ("story", Some(story.to_string())),
        ("title", title),
        ("type", typ),
        ("created_at", iso(created_at)),
        ("estimate", estimate.map(|e| e.to_string())),
    ]
}

/// A final score (a card label) as points: empty, `?` and `Pass` are unknown; a label that is not a number
/// takes its points from the team's deck (or is an error that says how to give them).
/// `decimal_comma`: the file writes numbers with a decimal comma (`2,5`).
pub fn score_points(
    score: &str,
    team: &str,
    deck: &crate::domain::Deck,
    decimal_comma: bool,
) -> Result<Option<f64>, String> {
    let score = score.trim();
    if score.is_empty() || score == "?" || score.eq_ignore_ascii_case("pass") {
        return Ok(None);
    }
    match parse_float(&number_text(score, decimal_comma)).map(points_in_range) {
        Some(Ok(v)) => Ok(Some(v)),
        Some(Err(why)) => Err(format!("\"{}\": {why}", shown(score))),
        None => deck
            .card(score)
            .and_then(|c| c.value)
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "\"{}\" is neither a number nor a card of team \"{}\"'s deck ({}); give the \
                 team a deck with that card (deck in sprintlens.toml or a decks file)",
                    shown(score),
                    shown(team),
                    deck.describe()
                )
            }),
    }
}

/// A canonical votes row of a source that keeps only the story's last round (stored as
/// round 1, marked so that figures needing earlier rounds say unknown).
pub fn last_round_vote(
    team: &str,
    session: &str,
    story: &str,
    voter: &str,
    card: &str,
    voted_at: Option<String>,
) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("team", Some(team.to_string())),
        ("session", Some(session.to_string())),
        ("story", Some(story.to_string())),
        ("round", Some("1".into())),
        ("voter", Some(voter.to_string())),
        ("card", Some(card.to_string())),
        ("voted_at", voted_at),
        ("last_round_only", Some("true".into())),
    ]
}

/// A canonical sprint item row; the completion time only when the item is done.
pub fn item_cells(
    team: &str,
    sprint: &str,
    story: &str,
    estimate: Option<f64>,
    st: ItemStatus,
    started: Option<NaiveDateTime>,
    completed: Option<NaiveDateTime>,
) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("team", Some(team.to_string())),
        ("sprint_id", Some(sprint.to_string())),
        ("story", Some(story.to_string())),
        ("points_end", estimate.map(|e| e.to_string())),
        ("status", Some(st.name().into())),
        ("removed", removed_flag(st)),
        ("started_at", iso(started)),
        (
            "completed_at",
            if st == ItemStatus::Done {
                iso(completed)
            } else {
                None
            },
        ),
    ]
}

/// The columns an importer reads, found by name (first of the names that exists).
pub struct Cols<'a> {
    pub header: &'a [String],
    /// The header's line, where problems of the columns are told.
    pub line: usize,
}

impl Cols<'_> {
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h.eq_ignore_ascii_case(n)))
    }
    pub fn all(&self, names: &[&str]) -> Vec<usize> {
        (0..self.header.len())
            .filter(|i| {
                names
                    .iter()
                    .any(|n| self.header[*i].eq_ignore_ascii_case(n))
            })
            .collect()
    }
}

pub fn missing(file: &str, tool: &str, what: &str, records: &Records, problems: &mut Problems) {
    let header = &records.header;
    let first: Vec<String> = header.iter().take(12).map(|h| shown(h)).collect();
    problems.push(Problem::at(
        file,
        records.header_line as usize,
        None,
        format!(
            "this {tool} export has no {what} column; its header starts {}{}",
            first.join(", "),
            if header.len() > 12 { ", ..." } else { "" }
        ),
    ));
}
