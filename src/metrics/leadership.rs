//! The leadership view: which teams are predictable, which are getting better or worse, when a
//! program's remaining backlog is done, and which few teams to talk to. Teams are compared on
//! predictability (say/do and the CV of velocity), never on points: a story point means
//! something different in every team.
//!
//! The thresholds are `[dashboard]` in `sprintlens.toml` ([`Leadership`]: window 4, say/do
//! target 0.8, CV limit 0.25, change 0.05, alert 0.10 by default).
//!
//! - A **window** is `window` consecutive closed sprints of a team. Its say/do is the mean of
//!   the sprints' say/do; its CV is the sample sd of their completed points over their mean.
//! - **Quadrant** of the latest window: CV above `cv_limit` is *erratic* (how much gets done
//!   swings from sprint to sprint); otherwise say/do below `say_do_target` is
//!   *over-committing* (steady, but less done than committed), else *predictable*.
//! - **Trend**: the latest window against the one before; a move of `change` or more in say/do
//!   (up is better) or CV (down is better) is a direction, less is steady.
//! - **Forecast width**: how uncertain "points in the next sprints" is, (P50 - P85) / P50 of
//!   the forecast's lines, from the last closed sprints now and as they were one window ago.
//! - **Teams to talk to**: at most `TALK_TO` teams whose say/do fell, CV rose or forecast width
//!   grew by `alert` or more, the largest change first, each with its evidence.
//! - **Program roll-up**: every team of the program draws its own sprints (with replacement,
//!   from its last closed sprints) until its own remaining backlog is done; the program is done
//!   when its last team is. The dates at 50/85/95% are the days by which that many trials had
//!   finished.

use crate::metrics::forecast::{self, TeamForecast, percent_rank};
use crate::metrics::stats::mean;
use crate::metrics::velocity::SprintVelocity;
pub use crate::settings::Leadership;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// Windows shown per team (the latest last).
pub const WINDOWS: usize = 4;
/// Teams to talk to, at most.
pub const TALK_TO: usize = 3;
/// Probabilities of the program roll-up's dates.
pub const ROLLUP_LEVELS: [u32; 3] = [50, 85, 95];

/// Say/do and CV over consecutive closed sprints.
#[derive(Debug, Clone, Serialize, PartialEq, serde::Deserialize)]
pub struct Window {
    pub first_sprint: String,
    pub last_sprint: String,
    pub end_date: Option<String>,
    pub sprints: usize,
    pub say_do: Option<f64>,
    pub cv: Option<f64>,
}

/// Say/do and CV of `sprints` (closed ones, oldest first).
pub fn window(sprints: &[&SprintVelocity]) -> Window {
    let say_do: Vec<f64> = sprints.iter().filter_map(|s| s.say_do).collect();
    let completed: Vec<f64> = sprints.iter().filter_map(|s| s.completed).collect();
    let cv = match (
        mean(&completed),
        crate::metrics::stats::variance(&completed),
    ) {
        (Some(m), Some(v)) if m > 0.0 => Some(v.sqrt() / m),
        _ => None,
    };
    Window {
        first_sprint: sprints
            .first()
            .map(|s| s.sprint_id.clone())
            .unwrap_or_default(),
        last_sprint: sprints
            .last()
            .map(|s| s.sprint_id.clone())
            .unwrap_or_default(),
        end_date: sprints.last().and_then(|s| s.end_date.clone()),
        sprints: sprints.len(),
        say_do: mean(&say_do),
        cv,
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Quadrant {
    Predictable,
    OverCommitting,
    Erratic,
    /// Too few closed sprints (or none with a say/do) to tell.
    Unknown,
}

impl Quadrant {
    pub fn name(self) -> &'static str {
        match self {
            Quadrant::Predictable => "predictable",
            Quadrant::OverCommitting => "over-committing",
            Quadrant::Erratic => "erratic",
            Quadrant::Unknown => "unknown",
        }
    }

    /// What the quadrant means, in words.
    pub fn words(self) -> &'static str {
        match self {
            Quadrant::Predictable => "does what it says, sprint after sprint",
            Quadrant::OverCommitting => {
                "steady, but finishes less than it commits: commit less, or find what interrupts"
            }
            Quadrant::Erratic => {
                "how much gets done swings from sprint to sprint: forecasts from it are wide"
            }
            Quadrant::Unknown => "not enough closed sprints to tell",
        }
    }
}

