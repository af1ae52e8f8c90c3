//! The store's data out as Parquet, partitioned by team (`sprintlens export --parquet DIR`):
//! one folder per table, `DIR/<table>/team=<team>/data_0.parquet`, as Spark, Trino, dbt and
//! DuckDB read a Hive-partitioned data set. DuckDB writes the files itself.

use crate::domain::Kind;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::scan;
use duckdb::arrow::record_batch::RecordBatch;
use std::path::Path;

const VOTES_PSEUDONYMISED: &str = include_str!("../../queries/export/votes_pseudonymised.sql");

/// A path as a SQL string literal (COPY takes no parameter for its target).
fn literal(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', "''"))
}

impl Store {
    /// Writes the rows of `select` (with a `team` column) as Parquet under `dir/name`, one
    /// folder per team; what was there before is replaced. Gives the rows written.
    fn copy_partitioned(&self, name: &str, select: &str, dir: &Path) -> Result<usize> {
        let target = dir.join(name);
        let context = || format!("writing {} as Parquet", target.display());
        let rows: i64 = self
            .conn
            .query_row(&format!("select count(*) from ({select})"), [], |r| {
                r.get(0)
            })
            .map_err(Error::db(context()))?;
        if target.exists() {
            std::fs::remove_dir_all(&target)
                .map_err(Error::io(&target, "cannot replace the earlier export"))?;
        }
        if rows == 0 {
            // No partition to write: an empty folder says the table is empty.
            std::fs::create_dir_all(&target)
                .map_err(Error::io(&target, "cannot create the folder"))?;
            return Ok(0);
        }
        self.conn
            .execute_batch(&format!(
                "copy ({select}) to {} (format parquet, partition_by (team), compression zstd)",
                literal(&target)
            ))
            .map_err(Error::db(context()))?;
        Ok(rows as usize)
    }

    /// A canonical table as Parquet under `dir/<table>`; votes name their voters by the
    /// `pseudonyms` batch (team, voter, pseudonym) when one is given.
    pub fn export_table(
        &self,
        kind: Kind,
        pseudonyms: Option<RecordBatch>,
        dir: &Path,
    ) -> Result<usize> {
        let table = kind.name();
        match (kind, pseudonyms) {
            (Kind::Votes, Some(p)) => {
                let names = scan::register(vec![p]);
                self.copy_partitioned(
                    table,
                    &VOTES_PSEUDONYMISED.replace("$pseudonyms", &names.source()),
                    dir,
                )
            }
            // The table name comes from the schema, never from input.
            _ => self.copy_partitioned(table, &format!("select * from main.{table}"), dir),
        }
    }

    /// Computed figures (a batch with a `team` column) as Parquet under `dir/name`.
    pub fn export_batch(&self, name: &str, batch: RecordBatch, dir: &Path) -> Result<usize> {
        let rows = scan::register(vec![batch]);
        self.copy_partitioned(name, &format!("select * from {}", rows.source()), dir)
    }
}
