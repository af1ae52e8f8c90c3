//! What the store holds: per team its sprints, stories, votes and items, the programs, and the
//! last ingests (`sprintlens info` and the teams index).

use crate::error::Result;
use crate::store::{Store, queries};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use std::path::Path;

/// What `sprintlens info` shows: what the store holds.
#[derive(Debug, Serialize)]
pub struct Info {
    pub database: String,
    pub schema_version: i64,
    pub totals: Totals,
    /// The first and last day any sprint or vote covers.
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub programs: Vec<ProgramInfo>,
    pub teams: Vec<TeamInfo>,
    pub ingests: Vec<IngestInfo>,
}

#[derive(Debug, Serialize, Default)]
pub struct Totals {
    pub teams: i64,
    pub programs: i64,
    pub sprints: i64,
    pub stories: i64,
    pub votes: i64,
    pub sprint_items: i64,
    pub sprint_summaries: i64,
}

#[derive(Debug, Serialize)]
pub struct ProgramInfo {
    pub program: String,
    pub teams: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct TeamInfo {
    pub team: String,
    pub name: String,
    pub program: Option<String>,
    pub sprints: i64,
    pub stories: i64,
    pub votes: i64,
    pub sprint_items: i64,
    pub sprint_summaries: i64,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
pub struct IngestInfo {
    pub id: i64,
    pub ingested_at: NaiveDateTime,
    pub file: String,
    pub sha256: String,
    pub kind: String,
    pub rows: i64,
    pub inserted: i64,
    pub updated: i64,
    pub removed: i64,
}

/// Builds the `info` model; the database must exist.
pub fn info(db: &Path, last_ingests: usize) -> Result<Info> {
    info_from(&Store::open_existing(db)?, last_ingests)
}

/// The `info` model of an open store.
pub fn info_from(store: &Store, last_ingests: usize) -> Result<Info> {
    let db = store.path();
    let teams: Vec<TeamInfo> = store.query_rows("info_teams", queries::INFO_TEAMS, [], |r| {
        Ok(TeamInfo {
            team: r.get(0)?,
            name: r.get(1)?,
            program: r.get(2)?,
            sprints: r.get(3)?,
            stories: r.get(4)?,
            votes: r.get(5)?,
            sprint_items: r.get(6)?,
            sprint_summaries: r.get(7)?,
            first_day: r.get(8)?,
            last_day: r.get(9)?,
        })
    })?;
    let ingests = store.query_rows(
        "info_ingests",
        queries::INFO_INGESTS,
        [last_ingests as i64],
        |r| {
            Ok(IngestInfo {
                id: r.get(0)?,
                ingested_at: r.get(1)?,
                file: r.get(2)?,
                sha256: r.get(3)?,
                kind: r.get(4)?,
                rows: r.get(5)?,
                inserted: r.get(6)?,
                updated: r.get(7)?,
                removed: r.get(8)?,
            })
        },
    )?;
    let mut programs: Vec<ProgramInfo> = Vec::new();
    for t in &teams {
        if let Some(p) = &t.program {
            match programs.iter_mut().find(|x| &x.program == p) {
                Some(x) => x.teams.push(t.team.clone()),
                None => programs.push(ProgramInfo {
                    program: p.clone(),
                    teams: vec![t.team.clone()],
                }),
            }
        }
    }
    let totals = Totals {
        teams: teams.len() as i64,
        programs: programs.len() as i64,
        sprints: teams.iter().map(|t| t.sprints).sum(),
        stories: teams.iter().map(|t| t.stories).sum(),
        votes: teams.iter().map(|t| t.votes).sum(),
        sprint_items: teams.iter().map(|t| t.sprint_items).sum(),
        sprint_summaries: teams.iter().map(|t| t.sprint_summaries).sum(),
    };
    Ok(Info {
        database: db.display().to_string(),
        schema_version: store.schema_version()?,
        first_day: teams.iter().filter_map(|t| t.first_day).min(),
        last_day: teams.iter().filter_map(|t| t.last_day).max(),
        totals,
        programs,
        teams,
        ingests,
    })
}