/// The quadrant of a window's say/do and CV.
pub fn quadrant(say_do: Option<f64>, cv: Option<f64>, t: &Leadership) -> Quadrant {
    match (say_do, cv) {
        (_, Some(c)) if c > t.cv_limit => Quadrant::Erratic,
        (Some(s), Some(_)) if s < t.say_do_target => Quadrant::OverCommitting,
        (Some(_), Some(_)) => Quadrant::Predictable,
        _ => Quadrant::Unknown,
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Better,
    Worse,
    Steady,
    Unknown,
}

impl Direction {
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::Better => "better",
            Direction::Worse => "worse",
            Direction::Steady => "steady",
            Direction::Unknown => "unknown",
        }
    }
}

/// How a figure moved from `before` to `now`.
pub fn direction(
    before: Option<f64>,
    now: Option<f64>,
    higher_is_better: bool,
    change: f64,
) -> Direction {
    match (before, now) {
        (Some(b), Some(n)) => {
            let d = if higher_is_better { n - b } else { b - n };
            if d >= change - 1e-12 {
                Direction::Better
            } else if d <= -change + 1e-12 {
                Direction::Worse
            } else {
                Direction::Steady
            }
        }
        _ => Direction::Unknown,
    }
}

/// One team's predictability now and over its last windows.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TeamPredictability {
    pub team: String,
    pub program: Option<String>,
    /// The last windows, oldest first; the last is "now".
    pub windows: Vec<Window>,
    pub quadrant: Quadrant,
    pub say_do_trend: Direction,
    pub cv_trend: Direction,
    /// "getting better", "getting worse", "steady", "mixed" or "unknown".
    pub reading: String,
    /// (P50 - P85) / P50 of the points in the next sprints, now and one window ago.
    pub forecast_width: Option<f64>,
    pub forecast_width_before: Option<f64>,
}

impl TeamPredictability {
    pub fn now(&self) -> Option<&Window> {
        self.windows.last()
    }

    fn before(&self) -> Option<&Window> {
        self.windows.len().checked_sub(2).map(|k| &self.windows[k])
    }
}

/// The relative width of the "points in `sprints` sprints" range: (P50 - P85) / P50.
pub fn forecast_width(
    history: forecast::History,
    sprints: usize,
    trials: usize,
    seed: u64,
) -> Option<f64> {
    width_of(&forecast::forecast_team(
        "", history, sprints, None, trials, seed, None,
    ))
}

/// (P50 - P85) / P50 of a forecast's "points in N sprints" (`None` without a history).
pub fn width_of(f: &TeamForecast) -> Option<f64> {
    let at = |p: f64| {
        f.how_much
            .iter()
            .find(|l| (l.probability - p).abs() < 1e-9)
            .and_then(|l| l.value)
    };
    let (p50, p85) = (at(0.5)?, at(0.85)?);
    (p50 > 0.0).then(|| (p50 - p85) / p50)
}

