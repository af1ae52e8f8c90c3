//! What the pages know about one team, computed once per team and `as_of` day through the
//! metrics chain; every page about that team is cut from it without touching the store again.

use crate::domain::{ItemStatus, Scope};
use crate::error::Result;
use crate::metrics::forecast::{self, TeamForecast};
use crate::metrics::team::{ForecastParams, Metrics};
use crate::metrics::{accuracy, frame, splits, spread, velocity};
use crate::present::charts::BoxStat;
use crate::settings::Settings;
use crate::store::Store;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub const TEAM_ITEMS: &str = include_str!("../../../queries/pages/team_items.sql");
pub const STORY_CARDS: &str = include_str!("../../../queries/pages/story_cards.sql");
pub const TEAM_CARD: &str = include_str!("../../../queries/pages/team_card.sql");
pub const TEAM_SPRINTS: &str = include_str!("../../../queries/pages/team_sprints.sql");
pub const TEAM_VOTE_SOURCES: &str = include_str!("../../../queries/pages/team_vote_sources.sql");
pub const ROOM_BACKLOG: &str = include_str!("../../../queries/pages/room_backlog.sql");

/// Where a team's votes come from: live capture, an export of the last round only, or native
/// files; with the rounds and votes of each and when the last of them was voted.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct VoteSource {
    pub source: String,
    pub rounds: i64,
    pub votes: i64,
    pub last_voted_at: Option<chrono::NaiveDateTime>,
}

/// A sprint of the sprints file: id, name, first and last day.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PlannedSprint {
    pub sprint_id: String,
    pub name: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

/// Sprints ahead in the page forecasts.
pub const FORECAST_SPRINTS: usize = 3;

/// One sprint item as the pages show it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Item {
    pub sprint_id: String,
    pub story: String,
    pub title: Option<String>,
    pub status: ItemStatus,
    pub committed: Option<bool>,
    pub points: Option<f64>,
    pub cycle_days: Option<f64>,
}

/// Everything the pages need about one team, computed once per team and `as_of`. It is kept
/// in the store as it is serialised while [`keeping`](crate::domain::undefined::keeping).
#[derive(Debug, Serialize, serde::Deserialize)]
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
    /// The backlog over the team's dated sprints and the forecast cone of the rest.
    #[serde(default)]
    pub release: crate::metrics::release::Release,
    /// How the forecasts made as this one (and the cycle-time percentiles) fared.
    #[serde(default)]
    pub forecast_check: crate::metrics::backtest::Backtest,
    /// Each sprint's history by the day, where its stories have sprint events.
    #[serde(default)]
    pub history: Vec<crate::metrics::history::SprintHistory>,
    /// Flow (cycle times, aging work, throughput, cumulative flow) from the sprint events.
    #[serde(default)]
    pub flow: crate::metrics::flow::Flow,
    /// Reference stories per card.
    pub reference: crate::metrics::reference::TeamReference,
    /// What the cards mean quarter by quarter.
    pub drift: Option<crate::metrics::drift::TeamDrift>,
    pub items: Vec<Item>,
    /// Every sprint of the sprints file, recorded items or not.
    #[serde(default, skip_serializing_if = "crate::domain::undefined::not_kept")]
    pub planned: Vec<PlannedSprint>,
    /// Where the team's votes come from.
    pub vote_sources: Vec<VoteSource>,
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

/// The cards of every round of the team's split candidates and watched stories, lowest first
/// and without names: story -> ["round 1: 3 5 8 ?", ...] (kept in `d` after the first call).
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
        .chain(&d.splits.watch)
        .map(|c| c.story.as_str())
        .collect();
    let cards = story_rounds(store, &d.team, &wanted)?
        .into_iter()
        .map(|(story, rounds)| (story, rounds.iter().map(RoundCards::label).collect()))
        .collect();
    Ok(d.candidate_cards.get_or_init(|| cards))
}

