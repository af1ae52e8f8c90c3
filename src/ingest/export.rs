//! Importers for tool exports: Jira (Cloud and Server/Data Center), Azure DevOps Boards and
//! Linear CSV exports, and any CSV through a column mapping (`--map`). Each turns the export
//! into canonical rows (stories, sprints, sprint items) carrying the export's own line numbers,
//! which then pass the same checks and the same single write as native files.
//!
//! An export holds today's state, not the sprint's start. What each importer derives and what
//! it leaves unknown is written beside each source below and in the README ("Importing
//! exports"); unknown values stay NULL in the store.

use super::text::RawTable;
use crate::config::Settings;
use crate::domain::{ItemStatus, Kind};
use crate::error::{Problem, Problems};
use chrono::{NaiveDate, NaiveDateTime};
use polars::prelude::{Column, DataFrame};
use std::collections::{BTreeMap, HashSet};

/// Where an export comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Jira,
    Azure,
    Linear,
}

impl Source {
    pub fn parse(s: &str) -> Option<Source> {
        match s.to_ascii_lowercase().as_str() {
            "jira" => Some(Source::Jira),
            "azure" | "azure-devops" | "ado" => Some(Source::Azure),
            "linear" => Some(Source::Linear),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Source::Jira => "jira",
            Source::Azure => "azure",
            Source::Linear => "linear",
        }
    }

