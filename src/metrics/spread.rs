//! Spread and consensus per story and round, convergence per story, and voter calibration.
//! Voters are pseudonymised ("voter 1", "voter 2", ... numbering each team's voters) unless names
//! are asked for.
//!
//! Read from the round figures the store keeps (`round_stats`, computed by DuckDB at ingest):
//! per round its votes per deck step and the voters at the lowest and the highest step. A
//! round's values follow from its steps and the deck; no vote is read one by one.

use crate::domain::undefined::{Reasons, na, unknown};
use crate::error::Result;
use crate::metrics::frame;
use crate::metrics::par;
use crate::metrics::stats::{mean, mode_sorted, quantile_sorted, variance};
use crate::store::Store;
use chrono::NaiveDate;
use duckdb::arrow::array::{Array, AsArray, Float64Array, Int32Array, ListArray};
use duckdb::arrow::datatypes::Int32Type;
use duckdb::arrow::record_batch::RecordBatch;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub const ROUND_STATS: &str = include_str!("../../queries/metrics/round_stats.sql");
pub const TEAM_VOTERS: &str = include_str!("../../queries/metrics/team_voters.sql");
pub const TEAM_DECKS: &str = include_str!("../../queries/metrics/team_decks.sql");

#[derive(Debug, Clone, Default)]
pub struct SpreadQuery<'a> {
    pub team: Option<&'a str>,
    pub program: Option<&'a str>,
    pub sprint: Option<&'a str>,
    pub since: Option<NaiveDate>,
    pub show_names: bool,
    /// Only the stories: no rounds, no voters, no calibration (what accuracy and split
    /// candidates read).
    pub stories_only: bool,
}

/// A name shared by every row that carries it (a team, a session, a story, a card, a voter's
/// pseudonym): hundreds of thousands of rounds name a few thousand things.
pub type Name = std::sync::Arc<str>;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RoundSpread {
    pub team: Name,
    pub session: Name,
    pub story: Name,
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
    pub suggested_card: Option<Name>,
    /// The suggested card's points.
    pub suggested_value: Option<f64>,
    pub median: Option<f64>,
    pub mean: Option<f64>,
    /// The voters at the lowest and highest card when the spread is above zero.
    pub low_voters: Vec<Name>,
    pub high_voters: Vec<Name>,
    /// Spread of this round minus spread of the round before.
    pub spread_change: Option<i64>,
    /// The source keeps only the story's last round: the rounds before it are unknown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub last_round_only: bool,
    #[serde(deserialize_with = "crate::domain::undefined::reasons")]
    pub undefined: Reasons,
}

/// Why figures that need a story's earlier rounds are unknown for a last-round-only source.
pub const LAST_ROUND_ONLY: &str = "unknown: the source keeps only the last round";

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StorySpread {
    pub team: Name,
    pub session: Name,
    pub story: Name,
    pub rounds: i64,
    /// The first round with a spread of at most one step and no `?`; null if never.
    pub rounds_to_consensus: Option<i64>,
    pub first_spread: Option<i64>,
    pub last_spread: Option<i64>,
    pub question_share: f64,
    pub suggested_card: Option<Name>,
    /// Points of the first round's suggested card.
    pub first_suggested_value: Option<f64>,
    pub final_estimate: Option<f64>,
    /// The source keeps only the last round: rounds, rounds to consensus, the first round's
    /// figures and convergence are unknown (its last round is all there is).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub last_round_only: bool,
    #[serde(
        default,
        skip_serializing_if = "Reasons::is_empty",
        deserialize_with = "crate::domain::undefined::reasons"
    )]
    pub undefined: Reasons,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
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

/// Rounds and voters are empty for a stories-only query.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SpreadReport {
    pub pseudonymised: bool,
    pub rounds: Vec<RoundSpread>,
    pub stories: Vec<StorySpread>,
    pub voters: Vec<VoterCalibration>,
    /// The stored voters (team, voter) the pseudonyms were made from, when they were read:
    /// the other reports of the same scope name voters from them instead of reading them again.
    #[serde(skip)]
    pub voter_rows: Option<Vec<(String, String)>>,
}

