//! Forecasts from a team's past velocity: "how many points in N sprints" and "when will X
//! points be done", with the values reached at 50/70/85/95% probability.
//!
//! The method (README "Forecast"): the total of N sprints drawn with replacement from the last
//! closed sprints is computed exactly (every total with its probability, no sampling), so the
//! median is exact and the same for every seed. A level below the median is then widened for
//! a short history: its distance below the median is multiplied by
//! `sqrt((1 + N/n) (n + 1) / (n - 1))` (n sprints drawn from): the first factor is the
//! uncertainty of the mean that n sprints leave over N sprints ahead, the second the small-sample
//! correction that keeps the "95%" of ten sprints from being the smallest of them. Checked
//! against what then happened by `backtest`.

use crate::domain::undefined::{Reasons, na, unknown};
use crate::error::Result;
use crate::metrics::rng::{Modulus, Rng};
use crate::metrics::{frame, par, velocity};
use crate::store::Store;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The probabilities a forecast reports, in whole percent (ranks are computed from them in
/// integers: 85% of 10,000 trials is rank 8,500 exactly, never 8,501 by rounding).
pub const LEVELS: [u32; 4] = [50, 70, 85, 95];
/// Trials of the Monte Carlo that remains: the program roll-up (the latest of its teams).
pub const DEFAULT_TRIALS: usize = 10_000;
pub const DEFAULT_HISTORY: usize = 10;
pub const DEFAULT_SEED: u64 = 42;
/// Fewer closed sprints than this: the forecast says so and shows its levels as one range.
pub const MIN_HISTORY: usize = 5;
/// The most closed sprints a forecast draws from (`--history`).
pub const MAX_HISTORY: usize = 200;
/// "When" stops here: a velocity history of zeros never finishes.
pub const MAX_SPRINTS: usize = 1_000;
/// The most trials a forecast runs: time and memory grow with them (10,000,000 trials for one
/// team took 1.8 s and 360 MB), its levels hardly move past 100,000.
pub const MAX_TRIALS: usize = 1_000_000;
/// The largest "when" target in points: a thousand times the largest amount an item may carry.
pub const MAX_TARGET: f64 = 1_000.0 * crate::domain::schema::MAX_AMOUNT;
/// Totals are counted in thousandths of a point.
const UNIT: f64 = 1_000.0;
/// The most distinct totals an exact distribution keeps, so that one more sprint costs at
/// most about `WORK_PER_SPRINT` steps: 20,000 totals for a history of 10 distinct values, never
/// fewer than 1,000. Past it (hundreds of sprints of integer points, or a dozen of arbitrary
/// decimals), the total is taken as normal with the same mean and variance (its limit).
const MAX_SUPPORT: usize = 20_000;
const MIN_SUPPORT: usize = 1_000;
const WORK_PER_SPRINT: usize = 200_000;

/// The distribution of the total of k sprints, each drawn with replacement from a history:
/// exactly (every total in thousandths of a point with its probability, in increasing order),
/// or past [`MAX_SUPPORT`] totals as the normal with the same mean and variance.
#[derive(Debug, Clone)]
pub struct Totals {
    /// How many sprints are summed.
    pub sprints: usize,
    shape: Shape,
}

#[derive(Debug, Clone)]
enum Shape {
    Exact(Vec<(i64, f64)>),
    Normal { mean: f64, var: f64 },
}

impl Totals {
    /// No sprint yet: a total of 0 for certain.
    pub fn none() -> Totals {
        Totals {
            sprints: 0,
            shape: Shape::Exact(vec![(0, 1.0)]),
        }
    }

    /// The total of `sprints` draws from `history` (not empty).
    pub fn of(history: &[f64], sprints: usize) -> Totals {
        let draws = Draws::new(history);
        (0..sprints).fold(Totals::none(), |t, _| t.plus(&draws))
    }

    /// Whether the distribution is exact (not the normal approximation).
    pub fn is_exact(&self) -> bool {
        matches!(self.shape, Shape::Exact(_))
    }

    /// The distribution of one more sprint drawn.
    pub fn plus(&self, draws: &Draws) -> Totals {
        let shape = match &self.shape {
            Shape::Normal { mean, var } => Shape::Normal {
                mean: mean + draws.mean,
                var: var + draws.var,
            },
            Shape::Exact(mass) => {
                let most =
                    (WORK_PER_SPRINT / draws.values.len().max(1)).clamp(MIN_SUPPORT, MAX_SUPPORT);
                let mut next: HashMap<i64, f64> = HashMap::with_capacity(mass.len() * 2);
                for &(t, p) in mass {
                    for &(d, q) in &draws.values {
                        *next.entry(t + d).or_insert(0.0) += p * q;
                    }
                }
                if next.len() > most {
                    let (m, v) = moments(mass);
                    Shape::Normal {
                        mean: m + draws.mean,
                        var: v + draws.var,
                    }
                } else {
                    let mut mass: Vec<(i64, f64)> = next.into_iter().collect();
                    mass.sort_by_key(|m| m.0);
                    Shape::Exact(mass)
                }
            }
        };
        Totals {
            sprints: self.sprints + 1,
            shape,
        }
    }

    /// The largest total reached with probability at least `p`: the largest v with
    /// P(total >= v) >= p (probabilities summed from the top; 1e-9 absorbs their rounding).
    /// For the normal: its (1 - p) quantile, in thousandths of a point rounded down.
    pub fn reached(&self, p: f64) -> f64 {
        match &self.shape {
            Shape::Exact(mass) => {
                let mut at_least = 0.0;
                for &(t, q) in mass.iter().rev() {
                    at_least += q;
                    if at_least >= p - 1e-9 {
                        return t as f64 / UNIT;
                    }
                }
                mass.first().map_or(0.0, |m| m.0 as f64 / UNIT)
            }
            Shape::Normal { mean, var } => {
                use statrs::distribution::{ContinuousCDF, Normal};
                let v = match Normal::new(*mean, var.sqrt()) {
                    Ok(n) if *var > 0.0 => n.inverse_cdf(1.0 - p),
                    _ => *mean,
                };
                (v * UNIT).floor() / UNIT
            }
        }
    }

    /// The forecast line at `percent`: the median, or a level below it widened for a history of
    /// `n` sprints ([`widening`]), never below zero; in hundredths of a point, rounded down.
    pub fn line(&self, percent: u32, n: usize) -> f64 {
        let median = self.reached(0.5);
        let q = self.reached(probability(percent));
        let w = widening(self.sprints, n);
        let v = (median - w * (median - q)).max(0.0);
        if percent <= 50 || v == median {
            return median;
        }
        (v * 100.0 + 1e-9).floor() / 100.0
    }
}

/// Mean and variance of an exact distribution, in points.
fn moments(mass: &[(i64, f64)]) -> (f64, f64) {
    let mean: f64 = mass.iter().map(|&(t, p)| t as f64 / UNIT * p).sum();
    let var: f64 = mass
        .iter()
        .map(|&(t, p)| (t as f64 / UNIT - mean).powi(2) * p)
        .sum();
    (mean, var)
}

/// A history's distinct values (in thousandths of a point) with their shares.
pub struct Draws {
    values: Vec<(i64, f64)>,
    /// Mean and variance of one draw, in points (the normal's steps).
    mean: f64,
    var: f64,
}

impl Draws {
    pub fn new(history: &[f64]) -> Draws {
        let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
        for v in history {
            *counts.entry((v * UNIT).round() as i64).or_insert(0) += 1;
        }
        let n = history.len() as f64;
        let values: Vec<(i64, f64)> = counts.into_iter().map(|(v, c)| (v, c as f64 / n)).collect();
        let (mean, var) = moments(&values);
        Draws { values, mean, var }
    }
}

/// How much a level's distance below the median is widened, for `sprints` ahead drawn from a
/// history of `n`: sqrt((1 + sprints/n) (n + 1) / (n - 1)); 1 for a history of one sprint.
pub fn widening(sprints: usize, n: usize) -> f64 {
    if n < 2 {
        return 1.0;
    }
    let (k, n) = (sprints as f64, n as f64);
    ((1.0 + k / n) * (n + 1.0) / (n - 1.0)).sqrt()
}

/// The completed points a forecast draws from: the last `limit` closed sprints of a team (in
/// order), empty sprints (nothing committed and nothing completed) left out unless kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub values: Vec<f64>,
    /// Empty sprints passed over while taking the last `limit`.
    pub empty_left_out: usize,
}

