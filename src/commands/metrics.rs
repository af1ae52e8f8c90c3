//! The metric commands: `points`, `velocity`, `spread`, `forecast`, `accuracy`, `splits`,
//! `reference`.

use crate::commands::Config;
use crate::domain::Scope;
use crate::error::{Error, Result};
use crate::metrics::points::{GroupBy, PointFilter, point_distribution};
use crate::metrics::spread::SpreadQuery;
use crate::metrics::team::{ForecastParams, Metrics, StoryFilter};
use crate::metrics::velocity::VelocityQuery;
use crate::present::reports::SpreadTables;
use crate::present::table::Render;
use crate::settings::Settings;
use crate::store::Store;
use chrono::NaiveDate;
use std::io::Write;

#[derive(Debug, Clone)]
pub struct PointsArgs {
    pub scope: Scope,
    pub by: GroupBy,
    pub sprint: Option<String>,
    pub since: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct VelocityArgs {
    pub scope: Scope,
    pub sprint: Option<String>,
    pub since: Option<NaiveDate>,
    /// `--window`; else the settings' window per team.
    pub window: Option<usize>,
    pub as_of: NaiveDate,
    pub group_by: GroupBy,
}

#[derive(Debug, Clone)]
pub struct SpreadArgs {
    pub scope: Scope,
    pub sprint: Option<String>,
    pub since: Option<NaiveDate>,
    pub show_names: bool,
    /// Show every round, not only the stories and voters.
    pub rounds: bool,
}

#[derive(Debug, Clone)]
pub struct ForecastArgs {
    pub scope: Scope,
    pub params: ForecastParams,
    pub as_of: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct AccuracyArgs {
    pub scope: Scope,
    pub filter: StoryFilter,
    /// Voters by name in the calibration against outcomes.
    pub show_names: bool,
}

#[derive(Debug, Clone)]
pub struct SplitsArgs {
    pub scope: Scope,
    pub sprint: Option<String>,
    pub as_of: NaiveDate,
}

/// A team of the store and its program, as `Store::teams` reads them.
type Team = (String, Option<String>);

/// The store of a report, with the team or program and the sprint (`--sprint`) the user
/// named checked.
pub fn open_scoped(c: &Config, scope: &Scope, sprint: Option<&str>) -> Result<Store> {
    Ok(open_checked(c, scope, sprint)?.0)
}

/// [`open_scoped`], and the store's teams (read once for every check).
fn open_checked(c: &Config, scope: &Scope, sprint: Option<&str>) -> Result<(Store, Vec<Team>)> {
    let store = Store::open_existing(&c.db)?;
    let teams = store.teams()?;
    check_scope(&teams, scope)?;
    check_sprint(&store, &teams, scope, sprint)?;
    Ok((store, teams))
}

/// A sprint the user named (`--sprint`) must be one of a team in the scope.
fn check_sprint(store: &Store, teams: &[Team], scope: &Scope, sprint: Option<&str>) -> Result<()> {
    let Some(s) = sprint else {
        return Ok(());
    };
    let programs: std::collections::HashMap<&str, Option<&str>> = teams
        .iter()
        .map(|(t, p)| (t.as_str(), p.as_deref()))
        .collect();
    let in_scope = |team: &str| match (&scope.team, &scope.program) {
        (Some(t), _) => t == team,
        (None, Some(p)) => programs.get(team).is_some_and(|q| *q == Some(p.as_str())),
        (None, None) => true,
    };
    let mut ids: Vec<String> = Vec::new();
    for (team, id) in store.sprint_ids()? {
        if in_scope(&team) {
            if id == s {
                return Ok(());
            }
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let whom = match (&scope.team, &scope.program) {
        (Some(t), _) => format!("team \"{}\"", crate::error::shown(t)),
        (None, Some(p)) => format!("the teams of program \"{}\"", crate::error::shown(p)),
        (None, None) => "the teams".to_string(),
    };
    let has = if scope.team.is_some() {
        "it has"
    } else {
        "they have"
    };
    // The latest ten, in calendar order: a typo is most often of a recent sprint.
    let known = match ids.len() {
        0 => format!("{has} no sprints"),
        n if n <= 10 => format!("{has} {}", crate::error::shown_list(&ids, 10)),
        n => format!(
            "{has} {n} sprints, the latest: {}",
            crate::error::shown_list(&ids[n - 10..], 10)
        ),
    };
    Err(Error::Usage(format!(
        "unknown sprint \"{}\" for {whom}; {known}",
        crate::error::shown(s)
    )))
}

/// The store of a report with the team or program the user named checked, and the settings;
/// a `[teams.T]` section of the settings that names no team of the database is noted on
/// stderr (a misspelt team would otherwise have its settings apply to no one, silently).
pub fn open_with_settings(
    c: &Config,
    scope: &Scope,
    sprint: Option<&str>,
) -> Result<(Store, Settings)> {
    let (store, teams) = open_checked(c, scope, sprint)?;
    let settings = c.settings()?;
    for note in settings_notes(&teams, &settings) {
        eprintln!("{note}");
    }
    Ok((store, settings))
}

/// A note for each `[teams.T]` section of `settings` that names none of `teams`.
pub fn settings_notes(teams: &[Team], settings: &Settings) -> Vec<String> {
    let names: Vec<&str> = teams.iter().map(|(t, _)| t.as_str()).collect();
    let file = settings.file_name();
    settings
        .teams
        .keys()
        .filter(|t| !names.contains(&t.as_str()))
        .map(|t| {
            format!(
                "note: {file}: [teams] \"{}\" is no team of the database ({}); its settings apply to no team",
                crate::error::shown(t),
                known_names(&names, t, "team")
            )
        })
        .collect()
}

/// What the database has instead of `wanted`: the same name in another case first, then at
/// most ten names (the rest counted).
fn known_names(names: &[&str], wanted: &str, what: &str) -> String {
    if names.is_empty() {
        return "the database has none".to_string();
    }
    if let Some(same) = crate::error::same_but_case(names.iter().copied(), wanted) {
        return format!("did you mean \"{}\"?", crate::error::shown(same));
    }
    let plural = if names.len() == 1 { "" } else { "s" };
    let mut out = format!(
        "the database has {} {what}{plural}: {}",
        names.len(),
        crate::error::shown_list(names, 10)
    );
    if names.len() > 10 {
        out.push_str(" (`sprintlens info` lists them all)");
    }
    out
}

/// A team or program the user named must be one of `teams`.
fn check_scope(teams: &[Team], scope: &Scope) -> Result<()> {
    if let Some(t) = &scope.team
        && !teams.iter().any(|(k, _)| k == t)
    {
        let names: Vec<&str> = teams.iter().map(|(k, _)| k.as_str()).collect();
        return Err(Error::Usage(format!(
            "unknown team \"{}\"; {}",
            crate::error::shown(t),
            known_names(&names, t, "team")
        )));
    }
    if let Some(p) = &scope.program
        && !teams.iter().any(|(_, q)| q.as_deref() == Some(p.as_str()))
    {
        let mut programs: Vec<&str> = teams.iter().filter_map(|(_, q)| q.as_deref()).collect();
        programs.sort();
        programs.dedup();
        return Err(Error::Usage(format!(
            "unknown program \"{}\"; {}",
            crate::error::shown(p),
            known_names(&programs, p, "program")
        )));
    }
    Ok(())
}

pub fn points(c: &Config, a: &PointsArgs, out: &mut dyn Write) -> Result<()> {
    let store = open_scoped(c, &a.scope, a.sprint.as_deref())?;
    let filter = PointFilter {
        sprint: a.sprint.as_deref(),
        since: a.since,
    };
    let d = point_distribution(
        &store,
        a.scope.team_ref(),
        a.scope.program_ref(),
        a.by,
        filter,
    )?;
    d.write_to(c.format, c.json, out)
}

pub fn velocity(c: &Config, a: &VelocityArgs, out: &mut dyn Write) -> Result<()> {
    let (store, settings) = open_with_settings(c, &a.scope, a.sprint.as_deref())?;
    let q = VelocityQuery {
        team: a.scope.team_ref(),
        program: a.scope.program_ref(),
        sprint: a.sprint.as_deref(),
        since: a.since,
        window: a.window.unwrap_or(settings.defaults.window),
        // A --window given on the command line is for every team.
        team_windows: match a.window {
            Some(_) => Default::default(),
            None => settings
                .teams
                .iter()
                .map(|(t, s)| (t.clone(), s.window))
                .collect(),
        },
        as_of: a.as_of,
        group_by: a.group_by,
    };
    crate::metrics::velocity::velocity(&store, &q)?.write_to(c.format, c.json, out)
}

pub fn spread(c: &Config, a: &SpreadArgs, out: &mut dyn Write) -> Result<()> {
    let store = open_scoped(c, &a.scope, a.sprint.as_deref())?;
    let report = crate::metrics::spread::spread(
        &store,
        &SpreadQuery {
            team: a.scope.team_ref(),
            program: a.scope.program_ref(),
            sprint: a.sprint.as_deref(),
            since: a.since,
            show_names: a.show_names,
            stories_only: false,
        },
    )?;
    let tables = SpreadTables {
        report: &report,
        rounds: a.rounds,
    };
    let written = tables.write_to(c.format, c.json, out);
    leave_to_exit(report);
    written
}

/// Leaves a one-shot command's computed reports to the process's exit instead of freeing them
/// piece by piece once the output is written: for 300,000 rounds that took a tenth of a second
/// the user waited for, while the exit hands all the memory back at once. Never for the
/// server, which keeps and frees its reports itself.
fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
}

pub fn forecast(c: &Config, a: &ForecastArgs, out: &mut dyn Write) -> Result<()> {
    let (store, settings) = open_with_settings(c, &a.scope, None)?;
    let m = Metrics::new(&store, &settings, a.scope.clone(), a.as_of);
    m.forecast(&a.params)?.write_to(c.format, c.json, out)
}

pub fn accuracy(c: &Config, a: &AccuracyArgs, out: &mut dyn Write) -> Result<()> {
    let (store, settings) = open_with_settings(c, &a.scope, a.filter.sprint.as_deref())?;
    // Accuracy reads done items: the day decides nothing here.
    let today = chrono::Local::now().date_naive();
    let mut m = Metrics::new(&store, &settings, a.scope.clone(), today)
        .with_filter(a.filter.clone())
        .stories_only();
    if a.show_names {
        m = m.showing_names();
    }
    let report = m.accuracy_with_outcomes()?;
    let written = report.write_to(c.format, c.json, out);
    leave_to_exit((report, m));
    written
}

pub fn splits(c: &Config, a: &SplitsArgs, out: &mut dyn Write) -> Result<()> {
    let (store, settings) = open_with_settings(c, &a.scope, a.sprint.as_deref())?;
    let m = Metrics::new(&store, &settings, a.scope.clone(), a.as_of).stories_only();
    let report = m.splits(a.sprint.as_deref())?;
    let written = report.write_to(c.format, c.json, out);
    leave_to_exit((report, m));
    written
}

#[derive(Debug, Clone)]
pub struct ReferenceArgs {
    pub scope: Scope,
    pub as_of: NaiveDate,
}

pub fn reference(c: &Config, a: &ReferenceArgs, out: &mut dyn Write) -> Result<()> {
    let (store, settings) = open_with_settings(c, &a.scope, None)?;
    let m = Metrics::new(&store, &settings, a.scope.clone(), a.as_of).stories_only();
    m.reference()?.write_to(c.format, c.json, out)
}
