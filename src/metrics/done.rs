//! Done items as the accuracy, outcome, reference and drift figures read them (one query,
//! `done_items.sql`), and the scope they are read for.

use crate::error::Result;
use crate::store::Store;
use chrono::NaiveDate;

pub const DONE_ITEMS: &str = include_str!("../../queries/metrics/done_items.sql");

#[derive(Debug, Clone, Default)]
pub struct AccuracyQuery<'a> {
    pub team: Option<&'a str>,
    pub program: Option<&'a str>,
    pub sprint: Option<&'a str>,
    pub since: Option<NaiveDate>,
}

/// A done item as `done_items.sql` gives it.
#[derive(Debug, Clone)]
pub struct DoneRow {
    pub team: String,
    pub sprint_id: String,
    pub story: String,
    pub points: Option<f64>,
    pub cycle_days: Option<f64>,
    pub actual_hours: Option<f64>,
    pub completed_at: Option<chrono::NaiveDateTime>,
    pub title: Option<String>,
}

/// The done items of the query's teams (every sprint when `q.sprint` is `None`).
pub fn done_rows(store: &Store, q: &AccuracyQuery) -> Result<Vec<DoneRow>> {
    let since = q.since.map(|d| d.to_string());
    store.query_rows(
        "done_items",
        DONE_ITEMS,
        duckdb::params![q.team, q.program, q.sprint, since],
        |r| {
            Ok(DoneRow {
                team: r.get(0)?,
                sprint_id: r.get(1)?,
                story: r.get(2)?,
                points: r.get(3)?,
                cycle_days: r.get(4)?,
                actual_hours: r.get(5)?,
                completed_at: r.get(6)?,
                title: r.get(7)?,
            })
        },
    )
}

impl DoneRow {
    /// Whether the item belongs to a report of `sprint` (every sprint when `None`) and of
    /// items completed on or after `since`.
    pub fn chosen(&self, sprint: Option<&str>, since: Option<NaiveDate>) -> bool {
        sprint.is_none_or(|s| s == self.sprint_id)
            && since.is_none_or(|d| self.completed_at.is_some_and(|c| c.date() >= d))
    }
}
