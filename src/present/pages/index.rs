//! The teams index: every team and program, each team's latest sprint, links everywhere.

use crate::error::Result;
use crate::store::Store;
use crate::store::info::{Info, Totals, info_from};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use std::collections::HashMap;

const LATEST_SPRINTS: &str = include_str!("../../../queries/pages/latest_sprints.sql");

#[derive(Serialize)]
pub struct IndexTeam {
    pub team: String,
    pub name: String,
    pub program: Option<String>,
    pub sprints: i64,
    pub stories: i64,
    pub votes: i64,
    pub latest: Option<String>,
    pub latest_name: Option<String>,
}

/// What the index shows: what the store holds, without the database's path or the files
/// ingested (a visitor has no business with the server's file system).
#[derive(Serialize)]
pub struct IndexModel {
    pub totals: Totals,
    /// The first and last day any sprint or vote covers.
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// When data last arrived (UTC), if ever.
    pub last_ingest_at: Option<NaiveDateTime>,
    pub programs: Vec<String>,
    pub teams: Vec<IndexTeam>,
}

/// The index of what the store holds.
pub fn index(store: &Store) -> Result<IndexModel> {
    let info = info_from(store, 1)?;
    let latest: HashMap<String, (String, String)> = store
        .query_rows("latest_sprints", LATEST_SPRINTS, [], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
        })?
        .into_iter()
        .collect();
    let teams = info
        .teams
        .iter()
        .map(|t| IndexTeam {
            team: t.team.clone(),
            name: t.name.clone(),
            program: t.program.clone(),
            sprints: t.sprints,
            stories: t.stories,
            votes: t.votes,
            latest: latest.get(&t.team).map(|l| l.0.clone()),
            latest_name: latest.get(&t.team).map(|l| l.1.clone()),
        })
        .collect();
    let programs = info.programs.iter().map(|p| p.program.clone()).collect();
    let Info {
        totals,
        first_day,
        last_day,
        ingests,
        ..
    } = info;
    Ok(IndexModel {
        totals,
        first_day,
        last_day,
        last_ingest_at: ingests.first().map(|i| i.ingested_at),
        programs,
        teams,
    })
}
