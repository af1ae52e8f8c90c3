//! The Sprint Review page of one sprint: committed, added, removed and completed, say/do,
//! carry-over, the sprint's estimation quality, what to split next, and the forecast.

use crate::domain::ItemStatus;
use crate::error::{Error, Result};
use crate::metrics::accuracy;
use crate::metrics::forecast::TeamForecast;
use crate::metrics::{splits, spread, velocity};
use crate::present::charts;
use crate::present::pages::data::{Head, SpreadSummary, TeamData, mean_of};
use serde::Serialize;
use std::collections::BTreeMap;

/// Split candidates shown on a Sprint Review.
pub const REVIEW_SPLITS: usize = 5;

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
    pub status: ItemStatus,
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
    /// The sprint by the day (scope, done, what came in and went out), where its stories have
    /// sprint events.
    pub history: Option<crate::metrics::history::SprintHistory>,
}

/// The Sprint Review of `sprint`, or `None` when the team has no such sprint.
pub fn sprint_review(d: &TeamData, sprint: &str) -> Option<SprintReview> {
    let sprints = &d.velocity.sprints;
    let idx = sprints.iter().position(|s| s.sprint_id == sprint);
    let planned;
    let s = match idx {
        Some(i) => &sprints[i],
        // A sprint of the sprints file with nothing recorded yet has a page that says so.
        None => {
            let p = d.planned.iter().find(|p| p.sprint_id == sprint)?;
            planned = velocity::SprintVelocity::nothing_yet(
                &d.team,
                d.program.clone(),
                &p.sprint_id,
                p.name.clone(),
                (p.start_date, p.end_date),
                d.as_of,
            );
            &planned
        }
    };
    // Its neighbours in the team's history: by position, or for a sprint with nothing
    // recorded, by start day.
    let start = s.start_date.clone();
    let (previous, next) = match idx {
        Some(i) => (
            i.checked_sub(1).map(|i| sprints[i].sprint_id.clone()),
            sprints.get(i + 1).map(|x| x.sprint_id.clone()),
        ),
        None => (
            sprints
                .iter()
                .rev()
                .find(|x| x.start_date.is_some() && x.start_date < start)
                .map(|x| x.sprint_id.clone()),
            sprints
                .iter()
                .find(|x| x.start_date.is_some() && x.start_date > start)
                .map(|x| x.sprint_id.clone()),
        ),
    };
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
                status: i.status,
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
        .filter(|st| st.status == ItemStatus::Done)
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
        previous,
        next,
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
        history: d.history.iter().find(|h| h.sprint_id == sprint).cloned(),
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
    if let Some(h) = &r.history {
        out.insert("burnup", burnup_svg(h, &r.title)?);
    }
    let marks: Vec<(f64, f64, String)> = r
        .stories
        .iter()
        .filter(|s| s.status == ItemStatus::Done)
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

/// The sprint's burnup: scope and done at the end of each day; the days with a scope change
/// marked, their stories in the mark's tooltip; the planned end and the close named on the axis.
fn burnup_svg(h: &crate::metrics::history::SprintHistory, title: &str) -> Result<String> {
    use crate::present::fmt::num;
    let labels: Vec<String> = h
        .days
        .iter()
        .map(|d| {
            let mut l = d.day.format("%m-%d").to_string();
            if h.closed_at.is_some_and(|c| c.date() == d.day) {
                l.push_str(" closed");
            } else if d.day == h.planned_end {
                l.push_str(" planned end");
            }
            l
        })
        .collect();
    let notes: Vec<String> = h
        .days
        .iter()
        .map(|d| {
            h.changes
                .iter()
                .filter(|c| c.at.date() == d.day)
                .map(|c| match c.change.as_str() {
                    "re-estimated" => format!(
                        "{} re-estimated {} → {}",
                        c.story,
                        num(c.old_points, 2),
                        num(c.points, 2)
                    ),
                    other => format!("{} {other} ({} points)", c.story, num(c.points, 2)),
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect();
    let marks: Vec<Option<f64>> = h
        .days
        .iter()
        .zip(&notes)
        .map(|(d, n)| if n.is_empty() { None } else { d.scope })
        .collect();
    let lines = [
        charts::Line {
            name: "scope".into(),
            values: h.days.iter().map(|d| d.scope).collect(),
            color: charts::COMMITTED,
        },
        charts::Line {
            name: "done".into(),
            values: h.days.iter().map(|d| d.done).collect(),
            color: charts::COMPLETED,
        },
        charts::Line {
            name: "scope changed".into(),
            values: marks,
            color: charts::ACCENT2,
        },
    ];
    charts::line_svg_noted(
        &format!("Sprint burnup of {title}: scope and done by day"),
        "points",
        &labels,
        &lines,
        &notes,
        charts::WIDE,
    )
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
