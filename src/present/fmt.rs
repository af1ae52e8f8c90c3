//! Every number and piece of text sprintlens shows, formatted in one place: numbers with up to
//! N decimals, percentages, counts with separators, undefined values ("unknown" vs "n/a"), and
//! the escapes of each output (CSV, XML/HTML, Markdown, URLs).

use crate::domain::Undefined;

/// A number for a table: up to `decimals` places, trailing zeros dropped; `n/a` when undefined.
pub fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        None => "n/a".to_string(),
        Some(x) => {
            let s = format!("{x:.decimals$}");
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        }
    }
}

/// A share as a whole percentage; `n/a` when undefined.
pub fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.0}%", x * 100.0))
        .unwrap_or_else(|| "n/a".into())
}

/// A share as a percentage with one decimal: 0.9835 -> "98.4%".
pub fn pct1(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "n/a".into())
}

/// Thousands separators for counts in tables: 2,048,311.
pub fn count(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// An optional value as text, `-` when absent.
pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "-".into())
}

/// A figure named in words, as pages say it (a report's field key is for machines):
/// `rolling_mean` is "Rolling mean velocity".
pub fn figure_name(key: &str) -> String {
    let known = match key {
        "committed" => "Committed points",
        "completed" => "Completed points",
        "added" => "Added points",
        "removed" => "Removed points",
        "difference" => "Difference (completed minus committed)",
        "say_do" => "Say/do",
        "rolling_mean" => "Rolling mean velocity",
        "rolling_median" => "Rolling median velocity",
        "rolling_sd" => "Rolling standard deviation",
        "rolling_cv" => "Rolling coefficient of variation",
        "sd" => "Standard deviation",
        "cv" => "Coefficient of variation",
        "all_sd" => "Standard deviation over every sprint",
        "all_cv" => "Coefficient of variation over every sprint",
        "trend_slope" => "Trend",
        "variance" => "Variance",
        "how_much" => "How much in the next sprints",
        "when" => "When the backlog is done",
        "mdmre" => "Median relative error (MdMRE)",
        "medians_rise" => "Whether medians rise with points",
        "ratio_spread" => "Ratio spread",
        "spread_change" => "Spread change",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let words = key.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => words,
    }
}

/// Card steps (a whole number) or `n/a`.
pub fn steps(v: Option<i64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "n/a".into())
}

/// A value as shown where it may be undefined: `shown` when defined, else "unknown" (the
/// source cannot tell) or "n/a" (does not apply). `why` is the field's entry in the row's
/// undefined reasons.
pub fn known(why: Option<&Undefined>, shown: String) -> String {
    match why {
        Some(u) if u.is_unknown() => u.shown().to_string(),
        _ => shown,
    }
}

/// Quotes a CSV value when it needs it.
pub fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A report's CSV cell: quoted when it needs it, and a value a spreadsheet would run as a
/// formula (starting with `=`, `+`, `@`, a tab, a carriage return, or `-` when it is not a
/// number) kept as text by a leading `'`. Story titles and names are user text; a report opened
/// in a spreadsheet must not run them. (Data files meant to be read back use [`csv_field`].)
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    let formula = s.starts_with(['=', '+', '@', '\t', '\r'])
        || (s.starts_with('-') && s.parse::<f64>().is_err());
    if formula {
        std::borrow::Cow::Owned(csv_field(&format!("'{s}")).into_owned())
    } else {
        csv_field(s)
    }
}

/// One line of a report's CSV (without its newline): each cell a [`csv_cell`].
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    cells
        .iter()
        .map(|c| csv_cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Escapes text for XML and HTML (tooltips, labels).
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// User text in a Markdown paragraph: characters Markdown or HTML would act on are escaped.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a path segment or query value (everything but unreserved characters).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_named_in_words() {
        assert_eq!(figure_name("rolling_mean"), "Rolling mean velocity");
        assert_eq!(figure_name("say_do"), "Say/do");
        // A key without words of its own still reads as words, never as a key.
        assert_eq!(figure_name("first_spread"), "First spread");
        assert_eq!(figure_name(""), "");
    }

    #[test]
    fn counts_get_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(2048311), "2,048,311");
        assert_eq!(count(-1000), "-1,000");
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn report_cells_do_not_run_as_formulas() {
        assert_eq!(csv_cell("-2"), "-2");
        assert_eq!(csv_cell("-0.33"), "-0.33");
        assert_eq!(csv_cell("plain, text"), "\"plain, text\"");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(csv_cell("+49 call"), "'+49 call");
        assert_eq!(csv_cell("@me"), "'@me");
        assert_eq!(csv_cell("-rf"), "'-rf");
        assert_eq!(csv_cell("\tx"), "'\tx");
    }

    #[test]
    fn undefined_shows_unknown_or_the_value() {
        use crate::domain::undefined::{na, unknown};
        assert_eq!(known(Some(&unknown("no start")), "5".into()), "unknown");
        assert_eq!(known(Some(&na("one sprint")), "n/a".into()), "n/a");
        assert_eq!(known(None, "5".into()), "5");
        assert_eq!(num(Some(2.50), 2), "2.5");
        assert_eq!(pct(Some(0.666)), "67%");
        assert_eq!(enc("a b/ç"), "a%20b%2F%C3%A7");
    }
}
