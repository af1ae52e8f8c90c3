//! Spread and consensus per story and round, convergence per story, and voter calibration.
//! Voters are pseudonymised ("voter 1", "voter 2", ... per team) unless names are asked for.

use crate::domain::undefined::{Reasons, na};
use crate::error::Result;
use crate::metrics::frame;
use crate::metrics::stats::{mean, mode_sorted, quantile_sorted, sorted, variance};
use crate::store::Store;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub const VOTE_ROUNDS: &str = include_str!("../../queries/metrics/vote_rounds.sql");
pub const TEAM_DECKS: &str = include_str!("../../queries/metrics/team_decks.sql");

#[derive(Debug, Clone, Default)]
pub struct SpreadQuery<'a> {
    pub team: Option<&'a str>,
    pub program: Option<&'a str>,
    pub sprint: Option<&'a str>,
    pub since: Option<NaiveDate>,
    pub show_names: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoundSpread {
    pub team: String,
    pub session: String,
    pub story: String,
    pub round: i64,
    /// Every vote cast, numeric or not.
    pub votes: usize,
    pub numeric_votes: usize,
    /// `?` votes; `☕`, `∞` and `pass` are counted in `other_votes`.
    pub question_votes: usize,
    pub other_votes: usize,
    pub question_share: f64,
    /// k(max) - k(min) in deck steps.
    pub spread_steps: Option<i64>,
    /// max / min of the numeric votes.
    pub ratio_spread: Option<f64>,
    /// Sample sd (n-1) of log2 of the votes above zero.
    pub sd_log2: Option<f64>,
    /// count(mode) / numeric votes.
    pub mode_share: Option<f64>,
    /// At least two numeric votes, spread 0, no `?`.
    pub unanimous: bool,
    /// Spread of at most one step.
    pub near_consensus: bool,
    /// The median snapped to the nearest card of the deck.
    pub suggested_card: Option<String>,
    /// The suggested card's points.
    pub suggested_value: Option<f64>,
    pub median: Option<f64>,
    pub mean: Option<f64>,
    /// The voters at the lowest and highest card when the spread is above zero.
    pub low_voters: Vec<String>,
    pub high_voters: Vec<String>,
    /// Spread of this round minus spread of the round before.
    pub spread_change: Option<i64>,
    pub undefined: Reasons,
}

#[derive(Debug, Clone, Serialize)]
pub struct StorySpread {
    pub team: String,
    pub session: String,
    pub story: String,
    pub rounds: i64,
    /// The first round with a spread of at most one step and no `?`; null if never.
    pub rounds_to_consensus: Option<i64>,
    pub first_spread: Option<i64>,
    pub last_spread: Option<i64>,
    pub question_share: f64,
    pub suggested_card: Option<String>,
    /// Points of the first round's suggested card.
    pub first_suggested_value: Option<f64>,
    pub final_estimate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoterCalibration {
    pub team: String,
    pub voter: String,
    /// Round-1 numeric votes on stories with a known final card.
    pub votes: usize,
    /// mean |k(vote) - k(final)| in deck steps.
    pub mean_abs_steps: Option<f64>,
    /// mean k(vote) - k(final): above zero, the voter tends to estimate high.
    pub mean_signed_steps: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpreadReport {
    pub pseudonymised: bool,
    pub rounds: Vec<RoundSpread>,
    pub stories: Vec<StorySpread>,
    pub voters: Vec<VoterCalibration>,
}

/// A stable, non-alphabetical order for pseudonyms (FNV-1a of team and name).
fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// One team's deck: cards in order with their values.
type DeckCards = Vec<(String, Option<f64>)>;

/// The deck card whose value is nearest to `v` (ties to the smaller card).
pub fn snap(deck: &DeckCards, v: f64) -> Option<(usize, &str)> {
    let mut best: Option<(usize, f64)> = None;
    for (k, (_, value)) in deck.iter().enumerate() {
        if let Some(x) = value {
            let d = (x - v).abs();
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((k, d));
            }
        }
    }
    best.map(|(k, _)| (k, deck[k].0.as_str()))
}

/// Per team, each voter's pseudonym ("voter 3"); empty when names are shown.
type Pseudonyms<'a> = HashMap<&'a str, HashMap<&'a str, String>>;

fn shown_name(names: &Pseudonyms, team: &str, voter: &str) -> String {
    names
        .get(team)
        .and_then(|m| m.get(voter))
        .cloned()
        .unwrap_or_else(|| voter.to_string())
}

struct Vote<'a> {
    voter: &'a str,
    card: &'a str,
    value: Option<f64>,
    step: Option<i64>,
}

