//! The leadership dashboard over every team, or one program's: predictability (say/do, CV,
//! trend) and forecast ranges side by side, and one small velocity chart per team.

use crate::domain::Scope;
use crate::error::Result;
use crate::metrics::forecast::{self, TeamForecast};
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
#[derive(Debug, Clone, Serialize)]
pub struct DashboardTeam {
    pub team: String,
    pub program: Option<String>,
    pub summary: velocity::TeamVelocity,
    /// Points done in the next sprints at 50% and 85% (and the other levels).
    pub forecast: TeamForecast,
    #[serde(skip)]
    pub sprints: Vec<velocity::SprintVelocity>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub program: Option<String>,
    pub programs: Vec<String>,
    pub as_of: NaiveDate,
    pub forecast_sprints: usize,
    /// Sprints in each team's small chart.
    pub chart_sprints: usize,
    pub teams: Vec<DashboardTeam>,
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
    for t in &v.teams {
        let sprints: Vec<velocity::SprintVelocity> = rows
            .get(t.team.as_str())
            .map(|r| r.iter().map(|s| (*s).clone()).collect())
            .unwrap_or_default();
        let closed: Vec<f64> = sprints
            .iter()
            .filter(|s| s.closed)
            .filter_map(|s| s.completed)
            .collect();
        let history = closed[closed.len().saturating_sub(forecast::DEFAULT_HISTORY)..].to_vec();
        let f = forecast::forecast_team(
            &t.team,
            history,
            FORECAST_SPRINTS,
            None,
            forecast::DEFAULT_TRIALS,
            forecast::DEFAULT_SEED,
            t.last_closed_end.zip(t.sprint_days),
        );
        teams.push(DashboardTeam {
            team: t.team.clone(),
            program: t.program.clone(),
            summary: t.clone(),
            forecast: f,
            sprints,
        });
    }
    Ok(Some(Dashboard {
        program: program.map(str::to_string),
        programs,
        as_of,
        forecast_sprints: FORECAST_SPRINTS,
        chart_sprints: DASHBOARD_SPRINTS,
        teams,
    }))
}

/// Sprints in each small multiple.
pub const DASHBOARD_SPRINTS: usize = 12;

/// One small velocity chart per team (its last sprints), in the dashboard's team order.
pub fn dashboard_charts(d: &Dashboard) -> Result<Vec<String>> {
    d.teams
        .iter()
        .map(|t| {
            let from = t.sprints.len().saturating_sub(DASHBOARD_SPRINTS);
            charts::velocity_svg(&t.team, &t.sprints[from..], None, charts::SMALL)
        })
        .collect()
}
