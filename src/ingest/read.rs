//! Ingest, first step: turns a file's bytes into a table of text cells (a Polars frame of
//! String columns) and remembers the line each row started on.
//!
//! CSV is checked byte by byte before Polars parses it, because Polars cannot say which line
//! broke: bytes that are not UTF-8, control characters, a row with the wrong number of fields
//! and broken quoting are reported here with their line, and such a file never reaches the
//! parser. NDJSON is read line by line with serde_json for the same reason.

use crate::error::{Problem, Problems};
use polars::prelude::*;
use std::io::Cursor;

/// A file read into text cells, not yet typed.
pub struct RawTable {
    /// The file name as the user gave it, for messages.
    pub file: String,
    /// Column names in file order, trimmed.
    pub columns: Vec<String>,
    /// One String column per file column (`None` for an empty cell).
    pub frame: DataFrame,
    /// 1-based line on which each row starts.
    pub lines: Vec<u32>,
    /// The line of the header (1 unless [`preamble`] lines come before it; 1 for NDJSON).
    pub header_line: usize,
    /// Numbers are written with a decimal comma (`2,5`): the file is separated by semicolons.
    pub decimal_comma: bool,
    /// The user's date style (`--date-format`), tried before ISO 8601 on the file's dates
    /// (native and mapped files; an export's importer has read its own dates already).
    pub date_format: Option<String>,
    /// JSON keys holding a list or an object (no cell of a table can): the first line of each,
    /// and which it was. A key that no field of the file's kind reads is ignored as any other
    /// unknown column; one that a field reads is an error at that line.
    pub nested: Vec<Nested>,
}

/// A JSON key whose value is a list or an object.
#[derive(Debug, Clone)]
pub struct Nested {
    pub column: String,
    pub line: u32,
    /// "a list" or "an object".
    pub found: &'static str,
}

impl Nested {
    /// The problem where a field reads the key.
    pub fn problem(&self, file: &str) -> Problem {
        Problem::at(
            file,
            self.line as usize,
            Some(&self.column),
            format!(
                "a value of the wrong type: expected text, a number or true/false, found {}",
                self.found
            ),
        )
    }
}

impl RawTable {
    pub fn height(&self) -> usize {
        self.lines.len()
    }

    pub fn line(&self, row: usize) -> usize {
        self.lines[row] as usize
    }

    /// A number cell as the number parsers read it: with a decimal point where the file
    /// writes a decimal comma.
    pub fn number_text<'a>(&self, cell: &'a str) -> std::borrow::Cow<'a, str> {
        crate::ingest::values::number_text(cell, self.decimal_comma)
    }

    /// The column's cells, if the file has the column.
    pub fn column(&self, name: &str) -> Option<&StringChunked> {
        self.frame.column(name).ok().and_then(|c| c.str().ok())
    }
}

/// Where the structure of a CSV file is known to be sound.
struct Scan {
    header: Vec<String>,
    record_lines: Vec<u32>,
    /// Byte offset (in the data after a byte-order mark) where the first record after the
    /// header starts.
    header_end: usize,
    /// Header fields without a name whose cells are all empty (as spreadsheets save columns
    /// that once had formatting): left out.
    unnamed: Vec<usize>,
    /// Byte offset where the header starts (after a byte-order mark and a [`preamble`]).
    start: usize,
    /// The header's line.
    header_line: u32,
    blank_lines: bool,
    /// The field separator: `,`, or `;` or a tab when the header is separated by them.
    separator: u8,
}

/// The field separator of a CSV file, told from its header line: a comma unless the header
/// has none outside quotes and has semicolons (a spreadsheet's CSV in locales that write
/// decimal commas) or tabs (cells copied from a spreadsheet).
pub fn sniff_separator(data: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for &b in data {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            b',' if !in_quotes => counts[0] += 1,
            b';' if !in_quotes => counts[1] += 1,
            b'\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    match counts {
        [0, s, t] if s > 0 && s >= t => b';',
        [0, _, t] if t > 0 => b'\t',
        _ => b',',
    }
}

/// The lines before a CSV file's header that hold no data: blank lines (empty, spaces, or
/// only separators, as a spreadsheet saves a row that once had formatting) and the `sep=;`
/// line Excel writes (and reads) to name the separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preamble {
    /// Bytes before the header line.
    pub skip: usize,
    /// Lines before the header line.
    pub lines: u32,
    /// The separator a `sep=` line names.
    pub separator: Option<u8>,
}

impl Preamble {
    /// The header's line.
    pub fn header_line(&self) -> u32 {
        self.lines + 1
    }

    /// The separator: the one a `sep=` line names, else told from the header line.
    pub fn separator(&self, data: &[u8]) -> u8 {
        self.separator
            .unwrap_or_else(|| sniff_separator(&data[self.skip..]))
    }
}

/// The [`Preamble`] of CSV bytes (after a byte-order mark).
pub fn preamble(data: &[u8]) -> Preamble {
    let mut p = Preamble {
        skip: 0,
        lines: 0,
        separator: None,
    };
    while p.skip < data.len() {
        let rest = &data[p.skip..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            // The last line: data, or nothing (the file's emptiness is reported as such).
            break;
        };
        let line = rest[..end].trim_ascii();
        let line = line
            .strip_prefix(b"\"")
            .and_then(|l| l.strip_suffix(b"\""))
            .unwrap_or(line);
        let sep = match line.split_at_checked(4) {
            Some((name, rest)) if name.eq_ignore_ascii_case(b"sep=") => match rest {
                [c] => Some(*c),
                // `sep=` then a tab that trimming took.
                [] => Some(b'\t'),
                _ => None,
            },
            _ => None,
        };
        match sep {
            Some(c) if p.lines == 0 && (c == b'\t' || c.is_ascii_punctuation() && c != b'"') => {
                p.separator = Some(c)
            }
            _ if line
                .iter()
                .all(|&b| b == b',' || b == b';' || b.is_ascii_whitespace()) => {}
            _ => break,
        }
        p.skip += end + 1;
        p.lines += 1;
    }
    p
}

/// Whether a file separated by `separator` writes numbers with a decimal comma: a
/// semicolon-separated one does (that is why it is not comma-separated).
pub fn decimal_comma(separator: u8) -> bool {
    separator == b';'
}

/// Whether a line, record or field is blank: only separators and whitespace (an empty line, or
/// the `,,,,` a spreadsheet saves for a row that once had formatting). A quote is not blank:
/// `""` is a value.
pub fn is_blank(bytes: &[u8], separator: u8) -> bool {
    bytes
        .iter()
        .all(|&b| b == separator || b.is_ascii_whitespace())
}

/// How a separator is named in messages.
fn separator_name(separator: u8) -> &'static str {
    match separator {
        b';' => "semicolon",
        b'\t' => "tab",
        b',' => "comma",
        b'|' => "vertical bar",
        // Another one a `sep=` line names.
        _ => "separator",
    }
}

