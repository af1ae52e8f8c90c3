//! The ingest flags' values, typed the same way on the command line (`sprintlens ingest`)
//! and in the query of `POST /api/v1/ingest`: each parser returns the value or why not (clap
//! names the flag and the value before it; the `_as` forms name them for the query).

use crate::domain::Kind;
use crate::ingest::export::Source;
use crate::ingest::read::Encoding;

pub fn kind(s: &str) -> Result<Kind, String> {
    Kind::parse(s)
        .ok_or_else(|| format!("expected one of {}", Kind::ALL.map(|k| k.name()).join(", ")))
}

/// A parser's message naming the value as `said` gave it (`kind=` in the ingest query).
fn said_as<T>(parse: fn(&str) -> Result<T, String>, s: &str, said: &str) -> Result<T, String> {
    parse(s).map_err(|why| format!("{said}{}: {why}", crate::error::shown(s)))
}

/// [`kind`], its message naming the value as `said`.
pub fn kind_as(s: &str, said: &str) -> Result<Kind, String> {
    said_as(kind, s, said)
}

pub fn source(s: &str) -> Result<Source, String> {
    Source::parse(s).ok_or_else(|| format!("expected {}", Source::listed()))
}

/// [`source`], its message naming the value as `said`.
pub fn source_as(s: &str, said: &str) -> Result<Source, String> {
    said_as(source, s, said)
}

pub fn encoding(s: &str) -> Result<Encoding, String> {
    Encoding::parse(s).ok_or_else(|| "expected utf-8 or windows-1252 (latin1)".to_string())
}

/// [`encoding`], its message naming the value as `said`.
pub fn encoding_as(s: &str, said: &str) -> Result<Encoding, String> {
    said_as(encoding, s, said)
}

/// [`date_format`], its message naming the value as `said` (quoted: a format has spaces).
pub fn date_format_as(s: &str, said: &str) -> Result<String, String> {
    date_format(s).map_err(|why| format!("{said}{:?}: {why}", crate::error::shown(s)))
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
            "expected a chrono format such as \"%d.%m.%Y %H:%M\"{}",
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
