//! Terminal output: aligned tables (also as Markdown and CSV), the output formats, and the
//! [`Render`] every CLI report implements, so JSON is written in one place.

use crate::error::{Error, Result};
use crate::present::fmt::csv_line;
use serde::Serialize;
use std::io::Write as _;

/// The output formats of the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
    Markdown,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" | "text" => Some(Format::Table),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }
}

/// A table of text cells; numbers are right-aligned in the terminal.
#[derive(Debug, Clone)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub right: Vec<bool>,
}

impl Table {
    pub fn new(headers: &[&str], right: &[bool]) -> Table {
        Table {
            headers: headers.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
            right: right.to_vec(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Aligned columns for a terminal.
    pub fn to_text(&self) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate().take(n) {
                if i > 0 {
                    s.push_str("  ");
                }
                let pad = widths[i] - c.chars().count();
                if self.right.get(i).copied().unwrap_or(false) {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    if i + 1 < n {
                        s.push_str(&" ".repeat(pad));
                    }
                }
            }
            s.trim_end().to_string()
        };
        let mut out = line(&self.headers);
        out.push('\n');
        out.push_str(&line(
            &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
        ));
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out
    }

    pub fn to_markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = format!(
            "| {} |\n",
            self.headers
                .iter()
                .map(|h| esc(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        out.push_str(&format!(
            "|{}|\n",
            self.right
                .iter()
                .map(|r| if *r { " ---: " } else { " --- " })
                .collect::<Vec<_>>()
                .join("|")
        ));
        for r in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
            ));
        }
        out
    }

    pub fn to_csv(&self) -> String {
        let mut out = csv_line(&self.headers);
        out.push('\n');
        for r in &self.rows {
            out.push_str(&csv_line(r));
            out.push('\n');
        }
        out
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => self.to_text(),
            Format::Markdown => self.to_markdown(),
            Format::Csv => self.to_csv(),
            Format::Json => unreachable!("JSON renders the model, not the table"),
        }
    }
}

pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Error::Internal(format!("cannot write JSON: {e}")))
}

/// How JSON is written: indented (on a terminal, or asked for with `--pretty`) or compact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Json {
    #[default]
    Compact,
    Pretty,
}

/// A report the CLI prints: JSON is the model itself; the other formats are its tables.
pub trait Render: Serialize {
    /// The report as tables (text, Markdown or CSV).
    fn tables(&self, format: Format) -> Result<String>;

    fn render(&self, format: Format) -> Result<String> {
        match format {
            Format::Json => to_json(self),
            other => self.tables(other),
        }
    }

    /// Writes the report to `out`: JSON straight from the model through a buffer (a report
    /// of millions of rounds is never held as one string), the other formats as tables.
    fn write_to(&self, format: Format, json: Json, out: &mut dyn std::io::Write) -> Result<()> {
        match format {
            Format::Json => {
                let mut w = std::io::BufWriter::with_capacity(1 << 20, out);
                self.write_json(json, &mut w).map_err(json_failed)?;
                w.write_all(b"\n").map_err(stdout_failed)?;
                w.flush().map_err(stdout_failed)
            }
            other => out
                .write_all(self.tables(other)?.as_bytes())
                .map_err(stdout_failed),
        }
    }

    /// The report as JSON (without the closing newline); a report with long lists writes
    /// them with [`json_array`].
    fn write_json(&self, json: Json, w: &mut dyn std::io::Write) -> serde_json::Result<()> {
        match json {
            Json::Pretty => serde_json::to_writer_pretty(w, self),
            Json::Compact => serde_json::to_writer(w, self),
        }
    }
}

fn stdout_failed(e: std::io::Error) -> Error {
    Error::io("<stdout>", "cannot write the output")(e)
}

fn json_failed(e: serde_json::Error) -> Error {
    match e.io_error_kind() {
        Some(io) => stdout_failed(std::io::Error::from(io)),
        None => Error::Internal(format!("cannot write JSON: {e}")),
    }
}

/// Writes `items` as a compact JSON array, the same bytes as serde_json's, serialized on every
/// core a block at a time (memory stays a few blocks, whatever the length).
pub fn json_array<T: Serialize + Sync>(
    items: &[T],
    w: &mut dyn std::io::Write,
) -> serde_json::Result<()> {
    const BLOCK: usize = 4096;
    let per_step = BLOCK * crate::metrics::par::threads();
    w.write_all(b"[").map_err(serde_json::Error::io)?;
    for (i, step) in items.chunks(per_step).enumerate() {
        let parts = crate::metrics::par::map_runs(step, |run| {
            let mut buf = Vec::with_capacity(run.len() * 512);
            for (k, item) in run.iter().enumerate() {
                if k > 0 {
                    buf.push(b',');
                }
                serde_json::to_writer(&mut buf, item)?;
            }
            Ok::<_, serde_json::Error>(buf)
        });
        for (k, part) in parts.into_iter().enumerate() {
            if i > 0 || k > 0 {
                w.write_all(b",").map_err(serde_json::Error::io)?;
            }
            w.write_all(&part?).map_err(serde_json::Error::io)?;
        }
    }
    w.write_all(b"]").map_err(serde_json::Error::io)
}

/// A section heading: `## h` in Markdown, the bare line in the terminal.
pub fn heading(format: Format, h: &str) -> String {
    if format == Format::Markdown {
        format!("\n## {h}\n\n")
    } else {
        format!("\n{h}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_arrays_are_serde_json_s_bytes() {
        #[derive(Serialize)]
        struct Row {
            name: String,
            value: Option<f64>,
        }
        for n in [0, 1, 2, 4095, 4096, 4097, 20_000] {
            let rows: Vec<Row> = (0..n)
                .map(|i| Row {
                    name: format!("r\"{i}"),
                    value: (i % 3 != 0).then_some(i as f64 / 7.0),
                })
                .collect();
            let mut got = Vec::new();
            json_array(&rows, &mut got).unwrap();
            assert_eq!(got, serde_json::to_vec(&rows).unwrap(), "{n} rows");
        }
    }

    #[test]
    fn tables_align_and_escape() {
        let mut t = Table::new(&["name", "n"], &[false, true]);
        t.row(vec!["a|b".into(), "5".into()]);
        t.row(vec!["long name".into(), "1,234".into()]);
        assert_eq!(
            t.to_text(),
            "name           n\n---------  -----\na|b            5\nlong name  1,234\n"
        );
        assert_eq!(
            t.to_markdown(),
            "| name | n |\n| --- | ---: |\n| a\\|b | 5 |\n| long name | 1,234 |\n"
        );
        assert_eq!(t.to_csv(), "name,n\na|b,5\nlong name,\"1,234\"\n");
        // A title a spreadsheet would run stays text; a negative number stays a number.
        t.row(vec!["=HYPERLINK(\"x\")".into(), "-3".into()]);
        assert!(
            t.to_csv().ends_with("\n\"'=HYPERLINK(\"\"x\"\")\",-3\n"),
            "{}",
            t.to_csv()
        );
    }
}
