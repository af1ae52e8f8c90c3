//! Schema versions. Every schema change is a numbered migration in `queries/schema/`, applied
//! in place to an existing file (never a rebuild); the version is kept in `meta`.

use crate::error::{Error, Result};
use duckdb::Connection;
use std::path::Path;

/// Schema migrations in order, each a list of statements run in one transaction; the store's
/// version is the number of the last one applied.
fn migrations() -> Vec<(i64, Vec<String>)> {
    vec![
        (
            1,
            vec![include_str!("../../queries/schema/001_init.sql").into()],
        ),
        (
            2,
            vec![
                include_str!("../../queries/schema/002_round_stats.sql").into(),
                // Every round already stored, from the stored votes alone.
                "create temp table touched_stories as \
                 select distinct team, session, story from votes"
                    .into(),
                include_str!("../../queries/schema/002_round_stats_backfill.sql")
                    .replace("$incoming", "(select * from votes where false)"),
                "drop table touched_stories".into(),
                "insert into voters select distinct team, voter from votes".into(),
            ],
        ),
        (
            3,
            vec![include_str!("../../queries/schema/003_round_basis.sql").into()],
        ),
        (
            4,
            vec![include_str!("../../queries/schema/004_kept_reports.sql").into()],
        ),
        (
            5,
            vec![include_str!("../../queries/schema/005_rooms.sql").into()],
        ),
        (
            6,
            vec![include_str!("../../queries/schema/006_sprint_events.sql").into()],
        ),
    ]
}

/// The newest schema this build writes and reads.
pub const SCHEMA_VERSION: i64 = 6;

const SCHEMA_TABLES: &str = include_str!("../../queries/store/schema_tables.sql");
const SCHEMA_VERSION_SQL: &str = include_str!("../../queries/store/schema_version.sql");

/// The schema version recorded in the file; 0 for a file without sprintlens tables.
pub fn version(conn: &Connection, path: &Path) -> Result<i64> {
    let (tables, has_meta): (i64, bool) = conn
        .query_row(SCHEMA_TABLES, [], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(Error::db("reading the schema version"))?;
    if !has_meta {
        if tables > 0 {
            return Err(Error::Store {
                path: path.to_path_buf(),
                message: "not a sprintlens database (it holds other tables); use another --db"
                    .into(),
            });
        }
        return Ok(0);
    }
    let v: Option<String> = conn
        .query_row(SCHEMA_VERSION_SQL, [], |r| r.get(0))
        .map_err(Error::db("reading the schema version"))?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Whether the file needs a migration this build has.
pub fn needs_upgrade(version: i64) -> bool {
    (1..SCHEMA_VERSION).contains(&version)
}

/// A file written by a newer sprintlens is refused.
pub fn check_version(version: i64, path: &Path) -> Result<()> {
    if version > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Applies every migration the file has not had, each in its own transaction.
pub fn upgrade(conn: &Connection, path: &Path) -> Result<()> {
    let version = version(conn, path)?;
    check_version(version, path)?;
    for (v, statements) in migrations() {
        if v > version {
            let run = || -> duckdb::Result<()> {
                conn.execute_batch("begin")?;
                for sql in &statements {
                    conn.execute_batch(sql)?;
                }
                conn.execute_batch(&format!(
                    "delete from meta where key = 'schema_version'; \
                     insert into meta values ('schema_version', '{v}'); commit;"
                ))
            };
            if let Err(e) = run() {
                let _ = conn.execute_batch("rollback");
                return Err(Error::db(format!("applying schema migration {v}"))(e));
            }
        }
    }
    Ok(())
}
