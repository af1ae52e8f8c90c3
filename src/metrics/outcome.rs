//! Estimates against outcomes: each done item's *outcome size* (the card whose cycle times it
//! resembles), the items that left their bucket, and whether discussion moved the room's
//! estimate toward the outcome (with a sign test).
//!
//! Definitions (README "Estimates against outcomes"):
//! - a team's size bucket of card c: the ln(cycle days) of its done items whose points snap to c;
//! - outcome size of a done item with cycle time d > 0: the card c whose bucket median (the
//!   item itself left out; buckets of at least [`MIN_BUCKET`] other items) is nearest to ln d;
//!   ties go to the smaller card;
//! - an item *left its bucket* when its outcome size is 2 or more deck steps from its estimate;
//! - discussion helped a story (2+ rounds, every round known) when its final estimate is
//!   nearer the outcome size, in deck steps, than the first round's suggested card; the share
//!   counts stories where the two differ, and the two-sided sign test asks whether nearer and
//!   farther could be a coin's toss.

use crate::error::Result;
use crate::metrics::done::{AccuracyQuery, DoneRow};
use crate::metrics::spread::{self, DeckCards, Name, SpreadReport};
use crate::metrics::stats::quantile_sorted;
use crate::store::Store;
use duckdb::arrow::array::{Array, AsArray, Float64Array};
use duckdb::arrow::datatypes::Int32Type;
use serde::Serialize;
use statrs::distribution::{Binomial, DiscreteCDF};
use std::collections::{BTreeMap, HashMap};

/// The fewest other items a bucket needs to stand for its card.
pub const MIN_BUCKET: usize = 3;

/// Steps between estimate and outcome from which an item left its bucket.
pub const LEFT_BUCKET_STEPS: i64 = 2;

pub const ROUND1_VOTES: &str = include_str!("../../queries/metrics/round1_votes.sql");

/// A done item whose outcome size is 2 or more steps from its estimate.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct LeftBucket {
    pub sprint_id: String,
    pub story: String,
    pub points: f64,
    pub estimate_card: String,
    pub outcome_card: String,
    /// Outcome step minus estimate step: above zero, it behaved like a larger card.
    pub steps: i64,
    pub cycle_days: f64,
}

/// Did discussion move estimates toward the outcome?
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Discussion {
    /// Stories with 2+ rounds, a first-round suggestion, a final estimate and an outcome size.
    pub stories: usize,
    pub nearer: usize,
    pub farther: usize,
    pub ties: usize,
    /// nearer / (nearer + farther).
    pub nearer_share: Option<f64>,
    /// Two-sided sign test of nearer against farther (ties left out).
    pub p_value: Option<f64>,
}

/// One discussed story: where its final estimate ended against the first round's suggestion,
/// measured from the outcome size.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Discussed {
    pub sprint_id: String,
    pub story: String,
    /// "nearer", "farther" or "same".
    pub moved: std::borrow::Cow<'static, str>,
}

/// A voter's first-round cards against the room's final card and against the outcome size.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct VoterOutcome {
    /// Pseudonymised ("voter 3").
    pub voter: String,
    /// First-round numeric votes on done stories with a cycle time and a known final card.
    pub room_votes: usize,
    /// mean |k(vote) - k(final)|: agreeing with the room, not being right.
    pub room_mean_abs_steps: Option<f64>,
    /// First-round numeric votes on stories with an outcome size.
    pub outcome_votes: usize,
    /// mean |k(vote) - k(outcome)|: reading size well.
    pub outcome_mean_abs_steps: Option<f64>,
    /// mean k(vote) - k(outcome): above zero, the voter's cards run larger than the work was.
    pub outcome_bias_steps: Option<f64>,
}

/// First rounds whose cards differed, on stories with an outcome size: was the lowest or the
/// highest card (the "let's talk" pair) nearer the outcome?
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TalkPair {
    pub rounds: usize,
    pub low_nearer: usize,
    pub high_nearer: usize,
    pub same: usize,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TeamOutcomes {
    pub team: String,
    /// Done items with an outcome size.
    pub items: usize,
    pub left_bucket: Vec<LeftBucket>,
    pub left_bucket_share: Option<f64>,
    pub discussion: Discussion,
    /// Each story counted in `discussion`.
    pub discussed: Vec<Discussed>,
    pub talk_pair: TalkPair,
    /// By pseudonym ("voter 2" before "voter 10").
    pub voters: Vec<VoterOutcome>,
}

impl Discussion {
    /// The counts, share and sign test of some discussed stories.
    pub fn of<'a>(stories: impl IntoIterator<Item = &'a Discussed>) -> Discussion {
        let mut d = Discussion::default();
        for s in stories {
            d.stories += 1;
            match &*s.moved {
                "nearer" => d.nearer += 1,
                "farther" => d.farther += 1,
                _ => d.ties += 1,
            }
        }
        let decided = d.nearer + d.farther;
        d.nearer_share = (decided > 0).then(|| d.nearer as f64 / decided as f64);
        d.p_value = sign_test(d.nearer, d.farther);
        d
    }
}

