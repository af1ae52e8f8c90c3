//! Writing one ingest: every validated frame upserted by its natural key, the teams it names
//! added, default decks recorded, and one ingest-log line per file, all in one transaction.

use crate::domain::schema::{Frame, KindSpec, spec};
use crate::domain::{Deck, Kind};
use crate::error::{Error, Result};
use crate::store::live::{self, KnownVotes, StoryKey, StoryVotes, Vote, VoteRows};
use crate::store::scan::{self, Registered};
use crate::store::timing::Timed;
use duckdb::arrow::array::{ArrayRef, BooleanArray, StringArray};
use duckdb::arrow::compute::filter_record_batch;
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::types::Value;
use duckdb::{Connection, params};
use std::collections::HashMap;
use std::sync::Arc;

const INGEST_LOG_INSERT: &str = include_str!("../../queries/writes/ingest_log_insert.sql");
const INGEST_LOG_NEXT_ID: &str = include_str!("../../queries/writes/ingest_log_next_id.sql");
const TEAMS_ADD: &str = include_str!("../../queries/writes/teams_add.sql");
const TEAMS_PROGRAM: &str = include_str!("../../queries/writes/teams_program.sql");
const DECK_CARDS_OF_TEAM: &str = include_str!("../../queries/writes/deck_cards_of_team.sql");
const DECK_CARD_INSERT: &str = include_str!("../../queries/writes/deck_card_insert.sql");
const SYNC_STATE_DELETE: &str = include_str!("../../queries/writes/sync_state_delete.sql");
const SYNC_STATE_INSERT: &str = include_str!("../../queries/writes/sync_state_insert.sql");
const ITEMS_FROM_EVENTS: &str = include_str!("../../queries/writes/items_from_events.sql");
const VOTES_REVALUE: &str = include_str!("../../queries/writes/votes_revalue.sql");
const VOTERS_ADD: &str = include_str!("../../queries/writes/voters_add.sql");
const ROUND_STATS_REFRESH: &str = include_str!("../../queries/writes/round_stats_refresh.sql");
const ROUND_STATS_COMPUTE: &str = include_str!("../../queries/writes/round_stats_compute.sql");
const TEAM_WRITES_DELETE: &str = include_str!("../../queries/writes/team_writes_delete.sql");
const TEAM_WRITES_INSERT: &str = include_str!("../../queries/writes/team_writes_insert.sql");
const ROUND_STATS_DELETE_ROUND: &str =
    include_str!("../../queries/writes/round_stats_delete_round.sql");

/// What writing one file changed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct WriteStats {
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    /// Rows the file's data replaced away (cards dropped from a team's deck).
    pub removed: usize,
}

/// Where a synced source stands after the data written with it (`sync_state`).
#[derive(Debug, Clone)]
pub struct SyncMark {
    pub source: String,
    pub state: String,
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
    known: Option<&mut KnownVotes>,
    marks: &[SyncMark],
) -> Result<Vec<WriteStats>> {
    // Votes whose stories the live writer knows whole (and no deck that could change their
    // steps) are written without searching the stored votes: each votes frame's rows, read
    // once, for the frames' positions.
    let rows: Vec<Option<VoteRows>> = frames
        .iter()
        .map(|f| {
            (known.is_some() && f.kind == Kind::Votes)
                .then(|| live::vote_rows(f))
                .flatten()
        })
        .collect();
    let direct = known.as_deref().is_some_and(|k| {
        default_decks.is_empty()
            && frames.iter().zip(&rows).all(|(f, r)| match (f.kind, r) {
                (Kind::Decks, _) => false,
                (Kind::Votes, Some(r)) => k.covers(r),
                (Kind::Votes, None) => false,
                _ => true,
            })
    });
    let direct = direct.then_some(rows);
    if direct.is_some() {
        // A few rows: nothing to gain from inserting on every core.
        return write_in_order(conn, frames, log, default_decks, known, direct, marks);
    }
    // Rows need not keep the order of the files: DuckDB may insert on every core. The
    // connection is given back as it was, whatever happened.
    conn.execute_batch("set preserve_insertion_order = false")
        .map_err(Error::db("preparing the ingest"))?;
    let written = write_in_order(conn, frames, log, default_decks, known, direct, marks);
    let reset = conn
        .execute_batch("reset preserve_insertion_order")
        .map_err(Error::db("finishing the ingest"));
    let stats = written?;
    reset?;
    Ok(stats)
}

