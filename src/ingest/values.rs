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

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_timestamp(t).map(|d| d.date()))
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
    fn minus_zero_is_zero() {
        let z = parse_float("-0").unwrap();
        assert!(z == 0.0 && z.is_sign_positive());
        assert_eq!(parse_float(" -0.0 ").map(f64::is_sign_positive), Some(true));
        assert_eq!(parse_float("-2.5"), Some(-2.5));
        assert_eq!(parse_float("inf"), None);
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
