//! Velocity per team and sprint (committed, added, removed, completed, say/do, carry-over,
//! difference), rolling mean and median over the last N closed sprints with sd and CV, the
//! trend (OLS slope with a 95% confidence interval), and the distribution of the difference
//! per team or program.

use crate::domain::undefined::{Reasons, na, unknown};
use crate::error::Result;
use crate::metrics::frame;
use crate::metrics::points::GroupBy;
use crate::metrics::stats::{Summary, mean, quantile_sorted, sorted, summarise, variance};
use crate::store::Store;
use chrono::NaiveDate;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::BTreeMap;

pub const SPRINT_VELOCITY: &str = include_str!("../../queries/metrics/sprint_velocity.sql");

/// The rolling window used when the settings name none.
pub const DEFAULT_WINDOW: usize = 3;

#[derive(Debug, Clone)]
pub struct VelocityQuery<'a> {
    pub team: Option<&'a str>,
    pub program: Option<&'a str>,
    /// Only this sprint's row in the sprint table (rolling values still use its history).
    pub sprint: Option<&'a str>,
    /// Only sprints starting on or after this day.
    pub since: Option<NaiveDate>,
    pub window: usize,
    /// Teams whose settings give them another window.
    pub team_windows: BTreeMap<String, usize>,
    /// A sprint ending on or after this day is active, not closed.
    pub as_of: NaiveDate,
    pub group_by: GroupBy,
}

impl<'a> VelocityQuery<'a> {
    /// Every sprint of the chosen teams, per team, with the default window.
    pub fn every_sprint(team: Option<&'a str>, program: Option<&'a str>, as_of: NaiveDate) -> Self {
        VelocityQuery {
            team,
            program,
            sprint: None,
            since: None,
            window: DEFAULT_WINDOW,
            team_windows: BTreeMap::new(),
            as_of,
            group_by: GroupBy::Team,
        }
    }

    /// Every sprint of the chosen teams, each team with its window from the settings.
    pub fn with_settings(
        team: Option<&'a str>,
        program: Option<&'a str>,
        as_of: NaiveDate,
        settings: &crate::settings::Settings,
    ) -> Self {
        VelocityQuery {
            window: settings.defaults.window,
            team_windows: settings
                .teams
                .iter()
                .map(|(t, s)| (t.clone(), s.window))
                .collect(),
            ..VelocityQuery::every_sprint(team, program, as_of)
        }
    }

    /// The rolling window of this team: its own from the settings, else the default.
    pub fn window_of(&self, team: &str) -> usize {
        self.team_windows.get(team).copied().unwrap_or(self.window)
    }
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct SprintVelocity {
    pub team: String,
    pub program: Option<String>,
    pub sprint_id: String,
    pub sprint_name: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// `items` (from sprint items), `summary` (from a sprint summary), or `none` (a sprint of
    /// the sprints file with nothing recorded yet).
    pub source: String,
    pub closed: bool,
    pub committed: Option<f64>,
    pub added: Option<f64>,
    pub removed: Option<f64>,
    pub completed: Option<f64>,
    pub completed_of_committed: Option<f64>,
    /// completed of committed / committed.
    pub say_do: Option<f64>,
    /// Committed items not done by the sprint's end.
    pub carry_over_items: Option<i64>,
    /// completed - committed.
    pub difference: Option<f64>,
    /// Over the last `window` closed sprints up to this one (closed sprints only).
    pub rolling_mean: Option<f64>,
    pub rolling_median: Option<f64>,
    pub rolling_sd: Option<f64>,
    pub rolling_cv: Option<f64>,
    /// Why a value is undefined (null), by field.
    #[serde(deserialize_with = "crate::domain::undefined::reasons")]
    pub undefined: Reasons,
}

impl SprintVelocity {
    /// A sprint of the sprints file with nothing recorded for it yet (no items, no summary).
    pub fn nothing_yet(
        team: &str,
        program: Option<String>,
        sprint_id: &str,
        sprint_name: Option<String>,
        dates: (NaiveDate, NaiveDate),
        as_of: NaiveDate,
    ) -> SprintVelocity {
        let mut undefined = Reasons::new();
        for f in [
            "committed",
            "added",
            "removed",
            "completed",
            "say_do",
            "carry_over_items",
        ] {
            undefined.insert(f, na("nothing is recorded for this sprint yet"));
        }
        SprintVelocity {
            team: team.to_string(),
            program,
            sprint_id: sprint_id.to_string(),
            sprint_name,
            start_date: Some(dates.0.to_string()),
            end_date: Some(dates.1.to_string()),
            source: "none".to_string(),
            closed: dates.1 < as_of,
            committed: None,
            added: None,
            removed: None,
            completed: None,
            completed_of_committed: None,
            say_do: None,
            carry_over_items: None,
            difference: None,
            rolling_mean: None,
            rolling_median: None,
            rolling_sd: None,
            rolling_cv: None,
            undefined,
        }
    }

