//! The estimation retrospective of one sprint: the stories that left their bucket (their
//! rounds' cards lowest first, no names; the outlier cards; re-estimation; carry-over), how
//! often discussion moved the sprint's re-voted stories toward the outcome, and the reference
//! stories for the next planning.

use crate::domain::ItemStatus;
use crate::error::Result;
use crate::metrics::outcome::{Discussed, Discussion};
use crate::metrics::reference::CardReference;
use crate::present::pages::data::{Head, RoundCards, TeamData, story_rounds};
use crate::store::Store;
use serde::Serialize;
use std::collections::HashSet;

/// What a sprint without a timed done item is told instead of its stories' buckets.
pub const NO_TIMED_ITEMS: &str = "No done item of this sprint has a cycle time (a start and a \
     completion time), so none can be set against the cycle times of its card.";

/// A story of the sprint whose outcome size is 2 or more cards from its estimate.
#[derive(Debug, Clone, Serialize)]
pub struct RetroStory {
    pub story: String,
    pub title: Option<String>,
    pub points: f64,
    pub estimate_card: String,
    pub outcome_card: String,
    /// Outcome step minus estimate step.
    pub steps: i64,
    pub cycle_days: f64,
    /// Every round's cards, lowest first, without names.
    pub rounds: Vec<RoundCards>,
    /// The first round's lowest and highest card, when they differed.
    pub outliers: Option<(String, String)>,
    /// Final estimate minus the first round's suggested points.
    pub reestimation: Option<f64>,
    /// Not done at the end of some sprint before it was done.
    pub carried_over: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SprintRetro {
    #[serde(flatten)]
    pub head: Head,
    pub sprint_id: String,
    pub title: String,
    /// The sprint's done items with a cycle time.
    pub timed_items: usize,
    pub left_bucket: Vec<RetroStory>,
    /// The sprint's re-voted stories against their outcome.
    pub discussion: Discussion,
    pub discussed: Vec<Discussed>,
    /// For the next planning: what each card means in this team.
    pub reference: Vec<CardReference>,
}

/// The retrospective of `sprint`, or `None` when the team has no such sprint.
pub fn sprint_retro(store: &Store, d: &TeamData, sprint: &str) -> Result<Option<SprintRetro>> {
    let Some(s) = d.velocity.sprints.iter().find(|s| s.sprint_id == sprint) else {
        return Ok(None);
    };
    let o = d.accuracy.outcomes.first();
    let left: Vec<_> = o
        .into_iter()
        .flat_map(|o| &o.left_bucket)
        .filter(|l| l.sprint_id == sprint)
        .collect();
    let wanted: HashSet<&str> = left.iter().map(|l| l.story.as_str()).collect();
    let mut rounds = story_rounds(store, &d.team, &wanted)?;
    let by_story = d.story_spread();
    let carried: HashSet<&str> = d
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::NotDone)
        .map(|i| i.story.as_str())
        .collect();
    let title = |story: &str| {
        d.items
            .iter()
            .find(|i| i.story == story)
            .and_then(|i| i.title.clone())
    };
    let left_bucket = left
        .iter()
        .map(|l| {
            let r = rounds.remove(&l.story).unwrap_or_default();
            let spread = by_story.get(l.story.as_str());
            RetroStory {
                story: l.story.clone(),
                title: title(&l.story),
                points: l.points,
                estimate_card: l.estimate_card.clone(),
                outcome_card: l.outcome_card.clone(),
                steps: l.steps,
                cycle_days: l.cycle_days,
                outliers: r
                    .first()
                    .filter(|x| x.round == 1)
                    .and_then(RoundCards::outliers),
                rounds: r,
                reestimation: spread.and_then(|s| {
                    s.final_estimate
                        .zip(s.first_suggested_value)
                        .map(|(f, first)| f - first)
                }),
                carried_over: carried.contains(l.story.as_str()),
            }
        })
        .collect();
    let discussed: Vec<Discussed> = o
        .into_iter()
        .flat_map(|o| &o.discussed)
        .filter(|x| x.sprint_id == sprint)
        .cloned()
        .collect();
    let timed_items = d
        .items
        .iter()
        .filter(|i| i.sprint_id == sprint && i.status == ItemStatus::Done && i.cycle_days.is_some())
        .count();
    Ok(Some(SprintRetro {
        head: d.head(),
        sprint_id: sprint.to_string(),
        title: s.title(),
        timed_items,
        left_bucket,
        discussion: Discussion::of(&discussed),
        discussed,
        reference: d.reference.cards.clone(),
    }))
}