/// The median of `sorted` without its element at `skip`.
fn median_without(sorted: &[f64], skip: usize) -> Option<f64> {
    let n = sorted.len().checked_sub(1)?;
    if n == 0 {
        return None;
    }
    let at = |k: usize| if k < skip { sorted[k] } else { sorted[k + 1] };
    Some(if n % 2 == 1 {
        at(n / 2)
    } else {
        (at(n / 2 - 1) + at(n / 2)) / 2.0
    })
}

/// Per item (its estimate step and cycle days), its outcome step: see the module's definition.
pub fn outcome_steps(items: &[(usize, f64)]) -> Vec<Option<usize>> {
    // Each bucket's ln(days), sorted, and where each item sits in its own bucket.
    let mut buckets: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for &(k, d) in items {
        if d > 0.0 {
            buckets.entry(k).or_default().push(d.ln());
        }
    }
    for v in buckets.values_mut() {
        v.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    }
    items
        .iter()
        .map(|&(own, d)| {
            if d <= 0.0 {
                return None;
            }
            let x = d.ln();
            let mut best: Option<(usize, f64)> = None;
            for (&k, v) in &buckets {
                let median = if k == own {
                    let at = v
                        .iter()
                        .position(|y| *y == x)
                        .expect("the item is in its bucket");
                    if v.len() - 1 < MIN_BUCKET {
                        continue;
                    }
                    median_without(v, at)
                } else {
                    if v.len() < MIN_BUCKET {
                        continue;
                    }
                    quantile_sorted(v, 0.5)
                };
                let Some(m) = median else { continue };
                let gap = (x - m).abs();
                // Buckets come smallest card first: a tie keeps the smaller card.
                if best.is_none_or(|(_, g)| gap < g) {
                    best = Some((k, gap));
                }
            }
            best.map(|(k, _)| k)
        })
        .collect()
}

/// Two-sided sign test: the probability of a split at least as uneven as `a` against `b` when
/// each is a coin's toss.
pub fn sign_test(a: usize, b: usize) -> Option<f64> {
    let n = (a + b) as u64;
    if n == 0 {
        return None;
    }
    let low = a.min(b) as u64;
    let bin = Binomial::new(0.5, n).ok()?;
    Some((2.0 * bin.cdf(low)).min(1.0))
}

/// The outcomes of the done items of `q`'s teams, with the spread's stories for discussion.
pub fn outcomes(
    store: &Store,
    q: &AccuracyQuery,
    decks: &HashMap<String, DeckCards>,
    done: &[DoneRow],
    spread_report: &SpreadReport,
    show_names: bool,
) -> Result<Vec<TeamOutcomes>> {
    // Per team: (sprint, story, points, cycle days) of its timed done items since the day of the
    // query; every sprint sizes the buckets (a sprint's report keeps its own items below).
    let mut per_team: BTreeMap<String, Vec<(String, String, f64, f64)>> = BTreeMap::new();
    for d in done.iter().filter(|d| d.chosen(None, q.since)) {
        if let (Some(p), Some(days)) = (d.points, d.cycle_days) {
            per_team.entry(d.team.clone()).or_default().push((
                d.sprint_id.clone(),
                d.story.clone(),
                p,
                days,
            ));
        }
    }
    let estimated = spread_report.by_story();
    // Per team: each first round's numeric votes (story, session, voter, step) and the story's
    // final estimate.
    let mut firsts: HashMap<String, Vec<Round1Vote>> = HashMap::new();
    // Names shared by the rows that carry them: a round's votes come together (its story and
    // session repeat from row to row), and a team's few voters vote in every round.
    let mut last: (Name, Name) = (Name::from(""), Name::from(""));
    let mut voters: HashMap<String, Name> = HashMap::new();
    store.each_arrow_batch(
        "round1_votes",
        ROUND1_VOTES,
        duckdb::params![q.team, q.program],
        &mut |b| {
            let text = |i: usize| b.column(i).as_string::<i32>();
            let (team, story, session, voter) = (text(0), text(1), text(2), text(3));
            let step = b.column(4).as_primitive::<Int32Type>();
            let estimate: &Float64Array = b.column(5).as_primitive();
            for row in 0..b.num_rows() {
                let t = team.value(row);
                let list = match firsts.get_mut(t) {
                    Some(l) => l,
                    None => firsts.entry(t.to_string()).or_default(),
                };
                if *last.0 != *story.value(row) {
                    last.0 = Name::from(story.value(row));
                }
                if *last.1 != *session.value(row) {
                    last.1 = Name::from(session.value(row));
                }
                let v = voter.value(row);
                let voter = match voters.get(v) {
                    Some(n) => n.clone(),
                    None => voters.entry(v.to_string()).or_insert(Name::from(v)).clone(),
                };
                list.push(Round1Vote {
                    story: last.0.clone(),
                    session: last.1.clone(),
                    voter,
                    step: i64::from(step.value(row)),
                    estimate: estimate.is_valid(row).then(|| estimate.value(row)),
                });
            }
        },
    )?;
    // Pseudonyms unless names were asked for (a voter without one shows as stored).
    let names = if show_names {
        HashMap::new()
    } else {
        spread::voter_pseudonyms(
            store,
            q.team,
            q.program,
            spread_report.voter_rows.as_deref(),
        )?
    };
    let mut out = Vec::new();
    for (team, items) in per_team {
        let Some(deck) = decks.get(&team) else {
            continue;
        };
        let (mut result, story_steps) = team_outcomes(&team, deck, &items, &estimated, q.sprint);
        let mut votes = firsts.remove(&team).unwrap_or_default();
        // Each first round's votes together.
        votes.sort_unstable_by(|a, b| (&a.story, &a.session).cmp(&(&b.story, &b.session)));
        let none = HashMap::new();
        let shown = names.get(&team).unwrap_or(&none);
        let (voters, pair) = voters_and_pair(deck, &votes, &story_steps, shown);
        result.voters = voters;
        result.talk_pair = pair;
        out.push(result);
    }
    Ok(out)
}

