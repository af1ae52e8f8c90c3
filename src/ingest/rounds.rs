//! Live round events: one `round.revealed` event per reveal (the schema is
//! `docs/round-revealed.schema.json`), checked here and stored by the store's one writer as a
//! [`RoundJob`]. Poker tools wipe a story's votes when a revote starts; an event posted at each
//! reveal is how every round gets kept (and the estimation room stores its reveals the same way).
//!
//! Each vote becomes one votes row keyed (team, session, story, round, voter): a replay changes
//! nothing, a changed replay is an update. Cards are checked against the event's deck (and
//! stored votes against the team's deck, as any ingest; a team with no deck yet takes the
//! event's); a final estimate sets the story's estimate. The event is refused whole (what is
//! wrong, nothing stored) or stored whole.
//!
//! Round jobs that wait together are stored in one transaction (group commit); a batch with a
//! bad event is stored event by event so that only the bad one is refused.

use crate::domain::Kind;
use crate::domain::cards::{NON_NUMERIC_CARDS, normalise_card};
use crate::error::{Error, Result, shown};
use crate::ingest::files::Format;
use crate::ingest::pipeline::{IngestRequest, Inline, ingest_known};
use crate::ingest::typing::Defaults;
use crate::settings::Settings;
use crate::store::live::{StoryKey, Vote};
use crate::store::writer::{BatchRunner, IntoAny, Job, WriteCtx, Written};
use serde::{Deserialize, Serialize};
use std::any::Any;
use std::collections::{HashMap, HashSet};

/// The event's JSON Schema.
pub const SCHEMA: &str = include_str!("../../docs/round-revealed.schema.json");

/// The most rounds of a story, votes of a round and cards of a deck an event may carry.
pub const MAX_ROUND: i64 = 1000;
pub const MAX_VOTES: usize = 1000;
pub const MAX_DECK: usize = 100;

/// A `round.revealed` event as sent (the JSON Schema's fields).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub event: String,
    pub schema_version: i64,
    #[serde(default)]
    pub source: Option<String>,
    pub team: String,
    pub session: String,
    pub story: String,
    #[serde(default)]
    pub story_title: Option<String>,
    pub round: i64,
    pub revealed_at: String,
    #[serde(default)]
    pub deck: Option<Vec<EventCard>>,
    pub votes: Vec<EventVote>,
    #[serde(default)]
    pub final_estimate: Option<EventCard>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventCard {
    pub card: String,
    #[serde(default)]
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventVote {
    pub voter: String,
    pub card: String,
    #[serde(default)]
    pub value: Option<f64>,
    pub voted_at: String,
}

/// An event checked and turned into native rows.
pub struct RoundEvent {
    team: String,
    session: String,
    story: String,
    round: i64,
    /// (voter, card as normalised, voted_at) of its votes.
    cast: Vec<(String, String, Option<chrono::NaiveDateTime>)>,
    /// (name, NDJSON) of its votes and, if any, its story row.
    votes: Inline,
    story_row: Option<Inline>,
    /// The event's deck as decks rows, for a team that has none yet.
    deck: Option<Inline>,
    pub revealed_at: chrono::DateTime<chrono::Utc>,
}

fn time(what: &str, s: &str, wrong: &mut Vec<String>) -> Option<chrono::DateTime<chrono::Utc>> {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => Some(t.with_timezone(&chrono::Utc)),
        Err(_) => {
            wrong.push(format!(
                "{what} \"{}\" is not an RFC 3339 time (e.g. 2026-11-27T10:04:31Z)",
                shown(s)
            ));
            None
        }
    }
}

