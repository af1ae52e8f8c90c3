//! A sprint's history by the day, where its stories have sprint events: the scope and the
//! points done at the end of each day, and what came in, went out or was re-estimated during the
//! sprint. The same definitions as the sprint items that follow from the events (README,
//! *sprint_events*): in the sprint at time t = its last add/removal for the sprint at or before t
//! is an add; points at t = the last points given at or before t, else the points before the
//! first later change, else the story's estimate; done at t = its last done/reopened event or
//! status change with a category at or before t says done.

use crate::error::Result;
use crate::store::Store;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

pub const SPRINT_HISTORY: &str = include_str!("../../queries/metrics/sprint_history.sql");

/// One day of a sprint: scope and done at its end (or at the close, on the close's day);
/// `None` for days after the report's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryDay {
    pub day: NaiveDate,
    pub scope: Option<f64>,
    pub done: Option<f64>,
}

/// A change of the sprint's scope after it started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeChange {
    pub at: NaiveDateTime,
    pub story: String,
    pub title: Option<String>,
    /// `added`, `removed` or `re-estimated`.
    pub change: String,
    /// The story's points then (re-estimated: the new points).
    pub points: Option<f64>,
    /// Re-estimated: the points before.
    pub old_points: Option<f64>,
}

/// One sprint's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SprintHistory {
    pub sprint_id: String,
    pub started_at: NaiveDateTime,
    /// The close, else the end of the planned last day.
    pub ends_at: NaiveDateTime,
    pub planned_end: NaiveDate,
    pub closed_at: Option<NaiveDateTime>,
    pub days: Vec<HistoryDay>,
    pub changes: Vec<ScopeChange>,
}

/// One event row of the query.
struct Row {
    sprint_id: String,
    t0: NaiveDateTime,
    t1: NaiveDateTime,
    end_date: NaiveDate,
    closed_at: Option<NaiveDateTime>,
    story: String,
    title: Option<String>,
    estimate: Option<f64>,
    event_sprint: String,
    at: NaiveDateTime,
    event: String,
    points: Option<f64>,
    old_points: Option<f64>,
    category: Option<String>,
}

/// One story's timelines, each in time order.
struct Story {
    key: String,
    title: Option<String>,
    estimate: Option<f64>,
    /// The sprint's adds (true) and removals (false).
    member: Vec<(NaiveDateTime, bool)>,
    /// (time, points after, points before).
    points: Vec<(NaiveDateTime, f64, f64)>,
    done: Vec<(NaiveDateTime, bool)>,
    estimates: Vec<(NaiveDateTime, f64, Option<f64>)>,
}

fn last_at<T: Copy>(v: &[(NaiveDateTime, T)], t: NaiveDateTime) -> Option<T> {
    v.iter().rev().find(|(at, _)| *at <= t).map(|x| x.1)
}

impl Story {
    fn member_at(&self, t: NaiveDateTime) -> bool {
        last_at(&self.member, t).unwrap_or(false)
    }

    fn done_at(&self, t: NaiveDateTime) -> bool {
        last_at(&self.done, t).unwrap_or(false)
    }

    fn points_at(&self, t: NaiveDateTime) -> Option<f64> {
        self.points
            .iter()
            .rev()
            .find(|p| p.0 <= t)
            .map(|p| p.1)
            .or_else(|| self.points.iter().find(|p| p.0 > t).map(|p| p.2))
            .or(self.estimate)
    }
}