/// One numeric vote of a first round.
struct Round1Vote {
    story: Name,
    session: Name,
    voter: Name,
    step: i64,
    estimate: Option<f64>,
}

/// Each voter's first-round cards against the room's final card and the outcome; and the
/// "let's talk" pair against the outcome. `outcome` maps a story to its outcome step.
fn voters_and_pair(
    deck: &DeckCards,
    votes: &[Round1Vote],
    outcome: &HashMap<String, usize>,
    shown: &HashMap<String, String>,
) -> (Vec<VoterOutcome>, TalkPair) {
    // voter -> (room n, room sum |d|, outcome n, outcome sum |d|, outcome sum d)
    let mut sums: BTreeMap<&str, (usize, i64, usize, i64, i64)> = BTreeMap::new();
    let mut pair = TalkPair::default();
    for round in votes.chunk_by(|a, b| a.story == b.story && a.session == b.session) {
        let final_step = round[0]
            .estimate
            .and_then(|e| spread::snap(deck, e))
            .map(|(s, _)| s as i64);
        let out_step = outcome.get(&*round[0].story).map(|s| *s as i64);
        for v in round {
            let name = shown.get(&*v.voter).map_or(&*v.voter, String::as_str);
            let e = sums.entry(name).or_default();
            if let Some(f) = final_step {
                e.0 += 1;
                e.1 += (v.step - f).abs();
            }
            if let Some(o) = out_step {
                e.2 += 1;
                e.3 += (v.step - o).abs();
                e.4 += v.step - o;
            }
        }
        let (lo, hi) = (
            round.iter().map(|v| v.step).min(),
            round.iter().map(|v| v.step).max(),
        );
        if let (Some(o), Some(lo), Some(hi)) = (out_step, lo, hi)
            && lo < hi
        {
            pair.rounds += 1;
            match (lo - o).abs().cmp(&(hi - o).abs()) {
                std::cmp::Ordering::Less => pair.low_nearer += 1,
                std::cmp::Ordering::Greater => pair.high_nearer += 1,
                std::cmp::Ordering::Equal => pair.same += 1,
            }
        }
    }
    let per = |sum: i64, n: usize| (n > 0).then(|| sum as f64 / n as f64);
    let mut voters: Vec<VoterOutcome> = sums
        .into_iter()
        .map(|(voter, (rn, ra, on, oa, os))| VoterOutcome {
            voter: voter.to_string(),
            room_votes: rn,
            room_mean_abs_steps: per(ra, rn),
            outcome_votes: on,
            outcome_mean_abs_steps: per(oa, on),
            outcome_bias_steps: per(os, on),
        })
        .collect();
    voters.sort_by(|a, b| spread::voter_order(&a.voter, &b.voter));
    (voters, pair)
}

