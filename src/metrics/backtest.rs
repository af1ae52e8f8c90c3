//! How the forecasts fared: for every closed sprint with enough closed sprints before it, the
//! forecast sprintlens makes from those (as `forecast` does, at that sprint's start) against
//! the points then completed, in the next sprint and the next N. Sprints are taken in their
//! order (start date, else their id's natural order), so sprints without dates replay too.

use crate::metrics::forecast::{LEVELS, Totals, is_empty_sprint, probability};
use crate::metrics::velocity::SprintVelocity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the backtest is asked for beyond the forecast's own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacktestParams {
    /// The fewest closed sprints before a sprint for it to be forecast.
    pub min_history: usize,
}

/// One closed sprint of a team's series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub sprint_id: String,
    pub sprint_name: Option<String>,
    pub completed: f64,
}

/// How one level fared at one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelCheck {
    /// Sprints ahead (1 = the next sprint).
    pub horizon: usize,
    pub probability: f64,
    pub forecasts: usize,
    /// Forecasts whose line was reached (completed >= line).
    pub met: usize,
    /// met / forecasts.
    pub share: Option<f64>,
    /// The same for the forecasts whose line was above zero (a line of 0 is always met).
    pub above_zero: usize,
    pub met_above_zero: usize,
    pub share_above_zero: Option<f64>,
}

/// A forecast whose line was not reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Miss {
    pub team: String,
    /// The first sprint forecast.
    pub sprint_id: String,
    pub sprint_name: Option<String>,
    pub horizon: usize,
    pub probability: f64,
    pub line: f64,
    pub completed: f64,
}

/// How one cycle-time percentile fared: "P% of items finish within its days", read from the
/// items done before each item started, against that item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleLevel {
    pub probability: f64,
    /// Items checked (with at least `min_items` done before they started).
    pub items: usize,
    /// Of those, done within the percentile's days.
    pub within: usize,
    pub share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CycleCheck {
    /// The fewest items done before an item started for it to be checked.
    pub min_items: usize,
    pub levels: Vec<CycleLevel>,
}

/// The fewest done items a cycle-time percentile is read from in the check.
pub const CYCLE_MIN_ITEMS: usize = 10;

/// The cycle-time check over teams' done items: per team, each item whose start (completion -
/// cycle time) came after at least `min_items` of the team's items were done, against the
/// percentiles of those items' cycle times (the value at rank ceil(P n / 100), as the accuracy
/// report's percentiles): met when its cycle time is at most that many days.
pub fn cycle_check(
    items: &BTreeMap<String, Vec<(chrono::NaiveDateTime, f64)>>,
    min_items: usize,
) -> CycleCheck {
    let mut levels: Vec<CycleLevel> = LEVELS
        .iter()
        .map(|&p| CycleLevel {
            probability: probability(p),
            items: 0,
            within: 0,
            share: None,
        })
        .collect();
    for rows in items.values() {
        let mut by_done: Vec<(chrono::NaiveDateTime, f64)> = rows.clone();
        by_done.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut by_start: Vec<(chrono::NaiveDateTime, f64)> = rows
            .iter()
            .map(|&(done, days)| {
                (
                    done - chrono::Duration::seconds((days * 86_400.0) as i64),
                    days,
                )
            })
            .collect();
        by_start.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        // The cycle times of the items done before the current start, kept sorted.
        let mut before: Vec<f64> = Vec::new();
        let mut next = 0;
        for (started, days) in by_start {
            while next < by_done.len() && by_done[next].0 < started {
                let v = by_done[next].1;
                let at = before.partition_point(|x| *x <= v);
                before.insert(at, v);
                next += 1;
            }
            if before.len() < min_items.max(1) {
                continue;
            }
            for (c, &p) in levels.iter_mut().zip(&LEVELS) {
                let within = before[crate::metrics::forecast::percent_rank(p, before.len()) - 1];
                c.items += 1;
                c.within += usize::from(days <= within);
            }
        }
    }
    for c in &mut levels {
        c.share = share(c.within, c.items);
    }
    CycleCheck { min_items, levels }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Backtest {
    /// The most closed sprints each forecast drew from.
    pub history_limit: usize,
    pub min_history: usize,
    pub horizons: Vec<usize>,
    /// Teams with at least one forecast checked.
    pub teams: usize,
    /// Empty sprints left out of the series (nothing committed, nothing completed).
    pub empty_left_out: usize,
    /// Per horizon, then level.
    pub levels: Vec<LevelCheck>,
    /// Newest first.
    pub misses: Vec<Miss>,
    /// The cycle-time percentiles against the items that followed (empty without cycle times).
    #[serde(default)]
    pub cycle_times: CycleCheck,
}

/// Each team's closed sprints with completed points, in order; empty sprints left out unless
/// kept. Returns the series and how many empty sprints were left out.
pub fn series<'a>(
    sprints: impl IntoIterator<Item = &'a SprintVelocity>,
    keep_empty: bool,
) -> (BTreeMap<String, Vec<Point>>, usize) {
    let mut out: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    let mut empty = 0;
    for s in sprints {
        let (true, Some(c)) = (s.closed, s.completed) else {
            continue;
        };
        if !keep_empty && is_empty_sprint(s.committed, c) {
            empty += 1;
            continue;
        }
        out.entry(s.team.clone()).or_default().push(Point {
            sprint_id: s.sprint_id.clone(),
            sprint_name: s.sprint_name.clone(),
            completed: c,
        });
    }
    (out, empty)
}

