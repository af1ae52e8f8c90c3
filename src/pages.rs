//! Page models: what each report page (and its JSON twin, and its static HTML file) shows.
//! Built from the same metric functions as the CLI. A team's reports are computed once into a
//! [`TeamData`] from which every page about that team is cut without touching the store again.

use crate::charts::{self, BoxStat, Line};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::forecast::{self, TeamForecast};
use crate::metrics::{accuracy, frame, splits, spread, velocity};
use crate::store::Store;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub const TEAM_ITEMS: &str = include_str!("../queries/pages/team_items.sql");
pub const STORY_CARDS: &str = include_str!("../queries/pages/story_cards.sql");
pub const TEAM_CARD: &str = include_str!("../queries/pages/team_card.sql");

/// Sprints ahead in the page forecasts.
pub const FORECAST_SPRINTS: usize = 3;
/// Split candidates shown on a Sprint Review.
pub const REVIEW_SPLITS: usize = 5;

/// One sprint item as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub sprint_id: String,
    pub story: String,
    pub title: Option<String>,
    pub status: String,
    pub committed: Option<bool>,
    pub points: Option<f64>,
    pub cycle_days: Option<f64>,
}

/// Everything the pages need about one team, computed once per team and `as_of`.
#[derive(Debug, Serialize)]
pub struct TeamData {
    pub team: String,
    pub name: String,
    pub program: Option<String>,
    pub as_of: NaiveDate,
    pub velocity: velocity::VelocityReport,
    pub spread: spread::SpreadReport,
    pub accuracy: accuracy::AccuracyReport,
    pub splits: splits::SplitReport,
    pub forecast: TeamForecast,
    pub items: Vec<Item>,
    /// Cards per round of the split candidates, read when the split page first needs them.
    #[serde(skip)]
    pub candidate_cards: std::sync::OnceLock<BTreeMap<String, Vec<String>>>,
}

