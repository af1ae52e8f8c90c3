//! The leadership dashboard over every team, or one program's: the predictability map, each
//! team's trend over its last windows, the teams to talk to, each program's roll-up forecast,
//! the table of say/do, CV and forecast ranges, and one small velocity chart per team.

use crate::domain::Scope;
use crate::error::Result;
use crate::metrics::forecast::{self, TeamForecast};
use crate::metrics::leadership::{self, ProgramRollup, RollupTeam, TalkTo, TeamPredictability};
use crate::metrics::team::Metrics;
use crate::metrics::velocity;
use crate::present::charts;
use crate::present::pages::data::FORECAST_SPRINTS;
use crate::settings::Settings;
use crate::store::Store;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;

/// One team on the leadership dashboard.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DashboardTeam {
    pub team: String,
    pub program: Option<String>,
    pub summary: velocity::TeamVelocity,
    /// Points done in the next sprints at 50% and 85% (and the other levels).
    pub forecast: TeamForecast,
    #[serde(skip)]
    pub sprints: Vec<velocity::SprintVelocity>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Dashboard {
    pub program: Option<String>,
    pub programs: Vec<String>,
    pub as_of: NaiveDate,
    pub forecast_sprints: usize,
    /// How the teams' forecasts fared, all teams together.
    pub forecast_check: crate::metrics::backtest::Backtest,
    /// Sprints in each team's small chart.
    pub chart_sprints: usize,
    pub teams: Vec<DashboardTeam>,
    /// Each team's predictability now and over its last windows (the map and the trends).
    pub predictability: Vec<TeamPredictability>,
    /// The few teams whose predictability dropped or forecast range widened the most.
    pub talk_to: Vec<TalkTo>,
    /// When each program's remaining backlog is done (the program shown, or every program).
    pub rollups: Vec<ProgramRollup>,
    /// The thresholds the map and the trends read with.
    pub thresholds: Thresholds,
}

/// The leadership view's thresholds, shown beside what they decide.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Thresholds {
    pub window: usize,
    pub windows: usize,
    pub say_do_target: f64,
    pub cv_limit: f64,
    pub change: f64,
    pub alert: f64,
}

/// The leadership dashboard over every team, or one program's; `None` for an unknown program.
pub fn dashboard(
    store: &Store,
    settings: &Settings,
    program: Option<&str>,
    as_of: NaiveDate,
) -> Result<Option<Dashboard>> {
    let mut programs: Vec<String> = store.teams()?.into_iter().filter_map(|(_, p)| p).collect();
    programs.sort();
    programs.dedup();
    if let Some(p) = program
        && !programs.iter().any(|x| x == p)
    {
        return Ok(None);
    }
    let scope = Scope {
        team: None,
        program: program.map(str::to_string),
    };
    let m = Metrics::new(store, settings, scope, as_of);
    let v = m.velocity()?;
    let mut rows: HashMap<&str, Vec<&velocity::SprintVelocity>> = HashMap::new();
    for s in &v.sprints {
        rows.entry(s.team.as_str()).or_default().push(s);
    }
    let mut teams = Vec::new();
    let mut predictability = Vec::new();
    for t in &v.teams {
        let sprints: Vec<velocity::SprintVelocity> = rows
            .get(t.team.as_str())
            .map(|r| r.iter().map(|s| (*s).clone()).collect())
            .unwrap_or_default();
        let closed: Vec<&velocity::SprintVelocity> = sprints.iter().filter(|s| s.closed).collect();
        let history =
            forecast::history_of(closed.iter().copied(), forecast::DEFAULT_HISTORY, false);
        let f = forecast::forecast_team(
            &t.team,
            history,
            FORECAST_SPRINTS,
            None,
            forecast::DEFAULT_TRIALS,
            forecast::DEFAULT_SEED,
            t.last_closed_end.zip(t.sprint_days),
        );
        predictability.push(leadership::team_predictability(
            &t.team,
            t.program.as_deref(),
            &closed,
            &settings.dashboard,
            &f,
        ));
        teams.push(DashboardTeam {
            team: t.team.clone(),
            program: t.program.clone(),
            summary: t.clone(),
            forecast: f,
            sprints,
        });
    }
    let talk_to = leadership::teams_to_talk_to(&predictability, settings.dashboard.alert);
    let rollups = rollups(store, program, &programs, &teams, as_of)?;
    Ok(Some(Dashboard {
        program: program.map(str::to_string),
        programs,
        as_of,
        forecast_sprints: FORECAST_SPRINTS,
        forecast_check: crate::metrics::backtest::of_sprints(
            &v.sprints,
            false,
            FORECAST_SPRINTS,
            forecast::DEFAULT_HISTORY,
            forecast::MIN_HISTORY,
        ),
        chart_sprints: DASHBOARD_SPRINTS,
        teams,
        predictability,
        talk_to,
        rollups,
        thresholds: Thresholds {
            window: settings.dashboard.window,
            windows: leadership::WINDOWS,
            say_do_target: settings.dashboard.say_do_target,
            cv_limit: settings.dashboard.cv_limit,
            change: settings.dashboard.change,
            alert: settings.dashboard.alert,
        },
    }))
}