/// The horizons checked for a forecast of `sprints` ahead: the next sprint, and `sprints`.
pub fn horizons(sprints: usize) -> Vec<usize> {
    if sprints <= 1 {
        vec![1]
    } else {
        vec![1, sprints]
    }
}

/// The backtest of every team's series.
pub fn backtest(
    series: &BTreeMap<String, Vec<Point>>,
    empty_left_out: usize,
    horizons: &[usize],
    history: usize,
    min_history: usize,
) -> Backtest {
    let mut levels = no_checks(horizons);
    let mut misses = Vec::new();
    let mut teams = 0;
    let per_team: Vec<(&String, &Vec<Point>)> = series.iter().collect();
    let checked = crate::metrics::par::map(&per_team, |(team, points)| {
        check_team(team, points, horizons, history, min_history)
    });
    for (team_levels, team_misses) in checked {
        if team_levels.iter().any(|c| c.forecasts > 0) {
            teams += 1;
        }
        for (all, t) in levels.iter_mut().zip(team_levels) {
            all.forecasts += t.forecasts;
            all.met += t.met;
            all.above_zero += t.above_zero;
            all.met_above_zero += t.met_above_zero;
        }
        misses.extend(team_misses);
    }
    for c in &mut levels {
        c.share = share(c.met, c.forecasts);
        c.share_above_zero = share(c.met_above_zero, c.above_zero);
    }
    misses.reverse();
    Backtest {
        history_limit: history,
        min_history,
        horizons: horizons.to_vec(),
        teams,
        empty_left_out,
        levels,
        misses,
        cycle_times: CycleCheck::default(),
    }
}

/// One empty check per horizon and level, in the order of `horizons` x `LEVELS`.
fn no_checks(horizons: &[usize]) -> Vec<LevelCheck> {
    horizons
        .iter()
        .flat_map(|&h| {
            LEVELS.iter().map(move |&p| LevelCheck {
                horizon: h,
                probability: probability(p),
                forecasts: 0,
                met: 0,
                share: None,
                above_zero: 0,
                met_above_zero: 0,
                share_above_zero: None,
            })
        })
        .collect()
}

fn share(k: usize, n: usize) -> Option<f64> {
    (n > 0).then(|| k as f64 / n as f64)
}

/// One team: the level checks in the order of `horizons` x `LEVELS`, and its misses in order.
fn check_team(
    team: &str,
    points: &[Point],
    horizons: &[usize],
    history: usize,
    min_history: usize,
) -> (Vec<LevelCheck>, Vec<Miss>) {
    let mut levels = no_checks(horizons);
    let mut misses = Vec::new();
    let values: Vec<f64> = points.iter().map(|p| p.completed).collect();
    for i in min_history.max(1)..values.len() {
        let drawn = &values[i.saturating_sub(history)..i];
        for (k, &h) in horizons.iter().enumerate() {
            if i + h > values.len() {
                continue;
            }
            let done: f64 = values[i..i + h].iter().sum();
            let totals = Totals::of(drawn, h);
            for (j, &p) in LEVELS.iter().enumerate() {
                let line = totals.line(p, drawn.len());
                let c = &mut levels[k * LEVELS.len() + j];
                let met = done >= line;
                c.forecasts += 1;
                c.met += usize::from(met);
                if line > 0.0 {
                    c.above_zero += 1;
                    c.met_above_zero += usize::from(met);
                }
                if !met {
                    misses.push(Miss {
                        team: team.to_string(),
                        sprint_id: points[i].sprint_id.clone(),
                        sprint_name: points[i].sprint_name.clone(),
                        horizon: h,
                        probability: probability(p),
                        line,
                        completed: done,
                    });
                }
            }
        }
    }
    (levels, misses)
}

