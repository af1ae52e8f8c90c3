//! Writing one ingest: every validated frame upserted by its natural key, the teams it names
//! added, default decks recorded, and one ingest-log line per file, all in one transaction.

use crate::domain::schema::{Frame, KindSpec, spec};
use crate::domain::{Deck, Kind};
use crate::error::{Error, Result};
use duckdb::{Connection, params};

const INGEST_LOG_INSERT: &str = include_str!("../../queries/writes/ingest_log_insert.sql");
const INGEST_LOG_NEXT_ID: &str = include_str!("../../queries/writes/ingest_log_next_id.sql");
const TEAM_ADD: &str = include_str!("../../queries/writes/team_add.sql");
const TEAM_PROGRAM: &str = include_str!("../../queries/writes/team_program.sql");
const DECK_CARDS_OF_TEAM: &str = include_str!("../../queries/writes/deck_cards_of_team.sql");
const DECK_CARD_INSERT: &str = include_str!("../../queries/writes/deck_card_insert.sql");
const VOTES_REVALUE: &str = include_str!("../../queries/writes/votes_revalue.sql");

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

/// Writes validated frames in one transaction: all land, or none do.
/// `default_decks` are recorded for teams that have no deck stored yet.
pub fn write(
    conn: &mut Connection,
    frames: &[Frame],
    log: &[LogEntry],
    default_decks: &[(String, Deck)],
) -> Result<Vec<WriteStats>> {
    let tx = conn
        .transaction()
        .map_err(Error::db("starting the ingest transaction"))?;
    let mut stats = Vec::with_capacity(frames.len());
    let now = chrono::Utc::now().naive_utc();
    let first_id: i64 = tx
        .query_row(INGEST_LOG_NEXT_ID, [], |r| r.get(0))
        .map_err(Error::db("reading the ingest log"))?;
    for (k, (frame, entry)) in frames.iter().zip(log).enumerate() {
        let s = merge_frame(&tx, frame)?;
        merge_teams(&tx, frame)?;
        if frame.kind == Kind::Decks {
            // Stored votes take their card's points in the new deck (ingest checked that the
            // deck keeps every card they use).
            for team in frame.teams.keys() {
                tx.execute(VOTES_REVALUE, [team])
                    .map_err(Error::db("revaluing votes by the new deck"))?;
            }
        }
        tx.execute(
            INGEST_LOG_INSERT,
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
    if frame.kind == Kind::Decks {
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
            .query_row(DECK_CARDS_OF_TEAM, [team], |r| r.get(0))
            .map_err(Error::db("finding teams without a deck"))?;
        if has > 0 {
            continue;
        }
        for (k, c) in deck.cards.iter().enumerate() {
            tx.execute(
                DECK_CARD_INSERT,
                params![team, k as i32, c.shown, c.value, deck.name],
            )
            .map_err(Error::db("storing the default deck"))?;
        }
    }
    Ok(())
}

/// Adds the teams a frame names and sets their program where the file or flags give one.
fn merge_teams(tx: &duckdb::Transaction<'_>, frame: &Frame) -> Result<()> {
    if frame.kind == Kind::Teams {
        return Ok(());
    }
    for (team, program) in &frame.teams {
        tx.execute(TEAM_ADD, params![team, program])
            .map_err(Error::db("adding teams"))?;
        if let Some(p) = program {
            tx.execute(TEAM_PROGRAM, params![team, p])
                .map_err(Error::db("setting programs"))?;
        }
    }
    Ok(())
}