/// The cards of one round, lowest first, without names.
#[derive(Debug, Clone, Serialize)]
pub struct RoundCards {
    pub session: String,
    pub round: i64,
    pub cards: Vec<String>,
    /// The first `numeric` cards have a value (the rest are `?`, `☕`, ...).
    pub numeric: usize,
}

impl RoundCards {
    /// "SESSION, round 1: 3 5 8 ?" (no session: "round 1: ...").
    pub fn label(&self) -> String {
        if self.session.is_empty() {
            format!("round {}: {}", self.round, self.cards.join(" "))
        } else {
            format!(
                "{}, round {}: {}",
                self.session,
                self.round,
                self.cards.join(" ")
            )
        }
    }

    /// The lowest and the highest numeric card, when they differ (the "let's talk" pair).
    pub fn outliers(&self) -> Option<(String, String)> {
        let numeric = &self.cards[..self.numeric];
        match (numeric.first(), numeric.last()) {
            (Some(lo), Some(hi)) if lo != hi => Some((lo.clone(), hi.clone())),
            _ => None,
        }
    }
}

/// The rounds of some stories of a team, in order, each with its cards lowest first and
/// without names.
pub fn story_rounds(
    store: &Store,
    team: &str,
    wanted: &std::collections::HashSet<&str>,
) -> Result<BTreeMap<String, Vec<RoundCards>>> {
    let mut rounds: BTreeMap<(String, String, i64), (Vec<String>, usize)> = BTreeMap::new();
    for (story, session, round, card, numeric) in
        store.query_rows("story_cards", STORY_CARDS, [team], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })?
    {
        if wanted.contains(story.as_str()) {
            let e = rounds.entry((story, session, round)).or_default();
            e.0.push(card);
            e.1 += usize::from(numeric);
        }
    }
    let mut out: BTreeMap<String, Vec<RoundCards>> = BTreeMap::new();
    for ((story, session, round), (cards, numeric)) in rounds {
        out.entry(story).or_default().push(RoundCards {
            session,
            round,
            cards,
            numeric,
        });
    }
    Ok(out)
}