/// The backtest of a velocity report's teams with a forecast's settings.
pub fn of_sprints<'a>(
    sprints: impl IntoIterator<Item = &'a SprintVelocity>,
    keep_empty: bool,
    forecast_sprints: usize,
    history: usize,
    min_history: usize,
) -> Backtest {
    let (s, empty) = series(sprints, keep_empty);
    backtest(&s, empty, &horizons(forecast_sprints), history, min_history)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(v: &[f64]) -> Vec<Point> {
        v.iter()
            .enumerate()
            .map(|(i, &c)| Point {
                sprint_id: (i + 1).to_string(),
                sprint_name: None,
                completed: c,
            })
            .collect()
    }

    #[test]
    fn six_sprints_by_hand() {
        // Completed 10, 20, 30, 10, 40, 0. With min_history 3 and history 3, the next-sprint
        // forecasts are made at sprints 4, 5 and 6:
        //  sprint 4 from [10, 20, 30]: median 20; 70%: P(>=20) = 2/3 < .7, so q = 10, w =
        //   sqrt((1 + 1/3) * 4/2) = 1.633, line 20 - 16.33 = 3.67 (hundredths, down);
        //   85% and 95% also q = 10: 3.67. Completed 10: 50% missed, the rest met.
        //  sprint 5 from [20, 30, 10]: the same lines. Completed 40: all met.
        //  sprint 6 from [10, 30, 40]: median 30, q = 10 -> 30 - 32.66 < 0 -> 0. Completed
        //   0: 50% missed (30 > 0), 70/85/95 lines are 0: met.
        let mut s = BTreeMap::new();
        s.insert(
            "a".to_string(),
            points(&[10.0, 20.0, 30.0, 10.0, 40.0, 0.0]),
        );
        let b = backtest(&s, 0, &[1], 3, 3);
        let got: Vec<(usize, usize, usize, usize)> = b
            .levels
            .iter()
            .map(|c| (c.forecasts, c.met, c.above_zero, c.met_above_zero))
            .collect();
        assert_eq!(
            got,
            vec![(3, 1, 3, 1), (3, 3, 2, 2), (3, 3, 2, 2), (3, 3, 2, 2)]
        );
        assert_eq!(b.teams, 1);
        // Newest first: sprint 6's 50% (line 30, completed 0), then sprint 4's (20 vs 10).
        assert_eq!(b.misses.len(), 2);
        assert_eq!(
            (
                b.misses[0].sprint_id.as_str(),
                b.misses[0].line,
                b.misses[0].completed
            ),
            ("6", 30.0, 0.0)
        );
        assert_eq!(
            (
                b.misses[1].sprint_id.as_str(),
                b.misses[1].line,
                b.misses[1].completed
            ),
            ("4", 20.0, 10.0)
        );
        let line70 = Totals::of(&[10.0, 20.0, 30.0], 1).line(70, 3);
        assert_eq!(line70, 3.67);
    }

    #[test]
    fn cycle_times_against_the_items_that_followed() {
        // Four items started on day 1 and done 0 to 3 days later; then items started on
        // days 10 (2 days), 11 (9 days) and 30 (3 days). The first four have nothing done
        // before their start: not checked (min_items 2).
        let day = |d: i64| {
            chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap()
                + chrono::Duration::days(d - 1)
        };
        let mut items = BTreeMap::new();
        items.insert(
            "a".to_string(),
            vec![
                (day(1), 0.0),
                (day(2), 1.0),
                (day(3), 2.0),
                (day(4), 3.0),
                (day(12), 2.0),
                (day(20), 9.0),
                (day(33), 3.0),
            ],
        );
        let c = cycle_check(&items, 2);
        let got: Vec<(usize, usize)> = c.levels.iter().map(|l| (l.items, l.within)).collect();
        // Item 5 (start day 10) sees [0,1,2,3]: 50% rank 2 = 1 (2 > 1: missed), 70% rank 3 =
        // 2 (met), 85%/95% rank 4 = 3 (met). Item 6 (start day 11) sees the same: 9 days
        // misses all. Item 7 (start day 30) sees [0,1,2,2,3,9]: 50% rank 3 = 2 (3: missed),
        // 70% rank 5 = 3 (met), 85% rank 6 = 9 (met), 95% 9 (met).
        assert_eq!(got, vec![(3, 0), (3, 2), (3, 2), (3, 2)]);
    }

    #[test]
    fn longer_horizons_need_the_sprints_ahead() {
        // Three sprints ahead from sprint 4 needs sprints 4..6: one forecast of 3 sprints.
        let mut s = BTreeMap::new();
        s.insert(
            "a".to_string(),
            points(&[10.0, 20.0, 30.0, 10.0, 40.0, 0.0]),
        );
        let b = backtest(&s, 0, &horizons(3), 3, 3);
        assert_eq!(b.horizons, vec![1, 3]);
        let three: Vec<&LevelCheck> = b.levels.iter().filter(|c| c.horizon == 3).collect();
        assert!(three.iter().all(|c| c.forecasts == 1));
        // Totals of 3 draws from [10, 20, 30]: median 60; completed 10 + 40 + 0 = 50 < 60.
        assert_eq!(three[0].met, 0);
        assert_eq!(Totals::of(&[10.0, 20.0, 30.0], 3).line(50, 3), 60.0);
    }
}