/// A team's name and program, or `None` when the store has no such team.
pub fn team_card(store: &Store, team: &str) -> Result<Option<(String, Option<String>)>> {
    let rows = store.query_rows("team_card", TEAM_CARD, [team], |r| {
        Ok((r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
    })?;
    Ok(rows.into_iter().next())
}

/// The cards of every round of the team's split candidates, lowest first and without names:
/// story -> ["round 1: 3 5 8 ?", ...] (kept in `d` after the first call).
pub fn candidate_cards<'a>(
    store: &Store,
    d: &'a TeamData,
) -> Result<&'a BTreeMap<String, Vec<String>>> {
    if let Some(c) = d.candidate_cards.get() {
        return Ok(c);
    }
    let wanted: std::collections::HashSet<&str> = d
        .splits
        .candidates
        .iter()
        .map(|c| c.story.as_str())
        .collect();
    let mut rounds: BTreeMap<(String, String, i64), Vec<String>> = BTreeMap::new();
    for (story, session, round, card) in
        store.query_rows("story_cards", STORY_CARDS, [d.team.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
    {
        if wanted.contains(story.as_str()) {
            rounds
                .entry((story, session, round))
                .or_default()
                .push(card);
        }
    }
    let mut cards: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ((story, session, round), c) in rounds {
        let label = if session.is_empty() {
            format!("round {round}: {}", c.join(" "))
        } else {
            format!("{session}, round {round}: {}", c.join(" "))
        };
        cards.entry(story).or_default().push(label);
    }
    Ok(d.candidate_cards.get_or_init(|| cards))
}

/// Computes one team's reports; `None` when the store has no such team.
pub fn team_data(
    store: &Store,
    settings: &Settings,
    team: &str,
    as_of: NaiveDate,
) -> Result<Option<TeamData>> {
    let Some((name, program)) = team_card(store, team)? else {
        return Ok(None);
    };
    let q = splits::SplitQuery {
        team: Some(team),
        program: None,
        sprint: None,
        as_of,
    };
    let velocity = velocity::velocity(store, &splits::velocity_query(&q, settings))?;
    let spread = spread::spread(
        store,
        &spread::SpreadQuery {
            team: Some(team),
            program: None,
            sprint: None,
            since: None,
            show_names: false,
        },
    )?;
    let accuracy = accuracy::accuracy(
        store,
        &accuracy::AccuracyQuery {
            team: Some(team),
            program: None,
            sprint: None,
            since: None,
        },
        accuracy::reestimation(&spread),
    )?;
    let splits = splits::splits(
        store,
        &q,
        settings,
        &splits::SplitInputs {
            spread: &spread,
            velocity: &velocity,
            accuracy: &accuracy,
        },
    )?;
    let forecast = forecast::forecast_from(
        store,
        &forecast::ForecastQuery {
            team: Some(team),
            program: None,
            sprints: FORECAST_SPRINTS,
            points: None,
            trials: forecast::DEFAULT_TRIALS,
            seed: forecast::DEFAULT_SEED,
            history: forecast::DEFAULT_HISTORY,
            as_of,
        },
        &velocity,
    )?
    .teams
    .into_iter()
    .next()
    .unwrap_or_else(|| {
        forecast::forecast_team(
            team,
            Vec::new(),
            FORECAST_SPRINTS,
            None,
            forecast::DEFAULT_TRIALS,
            forecast::DEFAULT_SEED,
            None,
        )
    });
    let df = store.query_frame("team_items", TEAM_ITEMS, [team])?;
    let mut items = Vec::with_capacity(df.height());
    if df.height() > 0 {
        let sprint = frame::strings(&df, "sprint_id")?;
        let story = frame::strings(&df, "story")?;
        let title = frame::strings(&df, "title")?;
        let status = frame::strings(&df, "status")?;
        let committed = frame::bools(&df, "committed")?;
        let points = frame::floats(&df, "points")?;
        let cycle = frame::floats(&df, "cycle_days")?;
        for i in 0..df.height() {
            items.push(Item {
                sprint_id: sprint[i].clone().unwrap_or_default(),
                story: story[i].clone().unwrap_or_default(),
                title: title[i].clone(),
                status: status[i].clone().unwrap_or_default(),
                committed: committed[i],
                points: points[i],
                cycle_days: cycle[i],
            });
        }
    }
    Ok(Some(TeamData {
        team: team.to_string(),
        name,
        program,
        as_of,
        velocity,
        spread,
        accuracy,
        splits,
        forecast,
        items,
        candidate_cards: std::sync::OnceLock::new(),
    }))
}

/// What every team page starts with.
#[derive(Debug, Clone, Serialize)]
pub struct Head {
    pub team: String,
    pub name: String,
    pub program: Option<String>,
    pub as_of: NaiveDate,
}

impl TeamData {
    pub fn head(&self) -> Head {
        Head {
            team: self.team.clone(),
            name: self.name.clone(),
            program: self.program.clone(),
            as_of: self.as_of,
        }
    }

    /// The team's velocity summary (one row per team in the report).
    pub fn summary(&self) -> Option<&velocity::TeamVelocity> {
        self.velocity.teams.first()
    }

    /// Per story, the estimation session with the most rounds.
    fn story_spread(&self) -> HashMap<&str, &spread::StorySpread> {
        let mut m: HashMap<&str, &spread::StorySpread> = HashMap::new();
        for s in &self.spread.stories {
            let e = m.entry(s.story.as_str()).or_insert(s);
            if s.rounds > e.rounds {
                *e = s;
            }
        }
        m
    }

    /// Box plot numbers per point value.
    pub fn boxes(&self) -> Vec<BoxStat> {
        self.accuracy
            .buckets
            .iter()
            .filter_map(|b| {
                Some(BoxStat {
                    points: b.points,
                    n: b.items,
                    min: b.min_days?,
                    q1: b.q1_days?,
                    median: b.median_days?,
                    q3: b.q3_days?,
                    max: b.max_days?,
                })
            })
            .collect()
    }
}

/// How a set of stories was estimated: mean first-round spread (card steps), mean rounds, and
/// the share that reached consensus (unanimous or near).
#[derive(Debug, Clone, Serialize)]
pub struct SpreadSummary {
    pub mean_first_spread: Option<f64>,
    pub mean_rounds: Option<f64>,
    pub consensus_share: Option<f64>,
}

impl SpreadSummary {
    pub fn of(stories: &[&spread::StorySpread]) -> SpreadSummary {
        SpreadSummary {
            mean_first_spread: mean_of(
                stories
                    .iter()
                    .filter_map(|x| x.first_spread.map(|f| f as f64)),
            ),
            mean_rounds: mean_of(stories.iter().map(|x| x.rounds as f64)),
            consensus_share: (!stories.is_empty()).then(|| {
                stories
                    .iter()
                    .filter(|x| x.rounds_to_consensus.is_some())
                    .count() as f64
                    / stories.len() as f64
            }),
        }
    }
}

/// How a sprint's stories were estimated.
#[derive(Debug, Clone, Serialize)]
pub struct SprintEstimation {
    /// The sprint's items whose story has votes.
    pub estimated: usize,
    #[serde(flatten)]
    pub spread: SpreadSummary,
    pub question_share: Option<f64>,
    /// Done items with points and a cycle time, and their Spearman correlation.
    pub timed_items: usize,
    pub spearman: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewStory {
    pub story: String,
    pub title: Option<String>,
    pub status: String,
    pub committed: Option<bool>,
    pub points: Option<f64>,
    pub cycle_days: Option<f64>,
    pub rounds: Option<i64>,
    pub first_spread: Option<i64>,
    pub last_spread: Option<i64>,
    pub rounds_to_consensus: Option<i64>,
}

/// The Sprint Review page of one sprint.
#[derive(Debug, Clone, Serialize)]
pub struct SprintReview {
    /// The team the page is about, and the day that decides which sprints are closed.
    #[serde(flatten)]
    pub head: Head,
    pub sprint: velocity::SprintVelocity,
    pub title: String,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub team_summary: Option<velocity::TeamVelocity>,
    pub estimation: SprintEstimation,
    pub stories: Vec<ReviewStory>,
    pub split_next: Vec<splits::SplitCandidate>,
    pub forecast: TeamForecast,
}

fn mean_of(v: impl Iterator<Item = f64>) -> Option<f64> {
    crate::metrics::stats::mean(&v.collect::<Vec<_>>())
}

/// The Sprint Review of `sprint`, or `None` when the team has no such sprint.
pub fn sprint_review(d: &TeamData, sprint: &str) -> Option<SprintReview> {
    let sprints = &d.velocity.sprints;
    let idx = sprints.iter().position(|s| s.sprint_id == sprint)?;
    let s = &sprints[idx];
    let by_story = d.story_spread();
    let stories: Vec<ReviewStory> = d
        .items
        .iter()
        .filter(|i| i.sprint_id == sprint)
        .map(|i| {
            let sp = by_story.get(i.story.as_str());
            ReviewStory {
                story: i.story.clone(),
                title: i.title.clone(),
                status: i.status.clone(),
                committed: i.committed,
                points: i.points,
                cycle_days: i.cycle_days,
                rounds: sp.map(|x| x.rounds),
                first_spread: sp.and_then(|x| x.first_spread),
                last_spread: sp.and_then(|x| x.last_spread),
                rounds_to_consensus: sp.and_then(|x| x.rounds_to_consensus),
            }
        })
        .collect();
    let voted: Vec<&spread::StorySpread> = stories
        .iter()
        .filter_map(|st| by_story.get(st.story.as_str()).copied())
        .collect();
    let timed: Vec<(f64, f64)> = stories
        .iter()
        .filter(|st| st.status == "done")
        .filter_map(|st| st.points.zip(st.cycle_days))
        .collect();
    let (xs, ys): (Vec<f64>, Vec<f64>) = timed.iter().copied().unzip();
    let estimation = SprintEstimation {
        estimated: voted.len(),
        spread: SpreadSummary::of(&voted),
        question_share: mean_of(voted.iter().map(|v| v.question_share)),
        timed_items: timed.len(),
        spearman: accuracy::spearman(&xs, &ys),
    };
    Some(SprintReview {
        head: d.head(),
        sprint: s.clone(),
        title: s.title(),
        previous: idx.checked_sub(1).map(|i| sprints[i].sprint_id.clone()),
        next: sprints.get(idx + 1).map(|x| x.sprint_id.clone()),
        team_summary: d.summary().cloned(),
        estimation,
        stories,
        split_next: d
            .splits
            .candidates
            .iter()
            .take(REVIEW_SPLITS)
            .cloned()
            .collect(),
        forecast: d.forecast.clone(),
    })
}

/// The charts of a Sprint Review page (inline SVG).
pub fn sprint_review_charts(
    d: &TeamData,
    r: &SprintReview,
) -> Result<BTreeMap<&'static str, String>> {
    let idx = d
        .velocity
        .sprints
        .iter()
        .position(|s| s.sprint_id == r.sprint.sprint_id);
    let mut out = BTreeMap::new();
    out.insert(
        "velocity",
        charts::velocity_svg(
            &format!("Velocity of {}", d.name),
            &d.velocity.sprints,
            idx,
            charts::WIDE,
        )?,
    );
    let marks: Vec<(f64, f64, String)> = r
        .stories
        .iter()
        .filter(|s| s.status == "done")
        .filter_map(|s| {
            let label = match &s.title {
                Some(t) => format!("{} {t}", s.story),
                None => s.story.clone(),
            };
            Some((s.points?, s.cycle_days?, label))
        })
        .collect();
    out.insert(
        "cycle",
        charts::box_svg(
            &format!("Cycle time by points: {} against the team", r.title),
            &d.boxes(),
            &marks,
            charts::WIDE,
        )?,
    );
    Ok(out)
}

/// Spread and rounds of the stories first planned in each sprint.
#[derive(Debug, Clone, Serialize)]
pub struct SprintSpread {
    pub sprint_id: String,
    pub stories: usize,
    #[serde(flatten)]
    pub spread: SpreadSummary,
}

/// The team page.
#[derive(Debug, Clone, Serialize)]
pub struct TeamPage {
    /// The team the page is about, and the day that decides which sprints are closed.
    #[serde(flatten)]
    pub head: Head,
    pub velocity: velocity::VelocityReport,
    pub accuracy: Option<accuracy::TeamAccuracy>,
    pub buckets: Vec<accuracy::Bucket>,
    pub reestimation: Option<accuracy::Reestimation>,
    pub spread_trend: Vec<SprintSpread>,
    /// Pseudonymised ("voter N").
    pub voters: Vec<spread::VoterCalibration>,
    pub forecast: TeamForecast,
    pub split_candidates: usize,
}

pub fn team_page(d: &TeamData) -> TeamPage {
    let by_story = d.story_spread();
    // Each story counts in the first sprint it was planned into.
    let mut first_sprint: HashMap<&str, &str> = HashMap::new();
    for i in &d.items {
        first_sprint
            .entry(i.story.as_str())
            .or_insert(i.sprint_id.as_str());
    }
    let mut per_sprint: HashMap<&str, Vec<&spread::StorySpread>> = HashMap::new();
    for (story, sprint) in &first_sprint {
        if let Some(s) = by_story.get(story) {
            per_sprint.entry(sprint).or_default().push(s);
        }
    }
    let spread_trend = d
        .velocity
        .sprints
        .iter()
        .map(|s| {
            let v = per_sprint
                .get(s.sprint_id.as_str())
                .cloned()
                .unwrap_or_default();
            SprintSpread {
                sprint_id: s.sprint_id.clone(),
                stories: v.len(),
                spread: SpreadSummary::of(&v),
            }
        })
        .collect();
    TeamPage {
        head: d.head(),
        velocity: d.velocity.clone(),
        accuracy: d.accuracy.teams.first().cloned(),
        buckets: d.accuracy.buckets.clone(),
        reestimation: d.accuracy.reestimation.first().cloned(),
        spread_trend,
        voters: d.spread.voters.clone(),
        forecast: d.forecast.clone(),
        split_candidates: d.splits.candidates.len(),
    }
}

pub fn team_page_charts(d: &TeamData, p: &TeamPage) -> Result<BTreeMap<&'static str, String>> {
    let labels: Vec<String> = p
        .velocity
        .sprints
        .iter()
        .map(|s| s.sprint_id.clone())
        .collect();
    let mut out = BTreeMap::new();
    out.insert(
        "velocity",
        charts::velocity_svg(
            &format!("Velocity of {}", d.name),
            &p.velocity.sprints,
            None,
            charts::WIDE,
        )?,
    );
    out.insert(
        "predictability",
        charts::line_svg(
            "Predictability: say/do and rolling CV per sprint",
            "share",
            &labels,
            &[
                Line {
                    name: "say/do".into(),
                    values: p.velocity.sprints.iter().map(|s| s.say_do).collect(),
                    color: charts::COMPLETED,
                },
                Line {
                    name: "rolling CV".into(),
                    values: p.velocity.sprints.iter().map(|s| s.rolling_cv).collect(),
                    color: charts::ACCENT,
                },
            ],
            true,
            charts::WIDE,
        )?,
    );
    out.insert(
        "cycle",
        charts::box_svg(
            "Cycle time by points (accuracy by size)",
            &d.boxes(),
            &[],
            charts::WIDE,
        )?,
    );
    out.insert(
        "spread",
        charts::line_svg(
            "Estimation spread of the stories planned into each sprint",
            "card steps / rounds",
            &labels,
            &[
                Line {
                    name: "mean first-round spread (card steps)".into(),
                    values: p
                        .spread_trend
                        .iter()
                        .map(|s| s.spread.mean_first_spread)
                        .collect(),
                    color: charts::COMPLETED,
                },
                Line {
                    name: "mean rounds".into(),
                    values: p
                        .spread_trend
                        .iter()
                        .map(|s| s.spread.mean_rounds)
                        .collect(),
                    color: charts::ACCENT,
                },
            ],
            false,
            charts::WIDE,
        )?,
    );
    Ok(out)
}

/// A split candidate with the cards played on it.
#[derive(Debug, Clone, Serialize)]
pub struct SplitRow {
    #[serde(flatten)]
    pub candidate: splits::SplitCandidate,
    pub cards: Vec<String>,
}

/// The Scrum Master's page: ranked split candidates.
#[derive(Debug, Clone, Serialize)]
pub struct SplitPage {
    /// The team the page is about, and the day that decides which sprints are closed.
    #[serde(flatten)]
    pub head: Head,
    pub stories_checked: usize,
    pub thresholds: crate::config::SplitThresholds,
    pub candidates: Vec<SplitRow>,
}

pub fn split_page(
    d: &TeamData,
    settings: &Settings,
    cards: &BTreeMap<String, Vec<String>>,
) -> SplitPage {
    SplitPage {
        head: d.head(),
        stories_checked: d.splits.stories_checked,
        thresholds: settings.team(&d.team).split.clone(),
        candidates: d
            .splits
            .candidates
            .iter()
            .map(|c| SplitRow {
                candidate: c.clone(),
                cards: cards.get(&c.story).cloned().unwrap_or_default(),
            })
            .collect(),
    }
}

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
    let q = splits::SplitQuery {
        team: None,
        program,
        sprint: None,
        as_of,
    };
    let v = velocity::velocity(store, &splits::velocity_query(&q, settings))?;
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

/// The Sprint Review of `sprint`, or of the team's latest closed sprint (else its latest).
pub fn review_of(d: &TeamData, sprint: Option<&str>) -> Result<SprintReview> {
    let ids = || {
        let v: Vec<&str> = d
            .velocity
            .sprints
            .iter()
            .map(|s| s.sprint_id.as_str())
            .collect();
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let id = match sprint {
        Some(s) => s.to_string(),
        None => d
            .velocity
            .sprints
            .iter()
            .rev()
            .find(|s| s.closed)
            .or(d.velocity.sprints.last())
            .map(|s| s.sprint_id.clone())
            .ok_or_else(|| Error::Usage(format!("team \"{}\" has no sprints", d.team)))?,
    };
    sprint_review(d, &id).ok_or_else(|| {
        Error::Usage(format!(
            "unknown sprint \"{id}\" for team \"{}\"; it has {}",
            d.team,
            ids()
        ))
    })
}