fn team_outcomes(
    team: &str,
    deck: &DeckCards,
    items: &[(String, String, f64, f64)],
    estimated: &HashMap<(&str, &str), &spread::StorySpread>,
    sprint: Option<&str>,
) -> (TeamOutcomes, HashMap<String, usize>) {
    let step = |v: f64| spread::snap(deck, v).map(|(k, _)| k);
    let sized: Vec<(usize, usize, f64)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| step(it.2).map(|k| (i, k, it.3)))
        .collect();
    let steps = outcome_steps(&sized.iter().map(|s| (s.1, s.2)).collect::<Vec<_>>());
    let card = |k: usize| deck[k].0.to_string();
    let mut result = TeamOutcomes {
        team: team.to_string(),
        items: 0,
        left_bucket: Vec::new(),
        left_bucket_share: None,
        discussion: Discussion::default(),
        discussed: Vec::new(),
        talk_pair: TalkPair::default(),
        voters: Vec::new(),
    };
    let mut story_steps: HashMap<String, usize> = HashMap::new();
    for (&(i, k, days), outcome) in sized.iter().zip(steps) {
        let (sprint_id, story, points, _) = &items[i];
        // The whole history sizes the buckets; a sprint's report speaks of its own items.
        if sprint.is_some_and(|s| s != sprint_id) {
            continue;
        }
        let Some(o) = outcome else { continue };
        result.items += 1;
        story_steps.insert(story.clone(), o);
        let off = o as i64 - k as i64;
        if off.abs() >= LEFT_BUCKET_STEPS {
            result.left_bucket.push(LeftBucket {
                sprint_id: sprint_id.clone(),
                story: story.clone(),
                points: *points,
                estimate_card: card(k),
                outcome_card: card(o),
                steps: off,
                cycle_days: days,
            });
        }
        let Some(s) = estimated.get(&(team, story.as_str())) else {
            continue;
        };
        if s.rounds < 2 || s.last_round_only {
            continue;
        }
        let (Some(first), Some(last)) = (
            s.first_suggested_value.and_then(step),
            s.final_estimate.and_then(step),
        ) else {
            continue;
        };
        let moved = match last.abs_diff(o).cmp(&first.abs_diff(o)) {
            std::cmp::Ordering::Less => "nearer",
            std::cmp::Ordering::Greater => "farther",
            std::cmp::Ordering::Equal => "same",
        };
        result.discussed.push(Discussed {
            sprint_id: sprint_id.clone(),
            story: story.clone(),
            moved: moved.into(),
        });
    }
    result.discussion = Discussion::of(&result.discussed);
    result.left_bucket_share =
        (result.items > 0).then(|| result.left_bucket.len() as f64 / result.items as f64);
    (result, story_steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_leaves_one_out() {
        let v = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(median_without(&v, 0), Some(4.0));
        assert_eq!(median_without(&v, 3), Some(2.0));
        assert_eq!(median_without(&v[..3], 1), Some(2.5));
        assert_eq!(median_without(&[5.0], 0), None);
    }

    #[test]
    fn outcome_size_is_the_nearest_bucket_in_log_days() {
        // Step 1 items took 1, 1, 2, 2 days; step 2 items 4, 4, 4 and one took 16.
        let items = [
            (1, 1.0),
            (1, 1.0),
            (1, 2.0),
            (1, 2.0),
            (2, 4.0),
            (2, 4.0),
            (2, 4.0),
            (2, 16.0),
        ];
        let o = outcome_steps(&items);
        // A 1-day step-1 item: its bucket without it is 1, 2, 2 (median 2, ln gap ln 2); step
        // 2's median is 4 (ln gap ln 4): it stays at step 1.
        assert_eq!(o[0], Some(1));
        // The 16-day item: step 2 without it is 4, 4, 4 (median 4, gap ln 4); step 1's median
        // of ln days is ln 1.41 (gap ln 11.3): step 2.
        assert_eq!(o[7], Some(2));
        // A 4-day step-2 item: step 2 without it is 4, 4, 16 -> 4 (gap 0).
        assert_eq!(o[4], Some(2));
        // A 2-day step-1 item: step 1 without it is 1, 1, 2 -> median 1 (gap ln 2); step 2 is
        // 4 (gap ln 2): a tie, the smaller card.
        assert_eq!(o[2], Some(1));
        // A bucket of three leaves two when its own item is out: too few to stand for it.
        let small = [(1, 1.0), (1, 1.0), (1, 1.0), (2, 5.0), (2, 5.0), (2, 5.0)];
        let o = outcome_steps(&small);
        assert_eq!(o[0], Some(2));
        assert_eq!(o[3], Some(1));
        // No cycle time, no outcome.
        assert_eq!(outcome_steps(&[(1, 0.0)]), vec![None]);
    }

    #[test]
    fn the_sign_test_by_hand() {
        // 8 nearer, 2 farther: P(X <= 2) for Bin(10, 1/2) = (1 + 10 + 45) / 1024; two-sided.
        let p = sign_test(8, 2).unwrap();
        assert!((p - 2.0 * 56.0 / 1024.0).abs() < 1e-12, "{p}");
        // An even split: 1.
        assert_eq!(sign_test(3, 3), Some(1.0));
        assert_eq!(sign_test(0, 0), None);
    }
}
