//! The days people and URLs give sprintlens (`--as-of`, `--since`, `?as_of=`): `YYYY-MM-DD`
//! between 1900-01-01 and 9999-12-31, the range every output and query can represent.

use chrono::{Datelike, NaiveDate};

/// The first day a flag or parameter may name.
pub const FIRST_DAY: &str = "1900-01-01";
/// The last day a flag or parameter may name.
pub const LAST_DAY: &str = "9999-12-31";

/// The last day any output shows: a plan later than it is no date.
pub fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid day")
}

/// The day `days` (rounded) after `from`, when it is at most [`LAST_DAY`]; else `None` (a
/// forecast from sprints thousands of days long ran past any calendar, and overflowed).
pub fn days_after(from: NaiveDate, days: f64) -> Option<NaiveDate> {
    let d = days.round();
    // 4,000,000 days is past 9999-12-31 from any day after year 0.
    if !(-4e6..=4e6).contains(&d) {
        return None;
    }
    from.checked_add_signed(chrono::TimeDelta::try_days(d as i64)?)
        .filter(|day| *day <= last_day())
}

/// The day numbered `n` from 1 January of year 1 (day 1), when it is at most [`LAST_DAY`].
pub fn day_from_ce(n: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(n).ok()?).filter(|day| *day <= last_day())
}

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
        assert_eq!(parse_day(LAST_DAY), Some(last_day()));
    }

    #[test]
    fn days_after_stop_at_the_last_day() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 2).unwrap();
        assert_eq!(days_after(d, 31.5), NaiveDate::from_ymd_opt(2025, 4, 3));
        assert_eq!(days_after(d, -1.0), NaiveDate::from_ymd_opt(2025, 3, 1));
        let eve = NaiveDate::from_ymd_opt(9999, 12, 30).unwrap();
        assert_eq!(days_after(eve, 1.0), Some(last_day()));
        assert_eq!(days_after(eve, 2.0), None);
        // Far past chrono's own range, and not a number: no day, no overflow.
        for far in [1e9, 3.7e9, -1e12, f64::INFINITY, f64::NAN] {
            assert_eq!(days_after(d, far), None, "{far}");
        }
        let n = i64::from(d.num_days_from_ce());
        assert_eq!(day_from_ce(n), Some(d));
        assert_eq!(
            day_from_ce(i64::from(last_day().num_days_from_ce()) + 1),
            None
        );
        // 2^32 days on would wrap to the same day as an i32.
        assert_eq!(day_from_ce(n + (1_i64 << 32)), None);
    }
}
