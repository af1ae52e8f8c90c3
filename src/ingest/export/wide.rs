//! Wide per-voter CSV (`--from wide`): one row per story, one column per voter — the layout of
//! planningpoker.live's export (`Round,"Alice","Bob",Average,Majority,Notes`) and of hand-kept
//! spreadsheets. The first column is the story; columns named Average, Mean, Median, Majority,
//! Final, Estimate or Notes are not voters; every other column is one. Cells are card labels
//! (empty: that person did not vote). The export keeps the last vote of each story only, so the
//! votes are stored as round 1 with `last_round_only`; `Majority` (else `Final`, `Estimate`) is
//! the final estimate. The reader is lenient with quotes, as the tool does not escape `"` inside
//! a cell: a quote ends a quoted cell only before a comma or the line's end.

use crate::domain::Kind;
use crate::error::{Problem, Problems};
use crate::ingest::export::canon::{Canon, Context, last_round_vote, score_points, story_cells};
use crate::ingest::read::RawTable;

/// Columns that are not voters.
const NOT_VOTERS: [&str; 7] = [
    "average", "mean", "median", "majority", "final", "estimate", "notes",
];

/// One line's cells: quoted cells may hold separators and unescaped quotes.
fn cells(line: &str, separator: u8) -> Vec<String> {
    cells_read(line, separator).0
}

/// One line's cells, and the positions of those read leniently: a quote inside a cell that
/// CSV would have refused (not doubled in a quoted cell, or in a cell without quotes).
fn cells_read(line: &str, separator: u8) -> (Vec<String>, Vec<usize>) {
    let mut out = Vec::new();
    let mut lenient = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    loop {
        if i < b.len() && b[i] == b'"' {
            // Quoted: up to a quote followed by a comma or the end.
            let start = i + 1;
            let mut j = start;
            let mut end = None;
            while j < b.len() {
                if b[j] == b'"' && (j + 1 == b.len() || b[j + 1] == separator) {
                    end = Some(j);
                    break;
                }
                j += 1;
            }
            let inner = &line[start..end.unwrap_or(b.len())];
            if end.is_none() || inner.replace("\"\"", "").contains('"') {
                lenient.push(out.len());
            }
            out.push(inner.replace("\"\"", "\""));
            i = end.map_or(b.len(), |e| e + 1);
        } else {
            let start = i;
            while i < b.len() && b[i] != separator {
                i += 1;
            }
            let cell = line[start..i].trim();
            if cell.contains('"') {
                lenient.push(out.len());
            }
            out.push(cell.to_string());
        }
        if i < b.len() && b[i] == separator {
            i += 1;
            continue;
        }
        break;
    }
    (out, lenient)
}

/// Whether a header line is planningpoker.live's (`Round`, the members, `Average`, `Majority`,
/// optionally `Notes`): such a file is read by this importer without `--from wide`, since
/// CSV cannot read the quotes it leaves unescaped.
pub fn recognises(header: &str, separator: u8) -> bool {
    let h = cells(header.trim_end_matches('\r'), separator);
    let at = |name: &str| h.iter().position(|c| c.trim().eq_ignore_ascii_case(name));
    let (Some(0), Some(avg), Some(maj)) = (at("round"), at("average"), at("majority")) else {
        return false;
    };
    // At least one member between the story and the figures.
    avg > 1 && maj > avg
}

/// Cells read leniently are named at most this many times per file (then counted).
const LENIENT_NAMED: usize = 10;

/// `PAY-142 Refund flow` -> (`PAY-142`, `Refund flow`); a topic without a key is its own key.
pub fn key_and_title(topic: &str) -> (String, String) {
    let topic = topic.trim();
    if let Some((first, rest)) = topic.split_once(char::is_whitespace) {
        let first = first.trim_end_matches(':');
        let keyish = first.contains('-')
            && first.chars().any(|c| c.is_ascii_digit())
            && first
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if keyish {
            return (first.to_string(), rest.trim().to_string());
        }
    }
    (topic.to_string(), topic.to_string())
}