    /// The columns read for story points without `--points-field`, first filled wins.
    fn points_columns(self) -> &'static [&'static str] {
        match self {
            Source::Jira => &[
                "Custom field (Story Points)",
                "Custom field (Story point estimate)",
            ],
            Source::Azure => &[
                "Story Points",
                "Effort",
                "Microsoft.VSTS.Scheduling.StoryPoints",
                "Microsoft.VSTS.Scheduling.Effort",
            ],
            Source::Linear => &["Estimate"],
        }
    }

    /// Date styles tried, in order, after any `--date-format`.
    fn date_formats(self) -> &'static [&'static str] {
        match self {
            // Cloud: 25/Feb/26 10:17 PM; Server/DC and issues.apache.org: 22/Oct/21 16:55.
            Source::Jira => &[
                "%d/%b/%y %I:%M %p",
                "%d/%b/%y %H:%M",
                "%d/%b/%Y %I:%M %p",
                "%d/%b/%Y %H:%M",
            ],
            // The export follows the user's locale; US style is the default.
            Source::Azure => &[
                "%m/%d/%Y %I:%M:%S %p",
                "%m/%d/%Y %I:%M %p",
                "%m/%d/%Y %H:%M:%S",
                "%m/%d/%Y %H:%M",
                "%m/%d/%Y",
            ],
            Source::Linear => &[],
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
}

impl ImportOptions {
    pub fn active(&self) -> bool {
        self.from.is_some() || !self.map.is_empty()
    }
}

/// Parses `--map "story=Key,points=SP"` into pairs.
pub fn parse_map(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (f, c) = part
            .split_once('=')
            .ok_or_else(|| format!("--map: \"{part}\" is not field=Column"))?;
        let (f, c) = (f.trim(), c.trim());
        if f.is_empty() || c.is_empty() {
            return Err(format!("--map: \"{part}\" is not field=Column"));
        }
        out.push((f.to_ascii_lowercase(), c.to_string()));
    }
    if out.is_empty() {
        return Err("--map: no field=Column pairs".into());
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------------
// CSV records, as tools write them

/// An export's header and rows. Rows keep only the columns an importer asked for, in
/// header order (`kept` names them), so a 155-column export costs only what is read.
pub struct Records {
    pub header: Vec<String>,
    pub kept: Vec<String>,
    /// (line on which the row starts, the kept fields).
    pub rows: Vec<(u32, Vec<String>)>,
}

/// Splits CSV bytes into records of fields: RFC 4180 quoting, quoted fields across lines,
/// CRLF or LF, a byte-order mark. Repeated column names are kept (`Sprint`, `Sprint`, ...); a
/// row one field short of the header (a trailing empty field dropped, as Linear writes them)
/// is padded. Only the columns for which `keep` says yes are copied out.
pub fn read_records(
    file: &str,
    bytes: &[u8],
    keep: &dyn Fn(&[String]) -> Vec<bool>,
    problems: &mut Problems,
) -> Option<Records> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let before = problems.total;
    let mut header: Option<Vec<String>> = None;
    let mut kept: Vec<bool> = Vec::new();
    // Rows hold only the kept fields: reserve for those, not for the whole header.
    let mut kept_count = 0usize;
    let mut rows = Vec::new();
    let mut i = 0usize;
    let mut line = 1u32;
    let n = body.len();
    let mut field = Vec::<u8>::new();
    while i < n {
        let start_line = line;
        let mut fields: Vec<String> = Vec::with_capacity(kept_count.max(1));
        let mut count = 0usize;
        let mut bad_utf8 = false;
        // One record.
        loop {
            field.clear();
            let mut quoted = false;
            if i < n && body[i] == b'"' {
                quoted = true;
                i += 1;
                loop {
                    if i >= n {
                        problems.push(Problem::at(
                            file,
                            start_line as usize,
                            None,
                            "a quoted field is never closed",
                        ));
                        return None;
                    }
                    let b = body[i];
                    if b == b'"' {
                        if i + 1 < n && body[i + 1] == b'"' {
                            field.push(b'"');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    if b == b'\n' {
                        line += 1;
                    }
                    field.push(b);
                    i += 1;
                }
            }
            while i < n && body[i] != b',' && body[i] != b'\n' && body[i] != b'\r' {
                if quoted && body[i] != b' ' {
                    problems.push(Problem::at(
                        file,
                        line as usize,
                        None,
                        "text after a closing quote; quote the whole field",
                    ));
                    quoted = false;
                }
                field.push(body[i]);
                i += 1;
            }
            let want = header.is_none() || kept.get(count).copied().unwrap_or(false);
            if want {
                match std::str::from_utf8(&field) {
                    Ok(s) => fields.push(s.trim().to_string()),
                    Err(_) => {
                        bad_utf8 = true;
                        fields.push(String::new());
                    }
                }
            } else if header.is_none() {
                fields.push(String::new());
            }
            count += 1;
            if i < n && body[i] == b',' {
                i += 1;
                continue;
            }
            // End of record.
            if i < n && body[i] == b'\r' {
                i += 1;
            }
            if i < n && body[i] == b'\n' {
                i += 1;
            }
            line += 1;
            break;
        }
        if bad_utf8 {
            problems.push(Problem::at(
                file,
                start_line as usize,
                None,
                "bytes that are not UTF-8; save the export as UTF-8",
            ));
            continue;
        }
        if count == 1 && field.is_empty() && header.is_some() {
            continue; // a blank line
        }
        match &header {
            None => {
                kept = keep(&fields);
                kept_count = kept.iter().filter(|k| **k).count();
                header = Some(fields);
            }
            Some(h) => {
                if count + 1 == h.len() {
                    if kept[h.len() - 1] {
                        fields.push(String::new());
                    }
                } else if count != h.len() {
                    problems.push(Problem::at(
                        file,
                        start_line as usize,
                        None,
                        format!("{count} fields where the header has {}", h.len()),
                    ));
                    continue;
                }
                rows.push((start_line, fields));
            }
        }
    }
    let Some(header) = header else {
        problems.push(Problem::file(file, "the file is empty"));
        return None;
    };
    let kept = header
        .iter()
        .zip(&kept)
        .filter(|(_, k)| **k)
        .map(|(h, _)| h.clone())
        .collect();
    (problems.total == before).then_some(Records { header, kept, rows })
}

/// Which tool wrote a header, when only one fits.
pub fn detect(header: &[String]) -> Option<Source> {
    let has = |c: &str| header.iter().any(|h| h.eq_ignore_ascii_case(c));
    let jira = has("Issue key") && has("Summary");
    let azure = has("Iteration Path") && has("Work Item Type");
    let linear = has("Cycle Number") && has("Estimate") && has("Team");
    match (jira, azure, linear) {
        (true, false, false) => Some(Source::Jira),
        (false, true, false) => Some(Source::Azure),
        (false, false, true) => Some(Source::Linear),
        _ => None,
    }
}

// ----------------------------------------------------------------------------------------
// Canonical rows

/// Rows of optional cells, each with the export line it came from.
type Rows = Vec<(u32, Vec<Option<String>>)>;

#[derive(Default)]
struct Canon {
    /// Column names per kind, then the rows.
    tables: BTreeMap<Kind, (Vec<&'static str>, Rows)>,
    /// Canonical columns the export has no source for: left out, so that an import does not
    /// blank what another file set (only the columns a file carries are updated).
    absent: HashSet<(Kind, &'static str)>,
}

impl Canon {
    fn push(&mut self, kind: Kind, line: u32, cells: Vec<(&'static str, Option<String>)>) {
        let t = self
            .tables
            .entry(kind)
            .or_insert_with(|| (cells.iter().map(|c| c.0).collect(), Vec::new()));
        t.1.push((line, cells.into_iter().map(|c| c.1).collect()));
    }

    /// Leaves `column` of `kind` out when the export has no source column for it.
    fn source(&mut self, kind: Kind, column: &'static str, present: bool) {
        if !present {
            self.absent.insert((kind, column));
        }
    }

    fn into_tables(self, file: &str) -> Vec<(Kind, RawTable)> {
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
                    },
                )
            })
            .collect()
    }
}

/// Reads dates and numbers of one export, naming the file, line and column on failure.
struct Reader<'a> {
    file: &'a str,
    header: &'a [String],
    formats: Vec<String>,
    problems: &'a mut Problems,
}

impl Reader<'_> {
    fn bad(&mut self, line: u32, col: usize, msg: String) {
        self.problems.push(Problem::at(
            self.file,
            line as usize,
            Some(&self.header[col]),
            msg,
        ));
    }

    /// A timestamp as canonical text (`YYYY-MM-DDTHH:MM:SS`); empty is unknown.
    fn time(&mut self, line: u32, col: Option<usize>, row: &[String]) -> Option<NaiveDateTime> {
        let col = col?;
        let v = row[col].as_str();
        if v.is_empty() {
            return None;
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
            return Some(t.naive_utc());
        }
        for f in &self.formats {
            if let Ok(t) = NaiveDateTime::parse_from_str(v, f) {
                return Some(t);
            }
            if let Ok(d) = NaiveDate::parse_from_str(v, f) {
                return d.and_hms_opt(0, 0, 0);
            }
        }
        if let Some(t) = super::native::parse_timestamp(v) {
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
                "cannot read \"{v}\" as a date (tried {tried}); name the style with --date-format"
            ),
        );
        None
    }

    /// The first filled of the points columns.
    fn first_points(&mut self, line: u32, cols: &[usize], row: &[String]) -> Option<f64> {
        cols.iter().find_map(|c| self.points(line, Some(*c), row))
    }

    fn points(&mut self, line: u32, col: Option<usize>, row: &[String]) -> Option<f64> {
        let col = col?;
        let v = row[col].as_str();
        if v.is_empty() {
            return None;
        }
        match super::native::parse_float(v) {
            Some(x) if x.is_finite() && x >= 0.0 => Some(x),
            Some(_) => {
                self.bad(line, col, format!("\"{v}\": points cannot be negative"));
                None
            }
            None => {
                self.bad(line, col, format!("\"{v}\" is not a number of points"));
                None
            }
        }
    }
}

