//! Help at the reveal, from the round's cards and what the store knows of the team: the spread
//! in card steps and whether it is consensus (the definitions of the spread report, computed by
//! the same function), the lowest and highest voters ("talk first"), the suggested card, up to
//! three of the team's reference stories for each card played, and the split hint where it
//! applies, worded as the split page words it.

use crate::metrics::splits::{large, rarely_finished, velocity_share};
use crate::metrics::spread::{DeckCards, round_from_votes};
use crate::present::pages::data::TeamData;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};

/// The cards at one end of the round and who played them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub card: String,
    pub voters: Vec<String>,
}

/// What a card played has meant in the team's past work.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardMeaning {
    pub card: String,
    /// "PAY-142 Refund flow (4.5 days)".
    pub stories: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Help {
    /// Card steps between the lowest and the highest numeric card.
    pub spread_steps: Option<i64>,
    pub unanimous: bool,
    pub near_consensus: bool,
    /// In words: "unanimous", "near consensus (one step)", "2 steps apart", ...
    pub consensus: String,
    /// The lowest and the highest cards, when they differ: who talks first.
    pub low: Option<Side>,
    pub high: Option<Side>,
    /// The median snapped to the nearest card.
    pub suggested_card: Option<String>,
    pub suggested_points: Option<f64>,
    pub mean: Option<f64>,
    pub question_votes: usize,
    /// Up to three reference stories of the team per numeric card played.
    pub meanings: Vec<CardMeaning>,
    /// Why the story may be worth splitting at the suggested size (empty: no hint).
    pub split: Vec<String>,
}

/// The help for a round of `votes` (name, card) on the room's deck `cards` (each card with its
/// points), for team `team` as `data` (its reports, when the store has the team) and the
/// settings know it.
pub fn help(
    key: (&str, &str, &str, i64),
    votes: &[(&str, &str)],
    cards: &DeckCards,
    data: Option<&TeamData>,
    settings: &Settings,
) -> Help {
    let r = round_from_votes(key, votes, cards);
    let side = |names: &[crate::metrics::spread::Name], first: bool| -> Option<Side> {
        if names.is_empty() {
            return None;
        }
        let mut played: Vec<(usize, &str)> = votes
            .iter()
            .filter_map(|(n, c)| {
                let k = cards.iter().position(|(d, v)| &**d == *c && v.is_some())?;
                names.iter().any(|m| &**m == *n).then_some((k, *c))
            })
            .collect();
        played.sort_unstable();
        let card = if first { played.first() } else { played.last() }?
            .1
            .to_string();
        Some(Side {
            card,
            voters: names.iter().map(|n| n.to_string()).collect(),
        })
    };
    let consensus = match r.spread_steps {
        None => "no numeric card".to_string(),
        Some(0) if r.unanimous => "unanimous".to_string(),
        Some(0) => "the same card (not unanimous: a ? or a single card)".to_string(),
        Some(1) => "near consensus (one card step apart)".to_string(),
        Some(s) => format!("{s} card steps apart"),
    };
    let mut played: Vec<&str> = Vec::new();
    for (_, c) in votes {
        if cards.iter().any(|(d, v)| &**d == *c && v.is_some()) && !played.contains(c) {
            played.push(c);
        }
    }
    played.sort_by_key(|c| cards.iter().position(|(d, _)| &**d == *c));
    let meanings = data
        .map(|d| {
            played
                .iter()
                .filter_map(|c| {
                    let refs = d.reference.cards.iter().find(|r| r.card == *c)?;
                    Some(CardMeaning {
                        card: c.to_string(),
                        stories: refs
                            .stories
                            .iter()
                            .take(3)
                            .map(|s| match &s.title {
                                Some(t) => format!(
                                    "{} {t} ({} days)",
                                    s.story,
                                    crate::present::fmt::num(Some(s.cycle_days), 1)
                                ),
                                None => format!(
                                    "{} ({} days)",
                                    s.story,
                                    crate::present::fmt::num(Some(s.cycle_days), 1)
                                ),
                            })
                            .collect(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let split = r
        .suggested_value
        .map(|e| split_hint(e, key.0, data, settings))
        .unwrap_or_default();
    Help {
        spread_steps: r.spread_steps,
        unanimous: r.unanimous,
        near_consensus: r.near_consensus,
        consensus,
        low: side(&r.low_voters, true),
        high: side(&r.high_voters, false),
        suggested_card: r.suggested_card.map(|c| c.to_string()),
        suggested_points: r.suggested_value,
        mean: r.mean,
        question_votes: r.question_votes,
        meanings,
        split,
    }
}

/// The split page's signals 4 to 6 for an estimate of `e` points: at least `max_points`, at
/// least `velocity_share` of the rolling velocity, or a size the team rarely finishes.
fn split_hint(e: f64, team: &str, data: Option<&TeamData>, settings: &Settings) -> Vec<String> {
    let th = &settings.team(team).split;
    let rolling = data.and_then(|d| d.summary()).and_then(|t| t.rolling_mean);
    let rare = data.and_then(|d| {
        let buckets = &d.accuracy.buckets;
        let done = buckets
            .iter()
            .find(|b| b.points == e)
            .map_or(0, |b| b.items);
        let usual_max = buckets
            .iter()
            .filter(|b| b.items as i64 >= th.min_items)
            .map(|b| b.points)
            .fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.max(p))));
        rarely_finished(e, done, usual_max, th)
    });
    [large(e, th), velocity_share(e, rolling, th), rare]
        .into_iter()
        .flatten()
        .map(|s| s.reason)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deck() -> DeckCards {
        [1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0]
            .iter()
            .map(|v| (format!("{v}").as_str().into(), Some(*v)))
            .collect()
    }

    #[test]
    fn the_reveal_says_the_spread_who_talks_first_and_the_suggested_card() {
        let s = Settings::default();
        let k = ("pay", "room", "PAY-1", 1);
        // 3, 5, 5, 13: steps 2..5, three steps apart; the median 5 is the suggested card.
        let h = help(
            k,
            &[
                ("Ann", "3"),
                ("Bob", "5"),
                ("Cy", "5"),
                ("Dee", "13"),
                ("Eve", "?"),
            ],
            &deck(),
            None,
            &s,
        );
        assert_eq!(h.spread_steps, Some(3));
        assert_eq!(h.consensus, "3 card steps apart");
        assert_eq!(
            h.low,
            Some(Side {
                card: "3".into(),
                voters: vec!["Ann".into()]
            })
        );
        assert_eq!(
            h.high,
            Some(Side {
                card: "13".into(),
                voters: vec!["Dee".into()]
            })
        );
        assert_eq!(h.suggested_card.as_deref(), Some("5"));
        assert_eq!(h.question_votes, 1);
        assert!(!h.unanimous && !h.near_consensus);
        assert!(h.split.is_empty(), "{:?}", h.split);
        // All on 13: unanimous, and at the default max_points (13) the split hint says so.
        let h = help(k, &[("Ann", "13"), ("Bob", "13")], &deck(), None, &s);
        assert_eq!((h.spread_steps, h.unanimous), (Some(0), true));
        assert_eq!(h.consensus, "unanimous");
        assert_eq!(h.low, None);
        assert_eq!(
            h.split,
            vec!["estimated at 13 points (threshold 13)".to_string()]
        );
        // No numeric card.
        let h = help(k, &[("Ann", "?"), ("Bob", "☕")], &deck(), None, &s);
        assert_eq!(h.spread_steps, None);
        assert_eq!(h.consensus, "no numeric card");
    }
}
