//! CSV records as tools write them: RFC 4180 quoting, quoted fields across lines, repeated
//! column names, rows one field short; only the columns an importer reads are kept.

use crate::error::{Problem, Problems};

/// An export's header and rows. Rows keep only the columns an importer asked for, in
/// header order (`kept` names them), so a 155-column export costs only what is read.
pub struct Records {
    pub header: Vec<String>,
    pub kept: Vec<String>,
    /// (line on which the row starts, the kept fields).
    pub rows: Vec<(u32, Vec<String>)>,
    /// The field separator (`,`; `;` or a tab when the header is separated by them): numbers
    /// in a semicolon-separated file have a decimal comma.
    pub separator: u8,
    /// The header's line (after blank lines or a `sep=` line, if any).
    pub header_line: u32,
}

/// Splits CSV bytes into records of fields: RFC 4180 quoting, quoted fields across lines,
/// CRLF or LF, a byte-order mark. Repeated column names are kept (`Sprint`, `Sprint`, ...); a
/// row one field short of the header (a trailing empty field dropped, as Linear writes them)
/// is padded. Only the columns for which `keep` says yes are copied out.
pub fn read_records(
    file: &str,
    bytes: &[u8],
    keep: &dyn Fn(&[String]) -> Vec<bool>,
    problems: &mut Problems,
) -> Option<Records> {
    if let Some(p) = crate::ingest::read::utf16(file, bytes) {
        problems.push(p);
        return None;
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Blank lines and a `sep=` line before the header are skipped; lines keep their numbers.
    let pre = crate::ingest::read::preamble(body);
    let separator = pre.separator(body);
    let header_line = pre.header_line();
    let body = &body[pre.skip..];
    let before = problems.total;
    let mut header: Option<Vec<String>> = None;
    let mut kept: Vec<bool> = Vec::new();
    // Rows hold only the kept fields: reserve for those, not for the whole header.
    let mut kept_count = 0usize;
    let mut rows = Vec::new();
    let mut i = 0usize;
    let mut line = header_line;
    let n = body.len();
    let mut field = Vec::<u8>::new();
    while i < n {
        let start_line = line;
        let mut fields: Vec<String> = Vec::with_capacity(kept_count.max(1));
        let mut count = 0usize;
        let mut bad_utf8 = false;
        // Whether any field is quoted or has more than spaces.
        let mut content = false;
        // One record.
        loop {
            field.clear();
            let mut quoted = false;
            if i < n && body[i] == b'"' {
                quoted = true;
                content = true;
                i += 1;
                loop {
                    if i >= n {
                        problems.push(Problem::at(
                            file,
                            start_line as usize,
                            None,
                            "a quoted field is never closed",
                        ));
                        return None;
                    }
                    let b = body[i];
                    if b == b'"' {
                        if i + 1 < n && body[i + 1] == b'"' {
                            field.push(b'"');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    if b == b'\n' {
                        line += 1;
                    }
                    field.push(b);
                    i += 1;
                }
            }
            while i < n && body[i] != separator && body[i] != b'\n' && body[i] != b'\r' {
                if quoted && body[i] != b' ' {
                    problems.push(Problem::at(
                        file,
                        line as usize,
                        None,
                        "text after a closing quote; quote the whole field",
                    ));
                    quoted = false;
                }
                field.push(body[i]);
                i += 1;
            }
            content = content || !crate::ingest::read::is_blank(&field, separator);
            let want = header.is_none() || kept.get(count).copied().unwrap_or(false);
            if want {
                match std::str::from_utf8(&field) {
                    Ok(s) => fields.push(s.trim().to_string()),
                    Err(_) => {
                        bad_utf8 = true;
                        fields.push(String::new());
                    }
                }
            } else if header.is_none() {
                fields.push(String::new());
            }
            count += 1;
            if i < n && body[i] == separator {
                i += 1;
                continue;
            }
            // End of record.
            if i < n && body[i] == b'\r' {
                i += 1;
            }
            if i < n && body[i] == b'\n' {
                i += 1;
            }
            line += 1;
            break;
        }
        if bad_utf8 {
            problems.push(Problem::at(
                file,
                start_line as usize,
                None,
                format!(
                    "bytes that are not UTF-8; {}",
                    crate::ingest::read::NOT_UTF8_HINT
                ),
            ));
            continue;
        }
        if !content && header.is_some() {
            // A blank line, or fields that are all empty (as spreadsheets save rows that once
            // had formatting).
            continue;
        }
        match &header {
            None => {
                kept = keep(&fields);
                kept_count = kept.iter().filter(|k| **k).count();
                header = Some(fields);
            }
            Some(h) => {
                if count + 1 == h.len() {
                    if kept[h.len() - 1] {
                        fields.push(String::new());
                    }
                } else if count != h.len() {
                    problems.push(Problem::at(
                        file,
                        start_line as usize,
                        None,
                        format!("{count} fields where the header has {}", h.len()),
                    ));
                    continue;
                }
                rows.push((start_line, fields));
            }
        }
    }
    let Some(header) = header else {
        problems.push(Problem::file(file, "the file is empty"));
        return None;
    };
    let kept = header
        .iter()
        .zip(&kept)
        .filter(|(_, k)| **k)
        .map(|(h, _)| h.clone())
        .collect();
    (problems.total == before).then_some(Records {
        header,
        kept,
        rows,
        separator,
        header_line,
    })
}