fn round_spread(
    key: &(String, String, String, i64),
    votes: &[Vote],
    deck: Option<&DeckCards>,
    names: &Pseudonyms,
) -> RoundSpread {
    let (team, session, story, round) = key.clone();
    let numeric: Vec<&Vote> = votes
        .iter()
        .filter(|v| v.value.is_some() && v.step.is_some())
        .collect();
    let question = votes.iter().filter(|v| v.card == "?").count();
    let other = votes.len() - numeric.len() - question;
    let steps: Vec<i64> = numeric.iter().filter_map(|v| v.step).collect();
    let values: Vec<f64> = numeric.iter().filter_map(|v| v.value).collect();
    let sv = sorted(&values);
    let (kmin, kmax) = (steps.iter().min().copied(), steps.iter().max().copied());
    let spread = kmin.zip(kmax).map(|(a, b)| b - a);
    let mut undefined = Reasons::new();
    let ratio = match (sv.first(), sv.last()) {
        (Some(&lo), Some(&hi)) if lo > 0.0 => Some(hi / lo),
        (Some(_), Some(_)) => {
            undefined.insert("ratio_spread", na("the lowest vote is 0"));
            None
        }
        _ => None,
    };
    let logs: Vec<f64> = values
        .iter()
        .filter(|v| **v > 0.0)
        .map(|v| v.log2())
        .collect();
    let sd_log2 = variance(&logs).map(f64::sqrt);
    if sd_log2.is_none() {
        undefined.insert("sd_log2", na("needs two votes above zero"));
    }
    let mode_share =
        mode_sorted(&sv).map(|m| sv.iter().filter(|v| **v == m).count() as f64 / sv.len() as f64);
    let median = quantile_sorted(&sv, 0.5);
    let suggested = match (median, deck) {
        (Some(m), Some(d)) => snap(d, m).map(|(k, c)| (c.to_string(), d[k].1)),
        _ => None,
    };
    if numeric.is_empty() {
        for f in [
            "spread_steps",
            "ratio_spread",
            "mode_share",
            "suggested_card",
            "median",
            "mean",
        ] {
            undefined.insert(f, na("no numeric votes in this round"));
        }
    }
    let pseudo = |v: &Vote| -> String { shown_name(names, &team, v.voter) };
    let (mut low, mut high) = (Vec::new(), Vec::new());
    if let (Some(a), Some(b)) = (kmin, kmax)
        && b > a
    {
        for v in &numeric {
            if v.step == Some(a) {
                low.push(pseudo(v));
            }
            if v.step == Some(b) {
                high.push(pseudo(v));
            }
        }
        low.sort();
        high.sort();
    }
    RoundSpread {
        team,
        session,
        story,
        round,
        votes: votes.len(),
        numeric_votes: numeric.len(),
        question_votes: question,
        other_votes: other,
        question_share: if votes.is_empty() {
            0.0
        } else {
            question as f64 / votes.len() as f64
        },
        spread_steps: spread,
        ratio_spread: ratio,
        sd_log2,
        mode_share,
        unanimous: numeric.len() >= 2 && question == 0 && spread == Some(0),
        near_consensus: spread.is_some_and(|s| s <= 1),
        suggested_card: suggested.as_ref().map(|s| s.0.clone()),
        suggested_value: suggested.and_then(|s| s.1),
        median,
        mean: mean(&values),
        low_voters: low,
        high_voters: high,
        spread_change: None,
        undefined,
    }
}