fn write_in_order(
    conn: &mut Connection,
    frames: &[Frame],
    log: &[LogEntry],
    default_decks: &[(String, Deck)],
    known: Option<&mut KnownVotes>,
    direct: Option<Vec<Option<VoteRows>>>,
    marks: &[SyncMark],
) -> Result<Vec<WriteStats>> {
    let tx = conn
        .transaction()
        .map_err(Error::db("starting the ingest transaction"))?;
    let now = chrono::Utc::now().naive_utc();
    // The live writer knows the generation, the last ingest-log id.
    let first_id: i64 = match known.as_deref().and_then(KnownVotes::generation) {
        Some(g) if direct.is_some() => g as i64 + 1,
        _ => tx
            .query_row(INGEST_LOG_NEXT_ID, [], |r| r.get(0))
            .map_err(Error::db("reading the ingest log"))?,
    };
    // Everything but the votes first, then the round figures from the decks as they now are
    // and the incoming votes as checked, then the votes themselves.
    let (votes, others): (Vec<usize>, Vec<usize>) =
        (0..frames.len()).partition(|k| frames[*k].kind == Kind::Votes);
    let mut stats: Vec<Option<WriteStats>> = vec![None; frames.len()];
    let mut stories: Vec<StoryVotes> = Vec::new();
    let is_direct = direct.is_some();
    let mut rows = direct.unwrap_or_default();
    let mut merge = |k: usize| -> Result<()> {
        let frame = &frames[k];
        stats[k] = Some(
            match (known.as_deref(), rows.get_mut(k).and_then(Option::take)) {
                (Some(known), Some(votes)) => {
                    let (s, written) = merge_known_votes(&tx, frame, votes, known)?;
                    stories.extend(written);
                    s
                }
                _ => {
                    let _timed = Timed::start(frame.kind.name());
                    merge_frame(&tx, frame)?
                }
            },
        );
        if !(is_direct && known.as_deref().is_some_and(|k| k.has_teams(frame))) {
            merge_teams(&tx, frame)?;
        }
        if frame.kind == Kind::Decks {
            // Stored votes take their card's points in the new deck (ingest checked that the
            // deck keeps every card they use).
            let teams = team_list(frame.teams.keys().map(String::as_str))?;
            tx.execute(&VOTES_REVALUE.replace("$teams", &teams.source()), [])
                .map_err(Error::db("revaluing votes by the new deck"))?;
        }
        Ok(())
    };
    for k in others {
        merge(k)?;
    }
    items_from_events(&tx, frames)?;
    store_default_decks(&tx, default_decks)?;
    if !is_direct {
        refresh_round_stats(&tx, frames, default_decks)?;
    }
    for k in votes {
        merge(k)?;
    }
    let stats: Vec<WriteStats> = stats.into_iter().flatten().collect();
    for (k, (frame, (entry, s))) in frames.iter().zip(log.iter().zip(&stats)).enumerate() {
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
    }
    for m in marks {
        tx.execute(SYNC_STATE_DELETE, params![m.source])
            .and_then(|_| tx.execute(SYNC_STATE_INSERT, params![m.source, m.state, now]))
            .map_err(Error::db("keeping where the sync stands"))?;
    }
    // The generation is the last ingest-log id: the teams written are last written at it.
    let generation = (first_id + log.len() as i64 - 1).max(0) as u64;
    {
        let _timed = Timed::start("teams written");
        mark_teams(&tx, frames, default_decks, generation)?;
    }
    let timed = Timed::start("commit");
    tx.commit().map_err(Error::db("committing the ingest"))?;
    drop(timed);
    if let Some(k) = known {
        if is_direct {
            k.written(frames, stories, generation);
        } else {
            k.written_without(frames, generation);
        }
    }
    Ok(stats)
}