fn team_items(store: &Store, team: &str) -> Result<Vec<Item>> {
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
            // The store holds the three statuses only (ingest checks them).
            let Some(status) = status[i].as_deref().and_then(ItemStatus::parse) else {
                continue;
            };
            items.push(Item {
                sprint_id: sprint[i].clone().unwrap_or_default(),
                story: story[i].clone().unwrap_or_default(),
                title: title[i].clone(),
                status,
                committed: committed[i],
                points: points[i],
                cycle_days: cycle[i],
            });
        }
    }
    Ok(items)
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
    let m = Metrics::new(store, settings, Scope::team(team), as_of);
    m.backlog_splits()?;
    let forecast = m
        .forecast(&ForecastParams::ahead(FORECAST_SPRINTS))?
        .teams
        .into_iter()
        .next()
        .unwrap_or_else(|| {
            forecast::forecast_team(
                team,
                forecast::History::default(),
                FORECAST_SPRINTS,
                None,
                forecast::DEFAULT_TRIALS,
                forecast::DEFAULT_SEED,
                None,
            )
        });
    let drift = m.drift()?.into_iter().next();
    let outcomes = m.outcomes()?;
    let forecast_check = m.backtest(
        &ForecastParams::ahead(FORECAST_SPRINTS),
        &crate::metrics::backtest::BacktestParams {
            min_history: forecast::MIN_HISTORY,
        },
    )?;
    let c = m.into_computed();
    let release = {
        let past = crate::metrics::release::burnup(store, team, as_of)?;
        // The forecast's target is the remaining backlog as of the day (none: nothing left).
        let remaining = forecast.target_points.unwrap_or(0.0);
        let done = past.last().map_or(0.0, |p| p.done);
        let calendar = c
            .velocity
            .as_ref()
            .and_then(|v| v.teams.first())
            .and_then(|t| t.last_closed_end.zip(t.sprint_days));
        crate::metrics::release::release(past, done, remaining, &forecast.history, calendar)
    };
    let computed = "computed by backlog_splits";
    Ok(Some(TeamData {
        team: team.to_string(),
        name,
        program,
        as_of,
        velocity: c.velocity.expect(computed),
        spread: c.spread.expect(computed),
        accuracy: accuracy::AccuracyReport {
            outcomes,
            ..c.accuracy.expect(computed)
        },
        splits: c.backlog_splits.expect(computed),
        forecast,
        release,
        forecast_check,
        history: crate::metrics::history::sprint_histories(store, team, as_of)?,
        flow: crate::metrics::flow::flow(store, team, as_of)?,
        reference: c
            .reference
            .expect(computed)
            .teams
            .into_iter()
            .next()
            .unwrap_or_else(|| crate::metrics::reference::TeamReference {
                team: team.to_string(),
                cards: Vec::new(),
            }),
        drift,
        items: team_items(store, team)?,
        planned: store.query_rows("team_sprints", TEAM_SPRINTS, [team], |r| {
            Ok(PlannedSprint {
                sprint_id: r.get(0)?,
                name: r.get(1)?,
                start_date: r.get(2)?,
                end_date: r.get(3)?,
            })
        })?,
        vote_sources: store.query_rows("team_vote_sources", TEAM_VOTE_SOURCES, [team], |r| {
            Ok(VoteSource {
                source: r.get(0)?,
                rounds: r.get(1)?,
                votes: r.get(2)?,
                last_voted_at: r.get(3)?,
            })
        })?,
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

/// A report as the store keeps it: its JSON written while
/// [`keeping`](crate::domain::undefined::keeping) (undefined values keep their kind, fields the
/// JSON reports leave out are written), deflate-compressed.
pub fn to_kept<T: Serialize>(report: &T) -> Result<Vec<u8>> {
    use std::io::Write;
    let json = crate::domain::undefined::keeping(|| serde_json::to_vec(report))
        .map_err(|e| crate::error::Error::Internal(format!("keeping a report: {e}")))?;
    let mut z = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(json.len() / 6),
        flate2::Compression::fast(),
    );
    z.write_all(&json)
        .and_then(|_| z.finish())
        .map_err(|e| crate::error::Error::Internal(format!("keeping a report: {e}")))
}

/// A report read back from what [`to_kept`] made.
pub fn from_kept<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let z = flate2::read::DeflateDecoder::new(bytes);
    serde_json::from_reader(std::io::BufReader::with_capacity(1 << 16, z))
        .map_err(|e| crate::error::Error::Internal(format!("reading a kept report: {e}")))
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

    /// Per story, the estimation session with the most rounds ([`SpreadReport::by_story`]).
    ///
    /// [`SpreadReport::by_story`]: spread::SpreadReport::by_story
    pub fn story_spread(&self) -> HashMap<&str, &spread::StorySpread> {
        self.spread
            .by_story()
            .into_iter()
            .map(|((_, story), s)| (story, s))
            .collect()
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
    /// Rounds and consensus count the stories whose every round is known (not those from a
    /// source that keeps only the last round).
    pub fn of(stories: &[&spread::StorySpread]) -> SpreadSummary {
        let complete: Vec<&&spread::StorySpread> =
            stories.iter().filter(|x| !x.last_round_only).collect();
        SpreadSummary {
            mean_first_spread: mean_of(
                stories
                    .iter()
                    .filter_map(|x| x.first_spread.map(|f| f as f64)),
            ),
            mean_rounds: mean_of(complete.iter().map(|x| x.rounds as f64)),
            consensus_share: (!complete.is_empty()).then(|| {
                complete
                    .iter()
                    .filter(|x| x.rounds_to_consensus.is_some())
                    .count() as f64
                    / complete.len() as f64
            }),
        }
    }
}

pub fn mean_of(v: impl Iterator<Item = f64>) -> Option<f64> {
    crate::metrics::stats::mean(&v.collect::<Vec<_>>())
}
