//! A room's session after the fact: per story its rounds, the time it took, the first round's
//! spread, whether the room reached consensus, and what it decided; with its totals. As JSON
//! (`/api/v1/rooms/ROOM/summary`), as a page, and from the command line (`sprintlens room
//! export SESSION`): CSV is `key,estimate` for a tracker's bulk edit, Markdown is for the
//! team's wiki.

use crate::error::Result;
use crate::present::fmt::{md_text, num, pct};
use crate::present::table::{Format, Render, Table};
use crate::room::state::{Decision, Room};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct StorySummary {
    pub key: String,
    pub title: Option<String>,
    pub rounds: usize,
    /// From its first round's start to its decision (or last reveal).
    pub minutes: Option<f64>,
    /// Card steps between the lowest and highest card of its first round.
    pub first_spread: Option<i64>,
    /// Its last round was unanimous or within one card step.
    pub consensus: bool,
    pub decision: Option<Decision>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub stories: usize,
    pub estimated: usize,
    pub split: usize,
    pub undecided: usize,
    pub rounds: usize,
    pub mean_rounds: Option<f64>,
    /// Of the stories with a round, those whose last round reached consensus.
    pub consensus_share: Option<f64>,
    pub mean_first_spread: Option<f64>,
    pub points: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub title: String,
    pub team: String,
    pub session: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub participants: Vec<String>,
    pub stories: Vec<StorySummary>,
    pub totals: Totals,
}

/// The summary of a room's session.
pub fn summary(room: &Room) -> Summary {
    let stories: Vec<StorySummary> = room
        .stories
        .iter()
        .map(|s| {
            let start = s.rounds.first().map(|r| r.started_at);
            let end = s.decided_at.or(s.rounds.last().map(|r| r.revealed_at));
            let last = s.rounds.last();
            StorySummary {
                key: s.key.clone(),
                title: s.title.clone(),
                rounds: s.rounds.len(),
                minutes: start
                    .zip(end)
                    .map(|(a, b)| (b - a).num_milliseconds() as f64 / 60_000.0),
                first_spread: s.rounds.first().and_then(|r| r.help.spread_steps),
                consensus: last.is_some_and(|r| r.help.unanimous || r.help.near_consensus),
                decision: s.decision.clone(),
            }
        })
        .collect();
    let played: Vec<&StorySummary> = stories.iter().filter(|s| s.rounds > 0).collect();
    let mean = |v: Vec<f64>| crate::metrics::stats::mean(&v);
    let totals = Totals {
        stories: stories.len(),
        estimated: stories
            .iter()
            .filter(|s| matches!(s.decision, Some(Decision::Estimate { .. })))
            .count(),
        split: stories
            .iter()
            .filter(|s| matches!(s.decision, Some(Decision::Split { .. })))
            .count(),
        undecided: stories.iter().filter(|s| s.decision.is_none()).count(),
        rounds: stories.iter().map(|s| s.rounds).sum(),
        mean_rounds: mean(played.iter().map(|s| s.rounds as f64).collect()),
        consensus_share: (!played.is_empty())
            .then(|| played.iter().filter(|s| s.consensus).count() as f64 / played.len() as f64),
        mean_first_spread: mean(
            played
                .iter()
                .filter_map(|s| s.first_spread.map(|x| x as f64))
                .collect(),
        ),
        points: stories
            .iter()
            .filter_map(|s| match &s.decision {
                Some(Decision::Estimate { value, .. }) => *value,
                _ => None,
            })
            .sum(),
    };
    Summary {
        title: room.title.clone(),
        team: room.team.clone(),
        session: room.session.clone(),
        opened_at: room.opened_at,
        closed_at: room.closed_at,
        participants: room.participants.iter().map(|p| p.name.clone()).collect(),
        stories,
        totals,
    }
}

/// A decision in words: "5" (points), "split: the note", "not decided".
pub fn decision_text(d: &Option<Decision>) -> String {
    match d {
        Some(Decision::Estimate { card, .. }) => card.clone(),
        Some(Decision::Split { note }) if note.is_empty() => "split".to_string(),
        Some(Decision::Split { note }) => format!("split: {note}"),
        None => "not decided".to_string(),
    }
}