/// The roll-up of the program shown, or of every program.
fn rollups(
    store: &Store,
    program: Option<&str>,
    programs: &[String],
    teams: &[DashboardTeam],
    as_of: NaiveDate,
) -> Result<Vec<ProgramRollup>> {
    let backlog = forecast::backlog_points(store, None, program, as_of)?;
    let shown: Vec<&String> = match program {
        Some(p) => programs.iter().filter(|x| *x == p).collect(),
        None => programs.iter().collect(),
    };
    Ok(shown
        .into_iter()
        .map(|p| {
            let mut members = Vec::new();
            let mut left_out = Vec::new();
            for t in teams.iter().filter(|t| t.program.as_deref() == Some(p)) {
                let points = backlog.get(&t.team).copied().unwrap_or(0.0);
                match (
                    t.summary.last_closed_end.zip(t.summary.sprint_days),
                    t.forecast.history.is_empty(),
                ) {
                    _ if points <= 0.0 => {
                        left_out.push((t.team.clone(), "no remaining backlog".to_string()))
                    }
                    (None, _) => left_out.push((
                        t.team.clone(),
                        "no closed sprint with dates to count from".to_string(),
                    )),
                    (_, true) => {
                        left_out.push((t.team.clone(), "no closed sprint to draw from".into()))
                    }
                    (Some((end, days)), false) => members.push(RollupTeam {
                        team: t.team.clone(),
                        backlog_points: points,
                        history: t.forecast.history.clone(),
                        last_closed_end: end,
                        sprint_days: days,
                    }),
                }
            }
            leadership::program_rollup(
                p,
                members,
                left_out,
                forecast::DEFAULT_TRIALS,
                forecast::DEFAULT_SEED,
            )
        })
        .collect())
}

/// Sprints in each small multiple.
pub const DASHBOARD_SPRINTS: usize = 12;

/// The dashboard's charts: the predictability map, and one small velocity chart per team (its
/// last sprints) in the dashboard's team order.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DashboardCharts {
    pub map: String,
    pub teams: Vec<String>,
}

/// The dashboard's charts; `link` gives a team's page (the map's marks link to it).
pub fn dashboard_charts(
    d: &Dashboard,
    link: &dyn Fn(&str) -> Option<String>,
) -> Result<DashboardCharts> {
    let points: Vec<charts::MapPoint> = d
        .predictability
        .iter()
        .filter_map(|p| {
            let now = p.now()?;
            Some(charts::MapPoint {
                team: p.team.clone(),
                cv: now.cv?,
                say_do: now.say_do?,
                quadrant: p.quadrant.name(),
                href: link(&p.team),
            })
        })
        .collect();
    Ok(DashboardCharts {
        map: charts::predictability_svg(
            &points,
            d.thresholds.cv_limit,
            d.thresholds.say_do_target,
            charts::WIDE,
        )?,
        teams: d
            .teams
            .iter()
            .map(|t| {
                let from = t.sprints.len().saturating_sub(DASHBOARD_SPRINTS);
                charts::velocity_svg(&t.team, &t.sprints[from..], None, charts::SMALL)
            })
            .collect::<Result<_>>()?,
    })
}