fn describe_byte(b: u8) -> String {
    format!("0x{b:02X}")
}

/// Reads a CSV file's bytes into a [`RawTable`], or reports every structural problem found.
pub fn read_csv(file: &str, bytes: &[u8], problems: &mut Problems) -> Option<RawTable> {
    // The file's problems are listed in line order, whichever check found them.
    let mut mine = Problems::default();
    let scan = scan_csv(file, bytes, &mut mine);
    mine.list.sort_by_key(|p| p.line.unwrap_or(0));
    problems.extend(mine);
    let scan = scan?;
    let data = &bytes[scan.start..];
    // Blank lines and unnamed empty columns are rare; when a file has them, parse a copy
    // without blank lines and with names for those columns, so that rows and lines stay
    // aligned (the columns are left out after parsing).
    let owned;
    let body: &[u8] = if scan.blank_lines || !scan.unnamed.is_empty() {
        let (head, rest) = data.split_at(scan.header_end);
        let mut copy = if scan.unnamed.is_empty() {
            head.to_vec()
        } else {
            named_header(&scan.header, scan.separator)
        };
        if scan.blank_lines {
            copy.extend(drop_blank_lines(rest, scan.separator));
        } else {
            copy.extend_from_slice(rest);
        }
        owned = copy;
        &owned
    } else {
        data
    };
    let frame = match CsvReadOptions::default()
        .with_parse_options(CsvParseOptions::default().with_separator(scan.separator))
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .into_reader_with_file_handle(Cursor::new(body))
        .finish()
    {
        Ok(f) => f,
        Err(e) => {
            problems.push(Problem::file(file, format!("cannot be parsed as CSV: {e}")));
            return None;
        }
    };
    let (mut frame, mut header) = (frame, scan.header);
    if !scan.unnamed.is_empty() {
        frame = frame.drop_many(scan.unnamed.iter().map(|&k| unnamed_column(k)));
        header.retain(|h| !h.is_empty());
    }
    let mut table = finish(
        file,
        header,
        frame,
        scan.record_lines,
        decimal_comma(scan.separator),
        problems,
    )?;
    table.header_line = scan.header_line as usize;
    Some(table)
}

/// The name a header field without a name is parsed under (control characters are refused
/// in headers, so no file names a column so).
fn unnamed_column(field: usize) -> String {
    format!("\u{1}unnamed {}", field + 1)
}

/// A header line naming every field: the file's names, quoted, and [`unnamed_column`] for the
/// fields without a name.
fn named_header(header: &[String], separator: u8) -> Vec<u8> {
    let mut line = Vec::new();
    for (k, h) in header.iter().enumerate() {
        if k > 0 {
            line.push(separator);
        }
        let name = if h.is_empty() {
            unnamed_column(k)
        } else {
            h.clone()
        };
        line.push(b'"');
        line.extend_from_slice(name.replace('"', "\"\"").as_bytes());
        line.push(b'"');
    }
    line.push(b'\n');
    line
}

fn finish(
    file: &str,
    columns: Vec<String>,
    frame: DataFrame,
    lines: Vec<u32>,
    decimal_comma: bool,
    problems: &mut Problems,
) -> Option<RawTable> {
    if frame.height() != lines.len() {
        problems.push(Problem::file(
            file,
            format!(
                "the parser read {} rows where the file has {}; the file's structure is not plain CSV",
                frame.height(),
                lines.len()
            ),
        ));
        return None;
    }
    // Name the frame's columns as trimmed in the header.
    let mut frame = frame;
    if frame.get_column_names().len() == columns.len() {
        let _ = frame.set_column_names(columns.iter().map(|s| s.as_str()));
    }
    Some(RawTable {
        file: file.to_string(),
        columns,
        frame,
        lines,
        header_line: 1,
        decimal_comma,
        date_format: None,
        nested: Vec::new(),
    })
}

