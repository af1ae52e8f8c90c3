//! The store: one DuckDB file holding the canonical data. The only module that talks to
//! DuckDB. Below it: nothing; above it: ingest (writes) and the reports (reads).

use crate::domain::Deck;
use crate::error::{Error, Result};
use crate::ingest::native::{Frame, KindSpec, spec};
use duckdb::{AccessMode, Config, Connection, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Schema migrations in order; the store's version is the number of the last one applied.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../queries/schema/001_init.sql"))];

/// The newest schema this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// Queries of the store itself, one per file in `queries/store/`.
pub mod queries {
    pub const INFO_TEAMS: &str = include_str!("../queries/store/info_teams.sql");
    pub const INFO_INGESTS: &str = include_str!("../queries/store/info_ingests.sql");
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// What writing one file changed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct WriteStats {
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    /// Rows the file's data replaced away (cards dropped from a team's deck).
    pub removed: usize,
}

/// One file's entry for the ingest log.
pub struct LogEntry {
    pub file: String,
    pub sha256: String,
}

impl Store {
    /// Opens (or creates) the store for reading and writing, applying pending migrations.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            std::fs::create_dir_all(dir)
                .map_err(Error::io(dir, "cannot create the database's folder"))?;
        }
        let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        let version = store.schema_version()?;
        store.check_version(version)?;
        for (v, sql) in MIGRATIONS {
            if *v > version {
                store
                    .conn
                    .execute_batch(&format!(
                        "begin; {sql}; delete from meta where key = 'schema_version'; \
                         insert into meta values ('schema_version', '{v}'); commit;"
                    ))
                    .map_err(Error::db(format!("applying schema migration {v}")))?;
            }
        }
        Ok(store)
    }

    /// Opens an existing store without the right to change it; `None` when there is no file.
    pub fn open_read_only(path: &Path) -> Result<Option<Store>> {
        if !path.exists() {
            return Ok(None);
        }
        let config = Config::default()
            .access_mode(AccessMode::ReadOnly)
            .map_err(Error::db("configuring a read-only connection"))?;
        let conn = Connection::open_with_flags(path, config).map_err(|e| open_error(path, e))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        let version = store.schema_version()?;
        store.check_version(version)?;
        if version == 0 {
            return Err(Error::Store {
                path: path.to_path_buf(),
                message: "not a sprintlens database (it has no sprintlens schema)".into(),
            });
        }
        Ok(Some(store))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Another connection to the same open database (same access mode), for work in parallel.
    pub fn try_clone(&self) -> Result<Store> {
        Ok(Store {
            conn: self
                .conn
                .try_clone()
                .map_err(Error::db("opening another connection"))?,
            path: self.path.clone(),
        })
    }

    fn check_version(&self, version: i64) -> Result<()> {
        if version > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    /// The schema version recorded in the file; 0 for a file without sprintlens tables.
    pub fn schema_version(&self) -> Result<i64> {
        let has_meta: i64 = self
            .conn
            .query_row(
                "select count(*) from information_schema.tables where table_name = 'meta' and table_schema = 'main'",
                [],
                |r| r.get(0),
            )
            .map_err(Error::db("reading the schema version"))?;
        if has_meta == 0 {
            let tables: i64 = self
                .conn
                .query_row(
                    "select count(*) from information_schema.tables where table_schema = 'main'",
                    [],
                    |r| r.get(0),
                )
                .map_err(Error::db("reading the schema version"))?;
            if tables > 0 {
                return Err(Error::Store {
                    path: self.path.clone(),
                    message: "not a sprintlens database (it holds other tables); use another --db"
                        .into(),
                });
            }
            return Ok(0);
        }
        let v: Option<String> = self
            .conn
            .query_row(
                "select max(value) from meta where key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(Error::db("reading the schema version"))?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// The decks stored per team.
    pub fn decks(&self) -> Result<HashMap<String, Deck>> {
        let mut stmt = self
            .conn
            .prepare("select team, deck, card, value from decks order by team, position")
            .map_err(Error::db("reading decks"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<f64>>(3)?,
                ))
            })
            .map_err(Error::db("reading decks"))?;
        let mut out: HashMap<String, Deck> = HashMap::new();
        for row in rows {
            let (team, deck, card, value) = row.map_err(Error::db("reading decks"))?;
            out.entry(team)
                .or_insert_with(|| Deck {
                    name: deck,
                    cards: Vec::new(),
                })
                .cards
                .push(crate::domain::Card { shown: card, value });
        }
        Ok(out)
    }

    /// Writes validated frames in one transaction: all land, or none do.
    /// `default_decks` are recorded for teams that have no deck stored yet.
    pub fn write(
        &mut self,
        frames: &[Frame],
        log: &[LogEntry],
        default_decks: &[(String, Deck)],
    ) -> Result<Vec<WriteStats>> {
        let tx = self
            .conn
            .transaction()
            .map_err(Error::db("starting the ingest transaction"))?;
        let mut stats = Vec::with_capacity(frames.len());
        let now = chrono::Utc::now().naive_utc();
        let first_id: i64 = tx
            .query_row("select coalesce(max(id), 0) + 1 from ingest_log", [], |r| {
                r.get(0)
            })
            .map_err(Error::db("reading the ingest log"))?;
        for (k, (frame, entry)) in frames.iter().zip(log).enumerate() {
            let s = merge_frame(&tx, frame)?;
            merge_teams(&tx, frame)?;
            tx.execute(
                "insert into ingest_log values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    first_id + k as i64,
                    now,
                    entry.file,
                    entry.sha256,
                    frame.kind.name(),
                    s.rows as i64,
                    s.inserted as i64,
                    s.updated as i64,
                    s.removed as i64
                ],
            )
            .map_err(Error::db("writing the ingest log"))?;
            stats.push(s);
        }
        store_default_decks(&tx, default_decks)?;
        tx.commit().map_err(Error::db("committing the ingest"))?;
        Ok(stats)
    }

    /// Runs a query of `queries/` and maps every row.
    pub fn query_rows<T, P: duckdb::Params>(
        &self,
        name: &str,
        sql: &str,
        params: P,
        f: impl FnMut(&duckdb::Row<'_>) -> duckdb::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self
            .conn
            .prepare(sql)
            .map_err(Error::db(format!("preparing {name}")))?;
        let rows = stmt
            .query_map(params, f)
            .map_err(Error::db(format!("running {name}")))?;
        rows.collect::<duckdb::Result<Vec<T>>>()
            .map_err(Error::db(format!("reading {name}")))
    }

    /// Runs a query of `queries/` into a Polars frame (the Arrow hand-over of the pipeline).
    pub fn query_frame<P: duckdb::Params>(
        &self,
        name: &str,
        sql: &str,
        params: P,
    ) -> Result<polars::prelude::DataFrame> {
        let mut stmt = self
            .conn
            .prepare(sql)
            .map_err(Error::db(format!("preparing {name}")))?;
        let frames: Vec<polars::prelude::DataFrame> = stmt
            .query_polars(params)
            .map_err(Error::db(format!("running {name}")))?
            .collect();
        let mut it = frames.into_iter();
        let Some(mut df) = it.next() else {
            return Ok(polars::prelude::DataFrame::empty());
        };
        for more in it {
            df.vstack_mut(&more)
                .map_err(Error::frame(format!("reading {name}")))?;
        }
        Ok(df)
    }

    /// Every team with its program.
    pub fn teams(&self) -> Result<Vec<(String, Option<String>)>> {
        self.query_rows(
            "teams",
            "select team, program from teams order by team",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Row counts of every canonical table, for tests and `info`.
    pub fn table_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for s in crate::ingest::native::SPECS {
            let table = s.kind.name();
            let n: i64 = self
                .conn
                .query_row(&format!("select count(*) from {table}"), [], |r| r.get(0))
                .map_err(Error::db(format!("counting {table}")))?;
            out.push((table.to_string(), n));
        }
        Ok(out)
    }

    /// The columns of a table as the database has them: (name, type).
    pub fn table_columns(&self, table: &str) -> Result<Vec<(String, String)>> {
        self.query_rows(
            "table columns",
            "select column_name, data_type from information_schema.columns \
             where table_schema = 'main' and table_name = ? order by ordinal_position",
            [table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }
}

fn open_error(path: &Path, e: duckdb::Error) -> Error {
    let msg = e.to_string();
    if msg.contains("lock") {
        Error::Store {
            path: path.to_path_buf(),
            message: format!("the database is in use by another process ({msg})"),
        }
    } else {
        Error::Store {
            path: path.to_path_buf(),
            message: format!("cannot be opened as a DuckDB database: {msg}"),
        }
    }
}

fn key_match(spec: &KindSpec, a: &str, b: &str) -> String {
    spec.keys
        .iter()
        .map(|k| format!("{a}.\"{k}\" = {b}.\"{k}\""))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Upserts one frame by its natural key. Only the columns the file gave are compared and
/// updated, so a file without titles does not erase titles another file gave.
fn merge_frame(tx: &duckdb::Transaction<'_>, frame: &Frame) -> Result<WriteStats> {
    let spec = spec(frame.kind);
    let table = frame.kind.name();
    let stage = format!("stage_{table}");
    let ctx = |what: &str| format!("{what} {table} from {}", frame.file);
    let existing: i64 = tx
        .query_row(
            &format!("select count(*) from (select 1 from main.{table} limit 1)"),
            [],
            |r| r.get(0),
        )
        .map_err(Error::db(ctx("reading")))?;
    if existing == 0 {
        // An empty table: every row is new (keys are unique within a frame), so the rows go
        // straight in without a staging table and a merge.
        let mut app = tx.appender(table).map_err(Error::db(ctx("inserting")))?;
        app.append_record_batch(frame.batch.clone())
            .map_err(Error::db(ctx("inserting")))?;
        app.flush().map_err(Error::db(ctx("inserting")))?;
        let n = frame.batch.num_rows();
        return Ok(WriteStats {
            rows: n,
            inserted: n,
            updated: 0,
            removed: 0,
        });
    }
    tx.execute_batch(&format!(
        "create or replace temp table {stage} as select * from main.{table} limit 0"
    ))
    .map_err(Error::db(ctx("staging")))?;
    {
        let mut app = tx
            .appender_to_catalog_and_db(&stage, "temp", "main")
            .map_err(Error::db(ctx("staging")))?;
        app.append_record_batch(frame.batch.clone())
            .map_err(Error::db(ctx("staging")))?;
        app.flush().map_err(Error::db(ctx("staging")))?;
    }
    let values: Vec<&str> = frame
        .present
        .iter()
        .copied()
        .filter(|c| !spec.keys.contains(c))
        .collect();
    let on = key_match(spec, "t", "s");
    let mut updated = 0;
    if !values.is_empty() {
        let set = values
            .iter()
            .map(|c| format!("\"{c}\" = s.\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let differs = values
            .iter()
            .map(|c| format!("t.\"{c}\" is distinct from s.\"{c}\""))
            .collect::<Vec<_>>()
            .join(" or ");
        updated = tx
            .execute(
                &format!(
                    "update main.{table} t set {set} from {stage} s where {on} and ({differs})"
                ),
                [],
            )
            .map_err(Error::db(ctx("updating")))?;
    }
    let inserted = tx
        .execute(
            &format!(
                "insert into main.{table} select s.* from {stage} s \
                 where not exists (select 1 from main.{table} t where {on})"
            ),
            [],
        )
        .map_err(Error::db(ctx("inserting")))?;
    let mut removed = 0;
    if frame.kind == crate::domain::Kind::Decks {
        // A decks file gives each of its teams the whole deck: cards it no longer lists go.
        removed = tx
            .execute(
                &format!(
                    "delete from main.decks t where t.team in (select team from {stage}) \
                     and not exists (select 1 from {stage} s where {on})"
                ),
                [],
            )
            .map_err(Error::db(ctx("replacing")))?;
    }
    tx.execute_batch(&format!("drop table {stage}"))
        .map_err(Error::db(ctx("staging")))?;
    Ok(WriteStats {
        rows: frame.batch.num_rows(),
        inserted,
        updated,
        removed,
    })
}

/// Records the default deck for teams that vote without having named one, so that every
/// team with votes has its deck (and card steps) in the store.
fn store_default_decks(tx: &duckdb::Transaction<'_>, decks: &[(String, Deck)]) -> Result<()> {
    for (team, deck) in decks {
        let has: i64 = tx
            .query_row("select count(*) from decks where team = ?", [team], |r| {
                r.get(0)
            })
            .map_err(Error::db("finding teams without a deck"))?;
        if has > 0 {
            continue;
        }
        for (k, c) in deck.cards.iter().enumerate() {
            tx.execute(
                "insert into decks values (?, ?, ?, ?, ?)",
                params![team, k as i32, c.shown, c.value, deck.name],
            )
            .map_err(Error::db("storing the default deck"))?;
        }
    }
    Ok(())
}

/// Adds the teams a frame names and sets their program where the file or flags give one.
fn merge_teams(tx: &duckdb::Transaction<'_>, frame: &Frame) -> Result<()> {
    if frame.kind == crate::domain::Kind::Teams {
        return Ok(());
    }
    for (team, program) in &frame.teams {
        tx.execute(
            "insert into teams select ?, null, ? where not exists (select 1 from teams where team = ?)",
            params![team, program, team],
        )
        .map_err(Error::db("adding teams"))?;
        if let Some(p) = program {
            tx.execute(
                "update teams set program = ? where team = ? and program is distinct from ?",
                params![p, team, p],
            )
            .map_err(Error::db("setting programs"))?;
        }
    }
    Ok(())
}

impl Store {
    /// Loads a CSV file with DuckDB's own reader into a plain new table (the benchmark's
    /// yardstick: no checks, no merge). Returns the rows loaded.
    pub fn load_csv_raw(&self, table: &str, csv: &Path) -> Result<usize> {
        let path = csv.to_string_lossy().to_string();
        self.conn
            .execute(
                &format!("create table \"{table}\" as select * from read_csv(?)"),
                [path],
            )
            .map_err(Error::db(format!(
                "loading {} with read_csv",
                csv.display()
            )))?;
        let n: i64 = self
            .conn
            .query_row(&format!("select count(*) from \"{table}\""), [], |r| {
                r.get(0)
            })
            .map_err(Error::db(format!("counting {table}")))?;
        Ok(n as usize)
    }
}