impl Render for Summary {
    fn tables(&self, format: Format) -> Result<String> {
        if format == Format::Csv {
            // For a tracker's bulk edit: the stories estimated, with their points.
            let mut t = Table::new(&["key", "estimate"], &[false, true]);
            for s in &self.stories {
                if let Some(Decision::Estimate { value: Some(v), .. }) = &s.decision {
                    t.row(vec![s.key.clone(), crate::domain::format_number(*v)]);
                }
            }
            return Ok(t.render(format));
        }
        let text = |s: &str| {
            if format == Format::Markdown {
                md_text(s)
            } else {
                s.to_string()
            }
        };
        let mut t = Table::new(
            &[
                "story",
                "title",
                "rounds",
                "minutes",
                "first spread",
                "consensus",
                "decision",
            ],
            &[false, false, true, true, true, false, false],
        );
        for s in &self.stories {
            t.row(vec![
                text(&s.key),
                text(s.title.as_deref().unwrap_or("")),
                s.rounds.to_string(),
                num(s.minutes, 1),
                s.first_spread.map_or("n/a".to_string(), |x| x.to_string()),
                if s.rounds == 0 {
                    "n/a".to_string()
                } else if s.consensus {
                    "yes".to_string()
                } else {
                    "no".to_string()
                },
                text(&decision_text(&s.decision)),
            ]);
        }
        let tot = &self.totals;
        let head = format!(
            "{} — team {}, session {} ({} participants)\n",
            text(&self.title),
            text(&self.team),
            text(&self.session),
            self.participants.len()
        );
        let foot = format!(
            "{} stories: {} estimated ({} points), {} to split, {} not decided; {} rounds (mean {} per story); consensus in {}; mean first-round spread {} card steps\n",
            tot.stories,
            tot.estimated,
            crate::domain::format_number(tot.points),
            tot.split,
            tot.undecided,
            tot.rounds,
            num(tot.mean_rounds, 1),
            pct(tot.consensus_share),
            num(tot.mean_first_spread, 1),
        );
        let body = t.render(format);
        Ok(if format == Format::Markdown {
            format!("## {head}\n{body}\n{foot}")
        } else {
            format!("{head}\n{body}\n{foot}")
        })
    }
}

/// The sessions held, a line each.
#[derive(Debug, Clone, Serialize)]
pub struct Sessions {
    pub sessions: Vec<SessionLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionLine {
    pub session: String,
    pub title: String,
    pub team: String,
    pub opened_at: DateTime<Utc>,
    pub closed: bool,
    pub totals: Totals,
}

impl Render for Sessions {
    fn tables(&self, format: Format) -> Result<String> {
        let mut t = Table::new(
            &[
                "session",
                "title",
                "team",
                "opened",
                "stories",
                "estimated",
                "to split",
                "state",
            ],
            &[false, false, false, false, true, true, true, false],
        );
        for s in &self.sessions {
            let text = |x: &str| {
                if format == Format::Markdown {
                    md_text(x)
                } else {
                    x.to_string()
                }
            };
            t.row(vec![
                text(&s.session),
                text(&s.title),
                text(&s.team),
                s.opened_at.format("%Y-%m-%d %H:%M").to_string(),
                s.totals.stories.to_string(),
                s.totals.estimated.to_string(),
                s.totals.split.to_string(),
                if s.closed { "closed" } else { "open" }.to_string(),
            ]);
        }
        Ok(t.render(format))
    }
}

/// The rooms the store keeps, read back (one that cannot be read is left out).
pub fn kept_rooms(kept: &[crate::store::rooms::KeptRoom]) -> Vec<Room> {
    kept.iter()
        .filter_map(|k| serde_json::from_str::<Room>(&k.state).ok())
        .collect()
}

/// Every session, newest first.
pub fn sessions(rooms: &[Room]) -> Sessions {
    let mut sessions: Vec<SessionLine> = rooms
        .iter()
        .map(|r| SessionLine {
            session: r.session.clone(),
            title: r.title.clone(),
            team: r.team.clone(),
            opened_at: r.opened_at,
            closed: r.closed_at.is_some(),
            totals: summary(r).totals,
        })
        .collect();
    sessions.sort_by_key(|s| std::cmp::Reverse(s.opened_at));
    Sessions { sessions }
}

/// The room of a session, named by its session (exactly) or its title (in any case).
pub fn find<'a>(rooms: &'a [Room], named: &str) -> std::result::Result<&'a Room, String> {
    if let Some(r) = rooms.iter().find(|r| r.session == named) {
        return Ok(r);
    }
    let by_title: Vec<&Room> = rooms
        .iter()
        .filter(|r| r.title.to_lowercase() == named.trim().to_lowercase())
        .collect();
    match by_title.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no room session \"{}\"; {}",
            crate::error::shown(named),
            if rooms.is_empty() {
                "the store has none".to_string()
            } else {
                format!(
                    "the store has {} (`sprintlens room list`): {}",
                    rooms.len(),
                    crate::error::shown_list(
                        &rooms.iter().map(|r| r.session.as_str()).collect::<Vec<_>>(),
                        5
                    )
                )
            }
        )),
        _ => Err(format!(
            "{} rooms are titled \"{}\": name one by its session (`sprintlens room list`)",
            by_title.len(),
            crate::error::shown(named)
        )),
    }
}
