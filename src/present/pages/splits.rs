//! The Scrum Master's page: the split candidates, ranked, with their signals and the cards of
//! every round (lowest first, no names), and the thresholds in force.

use crate::metrics::splits;
use crate::present::pages::data::{Head, TeamData};
use crate::settings::{Settings, SplitThresholds};
use serde::Serialize;
use std::collections::BTreeMap;

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
    pub thresholds: SplitThresholds,
    pub candidates: Vec<SplitRow>,
    /// Stories some signal flags, scored below the cut: to watch.
    pub watch: Vec<SplitRow>,
    /// Stories whose signals 1-3 cannot be told (votes of the last round only) and trip none
    /// of the others.
    pub undecided: Vec<splits::SplitCandidate>,
}

pub fn split_page(
    d: &TeamData,
    settings: &Settings,
    cards: &BTreeMap<String, Vec<String>>,
) -> SplitPage {
    let rows = |list: &[splits::SplitCandidate]| -> Vec<SplitRow> {
        list.iter()
            .map(|c| SplitRow {
                candidate: c.clone(),
                cards: cards.get(&c.story).cloned().unwrap_or_default(),
            })
            .collect()
    };
    SplitPage {
        head: d.head(),
        stories_checked: d.splits.stories_checked,
        thresholds: settings.team(&d.team).split.clone(),
        candidates: rows(&d.splits.candidates),
        watch: rows(&d.splits.watch),
        undecided: d.splits.undecided.clone(),
    }
}