fn iso(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
}

fn cell(row: &[String], col: Option<usize>) -> Option<String> {
    col.map(|c| row[c].clone()).filter(|s| !s.is_empty())
}

/// A status at the sprint's end: the team's done and removed names, anything else not done.
fn status(settings: &Settings, team: &str, s: &str) -> ItemStatus {
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

fn status_name(s: ItemStatus) -> &'static str {
    match s {
        ItemStatus::Done => "done",
        ItemStatus::NotDone => "not_done",
        ItemStatus::Removed => "removed",
    }
}

/// A canonical story row.
fn story_cells(
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

/// A canonical sprint item row; the completion time only when the item is done.
fn item_cells(
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
        ("status", Some(status_name(st).into())),
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
struct Cols<'a> {
    header: &'a [String],
}

impl Cols<'_> {
    fn find(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h.eq_ignore_ascii_case(n)))
    }
    fn all(&self, names: &[&str]) -> Vec<usize> {
        (0..self.header.len())
            .filter(|i| {
                names
                    .iter()
                    .any(|n| self.header[*i].eq_ignore_ascii_case(n))
            })
            .collect()
    }
}

fn missing(file: &str, source: Source, what: &str, header: &[String], problems: &mut Problems) {
    let shown: Vec<&str> = header.iter().take(12).map(String::as_str).collect();
    problems.push(Problem::at(
        file,
        1,
        None,
        format!(
            "this {} export has no {what} column; its header starts {}{}",
            source.name(),
            shown.join(", "),
            if header.len() > 12 { ", ..." } else { "" }
        ),
    ));
}

