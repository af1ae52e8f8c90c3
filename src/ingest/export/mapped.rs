//! Any CSV through `--map field=Column,...`: the mapped columns take the canonical names and the
//! rows are checked as native rows of the kind (`--kind`, or the one the mapped names reveal).

use crate::domain::Kind;
use crate::domain::schema::spec;
use crate::error::{Problem, Problems, shown, shown_list};
use crate::ingest::export::records::read_records;
use crate::ingest::read::RawTable;
use crate::ingest::typing::detect_kind;
use polars::prelude::{Column, DataFrame};

/// Parses `--map "story=Key,points=SP"` into pairs.
pub fn parse_map(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (f, c) = part
            .split_once('=')
            .ok_or_else(|| format!("--map: \"{}\" is not field=Column", shown(part)))?;
        let (f, c) = (f.trim(), c.trim());
        if f.is_empty() || c.is_empty() {
            return Err(format!("--map: \"{}\" is not field=Column", shown(part)));
        }
        let f = f.to_ascii_lowercase();
        if out.iter().any(|(g, _)| *g == f) {
            return Err(format!(
                "--map: field \"{}\" is mapped twice; map each field once",
                shown(&f)
            ));
        }
        out.push((f, c.to_string()));
    }
    if out.is_empty() {
        return Err("--map: no field=Column pairs".into());
    }
    Ok(out)
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
    // Problems of the mapping are told at the header's line.
    let at = records.header_line as usize;
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
                at,
                None,
                format!(
                    "--map {}={}: the file has no column \"{}\"; it has {}",
                    shown(field),
                    shown(col),
                    shown(col),
                    shown_list(header, 30)
                ),
            )),
        }
    }
    let kind = match kind.or_else(|| detect_kind(&names)) {
        Some(k) => k,
        None => {
            problems.push(Problem::at(
                file,
                at,
                None,
                "--map: say what the rows are with --kind",
            ));
            return None;
        }
    };
    // Each mapped name stands for one field of the kind (its name or an alias), once.
    let spec = spec(kind);
    let mut canonical: Vec<String> = Vec::new();
    for f in &names {
        let field = if f == "team" || f == "program" {
            Some(f.as_str())
        } else {
            spec.fields
                .iter()
                .find(|s| s.name == f || s.aliases.iter().any(|a| a == f))
                .map(|s| s.name)
        };
        match field {
            None => {
                let fields: Vec<&str> = spec.fields.iter().map(|s| s.name).collect();
                problems.push(Problem::at(
                    file,
                    at,
                    None,
                    format!(
                        "--map {}=...: {} rows have no field \"{}\"; they have team, {}",
                        shown(f),
                        kind.name(),
                        shown(f),
                        fields.join(", ")
                    ),
                ));
            }
            Some(name) if canonical.iter().any(|c| c == name) => {
                problems.push(Problem::at(
                    file,
                    at,
                    None,
                    format!(
                        "--map: field \"{name}\" is mapped twice (as {}); map each field once",
                        shown(f)
                    ),
                ));
            }
            Some(name) => canonical.push(name.to_string()),
        }
    }
    if problems.total > before {
        return None;
    }
    let lines: Vec<u32> = records.rows.iter().map(|r| r.0).collect();
    let columns: Vec<Column> = canonical
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
    let frame = match DataFrame::new(columns) {
        Ok(f) => f,
        Err(e) => {
            problems.push(Problem::file(file, format!("cannot be read: {e}")));
            return None;
        }
    };
    Some((
        kind,
        RawTable {
            file: file.to_string(),
            columns: canonical,
            frame,
            lines,
            header_line: records.header_line as usize,
            decimal_comma: crate::ingest::read::decimal_comma(records.separator),
            date_format: None,
            nested: Vec::new(),
        },
    ))
}
