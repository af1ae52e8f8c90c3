//! Reference stories: per team and card, up to three recent done stories that show what the
//! card means in this team, to lay on the table at the next Planning Poker session.
//!
//! A card's bucket is the team's done items whose points snap to it, with a cycle time; it
//! needs [`outcome::MIN_BUCKET`] items. Its stories are ranked: quick consensus first (agreed
//! within `quick_rounds` (2) rounds; stories without known rounds next; slower ones are left
//! out), then nearest the bucket's median cycle time (in ln days), then most recent. Stories
//! done in the `recent_days` (182) days before the day of the report come first; older ones
//! only fill a card that has fewer than three recent ones (`[retro]` in sprintlens.toml).

use crate::error::Result;
use crate::metrics::done::DoneRow;
use crate::metrics::outcome;
use crate::metrics::spread::{self, DeckCards, SpreadReport};
use crate::metrics::stats::{quantile_sorted, sorted};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Reference stories per card.
pub const PER_CARD: usize = 3;

/// What a team without reference stories is told (a card needs [`outcome::MIN_BUCKET`] done
/// items with a cycle time).
pub const NO_CARDS: &str =
    "No card has three done items with a cycle time (a start and a completion time) yet.";

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ReferenceStory {
    pub story: String,
    pub title: Option<String>,
    pub sprint_id: String,
    pub cycle_days: f64,
    /// Rounds the story took (unknown without votes, or when only the last round is kept).
    pub rounds: Option<i64>,
    pub completed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CardReference {
    pub card: String,
    pub points: f64,
    /// Done items with a cycle time in the bucket.
    pub items: usize,
    pub median_days: f64,
    pub stories: Vec<ReferenceStory>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TeamReference {
    pub team: String,
    /// Smallest card first.
    pub cards: Vec<CardReference>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReferenceReport {
    pub as_of: NaiveDate,
    pub teams: Vec<TeamReference>,
}

impl ReferenceReport {
    /// "PAY-142 (5)": the first reference story of `team`'s card of exactly `points` points.
    pub fn sized_like(&self, team: &str, points: f64) -> Option<String> {
        // Teams come in name order.
        let i = self
            .teams
            .binary_search_by(|t| t.team.as_str().cmp(team))
            .ok()?;
        let t = &self.teams[i];
        t.cards.iter().find(|c| c.points == points).and_then(|c| {
            c.stories
                .first()
                .map(|s| format!("{} ({})", s.story, c.card))
        })
    }
}

/// A story's rounds (unknown when they are not all kept) and rounds to consensus
/// (`i64::MAX` when never; unknown when not all kept).
type StoryRounds = (Option<i64>, Option<i64>);

/// How a story ranks for its card: slow consensus (0 quick, 1 unknown), not recent, the gap
/// of ln days to the card's median, most recent first.
type Rank = (u8, bool, f64, std::cmp::Reverse<Option<NaiveDateTime>>);

/// A done item with a size and a cycle time, as the reference reads it.
struct Done<'a> {
    row: &'a DoneRow,
    points: f64,
    days: f64,
}

pub fn reference(
    decks: &HashMap<String, DeckCards>,
    done: &[DoneRow],
    as_of: NaiveDate,
    spread_report: &SpreadReport,
    th: &crate::settings::Retro,
) -> Result<ReferenceReport> {
    let mut per_team: BTreeMap<&str, Vec<Done>> = BTreeMap::new();
    for row in done {
        let (Some(points), Some(days)) = (row.points, row.cycle_days) else {
            continue;
        };
        let done_by = row.completed_at.is_none_or(|c| c.date() <= as_of);
        if days > 0.0 && done_by {
            per_team
                .entry(&row.team)
                .or_default()
                .push(Done { row, points, days });
        }
    }
    // Rounds per (team, story) of the estimation with the most rounds; unknown when its
    // rounds are not all kept.
    let rounds: HashMap<(&str, &str), StoryRounds> = spread_report
        .by_story()
        .into_iter()
        .map(|(k, s)| {
            let known = (!s.last_round_only).then_some(s.rounds);
            let to_consensus = known.map(|_| s.rounds_to_consensus.unwrap_or(i64::MAX));
            (k, (known, to_consensus))
        })
        .collect();
    let recent_from = as_of - chrono::Duration::days(th.recent_days);
    let mut teams = Vec::new();
    for (t, items) in per_team {
        let Some(deck) = decks.get(t) else { continue };
        let mut buckets: BTreeMap<usize, Vec<&Done>> = BTreeMap::new();
        for d in &items {
            if let Some((k, _)) = spread::snap(deck, d.points) {
                buckets.entry(k).or_default().push(d);
            }
        }
        let mut cards = Vec::new();
        for (k, bucket) in buckets {
            if bucket.len() < outcome::MIN_BUCKET {
                continue;
            }
            let days: Vec<f64> = bucket.iter().map(|d| d.days).collect();
            let Some(median) = quantile_sorted(&sorted(&days), 0.5) else {
                continue;
            };
            let mut ranked: Vec<(Rank, &Done)> = bucket
                .iter()
                .filter_map(|d| {
                    let (_, to) = rounds
                        .get(&(t, d.row.story.as_str()))
                        .copied()
                        .unwrap_or((None, None));
                    let speed = match to {
                        Some(r) if r <= th.quick_rounds => 0,
                        Some(_) => return None,
                        None => 1,
                    };
                    let recent = d.row.completed_at.is_some_and(|c| c.date() >= recent_from);
                    let rank: Rank = (
                        speed,
                        !recent,
                        (d.days.ln() - median.ln()).abs(),
                        std::cmp::Reverse(d.row.completed_at),
                    );
                    Some((rank, *d))
                })
                .collect();
            ranked.sort_by(|(a, x), (b, y)| {
                (a.0, a.1)
                    .cmp(&(b.0, b.1))
                    .then(a.2.partial_cmp(&b.2).expect("finite"))
                    .then(a.3.cmp(&b.3))
                    .then(x.row.story.cmp(&y.row.story))
            });
            let stories: Vec<ReferenceStory> = ranked
                .into_iter()
                .take(PER_CARD)
                .map(|(_, d)| ReferenceStory {
                    story: d.row.story.clone(),
                    title: d.row.title.clone(),
                    sprint_id: d.row.sprint_id.clone(),
                    cycle_days: d.days,
                    rounds: rounds.get(&(t, d.row.story.as_str())).and_then(|r| r.0),
                    completed_at: d.row.completed_at,
                })
                .collect();
            cards.push(CardReference {
                card: deck[k].0.to_string(),
                points: deck[k].1.unwrap_or(f64::NAN),
                items: bucket.len(),
                median_days: median,
                stories,
            });
        }
        teams.push(TeamReference {
            team: t.to_string(),
            cards,
        });
    }
    Ok(ReferenceReport { as_of, teams })
}
