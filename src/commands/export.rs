//! `sprintlens export --parquet DIR`: the canonical tables and the per-sprint and per-round
//! figures as Parquet files partitioned by team, for a warehouse (Spark, Trino, dbt, DuckDB
//! over object storage). Voters are pseudonymised as in every report unless names are asked
//! for.

use crate::commands::Config;
use crate::commands::metrics::open_with_settings;
use crate::domain::{Kind, Scope};
use crate::error::{Error, Result};
use crate::metrics::spread::{SpreadQuery, spread, voter_pseudonyms};
use crate::metrics::velocity::{VelocityQuery, velocity};
use crate::present::export::{pseudonyms, round_figures, sprint_figures};
use crate::present::table::{Format, Render, Table};
use chrono::NaiveDate;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct ExportArgs {
    /// The folder the data set is written to (made when missing).
    pub dir: PathBuf,
    /// The day that decides which sprints are closed in the sprint figures.
    pub as_of: NaiveDate,
    /// Voters by their stored names instead of "voter N".
    pub show_names: bool,
}

/// One table of the export.
#[derive(Debug, Serialize)]
pub struct Exported {
    pub table: String,
    pub rows: usize,
    pub folder: String,
}

#[derive(Debug, Serialize)]
pub struct ExportSummary {
    pub folder: String,
    pub pseudonymised: bool,
    pub as_of: NaiveDate,
    pub tables: Vec<Exported>,
}

impl Render for ExportSummary {
    fn tables(&self, format: Format) -> Result<String> {
        let mut t = Table::new(&["table", "rows", "folder"], &[false, true, false]);
        for e in &self.tables {
            t.row(vec![e.table.clone(), e.rows.to_string(), e.folder.clone()]);
        }
        let mut s = t.render(format);
        if format == Format::Table {
            s.push_str(&format!(
                "Parquet, one folder per team (team=<key>) in each table's folder; voters {}; \
                 sprint figures as of {}\n",
                if self.pseudonymised {
                    "pseudonymised (--show-names for names)"
                } else {
                    "by name"
                },
                self.as_of
            ));
        }
        Ok(s)
    }
}

pub fn export(c: &Config, a: &ExportArgs, out: &mut dyn Write) -> Result<()> {
    let all = Scope::default();
    let (store, settings) = open_with_settings(c, &all, None)?;
    if a.dir.exists() && !a.dir.is_dir() {
        return Err(Error::Usage(format!(
            "--parquet {}: not a folder",
            a.dir.display()
        )));
    }
    std::fs::create_dir_all(&a.dir).map_err(Error::io(&a.dir, "cannot create the folder"))?;
    let names = (!a.show_names)
        .then(|| voter_pseudonyms(&store, None, None, None))
        .transpose()?;
    let mut tables = Vec::new();
    let mut done = |table: &str, rows: usize| {
        tables.push(Exported {
            table: table.to_string(),
            rows,
            folder: a.dir.join(table).display().to_string(),
        })
    };
    for kind in Kind::ALL {
        let p = match (kind, &names) {
            (Kind::Votes, Some(n)) => Some(pseudonyms(n)),
            _ => None,
        };
        done(kind.name(), store.export_table(kind, p, &a.dir)?);
    }
    let v = velocity(
        &store,
        &VelocityQuery::with_settings(None, None, a.as_of, &settings),
    )?;
    done(
        "sprint_figures",
        store.export_batch("sprint_figures", sprint_figures(&v), &a.dir)?,
    );
    let s = spread(
        &store,
        &SpreadQuery {
            team: None,
            program: None,
            sprint: None,
            since: None,
            show_names: a.show_names,
            stories_only: false,
        },
    )?;
    done(
        "round_figures",
        store.export_batch("round_figures", round_figures(&s), &a.dir)?,
    );
    ExportSummary {
        folder: a.dir.display().to_string(),
        pseudonymised: !a.show_names,
        as_of: a.as_of,
        tables,
    }
    .write_to(c.format, c.json, out)
}