/// What an importer needs from the command line and settings.
pub struct Context<'a> {
    pub options: &'a ImportOptions,
    pub team: Option<&'a str>,
    pub settings: &'a Settings,
}

/// The columns a source reads; the others are skipped while parsing.
fn wanted(source: Source, options: &ImportOptions, header: &[String]) -> Vec<bool> {
    let names: &[&str] = match source {
        Source::Jira => &[
            "Issue key",
            "Summary",
            "Issue Type",
            "Status",
            "Created",
            "Resolved",
            "Sprint",
            "Custom field (Sprint)",
            "Project key",
        ],
        Source::Azure => &[
            "ID",
            "Title",
            "Work Item Type",
            "State",
            "Created Date",
            "Activated Date",
            "Resolved Date",
            "Closed Date",
            "Iteration Path",
        ],
        Source::Linear => &[
            "ID",
            "Team",
            "Title",
            "Status",
            "Estimate",
            "Cycle Number",
            "Cycle Name",
            "Cycle Start",
            "Cycle End",
            "Created",
            "Started",
            "Completed",
            "Canceled",
        ],
    };
    header
        .iter()
        .map(|h| {
            names
                .iter()
                .chain(source.points_columns())
                .any(|n| h.eq_ignore_ascii_case(n))
                || options
                    .points_field
                    .as_deref()
                    .is_some_and(|p| h.eq_ignore_ascii_case(p))
        })
        .collect()
}