/// The records after the header without the lines that are blank ([`is_blank`], as
/// [`scan_structure`] counts them). A quoted value may hold an empty line;
/// quotes are tracked so that it is kept.
fn drop_blank_lines(body: &[u8], separator: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut in_quotes = false;
    let mut at_line_start = true;
    let mut i = 0;
    while i < body.len() {
        if !in_quotes && at_line_start {
            let end = body[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(body.len(), |p| i + p);
            if is_blank(&body[i..end], separator) {
                i = end + 1;
                continue;
            }
        }
        let b = body[i];
        if b == b'"' {
            in_quotes = !in_quotes;
        }
        at_line_start = b == b'\n';
        out.push(b);
        i += 1;
    }
    out
}

/// Checks encoding, quoting and field counts; returns the header and where each record starts.
fn scan_csv(file: &str, bytes: &[u8], problems: &mut Problems) -> Option<Scan> {
    if let Some(p) = utf16(file, bytes) {
        problems.push(p);
        return None;
    }
    let start = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let data = &bytes[start..];
    let pre = preamble(data);
    if data[pre.skip..].iter().all(|b| b.is_ascii_whitespace()) {
        problems.push(Problem::file(
            file,
            "the file is empty: expected a header row and data rows",
        ));
        return None;
    }
    let before = problems.total;
    let separator = pre.separator(data);
    let header_line = pre.header_line();
    // Encoding is checked on the other core while the structure is scanned here.
    let encoding = std::thread::scope(|scope| {
        let enc = scope.spawn(|| {
            let mut p = Problems::default();
            check_utf8(file, data, &mut p);
            p
        });
        let structure = scan_structure(file, &data[pre.skip..], header_line, separator, problems);
        (
            enc.join().expect("the encoding check does not panic"),
            structure,
        )
    });
    let (enc_problems, structure) = encoding;
    problems.extend(enc_problems);
    let Structure {
        header,
        record_lines,
        blank_lines,
        header_end,
        first_value,
    } = structure;
    let mut seen = std::collections::HashSet::new();
    let mut unnamed = Vec::new();
    for (idx, h) in header.iter().enumerate() {
        if h.is_empty() {
            match first_value.get(idx).copied().flatten() {
                None => unnamed.push(idx),
                Some(line) => problems.push(Problem::at(
                    file,
                    header_line as usize,
                    None,
                    format!(
                        "header field {} has no name, but line {line} has a value in it; name \
                         the column (or delete it)",
                        idx + 1
                    ),
                )),
            }
        } else if !seen.insert(h.to_lowercase()) {
            problems.push(Problem::at(
                file,
                header_line as usize,
                Some(h),
                "the column appears twice in the header",
            ));
        }
    }
    if problems.total > before {
        return None;
    }
    Some(Scan {
        header,
        record_lines,
        header_end,
        unnamed,
        start: start + pre.skip,
        header_line,
        blank_lines,
        separator,
    })
}

/// The record structure of CSV bytes.
struct Structure {
    header: Vec<String>,
    /// The line each record starts on (records of empty fields left out).
    record_lines: Vec<u32>,
    /// Blank lines, or records whose fields are all empty, after the header.
    blank_lines: bool,
    header_end: usize,
    /// Per header field without a name, the first line with a value in it.
    first_value: Vec<Option<u32>>,
}

/// The record structure of CSV bytes: header cells, the line each record starts on, and
/// whether there are blank lines (a record whose fields are all empty or spaces, such as
/// `,,,` that spreadsheets save for rows that once had formatting, is a blank line). Problems
/// of quoting and field counts go to `problems`.
fn scan_structure(
    file: &str,
    data: &[u8],
    header_line: u32,
    separator: u8,
    problems: &mut Problems,
) -> Structure {
    let mut s = CsvScan {
        file,
        data,
        separator,
        problems,
        header: Vec::new(),
        record_lines: Vec::new(),
        blank_lines: false,
        header_end: None,
        first_value: Vec::new(),
        record_start: 0,
        field_begin: 0,
        unnamed: Vec::new(),
        any_unnamed: false,
        line: header_line,
        i: 0,
        fields_in_record: 0,
        record_line: header_line,
        field_start: true,
        in_quotes: false,
        quote_line: 0,
        after_quote: false,
        cell: Vec::new(),
        is_header: true,
        expected: 0,
        record_bad: false,
    };
    let n = data.len();
    while s.i < n {
        let b = data[s.i];
        if s.in_quotes {
            s.quoted(b);
            continue;
        }
        match b {
            b if b == separator => s.separator_byte(),
            b'\n' | b'\r' => {
                s.line_end(b);
                continue;
            }
            b'"' => {
                if !s.quote() {
                    continue;
                }
            }
            _ => {
                if !s.other(b) {
                    continue;
                }
            }
        }
        s.i += 1;
    }
    if s.in_quotes {
        s.problems.push(Problem::at(
            file,
            s.quote_line as usize,
            None,
            "a quoted value opened here never closes (a missing closing quote)",
        ));
    } else if !(s.field_start && s.fields_in_record == 0 && !s.after_quote) {
        s.end_record();
    }
    Structure {
        header: s.header,
        record_lines: s.record_lines,
        blank_lines: s.blank_lines,
        header_end: s.header_end.unwrap_or(n),
        first_value: s.first_value,
    }
}

/// The state of [`scan_structure`]: what it found, and where it is.
struct CsvScan<'a> {
    file: &'a str,
    data: &'a [u8],
    separator: u8,
    problems: &'a mut Problems,
    header: Vec<String>,
    record_lines: Vec<u32>,
    blank_lines: bool,
    header_end: Option<usize>,
    first_value: Vec<Option<u32>>,
    /// Where the record and the field being read start.
    record_start: usize,
    field_begin: usize,
    /// The header fields without a name.
    unnamed: Vec<bool>,
    any_unnamed: bool,
    line: u32,
    i: usize,
    fields_in_record: usize,
    record_line: u32,
    field_start: bool,
    in_quotes: bool,
    quote_line: u32,
    after_quote: bool,
    cell: Vec<u8>,
    is_header: bool,
    expected: usize,
    /// A record already reported for its quoting is not reported again for its field count.
    record_bad: bool,
}