/// Whether a closed sprint is empty: nothing committed (or not known) and nothing completed.
pub fn is_empty_sprint(committed: Option<f64>, completed: f64) -> bool {
    completed == 0.0 && committed.unwrap_or(0.0) == 0.0
}

/// [`History`] of one team's sprints in order (open sprints and those without completed
/// points are passed over).
pub fn history_of<'a>(
    sprints: impl DoubleEndedIterator<Item = &'a velocity::SprintVelocity>,
    limit: usize,
    keep_empty: bool,
) -> History {
    let mut h = History::default();
    for s in sprints.rev() {
        if h.values.len() >= limit {
            break;
        }
        let (true, Some(c)) = (s.closed, s.completed) else {
            continue;
        };
        if !keep_empty && is_empty_sprint(s.committed, c) {
            h.empty_left_out += 1;
            continue;
        }
        h.values.push(c);
    }
    h.values.reverse();
    h
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

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Level {
    /// The probability, e.g. 0.85.
    pub probability: f64,
    pub value: Option<f64>,
    /// For "when": the last day of that sprint, from the team's sprint calendar.
    pub date: Option<NaiveDate>,
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

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TeamForecast {
    pub team: String,
    /// The closed sprints' completed points drawn from (oldest first).
    pub history: Vec<f64>,
    /// Empty sprints (nothing committed, nothing completed) left out of `history`.
    #[serde(default)]
    pub empty_left_out: usize,
    /// The program roll-up's Monte Carlo trials and seed (a team's levels are exact).
    pub trials: usize,
    pub seed: u64,
    pub sprints: usize,
    /// Points reached in `sprints` sprints with each probability.
    pub how_much: Vec<Level>,
    /// With fewer than [`MIN_HISTORY`] sprints: the levels as one range, from the 95% line
    /// to the median.
    #[serde(default)]
    pub range: Option<[f64; 2]>,
    pub target_points: Option<f64>,
    /// Where the target came from: "--points" or "remaining backlog".
    pub target_source: Option<String>,
    /// Sprints (and the date) by which the target is done with each probability.
    pub when: Vec<Level>,
    /// What a reader should know: thin history, empty sprints left out.
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(deserialize_with = "crate::domain::undefined::reasons")]
    pub undefined: Reasons,
}

/// The "how much" lines of `sprints` sprints drawn from `history` (not empty), one per level.
pub fn how_much_lines(history: &[f64], sprints: usize) -> Vec<f64> {
    let t = Totals::of(history, sprints);
    LEVELS.iter().map(|&p| t.line(p, history.len())).collect()
}

/// "When": for each level, the fewest sprints whose line at that level reaches `target` (None
/// past [`MAX_SPRINTS`]). A sprint count k is reached at p when the k-sprint forecast's line at
/// p is at least the target, so "when" and "how much" agree.
pub fn when_lines(history: &[f64], target: f64) -> Vec<Option<usize>> {
    if target <= 0.0 {
        return vec![Some(0); LEVELS.len()];
    }
    if history.iter().all(|v| *v <= 0.0) {
        return vec![None; LEVELS.len()];
    }
    reaching(history, &LEVELS, target, MAX_SPRINTS, |_, _| {})
}

/// Walks the sprints ahead, k = 1, 2, ... up to `max`: `visit(k, lines)` sees the lines at
/// `levels` of the total of k sprints drawn from `history` (not empty); gives, per level, the
/// first k whose line reaches `target`, and stops once every level has.
pub fn reaching(
    history: &[f64],
    levels: &[u32],
    target: f64,
    max: usize,
    mut visit: impl FnMut(usize, &[f64]),
) -> Vec<Option<usize>> {
    let mut found: Vec<Option<usize>> = vec![None; levels.len()];
    let draws = Draws::new(history);
    let mut t = Totals::none();
    for k in 1..=max {
        t = t.plus(&draws);
        let lines: Vec<f64> = levels.iter().map(|&p| t.line(p, history.len())).collect();
        for (f, l) in found.iter_mut().zip(&lines) {
            if f.is_none() && *l >= target {
                *f = Some(k);
            }
        }
        visit(k, &lines);
        if found.iter().all(Option::is_some) {
            break;
        }
    }
    found
}

/// Forecasts for one team. `calendar` is (last sprint's end, sprint length in days).
#[allow(clippy::too_many_arguments)]
pub fn forecast_team(
    team: &str,
    history: History,
    sprints: usize,
    target: Option<(f64, &str)>,
    trials: usize,
    seed: u64,
    calendar: Option<(NaiveDate, f64)>,
) -> TeamForecast {
    let mut undefined = Reasons::new();
    let mut f = TeamForecast {
        team: team.to_string(),
        history: history.values,
        empty_left_out: history.empty_left_out,
        trials,
        seed,
        sprints,
        how_much: Vec::new(),
        range: None,
        target_points: target.map(|t| t.0),
        target_source: target.map(|t| t.1.to_string()),
        when: Vec::new(),
        notes: Vec::new(),
        undefined: Reasons::new(),
    };
    if f.empty_left_out > 0 {
        f.notes.push(format!(
            "{} empty sprint{} (nothing committed, nothing completed) left out",
            f.empty_left_out,
            if f.empty_left_out == 1 { "" } else { "s" }
        ));
    }
    let zeros = f.history.iter().filter(|v| **v == 0.0).count();
    if zeros > 0 {
        f.notes.push(format!(
            "{zeros} of the {} sprints drawn from completed nothing: the lower levels reach less, down to 0",
            f.history.len()
        ));
    }
    if f.history.is_empty() {
        undefined.insert("how_much", na("the team has no closed sprint to draw from"));
        if target.is_some() {
            undefined.insert("when", na("the team has no closed sprint to draw from"));
        }
        f.undefined = undefined;
        return f;
    }
    let lines = how_much_lines(&f.history, sprints);
    f.how_much = LEVELS
        .iter()
        .zip(&lines)
        .map(|(&p, &v)| Level {
            probability: probability(p),
            value: Some(v),
            date: None,
        })
        .collect();
    if f.history.len() < MIN_HISTORY {
        f.range = Some([lines[LEVELS.len() - 1], lines[0]]);
        f.notes.push(format!(
            "only {} closed sprint{}: fewer than {MIN_HISTORY} tell the levels apart poorly, so they are shown as one range",
            f.history.len(),
            if f.history.len() == 1 { "" } else { "s" }
        ));
    }
    if let Some((x, _)) = target {
        let counts = when_lines(&f.history, x);
        f.when = LEVELS
            .iter()
            .zip(counts)
            .map(|(&p, c)| Level {
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
            })
            .collect();
        if f.when.iter().any(|l| l.value.is_none()) {
            undefined.insert(
                "when",
                na(format!(
                    "some levels do not reach {x} points in {MAX_SPRINTS} sprints"
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
    /// Draw from empty sprints too (left out by default).
    pub keep_empty: bool,
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

/// Each team's remaining backlog in points as of a day (its estimated stories created by then
/// and not done by then), for a team, a program or all.
pub fn backlog_points(
    store: &Store,
    team: Option<&str>,
    program: Option<&str>,
    as_of: NaiveDate,
) -> Result<BTreeMap<String, f64>> {
    let df = store.query_frame(
        "backlog_points",
        BACKLOG_POINTS,
        duckdb::params![team, program, as_of],
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
    let backlog = backlog_points(store, q.team, q.program, q.as_of)?;
    // Each team's closed sprints, then the trials of every team on every core.
    let mut by_team: BTreeMap<&str, Vec<&velocity::SprintVelocity>> = BTreeMap::new();
    for s in &v.sprints {
        by_team.entry(s.team.as_str()).or_default().push(s);
    }
    let teams = par::map(&v.teams, |t| {
        let all = by_team.get(t.team.as_str()).map_or(&[][..], Vec::as_slice);
        let history = history_of(all.iter().copied(), q.history, q.keep_empty);
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
            h(&[10.0; 4]),
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
            h(&[5.0]),
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
            h(&[5.0]),
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
                h(&[5.0]),
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
            h(&[5.0]),
            1,
            Some((15.0, "--points")),
            10,
            1,
            Some((eve, 10.0)),
        );
        assert_eq!(f.when[0].date, NaiveDate::from_ymd_opt(9999, 12, 31));
        assert!(f.undefined.is_empty());
    }

    fn h(v: &[f64]) -> History {
        History {
            values: v.to_vec(),
            empty_left_out: 0,
        }
    }

    #[test]
    fn known_history_exactly_and_the_same_for_every_seed() {
        // Velocities 0, 10, 10, 10 over two sprints: totals 0, 10, 20 with chances 1/16, 6/16,
        // 9/16. Median 20 (P(>= 20) = .5625); 70% and 85% reach 10 (P = .9375), 95% reaches
        // 0. Widened for 2 sprints from 4: sqrt((1 + 2/4) * 5/3) = 1.5811: 20 - 15.81 = 4.18
        // (hundredths, down); 20 - 31.6 < 0 -> 0.
        for seed in [1, 7, 42] {
            let f = forecast_team(
                "t",
                h(&[0.0, 10.0, 10.0, 10.0]),
                2,
                Some((10.0, "--points")),
                10_000,
                seed,
                None,
            );
            let v: Vec<Option<f64>> = f.how_much.iter().map(|l| l.value).collect();
            assert_eq!(v, vec![Some(20.0), Some(4.18), Some(4.18), Some(0.0)]);
            // Sprints to reach 10: the fewest k whose line at the level reaches 10.
            //  50%, 70%: one sprint (P(>= 10) = .75; the 70% line is the median itself).
            //  85%: k = 4: totals 10 x Bin(4, 3/4): median 30, P(>= 20) = .949 -> 20,
            //   w = sqrt((1 + 4/4) 5/3) = 1.826: 30 - 18.26 = 11.74 >= 10 (k = 3: 2.92).
            //  95%: k = 8: median 60, P(>= 40) = .973 -> 40, w = sqrt(5) = 2.236: 15.28
            //   (k = 7: 50 - 2.141 * 20 = 7.18).
            let w: Vec<Option<f64>> = f.when.iter().map(|l| l.value).collect();
            assert_eq!(w, vec![Some(1.0), Some(1.0), Some(4.0), Some(8.0)]);
            assert_eq!(
                f.undefined.get("when.date").map(|u| u.reason()),
                Some("the team's sprints have no dates")
            );
        }
    }

    #[test]
    fn exact_totals_against_enumeration() {
        // 3 sprints from 1, 2, 2, 5 (thirds of a point too): every one of the 64 draws.
        let hist = [1.0, 2.0, 2.0, 5.0 + 1.0 / 3.0];
        let t = Totals::of(&hist, 3);
        let mut all: Vec<f64> = Vec::new();
        for a in hist {
            for b in hist {
                for c in hist {
                    all.push(a + b + c);
                }
            }
        }
        all.sort_by(|x, y| x.partial_cmp(y).unwrap());
        for p in [0.5, 0.6, 0.75, 0.9, 0.99, 1.0] {
            // The largest v with #{total >= v} >= p * 64.
            let want = *all
                .iter()
                .rev()
                .scan(0usize, |k, v| {
                    *k += 1;
                    Some((*k, *v))
                })
                .find(|(k, _)| *k as f64 >= p * 64.0 - 1e-9)
                .map(|(_, v)| v)
                .as_ref()
                .unwrap();
            assert!(
                (t.reached(p) - want).abs() < 1e-3,
                "{p}: {} {want}",
                t.reached(p)
            );
        }
        let Shape::Exact(m) = &t.shape else {
            panic!("64 draws are exact")
        };
        let mass: f64 = m.iter().map(|m| m.1).sum();
        assert!((mass - 1.0).abs() < 1e-12);
    }

    #[test]
    fn many_totals_become_the_normal_with_the_same_moments() {
        // 40 distinct values 1, 1.37, ..., 15.43 (mean 8.215, population variance
        // 0.37^2 (40^2 - 1) / 12 = 18.2404): past the exact limit, 300 sprints are the normal
        // of mean 2464.5 and variance 5472.58; its 85% line before widening is
        // 2464.5 - 1.0364 * 73.97 = 2387.84.
        let hist: Vec<f64> = (0..40).map(|i| 1.0 + f64::from(i) * 0.37).collect();
        let t = Totals::of(&hist, 300);
        assert!(!t.is_exact());
        assert!((t.reached(0.5) - 2464.5).abs() < 2e-3, "{}", t.reached(0.5));
        assert!(
            (t.reached(0.85) - 2387.83).abs() < 0.02,
            "{}",
            t.reached(0.85)
        );
        // A few sprints stay exact.
        assert!(Totals::of(&hist, 2).is_exact());
    }

    #[test]
    fn thin_history_is_a_range_and_empty_sprints_are_counted() {
        let f = forecast_team(
            "t",
            History {
                values: vec![10.0, 20.0, 30.0],
                empty_left_out: 2,
            },
            1,
            None,
            100,
            1,
            None,
        );
        // Median 20; 95%: q = 10, w = sqrt((1 + 1/3) * 4/2) = 1.633: 20 - 16.33 = 3.67.
        assert_eq!(f.range, Some([3.67, 20.0]));
        assert_eq!(
            f.notes,
            vec![
                "2 empty sprints (nothing committed, nothing completed) left out".to_string(),
                "only 3 closed sprints: fewer than 5 tell the levels apart poorly, so they are shown as one range".to_string(),
            ]
        );
        let f = forecast_team("t", h(&[1.0, 2.0, 3.0, 4.0, 5.0]), 1, None, 100, 1, None);
        assert_eq!(f.range, None);
        assert!(f.notes.is_empty());
        let f = forecast_team("t", h(&[0.0, 2.0, 0.0, 4.0, 5.0]), 1, None, 100, 1, None);
        assert_eq!(
            f.notes,
            vec![
                "2 of the 5 sprints drawn from completed nothing: the lower levels reach less, down to 0"
                    .to_string()
            ]
        );
    }

    #[test]
    fn zero_history_never_finishes() {
        let f = forecast_team(
            "t",
            h(&[0.0, 0.0]),
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
                .contains("do not reach 5 points")
        );
        let f = forecast_team("t", h(&[]), 2, None, 100, 1, None);
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
