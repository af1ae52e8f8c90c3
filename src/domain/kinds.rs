//! The kinds of canonical data (the store's tables) and the status of a sprint item.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of canonical data a native file can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Teams,
    Decks,
    Sprints,
    Stories,
    Votes,
    SprintItems,
    SprintSummaries,
    SprintEvents,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Teams,
        Kind::Decks,
        Kind::Sprints,
        Kind::Stories,
        Kind::Votes,
        Kind::SprintItems,
        Kind::SprintSummaries,
        Kind::SprintEvents,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Teams => "teams",
            Kind::Decks => "decks",
            Kind::Sprints => "sprints",
            Kind::Stories => "stories",
            Kind::Votes => "votes",
            Kind::SprintItems => "sprint_items",
            Kind::SprintSummaries => "sprint_summaries",
            Kind::SprintEvents => "sprint_events",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        let n = s.trim().to_lowercase().replace('-', "_");
        let n = n.as_str();
        Kind::ALL.into_iter().find(|k| {
            k.name() == n
                || matches!(
                    (k, n),
                    (Kind::SprintItems, "items" | "outcomes")
                        | (Kind::SprintSummaries, "summaries" | "velocity")
                        | (Kind::Votes, "vote")
                        | (Kind::Stories, "story")
                        | (Kind::SprintEvents, "events" | "history")
                )
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Status of a sprint item at the sprint's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Done,
    NotDone,
    Removed,
}

impl ItemStatus {
    /// The status as the store holds it (`done`, `not_done`, `removed`).
    pub fn parse(s: &str) -> Option<ItemStatus> {
        [ItemStatus::Done, ItemStatus::NotDone, ItemStatus::Removed]
            .into_iter()
            .find(|k| k.name() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            ItemStatus::Done => "done",
            ItemStatus::NotDone => "not_done",
            ItemStatus::Removed => "removed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_parse() {
        assert_eq!(Kind::parse("sprint-items"), Some(Kind::SprintItems));
        assert_eq!(Kind::parse("summaries"), Some(Kind::SprintSummaries));
        for s in [ItemStatus::Done, ItemStatus::NotDone, ItemStatus::Removed] {
            assert_eq!(ItemStatus::parse(s.name()), Some(s));
        }
        assert_eq!(ItemStatus::parse("Done"), None);
    }
}