impl CsvScan<'_> {
    fn has_value(&self, from: usize, to: usize) -> bool {
        !is_blank(&self.data[from..to], self.separator)
    }

    /// Ends a field: notes the first line with a value in each column.
    fn end_field(&mut self) {
        let k = self.fields_in_record;
        if self.any_unnamed
            && !self.is_header
            && self.unnamed.get(k) == Some(&true)
            && self.first_value[k].is_none()
            && self.has_value(self.field_begin, self.i)
        {
            self.first_value[k] = Some(self.record_line);
        }
        self.field_begin = self.i + 1;
    }

    /// Ends a record: checks its field count.
    fn end_record(&mut self) {
        self.end_field();
        self.fields_in_record += 1;
        if self.is_header {
            self.header
                .push(String::from_utf8_lossy(&self.cell).trim().to_string());
            self.expected = self.fields_in_record;
            self.first_value = vec![None; self.expected];
            self.unnamed = self.header.iter().map(|h| h.is_empty()).collect();
            self.any_unnamed = self.unnamed.contains(&true);
            self.is_header = false;
        } else if !self.record_bad && !self.has_value(self.record_start, self.i) {
            // Empty fields only: a blank line.
            self.blank_lines = true;
        } else {
            let (got, expected) = (self.fields_in_record, self.expected);
            if got != expected && !self.record_bad {
                self.problems.push(Problem::at(
                    self.file,
                    self.record_line as usize,
                    None,
                    format!(
                        "{} field{} where the header has {}{}",
                        got,
                        if got == 1 { "" } else { "s" },
                        expected,
                        if got > expected {
                            format!(
                                " (a value with an unquoted {0}? quote values that contain {0}s)",
                                separator_name(self.separator)
                            )
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
            self.record_lines.push(self.record_line);
        }
        self.cell.clear();
        self.fields_in_record = 0;
        self.field_start = true;
        self.after_quote = false;
        self.record_bad = false;
    }

    /// A byte inside quotes (moves past it, or past a doubled quote).
    fn quoted(&mut self, b: u8) {
        let (data, n) = (self.data, self.data.len());
        if b == b'"' {
            if self.i + 1 < n && data[self.i + 1] == b'"' {
                if self.is_header {
                    self.cell.push(b'"');
                }
                self.i += 2;
                return;
            }
            self.in_quotes = false;
            self.after_quote = true;
        } else {
            if b == b'\n' {
                self.line += 1;
            }
            if self.is_header {
                self.cell.push(b);
            }
        }
        self.i += 1;
    }

    fn separator_byte(&mut self) {
        self.end_field();
        self.fields_in_record += 1;
        if self.is_header {
            self.header
                .push(String::from_utf8_lossy(&self.cell).trim().to_string());
            self.cell.clear();
        }
        self.field_start = true;
        self.after_quote = false;
    }

    /// A line feed or carriage return outside quotes (moves past the line's end).
    fn line_end(&mut self, b: u8) {
        let (data, n) = (self.data, self.data.len());
        let crlf = b == b'\r' && self.i + 1 < n && data[self.i + 1] == b'\n';
        if b == b'\r' && !crlf {
            self.problems.push(Problem::at(
                self.file,
                self.line as usize,
                None,
                "a carriage return (0x0D) that does not end a line",
            ));
            self.i += 1;
            return;
        }
        if self.field_start && self.fields_in_record == 0 && !self.after_quote {
            // An empty line.
            if !self.is_header {
                self.blank_lines = true;
            }
        } else {
            self.end_record();
        }
        self.i += if crlf { 2 } else { 1 };
        if !self.is_header && self.header_end.is_none() {
            self.header_end = Some(self.i);
        }
        self.line += 1;
        self.record_line = self.line;
        self.record_start = self.i;
        self.field_begin = self.i;
    }

    /// Skips to the end of the line after a quoting problem (one message per record).
    fn skip_line(&mut self) {
        self.record_bad = true;
        while self.i < self.data.len() && self.data[self.i] != b'\n' {
            self.i += 1;
        }
    }

    /// A quote outside quotes: opens a quoted value, or is a problem (then the line is
    /// skipped). False when it moved on by itself.
    fn quote(&mut self) -> bool {
        if self.field_start {
            self.in_quotes = true;
            self.quote_line = self.line;
            self.field_start = false;
            return true;
        }
        self.problems.push(Problem::at(
            self.file,
            self.line as usize,
            None,
            if self.after_quote {
                "a quote inside a quoted value must be doubled (\"\")".to_string()
            } else {
                "a quote (\") inside an unquoted value; quote the whole value and double the quote"
                    .to_string()
            },
        ));
        self.skip_line();
        false
    }

    /// Any other byte. False when it moved on by itself (text after a closing quote).
    fn other(&mut self, b: u8) -> bool {
        if self.after_quote {
            if b != b' ' && b != b'\t' {
                self.problems.push(Problem::at(
                    self.file,
                    self.line as usize,
                    None,
                    format!(
                        "text after a closing quote; a quoted value must end at a {} or the line's end",
                        separator_name(self.separator)
                    ),
                ));
                self.skip_line();
                return false;
            }
        } else {
            self.field_start = false;
            if self.is_header {
                self.cell.push(b);
            }
        }
        true
    }
}

/// Reports bytes that are not UTF-8 and control characters, with line and byte column.
fn check_utf8(file: &str, data: &[u8], problems: &mut Problems) {
    let mut pos = 0usize;
    let mut line = 1usize;
    let mut line_start = 0usize;
    // One problem of each sort per line is enough to find it.
    let mut last: [usize; 2] = [0, 0];
    let mut report =
        |problems: &mut Problems, sort: usize, line: usize, col: usize, msg: String| {
            if last[sort] != line {
                last[sort] = line;
                problems.push(Problem::at(file, line, None, format!("byte {col}: {msg}")));
            }
        };
    while pos < data.len() {
        let (valid, bad) = match std::str::from_utf8(&data[pos..]) {
            Ok(_) => (data.len() - pos, None),
            Err(e) => (
                e.valid_up_to(),
                Some(e.error_len().unwrap_or(data.len() - pos - e.valid_up_to())),
            ),
        };
        for (k, &b) in data[pos..pos + valid].iter().enumerate() {
            if b == b'\n' {
                line += 1;
                line_start = pos + k + 1;
            } else if b < 0x20 && b != b'\t' && b != b'\r' {
                report(
                    problems,
                    1,
                    line,
                    pos + k - line_start + 1,
                    format!(
                        "a control character ({}) that has no place in text; was the file cut or damaged?",
                        describe_byte(b)
                    ),
                );
            }
        }
        pos += valid;
        if let Some(len) = bad {
            let bytes: Vec<String> = data[pos..pos + len]
                .iter()
                .map(|b| describe_byte(*b))
                .collect();
            report(
                problems,
                0,
                line,
                pos - line_start + 1,
                format!(
                    "bytes that are not UTF-8 ({}); {NOT_UTF8_HINT}",
                    bytes.join(" ")
                ),
            );
            pos += len;
        }
        if problems.is_full() {
            // The list is full and the file is rejected anyway.
            break;
        }
    }
}

/// A JSON object's members in order, duplicates kept (serde_json's map keeps the last).
struct Pairs(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Pairs, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some(kv) = m.next_entry::<String, serde_json::Value>()? {
                    out.push(kv);
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(Members)
    }
}

/// The encoding of the files that are not UTF-8 (`--encoding`). A file with a byte-order mark
/// is read by its mark, and a file that is UTF-8 as UTF-8, whatever is said: a folder may
/// hold both a tool's UTF-8 export and a sheet Excel saved on Windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    #[default]
    Utf8,
    /// Windows-1252, what Excel saves as "CSV" on Windows in Western locales; Latin-1
    /// (ISO-8859-1) is read as it, as browsers do (the two differ only in 0x80-0x9F, which
    /// Latin-1 leaves to control characters).
    Windows1252,
}

impl Encoding {
    pub fn parse(s: &str) -> Option<Encoding> {
        let s: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        match s.as_str() {
            "utf8" => Some(Encoding::Utf8),
            "windows1252" | "cp1252" | "latin1" | "iso88591" | "l1" => Some(Encoding::Windows1252),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
        }
    }
}

/// Why a file is no text to read, told from its first bytes: a spreadsheet workbook, an archive
/// or compressed file, a PDF or a database (the messages such files got byte by byte, "UTF-16
/// without a byte-order mark" or control characters, said nothing of use).
fn not_text(bytes: &[u8]) -> Option<String> {
    // A ZIP's entries are named at their start and again in its directory at the end.
    let head = &bytes[..bytes.len().min(4096)];
    let tail = &bytes[bytes.len().saturating_sub(64 * 1024)..];
    let has = |needle: &[u8]| {
        [head, tail]
            .iter()
            .any(|part| part.windows(needle.len()).any(|w| w == needle))
    };
    let save_as_csv = "save the sheet as CSV (UTF-8) and ingest that";
    let picture = "a screenshot of a table cannot be read: export the data as CSV";
    let (what, then) = match bytes {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] if has(b"xl/") => {
            ("an Excel workbook (.xlsx)", save_as_csv)
        }
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..]
            if has(b"application/vnd.oasis.opendocument.spreadsheet") =>
        {
            ("an OpenDocument spreadsheet (.ods)", save_as_csv)
        }
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => (
            "a ZIP archive (or a file packed as one)",
            "unpack it and ingest its CSV files",
        ),
        [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, ..] => (
            "an Excel 97-2003 workbook (.xls) or another Office file",
            save_as_csv,
        ),
        [0x1F, 0x8B, ..] => ("compressed with gzip", "decompress it first"),
        [0x28, 0xB5, 0x2F, 0xFD, ..] => ("compressed with zstd", "decompress it first"),
        [b'B', b'Z', b'h', ..] => ("compressed with bzip2", "decompress it first"),
        [0xFD, b'7', b'z', b'X', b'Z', 0, ..] => ("compressed with xz", "decompress it first"),
        [b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C, ..] => ("a 7-Zip archive", "unpack it first"),
        [b'%', b'P', b'D', b'F', b'-', ..] => ("a PDF", "export the data as CSV instead"),
        [b'P', b'A', b'R', b'1', ..] => ("a Parquet file", "export it as CSV"),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => ("a PNG image", picture),
        [0xFF, 0xD8, 0xFF, ..] => ("a JPEG image", picture),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => ("a GIF image", picture),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => ("a WebP image", picture),
        [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => ("a TIFF image", picture),
        [b'B', b'M', _, _, _, _, 0, 0, 0, 0, ..] => ("a BMP image", picture),
        [0, 0, 1, 0, ..] => ("an icon image", picture),
        [
            _,
            _,
            _,
            _,
            b'f',
            b't',
            b'y',
            b'p',
            b'h',
            b'e',
            b'i',
            b'c' | b'f' | b'x',
            ..,
        ]
        | [
            _,
            _,
            _,
            _,
            b'f',
            b't',
            b'y',
            b'p',
            b'm',
            b'i',
            b'f',
            b'1',
            ..,
        ] => ("a HEIC image", picture),
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => ("a video or audio file", picture),
        [0x7F, b'E', b'L', b'F', ..] | [b'M', b'Z', 0x90, 0x00, ..] => {
            ("a program", "name the data file instead")
        }
        [b'{', b'\\', b'r', b't', b'f', ..] => ("an RTF document", "save the table as CSV"),
        _ if bytes.starts_with(b"SQLite format 3\0") => {
            ("an SQLite database", "export its tables as CSV")
        }
        _ if bytes.get(8..12) == Some(b"DUCK") => (
            "a DuckDB database (a sprintlens store?)",
            "name it with --db to read it, or export its tables as CSV",
        ),
        _ => return None,
    };
    Some(format!("the file is {what}, not CSV or JSON text; {then}"))
}

/// What a message about bytes that are not UTF-8 suggests.
pub const NOT_UTF8_HINT: &str = "if it is Windows-1252 or Latin-1 (what Excel saves as CSV on \
     Windows), read it with --encoding windows-1252; or re-save it as UTF-8";

/// A file's bytes as UTF-8 text where they can be: [`as_utf8`], and a file that is not UTF-8
/// decoded from `encoding` when that is not UTF-8. (Bytes cut off in the middle of a character at
/// the end are still UTF-8: a file's head may be cut so.) A file whose lines end in carriage
/// returns alone (Excel for Mac's "CSV (Macintosh)", classic Mac OS) has them as line feeds.
pub fn decode(bytes: &[u8], encoding: Encoding) -> std::borrow::Cow<'_, [u8]> {
    let utf8 = |b: &[u8]| match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    let text = match as_utf8(bytes) {
        std::borrow::Cow::Borrowed(_)
            if encoding == Encoding::Windows1252
                && !bytes.starts_with(&[0xEF, 0xBB, 0xBF])
                && !utf8(bytes) =>
        {
            std::borrow::Cow::Owned(windows_1252(bytes))
        }
        text => text,
    };
    if !text.contains(&b'\n') && text.contains(&b'\r') {
        let lines = text.iter().map(|&b| if b == b'\r' { b'\n' } else { b });
        return std::borrow::Cow::Owned(lines.collect());
    }
    text
}

/// A file's bytes as text to read ([`decode`]), or the problem of a file that is no text
/// ([`not_text`]): what every file goes through before it is read.
pub fn text_of<'a>(
    file: &str,
    bytes: &'a [u8],
    encoding: Encoding,
) -> Result<std::borrow::Cow<'a, [u8]>, Problem> {
    match not_text(bytes) {
        Some(why) => Err(Problem::file(file, why)),
        None => Ok(decode(bytes, encoding)),
    }
}