    /// The sprint's name, else its id.
    pub fn title(&self) -> String {
        self.sprint_name
            .clone()
            .unwrap_or_else(|| self.sprint_id.clone())
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TeamVelocity {
    pub team: String,
    /// The rolling window used for this team.
    pub window: usize,
    pub program: Option<String>,
    pub sprints: usize,
    pub closed_sprints: usize,
    /// Over the last `window` closed sprints.
    pub rolling_mean: Option<f64>,
    pub rolling_median: Option<f64>,
    pub sd: Option<f64>,
    pub cv: Option<f64>,
    /// Mean, sample sd and CV of completed points over every closed sprint (all history).
    pub all_mean: Option<f64>,
    pub all_sd: Option<f64>,
    pub all_cv: Option<f64>,
    /// Mean say/do over the closed sprints where it is defined.
    pub say_do: Option<f64>,
    /// OLS slope of completed points per sprint over all closed sprints, with its 95% CI.
    pub trend_slope: Option<f64>,
    pub trend_ci_low: Option<f64>,
    pub trend_ci_high: Option<f64>,
    /// The team's sprint calendar: the median length of its dated sprints in days (the mean
    /// of the two middle lengths for an even count, as every median here), and the last
    /// closed sprint's end.
    pub sprint_days: Option<f64>,
    pub last_closed_end: Option<NaiveDate>,
    #[serde(deserialize_with = "crate::domain::undefined::reasons")]
    pub undefined: Reasons,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DifferenceRow {
    pub group: String,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct VelocityReport {
    pub window: usize,
    pub as_of: NaiveDate,
    pub group_by: GroupBy,
    pub sprints: Vec<SprintVelocity>,
    pub teams: Vec<TeamVelocity>,
    /// Distribution of completed - committed over every closed sprint of the team or program.
    pub difference: Vec<DifferenceRow>,
}

/// Slope of y over x = 0, 1, 2, ... by least squares, with its 95% confidence interval.
pub fn ols_trend(y: &[f64]) -> Option<(f64, f64, f64)> {
    let n = y.len();
    if n < 3 {
        return None;
    }
    let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mx = mean(&xs)?;
    let my = mean(y)?;
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let sxy: f64 = xs.iter().zip(y).map(|(x, v)| (x - mx) * (v - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let sse: f64 = xs
        .iter()
        .zip(y)
        .map(|(x, v)| {
            let r = v - (intercept + slope * x);
            r * r
        })
        .sum();
    let se = (sse / (n as f64 - 2.0) / sxx).sqrt();
    let t = StudentsT::new(0.0, 1.0, n as f64 - 2.0)
        .ok()?
        .inverse_cdf(0.975);
    Some((slope, slope - t * se, slope + t * se))
}

fn window_stats(values: &[f64]) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    let v = sorted(values);
    let m = mean(&v);
    let sd = variance(&v).map(f64::sqrt);
    let cv = match (sd, m) {
        (Some(sd), Some(m)) if m > 0.0 => Some(sd / m),
        _ => None,
    };
    (m, quantile_sorted(&v, 0.5), sd, cv)
}

pub fn velocity(store: &Store, q: &VelocityQuery) -> Result<VelocityReport> {
    let as_of = q.as_of.to_string();
    let df = store.query_frame(
        "sprint_velocity",
        SPRINT_VELOCITY,
        duckdb::params![q.team, q.program, as_of],
    )?;
    let mut rows: Vec<SprintVelocity> = Vec::new();
    if df.height() > 0 {
        let team = frame::strings(&df, "team")?;
        let program = frame::strings(&df, "program")?;
        let sprint_id = frame::strings(&df, "sprint_id")?;
        let sprint_name = frame::strings(&df, "sprint_name")?;
        let start = frame::strings(&df, "start_date")?;
        let end = frame::strings(&df, "end_date")?;
        let source = frame::strings(&df, "source")?;
        let closed = frame::bools(&df, "closed")?;
        let committed = frame::floats(&df, "committed")?;
        let added = frame::floats(&df, "added")?;
        let removed = frame::floats(&df, "removed")?;
        let completed = frame::floats(&df, "completed")?;
        let coc = frame::floats(&df, "completed_of_committed")?;
        let carry = frame::ints(&df, "carry_over_items")?;
        for i in 0..df.height() {
            rows.push(SprintVelocity {
                team: team[i].clone().unwrap_or_default(),
                program: program[i].clone(),
                sprint_id: sprint_id[i].clone().unwrap_or_default(),
                sprint_name: sprint_name[i].clone(),
                start_date: start[i].clone(),
                end_date: end[i].clone(),
                source: source[i].clone().unwrap_or_default(),
                closed: closed[i].unwrap_or(true),
                committed: committed[i],
                added: added[i],
                removed: removed[i],
                completed: completed[i],
                completed_of_committed: coc[i],
                say_do: None,
                carry_over_items: carry[i],
                difference: None,
                rolling_mean: None,
                rolling_median: None,
                rolling_sd: None,
                rolling_cv: None,
                undefined: Reasons::new(),
            });
        }
    }
    if let Some(since) = q.since {
        let since = since.to_string();
        rows.retain(|r| r.start_date.as_deref().is_some_and(|d| d >= since.as_str()));
    }

    // Per sprint: say/do, difference, rolling values over the team's closed sprints.
    let mut teams: Vec<TeamVelocity> = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let mut end = start;
        while end < rows.len() && rows[end].team == rows[start].team {
            end += 1;
        }
        let window = q.window_of(&rows[start].team);
        let mut history: Vec<f64> = Vec::new();
        let mut say_dos: Vec<f64> = Vec::new();
        for r in &mut rows[start..end] {
            fill_sprint(r, &mut history, &mut say_dos, window);
        }
        teams.push(team_summary(&rows[start..end], &history, &say_dos, window));
        start = end;
    }

    let mut groups: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in &rows {
        let key = match q.group_by {
            GroupBy::Team => Some(r.team.clone()),
            GroupBy::Program => r.program.clone(),
        };
        // An active sprint's completed points are not final.
        if !r.closed {
            continue;
        }
        if let (Some(k), Some(d)) = (key, r.difference) {
            groups.entry(k).or_default().push(d);
        }
    }
    let difference = groups
        .into_iter()
        .map(|(group, d)| DifferenceRow {
            group,
            summary: summarise(&d),
        })
        .collect();
    if let Some(s) = q.sprint {
        rows.retain(|r| r.sprint_id == s);
    }
    Ok(VelocityReport {
        window: q.window,
        as_of: q.as_of,
        group_by: q.group_by,
        sprints: rows,
        teams,
        difference,
    })
}

fn fill_sprint(
    r: &mut SprintVelocity,
    history: &mut Vec<f64>,
    say_dos: &mut Vec<f64>,
    window: usize,
) {
    r.difference = r.completed.zip(r.committed).map(|(c, k)| c - k);
    if r.removed.is_none() {
        r.undefined.insert(
            "removed",
            unknown("the source does not say which items left the sprint"),
        );
    }
    if r.committed.is_none() && r.source == "items" {
        r.undefined.insert(
            "committed",
            unknown("the source does not say what was in the sprint at its start"),
        );
    }
    if r.difference.is_none() {
        r.undefined
            .insert("difference", unknown("committed points are unknown"));
    }
    r.say_do = match (r.completed_of_committed, r.committed) {
        (Some(c), Some(k)) if k > 0.0 => Some(c / k),
        (_, Some(_)) if r.source == "items" => {
            r.undefined.insert("say_do", na("nothing was committed"));
            None
        }
        _ => {
            r.undefined.insert(
                "say_do",
                unknown(if r.source == "summary" {
                    "a sprint summary does not say which completed points were committed"
                } else {
                    "committed points are unknown"
                }),
            );
            None
        }
    };
    if !r.closed {
        r.undefined
            .insert("rolling_mean", na("the sprint is still active"));
        return;
    }
    if let Some(c) = r.completed {
        history.push(c);
    }
    if let Some(s) = r.say_do {
        say_dos.push(s);
    }
    let w = &history[history.len().saturating_sub(window)..];
    let (m, med, sd, cv) = window_stats(w);
    r.rolling_mean = m;
    r.rolling_median = med;
    r.rolling_sd = sd;
    r.rolling_cv = cv;
    if sd.is_none() {
        r.undefined
            .insert("rolling_sd", na("needs at least two closed sprints"));
    }
    if cv.is_none() {
        r.undefined
            .insert("rolling_cv", na("needs a sd and a mean above zero"));
    }
}

fn team_summary(
    rows: &[SprintVelocity],
    history: &[f64],
    say_dos: &[f64],
    window: usize,
) -> TeamVelocity {
    let first = &rows[0];
    let day = |d: &Option<String>| {
        d.as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let lengths: Vec<f64> = rows
        .iter()
        .filter_map(|r| Some(((day(&r.end_date)? - day(&r.start_date)?).num_days() + 1) as f64))
        .collect();
    let w = &history[history.len().saturating_sub(window)..];
    let (m, med, sd, cv) = window_stats(w);
    let (all_mean, _, all_sd, all_cv) = window_stats(history);
    let trend = ols_trend(history);
    let mut undefined = Reasons::new();
    if sd.is_none() {
        undefined.insert("sd", na("needs at least two closed sprints"));
    }
    if cv.is_none() {
        undefined.insert("cv", na("needs a sd and a mean above zero"));
    }
    if all_sd.is_none() {
        undefined.insert("all_sd", na("needs at least two closed sprints"));
    }
    if all_cv.is_none() {
        undefined.insert("all_cv", na("needs a sd and a mean above zero"));
    }
    if trend.is_none() {
        undefined.insert("trend_slope", na("needs at least three closed sprints"));
    }
    if say_dos.is_empty() {
        undefined.insert("say_do", na("no closed sprint has a say/do"));
    }
    TeamVelocity {
        team: first.team.clone(),
        window,
        program: first.program.clone(),
        sprints: rows.len(),
        closed_sprints: rows.iter().filter(|r| r.closed).count(),
        rolling_mean: m,
        rolling_median: med,
        sd,
        cv,
        all_mean,
        all_sd,
        all_cv,
        say_do: mean(say_dos),
        trend_slope: trend.map(|t| t.0),
        trend_ci_low: trend.map(|t| t.1),
        trend_ci_high: trend.map(|t| t.2),
        sprint_days: quantile_sorted(&sorted(&lengths), 0.5),
        last_closed_end: rows
            .iter()
            .rev()
            .filter(|r| r.closed)
            .find_map(|r| day(&r.end_date)),
        undefined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_by_hand() {
        // y = 10, 12, 14, 16: slope 2 exactly, no residuals, so the interval is [2, 2].
        let (s, lo, hi) = ols_trend(&[10.0, 12.0, 14.0, 16.0]).unwrap();
        assert!((s - 2.0).abs() < 1e-12 && (lo - 2.0).abs() < 1e-9 && (hi - 2.0).abs() < 1e-9);
        // y = 1, 3, 2: slope 0.5; residuals -0.5, 1, -0.5 -> SSE 1.5; Sxx 2;
        // se = sqrt(1.5 / 1 / 2) = 0.8660; t(0.975, 1) = 12.7062 -> half-width 11.0039.
        let (s, lo, hi) = ols_trend(&[1.0, 3.0, 2.0]).unwrap();
        assert!((s - 0.5).abs() < 1e-12);
        assert!((hi - s - 11.0039).abs() < 1e-3, "{}", hi - s);
        assert!((s - lo - 11.0039).abs() < 1e-3);
        assert!(ols_trend(&[1.0, 2.0]).is_none());
    }

    #[test]
    fn window_statistics() {
        // 20, 30, 40: mean 30, median 30, sd 10, CV 1/3.
        let (m, med, sd, cv) = window_stats(&[40.0, 20.0, 30.0]);
        assert_eq!((m, med, sd), (Some(30.0), Some(30.0), Some(10.0)));
        assert!((cv.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        let (_, _, sd, cv) = window_stats(&[5.0]);
        assert_eq!((sd, cv), (None, None));
        let (_, _, _, cv) = window_stats(&[0.0, 0.0]);
        assert_eq!(cv, None);
    }
}
