//! Flow, where the stories have a workflow history (sprint events): cycle times of done items
//! with their percentiles, work in progress and its age, throughput per day and per week (days
//! with none included), and the cumulative flow by status category.
//!
//! Cycle time (ActionableAgile): the done day - the first in-progress day + 1, in calendar days;
//! started = the first change into a status of the in-progress or done category (or the first
//! done); done = when it last became done. A story done, reopened and not done again is work in
//! progress.

use crate::error::Result;
use crate::store::Store;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

pub const STORY_FLOW: &str = include_str!("../../queries/metrics/story_flow.sql");

/// The percentiles drawn on the cycle-time and aging charts.
pub const LEVELS: [u32; 4] = [50, 70, 85, 95];

/// Days of the cumulative flow and the daily throughput shown (the most recent).
pub const FLOW_DAYS: i64 = 120;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoneItem {
    pub story: String,
    pub title: Option<String>,
    pub started: NaiveDate,
    pub done: NaiveDate,
    pub cycle_days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgingItem {
    pub story: String,
    pub title: Option<String>,
    pub status: Option<String>,
    pub started: NaiveDate,
    pub age_days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CfdDay {
    pub day: NaiveDate,
    pub todo: usize,
    pub in_progress: usize,
    pub done: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub done: Vec<DoneItem>,
    /// (percentile, days): `p`% of the done items took this many days or fewer (nearest rank).
    pub levels: Vec<(u32, i64)>,
    /// Oldest first.
    pub aging: Vec<AgingItem>,
    /// Items done per day, from the first done day (at most the last `FLOW_DAYS`) to the day.
    pub per_day: Vec<(NaiveDate, usize)>,
    /// Items done per week (Monday first), every week from the first done one.
    pub per_week: Vec<(NaiveDate, usize)>,
    pub cfd: Vec<CfdDay>,
}

impl Flow {
    pub fn is_empty(&self) -> bool {
        self.done.is_empty() && self.aging.is_empty()
    }
}

struct Row {
    story: String,
    title: Option<String>,
    created: Option<NaiveDateTime>,
    at: NaiveDateTime,
    event: String,
    to_status: Option<String>,
    category: Option<String>,
}

/// A story's workflow: (time, category) in order.
struct Story {
    key: String,
    title: Option<String>,
    created: Option<NaiveDateTime>,
    steps: Vec<(NaiveDateTime, &'static str, Option<String>)>,
}

impl Story {
    fn category_at(&self, t: NaiveDateTime) -> Option<&'static str> {
        self.steps.iter().rev().find(|s| s.0 <= t).map(|s| s.1)
    }

    fn started(&self) -> Option<NaiveDateTime> {
        self.steps
            .iter()
            .find(|s| s.1 == "in_progress" || s.1 == "done")
            .map(|s| s.0)
    }

    /// When it last became done, at or before `t`, if it is done then.
    fn done_at(&self, t: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut since = None;
        for s in self.steps.iter().filter(|s| s.0 <= t) {
            match (s.1 == "done", since) {
                (true, None) => since = Some(s.0),
                (false, _) => since = None,
                _ => {}
            }
        }
        since
    }
}

/// The nearest-rank percentile of sorted values.
fn nearest_rank(sorted: &[i64], p: u32) -> i64 {
    let n = sorted.len();
    let k = ((p as f64 / 100.0) * n as f64).ceil() as usize;
    sorted[k.clamp(1, n) - 1]
}

pub fn flow(store: &Store, team: &str, as_of: NaiveDate) -> Result<Flow> {
    let rows = store.query_rows("story_flow", STORY_FLOW, [team], |r| {
        Ok(Row {
            story: r.get(0)?,
            title: r.get(1)?,
            created: r.get(2)?,
            at: r.get(3)?,
            event: r.get(4)?,
            to_status: r.get(5)?,
            category: r.get(6)?,
        })
    })?;
    let mut stories: Vec<Story> = Vec::new();
    for r in rows {
        if stories.last().is_none_or(|s| s.key != r.story) {
            stories.push(Story {
                key: r.story.clone(),
                title: r.title.clone(),
                created: r.created,
                steps: Vec::new(),
            });
        }
        let cat = match (r.event.as_str(), r.category.as_deref()) {
            ("done", _) | ("status", Some("done")) => "done",
            ("status", Some("todo")) => "todo",
            _ => "in_progress",
        };
        stories
            .last_mut()
            .expect("just pushed")
            .steps
            .push((r.at, cat, r.to_status));
    }
    Ok(compute(&stories, as_of))
}

fn compute(stories: &[Story], as_of: NaiveDate) -> Flow {
    let end = as_of
        .succ_opt()
        .unwrap_or(as_of)
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        - chrono::Duration::microseconds(1);
    let mut f = Flow::default();
    for s in stories {
        let Some(start) = s.started().filter(|t| *t <= end) else {
            continue;
        };
        match s.done_at(end) {
            Some(done) => f.done.push(DoneItem {
                story: s.key.clone(),
                title: s.title.clone(),
                started: start.date(),
                done: done.date(),
                cycle_days: (done.date() - start.date()).num_days() + 1,
            }),
            None => f.aging.push(AgingItem {
                story: s.key.clone(),
                title: s.title.clone(),
                status: s
                    .steps
                    .iter()
                    .rev()
                    .find(|x| x.0 <= end)
                    .and_then(|x| x.2.clone()),
                started: start.date(),
                age_days: (as_of - start.date()).num_days() + 1,
            }),
        }
    }
    f.done
        .sort_by(|a, b| a.done.cmp(&b.done).then(a.story.cmp(&b.story)));
    f.aging
        .sort_by(|a, b| b.age_days.cmp(&a.age_days).then(a.story.cmp(&b.story)));
    let mut cycles: Vec<i64> = f.done.iter().map(|d| d.cycle_days).collect();
    cycles.sort_unstable();
    if !cycles.is_empty() {
        f.levels = LEVELS
            .iter()
            .map(|&p| (p, nearest_rank(&cycles, p)))
            .collect();
    }
    if let Some(first) = f.done.iter().map(|d| d.done).min() {
        let from = first.max(as_of - chrono::Duration::days(FLOW_DAYS - 1));
        let mut day = from;
        while day <= as_of {
            let n = f.done.iter().filter(|d| d.done == day).count();
            f.per_day.push((day, n));
            day = day.succ_opt().expect("a next day");
        }
        let monday =
            |d: NaiveDate| d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64);
        let mut week = monday(first);
        while week <= as_of {
            let n = f.done.iter().filter(|d| monday(d.done) == week).count();
            f.per_week.push((week, n));
            week += chrono::Duration::days(7);
        }
    }
    let first_day = stories
        .iter()
        .filter_map(|s| s.steps.first().map(|x| x.0.date()))
        .min();
    if let Some(first) = first_day {
        let mut day = first.max(as_of - chrono::Duration::days(FLOW_DAYS - 1));
        while day <= as_of {
            let t = day
                .succ_opt()
                .expect("a next day")
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                - chrono::Duration::microseconds(1);
            let mut c = CfdDay {
                day,
                todo: 0,
                in_progress: 0,
                done: 0,
            };
            for s in stories {
                match s.category_at(t) {
                    Some("done") => c.done += 1,
                    Some("in_progress") => c.in_progress += 1,
                    Some(_) => c.todo += 1,
                    // Before its first change: to do, once it exists.
                    None if s.created.is_some_and(|x| x <= t) => c.todo += 1,
                    None => {}
                }
            }
            f.cfd.push(c);
            day = day.succ_opt().expect("a next day");
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn story(key: &str, created: &str, steps: &[(&str, &'static str)]) -> Story {
        Story {
            key: key.into(),
            title: None,
            created: Some(t(created)),
            steps: steps.iter().map(|(a, c)| (t(a), *c, None)).collect(),
        }
    }

    #[test]
    fn cycle_times_aging_throughput_and_flow_by_hand() {
        let stories = [
            // Started Mon 03-02, done Wed 03-04: 3 days.
            story(
                "A",
                "2026-03-01 09:00",
                &[
                    ("2026-03-02 10:00", "in_progress"),
                    ("2026-03-04 16:00", "done"),
                ],
            ),
            // Done 03-05 without an in-progress step: started = done: 1 day.
            story("B", "2026-03-01 09:00", &[("2026-03-05 11:00", "done")]),
            // Done 03-03, reopened 03-04, done 03-09: started 03-02, 8 days.
            story(
                "C",
                "2026-03-01 09:00",
                &[
                    ("2026-03-02 09:00", "in_progress"),
                    ("2026-03-03 09:00", "done"),
                    ("2026-03-04 09:00", "in_progress"),
                    ("2026-03-09 09:00", "done"),
                ],
            ),
            // In progress since 03-06: 5 days old on 03-10.
            story(
                "D",
                "2026-03-01 09:00",
                &[("2026-03-06 09:00", "in_progress")],
            ),
            // To do since 03-08 (created 03-07).
            story("E", "2026-03-07 09:00", &[("2026-03-08 09:00", "todo")]),
        ];
        let f = compute(&stories, NaiveDate::from_ymd_opt(2026, 3, 10).unwrap());
        let cycles: Vec<(&str, i64)> = f
            .done
            .iter()
            .map(|d| (d.story.as_str(), d.cycle_days))
            .collect();
        assert_eq!(cycles, [("A", 3), ("B", 1), ("C", 8)]);
        // Nearest rank of [1, 3, 8]: 50% -> 2nd = 3, 70% -> 3rd = 8, 85% and 95% -> 8.
        assert_eq!(f.levels, [(50, 3), (70, 8), (85, 8), (95, 8)]);
        assert_eq!(f.aging.len(), 1);
        assert_eq!((f.aging[0].story.as_str(), f.aging[0].age_days), ("D", 5));
        // Done days 03-04, 03-05, 03-09 from 03-04 to 03-10, zeros included.
        let per_day: Vec<usize> = f.per_day.iter().map(|d| d.1).collect();
        assert_eq!(per_day, [1, 1, 0, 0, 0, 1, 0]);
        // Weeks from Monday 03-02: 2 done, then 1 (week of 03-09).
        let per_week: Vec<(String, usize)> =
            f.per_week.iter().map(|w| (w.0.to_string(), w.1)).collect();
        assert_eq!(
            per_week,
            [("2026-03-02".to_string(), 2), ("2026-03-09".to_string(), 1)]
        );
        // 03-03 at its end: A, C in progress... C done (03-03 09:00); B, D to do (created);
        // E not yet made. 03-08: A, B done; C, D in progress; E to do.
        let day = |d: &str| f.cfd.iter().find(|c| c.day.to_string() == d).unwrap();
        let c = day("2026-03-03");
        assert_eq!((c.todo, c.in_progress, c.done), (2, 1, 1));
        let c = day("2026-03-08");
        assert_eq!((c.todo, c.in_progress, c.done), (1, 2, 2));
        let c = day("2026-03-10");
        assert_eq!((c.todo, c.in_progress, c.done), (1, 1, 3));
    }
}