pub fn import(
    file: &str,
    bytes: &[u8],
    ctx: &Context,
    problems: &mut Problems,
) -> Option<Vec<(Kind, RawTable)>> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        problems.push(Problem::file(
            file,
            format!("is not UTF-8 text; {}", crate::ingest::read::NOT_UTF8_HINT),
        ));
        return None;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let team = ctx.team_or_ask(file, "a wide votes file", problems)?;
    // Blank lines and a `sep=` line before the header are skipped; lines keep their numbers.
    let pre = crate::ingest::read::preamble(text.as_bytes());
    let header_line = pre.header_line() as usize;
    let mut lines = text[pre.skip..]
        .lines()
        .enumerate()
        .map(|(n, line)| (n + header_line, line));
    let Some((_, head)) = lines.next() else {
        problems.push(Problem::file(file, "is empty"));
        return None;
    };
    let separator = pre.separator(text.as_bytes());
    let header = cells(head, separator);
    let decimal_comma = crate::ingest::read::decimal_comma(separator);
    let is = |h: &str, names: &[&str]| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n));
    let voters: Vec<usize> = (1..header.len())
        .filter(|&c| !is(&header[c], &NOT_VOTERS) && !header[c].trim().is_empty())
        .collect();
    let final_col = ["majority", "final", "estimate"]
        .iter()
        .find_map(|n| header.iter().position(|h| is(h, &[n])));
    if header.len() < 2 || voters.is_empty() {
        problems.push(Problem::at(
            file,
            header_line,
            None,
            format!(
                "a wide votes file has the story first and one column per voter; this header \
                 has no voter column ({})",
                crate::error::shown_list(&header, 10)
            ),
        ));
        return None;
    }
    // The session: the file's name without folders or a data extension (the tool's own
    // name, `Planning Poker Session - 27.11.2026`, has none).
    let path = std::path::Path::new(file);
    let data_ext = path.extension().is_some_and(|e| {
        ["csv", "txt", "tsv"].contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
    });
    let session = if data_ext {
        path.file_stem()
    } else {
        path.file_name()
    }
    .map(|s| s.to_string_lossy().to_string())
    .unwrap_or_else(|| file.to_string());
    let deck = ctx.settings.team(team).deck.deck();
    let mut canon = Canon::default();
    canon.source(Kind::Stories, "type", false);
    canon.source(Kind::Stories, "created_at", false);
    canon.source(Kind::Votes, "voted_at", false);
    let before = problems.total;
    let mut lenient: Vec<String> = Vec::new();
    let mut lenient_count = 0usize;
    for (n, line) in lines {
        let line_no = n as u32;
        // A blank line, or only separators (a spreadsheet's row that once had formatting).
        if crate::ingest::read::is_blank(line.as_bytes(), separator) {
            continue;
        }
        let (row, loose) = cells_read(line, separator);
        for c in loose {
            lenient_count += 1;
            if lenient.len() < LENIENT_NAMED {
                let column = header.get(c).map_or(String::new(), |h| {
                    format!(" column \"{}\"", crate::error::shown(h.trim()))
                });
                lenient.push(format!("line {line_no}{column}"));
            }
        }

        if row.len() != header.len() {
            problems.push(Problem::at(
                file,
                line_no as usize,
                None,
                format!("{} cells where the header has {}", row.len(), header.len()),
            ));
            continue;
        }
        let topic = row[0].trim();
        if topic.is_empty() {
            problems.push(Problem::at(
                file,
                line_no as usize,
                Some(&header[0]),
                "the story is empty",
            ));
            continue;
        }
        let (key, title) = key_and_title(topic);
        let score = final_col.map_or("", |c| row[c].as_str());
        let estimate = match score_points(score, team, &deck, decimal_comma) {
            Ok(e) => e,
            Err(m) => {
                problems.push(Problem::at(
                    file,
                    line_no as usize,
                    final_col.map(|c| header[c].as_str()),
                    m,
                ));
                continue;
            }
        };
        canon.push(
            Kind::Stories,
            line_no,
            story_cells(team, &key, Some(title), None, None, estimate),
        );
        for &c in &voters {
            let card = row[c].trim();
            let card = crate::ingest::values::number_text(card, decimal_comma);
            if card.is_empty() {
                continue;
            }
            canon.push(
                Kind::Votes,
                line_no,
                last_round_vote(team, &session, &key, header[c].trim(), &card, None),
            );
        }
    }
    if problems.total > before {
        return None;
    }
    if lenient_count > 0 {
        let more = match lenient_count.saturating_sub(lenient.len()) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        ctx.note(format!(
            "{file}: {} read leniently: a quote inside a cell that CSV does not allow (the tool \
             does not escape quotes), taken as written: {}{more}",
            if lenient_count == 1 {
                "a cell was"
            } else {
                "cells were"
            },
            lenient.join(", ")
        ));
    }
    Some(canon.into_tables(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tools_header_is_recognised() {
        assert!(recognises(
            "Round,\"Alice\",\"Bob\",Average,Majority,Notes",
            b','
        ));
        assert!(recognises("Round;\"Alice\";Average;Majority\r", b';'));
        // No member, or not the tool's first column: not its layout.
        assert!(!recognises("Round,Average,Majority,Notes", b','));
        assert!(!recognises("Story,Alice,Average,Majority", b','));
        assert!(!recognises("team,session,story,round,voter,card", b','));
    }

    #[test]
    fn cells_read_leniently_are_named() {
        let (row, loose) = cells_read(r#""PAY-142 "Refund" flow","5",a "b" c,"",8"#, b',');
        assert_eq!(
            row,
            vec!["PAY-142 \"Refund\" flow", "5", "a \"b\" c", "", "8"]
        );
        assert_eq!(loose, vec![0, 2]);
        // Doubled quotes are CSV's own escape: nothing lenient.
        let (row, loose) = cells_read(r#""say ""hi""",x"#, b',');
        assert_eq!(row, vec!["say \"hi\"", "x"]);
        assert!(loose.is_empty());
    }

    #[test]
    fn quotes_are_read_leniently() {
        assert_eq!(
            cells(r#""PAY-142 "Refund" flow","5","",8,"a, b""#, b','),
            vec!["PAY-142 \"Refund\" flow", "5", "", "8", "a, b"]
        );
        assert_eq!(cells("a,,b", b','), vec!["a", "", "b"]);
        assert_eq!(cells("a;\"b; c\";;d", b';'), vec!["a", "b; c", "", "d"]);
        assert_eq!(
            key_and_title("PAY-142 Refund flow"),
            ("PAY-142".into(), "Refund flow".into())
        );
        assert_eq!(
            key_and_title("Refund flow"),
            ("Refund flow".into(), "Refund flow".into())
        );
    }
}
