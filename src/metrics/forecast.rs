//! Monte Carlo forecasts from a team's past velocity: "how many points in N sprints" and
//! "when will X points be done", with the values reached at 50/70/85/95% probability.
//! Seeded: the same data, seed and trials give the same forecast.

use crate::domain::undefined::{Reasons, na, unknown};
use crate::error::Result;
use crate::metrics::rng::{Modulus, Rng};
use crate::metrics::{frame, par, velocity};
use crate::store::Store;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// The probabilities a forecast reports, in whole percent (ranks are computed from them in
/// integers: 85% of 10,000 trials is rank 8,500 exactly, never 8,501 by rounding).
pub const LEVELS: [u32; 4] = [50, 70, 85, 95];
pub const DEFAULT_TRIALS: usize = 10_000;
pub const DEFAULT_HISTORY: usize = 10;
pub const DEFAULT_SEED: u64 = 42;
/// "When" trials stop here: a velocity history of zeros never finishes.
pub const MAX_SPRINTS: usize = 1_000;
/// The most trials a forecast runs: time and memory grow with them (10,000,000 trials for one
/// team took 1.8 s and 360 MB), its levels hardly move past 100,000.
pub const MAX_TRIALS: usize = 1_000_000;
/// The largest "when" target in points: a thousand times the largest amount an item may carry.
pub const MAX_TARGET: f64 = 1_000.0 * crate::domain::schema::MAX_AMOUNT;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Level {
    /// The probability, e.g. 0.85.
    pub probability: f64,
    pub value: Option<f64>,
    /// For "when": the last day of that sprint, from the team's sprint calendar.
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TeamForecast {
    pub team: String,
    /// The closed sprints' completed points drawn from (oldest first).
    pub history: Vec<f64>,
    pub trials: usize,
    pub seed: u64,
    pub sprints: usize,
    /// Points reached in `sprints` sprints with each probability.
    pub how_much: Vec<Level>,
    pub target_points: Option<f64>,
    /// Where the target came from: "--points" or "remaining backlog".
    pub target_source: Option<String>,
    /// Sprints (and the date) by which the target is done with each probability.
    pub when: Vec<Level>,
    #[serde(deserialize_with = "crate::domain::undefined::reasons")]
    pub undefined: Reasons,
}

/// The value at rank ceil(q * n) of sorted values (the inverse of the empirical CDF).
pub fn lower_quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// The 1-based rank ceil(percent * n / 100), in integers, kept within 1..=n (n > 0).
pub fn percent_rank(percent: u32, n: usize) -> usize {
    (percent as usize * n).div_ceil(100).clamp(1, n)
}

/// Totals of `sprints` draws with replacement, one per trial.
pub fn simulate_totals(history: &[f64], sprints: usize, trials: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let n = Modulus::new(history.len() as u64);
    let mut totals: Vec<f64> = (0..trials)
        .map(|_| (0..sprints).map(|_| history[rng.below(&n)]).sum())
        .collect();
    totals.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    totals
}

/// Sprints until the running sum reaches `target`, one per trial in the order of the trials
/// (None past MAX_SPRINTS).
pub fn sprints_per_trial(
    history: &[f64],
    target: f64,
    trials: usize,
    seed: u64,
) -> Vec<Option<usize>> {
    let mut rng = Rng::new(seed);
    let n = Modulus::new(history.len() as u64);
    (0..trials)
        .map(|_| {
            let mut sum = 0.0;
            for k in 1..=MAX_SPRINTS {
                sum += history[rng.below(&n)];
                if sum >= target {
                    return Some(k);
                }
            }
            None
        })
        .collect()
}

/// [`sprints_per_trial`], sorted (None, never, last).
pub fn simulate_sprints(
    history: &[f64],
    target: f64,
    trials: usize,
    seed: u64,
) -> Vec<Option<usize>> {
    let mut out = sprints_per_trial(history, target, trials, seed);
    out.sort_by_key(|x| x.unwrap_or(usize::MAX));
    out
}

/// Forecasts for one team. `calendar` is (last sprint's end, sprint length in days).
#[allow(clippy::too_many_arguments)]
pub fn forecast_team(
    team: &str,
    history: Vec<f64>,
    sprints: usize,
    target: Option<(f64, &str)>,
    trials: usize,
    seed: u64,
    calendar: Option<(NaiveDate, f64)>,
) -> TeamForecast {
    let mut undefined = Reasons::new();
    let mut f = TeamForecast {
        team: team.to_string(),
        history,
        trials,
        seed,
        sprints,
        how_much: Vec::new(),
        target_points: target.map(|t| t.0),
        target_source: target.map(|t| t.1.to_string()),
        when: Vec::new(),
        undefined: Reasons::new(),
    };
    if f.history.is_empty() {
        undefined.insert("how_much", na("the team has no closed sprint to draw from"));
        if target.is_some() {
            undefined.insert("when", na("the team has no closed sprint to draw from"));
        }
        f.undefined = undefined;
        return f;
    }
    let totals = simulate_totals(&f.history, sprints, trials, seed);
    f.how_much = LEVELS
        .iter()
        .map(|&p| Level {
            probability: probability(p),
            // Reached with probability p: P(total >= v) >= p, the (1-p) lower quantile.
            value: Some(totals[percent_rank(100 - p, totals.len()) - 1]),
            date: None,
        })
        .collect();
    if let Some((x, _)) = target {
        let counts = simulate_sprints(&f.history, x, trials, seed);
        f.when = LEVELS
            .iter()
            .map(|&p| {
                let c = counts[percent_rank(p, counts.len()) - 1];
                Level {
                    probability: probability(p),
                    value: c.map(|c| c as f64),
                    date: match (c, calendar) {
                        // c sprints of the median length after the last one, to the day.
                        // None past 9999-12-31 (noted below).
                        (Some(c), Some((last_end, len))) => {
                            crate::domain::days_after(last_end, c as f64 * len)
                        }
                        _ => None,
                    },
                }
            })
            .collect();
        if f.when.iter().any(|l| l.value.is_none()) {
            undefined.insert(
                "when",
                na(format!(
                    "some trials did not reach {x} points in {MAX_SPRINTS} sprints"
                )),
            );
        }
        match calendar {
            None => {
                undefined.insert("when.date", unknown("the team's sprints have no dates"));
            }
            Some((_, len)) if f.when.iter().any(|l| l.value.is_some() && l.date.is_none()) => {
                undefined.insert(
                    "when.date",
                    na(format!(
                        "after {}: the team's sprints are {len} days long (median)",
                        crate::domain::LAST_DAY
                    )),
                );
            }
            Some(_) => {}
        }
    }
    f.undefined = undefined;
    f
}

/// A whole percent as the probability reported (85 -> 0.85).
pub fn probability(percent: u32) -> f64 {
    f64::from(percent) / 100.0
}

pub const BACKLOG_POINTS: &str = include_str!("../../queries/metrics/backlog_points.sql");

#[derive(Debug, Clone)]
pub struct ForecastQuery<'a> {
    pub team: Option<&'a str>,
    pub program: Option<&'a str>,
    pub sprints: usize,
    /// "When will X points be done"; `None` forecasts the remaining backlog.
    pub points: Option<f64>,
    pub trials: usize,
    pub seed: u64,
    /// How many of the last closed sprints to draw from.
    pub history: usize,
    pub as_of: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct ForecastReport {
    pub levels: Vec<f64>,
    /// The most closed sprints drawn from per team.
    pub history_limit: usize,
    pub teams: Vec<TeamForecast>,
}

pub fn forecast(store: &Store, q: &ForecastQuery) -> Result<ForecastReport> {
    let v = velocity::velocity(
        store,
        &velocity::VelocityQuery::every_sprint(q.team, q.program, q.as_of),
    )?;
    forecast_from(store, q, &v)
}

/// Each team's remaining backlog in points (its stories not done), for a team, a program or all.
pub fn backlog_points(
    store: &Store,
    team: Option<&str>,
    program: Option<&str>,
) -> Result<BTreeMap<String, f64>> {
    let df = store.query_frame(
        "backlog_points",
        BACKLOG_POINTS,
        duckdb::params![team, program],
    )?;
    let mut backlog: BTreeMap<String, f64> = BTreeMap::new();
    if df.height() > 0 {
        let t = frame::strings(&df, "team")?;
        let p = frame::floats(&df, "points")?;
        for (t, p) in t.into_iter().zip(p) {
            if let (Some(t), Some(p)) = (t, p) {
                backlog.insert(t, p);
            }
        }
    }
    Ok(backlog)
}

/// The forecast from a velocity report already computed for the query's teams (any window:
/// only completed points and the sprint calendar are read).
pub fn forecast_from(
    store: &Store,
    q: &ForecastQuery,
    v: &velocity::VelocityReport,
) -> Result<ForecastReport> {
    let backlog = backlog_points(store, q.team, q.program)?;
    // Each team's closed sprints, then the trials of every team on every core.
    let mut closed: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for s in &v.sprints {
        if let (true, Some(c)) = (s.closed, s.completed) {
            closed.entry(s.team.as_str()).or_default().push(c);
        }
    }
    let teams = par::map(&v.teams, |t| {
        let all = closed.get(t.team.as_str()).map_or(&[][..], Vec::as_slice);
        let history = all[all.len().saturating_sub(q.history)..].to_vec();
        let target = match q.points {
            Some(x) => Some((x, "--points")),
            None => backlog.get(&t.team).map(|x| (*x, "remaining backlog")),
        };
        let calendar = t.last_closed_end.zip(t.sprint_days);
        forecast_team(
            &t.team, history, q.sprints, target, q.trials, q.seed, calendar,
        )
    });
    Ok(ForecastReport {
        levels: LEVELS.iter().map(|&p| probability(p)).collect(),
        history_limit: q.history,
        teams,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_velocity_is_certain() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 2).unwrap();
        let f = forecast_team(
            "t",
            vec![10.0; 4],
            3,
            Some((25.0, "--points")),
            1000,
            1,
            Some((d, 14.0)),
        );
        assert!(f.how_much.iter().all(|l| l.value == Some(30.0)));
        assert!(f.when.iter().all(|l| l.value == Some(3.0)));
        // Three sprints after the one ending 2 March: 16 March, 30 March, 13 April.
        assert_eq!(f.when[0].date, NaiveDate::from_ymd_opt(2025, 4, 13));
    }

    #[test]
    fn ranks_are_exact_integers() {
        // In floating point ceil((1 - 0.85) * 10000) is 1501; the rank wanted is 1500.
        assert_eq!(((1.0 - 0.85) * 10_000.0_f64).ceil(), 1501.0);
        assert_eq!(percent_rank(100 - 85, 10_000), 1500);
        assert_eq!(percent_rank(85, 10_000), 8500);
        assert_eq!(percent_rank(95, 10), 10);
        assert_eq!(percent_rank(50, 3), 2);
        assert_eq!(percent_rank(5, 3), 1);
        assert_eq!(percent_rank(0, 3), 1);
    }

    #[test]
    fn dates_from_a_median_sprint_of_half_days() {
        // Sprints of 10 and 11 days: median 10.5; 2 sprints -> 21 days, 3 -> 31.5 -> 32.
        let d = NaiveDate::from_ymd_opt(2025, 3, 2).unwrap();
        let f = forecast_team(
            "t",
            vec![5.0],
            1,
            Some((15.0, "--points")),
            10,
            1,
            Some((d, 10.5)),
        );
        assert_eq!(f.when[0].value, Some(3.0));
        assert_eq!(f.when[0].date, NaiveDate::from_ymd_opt(2025, 4, 3));
        let f = forecast_team(
            "t",
            vec![5.0],
            1,
            Some((10.0, "--points")),
            10,
            1,
            Some((d, 10.5)),
        );
        assert_eq!(f.when[0].date, NaiveDate::from_ymd_opt(2025, 3, 23));
    }

    #[test]
    fn dates_past_the_last_day_are_none_with_the_reason() {
        // Sprints of a million days (a start date typed as year 1): 3 sprints after 2025 is
        // past 9999-12-31, and past what a date can hold at all. No date, no overflow.
        let d = NaiveDate::from_ymd_opt(2025, 3, 2).unwrap();
        for len in [1e6, 1e9] {
            let f = forecast_team(
                "t",
                vec![5.0],
                1,
                Some((15.0, "--points")),
                10,
                1,
                Some((d, len)),
            );
            assert_eq!(f.when[0].value, Some(3.0));
            assert!(f.when.iter().all(|l| l.date.is_none()));
            assert_eq!(
                f.undefined["when.date"].reason(),
                format!("after 9999-12-31: the team's sprints are {len} days long (median)")
            );
        }
        // Up to the last day itself, a date.
        let eve = NaiveDate::from_ymd_opt(9999, 12, 1).unwrap();
        let f = forecast_team(
            "t",
            vec![5.0],
            1,
            Some((15.0, "--points")),
            10,
            1,
            Some((eve, 10.0)),
        );
        assert_eq!(f.when[0].date, NaiveDate::from_ymd_opt(9999, 12, 31));
        assert!(f.undefined.is_empty());
    }

    #[test]
    fn known_history_with_a_fixed_seed() {
        // Velocities 0, 10, 10, 10 over two sprints: totals 0, 10, 20 with chances 1/16, 6/16,
        // 9/16. P(>= 20) = .5625, P(>= 10) = .9375: 50% -> 20, 70% and 85% -> 10, 95% -> 0.
        let f = forecast_team(
            "t",
            vec![0.0, 10.0, 10.0, 10.0],
            2,
            Some((10.0, "--points")),
            10_000,
            7,
            None,
        );
        let v: Vec<Option<f64>> = f.how_much.iter().map(|l| l.value).collect();
        assert_eq!(v, vec![Some(20.0), Some(10.0), Some(10.0), Some(0.0)]);
        // Sprints to reach 10: geometric with p = 3/4: P(<=1) = .75, P(<=2) = .9375,
        // P(<=3) = .984: 50% and 70% -> 1, 85% -> 2, 95% -> 3.
        let w: Vec<Option<f64>> = f.when.iter().map(|l| l.value).collect();
        assert_eq!(w, vec![Some(1.0), Some(1.0), Some(2.0), Some(3.0)]);
        assert_eq!(
            f.undefined.get("when.date").map(|u| u.reason()),
            Some("the team's sprints have no dates")
        );
    }

    #[test]
    fn same_seed_same_forecast_and_zero_history_never_finishes() {
        let a = simulate_totals(&[3.0, 5.0, 8.0], 4, 500, 9);
        assert_eq!(a, simulate_totals(&[3.0, 5.0, 8.0], 4, 500, 9));
        assert_ne!(a, simulate_totals(&[3.0, 5.0, 8.0], 4, 500, 10));
        let f = forecast_team(
            "t",
            vec![0.0, 0.0],
            2,
            Some((5.0, "--points")),
            100,
            1,
            None,
        );
        assert!(f.when.iter().all(|l| l.value.is_none()));
        assert!(
            f.undefined["when"]
                .reason()
                .contains("did not reach 5 points")
        );
        let f = forecast_team("t", vec![], 2, None, 100, 1, None);
        assert!(f.how_much.is_empty());
        assert_eq!(
            f.undefined["how_much"].reason(),
            "the team has no closed sprint to draw from"
        );
    }

    #[test]
    fn lower_quantile_is_the_inverse_cdf() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(lower_quantile(&v, 0.25), Some(1.0));
        assert_eq!(lower_quantile(&v, 0.26), Some(2.0));
        assert_eq!(lower_quantile(&v, 1.0), Some(4.0));
        assert_eq!(lower_quantile(&v, 0.0), Some(1.0));
        assert_eq!(lower_quantile(&[], 0.5), None);
    }
}
