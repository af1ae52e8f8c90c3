//! The team page: velocity and predictability over time, accuracy by size, spread trends,
//! pseudonymised voter calibration and the forecast.

use crate::error::Result;
use crate::metrics::accuracy;
use crate::metrics::forecast::TeamForecast;
use crate::metrics::{spread, velocity};
use crate::present::charts::{self, Line};
use crate::present::pages::data::{Head, SpreadSummary, TeamData};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

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
    /// The backlog over time and the forecast cone of the rest.
    pub release: crate::metrics::release::Release,
    /// How the forecasts made as this one fared on the team's closed sprints.
    pub forecast_check: crate::metrics::backtest::Backtest,
    pub split_candidates: usize,
    /// Stories flagged below the split cut.
    pub split_watch: usize,
    /// What the cards mean quarter by quarter, and point inflation.
    pub drift: Option<crate::metrics::drift::TeamDrift>,
    /// Estimates against outcomes.
    pub outcomes: Option<crate::metrics::outcome::TeamOutcomes>,
    /// Where the votes come from (live, last round only, native files) and when the last
    /// round of each was voted.
    pub vote_sources: Vec<crate::present::pages::data::VoteSource>,
    /// Flow, where the stories have a workflow history (empty elsewhere).
    pub flow: crate::metrics::flow::Flow,
}

pub fn team_page(d: &TeamData) -> TeamPage {
    let by_story = d.story_spread();
    // Each story counts in the first sprint it was planned into; stories in item order, so
    // the means are summed in the same order every time.
    let mut seen: HashSet<&str> = HashSet::new();
    let mut per_sprint: HashMap<&str, Vec<&spread::StorySpread>> = HashMap::new();
    for i in &d.items {
        if seen.insert(i.story.as_str())
            && let Some(s) = by_story.get(i.story.as_str())
        {
            per_sprint.entry(i.sprint_id.as_str()).or_default().push(s);
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
        release: d.release.clone(),
        forecast_check: d.forecast_check.clone(),
        split_candidates: d.splits.candidates.len(),
        split_watch: d.splits.watch.len(),
        drift: d.drift.clone(),
        outcomes: d.accuracy.outcomes.first().cloned(),
        vote_sources: d.vote_sources.clone(),
        flow: d.flow.clone(),
    }
}

/// The release burnup: scope and done at each dated sprint's end, then the cone: done + the
/// points reached at 50, 85 and 95% in each sprint ahead, up to the remaining backlog.
fn release_svg(d: &TeamData) -> Result<Option<String>> {
    let r = &d.release;
    if r.past.is_empty() {
        return Ok(None);
    }
    // Sprint ids, then sprints ahead (+1, +2, ...): short enough to read under the axis.
    let mut labels: Vec<String> = r.past.iter().map(|p| p.sprint_id.clone()).collect();
    let n = labels.len();
    labels.extend(r.cone.iter().map(|c| format!("+{}", c.sprints)));
    let scope_now = r.done + r.remaining;
    let mut scope: Vec<Option<f64>> = r.past.iter().map(|p| Some(p.scope)).collect();
    scope.extend(r.cone.iter().map(|_| Some(scope_now)));
    let mut done: Vec<Option<f64>> = r.past.iter().map(|p| Some(p.done)).collect();
    done.extend(r.cone.iter().map(|_| None));
    let level = |i: usize| -> Vec<Option<f64>> {
        let mut v = vec![None; n - 1];
        v.push(Some(r.done));
        v.extend(r.cone.iter().map(|c| Some(c.done[i])));
        v
    };
    let colors = [charts::ACCENT, charts::ACCENT2, charts::MUTED];
    let mut lines = vec![
        Line {
            name: "scope".into(),
            values: scope,
            color: charts::COMMITTED,
        },
        Line {
            name: "done".into(),
            values: done,
            color: charts::COMPLETED,
        },
    ];
    for (i, p) in crate::metrics::release::CONE_LEVELS.iter().enumerate() {
        lines.push(Line {
            name: format!("done at {p}%"),
            values: level(i),
            color: colors[i],
        });
    }
    Ok(Some(charts::line_svg(
        &format!(
            "Release burnup of {}: scope, done and the forecast cone",
            d.name
        ),
        "points",
        &labels,
        &lines,
        false,
        charts::WIDE,
    )?))
}

pub fn team_page_charts(d: &TeamData, p: &TeamPage) -> Result<BTreeMap<&'static str, String>> {
    let labels: Vec<String> = p
        .velocity
        .sprints
        .iter()
        .map(|s| s.sprint_id.clone())
        .collect();
    let mut out = BTreeMap::new();
    if let Some(svg) = release_svg(d)? {
        out.insert("release", svg);
    }
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
    // A chart only where some card has a quarter's median to draw.
    if let Some(drift) = &p.drift
        && drift
            .quarters
            .iter()
            .any(|q| q.cards.iter().any(|c| c.median_days.is_some()))
    {
        out.insert("drift", drift_svg(drift)?);
    }
    if !d.flow.is_empty() {
        flow_charts(d, &mut out)?;
    }
    Ok(out)
}

