//! The ingest flags' values, typed the same way on the command line (`sprintlens ingest`)
//! and in the query of `POST /api/v1/ingest`: each parser returns the value or the message a
//! user reads.

use crate::domain::Kind;
use crate::ingest::export::Source;

pub fn kind(s: &str) -> Result<Kind, String> {
    kind_as(s, "--kind ")
}

/// [`kind`], its message naming the value as `said` (`--kind ` on the command line, `kind=` in
/// the ingest query).
pub fn kind_as(s: &str, said: &str) -> Result<Kind, String> {
    Kind::parse(s).ok_or_else(|| {
        format!(
            "{said}{}: expected one of {}",
            crate::error::shown(s),
            Kind::ALL.map(|k| k.name()).join(", ")
        )
    })
}

pub fn source(s: &str) -> Result<Source, String> {
    source_as(s, "--from ")
}

/// [`source`], its message naming the value as `said`.
pub fn source_as(s: &str, said: &str) -> Result<Source, String> {
    Source::parse(s).ok_or_else(|| {
        format!(
            "{said}{}: expected jira, azure, linear, parabol, thunderdome or wide",
            crate::error::shown(s)
        )
    })
}

/// A strftime format chrono can read: at least one specifier, and no unknown one (`%Q`).
pub fn date_format(s: &str) -> Result<String, String> {
    date_format_as(s, "--date-format ")
}

/// [`date_format`], its message naming the value as `said`.
pub fn date_format_as(s: &str, said: &str) -> Result<String, String> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item> = StrftimeItems::new(s).collect();
    let bad = items.iter().any(|i| matches!(i, Item::Error));
    let fields = items
        .iter()
        .any(|i| matches!(i, Item::Numeric(..) | Item::Fixed(_)));
    if s.is_empty() || bad || !fields {
        return Err(format!(
            "{said}{:?}: expected a chrono format such as \"%d.%m.%Y %H:%M\"{}",
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
