//! How the command line's values are typed: each parser returns the value or the message a
//! user reads (clap adds which flag and value it was).

use crate::domain::Kind;
use crate::ingest::export::{Source, parse_map};
use crate::metrics::points::GroupBy;
use crate::present::table::Format;
use chrono::NaiveDate;

pub fn format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("--format {s}: expected table, json, csv or markdown"))
}

pub fn kind(s: &str) -> Result<Kind, String> {
    Kind::parse(s).ok_or_else(|| {
        format!(
            "--kind {s}: expected one of {}",
            Kind::ALL.map(|k| k.name()).join(", ")
        )
    })
}

pub fn source(s: &str) -> Result<Source, String> {
    Source::parse(s).ok_or_else(|| format!("--from {s}: expected jira, azure or linear"))
}

pub fn group_by(s: &str) -> Result<GroupBy, String> {
    match s.to_ascii_lowercase().as_str() {
        "team" => Ok(GroupBy::Team),
        "program" => Ok(GroupBy::Program),
        other => Err(format!("--by {other}: expected team or program")),
    }
}

fn date(flag: &str, value: &str) -> Result<NaiveDate, String> {
    crate::domain::parse_day(value).ok_or_else(|| {
        format!(
            "{flag} {}: expected a date YYYY-MM-DD between {} and {}",
            crate::error::shown(value),
            crate::domain::FIRST_DAY,
            crate::domain::LAST_DAY
        )
    })
}

pub fn since(s: &str) -> Result<NaiveDate, String> {
    date("--since", s)
}

pub fn as_of(s: &str) -> Result<NaiveDate, String> {
    date("--as-of", s)
}

pub fn start(s: &str) -> Result<NaiveDate, String> {
    date("--start", s)
}

pub fn window(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("--window must be at least 1".into()),
        Ok(w) => Ok(w),
        Err(_) => Err(format!("--window {s}: expected a whole number")),
    }
}

/// A strftime format chrono can read: at least one specifier, and no unknown one (`%Q`).
pub fn date_format(s: &str) -> Result<String, String> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item> = StrftimeItems::new(s).collect();
    let bad = items.iter().any(|i| matches!(i, Item::Error));
    let fields = items
        .iter()
        .any(|i| matches!(i, Item::Numeric(..) | Item::Fixed(_)));
    if s.is_empty() || bad || !fields {
        return Err(format!(
            "--date-format {:?}: expected a chrono format such as \"%d.%m.%Y %H:%M\"{}",
            crate::error::shown(s),
            if bad {
                " (it has a specifier chrono does not know)"
            } else {
                ""
            }
        ));
    }
    Ok(s.to_string())
}

/// A team or program named on the command line: not empty.
pub fn name(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("expected a name, not an empty value".into());
    }
    Ok(s.to_string())
}

/// `--map "field=Column,..."` as pairs.
#[derive(Debug, Clone)]
pub struct FieldMap(pub Vec<(String, String)>);

pub fn field_map(s: &str) -> Result<FieldMap, String> {
    parse_map(s).map(FieldMap)
}