/// Flow: the cycle-time scatter with its percentile lines, aging work in progress against
/// them, throughput per day, and the cumulative flow by status category.
fn flow_charts(d: &TeamData, out: &mut BTreeMap<&'static str, String>) -> Result<()> {
    let f = &d.flow;
    let levels: Vec<(String, f64)> = f
        .levels
        .iter()
        .map(|(p, v)| (format!("{p}%"), *v as f64))
        .collect();
    let day = |x: chrono::NaiveDate| x.format("%m-%d").to_string();
    if !f.done.is_empty() {
        let first = f.done[0].done;
        let last = f.done.last().expect("not empty").done;
        let days: Vec<chrono::NaiveDate> = first.iter_days().take_while(|x| *x <= last).collect();
        let labels: Vec<String> = days.iter().map(|x| day(*x)).collect();
        let dots: Vec<charts::Dot> = f
            .done
            .iter()
            .map(|i| charts::Dot {
                at: (i.done - first).num_days() as usize,
                value: i.cycle_days as f64,
                tip: format!(
                    "{}{}: {} days ({} to {})",
                    i.story,
                    i.title
                        .as_deref()
                        .map(|t| format!(" {t}"))
                        .unwrap_or_default(),
                    i.cycle_days,
                    i.started,
                    i.done
                ),
            })
            .collect();
        out.insert(
            "flow_cycle",
            charts::scatter_svg(
                &format!("Cycle time of done items: {}", d.name),
                "days",
                &labels,
                &dots,
                &levels,
                charts::WIDE,
            )?,
        );
    }
    if !f.aging.is_empty() {
        let labels: Vec<String> = f.aging.iter().map(|a| a.story.clone()).collect();
        let dots: Vec<charts::Dot> = f
            .aging
            .iter()
            .enumerate()
            .map(|(k, a)| charts::Dot {
                at: k,
                value: a.age_days as f64,
                tip: format!(
                    "{}{}: {} days in progress (since {}){}",
                    a.story,
                    a.title
                        .as_deref()
                        .map(|t| format!(" {t}"))
                        .unwrap_or_default(),
                    a.age_days,
                    a.started,
                    a.status
                        .as_deref()
                        .map(|s| format!(", {s}"))
                        .unwrap_or_default()
                ),
            })
            .collect();
        out.insert(
            "flow_aging",
            charts::scatter_svg(
                &format!("Work in progress of {} and its age", d.name),
                "days",
                &labels,
                &dots,
                &levels,
                charts::WIDE,
            )?,
        );
    }
    if !f.per_day.is_empty() {
        let labels: Vec<String> = f.per_day.iter().map(|x| day(x.0)).collect();
        out.insert(
            "flow_throughput",
            charts::line_svg(
                &format!("Throughput of {}: items done per day", d.name),
                "items",
                &labels,
                &[Line {
                    name: "done that day".into(),
                    values: f.per_day.iter().map(|x| Some(x.1 as f64)).collect(),
                    color: charts::COMPLETED,
                }],
                false,
                charts::WIDE,
            )?,
        );
    }
    if !f.cfd.is_empty() {
        let labels: Vec<String> = f.cfd.iter().map(|x| day(x.day)).collect();
        let stacked = |g: &dyn Fn(&crate::metrics::flow::CfdDay) -> usize| -> Vec<Option<f64>> {
            f.cfd.iter().map(|c| Some(g(c) as f64)).collect()
        };
        out.insert(
            "flow_cfd",
            charts::line_svg(
                &format!("Cumulative flow of {}: items by status category", d.name),
                "items",
                &labels,
                &[
                    Line {
                        name: "done".into(),
                        values: stacked(&|c| c.done),
                        color: charts::COMPLETED,
                    },
                    Line {
                        name: "+ in progress".into(),
                        values: stacked(&|c| c.done + c.in_progress),
                        color: charts::ACCENT,
                    },
                    Line {
                        name: "+ to do".into(),
                        values: stacked(&|c| c.done + c.in_progress + c.todo),
                        color: charts::MUTED,
                    },
                ],
                false,
                charts::WIDE,
            )?,
        );
    }
    Ok(())
}

/// Median cycle time per card, quarter by quarter: lines that fall while velocity rises mean
/// the cards inflate.
fn drift_svg(d: &crate::metrics::drift::TeamDrift) -> Result<String> {
    let labels: Vec<String> = d.quarters.iter().map(|q| q.quarter.clone()).collect();
    let mut cards: Vec<(f64, String)> = d
        .quarters
        .iter()
        .flat_map(|q| q.cards.iter().map(|c| (c.points, c.card.clone())))
        .collect();
    cards.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    cards.dedup_by(|a, b| a.1 == b.1);
    let palette = [
        charts::COMMITTED,
        charts::COMPLETED,
        charts::ACCENT,
        charts::MUTED,
        plotters::style::RGBColor(0x2e, 0x8b, 0x57),
        plotters::style::RGBColor(0x8e, 0x44, 0xad),
        plotters::style::RGBColor(0xc0, 0x39, 0x2b),
        plotters::style::RGBColor(0x16, 0xa0, 0x85),
    ];
    let lines: Vec<Line> = cards
        .iter()
        .enumerate()
        .map(|(i, (_, card))| Line {
            name: format!("{card} points"),
            values: d
                .quarters
                .iter()
                .map(|q| {
                    q.cards
                        .iter()
                        .find(|c| &c.card == card)
                        .and_then(|c| c.median_days)
                })
                .collect(),
            color: palette[i % palette.len()],
        })
        .filter(|l| l.values.iter().any(Option::is_some))
        .collect();
    charts::line_svg(
        "What a card means: median cycle time per card and quarter",
        "days",
        &labels,
        &lines,
        false,
        charts::WIDE,
    )
}

/// The printable reference stories of a team: one card per point value.
#[derive(Debug, Clone, Serialize)]
pub struct ReferencePage {
    #[serde(flatten)]
    pub head: Head,
    pub cards: Vec<crate::metrics::reference::CardReference>,
}

pub fn reference_page(d: &TeamData) -> ReferencePage {
    ReferencePage {
        head: d.head(),
        cards: d.reference.cards.clone(),
    }
}