pub fn spread(store: &Store, q: &SpreadQuery) -> Result<SpreadReport> {
    let since = q.since.map(|d| d.to_string());
    let df = store.query_frame(
        "vote_rounds",
        VOTE_ROUNDS,
        duckdb::params![q.team, q.program, q.sprint, since],
    )?;
    let decks_df = store.query_frame("team_decks", TEAM_DECKS, [])?;
    let mut decks: HashMap<String, DeckCards> = HashMap::new();
    if decks_df.height() > 0 {
        let t = frame::strings(&decks_df, "team")?;
        let c = frame::strings(&decks_df, "card")?;
        let v = frame::floats(&decks_df, "value")?;
        for i in 0..decks_df.height() {
            decks
                .entry(t[i].clone().unwrap_or_default())
                .or_default()
                .push((c[i].clone().unwrap_or_default(), v[i]));
        }
    }
    let mut report = SpreadReport {
        pseudonymised: !q.show_names,
        rounds: Vec::new(),
        stories: Vec::new(),
        voters: Vec::new(),
    };
    if df.height() == 0 {
        return Ok(report);
    }
    // Millions of votes: text cells are borrowed from the frame, not copied.
    let (team_ca, session_ca, story_ca, voter_ca, card_ca) = (
        frame::text_column(&df, "team")?,
        frame::text_column(&df, "session")?,
        frame::text_column(&df, "story")?,
        frame::text_column(&df, "voter")?,
        frame::text_column(&df, "card")?,
    );
    let team = frame::text_cells(&team_ca);
    let session = frame::text_cells(&session_ca);
    let story = frame::text_cells(&story_ca);
    let voter = frame::text_cells(&voter_ca);
    let card = frame::text_cells(&card_ca);
    let round = frame::ints(&df, "round")?;
    let value = frame::floats(&df, "value")?;
    let step = frame::ints(&df, "step")?;
    let estimate = frame::floats(&df, "estimate")?;

    // Pseudonyms per team, in an order that does not follow the names.
    let mut names: Pseudonyms = HashMap::new();
    if !q.show_names {
        let mut pairs: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
        for (t, v) in team.iter().zip(&voter) {
            pairs.insert((t.unwrap_or_default(), v.unwrap_or_default()));
        }
        let mut per_team: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (t, v) in pairs {
            per_team.entry(t).or_default().push(v);
        }
        for (t, mut vs) in per_team {
            vs.sort_by_key(|v| (fnv(&format!("{t}\u{0}{v}")), *v));
            let m = names.entry(t).or_default();
            for (k, v) in vs.into_iter().enumerate() {
                m.insert(v, format!("voter {}", k + 1));
            }
        }
    }

    // Rounds in order: rows come sorted by team, story, session, round.
    let mut i = 0;
    let n = df.height();
    // Per round: the rows of its votes; the story's final estimate rides along.
    let mut round_votes: Vec<(usize, usize)> = Vec::new();
    let mut round_estimate: Vec<Option<f64>> = Vec::new();
    while i < n {
        let key = (
            team[i].unwrap_or_default().to_string(),
            session[i].unwrap_or_default().to_string(),
            story[i].unwrap_or_default().to_string(),
            round[i].unwrap_or(0),
        );
        let mut j = i;
        let mut votes = Vec::new();
        while j < n
            && team[j] == Some(key.0.as_str())
            && session[j] == Some(key.1.as_str())
            && story[j] == Some(key.2.as_str())
            && round[j] == Some(key.3)
        {
            votes.push(Vote {
                voter: voter[j].unwrap_or_default(),
                card: card[j].unwrap_or_default(),
                value: value[j],
                step: step[j],
            });
            j += 1;
        }
        round_estimate.push(estimate[i]);
        let mut r = round_spread(&key, &votes, decks.get(&key.0), &names);
        if let Some(prev) = report.rounds.last()
            && prev.team == r.team
            && prev.session == r.session
            && prev.story == r.story
        {
            r.spread_change = r.spread_steps.zip(prev.spread_steps).map(|(a, b)| a - b);
        }
        report.rounds.push(r);
        round_votes.push((i, j));
        i = j;
    }

    // Per story (and session): rounds, consensus, convergence.
    let mut story_rounds: Vec<(usize, usize)> = Vec::new();
    let mut k = 0;
    while k < report.rounds.len() {
        let mut m = k;
        while m < report.rounds.len()
            && report.rounds[m].team == report.rounds[k].team
            && report.rounds[m].session == report.rounds[k].session
            && report.rounds[m].story == report.rounds[k].story
        {
            m += 1;
        }
        let rs = &report.rounds[k..m];
        let first = &rs[0];
        let last = &rs[rs.len() - 1];
        let all_votes: usize = rs.iter().map(|r| r.votes).sum();
        let questions: usize = rs.iter().map(|r| r.question_votes).sum();
        report.stories.push(StorySpread {
            team: first.team.clone(),
            session: first.session.clone(),
            story: first.story.clone(),
            rounds: rs.len() as i64,
            rounds_to_consensus: rs
                .iter()
                .find(|r| r.near_consensus && r.question_votes == 0)
                .map(|r| r.round),
            first_spread: first.spread_steps,
            last_spread: last.spread_steps,
            question_share: if all_votes == 0 {
                0.0
            } else {
                questions as f64 / all_votes as f64
            },
            suggested_card: last.suggested_card.clone(),
            first_suggested_value: first.suggested_value,
            final_estimate: round_estimate[k],
        });
        story_rounds.push((k, m));
        k = m;
    }

    // Voter calibration: round-1 votes against the final card (the story's final estimate
    // snapped to the deck, else the last round's suggested card).
    let mut per_voter: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
    for (s, &(k, _)) in report.stories.iter().zip(&story_rounds) {
        let deck = decks.get(&s.team);
        let final_step = match (s.final_estimate, deck) {
            (Some(e), Some(d)) => snap(d, e).map(|(k, _)| k as i64),
            _ => deck.and_then(|d| {
                s.suggested_card
                    .as_ref()
                    .and_then(|c| d.iter().position(|(x, _)| x == c))
                    .map(|k| k as i64)
            }),
        };
        // The story's first round is its round 1 when the votes have one.
        let (Some(fs), true) = (final_step, report.rounds[k].round == 1) else {
            continue;
        };
        let (a, b) = round_votes[k];
        for row in a..b {
            if let (Some(st), Some(_)) = (step[row], value[row]) {
                per_voter
                    .entry((
                        team[row].unwrap_or_default(),
                        voter[row].unwrap_or_default(),
                    ))
                    .or_default()
                    .push(st - fs);
            }
        }
    }
    let mut voters: Vec<VoterCalibration> = per_voter
        .into_iter()
        .map(|((t, v), d)| {
            let abs: Vec<f64> = d.iter().map(|x| x.abs() as f64).collect();
            let signed: Vec<f64> = d.iter().map(|x| *x as f64).collect();
            VoterCalibration {
                team: t.to_string(),
                voter: shown_name(&names, t, v),
                votes: d.len(),
                mean_abs_steps: mean(&abs),
                mean_signed_steps: mean(&signed),
            }
        })
        .collect();
    // "voter 10" after "voter 9".
    voters.sort_by(|a, b| {
        let num = |s: &str| s.strip_prefix("voter ").and_then(|n| n.parse::<u64>().ok());
        a.team
            .cmp(&b.team)
            .then(match (num(&a.voter), num(&b.voter)) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => a.voter.cmp(&b.voter),
            })
    });
    report.voters = voters;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deck() -> DeckCards {
        ["0", "1", "2", "3", "5", "8", "13", "21"]
            .iter()
            .map(|c| (c.to_string(), c.parse::<f64>().ok()))
            .collect()
    }

    fn v<'a>(voter: &'a str, card: &'a str, d: &DeckCards) -> Vote<'a> {
        let step = d.iter().position(|(c, _)| c == card).map(|k| k as i64);
        Vote {
            voter,
            card,
            value: step.and_then(|k| d[k as usize].1),
            step,
        }
    }

    #[test]
    fn five_and_thirteen_on_fibonacci_spread_two_steps() {
        let d = deck();
        let key = ("t".to_string(), "s".to_string(), "T-1".to_string(), 1);
        let votes = vec![
            v("a", "5", &d),
            v("b", "13", &d),
            v("c", "8", &d),
            v("e", "?", &d),
        ];
        let r = round_spread(&key, &votes, Some(&d), &HashMap::new());
        assert_eq!(r.spread_steps, Some(2));
        assert!((r.ratio_spread.unwrap() - 2.6).abs() < 1e-12);
        // log2 5, 8, 13: sd (n-1).
        let l = [5f64.log2(), 8f64.log2(), 13f64.log2()];
        let m = (l[0] + l[1] + l[2]) / 3.0;
        let sd = ((l.iter().map(|x| (x - m) * (x - m)).sum::<f64>()) / 2.0).sqrt();
        assert!((r.sd_log2.unwrap() - sd).abs() < 1e-12);
        assert_eq!(r.mode_share, Some(1.0 / 3.0));
        assert_eq!((r.unanimous, r.near_consensus), (false, false));
        assert_eq!(r.suggested_card.as_deref(), Some("8"));
        assert_eq!(
            (r.low_voters.clone(), r.high_voters.clone()),
            (vec!["a".to_string()], vec!["b".to_string()])
        );
        assert_eq!((r.question_votes, r.question_share), (1, 0.25));
    }

    #[test]
    fn unanimous_needs_two_votes_and_no_question_mark() {
        let d = deck();
        let key = ("t".to_string(), "s".to_string(), "T-1".to_string(), 2);
        let r = round_spread(
            &key,
            &[v("a", "3", &d), v("b", "3", &d)],
            Some(&d),
            &HashMap::new(),
        );
        assert!(r.unanimous && r.near_consensus);
        assert!(r.low_voters.is_empty());
        let r = round_spread(&key, &[v("a", "3", &d)], Some(&d), &HashMap::new());
        assert!(!r.unanimous);
        let r = round_spread(
            &key,
            &[v("a", "3", &d), v("b", "3", &d), v("c", "?", &d)],
            Some(&d),
            &HashMap::new(),
        );
        assert!(!r.unanimous && r.near_consensus);
        let r = round_spread(
            &key,
            &[v("a", "?", &d), v("b", "☕", &d)],
            Some(&d),
            &HashMap::new(),
        );
        assert_eq!(
            (r.spread_steps, r.numeric_votes, r.other_votes),
            (None, 0, 1)
        );
        assert_eq!(
            r.undefined["spread_steps"].reason(),
            "no numeric votes in this round"
        );
    }

    #[test]
    fn median_snaps_to_the_nearest_card() {
        let d = deck();
        // 3 and 8: median 5.5 -> 5 (nearer than 8).
        assert_eq!(snap(&d, 5.5).map(|x| x.1), Some("5"));
        // 6.5 is 1.5 from both 5 and 8: ties go to the smaller card.
        assert_eq!(snap(&d, 6.5).map(|x| x.1), Some("5"));
        assert_eq!(snap(&d, 40.0).map(|x| x.1), Some("21"));
    }
}