fn ndjson(rows: &[serde_json::Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in rows {
        out.extend_from_slice(r.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// Parses and checks an event; every problem is named.
pub fn check(body: &[u8]) -> std::result::Result<RoundEvent, Vec<String>> {
    // An event is one JSON object (serde would also take the fields as an array, in order).
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(vec![
            "not a round.revealed event: the body is not a JSON object".into(),
        ]);
    }
    let e: Event = serde_json::from_slice(body)
        .map_err(|e| vec![format!("not a round.revealed event: {e}")])?;
    checked(e)
}

/// Checks a parsed event (the room builds its reveals as events too): every problem is named.
pub fn checked(e: Event) -> std::result::Result<RoundEvent, Vec<String>> {
    let mut wrong = Vec::new();
    check_head(&e, &mut wrong);
    let revealed_at = time("revealed_at", &e.revealed_at, &mut wrong);
    let deck = EventDeck::of(e.deck.as_deref(), &mut wrong);
    let (cast, rows) = vote_rows(&e, &deck, &mut wrong);
    let story = story_fields(&e, &deck, &mut wrong);
    let (Some(revealed_at), true) = (revealed_at, wrong.is_empty()) else {
        return Err(wrong);
    };
    Ok(round_event(e, cast, rows, story, revealed_at))
}

/// The event's kind and version, its keys, and the bounds of its round, votes and deck.
fn check_head(e: &Event, wrong: &mut Vec<String>) {
    if e.event != "round.revealed" {
        wrong.push(format!(
            "event is \"{}\"; expected \"round.revealed\"",
            shown(&e.event)
        ));
    }
    if e.schema_version != 1 {
        wrong.push(format!(
            "schema_version {} is not known; expected 1",
            e.schema_version
        ));
    }
    for (field, v) in [
        ("team", &e.team),
        ("session", &e.session),
        ("story", &e.story),
    ] {
        if v.trim().is_empty() {
            wrong.push(format!("{field} is empty"));
        }
    }
    if !(1..=MAX_ROUND).contains(&e.round) {
        wrong.push(format!(
            "round {} is not between 1 and {MAX_ROUND}",
            e.round
        ));
    }
    if e.votes.is_empty() {
        wrong.push("votes is empty: a reveal has at least one card".into());
    }
    // A room, not a crowd: bounds that no Planning Poker session reaches, so that one event
    // cannot hold the writer for seconds.
    if e.votes.len() > MAX_VOTES {
        wrong.push(format!(
            "votes has {} cards: a round takes at most {MAX_VOTES}",
            e.votes.len()
        ));
    }
    if let Some(d) = &e.deck
        && d.len() > MAX_DECK
    {
        wrong.push(format!(
            "deck has {} cards: a deck has at most {MAX_DECK}",
            d.len()
        ));
    }
}

/// The event's deck, when it gives one: cards as normalised, with their values.
struct EventDeck(Option<HashMap<String, Option<f64>>>);

impl EventDeck {
    fn of(deck: Option<&[EventCard]>, wrong: &mut Vec<String>) -> EventDeck {
        EventDeck(deck.map(|d| {
            let mut m = HashMap::new();
            for c in d {
                let shown_card = normalise_card(&c.card);
                if c.card.trim().is_empty() {
                    wrong.push("deck has an empty card".into());
                } else if m.insert(shown_card.clone(), c.value).is_some() {
                    wrong.push(format!(
                        "deck lists the card \"{}\" twice",
                        shown(&shown_card)
                    ));
                }
            }
            m
        }))
    }

    /// A card played (`what`: where) must be on the deck, with the deck's value if it says one.
    fn check(&self, card: &str, value: Option<f64>, what: &str, wrong: &mut Vec<String>) {
        let c = normalise_card(card);
        if card.trim().is_empty() {
            wrong.push(format!("{what}: the card is empty"));
            return;
        }
        if NON_NUMERIC_CARDS.contains(&c.as_str()) {
            if value.is_some() {
                wrong.push(format!(
                    "{what}: the card \"{c}\" has no value, yet the event gives one"
                ));
            }
            return;
        }
        let Some(d) = &self.0 else {
            return;
        };
        match d.get(&c) {
            None => wrong.push(format!(
                "{what}: the card \"{}\" is not in the event's deck",
                shown(&c)
            )),
            Some(Some(dv)) if value.is_some_and(|v| (v - dv).abs() > 1e-9) => wrong.push(format!(
                "{what}: the card \"{}\" is worth {dv} in the event's deck, not {}",
                shown(&c),
                value.unwrap_or_default()
            )),
            _ => {}
        }
    }

    /// A card's value: the event's, else the deck's, else the card read as a number.
    fn value(&self, card: &str, given: Option<f64>) -> Option<f64> {
        given.or_else(|| {
            self.0
                .as_ref()
                .and_then(|d| d.get(card).copied().flatten())
                .or_else(|| card.parse::<f64>().ok())
                .or_else(|| (card == "½").then_some(0.5))
        })
    }
}

/// Each vote checked, as (voter, card, voted_at) and as a native votes row.
type Cast = Vec<(String, String, Option<chrono::NaiveDateTime>)>;

fn vote_rows(
    e: &Event,
    deck: &EventDeck,
    wrong: &mut Vec<String>,
) -> (Cast, Vec<serde_json::Value>) {
    let mut voters = HashSet::new();
    let mut rows = Vec::new();
    let mut cast = Vec::new();
    for (i, v) in e.votes.iter().enumerate() {
        let what = format!("votes[{i}]");
        if v.voter.trim().is_empty() {
            wrong.push(format!("{what}: the voter is empty"));
        } else if !voters.insert(v.voter.as_str()) {
            wrong.push(format!(
                "{what}: the voter \"{}\" votes twice in this round",
                shown(&v.voter)
            ));
        }
        deck.check(&v.card, v.value, &what, wrong);
        let at = time(&format!("{what}: voted_at"), &v.voted_at, wrong);
        cast.push((
            v.voter.clone(),
            normalise_card(&v.card),
            at.map(|t| t.naive_utc()),
        ));
        rows.push(serde_json::json!({
            "team": e.team, "session": e.session, "story": e.story, "round": e.round,
            "voter": v.voter, "card": normalise_card(&v.card),
            "voted_at": at.map(|t| t.to_rfc3339()),
            // Captured at the reveal: a complete round.
            "last_round_only": false,
        }));
    }
    (cast, rows)
}

/// What the event says of its story: the final estimate's points and the title.
fn story_fields(
    e: &Event,
    deck: &EventDeck,
    wrong: &mut Vec<String>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut story = serde_json::Map::new();
    if let Some(f) = &e.final_estimate {
        deck.check(&f.card, f.value, "final_estimate", wrong);
        if let Some(v) = deck.value(&normalise_card(&f.card), f.value) {
            story.insert("estimate".into(), v.into());
        }
    }
    if let Some(t) = e.story_title.as_ref().filter(|t| !t.trim().is_empty()) {
        story.insert("title".into(), t.clone().into());
    }
    story
}

/// The checked event as native rows, each part named for messages and the ingest log.
fn round_event(
    e: Event,
    cast: Cast,
    rows: Vec<serde_json::Value>,
    mut story: serde_json::Map<String, serde_json::Value>,
    revealed_at: chrono::DateTime<chrono::Utc>,
) -> RoundEvent {
    let name = |what: &str| {
        format!(
            "round.revealed {} {} round {} ({what})",
            shown(&e.team),
            shown(&e.story),
            e.round
        )
    };
    let inline = |what: &str, kind: Kind, rows: &[serde_json::Value]| Inline {
        name: name(what),
        kind,
        format: Format::Ndjson,
        bytes: ndjson(rows),
    };
    let story_row = (!story.is_empty()).then(|| {
        story.insert("team".into(), e.team.clone().into());
        story.insert("story".into(), e.story.clone().into());
        inline("story", Kind::Stories, &[serde_json::Value::Object(story)])
    });
    let deck_rows = e.deck.as_ref().map(|d| {
        let rows: Vec<serde_json::Value> = d
            .iter()
            .filter(|c| !NON_NUMERIC_CARDS.contains(&normalise_card(&c.card).as_str()))
            .map(|c| {
                serde_json::json!({
                    "team": e.team, "deck": format!("{} deck", e.source.as_deref().unwrap_or("event")),
                    "card": normalise_card(&c.card), "value": c.value,
                })
            })
            .collect();
        inline("deck", Kind::Decks, &rows)
    });
    RoundEvent {
        votes: inline("votes", Kind::Votes, &rows),
        story_row,
        deck: deck_rows.filter(|d| !d.bytes.is_empty()),
        team: e.team,
        session: e.session,
        story: e.story,
        round: e.round,
        cast,
        revealed_at,
    }
}

/// What an accepted event answers.
#[derive(Debug, Serialize)]
pub struct Stored {
    pub team: String,
    pub story: String,
    pub round: i64,
    pub votes: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The event carried a title or final estimate, written to the story's row (unchanged
    /// values stay as they were).
    pub story_written: bool,
    /// The event's deck became the team's deck.
    pub deck_recorded: bool,
    /// The team was not in the store before this event: a misspelt team shows here (its
    /// rounds went to a new team, not the one meant).
    pub team_created: bool,
}

/// What a stored event (or the refusal of one) is told to: its sender.
pub type RoundReply = Box<dyn FnOnce(Result<Stored>) + Send>;

/// A checked event for the writer, and where its answer goes.
pub struct RoundJob {
    pub event: RoundEvent,
    /// The settings its team's default deck comes from.
    pub settings: Settings,
    pub reply: RoundReply,
}

impl Job for RoundJob {
    fn run(self: Box<Self>, w: &mut WriteCtx<'_>) -> Written {
        store_rounds(vec![self.into_any()], w)
    }

    fn batch(&self) -> Option<BatchRunner> {
        Some(store_rounds)
    }
}

/// Stores a batch of round jobs in one transaction; when it is refused, each on its own.
fn store_rounds(batch: Vec<Box<dyn Any + Send>>, w: &mut WriteCtx<'_>) -> Written {
    let jobs: Vec<RoundJob> = batch
        .into_iter()
        .filter_map(|b| b.downcast::<RoundJob>().ok().map(|j| *j))
        .collect();
    commit(w, jobs)
}

fn commit(w: &mut WriteCtx<'_>, batch: Vec<RoundJob>) -> Written {
    if batch.is_empty() {
        return Written::Nothing;
    }
    let single = batch.len() == 1;
    let mut decks_taken: Vec<bool> = Vec::new();
    let mut teams_created: Vec<bool> = Vec::new();
    let mut counts: Vec<(usize, usize, usize)> = Vec::new();
    let result = (|| {
        // What each event does to the stored votes, from the writer's knowledge of them.
        let stories: Vec<StoryKey> = batch
            .iter()
            .map(|j| {
                (
                    j.event.team.clone(),
                    j.event.session.clone(),
                    j.event.story.clone(),
                )
            })
            .collect();
        w.store
            .prepare_known(w.known, &stories, Some(w.generation))?;
        counts = batch
            .iter()
            .zip(&stories)
            .map(|(j, k)| classify(w.known.story(k).unwrap_or_default(), &j.event))
            .collect();
        // Prepared: the decks and teams are known. A team is created, and its deck taken
        // from an event, by the batch's first event that can.
        let (stored_teams, stored_decks) = (w.known.teams(), w.known.decks());
        teams_created = first_per_team(&batch, |e| {
            !stored_teams.is_some_and(|t| t.contains(&e.team))
        });
        decks_taken = first_per_team(&batch, |e| {
            e.deck.is_some() && !stored_decks.is_some_and(|d| d.contains_key(&e.team))
        });
        let events: Vec<&RoundEvent> = batch.iter().map(|j| &j.event).collect();
        let inline = if single {
            // One event: its own names in every message and in the ingest log.
            let e = events[0];
            let mut v = Vec::new();
            if decks_taken[0]
                && let Some(d) = &e.deck
            {
                v.push(d.clone());
            }
            v.push(e.votes.clone());
            v.extend(e.story_row.clone());
            v
        } else {
            // Several: one file per kind, so the batch costs about what one event does.
            let joined = |name: &str, kind: Kind, parts: Vec<&Inline>| -> Option<Inline> {
                let bytes: Vec<u8> = parts.iter().flat_map(|p| p.bytes.iter().copied()).collect();
                (!bytes.is_empty()).then(|| Inline {
                    name: format!("round.revealed events ({name})"),
                    kind,
                    format: Format::Ndjson,
                    bytes,
                })
            };
            let decks = events
                .iter()
                .zip(&decks_taken)
                .filter(|(_, t)| **t)
                .filter_map(|(e, _)| e.deck.as_ref())
                .collect();
            let votes = events.iter().map(|e| &e.votes).collect();
            let stories = events.iter().filter_map(|e| e.story_row.as_ref()).collect();
            [
                joined("decks", Kind::Decks, decks),
                joined("votes", Kind::Votes, votes),
                joined("stories", Kind::Stories, stories),
            ]
            .into_iter()
            .flatten()
            .collect()
        };
        ingest_known(
            w.store,
            &IngestRequest {
                inline,
                defaults: Defaults {
                    settings: batch[0].settings.clone(),
                    ..Default::default()
                },
                ..Default::default()
            },
            w.known,
        )
    })();
    match result {
        Ok(outcome) => {
            let news = decks_taken.into_iter().zip(teams_created);
            for ((j, new), votes) in batch.into_iter().zip(news).zip(counts) {
                let stored = stored_of(&j.event, votes, new);
                let reply = j.reply;
                w.answer(move || reply(Ok(stored)));
            }
            Written::Teams(outcome.teams)
        }
        Err(Error::Input(_)) if !single => {
            let mut written = Written::Nothing;
            for j in batch {
                written = written.and(commit(w, vec![j]));
            }
            written
        }
        Err(e) => {
            // Every sender hears the same refusal.
            for j in batch {
                let (reply, e) = (j.reply, e.again());
                w.answer(move || reply(Err(e)));
            }
            Written::Nothing
        }
    }
}

/// Per event of `batch`, whether `new` holds for it and no event before it of its team did.
fn first_per_team(batch: &[RoundJob], new: impl Fn(&RoundEvent) -> bool) -> Vec<bool> {
    let mut seen: HashSet<&str> = HashSet::new();
    batch
        .iter()
        .map(|j| new(&j.event) && seen.insert(j.event.team.as_str()))
        .collect()
}

/// What an event's votes do to its story's stored votes: (inserted, updated, unchanged).
fn classify(stored: &[Vote], e: &RoundEvent) -> (usize, usize, usize) {
    let mut n = (0, 0, 0);
    for (voter, card, at) in &e.cast {
        let at = at.map(|t| t.and_utc().timestamp_micros());
        match stored
            .iter()
            .find(|v| i64::from(v.round) == e.round && v.voter == *voter)
        {
            None => n.0 += 1,
            Some(v) if v.card == *card && v.voted_at == at => n.2 += 1,
            Some(_) => n.1 += 1,
        }
    }
    n
}

/// The answer to a stored event; `(deck, team)`: whether its deck became the team's, whether
/// it created the team.
fn stored_of(
    e: &RoundEvent,
    (inserted, updated, unchanged): (usize, usize, usize),
    (deck, team): (bool, bool),
) -> Stored {
    Stored {
        team: e.team.clone(),
        story: e.story.clone(),
        round: e.round,
        votes: e.cast.len(),
        inserted,
        updated,
        unchanged,
        story_written: e.story_row.is_some(),
        deck_recorded: deck,
        team_created: team,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(votes: &str, extra: &str) -> Vec<u8> {
        format!(
            r#"{{"event":"round.revealed","schema_version":1,"team":"pay","session":"g1","story":"PAY-1","round":2,"revealed_at":"2026-11-27T10:04:31Z","votes":[{votes}]{extra}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn an_event_becomes_votes_rows_and_a_story_row() {
        let c = check(&event(
            r#"{"voter":"u1","card":"5","value":5,"voted_at":"2026-11-27T10:04:02Z"},{"voter":"u2","card":"☕️","voted_at":"2026-11-27T10:04:20+01:00"}"#,
            r#","final_estimate":{"card":"5","value":5},"story_title":"Pay""#,
        ))
        .unwrap();
        let votes = String::from_utf8(c.votes.bytes).unwrap();
        let lines: Vec<serde_json::Value> = votes
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["card"], "5");
        assert_eq!(lines[1]["card"], "☕");
        assert_eq!(lines[1]["voted_at"], "2026-11-27T09:04:20+00:00");
        assert_eq!(lines[0]["round"], 2);
        let story: serde_json::Value = serde_json::from_slice(&c.story_row.unwrap().bytes).unwrap();
        assert_eq!(story["estimate"], 5.0);
        assert_eq!(story["title"], "Pay");
        assert!(c.deck.is_none());
    }

    #[test]
    fn a_round_is_a_room_not_a_crowd() {
        let votes = |n: usize| {
            (0..n)
                .map(|k| {
                    format!(r#"{{"voter":"u{k}","card":"5","voted_at":"2026-11-27T10:04:02Z"}}"#)
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let deck = |n: usize| {
            let cards: Vec<String> = (0..n)
                .map(|k| format!(r#"{{"card":"{}","value":{k}}}"#, k + 5))
                .collect();
            format!(r#","deck":[{}]"#, cards.join(","))
        };
        assert!(check(&event(&votes(MAX_VOTES), &deck(MAX_DECK))).is_ok());
        let e = check(&event(&votes(MAX_VOTES + 1), &deck(MAX_DECK + 1)))
            .err()
            .unwrap();
        assert_eq!(
            e,
            [
                "votes has 1001 cards: a round takes at most 1000",
                "deck has 101 cards: a deck has at most 100"
            ]
        );
    }

    #[test]
    fn what_is_wrong_is_named() {
        let e = check(&event(
            r#"{"voter":"u1","card":"XL","voted_at":"2026-11-27T10:04:02Z"},{"voter":"u1","card":"M","voted_at":"yesterday"}"#,
            r#","deck":[{"card":"S","value":1},{"card":"M","value":3}]"#,
        ))
        .err()
        .unwrap();
        let all = e.join("\n");
        assert!(
            all.contains("votes[0]: the card \"XL\" is not in the event's deck"),
            "{all}"
        );
        assert!(
            all.contains("votes[1]: the voter \"u1\" votes twice"),
            "{all}"
        );
        assert!(all.contains("votes[1]: voted_at \"yesterday\""), "{all}");
        let e = check(br#"{"event":"round.revealed","extra":1}"#)
            .err()
            .unwrap();
        assert!(e[0].contains("unknown field `extra`"), "{e:?}");
        // Only an object is an event: not its fields as an array, not null or a number.
        for body in [&b"[]"[..], b"  null", b"[\"round.revealed\",1]", b"42", b""] {
            assert_eq!(
                check(body).err(),
                Some(vec![
                    "not a round.revealed event: the body is not a JSON object".to_string()
                ]),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
