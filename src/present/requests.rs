//! The report commands as requests (`points`, `velocity`, `spread`, `forecast`, `accuracy`,
//! `splits`, `reference`, `report`): what each checks, computes and prints, run on a store the
//! caller has open — the command line's own, or, while a server holds the database, the
//! server's (the command line sends it the request and prints its answer, byte for byte what
//! it prints itself).

use crate::domain::Scope;
use crate::error::{Error, Result};
use crate::metrics::points::{GroupBy, PointFilter, point_distribution};
use crate::metrics::spread::SpreadQuery;
use crate::metrics::team::{ForecastParams, Metrics, StoryFilter};
use crate::metrics::velocity::VelocityQuery;
use crate::present::pages::{data, retro, review};
use crate::present::reports::SpreadTables;
use crate::present::table::{Format, Json, Render};
use crate::settings::Settings;
use crate::store::Store;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::io::Write;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointsArgs {
    pub scope: Scope,
    pub by: GroupBy,
    pub sprint: Option<String>,
    pub since: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VelocityArgs {
    pub scope: Scope,
    pub sprint: Option<String>,
    pub since: Option<NaiveDate>,
    /// `--window`; else the settings' window per team.
    pub window: Option<usize>,
    pub as_of: NaiveDate,
    pub group_by: GroupBy,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpreadArgs {
    pub scope: Scope,
    pub sprint: Option<String>,
    pub since: Option<NaiveDate>,
    pub show_names: bool,
    /// Show every round, not only the stories and voters.
    pub rounds: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForecastArgs {
    pub scope: Scope,
    pub params: ForecastParams,
    /// How past forecasts fared instead of the forecast.
    #[serde(default)]
    pub backtest: Option<crate::metrics::backtest::BacktestParams>,
    pub as_of: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccuracyArgs {
    pub scope: Scope,
    pub filter: StoryFilter,
    /// Voters by name in the calibration against outcomes.
    pub show_names: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SplitsArgs {
    pub scope: Scope,
    pub sprint: Option<String>,
    pub as_of: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferenceArgs {
    pub scope: Scope,
    pub as_of: NaiveDate,
}

/// `room list` (no session) or `room export SESSION`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoomArgs {
    pub session: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportArgs {
    pub team: String,
    pub sprint: Option<String>,
    /// Static pages into this folder (the caller writes them) instead of text.
    pub out: Option<std::path::PathBuf>,
    pub as_of: NaiveDate,
    /// The estimation retrospective instead of the Sprint Review.
    pub retro: bool,
}

/// A report command.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Request {
    Points(PointsArgs),
    Velocity(VelocityArgs),
    Spread(SpreadArgs),
    Forecast(ForecastArgs),
    Accuracy(AccuracyArgs),
    Splits(SplitsArgs),
    Reference(ReferenceArgs),
    Report(ReportArgs),
    /// The estimation rooms' sessions (read by `web::site`, which knows the rooms).
    Room(RoomArgs),
}

/// How the answer is printed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Output {
    pub format: Format,
    pub json: Json,
}

/// A request with how its answer is printed: what the command line sends a server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Asked {
    pub request: Request,
    pub output: Output,
}

/// What a request gave besides its printed output: notes for stderr, and the pages of a
/// static report (file name, HTML) for the caller to write (rendered by `web::site`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Answered {
    pub notes: Vec<String>,
    pub pages: Option<Vec<(String, String)>>,
}

/// A team of the store and its program, as `Store::teams` reads them.
type Team = (String, Option<String>);

impl Request {
    /// The team or program and the sprint the request names (checked before it runs).
    fn scope(&self) -> (Scope, Option<&str>) {
        match self {
            Request::Points(a) => (a.scope.clone(), a.sprint.as_deref()),
            Request::Velocity(a) => (a.scope.clone(), a.sprint.as_deref()),
            Request::Spread(a) => (a.scope.clone(), a.sprint.as_deref()),
            Request::Forecast(a) => (a.scope.clone(), None),
            Request::Accuracy(a) => (a.scope.clone(), a.filter.sprint.as_deref()),
            Request::Splits(a) => (a.scope.clone(), a.sprint.as_deref()),
            Request::Reference(a) => (a.scope.clone(), None),
            Request::Report(a) => (Scope::team(&a.team), None),
            Request::Room(_) => (Scope::default(), None),
        }
    }

    /// Whether its answer reads the settings (and so notes settings naming no team): the
    /// others run whatever the settings file holds.
    pub fn reads_settings(&self) -> bool {
        !matches!(
            self,
            Request::Points(_) | Request::Spread(_) | Request::Room(_)
        )
    }
}

/// Checks the request's team, program and sprint against the store; gives the notes on the
/// settings for the request's answer.
pub fn checked(store: &Store, settings: &Settings, request: &Request) -> Result<Vec<String>> {
    let teams = store.teams()?;
    let (scope, sprint) = request.scope();
    check_scope(&teams, &scope)?;
    check_sprint(store, &teams, &scope, sprint)?;
    Ok(if request.reads_settings() {
        settings_notes(&teams, settings)
    } else {
        Vec::new()
    })
}

/// Checks the request's team, program and sprint against the store, computes it and prints
/// it to `out` as `output` says. `one_shot`: the process ends after this (its reports are
/// left to the exit instead of being freed piece by piece).
pub fn answer(
    store: &Store,
    settings: &Settings,
    request: &Request,
    output: Output,
    one_shot: bool,
    out: &mut dyn Write,
) -> Result<Answered> {
    let answered = Answered {
        notes: checked(store, settings, request)?,
        pages: None,
    };
    let (format, json) = (output.format, output.json);
    match request {
        Request::Points(a) => {
            let filter = PointFilter {
                sprint: a.sprint.as_deref(),
                since: a.since,
            };
            point_distribution(
                store,
                a.scope.team_ref(),
                a.scope.program_ref(),
                a.by,
                filter,
            )?
            .write_to(format, json, out)?;
        }
        Request::Velocity(a) => {
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
            crate::metrics::velocity::velocity(store, &q)?.write_to(format, json, out)?;
        }
        Request::Spread(a) => {
            let report = crate::metrics::spread::spread(
                store,
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
            let written = tables.write_to(format, json, out);
            leave(one_shot, report);
            written?;
        }
        Request::Forecast(a) => {
            let m = Metrics::new(store, settings, a.scope.clone(), a.as_of);
            match &a.backtest {
                None => m.forecast(&a.params)?.write_to(format, json, out)?,
                Some(b) => m.backtest(&a.params, b)?.write_to(format, json, out)?,
            }
        }
        Request::Accuracy(a) => {
            // Accuracy reads done items: the day decides nothing here.
            let today = chrono::Local::now().date_naive();
            let mut m = Metrics::new(store, settings, a.scope.clone(), today)
                .with_filter(a.filter.clone())
                .stories_only();
            if a.show_names {
                m = m.showing_names();
            }
            let report = m.accuracy_with_outcomes()?;
            let written = report.write_to(format, json, out);
            leave(one_shot, (report, m));
            written?;
        }
        Request::Splits(a) => {
            let m = Metrics::new(store, settings, a.scope.clone(), a.as_of).stories_only();
            let report = m.splits(a.sprint.as_deref())?;
            let written = report.write_to(format, json, out);
            leave(one_shot, (report, m));
            written?;
        }
        Request::Reference(a) => {
            let m = Metrics::new(store, settings, a.scope.clone(), a.as_of).stories_only();
            m.reference()?.write_to(format, json, out)?;
        }
        Request::Report(a) if a.out.is_some() => {
            return Err(Error::Internal(
                "a report's pages are rendered by the static site (web::site)".into(),
            ));
        }
        Request::Room(_) => {
            return Err(Error::Internal(
                "rooms are read by the static site (web::site)".into(),
            ));
        }
        Request::Report(a) => report(store, settings, a, output, out)?,
    }
    Ok(answered)
}

/// `report`: a Sprint Review or retrospective as text.
fn report(
    store: &Store,
    settings: &Settings,
    a: &ReportArgs,
    output: Output,
    out: &mut dyn Write,
) -> Result<()> {
    // The team was checked above.
    let d = data::team_data(store, settings, &a.team, a.as_of)?
        .ok_or_else(|| Error::Internal(format!("team {} vanished", a.team)))?;
    let r = review::review_of(&d, a.sprint.as_deref())?;
    if a.retro {
        retro::sprint_retro(store, &d, &r.sprint.sprint_id)?
            .ok_or_else(|| {
                Error::Usage(format!(
                    "sprint \"{}\" of team \"{}\" has nothing recorded yet",
                    r.sprint.sprint_id, a.team
                ))
            })?
            .write_to(output.format, output.json, out)?;
    } else {
        r.write_to(output.format, output.json, out)?;
    }
    Ok(())
}

/// Leaves a one-shot command's computed reports to the process's exit instead of freeing them
/// piece by piece once the output is written: for 300,000 rounds that took a tenth of a second
/// the user waited for, while the exit hands all the memory back at once. Never for the
/// server, which keeps and frees its reports itself.
fn leave<T>(one_shot: bool, value: T) {
    if one_shot {
        std::mem::forget(value);
    }
}

/// A sprint the user named (`--sprint`) must be one of a team in the scope.
pub fn check_sprint(
    store: &Store,
    teams: &[Team],
    scope: &Scope,
    sprint: Option<&str>,
) -> Result<()> {
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

/// A note for each `[teams.T]` section of `settings` that names none of `teams` (a misspelt
/// team would otherwise have its settings apply to no one, silently).
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
pub fn check_scope(teams: &[Team], scope: &Scope) -> Result<()> {
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
