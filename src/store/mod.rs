//! The store: one DuckDB file holding the canonical data. The only module that talks to
//! DuckDB. Below it: the domain; above it: ingest (writes) and the reports (reads).
//!
//! - [`migrate`]: schema versions, upgraded in place;
//! - [`merge`]: one ingest's frames written in one transaction, handed to DuckDB in bulk
//!   through [`scan`];
//! - [`live`]: what the live round writer knows of the stored votes, so that an event is
//!   stored without searching them;
//! - [`info`]: what the store holds (`sprintlens info`, the index page);
//! - [`export`]: the data out as Parquet, partitioned by team;
//! - [`kept`]: reports kept for the pages, and the generation of each team's last write;
//! - [`rooms`]: the estimation rooms' state, so that a room survives a restart;
//! - [`writer`]: the one writer every write goes through (one queue, one thread, batches of
//!   small writes in one transaction).

pub mod export;
pub mod info;
pub mod kept;
pub mod live;
pub mod merge;
pub mod migrate;
pub mod rooms;
pub mod scan;
mod timing;
pub mod writer;

use crate::domain::schema::{Frame, SPECS, Ty};
use crate::domain::{Card, Deck};
use crate::error::{Error, Result};
use duckdb::{AccessMode, Config, Connection};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use merge::{LogEntry, WriteStats};
pub use migrate::SCHEMA_VERSION;
use timing::Timed;

/// Prepared statements kept per connection (more than the report queries there are).
const STATEMENT_CACHE: usize = 128;

/// A cached statement keeps its last result alive until it runs again: only a statement whose
/// result had at most this many rows (one team's, a page's) goes back to the cache.
const KEEP_RESULT_ROWS: usize = 10_000;

/// Returns a statement to its connection's cache after a small result; drops it (and its
/// result) after a large one, such as every team's rounds for a whole-organisation report.
fn keep_if_small(stmt: duckdb::CachedStatement<'_>, rows: usize) {
    if rows > KEEP_RESULT_ROWS {
        stmt.discard();
    }
}

/// Queries of the store itself, one per file in `queries/store/`.
pub mod queries {
    pub const INFO_TEAMS: &str = include_str!("../../queries/store/info_teams.sql");
    pub const INFO_INGESTS: &str = include_str!("../../queries/store/info_ingests.sql");
    pub const DECKS: &str = include_str!("../../queries/store/decks.sql");
    pub const TEAMS: &str = include_str!("../../queries/store/teams.sql");
    pub const TABLE_COLUMNS: &str = include_str!("../../queries/store/table_columns.sql");
    pub const SPRINT_IDS: &str = include_str!("../../queries/store/sprint_ids.sql");
    pub const ITEM_TIMES: &str = include_str!("../../queries/store/item_times.sql");
    pub const VOTE_CARDS: &str = include_str!("../../queries/store/vote_cards.sql");
    pub const ROUND_COUNT: &str = include_str!("../../queries/store/round_count.sql");
    pub const GENERATION: &str = include_str!("../../queries/store/generation.sql");
    pub const STORY_KEYS: &str = include_str!("../../queries/store/story_keys.sql");
    pub const STORY_VOTES: &str = include_str!("../../queries/store/story_votes.sql");
    pub const VOTERS: &str = include_str!("../../queries/store/voters.sql");
    pub const SYNC_STATE: &str = include_str!("../../queries/store/sync_state.sql");
    pub const SYNCED_ITEMS: &str = include_str!("../../queries/store/synced_items.sql");
    pub const LAST_SPRINT_END: &str = include_str!("../../queries/store/last_sprint_end.sql");
    /// Temporary macros every connection gets (the sprint sort key, ...).
    pub const MACROS: &str = include_str!("../../queries/schema/macros.sql");
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The Arrow schema of each streamed query (by its text), found once per connection.
    schemas: std::cell::RefCell<HashMap<String, duckdb::arrow::datatypes::SchemaRef>>,
}