/// The histories of every sprint of `team` whose stories have sprint events, as of `as_of`.
pub fn sprint_histories(store: &Store, team: &str, as_of: NaiveDate) -> Result<Vec<SprintHistory>> {
    let rows = store.query_rows("sprint_history", SPRINT_HISTORY, [team], |r| {
        Ok(Row {
            sprint_id: r.get(0)?,
            t0: r.get(1)?,
            t1: r.get(2)?,
            end_date: r.get(3)?,
            closed_at: r.get(4)?,
            story: r.get(5)?,
            title: r.get(6)?,
            estimate: r.get(7)?,
            event_sprint: r.get(8)?,
            at: r.get(9)?,
            event: r.get(10)?,
            points: r.get(11)?,
            old_points: r.get(12)?,
            category: r.get(13)?,
        })
    })?;
    let mut out = Vec::new();
    let mut k = 0;
    while k < rows.len() {
        let sprint = &rows[k];
        let mut stories: Vec<Story> = Vec::new();
        let mut j = k;
        while j < rows.len() && rows[j].sprint_id == sprint.sprint_id {
            let r = &rows[j];
            if stories.last().is_none_or(|s| s.key != r.story) {
                stories.push(Story {
                    key: r.story.clone(),
                    title: r.title.clone(),
                    estimate: r.estimate,
                    member: Vec::new(),
                    points: Vec::new(),
                    done: Vec::new(),
                    estimates: Vec::new(),
                });
            }
            let s = stories.last_mut().expect("just pushed");
            match r.event.as_str() {
                "added" | "removed" if r.event_sprint == r.sprint_id => {
                    s.member.push((r.at, r.event == "added"))
                }
                "done" => s.done.push((r.at, true)),
                "reopened" => s.done.push((r.at, false)),
                "status" => {
                    if let Some(c) = &r.category {
                        s.done.push((r.at, c == "done"));
                    }
                }
                "estimate" => s
                    .estimates
                    .push((r.at, r.points.unwrap_or(0.0), r.old_points)),
                _ => {}
            }
            if let Some(p) = r.points {
                s.points.push((r.at, p, r.old_points.unwrap_or(p)));
            }
            j += 1;
        }
        out.push(history(sprint, &stories, as_of));
        k = j;
    }
    Ok(out)
}

fn history(s: &Row, stories: &[Story], as_of: NaiveDate) -> SprintHistory {
    let (t0, t1) = (s.t0, s.t1);
    let last_day = s.closed_at.map_or(s.end_date, |c| c.date().max(s.end_date));
    let mut days = Vec::new();
    let mut day = t0.date();
    while day <= last_day {
        let end_of_day = day
            .succ_opt()
            .unwrap_or(day)
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            - chrono::Duration::microseconds(1);
        let t = end_of_day.min(t1);
        let known = day <= as_of && day <= t1.date();
        let in_sprint: Vec<&Story> = stories.iter().filter(|x| x.member_at(t)).collect();
        let sum = |f: &dyn Fn(&Story) -> bool| -> f64 {
            in_sprint
                .iter()
                .filter(|x| f(x))
                .filter_map(|x| x.points_at(t))
                .sum::<f64>()
                // An empty sum is -0.0.
                + 0.0
        };
        days.push(HistoryDay {
            day,
            scope: known.then(|| sum(&|_| true)),
            done: known.then(|| sum(&|x| x.done_at(t))),
        });
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    let mut changes = Vec::new();
    for x in stories {
        for &(at, added) in &x.member {
            if at > t0 && at <= t1 {
                changes.push(ScopeChange {
                    at,
                    story: x.key.clone(),
                    title: x.title.clone(),
                    change: if added { "added" } else { "removed" }.into(),
                    points: x.points_at(at),
                    old_points: None,
                });
            }
        }
        for &(at, new, old) in &x.estimates {
            if at > t0 && at <= t1 && x.member_at(at) && old != Some(new) {
                changes.push(ScopeChange {
                    at,
                    story: x.key.clone(),
                    title: x.title.clone(),
                    change: "re-estimated".into(),
                    points: Some(new),
                    old_points: old,
                });
            }
        }
    }
    changes.sort_by(|a, b| a.at.cmp(&b.at).then(a.story.cmp(&b.story)));
    SprintHistory {
        sprint_id: s.sprint_id.clone(),
        started_at: t0,
        ends_at: t1,
        planned_end: s.end_date,
        closed_at: s.closed_at,
        days,
        changes,
    }
}