/// Windows-1252 bytes as UTF-8 (the five bytes it leaves undefined become the control
/// characters of the same number, as in browsers; they are reported as such).
fn windows_1252(bytes: &[u8]) -> Vec<u8> {
    const HIGH: [u16; 32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ];
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 8);
    let mut buf = [0u8; 4];
    for &b in bytes {
        if b < 0x80 {
            out.push(b);
        } else {
            let code = match b {
                0x80..=0x9F => u32::from(HIGH[usize::from(b - 0x80)]),
                _ => u32::from(b),
            };
            let c = char::from_u32(code).expect("the table holds characters");
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    out
}

/// A file's bytes as UTF-8: a file that starts with a UTF-16 byte-order mark (what a
/// spreadsheet's "Unicode text" and Windows PowerShell's `Out-File` write) is decoded; any
/// other file, or UTF-16 that does not decode, is left as it is (and named by [`utf16`]).
pub fn as_utf8(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let units = |le: bool| {
        bytes[2..]
            .chunks(2)
            .map(|c| match (c, le) {
                ([a, b], true) => Some(u16::from_le_bytes([*a, *b])),
                ([a, b], false) => Some(u16::from_be_bytes([*a, *b])),
                _ => None,
            })
            .collect::<Option<Vec<u16>>>()
    };
    let le = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return std::borrow::Cow::Borrowed(bytes),
    };
    match units(le).and_then(|u| String::from_utf16(&u).ok()) {
        Some(text) => std::borrow::Cow::Owned(text.into_bytes()),
        None => std::borrow::Cow::Borrowed(bytes),
    }
}

/// A file in UTF-16 (a byte-order mark, or zero bytes between its characters) is named as such
/// rather than reported byte by byte.
pub fn utf16(file: &str, bytes: &[u8]) -> Option<Problem> {
    let bom = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let head = &bytes[..bytes.len().min(1024)];
    let zeros = head.iter().filter(|b| **b == 0).count();
    (bom || (head.len() >= 4 && zeros * 4 >= head.len())).then(|| {
        Problem::file(
            file,
            if bom {
                "the file is UTF-16 but does not decode as such (cut or damaged?); save it as UTF-8"
            } else {
                "the file is UTF-16 without a byte-order mark (or another encoding with zero bytes), not UTF-8; save it as UTF-8"
            },
        )
    })
}