impl SpreadReport {
    /// Per (team, story), its estimation with the most rounds (on a tie, one whose every round
    /// is kept, else the first).
    pub fn by_story(&self) -> HashMap<(&str, &str), &StorySpread> {
        let mut m: HashMap<(&str, &str), &StorySpread> = HashMap::new();
        for s in &self.stories {
            let e = m.entry((&*s.team, &*s.story)).or_insert(s);
            if (s.rounds, !s.last_round_only) > (e.rounds, !e.last_round_only) {
                *e = s;
            }
        }
        m
    }
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
pub type DeckCards = Vec<(Name, Option<f64>)>;

/// The deck card whose value is nearest to `v` (ties to the smaller card).
pub fn snap(deck: &DeckCards, v: f64) -> Option<(usize, &Name)> {
    let mut best: Option<(usize, f64)> = None;
    for (k, (_, value)) in deck.iter().enumerate() {
        if let Some(x) = value {
            let d = (x - v).abs();
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((k, d));
            }
        }
    }
    best.map(|(k, _)| (k, &deck[k].0))
}

/// Per team, each voter's pseudonym ("voter 3"); empty when names are shown.
type Pseudonyms<'a> = HashMap<&'a str, HashMap<&'a str, Name>>;

fn shown_name(names: &Pseudonyms, team: &str, voter: &str) -> Name {
    names
        .get(team)
        .and_then(|m| m.get(voter))
        .cloned()
        .unwrap_or_else(|| Name::from(voter))
}

/// The figures of one round from its cards, (voter, card) on a deck, by the same definitions
/// as a stored round's (the estimation room computes them at the reveal): a card is numeric
/// when the deck gives it points; `?` is counted apart.
pub fn round_from_votes(
    key: (&str, &str, &str, i64),
    votes: &[(&str, &str)],
    deck: &DeckCards,
) -> RoundSpread {
    let mut steps: BTreeMap<i64, usize> = BTreeMap::new();
    let mut numeric: Vec<(i64, &str)> = Vec::new();
    for (voter, card) in votes {
        if let Some(k) = deck.iter().position(|(c, v)| &**c == *card && v.is_some()) {
            *steps.entry(k as i64).or_default() += 1;
            numeric.push((k as i64, voter));
        }
    }
    let (lo, hi) = (steps.keys().next().copied(), steps.keys().last().copied());
    let at = |k: Option<i64>| -> Vec<&str> {
        let mut v: Vec<&str> = numeric
            .iter()
            .filter(|(s, _)| Some(*s) == k)
            .map(|(_, n)| *n)
            .collect();
        v.sort_unstable();
        v
    };
    let apart = lo != hi;
    let round = Round {
        votes: votes.len(),
        numeric_votes: numeric.len(),
        question_votes: votes.iter().filter(|(_, c)| *c == "?").count(),
        steps: steps.into_iter().collect(),
        low_voters: if apart { at(lo) } else { Vec::new() },
        high_voters: if apart { at(hi) } else { Vec::new() },
    };
    let (team, session, story, number) = key;
    round_spread(
        (
            &Name::from(team),
            &Name::from(session),
            &Name::from(story),
            number,
        ),
        &round,
        Some(deck),
        None,
        &mut Scratch::default(),
    )
}

/// One round as the store keeps it: its votes, per deck step the numeric votes, and the
/// voters at the lowest and the highest step.
pub struct Round<'a> {
    pub votes: usize,
    pub numeric_votes: usize,
    pub question_votes: usize,
    /// (step, numeric votes at it), in any order.
    pub steps: Vec<(i64, usize)>,
    pub low_voters: Vec<&'a str>,
    pub high_voters: Vec<&'a str>,
}

/// Buffers one thread reuses from round to round, and which figures it computes.
#[derive(Default)]
struct Scratch {
    /// Only what a story's figures read (its rounds are not reported): the spread, the
    /// suggested card and the counts; ratio, sd, mode share, mean and voters are left out.
    story_figures_only: bool,
    steps: Vec<(i64, usize)>,
    values: Vec<f64>,
    sorted: Vec<f64>,
    logs: Vec<f64>,
}