/// A team's predictability from its closed sprints (oldest first) and its forecast of the
/// points in the next sprints (the width now; one window ago, the same forecast from the
/// history as it was then).
pub fn team_predictability(
    team: &str,
    program: Option<&str>,
    closed: &[&SprintVelocity],
    t: &Leadership,
    now: &TeamForecast,
) -> TeamPredictability {
    let window_len = t.window;
    // Full windows from the latest sprint back.
    let mut windows: Vec<Window> = closed
        .rchunks_exact(window_len.max(1))
        .take(WINDOWS)
        .map(window)
        .collect();
    windows.reverse();
    let (quadrant_now, say_do_trend, cv_trend) = match windows.as_slice() {
        [] => (Quadrant::Unknown, Direction::Unknown, Direction::Unknown),
        [now] => (
            quadrant(now.say_do, now.cv, t),
            Direction::Unknown,
            Direction::Unknown,
        ),
        [.., before, now] => (
            quadrant(now.say_do, now.cv, t),
            direction(before.say_do, now.say_do, true, t.change),
            direction(before.cv, now.cv, false, t.change),
        ),
    };
    let reading = match (say_do_trend, cv_trend) {
        (Direction::Unknown, _) | (_, Direction::Unknown) => "unknown",
        (Direction::Steady, Direction::Steady) => "steady",
        (Direction::Worse, Direction::Better) | (Direction::Better, Direction::Worse) => "mixed",
        (Direction::Worse, _) | (_, Direction::Worse) => "getting worse",
        _ => "getting better",
    };
    let n = closed.len();
    let before = (n > window_len)
        .then(|| {
            let earlier = &closed[..n - window_len];
            let history =
                forecast::history_of(earlier.iter().copied(), forecast::DEFAULT_HISTORY, false);
            forecast_width(history, now.sprints, now.trials, now.seed)
        })
        .flatten();
    TeamPredictability {
        team: team.to_string(),
        program: program.map(str::to_string),
        windows,
        quadrant: quadrant_now,
        say_do_trend,
        cv_trend,
        reading: reading.to_string(),
        forecast_width: width_of(now),
        forecast_width_before: before,
    }
}

/// A team to talk to, and why.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TalkTo {
    pub team: String,
    /// The largest of the changes that made it one (say/do fall, CV rise, width growth).
    pub change: f64,
    pub evidence: Vec<String>,
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A figure before and now, the sign that makes a rise worse, and its evidence in words.
type Check<'a> = (
    Option<f64>,
    Option<f64>,
    f64,
    &'a dyn Fn(f64, f64) -> String,
);

/// The few teams whose predictability dropped or whose forecast range widened the most.
pub fn teams_to_talk_to(teams: &[TeamPredictability], alert: f64) -> Vec<TalkTo> {
    let mut out: Vec<TalkTo> = Vec::new();
    for t in teams {
        let (Some(now), Some(before)) = (t.now(), t.before()) else {
            continue;
        };
        let mut evidence = Vec::new();
        let mut change: f64 = 0.0;
        let span = format!(
            "sprints {}–{} against {}–{}",
            now.first_sprint, now.last_sprint, before.first_sprint, before.last_sprint
        );
        // (before, now, how much worse is a rise, the evidence from before and now)
        let checks: [Check; 3] = [
            (before.say_do, now.say_do, -1.0, &|b, n| {
                format!("say/do fell from {} to {} ({span})", pct(b), pct(n))
            }),
            (before.cv, now.cv, 1.0, &|b, n| {
                format!("CV rose from {} to {} ({span})", pct(b), pct(n))
            }),
            (t.forecast_width_before, t.forecast_width, 1.0, &|b, n| {
                format!(
                    "the forecast range widened: the 85% total is {} below the median, against {} one window ago",
                    pct(n),
                    pct(b)
                )
            }),
        ];
        for (b, n, sign, words) in checks {
            if let (Some(b), Some(n)) = (b, n)
                && sign * (n - b) >= alert - 1e-12
            {
                evidence.push(words(b, n));
                change = change.max(sign * (n - b));
            }
        }
        if !evidence.is_empty() {
            out.push(TalkTo {
                team: t.team.clone(),
                change,
                evidence,
            });
        }
    }
    out.sort_by(|a, b| {
        b.change
            .partial_cmp(&a.change)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.team.cmp(&b.team))
    });
    out.truncate(TALK_TO);
    out
}

/// One team's part of a program roll-up.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RollupTeam {
    pub team: String,
    pub backlog_points: f64,
    /// Completed points of its last closed sprints (drawn from).
    pub history: Vec<f64>,
    pub last_closed_end: NaiveDate,
    pub sprint_days: f64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RollupLevel {
    pub probability: f64,
    /// None when not within the sprints a trial runs, or after 9999-12-31.
    pub date: Option<NaiveDate>,
    /// Reached, but after 9999-12-31 (sprints thousands of days long).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_last_day: bool,
}

/// When a program's remaining backlog is done.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ProgramRollup {
    pub program: String,
    pub teams: Vec<RollupTeam>,
    /// Teams of the program not in the trials, with the reason.
    pub left_out: Vec<(String, String)>,
    pub trials: usize,
    pub seed: u64,
    pub levels: Vec<RollupLevel>,
    pub assumptions: Vec<String>,
}