/// Reads an NDJSON file (one JSON object per line) into a [`RawTable`] of text cells.
pub fn read_ndjson(file: &str, bytes: &[u8], problems: &mut Problems) -> Option<RawTable> {
    let before = problems.total;
    if let Some(p) = utf16(file, bytes) {
        problems.push(p);
        return None;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            check_utf8(file, bytes, problems);
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        problems.push(Problem::file(
            file,
            "the file is empty: expected one JSON object per line",
        ));
        return None;
    }
    // One object per line, or (a `.json` file as many tools write them) one JSON array of
    // objects, each named by the line it starts on.
    let items: Vec<(usize, &str)> = if text.trim_start().starts_with('[') {
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
            problems.push(Problem::at(
                file,
                e.line(),
                None,
                format!("not valid JSON: {e}"),
            ));
            return None;
        }
        array_elements(text)
    } else {
        text.lines().enumerate().map(|(k, l)| (k + 1, l)).collect()
    };
    let mut columns: Vec<String> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    let mut cells: Vec<Vec<Option<String>>> = Vec::new();
    let mut lines: Vec<u32> = Vec::new();
    let mut nested: Vec<Nested> = Vec::new();
    for (ln, raw) in items {
        if raw.trim().is_empty() {
            continue;
        }
        let obj = match serde_json::from_str::<Pairs>(raw) {
            Ok(p) => p.0,
            Err(e) if e.classify() == serde_json::error::Category::Data => {
                problems.push(Problem::at(
                    file,
                    ln,
                    None,
                    "expected a JSON object ({...}) on this line",
                ));
                continue;
            }
            Err(e) => {
                problems.push(Problem::at(file, ln, None, format!("not valid JSON: {e}")));
                continue;
            }
        };
        // The text rules of CSV: a key once per object (in any case), no control characters.
        let before_line = problems.total;
        let mut keys_seen = std::collections::HashSet::new();
        for (k, v) in &obj {
            let key = k.trim();
            if !keys_seen.insert(key.to_lowercase()) {
                problems.push(Problem::at(
                    file,
                    ln,
                    Some(key),
                    "the key appears twice in this object",
                ));
            }
            for text in std::iter::once(k.as_str()).chain(v.as_str()) {
                if let Some(c) = text
                    .chars()
                    .find(|c| (*c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
                {
                    problems.push(Problem::at(
                        file,
                        ln,
                        Some(key),
                        format!(
                            "a control character ({}) that has no place in text; was the file cut or damaged?",
                            describe_byte(c as u8)
                        ),
                    ));
                }
            }
        }
        if problems.total > before_line {
            continue;
        }
        let row = lines.len();
        lines.push(ln as u32);
        for (k, v) in obj {
            let key = k.trim().to_string();
            // Keys match in any case, as CSV headers do; the first spelling names the column.
            let col = *index.entry(key.to_lowercase()).or_insert_with(|| {
                columns.push(key.clone());
                cells.push(vec![None; row]);
                columns.len() - 1
            });
            let cell = match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                other => {
                    if !nested.iter().any(|n| n.column == columns[col]) {
                        nested.push(Nested {
                            column: columns[col].clone(),
                            line: ln as u32,
                            found: if other.is_array() {
                                "a list"
                            } else {
                                "an object"
                            },
                        });
                    }
                    None
                }
            };
            let c = &mut cells[col];
            c.resize(row, None);
            c.push(cell);
        }
        for c in cells.iter_mut() {
            c.resize(row + 1, None);
        }
    }
    if problems.total > before {
        // The file is refused before its kind is known: a list or an object under a key that
        // names a field of any kind is named with the other problems.
        for n in &nested {
            let a_field = crate::domain::schema::SPECS
                .iter()
                .any(|s| s.fields.iter().any(|f| f.is_named(&n.column)));
            if a_field {
                problems.push(n.problem(file));
            }
        }
        return None;
    }
    let series: Vec<Column> = columns
        .iter()
        .zip(cells)
        .map(|(name, c)| Column::new(name.as_str().into(), c))
        .collect();
    let frame = match DataFrame::new(series) {
        Ok(f) => f,
        Err(e) => {
            problems.push(Problem::file(file, format!("cannot be read: {e}")));
            return None;
        }
    };
    // JSON numbers have a decimal point; text in them is taken as it is.
    let mut raw = finish(file, columns, frame, lines, false, problems)?;
    raw.nested = nested;
    Some(raw)
}

