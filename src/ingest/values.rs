//! Ingest: single values from text cells: booleans, numbers, dates and times in the shapes
//! files use. `None` means the text is not such a value; callers name the file and line.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// A number written with a decimal comma (`2,5`, as spreadsheets in many locales write them
/// into semicolon-separated files) with a decimal point instead; any other text as it is.
pub fn decimal_point(s: &str) -> std::borrow::Cow<'_, str> {
    let t = s.trim();
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    match unsigned.split_once(',') {
        Some((whole, fraction)) if digits(whole) && digits(fraction) => {
            std::borrow::Cow::Owned(t.replacen(',', ".", 1))
        }
        _ => std::borrow::Cow::Borrowed(s),
    }
}

/// A number cell as the number parsers read it: [`decimal_point`] where the file writes
/// decimal commas, else as it is.
pub fn number_text(cell: &str, decimal_comma: bool) -> std::borrow::Cow<'_, str> {
    if decimal_comma {
        decimal_point(cell)
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A finite number; `-0` is 0 (a value never carries a sign without a size).
pub fn parse_float(s: &str) -> Option<f64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| if v == 0.0 { 0.0 } else { v })
}

pub fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim();
    t.parse::<i64>().ok().or_else(|| {
        let v = t.parse::<f64>().ok()?;
        (v.is_finite() && v == v.trunc() && v.abs() < 1e15).then_some(v as i64)
    })
}

/// A user's date style (`--date-format`, chrono strftime) read as a date: the whole style, or
/// (for a style with a time, such as `%d.%m.%Y %H:%M`, and a cell with only the date) its part
/// before the first space.
fn styled_date(t: &str, style: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(t, style).ok().or_else(|| {
        let date_part = style.split_whitespace().next()?;
        (date_part != style)
            .then(|| NaiveDate::parse_from_str(t, date_part).ok())
            .flatten()
    })
}

/// A date in the user's style (tried first, when given) or one of [`parse_date`]'s.
pub fn parse_date_styled(s: &str, style: Option<&str>) -> Option<NaiveDate> {
    style
        .and_then(|f| styled_date(s.trim(), f))
        .or_else(|| parse_date(s))
}

/// A time in a date style (chrono strftime): a cell with only the date is its midnight.
pub fn styled_timestamp(t: &str, style: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(t, style)
        .ok()
        .or_else(|| styled_date(t, style).and_then(|d| d.and_hms_opt(0, 0, 0)))
}

/// A time in the user's style (tried first, when given) or one of [`parse_timestamp`]'s.
pub fn parse_timestamp_styled(s: &str, style: Option<&str>) -> Option<NaiveDateTime> {
    style
        .and_then(|f| styled_timestamp(s.trim(), f))
        .or_else(|| parse_timestamp(s))
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_timestamp(t).map(|d| d.date()))
}

/// The day a spreadsheet's serial day number stands for (days since 1899-12-30, as Excel and
/// LibreOffice count them; a fraction is the time of day), when a cell is one between 1990 and
/// 2100: what a spreadsheet saves for a date cell formatted as a number.
pub fn spreadsheet_serial_day(cell: &str) -> Option<NaiveDate> {
    let n: f64 = cell.trim().parse().ok()?;
    // 1990-01-01 is day 32874, 2100-01-01 day 73051.
    if !(32874.0..73051.0).contains(&n) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(n as u64))
}

/// The common shapes `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM` and `YYYY-MM-DD[T ]HH:MM:SS`,
/// read without a format parser (millions of votes carry a time).
fn fast_timestamp(t: &str) -> Option<NaiveDateTime> {
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut v = 0u32;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as u32;
        }
        Some(v)
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let sep = b.len() > 10 && (b[10] == b'T' || b[10] == b' ');
    match b.len() {
        10 => date.and_hms_opt(0, 0, 0),
        16 if sep && b[13] == b':' => date.and_hms_opt(num(11..13)?, num(14..16)?, 0),
        19 if sep && b[13] == b':' && b[16] == b':' => {
            date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)
        }
        _ => None,
    }
}

pub fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let t = s.trim();
    if let Some(d) = fast_timestamp(t) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.naive_utc());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(d);
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

pub fn days_since_epoch(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days() as i32
}

/// The day `days` after 1970-01-01 (a stored date's value; [`days_since_epoch`] back).
pub fn epoch_day(days: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date") + chrono::Duration::days(days.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spreadsheet_s_day_numbers_are_told() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(spreadsheet_serial_day("45663"), day(2025, 1, 6));
        assert_eq!(spreadsheet_serial_day(" 45663.40 "), day(2025, 1, 6));
        assert_eq!(spreadsheet_serial_day("32874"), day(1990, 1, 1));
        for not in ["32873", "73051", "2025", "1700000000", "-45663", "x", ""] {
            assert_eq!(spreadsheet_serial_day(not), None, "{not}");
        }
    }

    #[test]
    fn minus_zero_is_zero() {
        let z = parse_float("-0").unwrap();
        assert!(z == 0.0 && z.is_sign_positive());
        assert_eq!(parse_float(" -0.0 ").map(f64::is_sign_positive), Some(true));
        assert_eq!(parse_float("-2.5"), Some(-2.5));
        assert_eq!(parse_float("inf"), None);
    }

    #[test]
    fn a_date_style_is_tried_first_and_its_date_part_for_dates() {
        let style = Some("%d.%m.%Y %H:%M");
        let day = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
        let at = |h, m| day.and_hms_opt(h, m, 0).unwrap();
        assert_eq!(
            parse_timestamp_styled(" 06.01.2025 09:35 ", style),
            Some(at(9, 35))
        );
        // A date alone: the style's date part, at midnight for a time.
        assert_eq!(parse_timestamp_styled("06.01.2025", style), Some(at(0, 0)));
        assert_eq!(parse_date_styled("06.01.2025", style), Some(day));
        assert_eq!(parse_date_styled("06.01.2025 09:35", style), Some(day));
        // ISO 8601 still reads; what fits neither does not.
        assert_eq!(
            parse_timestamp_styled("2025-01-06T09:35:00", style),
            Some(at(9, 35))
        );
        assert_eq!(parse_date_styled("2025-01-06", style), Some(day));
        assert_eq!(parse_date_styled("1/6/2025", style), None);
        assert_eq!(parse_date_styled("06.01.2025", None), None);
        // US style, unpadded.
        assert_eq!(parse_date_styled("1/6/2025", Some("%m/%d/%Y")), Some(day));
    }

    #[test]
    fn decimal_commas_become_points_and_nothing_else_changes() {
        for (text, read) in [
            ("2,5", "2.5"),
            (" -0,75 ", "-0.75"),
            ("+13,0", "+13.0"),
            ("5", "5"),
            ("2.5", "2.5"),
            ("1,2,3", "1,2,3"),
            (",5", ",5"),
            ("5,", "5,"),
            ("a,5", "a,5"),
            ("2, 5", "2, 5"),
        ] {
            assert_eq!(decimal_point(text), read, "{text:?}");
        }
        assert_eq!(parse_float(&decimal_point("2,5")), Some(2.5));
    }
}