/// Reads one export into canonical tables (teams come from the rows).
pub fn import(
    file: &str,
    bytes: &[u8],
    ctx: &Context,
    problems: &mut Problems,
) -> Option<Vec<(Kind, RawTable)>> {
    let source_cell = std::cell::Cell::new(ctx.options.from);
    let header_problem = std::cell::RefCell::new(None::<String>);
    let keep = |header: &[String]| -> Vec<bool> {
        let source = match source_cell.get().or_else(|| detect(header)) {
            Some(s) => s,
            None => {
                *header_problem.borrow_mut() = Some(
                    "cannot tell which tool wrote this export from its header; say --from jira, azure or linear (or use --map with --kind)"
                        .to_string(),
                );
                return vec![false; header.len()];
            }
        };
        source_cell.set(Some(source));
        wanted(source, ctx.options, header)
    };
    let records = read_records(file, bytes, &keep, problems)?;
    if let Some(m) = header_problem.into_inner() {
        problems.push(Problem::at(file, 1, None, m));
        return None;
    }
    let source = source_cell.get()?;
    let mut formats: Vec<String> = ctx.options.date_format.iter().cloned().collect();
    formats.extend(source.date_formats().iter().map(|s| s.to_string()));
    // Lookups and messages go through the kept columns (rows hold only those).
    let full = &records.header;
    let header = &records.kept;
    let cols = Cols { header };
    let mut r = Reader {
        file,
        header,
        formats,
        problems,
    };
    let mut canon = Canon::default();
    let points_col = |names: &[&str], r: &mut Reader| -> Option<Vec<usize>> {
        match &ctx.options.points_field {
            Some(p) => match cols.find(&[p.as_str()]) {
                Some(c) => Some(vec![c]),
                None => {
                    r.problems.push(Problem::at(
                        file,
                        1,
                        None,
                        format!("--points-field \"{p}\": the export has no such column"),
                    ));
                    None
                }
            },
            None => Some(names.iter().filter_map(|n| cols.find(&[n])).collect()),
        }
    };
    match source {
        Source::Jira => {
            let key = cols.find(&["Issue key"]);
            let status_col = cols.find(&["Status"]);
            if key.is_none() {
                missing(file, source, "\"Issue key\"", full, r.problems);
            }
            if status_col.is_none() {
                missing(file, source, "\"Status\"", full, r.problems);
            }
            let project = cols.find(&["Project key"]);
            if ctx.team.is_none() && project.is_none() {
                r.problems.push(Problem::at(file, 1, None, "the export has no \"Project key\" column to name the team; name it with --team"));
            }
            let points = points_col(source.points_columns(), &mut r)?;
            let (Some(key), Some(status_col)) = (key, status_col) else {
                return None;
            };
            let sprints = cols.all(&["Sprint", "Custom field (Sprint)"]);
            let (title, typ, created, resolved) = (
                cols.find(&["Summary"]),
                cols.find(&["Issue Type"]),
                cols.find(&["Created"]),
                cols.find(&["Resolved"]),
            );
            canon.source(Kind::Stories, "title", title.is_some());
            canon.source(Kind::Stories, "type", typ.is_some());
            canon.source(Kind::Stories, "created_at", created.is_some());
            canon.source(Kind::Stories, "estimate", !points.is_empty());
            canon.source(Kind::SprintItems, "points_end", !points.is_empty());
            canon.source(Kind::SprintItems, "completed_at", resolved.is_some());
            // Jira exports no start of work.
            canon.source(Kind::SprintItems, "started_at", false);
            for (line, row) in &records.rows {
                let line = *line;
                let Some(story) = cell(row, Some(key)) else {
                    r.bad(line, key, "the issue key is empty".into());
                    continue;
                };
                let team = match ctx.team.map(str::to_string).or_else(|| cell(row, project)) {
                    Some(t) => t,
                    None => {
                        r.problems.push(Problem::at(
                            file,
                            line as usize,
                            None,
                            "no project key to name the team; name it with --team",
                        ));
                        continue;
                    }
                };
                let estimate = r.first_points(line, &points, row);
                let created_at = r.time(line, created, row);
                let resolved_at = r.time(line, resolved, row);
                canon.push(
                    Kind::Stories,
                    line,
                    story_cells(
                        &team,
                        &story,
                        cell(row, title),
                        cell(row, typ),
                        created_at,
                        estimate,
                    ),
                );
                // Sprints in column order, each named once: every sprint but the last did not
                // finish the issue (carry-over); the last has the status today.
                let mut seen: Vec<String> = Vec::new();
                for c in &sprints {
                    if let Some(s) = cell(row, Some(*c))
                        && !seen.contains(&s)
                    {
                        seen.push(s);
                    }
                }
                let now = status(ctx.settings, &team, &row[status_col]);
                for (k, s) in seen.iter().enumerate() {
                    let last = k + 1 == seen.len();
                    let st = if last { now } else { ItemStatus::NotDone };
                    canon.push(
                        Kind::SprintItems,
                        line,
                        item_cells(
                            &team,
                            s,
                            &story,
                            estimate,
                            st,
                            None,
                            resolved_at.filter(|_| last),
                        ),
                    );
                }
            }
        }
        Source::Azure => {
            let key = cols.find(&["ID"]);
            let state = cols.find(&["State"]);
            let path = cols.find(&["Iteration Path"]);
            for (c, n) in [
                (key, "\"ID\""),
                (state, "\"State\""),
                (path, "\"Iteration Path\""),
            ] {
                if c.is_none() {
                    missing(file, source, n, full, r.problems);
                }
            }
            let points = points_col(source.points_columns(), &mut r)?;
            let (Some(key), Some(state), Some(path)) = (key, state, path) else {
                return None;
            };
            let (title, typ, created, activated, done_at) = (
                cols.find(&["Title"]),
                cols.find(&["Work Item Type"]),
                cols.find(&["Created Date"]),
                cols.find(&["Activated Date"]),
                cols.find(&["Closed Date", "Resolved Date"]),
            );
            canon.source(Kind::Stories, "title", title.is_some());
            canon.source(Kind::Stories, "type", typ.is_some());
            canon.source(Kind::Stories, "created_at", created.is_some());
            canon.source(Kind::Stories, "estimate", !points.is_empty());
            canon.source(Kind::SprintItems, "points_end", !points.is_empty());
            canon.source(Kind::SprintItems, "started_at", activated.is_some());
            canon.source(Kind::SprintItems, "completed_at", done_at.is_some());
            for (line, row) in &records.rows {
                let line = *line;
                let Some(story) = cell(row, Some(key)) else {
                    r.bad(line, key, "the work item ID is empty".into());
                    continue;
                };
                // Project\Team\Sprint 3 -> team "Team", sprint "Sprint 3"; a bare project
                // (or area root) is the backlog, no sprint.
                let parts: Vec<&str> = row[path]
                    .split('\\')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                let team = match ctx.team {
                    Some(t) => t.to_string(),
                    None => match parts.len() {
                        0 => {
                            r.bad(
                                line,
                                path,
                                "the iteration path is empty; name the team with --team".into(),
                            );
                            continue;
                        }
                        1 => parts[0].to_string(),
                        n => parts[n - 2].to_string(),
                    },
                };
                let sprint = (parts.len() >= 2).then(|| parts[parts.len() - 1].to_string());
                let estimate = r.first_points(line, &points, row);
                let created_at = r.time(line, created, row);
                let started = r.time(line, activated, row);
                let finished = r.time(line, done_at, row);
                canon.push(
                    Kind::Stories,
                    line,
                    story_cells(
                        &team,
                        &story,
                        cell(row, title),
                        cell(row, typ),
                        created_at,
                        estimate,
                    ),
                );
                if let Some(s) = sprint {
                    let st = status(ctx.settings, &team, &row[state]);
                    canon.push(
                        Kind::SprintItems,
                        line,
                        item_cells(&team, &s, &story, estimate, st, started, finished),
                    );
                }
            }
        }
        Source::Linear => {
            let key = cols.find(&["ID"]);
            let status_col = cols.find(&["Status"]);
            let team_col = cols.find(&["Team"]);
            for (c, n) in [(key, "\"ID\""), (status_col, "\"Status\"")] {
                if c.is_none() {
                    missing(file, source, n, full, r.problems);
                }
            }
            if ctx.team.is_none() && team_col.is_none() {
                missing(file, source, "\"Team\"", full, r.problems);
            }
            let points = points_col(source.points_columns(), &mut r)?;
            let (Some(key), Some(status_col)) = (key, status_col) else {
                return None;
            };
            let (title, number, cname, cstart, cend, created, started, completed, canceled) = (
                cols.find(&["Title"]),
                cols.find(&["Cycle Number"]),
                cols.find(&["Cycle Name"]),
                cols.find(&["Cycle Start"]),
                cols.find(&["Cycle End"]),
                cols.find(&["Created"]),
                cols.find(&["Started"]),
                cols.find(&["Completed"]),
                cols.find(&["Canceled"]),
            );
            canon.source(Kind::Stories, "title", title.is_some());
            canon.source(Kind::Stories, "type", false);
            canon.source(Kind::Stories, "created_at", created.is_some());
            canon.source(Kind::Stories, "estimate", !points.is_empty());
            canon.source(Kind::SprintItems, "points_end", !points.is_empty());
            canon.source(Kind::SprintItems, "started_at", started.is_some());
            canon.source(Kind::SprintItems, "completed_at", completed.is_some());
            let mut cycles: HashSet<(String, String)> = HashSet::new();
            for (line, row) in &records.rows {
                let line = *line;
                let Some(story) = cell(row, Some(key)) else {
                    r.bad(line, key, "the issue ID is empty".into());
                    continue;
                };
                let Some(team) = ctx.team.map(str::to_string).or_else(|| cell(row, team_col))
                else {
                    r.problems.push(Problem::at(
                        file,
                        line as usize,
                        None,
                        "no team; name it with --team",
                    ));
                    continue;
                };
                let estimate = r.first_points(line, &points, row);
                let created_at = r.time(line, created, row);
                let started_at = r.time(line, started, row);
                let completed_at = r.time(line, completed, row);
                let canceled_at = r.time(line, canceled, row);
                let start = r.time(line, cstart, row);
                let end = r.time(line, cend, row);
                canon.push(
                    Kind::Stories,
                    line,
                    story_cells(&team, &story, cell(row, title), None, created_at, estimate),
                );
                let Some(cycle) = cell(row, number) else {
                    continue; // not in a cycle: backlog
                };
                if let (Some(s), Some(e)) = (start, end)
                    && cycles.insert((team.clone(), cycle.clone()))
                {
                    canon.push(
                        Kind::Sprints,
                        line,
                        vec![
                            ("team", Some(team.clone())),
                            ("sprint_id", Some(cycle.clone())),
                            (
                                "name",
                                cell(row, cname).or_else(|| Some(format!("Cycle {cycle}"))),
                            ),
                            ("start_date", Some(s.date().to_string())),
                            // Linear's cycle end is the next cycle's start instant.
                            (
                                "end_date",
                                Some(
                                    if e.time() == chrono::NaiveTime::MIN && e.date() > s.date() {
                                        e.date().pred_opt().unwrap_or(e.date())
                                    } else {
                                        e.date()
                                    }
                                    .to_string(),
                                ),
                            ),
                        ],
                    );
                }
                // Done in this cycle only if completed by its end; completed later, the cycle
                // did not finish it. Canceled: removed.
                let mut st = status(ctx.settings, &team, &row[status_col]);
                if canceled_at.is_some() {
                    st = ItemStatus::Removed;
                }
                if st == ItemStatus::Done
                    && let (Some(c), Some(e)) = (completed_at, end)
                    && c > e
                {
                    st = ItemStatus::NotDone;
                }
                canon.push(
                    Kind::SprintItems,
                    line,
                    item_cells(
                        &team,
                        &cycle,
                        &story,
                        estimate,
                        st,
                        started_at,
                        completed_at,
                    ),
                );
            }
        }
    }
    Some(canon.into_tables(file))
}

