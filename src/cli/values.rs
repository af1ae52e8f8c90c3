//! How the command line's values are typed: each parser returns the value or the message a
//! user reads (clap adds which flag and value it was).

use crate::ingest::export::parse_map;
pub use crate::ingest::flags::{date_format, encoding, kind, name, source};
use crate::metrics::points::GroupBy;
use crate::present::table::Format;
use chrono::NaiveDate;

pub fn format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| "expected table, json, csv or markdown".to_string())
}

pub fn group_by(s: &str) -> Result<GroupBy, String> {
    match s.to_ascii_lowercase().as_str() {
        "team" => Ok(GroupBy::Team),
        "program" => Ok(GroupBy::Program),
        _ => Err("expected team or program".into()),
    }
}

/// A day (`--since`, `--as-of`, `--today`, `--start`).
pub fn day(value: &str) -> Result<NaiveDate, String> {
    crate::domain::parse_day(value).ok_or_else(|| {
        format!(
            "expected a date YYYY-MM-DD between {} and {}",
            crate::domain::FIRST_DAY,
            crate::domain::LAST_DAY
        )
    })
}

pub fn window(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(w) => Ok(w),
        Err(_) => Err("expected a whole number".into()),
    }
}

/// `--map "field=Column,..."` as pairs.
#[derive(Debug, Clone)]
pub struct FieldMap(pub Vec<(String, String)>);

pub fn field_map(s: &str) -> Result<FieldMap, String> {
    parse_map(s).map(FieldMap)
}

pub fn scope(s: &str) -> Result<crate::web::tokens::Scope, String> {
    crate::web::tokens::Scope::parse(s)
        .ok_or_else(|| "expected read, room, ingest or admin".to_string())
}

pub fn log_format(s: &str) -> Result<crate::settings::LogFormat, String> {
    crate::settings::LogFormat::parse(s).ok_or_else(|| "expected text or json".to_string())
}
