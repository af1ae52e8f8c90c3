//! Which tool wrote an export, and importing it: the tool named by `--from`, else the one tool
//! whose header fits; the export's rows become canonical tables through that tool's reader.

use crate::domain::Kind;
use crate::error::{Problem, Problems};
use crate::ingest::export::azure::AZURE;
use crate::ingest::export::canon::{
    Canon, Cols, Context, Import, ImportOptions, Reader, Source, Tool,
};
use crate::ingest::export::jira::JIRA;
use crate::ingest::export::linear::LINEAR;
use crate::ingest::export::parabol::PARABOL;
use crate::ingest::export::records::read_records;
use crate::ingest::read::RawTable;

/// Every tool sprintlens imports, in the order `--from` lists them.
pub const TOOLS: [(Source, &Tool); 4] = [
    (Source::Jira, &JIRA),
    (Source::Azure, &AZURE),
    (Source::Linear, &LINEAR),
    (Source::Parabol, &PARABOL),
];

/// The CSV importer of a source (`None` for the JSON and wide formats, read elsewhere).
pub fn tool(source: Source) -> Option<&'static Tool> {
    TOOLS.iter().find(|(s, _)| *s == source).map(|(_, t)| *t)
}

/// Which tool wrote a header, when only one fits.
pub fn detect(header: &[String]) -> Option<Source> {
    let mut fits = TOOLS.iter().filter(|(_, t)| t.recognises(header));
    match (fits.next(), fits.next()) {
        (Some((s, _)), None) => Some(*s),
        _ => None,
    }
}

/// The columns a tool reads; the others are skipped while parsing.
fn wanted(tool: &Tool, options: &ImportOptions, header: &[String]) -> Vec<bool> {
    header
        .iter()
        .map(|h| {
            tool.columns
                .iter()
                .chain(tool.points)
                .any(|n| h.eq_ignore_ascii_case(n))
                || options
                    .points_field
                    .as_deref()
                    .is_some_and(|p| h.eq_ignore_ascii_case(p))
        })
        .collect()
}

/// Reads one export into canonical tables (teams come from the rows).
pub fn import(
    file: &str,
    bytes: &[u8],
    ctx: &Context,
    problems: &mut Problems,
) -> Option<Vec<(Kind, RawTable)>> {
    let source_cell = std::cell::Cell::new(ctx.options.from);
    let header_problem = std::cell::RefCell::new(None::<String>);
    let keep = |header: &[String]| -> Vec<bool> {
        let source = match source_cell.get().or_else(|| detect(header)) {
            Some(s) => s,
            None => {
                *header_problem.borrow_mut() = Some(format!(
                    "cannot tell which tool wrote this export from its header; say --from {} \
                     (or use --map with --kind)",
                    Source::listed()
                ));
                return vec![false; header.len()];
            }
        };
        source_cell.set(Some(source));
        match tool(source) {
            Some(t) => wanted(t, ctx.options, header),
            None => vec![false; header.len()],
        }
    };
    let records = read_records(file, bytes, &keep, problems)?;
    if let Some(m) = header_problem.into_inner() {
        problems.push(Problem::at(file, 1, None, m));
        return None;
    }
    let Some(tool) = tool(source_cell.get()?) else {
        problems.push(Problem::file(
            file,
            "this format is not a CSV export of a tool sprintlens reads by its header",
        ));
        return None;
    };
    let mut formats: Vec<String> = ctx.options.date_format.iter().cloned().collect();
    formats.extend(tool.date_formats.iter().map(|s| s.to_string()));
    // Lookups and messages go through the kept columns (rows hold only those).
    let imp = Import {
        file,
        records: &records,
        cols: Cols {
            header: &records.kept,
            line: records.header_line as usize,
        },
        ctx,
    };
    let mut r = Reader {
        file,
        header: &records.kept,
        formats,
        decimal_comma: crate::ingest::read::decimal_comma(records.separator),
        problems,
    };
    let mut canon = Canon::default();
    (tool.read)(&imp, &mut r, &mut canon)?;
    Some(canon.into_tables(file))
}