/// Any CSV through `--map field=Column,...`: the mapped columns take the canonical names,
/// and the rows are checked as native rows of `kind`.
pub fn mapped(
    file: &str,
    bytes: &[u8],
    map: &[(String, String)],
    kind: Option<Kind>,
    problems: &mut Problems,
) -> Option<(Kind, RawTable)> {
    let records = read_records(file, bytes, &|h: &[String]| vec![true; h.len()], problems)?;
    let before = problems.total;
    let header = &records.header;
    let mut names: Vec<String> = Vec::new();
    let mut picks: Vec<usize> = Vec::new();
    for (field, col) in map {
        match header
            .iter()
            .position(|h| h == col)
            .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case(col)))
        {
            Some(c) => {
                names.push(field.clone());
                picks.push(c);
            }
            None => problems.push(Problem::at(
                file,
                1,
                None,
                format!(
                    "--map {field}={col}: the file has no column \"{col}\"; it has {}",
                    header.join(", ")
                ),
            )),
        }
    }
    let kind = match kind.or_else(|| super::native::detect_kind(&names)) {
        Some(k) => k,
        None => {
            problems.push(Problem::at(
                file,
                1,
                None,
                "--map: say what the rows are with --kind",
            ));
            return None;
        }
    };
    let spec = super::native::spec(kind);
    for f in &names {
        let known = f == "team"
            || f == "program"
            || spec
                .fields
                .iter()
                .any(|s| s.name == f || s.aliases.iter().any(|a| a == f));
        if !known {
            let fields: Vec<&str> = spec.fields.iter().map(|s| s.name).collect();
            problems.push(Problem::at(
                file,
                1,
                None,
                format!(
                    "--map {f}=...: {} rows have no field \"{f}\"; they have team, {}",
                    kind.name(),
                    fields.join(", ")
                ),
            ));
        }
    }
    if problems.total > before {
        return None;
    }
    let lines: Vec<u32> = records.rows.iter().map(|r| r.0).collect();
    let columns: Vec<Column> = names
        .iter()
        .zip(&picks)
        .map(|(n, c)| {
            let cells: Vec<Option<&str>> = records
                .rows
                .iter()
                .map(|r| Some(r.1[*c].as_str()).filter(|s| !s.is_empty()))
                .collect();
            Column::new(n.as_str().into(), cells)
        })
        .collect();
    let frame = DataFrame::new(columns).ok()?;
    Some((
        kind,
        RawTable {
            file: file.to_string(),
            columns: names,
            frame,
            lines,
        },
    ))
}
