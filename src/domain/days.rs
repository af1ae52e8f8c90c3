//! The days people and URLs give sprintlens (`--as-of`, `--since`, `?as_of=`): `YYYY-MM-DD`
//! between 1900-01-01 and 9999-12-31, the range every output and query can represent.

use chrono::{Datelike, NaiveDate};

/// The first day a flag or parameter may name.
pub const FIRST_DAY: &str = "1900-01-01";
/// The last day a flag or parameter may name.
pub const LAST_DAY: &str = "9999-12-31";

/// A day written `YYYY-MM-DD` in the range, or `None`.
pub fn parse_day(value: &str) -> Option<NaiveDate> {
    let t = value.trim();
    let b = t.as_bytes();
    if b.len() != 10 || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=9999).contains(&d.year()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_four_digit_years_in_range() {
        assert_eq!(
            parse_day(" 2025-07-01 "),
            NaiveDate::from_ymd_opt(2025, 7, 1)
        );
        for bad in [
            "+10000-01-01",
            "10000-01-01",
            "1899-12-31",
            "2025-02-30",
            "2025-7-1",
            "",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        assert!(parse_day(LAST_DAY).is_some() && parse_day(FIRST_DAY).is_some());
    }
}