/// The program roll-up by Monte Carlo: per trial, each team's finishing day (its last closed
/// sprint's end plus its sprints of draws, at its sprint length), the latest of them.
pub fn program_rollup(
    program: &str,
    teams: Vec<RollupTeam>,
    left_out: Vec<(String, String)>,
    trials: usize,
    seed: u64,
) -> ProgramRollup {
    // Each team its own stream of trials (seed + its position), so the teams' trials run on
    // every core and give the same days; trial i of every team together.
    let indexed: Vec<(usize, &RollupTeam)> = teams.iter().enumerate().collect();
    let finishing: Vec<Vec<Option<i64>>> = crate::metrics::par::map(&indexed, |&(k, t)| {
        let sprints = if t.backlog_points <= 0.0 {
            vec![Some(0); trials]
        } else {
            forecast::sprints_per_trial(
                &t.history,
                t.backlog_points,
                trials,
                seed.wrapping_add(k as u64),
            )
        };
        let end = i64::from(t.last_closed_end.num_days_from_ce());
        sprints
            .into_iter()
            .map(|c| c.map(|c| end.saturating_add((c as f64 * t.sprint_days).round() as i64)))
            .collect()
    });
    let mut days: Vec<Option<i64>> = if teams.is_empty() {
        Vec::new()
    } else {
        (0..trials)
            .map(|i| {
                finishing
                    .iter()
                    .try_fold(i64::MIN, |latest, team| team[i].map(|d| latest.max(d)))
            })
            .collect()
    };
    days.sort_by_key(|d| d.unwrap_or(i64::MAX));
    let levels = ROLLUP_LEVELS
        .iter()
        .map(|&p| {
            let day = (!days.is_empty())
                .then(|| days[percent_rank(p, days.len()) - 1])
                .flatten();
            // None past 9999-12-31 (and never a day wrapped around an i32).
            let date = day.and_then(crate::domain::day_from_ce);
            RollupLevel {
                probability: forecast::probability(p),
                date,
                after_last_day: day.is_some() && date.is_none(),
            }
        })
        .collect();
    let assumptions = vec![
        format!(
            "each team works through its own remaining backlog (points of its stories not done), at the pace of its last {} closed sprints, drawn at random with replacement",
            forecast::DEFAULT_HISTORY
        ),
        "teams work in parallel and independently; the program is done when its last team is"
            .into(),
        "no new work is added, and sprints keep each team's median length".into(),
        format!(
            "{trials} trials (seed {seed}); a date at 85% is reached in 85 of 100 simulated futures"
        ),
    ];
    ProgramRollup {
        program: program.to_string(),
        teams,
        left_out,
        trials,
        seed,
        levels,
        assumptions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sprint(id: usize, say_do: f64, completed: f64) -> SprintVelocity {
        SprintVelocity {
            team: "t".into(),
            sprint_id: id.to_string(),
            end_date: Some(format!("2025-01-{:02}", id.min(28))),
            closed: true,
            say_do: Some(say_do),
            completed: Some(completed),
            ..Default::default()
        }
    }

    #[test]
    fn a_window_is_mean_say_do_and_cv_of_completed() {
        let (a, b) = (sprint(1, 1.0, 10.0), sprint(2, 0.5, 20.0));
        let w = window(&[&a, &b]);
        assert_eq!(w.say_do, Some(0.75));
        // sd(10, 20) with n-1 = 7.0711; mean 15.
        assert!((w.cv.unwrap() - 0.471_404_5).abs() < 1e-6, "{:?}", w.cv);
        assert_eq!(
            (w.first_sprint.as_str(), w.last_sprint.as_str()),
            ("1", "2")
        );
    }

    fn defaults() -> Leadership {
        Leadership::default()
    }

    #[test]
    fn quadrants() {
        assert_eq!(
            quadrant(Some(0.9), Some(0.1), &defaults()),
            Quadrant::Predictable
        );
        assert_eq!(
            quadrant(Some(0.8), Some(0.25), &defaults()),
            Quadrant::Predictable
        );
        assert_eq!(
            quadrant(Some(0.79), Some(0.1), &defaults()),
            Quadrant::OverCommitting
        );
        assert_eq!(
            quadrant(Some(0.95), Some(0.26), &defaults()),
            Quadrant::Erratic
        );
        assert_eq!(
            quadrant(Some(0.5), Some(0.4), &defaults()),
            Quadrant::Erratic
        );
        assert_eq!(quadrant(None, Some(0.1), &defaults()), Quadrant::Unknown);
        assert_eq!(quadrant(Some(0.9), None, &defaults()), Quadrant::Unknown);
    }

    #[test]
    fn trends_read_the_last_window_against_the_one_before() {
        // 14 closed sprints: the first 2 fall outside the two full windows. Sprints 3-8:
        // say/do 0.7, completed alternating 10/20 (CV 0.5477); sprints 9-14: say/do 0.9,
        // completed 15 each (CV 0).
        let sprints: Vec<SprintVelocity> = (1..=14)
            .map(|i| match i {
                1..=2 => sprint(i, 0.1, 99.0),
                3..=8 => sprint(i, 0.7, if i % 2 == 0 { 10.0 } else { 20.0 }),
                _ => sprint(i, 0.9, 15.0),
            })
            .collect();
        let refs: Vec<&SprintVelocity> = sprints.iter().collect();
        let six = Leadership {
            window: 6,
            ..defaults()
        };
        let now = forecast::forecast_team(
            "t",
            forecast::history_of(sprints.iter(), forecast::DEFAULT_HISTORY, false),
            6,
            None,
            forecast::DEFAULT_TRIALS,
            forecast::DEFAULT_SEED,
            None,
        );
        let t = team_predictability("t", None, &refs, &six, &now);
        assert_eq!(t.windows.len(), 2);
        assert_eq!(t.windows[0].first_sprint, "3");
        assert_eq!(t.windows[1].last_sprint, "14");
        assert!((t.windows[0].say_do.unwrap() - 0.7).abs() < 1e-12);
        assert!((t.windows[0].cv.unwrap() - 0.365_148_4).abs() < 1e-6);
        assert_eq!(t.windows[1].cv, Some(0.0));
        assert_eq!(t.quadrant, Quadrant::Predictable);
        assert_eq!(t.say_do_trend, Direction::Better);
        assert_eq!(t.cv_trend, Direction::Better);
        assert_eq!(t.reading, "getting better");
        // Constant velocity: the forecast range has no width; no history, no range.
        let h = |v: &[f64]| forecast::History {
            values: v.to_vec(),
            empty_left_out: 0,
        };
        assert_eq!(forecast_width(h(&[15.0; 5]), 6, 1000, 1), Some(0.0));
        assert_eq!(forecast_width(h(&[]), 6, 1000, 1), None);
        // 10 and 20 equally likely, 2 sprints: totals 20, 30, 40 with 1/4, 1/2, 1/4; the
        // median is 30, the total reached with 85% is 20, widened for 2 sprints ahead of a
        // history of 2 by sqrt((1 + 2/2) * 3/1) = 2.4495: 30 - 24.495 = 5.50 (hundredths, down);
        // width (30 - 5.50) / 30.
        let w = forecast_width(h(&[10.0, 20.0]), 2, 10_000, 7).unwrap();
        assert!((w - (30.0 - 5.5) / 30.0).abs() < 1e-12, "{w}");
        assert_eq!(
            direction(Some(0.80), Some(0.84), true, 0.05),
            Direction::Steady
        );
        assert_eq!(
            direction(Some(0.80), Some(0.85), true, 0.05),
            Direction::Better
        );
        assert_eq!(
            direction(Some(0.20), Some(0.26), false, 0.05),
            Direction::Worse
        );
        assert_eq!(direction(None, Some(0.2), false, 0.05), Direction::Unknown);
    }

    fn with_windows(team: &str, before: (f64, f64), now: (f64, f64)) -> TeamPredictability {
        let w = |first: &str, last: &str, (s, c): (f64, f64)| Window {
            first_sprint: first.into(),
            last_sprint: last.into(),
            end_date: None,
            sprints: 4,
            say_do: Some(s),
            cv: Some(c),
        };
        TeamPredictability {
            team: team.into(),
            program: None,
            windows: vec![w("1", "6", before), w("7", "12", now)],
            quadrant: quadrant(Some(now.0), Some(now.1), &defaults()),
            say_do_trend: Direction::Unknown,
            cv_trend: Direction::Unknown,
            reading: String::new(),
            forecast_width: Some(0.1),
            forecast_width_before: Some(0.1),
        }
    }

    #[test]
    fn the_teams_to_talk_to_are_the_largest_drops_with_their_evidence() {
        let mut wider = with_windows("e", (0.9, 0.1), (0.9, 0.1));
        wider.forecast_width = Some(0.35);
        let teams = vec![
            with_windows("a", (0.9, 0.1), (0.85, 0.12)), // small moves: not one
            with_windows("b", (0.9, 0.1), (0.6, 0.1)),   // say/do -0.30
            with_windows("c", (0.9, 0.1), (0.9, 0.25)),  // CV +0.15
            with_windows("d", (0.9, 0.1), (0.78, 0.32)), // say/do -0.12, CV +0.22
            wider,                                       // width +0.25
            with_windows("f", (0.9, 0.1), (0.9, 0.2)),   // CV +0.10, exactly the alert
        ];
        let talk = teams_to_talk_to(&teams, 0.10);
        let names: Vec<&str> = talk.iter().map(|t| t.team.as_str()).collect();
        assert_eq!(names, ["b", "e", "d"]);
        assert!((talk[0].change - 0.30).abs() < 1e-12);
        assert_eq!(
            talk[0].evidence,
            ["say/do fell from 90% to 60% (sprints 7–12 against 1–6)"]
        );
        assert_eq!(talk[2].evidence.len(), 2, "{:?}", talk[2].evidence);
        assert!(talk[1].evidence[0].contains("35% below the median, against 10%"));
    }

    #[test]
    fn the_program_is_done_when_its_last_team_is() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Team a: always 10 a sprint, 25 points left: 3 sprints of 14 days after 2025-01-05
        // = 2025-02-16. Team b: 10 or 20 (equally likely), 30 left: done in 2 sprints unless
        // both draws are 10 (1 in 4), else 3; 7-day sprints after 2025-02-02: 2025-02-16 or
        // 2025-02-23. The program: 2025-02-16 in 3 of 4 trials, else 2025-02-23.
        let teams = vec![
            RollupTeam {
                team: "a".into(),
                backlog_points: 25.0,
                history: vec![10.0, 10.0],
                last_closed_end: day("2025-01-05"),
                sprint_days: 14.0,
            },
            RollupTeam {
                team: "b".into(),
                backlog_points: 30.0,
                history: vec![10.0, 20.0],
                last_closed_end: day("2025-02-02"),
                sprint_days: 7.0,
            },
        ];
        let r = program_rollup("p", teams, vec![], 10_000, 42);
        let dates: Vec<Option<NaiveDate>> = r.levels.iter().map(|l| l.date).collect();
        assert_eq!(
            dates,
            [
                Some(day("2025-02-16")),
                Some(day("2025-02-23")),
                Some(day("2025-02-23"))
            ]
        );
        assert_eq!(r.assumptions.len(), 4);
        let none = program_rollup(
            "q",
            vec![],
            vec![("c".into(), "no closed sprint".into())],
            100,
            1,
        );
        assert!(none.levels.iter().all(|l| l.date.is_none()));
        assert!(none.levels.iter().all(|l| !l.after_last_day));
        // Sprints a million days long (a start date typed as year 1): reached in 3 sprints,
        // after 9999-12-31, so no date (it was "+10238-..."), and said so.
        let long = RollupTeam {
            team: "l".into(),
            backlog_points: 25.0,
            history: vec![10.0],
            last_closed_end: day("2025-01-05"),
            sprint_days: 1e6,
        };
        let r = program_rollup("l", vec![long], vec![], 100, 1);
        assert!(
            r.levels
                .iter()
                .all(|l| l.date.is_none() && l.after_last_day)
        );
    }
}