/// A stored sprint item's times, in microseconds since 1970.
pub struct StoredTimes {
    /// (team, sprint, story)
    pub key: (String, String, String),
    pub started: Option<i64>,
    pub completed: Option<i64>,
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
        refuse_other_files(path)?;
        let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
        migrate::upgrade(&conn, path)?;
        Store::ready(conn, path)
    }

    /// Opens an existing store without the right to change it; `None` when there is no file.
    pub fn open_read_only(path: &Path) -> Result<Option<Store>> {
        if !path.exists() {
            return Ok(None);
        }
        refuse_other_files(path)?;
        let config = Config::default()
            .access_mode(AccessMode::ReadOnly)
            .map_err(Error::db("configuring a read-only connection"))?;
        let conn = Connection::open_with_flags(path, config).map_err(|e| open_error(path, e))?;
        let version = migrate::version(&conn, path)?;
        migrate::check_version(version, path)?;
        if migrate::needs_upgrade(version) {
            // A file of an earlier sprintlens is upgraded in place (once), then read.
            drop(conn);
            drop(Store::open(path).map_err(|e| Error::Store {
                path: path.to_path_buf(),
                message: format!(
                    "was written by an earlier sprintlens (schema version {version}) and could not \
                     be upgraded to version {SCHEMA_VERSION}: {}",
                    crate::error::cause_chain(&e)
                ),
            })?);
            return Store::open_read_only(path);
        }
        if version == 0 {
            return Err(Error::Store {
                path: path.to_path_buf(),
                message: "not a sprintlens database (it has no sprintlens schema)".into(),
            });
        }
        Ok(Some(Store::ready(conn, path)?))
    }

    /// The store a report reads: it must exist.
    pub fn open_existing(path: &Path) -> Result<Store> {
        Store::open_read_only(path)?.ok_or_else(|| {
            Error::Usage(format!(
                "{}: no database here yet; load data with `sprintlens ingest FILE...` (or pass --db)",
                path.display()
            ))
        })
    }

    /// A connection with the shared macros and the frame scan defined.
    /// A connection to a newly opened database: the temporary macros (per connection) and
    /// the frame scan (per database: connections cloned from this one share it).
    fn ready(conn: Connection, path: &Path) -> Result<Store> {
        scan::install(&conn).map_err(Error::db("defining the frame scan"))?;
        Store::with_macros(conn, path)
    }

    fn with_macros(conn: Connection, path: &Path) -> Result<Store> {
        conn.execute_batch(queries::MACROS)
            .map_err(Error::db("defining the query macros"))?;
        // A command runs each query once: nothing to keep (see `keep_prepared_statements`).
        conn.set_prepared_statement_cache_capacity(0);
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            schemas: Default::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps every report query prepared on this connection, for a server whose connections
    /// run the same dozen queries for every team (about a tenth of a team's first page).
    pub fn keep_prepared_statements(&self) {
        self.conn
            .set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    }

    /// Another connection to the same open database (same access mode), for work in parallel.
    pub fn try_clone(&self) -> Result<Store> {
        let conn = self
            .conn
            .try_clone()
            .map_err(Error::db("opening another connection"))?;
        Store::with_macros(conn, &self.path)
    }

    /// The schema version recorded in the file; 0 for a file without sprintlens tables.
    pub fn schema_version(&self) -> Result<i64> {
        migrate::version(&self.conn, &self.path)
    }

    /// The store's generation: the id of its last ingest (0 before the first). Every ingest
    /// commits a higher one, so a page computed at one generation is valid until it changes.
    pub fn generation(&self) -> Result<u64> {
        let rows = self.query_rows("generation", queries::GENERATION, [], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(rows.first().copied().unwrap_or(0).max(0) as u64)
    }

    /// Makes the stored votes of `stories` (and the decks) known to the live round writer, as
    /// the store is now: the stories with votes are read again after a commit `known` did not
    /// see, and a story's votes are read only when the store has some.
    /// `generation` is the store's, when the caller knows it (the server's one writer does).
    pub fn prepare_known<'a>(
        &self,
        known: &mut live::KnownVotes,
        stories: impl IntoIterator<Item = &'a live::StoryKey>,
        generation: Option<u64>,
    ) -> Result<()> {
        let generation = match generation {
            Some(g) => g,
            None => self.generation()?,
        };
        if known.generation() != Some(generation) {
            known.reset(generation);
            self.each_arrow_batch("story_keys", queries::STORY_KEYS, [], &mut |b| {
                known.add_stories(&b)
            })?;
        }
        if known.decks().is_none() {
            let voters = self.query_rows("voters", queries::VOTERS, [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            let teams = self.teams()?.into_iter().map(|(t, _)| t);
            known.keep_tables(self.decks()?, teams, voters);
        }
        known.make_room();
        for key in stories {
            let votes = match known.needs(key) {
                None => continue,
                Some(false) => Vec::new(),
                Some(true) => self.query_rows(
                    "story_votes",
                    queries::STORY_VOTES,
                    duckdb::params![key.0, key.1, key.2],
                    |r| {
                        Ok(live::Vote {
                            round: r.get(0)?,
                            voter: r.get(1)?,
                            card: r.get(2)?,
                            value: r.get(3)?,
                            voted_at: r
                                .get::<_, Option<chrono::NaiveDateTime>>(4)?
                                .map(|t| t.and_utc().timestamp_micros()),
                            last_round_only: r.get(5)?,
                        })
                    },
                )?,
            };
            known.keep(key.clone(), votes);
        }
        Ok(())
    }

    /// Moves every date and time of the store by whole weeks (weekdays stay) so that its last
    /// sprint ends in the week from `today`: the demo's sample data made current. Gives the
    /// days moved (0 when the data already reaches `today`).
    pub fn make_current(&self, today: chrono::NaiveDate) -> Result<i64> {
        let last: Option<chrono::NaiveDate> = self
            .query_rows("last_sprint_end", queries::LAST_SPRINT_END, [], |r| {
                r.get(0)
            })?
            .into_iter()
            .next()
            .flatten();
        let Some(last) = last else { return Ok(0) };
        let behind = (today - last).num_days();
        if behind <= 0 {
            return Ok(0);
        }
        let days = 7 * ((behind + 6) / 7);
        let mut statements = Vec::new();
        for spec in SPECS {
            for (column, ty) in spec.columns {
                let moved = match ty {
                    Ty::Date => format!("\"{column}\" + ?::integer"),
                    Ty::Timestamp => format!("\"{column}\" + to_days(?::integer)"),
                    _ => continue,
                };
                statements.push(format!(
                    "update main.{} set \"{column}\" = {moved}",
                    spec.kind.name()
                ));
            }
        }
        statements.push(
            "update main.round_stats set first_voted_at = first_voted_at + to_days(?::integer)"
                .into(),
        );
        // Reports kept for the old dates are no one's any more (the parameter is unused).
        statements.push("delete from main.kept_reports where ?::integer is not null".into());
        self.conn
            .execute_batch("begin transaction")
            .map_err(Error::db("moving the dates"))?;
        for sql in &statements {
            if let Err(e) = self.conn.execute(sql, [days]) {
                let _ = self.conn.execute_batch("rollback");
                return Err(Error::db("moving the dates")(e));
            }
        }
        self.conn
            .execute_batch("commit")
            .map_err(Error::db("moving the dates"))?;
        Ok(days)
    }

    /// Writes the write-ahead log into the database file. DuckDB refuses while another
    /// connection has a transaction open.
    pub fn checkpoint(&self) -> Result<()> {
        let _timed = Timed::start("checkpoint");
        self.conn
            .execute_batch("checkpoint")
            .map_err(Error::db("checkpointing"))
    }

    /// Runs `f` on one snapshot of the store: every query inside sees the same committed
    /// data, whatever other connections commit meanwhile. `f` gets the snapshot's generation.
    pub fn snapshot<T>(&self, f: impl FnOnce(&Store, u64) -> Result<T>) -> Result<T> {
        self.conn
            .execute_batch("begin transaction")
            .map_err(Error::db("starting a read snapshot"))?;
        let out = self.generation().and_then(|g| f(self, g));
        // A read transaction has nothing to keep; ending it cannot lose data.
        let end = self.conn.execute_batch("rollback");
        let out = out?;
        end.map_err(Error::db("ending a read snapshot"))?;
        Ok(out)
    }

    /// The decks stored per team.
    pub fn decks(&self) -> Result<HashMap<String, Deck>> {
        let rows = self.query_rows("decks", queries::DECKS, [], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<f64>>(3)?,
            ))
        })?;
        let mut out: HashMap<String, Deck> = HashMap::new();
        for (team, deck, card, value) in rows {
            out.entry(team)
                .or_insert_with(|| Deck {
                    name: deck,
                    cards: Vec::new(),
                })
                .cards
                .push(Card { shown: card, value });
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
        known: Option<&mut live::KnownVotes>,
        marks: &[merge::SyncMark],
    ) -> Result<Vec<WriteStats>> {
        merge::write(&mut self.conn, frames, log, default_decks, known, marks)
    }

    /// Runs a query of `queries/` and maps every row.
    pub fn query_rows<T, P: duckdb::Params>(
        &self,
        name: &str,
        sql: &str,
        params: P,
        f: impl FnMut(&duckdb::Row<'_>) -> duckdb::Result<T>,
    ) -> Result<Vec<T>> {
        let _timed = Timed::start(name);
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(Error::db(format!("preparing {name}")))?;
        let out = stmt
            .query_map(params, f)
            .map_err(Error::db(format!("running {name}")))?
            .collect::<duckdb::Result<Vec<T>>>()
            .map_err(Error::db(format!("reading {name}")))?;
        keep_if_small(stmt, out.len());
        Ok(out)
    }

    /// Runs a query of `queries/` into a Polars frame (the Arrow hand-over of the pipeline).
    pub fn query_frame<P: duckdb::Params>(
        &self,
        name: &str,
        sql: &str,
        params: P,
    ) -> Result<polars::prelude::DataFrame> {
        let _timed = Timed::start(name);
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(Error::db(format!("preparing {name}")))?;
        let frames: Vec<polars::prelude::DataFrame> = stmt
            .query_polars(params)
            .map_err(Error::db(format!("running {name}")))?
            .collect();
        keep_if_small(stmt, frames.iter().map(|f| f.height()).sum());
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

    /// Runs a query of `queries/` and hands its Arrow record batches (column by column, no
    /// row copies) to `each` as DuckDB makes them.
    pub fn each_arrow_batch<P: duckdb::Params + Copy>(
        &self,
        name: &str,
        sql: &str,
        params: P,
        each: &mut dyn FnMut(duckdb::arrow::record_batch::RecordBatch),
    ) -> Result<()> {
        let _timed = Timed::start(name);
        // The result streams: DuckDB hands over each chunk as it is made instead of holding
        // the whole result first (a report over every team's rounds would hold it twice).
        // A stream needs its Arrow schema before the first chunk: the same query with no rows
        // gives it.
        let known = self.schemas.borrow().get(sql).cloned();
        let schema = match known {
            Some(schema) => schema,
            None => {
                let mut empty = self
                    .conn
                    .prepare(&format!("select * from (\n{sql}\n) limit 0"))
                    .map_err(Error::db(format!("preparing {name}")))?;
                let result = empty
                    .query_arrow(params)
                    .map_err(Error::db(format!("running {name}")))?;
                let schema = result.get_schema();
                self.schemas
                    .borrow_mut()
                    .insert(sql.to_string(), schema.clone());
                schema
            }
        };
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(Error::db(format!("preparing {name}")))?;
        let mut rows = 0;
        for batch in stmt
            .stream_arrow(params, schema)
            .map_err(Error::db(format!("running {name}")))?
        {
            rows += batch.num_rows();
            each(batch);
        }
        keep_if_small(stmt, rows);
        Ok(())
    }

    /// Every team with its program.
    pub fn teams(&self) -> Result<Vec<(String, Option<String>)>> {
        self.query_rows("teams", queries::TEAMS, [], |r| Ok((r.get(0)?, r.get(1)?)))
    }

    /// Every team's sprints with dates, in calendar order: (team, sprint id).
    pub fn sprint_ids(&self) -> Result<Vec<(String, String)>> {
        self.query_rows("sprint_ids", queries::SPRINT_IDS, [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    }

    /// Stored sprint items with a start or completion time: (team, sprint, story) and the
    /// times in microseconds since 1970.
    pub fn item_times(&self) -> Result<Vec<StoredTimes>> {
        let micros = |t: Option<chrono::NaiveDateTime>| t.map(|t| t.and_utc().timestamp_micros());
        self.query_rows("item_times", queries::ITEM_TIMES, [], |r| {
            Ok(StoredTimes {
                key: (r.get(0)?, r.get(1)?, r.get(2)?),
                started: micros(r.get(3)?),
                completed: micros(r.get(4)?),
            })
        })
    }

    /// How many rounds the store keeps of a team, of a program's teams, or of all (`None`).
    pub fn round_count(&self, team: Option<&str>, program: Option<&str>) -> Result<usize> {
        let n: Vec<i64> = self.query_rows(
            "round_count",
            queries::ROUND_COUNT,
            duckdb::params![team, program],
            |r| r.get(0),
        )?;
        Ok(n.first().map_or(0, |&n| n.max(0) as usize))
    }

    /// Per team and numeric card: the stored votes using it, and one of their stories.
    pub fn vote_cards(&self) -> Result<Vec<(String, String, i64, String)>> {
        self.query_rows("vote_cards", queries::VOTE_CARDS, [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
    }

    /// Row counts of every canonical table, for tests and `info`.
    pub fn table_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for s in SPECS {
            let table = s.kind.name();
            // The table name comes from the schema, never from input.
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
        self.query_rows("table_columns", queries::TABLE_COLUMNS, [table], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    }

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

/// What is at `path`, when it is not a database sprintlens can open: a folder, a file of
/// something else (DuckDB files carry `DUCK` at byte 8), an empty file.
fn not_a_database(path: &Path) -> Option<String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        return Some("is a folder, not a database file; pass a file with --db".into());
    }
    let mut head = [0u8; 12];
    let n = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    if n == 0 {
        return Some(
            "is an empty file, not a DuckDB database; remove it or pass another --db".into(),
        );
    }
    (n < 12 || &head[8..12] != b"DUCK").then(|| {
        "is not a DuckDB database (the file holds other data); pass another --db".to_string()
    })
}

/// A file that is not a DuckDB database is refused before DuckDB touches it.
fn refuse_other_files(path: &Path) -> Result<()> {
    match path.exists().then(|| not_a_database(path)).flatten() {
        Some(message) => Err(Error::Store {
            path: path.to_path_buf(),
            message,
        }),
        None => Ok(()),
    }
}

/// DuckDB's reason for not opening a file, in sprintlens's words.
fn open_error(path: &Path, e: duckdb::Error) -> Error {
    let msg = e.to_string();
    let store = |message: String| Error::Store {
        path: path.to_path_buf(),
        message,
    };
    if let Some(what) = not_a_database(path) {
        return store(what);
    }
    if msg.contains("lock") {
        // "Conflicting lock is held in /path/to/program (PID 123)"
        let pid = msg
            .split("PID ")
            .nth(1)
            .map(|p| {
                p.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .filter(|p| !p.is_empty());
        return Error::Busy {
            path: path.to_path_buf(),
            pid,
        };
    }
    if msg.contains("Permission denied") || msg.contains("permission denied") {
        return store(
            "cannot be opened: permission denied (check the file's and its folder's permissions)"
                .into(),
        );
    }
    store(format!(
        "cannot be opened as a DuckDB database: {}",
        crate::error::shown(msg.lines().next().unwrap_or_default())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new empty store, opened again read-only (as the server's readers are); the folder
    /// lives as long as the store is used.
    fn empty_read_only() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.duckdb");
        drop(Store::open(&path).unwrap());
        let store = Store::open_read_only(&path).unwrap().unwrap();
        (dir, store)
    }

    #[test]
    fn a_read_only_store_gives_more_connections_that_query() {
        let (_dir, store) = empty_read_only();
        // The server opens one connection per core from the first: each has the macros.
        let other = store.try_clone().unwrap();
        for s in [&store, &other] {
            assert_eq!(s.round_count(None, None).unwrap(), 0);
            assert_eq!(s.teams().unwrap(), Vec::new());
            let n: Vec<i64> = s
                .query_rows(
                    "key",
                    "select sprint_sort_key('Sprint 12').number",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, vec![12]);
        }
    }

    #[test]
    fn a_kept_statement_answers_each_call_with_its_own_parameters() {
        let (_dir, store) = empty_read_only();
        store.keep_prepared_statements();
        let range = "select count(*) from range($1::bigint)";
        let count =
            |n: i64| -> i64 { store.query_rows("range", range, [n], |r| r.get(0)).unwrap()[0] };
        // Small results keep the statement, a large one drops it; every call sees its own $1.
        assert_eq!(count(3), 3);
        assert_eq!(count(5), 5);
        let rows = |n: i64| -> usize {
            store
                .query_rows("rows", "select * from range($1::bigint)", [n], |r| {
                    r.get::<_, i64>(0)
                })
                .unwrap()
                .len()
        };
        assert_eq!(rows(KEEP_RESULT_ROWS as i64 + 1), KEEP_RESULT_ROWS + 1);
        assert_eq!(rows(2), 2);
        assert_eq!(count(7), 7);
    }

    #[test]
    fn a_streamed_read_hands_over_every_row_of_each_call() {
        use duckdb::arrow::array::AsArray;
        use duckdb::arrow::datatypes::Int64Type;
        let (_dir, store) = empty_read_only();
        let sql = "select range as n from range($1::bigint)";
        // (rows, sum of n, batches) of one call; the schema is found on the first call only.
        let read = |n: i64| {
            let (mut rows, mut sum, mut batches) = (0, 0, 0);
            store
                .each_arrow_batch("range", sql, [n], &mut |b| {
                    rows += b.num_rows();
                    sum += b
                        .column(0)
                        .as_primitive::<Int64Type>()
                        .values()
                        .iter()
                        .sum::<i64>();
                    batches += 1;
                })
                .unwrap();
            (rows, sum, batches)
        };
        assert_eq!(read(5), (5, 10, 1));
        assert_eq!(store.schemas.borrow().len(), 1);
        assert_eq!(read(0).0, 0);
        // More rows than one DuckDB vector (2048): several batches, none lost.
        let (rows, sum, batches) = read(5000);
        assert_eq!((rows, sum), (5000, 5000 * 4999 / 2));
        assert!(batches >= 3, "{batches} batches");
        assert_eq!(store.schemas.borrow().len(), 1);
    }
}
