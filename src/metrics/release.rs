//! The release burnup: a team's backlog scope and done points at each dated sprint's end, and
//! the forecast cone of the rest: done + the points reached in k more sprints at 50, 85 and
//! 95% (the forecast's own lines), and the sprint (and date) each level finishes the
//! remaining backlog.

use crate::error::Result;
use crate::metrics::forecast;
use crate::store::Store;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub const RELEASE_BURNUP: &str = include_str!("../../queries/metrics/release_burnup.sql");
/// The cone's levels, in whole percent.
pub const CONE_LEVELS: [u32; 3] = [50, 85, 95];
/// The most sprints the cone is drawn ahead.
pub const CONE_SPRINTS: usize = 104;

/// The backlog at one sprint's end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurnupPoint {
    pub sprint_id: String,
    pub name: Option<String>,
    pub end_date: NaiveDate,
    pub done: f64,
    pub scope: f64,
}

/// The cone k sprints ahead: done + the points reached in k sprints at each level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConeStep {
    pub sprints: usize,
    pub date: Option<NaiveDate>,
    /// One per [`CONE_LEVELS`].
    pub done: Vec<f64>,
}

/// When the remaining backlog is done at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finish {
    pub probability: f64,
    /// Sprints after the last closed one; None: not within [`CONE_SPRINTS`].
    pub sprints: Option<usize>,
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Release {
    pub past: Vec<BurnupPoint>,
    /// Done and remaining as of the day (the remaining backlog the forecast reads).
    pub done: f64,
    pub remaining: f64,
    /// What the cone draws from (the forecast's history) and its calendar.
    pub history: Vec<f64>,
    pub last_end: Option<NaiveDate>,
    pub sprint_days: Option<f64>,
    pub cone: Vec<ConeStep>,
    pub finish: Vec<Finish>,
}

/// The past of one team's backlog as of a day.
pub fn burnup(store: &Store, team: &str, as_of: NaiveDate) -> Result<Vec<BurnupPoint>> {
    store.query_rows(
        "release_burnup",
        RELEASE_BURNUP,
        duckdb::params![team, as_of],
        |r| {
            Ok(BurnupPoint {
                sprint_id: r.get(0)?,
                name: r.get(1)?,
                end_date: r.get(2)?,
                done: r.get(3)?,
                scope: r.get(4)?,
            })
        },
    )
}

/// The cone and finish levels of `remaining` points from `history` (the forecast's), after a
/// past whose last point holds what is done. `calendar`: last closed sprint's end and length.
pub fn release(
    past: Vec<BurnupPoint>,
    done: f64,
    remaining: f64,
    history: &[f64],
    calendar: Option<(NaiveDate, f64)>,
) -> Release {
    let mut r = Release {
        past,
        done,
        remaining,
        history: history.to_vec(),
        last_end: calendar.map(|c| c.0),
        sprint_days: calendar.map(|c| c.1),
        cone: Vec::new(),
        finish: CONE_LEVELS
            .iter()
            .map(|&p| Finish {
                probability: forecast::probability(p),
                sprints: None,
                date: None,
            })
            .collect(),
    };
    if history.is_empty() {
        return r;
    }
    let date =
        |k: usize| calendar.and_then(|(end, len)| crate::domain::days_after(end, k as f64 * len));
    if remaining <= 0.0 {
        for f in &mut r.finish {
            f.sprints = Some(0);
            f.date = calendar.map(|c| c.0);
        }
        return r;
    }
    let mut cone = Vec::new();
    let found = forecast::reaching(
        history,
        &CONE_LEVELS,
        remaining,
        CONE_SPRINTS,
        |k, lines| {
            cone.push(ConeStep {
                sprints: k,
                date: date(k),
                done: lines.iter().map(|l| done + l.min(remaining)).collect(),
            });
        },
    );
    r.cone = cone;
    for (f, k) in r.finish.iter_mut().zip(found) {
        f.sprints = k;
        f.date = k.and_then(date);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cone_of_a_known_history() {
        // 10 and 20 points equally likely, 25 points to go, sprints of 14 days after 2 March.
        // 50%: one sprint reaches 20 (P(>= 20) = 1/2) < 25; two reach 30 -> 2 sprints.
        // 85%: one sprint: q = 10, w = sqrt((1 + 1/2) 3/1) = 2.121, 20 - 21.2 < 0 -> 0;
        //  two: median 30, q = 20, w = sqrt(2 * 3) = 2.449: 30 - 24.49 = 5.50; three: totals
        //  30 (1/8), 40 (3/8), 50 (3/8), 60 (1/8): median 50 (P(>= 50) = 1/2), q = 40
        //  (P(>= 40) = .875 >= .85), w = sqrt(2.5 * 3) = 2.739: 50 - 27.39 = 22.61;
        //  four: 10 x (4 + Bin(4, 1/2)): median 60, P(>= 50) = 11/16 < .85, P(>= 40) = 15/16
        //  -> 40, w = sqrt(3 * 3) = 3: 60 - 60 = 0; ...
        let d = NaiveDate::from_ymd_opt(2025, 3, 2).unwrap();
        let r = release(Vec::new(), 100.0, 25.0, &[10.0, 20.0], Some((d, 14.0)));
        assert_eq!(r.finish[0].sprints, Some(2));
        assert_eq!(r.finish[0].date, NaiveDate::from_ymd_opt(2025, 3, 30));
        assert_eq!(r.cone[0].done[0], 120.0);
        assert_eq!(r.cone[1].done, vec![125.0, 105.5, r.cone[1].done[2]]);
        assert_eq!(r.cone[2].done[1], 122.61);
        // The same levels as the forecast's "when" for the same target.
        let when = forecast::when_lines(&[10.0, 20.0], 25.0);
        assert_eq!(
            r.finish.iter().map(|f| f.sprints).collect::<Vec<_>>(),
            vec![when[0], when[2], when[3]]
        );
        // Nothing left: done at the last sprint's end.
        let r = release(Vec::new(), 100.0, 0.0, &[10.0], Some((d, 14.0)));
        assert!(
            r.finish
                .iter()
                .all(|f| f.sprints == Some(0) && f.date == Some(d))
        );
        // No history: no cone.
        let r = release(Vec::new(), 0.0, 10.0, &[], None);
        assert!(r.cone.is_empty() && r.finish.iter().all(|f| f.sprints.is_none()));
    }
}