/// The elements of a JSON array (text known to be valid JSON), each with the line it starts
/// on.
fn array_elements(text: &str) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut line, mut in_string, mut escaped) = (0usize, 1usize, false, false);
    let mut start: Option<(usize, usize)> = None;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            line += 1;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if depth == 1 && start.is_none() && !c.is_ascii_whitespace() && c != b',' && c != b']' {
            start = Some((i, line));
        }
        match c {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                if depth == 1
                    && let Some((s, l)) = start.take()
                {
                    out.push((l, text[s..i].trim_end()));
                }
                depth = depth.saturating_sub(1);
            }
            b',' if depth == 1 => {
                if let Some((s, l)) = start.take() {
                    out.push((l, text[s..i].trim_end()));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let text = "team\tname\r\nöps,\"☕\"\r\n";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(&*as_utf8(&le), text.as_bytes());
        assert_eq!(&*as_utf8(&be), text.as_bytes());
        // UTF-8 as it is; an odd byte or a lone surrogate leaves the bytes for `utf16` to name.
        assert_eq!(&*as_utf8(text.as_bytes()), text.as_bytes());
        let odd = [&le[..], &[0x41]].concat();
        assert_eq!(&*as_utf8(&odd), &odd[..]);
        let lone = [&le[..], &0xDC00u16.to_le_bytes()[..]].concat();
        assert_eq!(&*as_utf8(&lone), &lone[..]);
        assert!(utf16("f.csv", &lone).is_some());
    }

    #[test]
    fn the_separator_is_told_from_the_header_line() {
        for (text, sep) in [
            ("team,story,title\na;b;c\n", b','),
            ("team;story;title\na,b,c\n", b';'),
            ("team\tstory\ttitle\r\na;b\n", b'\t'),
            // Separators inside a quoted header name do not count.
            ("\"a,b\";c;d\n", b';'),
            ("\"a;b\",c\n", b','),
            // One column, or a tie without commas: a comma file.
            ("team\nops\n", b','),
            ("a;b\tc\n", b';'),
            ("a\tb\tc;d\n", b'\t'),
        ] {
            assert_eq!(sniff_separator(text.as_bytes()), sep, "{text:?}");
        }
    }

    fn scan_msgs(bytes: &[u8]) -> Vec<String> {
        let mut p = Problems::default();
        let t = read_csv("f.csv", bytes, &mut p);
        if p.is_empty() {
            assert!(t.is_some());
        }
        p.list.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn sound_csv_reads_with_lines() {
        let mut p = Problems::default();
        let t = read_csv(
            "f.csv",
            b"\xEF\xBB\xBFa, b\n1,\"x\ny\"\n\n2,\"q\"\"q\"\r\n",
            &mut p,
        )
        .unwrap();
        assert!(p.is_empty(), "{:?}", p.list);
        assert_eq!(t.columns, vec!["a", "b"]);
        assert_eq!(t.lines, vec![2, 5]);
        let b = t.column("b").unwrap();
        assert_eq!(b.get(0), Some("x\ny"));
        assert_eq!(b.get(1), Some("q\"q"));
    }

    #[test]
    fn files_that_are_no_text_are_named_by_what_they_are() {
        let says = |bytes: &[u8], what: &str| {
            let m = not_text(bytes).unwrap_or_default();
            assert!(m.starts_with(&format!("the file is {what}")), "{m}");
            assert!(m.contains(", not CSV or JSON text; "), "{m}");
        };
        // An .xlsx names its sheets' folder in its directory at the end.
        let mut xlsx = b"PK\x03\x04[Content_Types].xml".to_vec();
        xlsx.extend(std::iter::repeat_n(b'x', 100_000));
        xlsx.extend(b"PK\x01\x02xl/worksheets/sheet1.xml");
        says(&xlsx, "an Excel workbook (.xlsx)");
        says(
            b"PK\x03\x04mimetypeapplication/vnd.oasis.opendocument.spreadsheet",
            "an OpenDocument spreadsheet (.ods)",
        );
        says(b"PK\x03\x04notes.txt", "a ZIP archive");
        says(
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00",
            "an Excel 97-2003 workbook",
        );
        says(b"\x1F\x8B\x08\x00", "compressed with gzip");
        says(b"%PDF-1.7\n", "a PDF");
        says(b"SQLite format 3\x00....", "an SQLite database");
        says(
            b"\x00\x00\x00\x00\x00\x00\x00\x00DUCK\x40",
            "a DuckDB database",
        );
        says(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "a PNG image");
        says(b"\xFF\xD8\xFF\xE0\x00\x10JFIF", "a JPEG image");
        says(b"GIF89a\x01\x00", "a GIF image");
        says(b"RIFF\x24\x00\x00\x00WEBPVP8 ", "a WebP image");
        says(b"\x00\x00\x00\x18ftypheic\x00\x00", "a HEIC image");
        says(b"\x7FELF\x02\x01", "a program");
        // Text is text, whatever its first letters.
        for text in [
            &b"team,name\n"[..],
            b"PK,team\n1,2\n",
            b"",
            b"%PDF,x\n",
            b"GIF,team\n",
            b"BM,x\n1,2\n",
            b"MZ,team\n",
        ] {
            assert_eq!(not_text(text), None);
        }
    }

    #[test]
    fn files_that_are_not_utf8_are_decoded_from_the_encoding_said() {
        use std::borrow::Cow;
        let w = Encoding::Windows1252;
        // Latin-1's letters, and what Windows-1252 puts in 0x80-0x9F (euro, quotes, dashes);
        // its five undefined bytes become the control characters of the same number.
        assert_eq!(
            &*decode(b"J\xfcrgen \xbd \x80 \x93q\x94 \x96 \x81", w),
            "J\u{fc}rgen \u{bd} \u{20ac} \u{201c}q\u{201d} \u{2013} \u{81}".as_bytes()
        );
        // UTF-8 (also cut in the middle of a character at the end, as a file's head may be),
        // a UTF-8 mark and UTF-16 are read as they are, whatever is said.
        for utf8 in [
            "J\u{fc}rgen \u{bd}".as_bytes(),
            &"\u{20ac}".as_bytes()[..2],
            b"plain",
        ] {
            assert!(matches!(decode(utf8, w), Cow::Borrowed(b) if b == utf8));
        }
        assert_eq!(&*decode(b"\xEF\xBB\xBFa\xfc", w), b"\xEF\xBB\xBFa\xfc");
        assert_eq!(&*decode(b"\xFF\xFEa\x00", w), b"a");
        // Lines ended by carriage returns alone end in line feeds; any line feed leaves every
        // carriage return as it is (a stray one is reported).
        assert_eq!(&*decode(b"a,b\r1,\"x\ry\"\r", w), b"a,b\n1,\"x\ny\"\n");
        assert_eq!(&*decode(b"a\r\r\nb\n", w), b"a\r\r\nb\n");
        // Without an encoding, bytes that are not UTF-8 stay (and are reported).
        assert_eq!(&*decode(b"J\xfcrgen", Encoding::Utf8), b"J\xfcrgen");
        // The names it goes by.
        for s in [
            "windows-1252",
            "CP1252",
            "latin1",
            "Latin-1",
            "ISO-8859-1",
            "iso_8859_1",
        ] {
            assert_eq!(Encoding::parse(s), Some(w), "{s}");
        }
        assert_eq!(Encoding::parse("UTF-8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::parse("ebcdic"), None);
    }

    #[test]
    fn what_comes_before_the_header_is_skipped_and_lines_keep_their_numbers() {
        // Excel's `sep=` line (first, any case, quoted or not) names the separator; blank
        // lines and lines of separators before the header are skipped.
        let p = preamble(b"sep=;\r\na;b\n1;2\n");
        assert_eq!((p.skip, p.lines, p.separator), (7, 1, Some(b';')));
        let p = preamble(b"\"SEP=,\"\n\n ;;\t\n,,,\na,b\n");
        assert_eq!((p.skip, p.lines, p.separator), (18, 4, Some(b',')));
        assert_eq!(p.header_line(), 5);
        assert_eq!(preamble(b"sep=\t\na\tb\n").separator, Some(b'\t'));
        // Not a preamble: a header, a `sep=` line after a blank one, a letter or a quote as
        // separator, a last line without its end.
        assert_eq!(preamble(b"a,b\n").lines, 0);
        assert_eq!(preamble(b"\nsep=;\na;b\n").lines, 1);
        assert_eq!(preamble(b"sep=x\na\n").lines, 0);
        assert_eq!(preamble(b"sep=\"\na\n").lines, 0);
        assert_eq!(preamble(b",,").lines, 0);
        // The separator is the named one even where the header would tell another.
        assert_eq!(
            preamble(b"sep=|\na,b|c\n").separator(b"sep=|\na,b|c\n"),
            b'|'
        );
        assert_eq!(preamble(b"\na;b\n").separator(b"\na;b\n"), b';');

        // Read: records and problems name the file's own lines.
        let mut p = Problems::default();
        let t = read_csv("f.csv", b"sep=;\n;;\na;b\n1;2,5\n", &mut p).unwrap();
        assert!(p.is_empty(), "{:?}", p.list);
        assert_eq!((t.header_line, t.lines.clone()), (3, vec![4]));
        assert_eq!(t.column("b").unwrap().get(0), Some("2,5"));
        assert!(t.decimal_comma);
        assert_eq!(
            scan_msgs(b",,\n\na,b,a\n1,2,3\n"),
            vec!["f.csv:3: column \"a\": the column appears twice in the header"]
        );
        assert_eq!(
            scan_msgs(b"sep=|\na|b\n1|2|3\n"),
            vec![
                "f.csv:3: 3 fields where the header has 2 (a value with an unquoted vertical \
                 bar? quote values that contain vertical bars)"
            ]
        );
        // Only a preamble: the file is empty.
        assert_eq!(
            scan_msgs(b"sep=;\n;;\n"),
            vec!["f.csv: the file is empty: expected a header row and data rows"]
        );
    }

    #[test]
    fn what_spreadsheets_save_for_formatted_cells_is_left_out() {
        // Unnamed columns whose cells are all empty, and rows of empty fields (any count),
        // between and after the records; a quoted value across lines keeps its empty line.
        let mut p = Problems::default();
        let t = read_csv(
            "f.csv",
            b"a,b,,\r\n1,x,,\r\n,,,\r\n , ,\t,\r\n2,\"y\n\n,\",,\r\n,,\r\n,,,",
            &mut p,
        )
        .unwrap();
        assert!(p.is_empty(), "{:?}", p.list);
        assert_eq!(t.columns, vec!["a", "b"]);
        assert_eq!(t.frame.get_column_names(), ["a", "b"]);
        assert_eq!(t.lines, vec![2, 5]);
        let b = t.column("b").unwrap();
        assert_eq!(b.get(0), Some("x"));
        assert_eq!(b.get(1), Some("y\n\n,"));
        // The same with semicolons.
        let t = read_csv("f.csv", b"a;;b\n;;\n1;;2\n", &mut p).unwrap();
        assert!(p.is_empty(), "{:?}", p.list);
        assert_eq!(
            (t.columns.clone(), t.lines.clone()),
            (vec!["a".into(), "b".into()], vec![3])
        );
        assert_eq!(t.column("b").unwrap().get(0), Some("2"));
        // A quoted empty field is a value: the row is a record (of empty values).
        let t = read_csv("f.csv", b"a,b\n\"\",\n1,2\n", &mut p).unwrap();
        assert_eq!(t.lines, vec![2, 3]);
        // An unnamed column with a value names the first line that has one.
        assert_eq!(
            scan_msgs(b"a,,b\n1,,2\n3, x ,4\n5,y,6\n"),
            vec![
                "f.csv:1: header field 2 has no name, but line 3 has a value in it; name the \
                 column (or delete it)"
            ]
        );
        // Only a record of empty fields is blank: a short row with a value is still wrong.
        assert_eq!(
            scan_msgs(b"a,b,c\n,,\n,x\n"),
            vec!["f.csv:3: 2 fields where the header has 3"]
        );
    }

    #[test]
    fn wrong_field_count_names_the_line() {
        let m = scan_msgs(b"a,b,c\n1,2,3\n1,2,3,4\n1,2\n");
        assert_eq!(m.len(), 2);
        assert!(
            m[0].starts_with("f.csv:3: 4 fields where the header has 3"),
            "{}",
            m[0]
        );
        assert!(
            m[1].starts_with("f.csv:4: 2 fields where the header has 3"),
            "{}",
            m[1]
        );
    }

    #[test]
    fn broken_quoting_is_reported() {
        let m = scan_msgs(b"a,b\n1,\"open\n2,3\n");
        assert_eq!(
            m,
            vec!["f.csv:2: a quoted value opened here never closes (a missing closing quote)"]
        );
        let m = scan_msgs(b"a,b\n1,ab\"c\n");
        assert!(
            m[0].starts_with("f.csv:2: a quote (\") inside an unquoted value"),
            "{m:?}"
        );
    }

    #[test]
    fn latin1_and_control_bytes_are_reported() {
        let m = scan_msgs(b"a,b\n1,caf\xE9\n2,x\x1Ay\n");
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].starts_with("f.csv:2: byte 6: bytes that are not UTF-8 (0xE9)"),
            "{}",
            m[0]
        );
        assert!(
            m[1].starts_with("f.csv:3: byte 4: a control character (0x1A)"),
            "{}",
            m[1]
        );
    }

    #[test]
    fn empty_file_is_an_error() {
        assert_eq!(
            scan_msgs(b"  \n"),
            vec!["f.csv: the file is empty: expected a header row and data rows"]
        );
    }

    #[test]
    fn ndjson_reads_and_reports_lines() {
        let mut p = Problems::default();
        let t = read_ndjson(
            "f.ndjson",
            b"{\"a\":1,\"b\":\"x\"}\n\n{\"b\":null,\"c\":true}\n",
            &mut p,
        )
        .unwrap();
        assert_eq!(t.columns, vec!["a", "b", "c"]);
        assert_eq!(t.lines, vec![1, 3]);
        assert_eq!(t.column("a").unwrap().get(0), Some("1"));
        assert_eq!(t.column("a").unwrap().get(1), None);
        assert_eq!(t.column("c").unwrap().get(1), Some("true"));

        let mut p = Problems::default();
        assert!(read_ndjson("f.ndjson", b"{\"a\":1}\n{\"a\":[1]}\nnope\n", &mut p).is_none());
        let m: Vec<String> = p.list.iter().map(|x| x.to_string()).collect();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("f.ndjson:3: not valid JSON"), "{m:?}");

        // Lists and objects are kept aside with their first line: the typing step refuses
        // them where a field reads the key and ignores them elsewhere.
        let t = read_ndjson(
            "f.ndjson",
            b"{\"a\":1,\"b\":{\"x\":1}}\n{\"a\":[1],\"b\":{}}\n",
            &mut p,
        )
        .unwrap();
        let nested: Vec<(&str, u32, &str)> = t
            .nested
            .iter()
            .map(|n| (n.column.as_str(), n.line, n.found))
            .collect();
        assert_eq!(nested, [("b", 1, "an object"), ("a", 2, "a list")]);
        assert_eq!(t.column("a").unwrap().get(1), None);
    }

    #[test]
    fn a_json_array_of_objects_reads_as_ndjson_with_the_lines_they_start_on() {
        let mut p = Problems::default();
        let text = b"\xEF\xBB\xBF[\n  {\"a\": 1, \"b\": \"x]},{\\\"\"},\n  {\"a\": 2,\n   \"b\": \"y\"}, {\"a\": 3}\n]\n";
        let t = read_ndjson("f.json", text, &mut p).unwrap();
        assert!(p.is_empty(), "{:?}", p.list);
        assert_eq!(t.lines, vec![2, 3, 4]);
        assert_eq!(t.column("b").unwrap().get(0), Some("x]},{\""));
        assert_eq!(t.column("a").unwrap().get(2), Some("3"));
        assert_eq!(
            array_elements("[ [1, 2], \"a,b\" , {} ]"),
            [(1, "[1, 2]"), (1, "\"a,b\""), (1, "{}")]
        );
        assert!(array_elements("[]").is_empty());
        // Elements that are no objects, and broken JSON, are named by line.
        assert!(read_ndjson("f.json", b"[{\"a\": 1},\n 5]", &mut p).is_none());
        assert_eq!(
            p.list[0].to_string(),
            "f.json:2: expected a JSON object ({...}) on this line"
        );
        let mut p = Problems::default();
        assert!(read_ndjson("f.json", b"[{\"a\": 1},\n {\"a\": ]", &mut p).is_none());
        assert!(
            p.list[0]
                .to_string()
                .starts_with("f.json:2: not valid JSON: expected value"),
            "{:?}",
            p.list
        );
    }
}