fn round_spread(
    key: (&Name, &Name, &Name, i64),
    round: &Round,
    deck: Option<&DeckCards>,
    names: Option<&HashMap<&str, Name>>,
    x: &mut Scratch,
) -> RoundSpread {
    let (team, session, story, number) = key;
    x.steps.clear();
    x.steps.extend_from_slice(&round.steps);
    x.steps.sort_unstable();
    // The numeric votes' values, step by step.
    x.values.clear();
    for &(k, n) in &x.steps {
        if let Some(v) = deck.and_then(|d| d.get(k as usize)).and_then(|c| c.1) {
            x.values.extend(std::iter::repeat_n(v, n));
        }
    }
    let values = &x.values;
    let question = round.question_votes;
    let numeric = round.numeric_votes;
    let other = round.votes - numeric - question;
    x.sorted.clear();
    x.sorted
        .extend(values.iter().copied().filter(|v| v.is_finite()));
    x.sorted
        .sort_by(|a, b| a.partial_cmp(b).expect("finite values compare"));
    let sv = &x.sorted;
    let (kmin, kmax) = (x.steps.first().map(|s| s.0), x.steps.last().map(|s| s.0));
    let spread = kmin.zip(kmax).map(|(a, b)| b - a);
    let mut undefined = Reasons::new();
    let median = quantile_sorted(sv, 0.5);
    let suggested = match (median, deck) {
        (Some(m), Some(d)) => snap(d, m).map(|(k, c)| (c.clone(), d[k].1)),
        _ => None,
    };
    if numeric == 0 {
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
    // The figures only a report of rounds shows (a story's figures do not read them).
    let (ratio, sd_log2, mode_share, mean, low, high) = if x.story_figures_only {
        (None, None, None, None, Vec::new(), Vec::new())
    } else {
        let ratio = match (sv.first(), sv.last()) {
            (Some(&lo), Some(&hi)) if lo > 0.0 => Some(hi / lo),
            (Some(_), Some(_)) => {
                undefined.insert("ratio_spread", na("the lowest vote is 0"));
                None
            }
            _ => None,
        };
        x.logs.clear();
        x.logs
            .extend(values.iter().filter(|v| **v > 0.0).map(|v| v.log2()));
        let sd_log2 = variance(&x.logs).map(f64::sqrt);
        if sd_log2.is_none() {
            undefined.insert("sd_log2", na("needs two votes above zero"));
        }
        let mode_share = mode_sorted(sv)
            .map(|m| sv.iter().filter(|v| **v == m).count() as f64 / sv.len() as f64);
        let shown = |v: &&str| -> Name {
            names
                .and_then(|m| m.get(*v))
                .cloned()
                .unwrap_or_else(|| Name::from(*v))
        };
        let (mut low, mut high) = (Vec::new(), Vec::new());
        if spread.is_some_and(|s| s > 0) {
            low = round.low_voters.iter().map(shown).collect();
            high = round.high_voters.iter().map(shown).collect();
            low.sort();
            high.sort();
        }
        (ratio, sd_log2, mode_share, mean(values), low, high)
    };
    RoundSpread {
        team: team.clone(),
        session: session.clone(),
        story: story.clone(),
        round: number,
        votes: round.votes,
        numeric_votes: numeric,
        question_votes: question,
        other_votes: other,
        question_share: if round.votes == 0 {
            0.0
        } else {
            question as f64 / round.votes as f64
        },
        spread_steps: spread,
        ratio_spread: ratio,
        sd_log2,
        mode_share,
        unanimous: numeric >= 2 && question == 0 && spread == Some(0),
        near_consensus: spread.is_some_and(|s| s <= 1),
        suggested_card: suggested.as_ref().map(|s| s.0.clone()),
        suggested_value: suggested.and_then(|s| s.1),
        median,
        mean,
        low_voters: low,
        high_voters: high,
        spread_change: None,
        last_round_only: false,
        undefined,
    }
}

/// Every team's deck, cards in order.
pub fn team_decks(store: &Store) -> Result<HashMap<String, DeckCards>> {
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
                .push((Name::from(c[i].as_deref().unwrap_or_default()), v[i]));
        }
    }
    Ok(decks)
}