/// Upserts a votes frame whose stories `known` holds whole: what is new is inserted, what
/// changed is updated by its key, and the figures of the rounds it changed are computed from
/// their votes as they will be, with no search of the stored votes. Gives the stories as they
/// will be once committed.
fn merge_known_votes(
    tx: &duckdb::Transaction<'_>,
    frame: &Frame,
    rows: VoteRows,
    known: &KnownVotes,
) -> Result<(WriteStats, Vec<StoryVotes>)> {
    let ctx = |what: &str| format!("{what} votes from {}", frame.file);
    let has = |c: &str| frame.present.contains(&c);
    let mut stories: HashMap<StoryKey, Vec<Vote>> = HashMap::new();
    let mut new_rows: Vec<bool> = Vec::with_capacity(rows.len());
    let mut changed: Vec<(StoryKey, Vote)> = Vec::new();
    // (story, round) the frame changes, and whether the round was stored before.
    let mut rounds: Vec<(StoryKey, i32, bool)> = Vec::new();
    // A voter the store does not have yet comes with a new row.
    let mut new_voter = false;
    for (key, incoming) in rows {
        let votes = stories
            .entry(key.clone())
            .or_insert_with(|| known.story(&key).unwrap_or_default().to_vec());
        let round_stored = votes.iter().any(|v| v.round == incoming.round);
        let mut touched = true;
        match votes
            .iter_mut()
            .find(|v| v.round == incoming.round && v.voter == incoming.voter)
        {
            None => {
                new_rows.push(true);
                new_voter |= !known.has_voter(&key.0, &incoming.voter);
                votes.push(incoming.clone());
            }
            Some(v) => {
                new_rows.push(false);
                let mut after = v.clone();
                after.card = incoming.card.clone();
                after.value = incoming.value;
                if has("voted_at") {
                    after.voted_at = incoming.voted_at;
                }
                if has("last_round_only") {
                    after.last_round_only = incoming.last_round_only;
                }
                if after == *v {
                    touched = false;
                } else {
                    *v = after.clone();
                    changed.push((key.clone(), after));
                }
            }
        }
        if touched
            && !rounds
                .iter()
                .any(|(k, r, _)| *k == key && *r == incoming.round)
        {
            rounds.push((key, incoming.round, round_stored));
        }
    }
    let inserted = new_rows.iter().filter(|n| **n).count();
    if inserted > 0 {
        let mask = BooleanArray::from(new_rows);
        let batch = filter_record_batch(&frame.batch, &mask)
            .map_err(|e| Error::Internal(format!("{}: {e}", ctx("selecting the new"))))?;
        let new = scan::register(vec![batch]);
        tx.execute(
            &format!("insert into main.votes select * from {}", new.source()),
            [],
        )
        .map_err(Error::db(ctx("inserting")))?;
        if new_voter {
            tx.execute(&VOTERS_ADD.replace("$incoming", &new.source()), [])
                .map_err(Error::db(ctx("recording the voters of")))?;
        }
    }
    for ((team, session, story), v) in &changed {
        let at = v.voted_at.map_or(Value::Null, |t| {
            Value::Timestamp(duckdb::types::TimeUnit::Microsecond, t)
        });
        tx.execute(
            "update main.votes set card = ?, value = ?, voted_at = ?, last_round_only = ? \
             where team = ? and session = ? and story = ? and round = ? and voter = ?",
            params![
                v.card,
                v.value,
                at,
                v.last_round_only,
                team,
                session,
                story,
                v.round,
                v.voter
            ],
        )
        .map_err(Error::db(ctx("updating")))?;
    }
    if !rounds.is_empty() {
        for (k, round, _) in rounds.iter().filter(|(_, _, stored)| *stored) {
            tx.execute(ROUND_STATS_DELETE_ROUND, params![k.0, k.1, k.2, round])
                .map_err(Error::db("recomputing the round figures"))?;
        }
        // The rounds' votes as they will be, through the one definition of the figures.
        let keys: Vec<(&StoryKey, i32)> = rounds.iter().map(|(k, r, _)| (k, *r)).collect();
        let votes = live::votes_batch(keys.iter().flat_map(|(k, round)| {
            stories[*k]
                .iter()
                .filter(move |v| v.round == *round)
                .map(move |v| (*k, v))
        }));
        let of_rounds = scan::register(vec![votes]);
        tx.execute(
            &format!(
                "insert into round_stats select * from ({})",
                ROUND_STATS_COMPUTE.replace("$votes", &of_rounds.source())
            ),
            [],
        )
        .map_err(Error::db("computing the round figures"))?;
    }
    Ok((
        WriteStats {
            rows: frame.batch.num_rows(),
            inserted,
            updated: changed.len(),
            removed: 0,
        },
        stories.into_iter().collect(),
    ))
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
    // DuckDB reads the checked frame itself, on every core.
    let rows = scan::register(vec![frame.batch.clone()]);
    if existing == 0 {
        // An empty table: every row is new (keys are unique within a frame), so the rows go
        // straight in without a staging table and a merge.
        let n = tx
            .execute(
                &format!("insert into main.{table} select * from {}", rows.source()),
                [],
            )
            .map_err(Error::db(ctx("inserting")))?;
        return Ok(WriteStats {
            rows: n,
            inserted: n,
            updated: 0,
            removed: 0,
        });
    }
    tx.execute_batch(&format!(
        "create or replace temp table {stage} as select * from {}",
        rows.source()
    ))
    .map_err(Error::db(ctx("staging")))?;
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

/// Adds the teams a frame names and sets their program where the file or flags give one: one
/// statement each for the whole file.
fn merge_teams(tx: &duckdb::Transaction<'_>, frame: &Frame) -> Result<()> {
    if frame.kind == Kind::Teams || frame.teams.is_empty() {
        return Ok(());
    }
    let team: StringArray = frame.teams.keys().map(|t| Some(t.as_str())).collect();
    let program: StringArray = frame.teams.values().map(|p| p.as_deref()).collect();
    let batch = RecordBatch::try_from_iter([
        ("team", Arc::new(team) as ArrayRef),
        ("program", Arc::new(program) as ArrayRef),
    ])
    .map_err(|e| Error::Internal(format!("listing the teams of {}: {e}", frame.file)))?;
    let named = scan::register(vec![batch]);
    let source = named.source();
    tx.execute(&TEAMS_ADD.replace("$named", &source), [])
        .map_err(Error::db("adding teams"))?;
    tx.execute(&TEAMS_PROGRAM.replace("$named", &source), [])
        .map_err(Error::db("setting programs"))?;
    Ok(())
}

/// Recomputes the round figures of every story whose votes the ingest brings, and of every
/// story of a team whose deck it gives or changes (its cards' steps may have moved), from the
/// votes as they will be: run before the incoming votes are written, reading them straight
/// from the checked frames.
fn refresh_round_stats(
    tx: &duckdb::Transaction<'_>,
    frames: &[Frame],
    default_decks: &[(String, Deck)],
) -> Result<()> {
    let votes: Vec<RecordBatch> = frames
        .iter()
        .filter(|f| f.kind == Kind::Votes)
        .map(|f| f.batch.clone())
        .collect();
    let several = votes.len() > 1;
    let deck_teams: Vec<&str> = frames
        .iter()
        .filter(|f| f.kind == Kind::Decks)
        .flat_map(|f| f.teams.keys().map(String::as_str))
        .chain(default_decks.iter().map(|(t, _)| t.as_str()))
        .collect();
    if votes.is_empty() && deck_teams.is_empty() {
        return Ok(());
    }
    let mut keep: Vec<Registered> = Vec::new();
    // The incoming votes: every file's (keys agree across files: ingest refused any that did
    // not), each key once.
    let incoming = if votes.is_empty() {
        "(select * from votes where false)".to_string()
    } else {
        let r = scan::register(votes);
        let s = if several {
            format!(
                "(select distinct on (team, session, story, round, voter) * from {})",
                r.source()
            )
        } else {
            r.source()
        };
        keep.push(r);
        s
    };
    let mut touched = vec![format!("select team, session, story from {incoming}")];
    if !deck_teams.is_empty() {
        let r = team_list(deck_teams.iter().copied())?;
        touched.push(format!(
            "select team, session, story from votes where team in (select team from {})",
            r.source()
        ));
        keep.push(r);
    }
    let run = |name: &str, sql: &str| {
        let _timed = Timed::start(name);
        tx.execute_batch(sql)
            .map_err(Error::db("computing the round figures"))
    };
    run(
        "touched stories",
        &format!(
            "create or replace temp table touched_stories as \
             select distinct team, session, story from ({});",
            touched.join(" union all ")
        ),
    )?;
    run(
        "round figures",
        &format!(
            "set preserve_insertion_order = true; {}; set preserve_insertion_order = false; \
             drop table touched_stories;",
            ROUND_STATS_REFRESH
                .replace("$compute", &ROUND_STATS_COMPUTE.replace("$votes", "merged"))
                .replace("$incoming", &incoming)
        ),
    )?;
    run("new voters", &VOTERS_ADD.replace("$incoming", &incoming))?;
    drop(keep);
    Ok(())
}

/// Sprint items follow from the sprint events where events exist: re-derived for every team
/// whose events or sprints (their start and close times) the frames wrote.
fn items_from_events(tx: &duckdb::Transaction<'_>, frames: &[Frame]) -> Result<()> {
    let mut teams: Vec<&str> = frames
        .iter()
        .filter(|f| matches!(f.kind, Kind::SprintEvents | Kind::Sprints))
        .flat_map(|f| f.teams.keys().map(String::as_str))
        .collect();
    if teams.is_empty() {
        return Ok(());
    }
    teams.sort_unstable();
    teams.dedup();
    let _timed = Timed::start("items from events");
    let written = team_list(teams.into_iter())?;
    tx.execute_batch(&ITEMS_FROM_EVENTS.replace("$teams", &written.source()))
        .map_err(Error::db("deriving sprint items from the sprint events"))
}

/// The teams the frames (and the default decks) wrote are last written at `generation`.
fn mark_teams(
    tx: &duckdb::Transaction<'_>,
    frames: &[Frame],
    default_decks: &[(String, Deck)],
    generation: u64,
) -> Result<()> {
    let mut teams: Vec<&str> = frames
        .iter()
        .flat_map(|f| f.teams.keys().map(String::as_str))
        .chain(default_decks.iter().map(|(t, _)| t.as_str()))
        .collect();
    if teams.is_empty() {
        return Ok(());
    }
    teams.sort_unstable();
    teams.dedup();
    let written = team_list(teams.into_iter())?;
    tx.execute(&TEAM_WRITES_DELETE.replace("$teams", &written.source()), [])
        .map_err(Error::db("marking the teams written"))?;
    tx.execute(
        &TEAM_WRITES_INSERT.replace("$teams", &written.source()),
        [generation as i64],
    )
    .map_err(Error::db("marking the teams written"))?;
    Ok(())
}

/// Teams as a table DuckDB can read: `select team from <source>`.
fn team_list<'a>(teams: impl Iterator<Item = &'a str>) -> Result<Registered> {
    let team: StringArray = teams.map(Some).collect();
    let batch = RecordBatch::try_from_iter([("team", Arc::new(team) as ArrayRef)])
        .map_err(|e| Error::Internal(format!("listing teams: {e}")))?;
    Ok(scan::register(vec![batch]))
}