/// Per team, each voter's pseudonym, in an order that does not follow the names.
fn pseudonyms(voters: &[(String, String)]) -> Pseudonyms<'_> {
    let mut per_team: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (t, v) in voters {
        per_team.entry(t).or_default().push(v);
    }
    let mut names: Pseudonyms = HashMap::new();
    for (t, mut vs) in per_team {
        vs.sort_by_key(|v| (fnv(&format!("{t}\u{0}{v}")), *v));
        let m = names.entry(t).or_default();
        for (k, v) in vs.into_iter().enumerate() {
            m.insert(v, Name::from(format!("voter {}", k + 1)));
        }
    }
    names
}

/// The stored voters of the teams chosen, as (team, voter).
fn voter_rows(
    store: &Store,
    team: Option<&str>,
    program: Option<&str>,
) -> Result<Vec<(String, String)>> {
    store.query_rows(
        "team_voters",
        TEAM_VOTERS,
        duckdb::params![team, program],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Per team, each voter's pseudonym ("voter 3" for a stored name) — the names every report of
/// the team uses. `known`: the voter rows a spread report of the same scope read already.
pub fn voter_pseudonyms(
    store: &Store,
    team: Option<&str>,
    program: Option<&str>,
    known: Option<&[(String, String)]>,
) -> Result<HashMap<String, HashMap<String, String>>> {
    let read;
    let voters = match known {
        Some(rows) => rows,
        None => {
            read = voter_rows(store, team, program)?;
            &read
        }
    };
    Ok(pseudonyms(voters)
        .into_iter()
        .map(|(t, m)| {
            let m = m
                .into_iter()
                .map(|(v, n)| (v.to_string(), n.to_string()))
                .collect();
            (t.to_string(), m)
        })
        .collect())
}

/// The order of voters as reports list them: "voter 2" before "voter 10", names by name.
pub fn voter_order(a: &str, b: &str) -> std::cmp::Ordering {
    let num = |s: &str| s.strip_prefix("voter ").and_then(|n| n.parse::<u64>().ok());
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// The text cells of a list-of-text column's row.
fn texts(list: &ListArray, row: usize) -> Vec<&str> {
    if list.is_null(row) {
        return Vec::new();
    }
    let offsets = list.value_offsets();
    let values = list.values().as_string::<i32>();
    (offsets[row] as usize..offsets[row + 1] as usize)
        .filter(|&i| values.is_valid(i))
        .map(|i| values.value(i))
        .collect()
}

/// Rows of the round_stats query as read, side by side: each round's figures, its story's
/// final estimate and, for a round 1, each numeric vote as (deck step, voter as stored).
#[derive(Default)]
struct ReadRounds {
    spreads: Vec<RoundSpread>,
    estimates: Vec<Option<f64>>,
    round1: Vec<Vec<(i32, Name)>>,
}

impl ReadRounds {
    fn with_capacity(n: usize) -> ReadRounds {
        ReadRounds {
            spreads: Vec::with_capacity(n),
            estimates: Vec::with_capacity(n),
            round1: Vec::with_capacity(n),
        }
    }
}

/// The rounds of some batches of the round_stats query, in the batches' order (the query's).
fn read_rounds(
    batches: &[RecordBatch],
    decks: &HashMap<String, DeckCards>,
    names: &Pseudonyms,
    story_figures_only: bool,
) -> ReadRounds {
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut out = ReadRounds::with_capacity(rows);
    let mut scratch = Scratch {
        story_figures_only,
        ..Scratch::default()
    };
    // Names are shared: the team, session and story of the row before are reused, and a
    // voter of round 1 with its name of the round before.
    let mut last: (Name, Name, Name) = (Name::from(""), Name::from(""), Name::from(""));
    let mut deck: Option<&DeckCards> = None;
    let mut team_names: Option<&HashMap<&str, Name>> = None;
    let mut voters: HashMap<&str, Name> = HashMap::new();
    for b in batches {
        let col = |i: usize| b.column(i);
        let text = |i: usize| col(i).as_string::<i32>();
        let int = |i: usize| col(i).as_primitive::<Int32Type>();
        let (team, session, story) = (text(0), text(1), text(2));
        let (number, votes, numeric, question) = (int(3), int(4), int(5), int(6));
        let steps = col(9).as_list::<i32>();
        let step_fields = steps.values().as_struct();
        let (step_k, step_n): (&Int32Array, &Int32Array) = (
            step_fields.column(0).as_primitive::<Int32Type>(),
            step_fields.column(1).as_primitive::<Int32Type>(),
        );
        let (low, high) = (col(10).as_list::<i32>(), col(11).as_list::<i32>());
        let firsts = col(12).as_list::<i32>();
        let first_fields = firsts.values().as_struct();
        let (first_k, first_voter): (&Int32Array, _) = (
            first_fields.column(0).as_primitive::<Int32Type>(),
            first_fields.column(1).as_string::<i32>(),
        );
        let last_only = col(13).as_boolean();
        let estimate: &Float64Array = col(14).as_primitive();
        let offsets = steps.value_offsets();
        let first_offsets = firsts.value_offsets();
        for row in 0..b.num_rows() {
            let t = team.value(row);
            if *last.0 != *t {
                last.0 = Name::from(t);
                deck = decks.get(t);
                team_names = names.get(t);
                voters.clear();
            }
            if *last.1 != *session.value(row) {
                last.1 = Name::from(session.value(row));
            }
            if *last.2 != *story.value(row) {
                last.2 = Name::from(story.value(row));
            }
            let round = Round {
                votes: votes.value(row) as usize,
                numeric_votes: numeric.value(row) as usize,
                question_votes: question.value(row) as usize,
                steps: if steps.is_null(row) {
                    Vec::new()
                } else {
                    (offsets[row] as usize..offsets[row + 1] as usize)
                        .map(|i| (step_k.value(i) as i64, step_n.value(i) as usize))
                        .collect()
                },
                low_voters: texts(low, row),
                high_voters: texts(high, row),
            };
            let round1 = if firsts.is_null(row) {
                Vec::new()
            } else {
                (first_offsets[row] as usize..first_offsets[row + 1] as usize)
                    .map(|i| {
                        let v = first_voter.value(i);
                        let name = voters.entry(v).or_insert_with(|| Name::from(v));
                        (first_k.value(i), name.clone())
                    })
                    .collect()
            };
            let key = (&last.0, &last.1, &last.2, number.value(row) as i64);
            let mut spread = round_spread(key, &round, deck, team_names, &mut scratch);
            spread.last_round_only = last_only.is_valid(row) && last_only.value(row);
            out.spreads.push(spread);
            out.estimates
                .push(estimate.is_valid(row).then(|| estimate.value(row)));
            out.round1.push(round1);
        }
    }
    out
}

/// Per voter (as stored): round-1 numeric votes with a known final card, and the sums of
/// |k(vote) - k(final)| and k(vote) - k(final).
type Calibration = HashMap<Name, (usize, i64, i64)>;

pub fn spread(store: &Store, q: &SpreadQuery) -> Result<SpreadReport> {
    spread_with_decks(store, q, &team_decks(store)?)
}

/// [`spread`] with the decks already read.
pub fn spread_with_decks(
    store: &Store,
    q: &SpreadQuery,
    decks: &HashMap<String, DeckCards>,
) -> Result<SpreadReport> {
    let voters: Option<Vec<(String, String)>> = if q.show_names || q.stories_only {
        None
    } else {
        Some(voter_rows(store, q.team, q.program)?)
    };
    let names = pseudonyms(voters.as_deref().unwrap_or_default());

    // Every round in order (team, story, session, round), read on every core batch by batch
    // as DuckDB hands them over (the rounds are kept, the batches are not).
    let since = q.since.map(|d| d.to_string());
    // Room for every round of the teams asked for, up front (the report keeps these vectors:
    // room for every team's rounds in one team's report would be held as long as the report).
    let mut read = ReadRounds::with_capacity(store.round_count(q.team, q.program)?);
    par::map_fed(
        |push| {
            store.each_arrow_batch(
                "round_stats",
                ROUND_STATS,
                duckdb::params![q.team, q.program, q.sprint, since, !q.stories_only],
                push,
            )
        },
        |batch| read_rounds(std::slice::from_ref(&batch), decks, &names, q.stories_only),
        |mut part| {
            read.spreads.append(&mut part.spreads);
            read.estimates.append(&mut part.estimates);
            read.round1.append(&mut part.round1);
        },
    )?;
    let ReadRounds {
        spreads: rounds,
        estimates,
        round1,
    } = read;
    let mut report = SpreadReport {
        pseudonymised: !q.show_names,
        rounds,
        stories: Vec::new(),
        voters: Vec::new(),
        voter_rows: None,
    };
    // Each round's change of spread from the round before it of the same story.
    for i in 1..report.rounds.len() {
        let (a, b) = report.rounds.split_at_mut(i);
        let (prev, r) = (&a[i - 1], &mut b[0]);
        if prev.team == r.team && prev.session == r.session && prev.story == r.story {
            r.spread_change = r.spread_steps.zip(prev.spread_steps).map(|(a, b)| a - b);
        }
    }
    for r in report.rounds.iter_mut().filter(|r| r.last_round_only) {
        r.spread_change = None;
        r.undefined
            .insert("spread_change", unknown(LAST_ROUND_ONLY));
    }
    // Per story (and session): rounds, consensus, convergence; and the card it settled on (the
    // final estimate snapped to the deck, else the last round's suggested card), against which
    // each voter's round-1 vote is calibrated.
    // Stories come team by team: one team's voters are summed, then kept.
    let mut calibration: Vec<(Name, Calibration)> = Vec::new();
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
        let story = story_spread(&report.rounds[k..m], estimates[k]);
        let deck = decks.get(&*story.team);
        let final_step = match (story.final_estimate, deck) {
            (Some(e), Some(d)) => snap(d, e).map(|(k, _)| k as i64),
            _ => deck.and_then(|d| {
                story
                    .suggested_card
                    .as_ref()
                    .and_then(|c| d.iter().position(|(x, _)| x == c))
                    .map(|k| k as i64)
            }),
        };
        // The story's first round is its round 1 when the votes have one.
        if let (Some(fs), 1, false) = (final_step, report.rounds[k].round, story.last_round_only) {
            if calibration.last().is_none_or(|(t, _)| *t != story.team) {
                calibration.push((story.team.clone(), Calibration::new()));
            }
            let team = &mut calibration.last_mut().expect("pushed above").1;
            for (step, voter) in &round1[k] {
                let d = i64::from(*step) - fs;
                let c = match team.get_mut(voter) {
                    Some(c) => c,
                    None => team.entry(voter.clone()).or_default(),
                };
                *c = (c.0 + 1, c.1 + d.abs(), c.2 + d);
            }
        }
        report.stories.push(story);
        k = m;
    }
    report.voters = voter_calibration(calibration, &names);
    drop(names);
    report.voter_rows = voters;
    if q.stories_only {
        report.rounds = Vec::new();
    }
    Ok(report)
}

/// One story's figures from its rounds (in order) and its final estimate.
fn story_spread(rs: &[RoundSpread], final_estimate: Option<f64>) -> StorySpread {
    let first = &rs[0];
    let last = &rs[rs.len() - 1];
    let all_votes: usize = rs.iter().map(|r| r.votes).sum();
    let questions: usize = rs.iter().map(|r| r.question_votes).sum();
    let mut story = StorySpread {
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
        final_estimate,
        last_round_only: false,
        undefined: Reasons::new(),
    };
    if rs.iter().any(|r| r.last_round_only) {
        story.last_round_only = true;
        story.rounds_to_consensus = None;
        story.first_spread = None;
        story.first_suggested_value = None;
        for f in [
            "rounds_to_consensus",
            "first_spread",
            "first_suggested_value",
        ] {
            story.undefined.insert(f, unknown(LAST_ROUND_ONLY));
        }
    }
    story
}

/// Each voter's calibration, by team and then pseudonym ("voter 10" after "voter 9"), or by
/// name when names are shown.
fn voter_calibration(
    calibration: Vec<(Name, Calibration)>,
    names: &Pseudonyms,
) -> Vec<VoterCalibration> {
    let mut voters: Vec<VoterCalibration> = calibration
        .into_iter()
        .flat_map(|(team, voters)| {
            voters
                .into_iter()
                .map(move |(voter, (n, abs, signed))| VoterCalibration {
                    voter: shown_name(names, &team, &voter).to_string(),
                    team: team.to_string(),
                    votes: n,
                    mean_abs_steps: Some(abs as f64 / n as f64),
                    mean_signed_steps: Some(signed as f64 / n as f64),
                })
        })
        .collect();
    voters.sort_by(|a, b| a.team.cmp(&b.team).then(voter_order(&a.voter, &b.voter)));
    voters
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deck() -> DeckCards {
        ["0", "1", "2", "3", "5", "8", "13", "21"]
            .iter()
            .map(|c| (Name::from(*c), c.parse::<f64>().ok()))
            .collect()
    }

    /// The spread of one round of team t, session s.
    fn spread_of(story: &str, number: i64, round: &Round, d: &DeckCards) -> RoundSpread {
        let (t, s, st) = (Name::from("t"), Name::from("s"), Name::from(story));
        round_spread(
            (&t, &s, &st, number),
            round,
            Some(d),
            None,
            &mut Scratch::default(),
        )
    }

    /// A round of the votes (voter, card) as the store keeps it.
    fn round_of<'a>(votes: &[(&'a str, &'a str)], d: &DeckCards) -> Round<'a> {
        let mut steps: BTreeMap<i64, usize> = BTreeMap::new();
        let mut numeric: Vec<(i64, &str)> = Vec::new();
        for (voter, card) in votes {
            if let Some(k) = d.iter().position(|(c, _)| **c == **card) {
                *steps.entry(k as i64).or_default() += 1;
                numeric.push((k as i64, voter));
            }
        }
        let (lo, hi) = (steps.keys().next().copied(), steps.keys().last().copied());
        Round {
            votes: votes.len(),
            numeric_votes: numeric.len(),
            question_votes: votes.iter().filter(|v| v.1 == "?").count(),
            steps: steps.into_iter().collect(),
            low_voters: numeric
                .iter()
                .filter(|n| Some(n.0) == lo)
                .map(|n| n.1)
                .collect(),
            high_voters: numeric
                .iter()
                .filter(|n| Some(n.0) == hi)
                .map(|n| n.1)
                .collect(),
        }
    }

    #[test]
    fn five_and_thirteen_on_fibonacci_spread_two_steps() {
        let d = deck();
        let votes = round_of(&[("a", "5"), ("b", "13"), ("c", "8"), ("e", "?")], &d);
        let r = spread_of("T-1", 1, &votes, &d);
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
            (vec![Name::from("a")], vec![Name::from("b")])
        );
        assert_eq!((r.question_votes, r.question_share), (1, 0.25));
    }

    #[test]
    fn unanimous_needs_two_votes_and_no_question_mark() {
        let d = deck();
        let r = spread_of("T-1", 2, &round_of(&[("a", "3"), ("b", "3")], &d), &d);
        assert!(r.unanimous && r.near_consensus);
        assert!(r.low_voters.is_empty());
        let r = spread_of("T-1", 2, &round_of(&[("a", "3")], &d), &d);
        assert!(!r.unanimous);
        let r = spread_of(
            "T-1",
            2,
            &round_of(&[("a", "3"), ("b", "3"), ("c", "?")], &d),
            &d,
        );
        assert!(!r.unanimous && r.near_consensus);
        let r = spread_of("T-1", 2, &round_of(&[("a", "?"), ("b", "☕")], &d), &d);
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
        assert_eq!(snap(&d, 5.5).map(|x| &**x.1), Some("5"));
        // 6.5 is 1.5 from both 5 and 8: ties go to the smaller card.
        assert_eq!(snap(&d, 6.5).map(|x| &**x.1), Some("5"));
        assert_eq!(snap(&d, 40.0).map(|x| &**x.1), Some("21"));
    }
}
