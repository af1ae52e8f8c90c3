//! `POST /api/v1/rounds`: live capture, one `round.revealed` event per reveal (the schema is
//! `docs/round-revealed.schema.json`, served at `/api/v1/rounds/schema`). Poker tools wipe a
//! story's votes when a revote starts; an event posted at each reveal is how every round gets
//! kept.
//!
//! Each vote becomes one votes row keyed (team, session, story, round, voter): a replay changes
//! nothing, a changed replay is an update. Cards are checked against the event's deck (and
//! stored votes against the team's deck, as any ingest; a team with no deck yet takes the
//! event's); a final estimate sets the story's estimate. The event is refused whole (400, what
//! is wrong, nothing stored) or stored whole.
//!
//! Events are stored by one writer thread that takes every event waiting and commits them in
//! one transaction (group commit); a batch with a bad event is stored event by event so that
//! only the bad one is refused.

use crate::domain::Kind;
use crate::domain::cards::{NON_NUMERIC_CARDS, normalise_card};
use crate::error::{Error, Problem, shown};
use crate::ingest::files::Format;
use crate::ingest::typing::Defaults;
use crate::ingest::{IngestRequest, Inline, ingest_known};
use crate::store::live::{KnownVotes, StoryKey, Vote};
use crate::web::sources::{Refused, Signers};
use crate::web::state::Shared;
use crate::web::upload::{Refusal, refuse};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// The event's JSON Schema.
pub const SCHEMA: &str = include_str!("../../docs/round-revealed.schema.json");

/// How far a signed event's `revealed_at` may be from the server's clock.
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// Events at most in one transaction.
const BATCH: usize = 512;

/// How long without events before the writer reads what others wrote.
const IDLE: Duration = Duration::from_millis(50);

/// How long the writer may wait for the senders of its last batch.
const LINGER: Duration = Duration::from_millis(3);

/// The most rounds of a story, votes of a round and cards of a deck an event may carry.
pub const MAX_ROUND: i64 = 1000;
pub const MAX_VOTES: usize = 1000;
pub const MAX_DECK: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    event: String,
    schema_version: i64,
    #[serde(default)]
    source: Option<String>,
    team: String,
    session: String,
    story: String,
    #[serde(default)]
    story_title: Option<String>,
    round: i64,
    revealed_at: String,
    #[serde(default)]
    deck: Option<Vec<EventCard>>,
    votes: Vec<EventVote>,
    #[serde(default)]
    final_estimate: Option<EventCard>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventCard {
    card: String,
    #[serde(default)]
    value: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventVote {
    voter: String,
    card: String,
    #[serde(default)]
    value: Option<f64>,
    voted_at: String,
}

/// An event checked and turned into native rows.
struct Checked {
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
    revealed_at: chrono::DateTime<chrono::Utc>,
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
fn check(body: &[u8]) -> Result<Checked, Vec<String>> {
    // An event is one JSON object (serde would also take the fields as an array, in order).
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(vec![
            "not a round.revealed event: the body is not a JSON object".into(),
        ]);
    }
    let e: Event = serde_json::from_slice(body)
        .map_err(|e| vec![format!("not a round.revealed event: {e}")])?;
    let mut wrong = Vec::new();
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
    let revealed_at = time("revealed_at", &e.revealed_at, &mut wrong);
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
    // The event's deck: cards as normalised, with their values.
    let deck: Option<HashMap<String, Option<f64>>> = e.deck.as_ref().map(|d| {
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
    });
    let in_deck = |card: &str, value: Option<f64>, what: &str, wrong: &mut Vec<String>| {
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
        if let Some(d) = &deck {
            match d.get(&c) {
                None => wrong.push(format!(
                    "{what}: the card \"{}\" is not in the event's deck",
                    shown(&c)
                )),
                Some(Some(dv)) if value.is_some_and(|v| (v - dv).abs() > 1e-9) => {
                    wrong.push(format!(
                        "{what}: the card \"{}\" is worth {dv} in the event's deck, not {}",
                        shown(&c),
                        value.unwrap_or_default()
                    ))
                }
                _ => {}
            }
        }
    };
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
        in_deck(&v.card, v.value, &what, &mut wrong);
        let at = time(&format!("{what}: voted_at"), &v.voted_at, &mut wrong);
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
    let mut story = serde_json::Map::new();
    if let Some(f) = &e.final_estimate {
        in_deck(&f.card, f.value, "final_estimate", &mut wrong);
        let c = normalise_card(&f.card);
        let value = f.value.or_else(|| {
            deck.as_ref()
                .and_then(|d| d.get(&c).copied().flatten())
                .or_else(|| c.parse::<f64>().ok())
                .or_else(|| (c == "½").then_some(0.5))
        });
        if let Some(v) = value {
            story.insert("estimate".into(), v.into());
        }
    }
    if let Some(t) = e.story_title.as_ref().filter(|t| !t.trim().is_empty()) {
        story.insert("title".into(), t.clone().into());
    }
    let (Some(revealed_at), true) = (revealed_at, wrong.is_empty()) else {
        return Err(wrong);
    };
    let name = |what: &str| {
        format!(
            "round.revealed {} {} round {} ({what})",
            shown(&e.team),
            shown(&e.story),
            e.round
        )
    };
    let story_row = (!story.is_empty()).then(|| {
        story.insert("team".into(), e.team.clone().into());
        story.insert("story".into(), e.story.clone().into());
        Inline {
            name: name("story"),
            kind: Kind::Stories,
            format: Format::Ndjson,
            bytes: ndjson(&[serde_json::Value::Object(story)]),
        }
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
        Inline {
            name: name("deck"),
            kind: Kind::Decks,
            format: Format::Ndjson,
            bytes: ndjson(&rows),
        }
    });
    Ok(Checked {
        team: e.team.clone(),
        session: e.session.clone(),
        story: e.story.clone(),
        round: e.round,
        cast,
        votes: Inline {
            name: name("votes"),
            kind: Kind::Votes,
            format: Format::Ndjson,
            bytes: ndjson(&rows),
        },
        story_row,
        deck: deck_rows.filter(|d| !d.bytes.is_empty()),
        revealed_at,
    })
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

type Reply = Result<Stored, (StatusCode, Refusal)>;

struct Job {
    event: Checked,
    reply: tokio::sync::oneshot::Sender<Reply>,
}

/// The round writer: a queue and the thread that drains it.
pub struct Rounds {
    queue: SyncSender<Job>,
    signers: Signers,
}

impl Rounds {
    pub fn start(state: Shared) -> Arc<Rounds> {
        let (queue, jobs) = std::sync::mpsc::sync_channel::<Job>(8 * BATCH);
        let signers = Signers::new(state.db());
        std::thread::Builder::new()
            .name("round-writer".into())
            .spawn(move || writer(state, jobs))
            .expect("a thread for the round writer");
        Arc::new(Rounds { queue, signers })
    }
}

fn writer(state: Shared, jobs: Receiver<Job>) {
    let mut known = KnownVotes::new();
    let mut last = 0;
    let mut checkpointed = None;
    loop {
        let started = Instant::now();
        let first = match jobs.recv_timeout(IDLE) {
            Ok(j) => j,
            Err(RecvTimeoutError::Timeout) => {
                // Idle: catch up with what others wrote, and move the write-ahead log into
                // the file (a checkpoint at a commit makes that commit wait), so that the next
                // events wait for neither.
                let g = state.generation();
                if known.generation() != Some(g) {
                    let _ =
                        state.write(|store| store.prepare_known(&mut known, [], None), |_| None);
                }
                if checkpointed != Some(g) {
                    // Refused while a page is being read; tried again at the next idle moment.
                    if state.write(|store| store.checkpoint(), |_| None).is_ok() {
                        checkpointed = Some(g);
                    }
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut batch = vec![first];
        // Events that arrive together are stored together. Each sender of the last batch
        // waited for its answer and is about to send again; when events were already waiting
        // (they came during the last batch), those senders are not back yet. A moment's wait
        // for them lets one transaction take them all, instead of two taking half each.
        while let Ok(j) = jobs.try_recv() {
            batch.push(j);
        }
        let waited = started.elapsed() < Duration::from_micros(200) && batch.len() > 1;
        let expected = if waited { batch.len() + last } else { last };
        let until = Instant::now() + LINGER;
        while batch.len() < expected.min(BATCH) {
            match jobs.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        last = batch.len();
        commit(&state, &mut known, batch);
    }
}

/// Stores a batch in one transaction; when it is refused, each event on its own.
fn commit(state: &Shared, known: &mut KnownVotes, batch: Vec<Job>) {
    let mut decks_taken: Vec<bool> = Vec::new();
    let mut teams_created: Vec<bool> = Vec::new();
    let mut counts: Vec<(usize, usize, usize)> = Vec::new();
    let single = batch.len() == 1;
    let result = state.write(
        |store| {
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
            // Under the writer's lock the server's generation is the store's.
            store.prepare_known(known, &stories, Some(state.generation()))?;
            counts = batch
                .iter()
                .zip(&stories)
                .map(|(j, k)| classify(known.story(k).unwrap_or_default(), &j.event))
                .collect();
            // Prepared: the decks and teams are known. A team is created, and its deck taken
            // from an event, by the batch's first event that can.
            let (stored_teams, stored_decks) = (known.teams(), known.decks());
            teams_created = first_per_team(&batch, |e| {
                !stored_teams.is_some_and(|t| t.contains(&e.team))
            });
            decks_taken = first_per_team(&batch, |e| {
                e.deck.is_some() && !stored_decks.is_some_and(|d| d.contains_key(&e.team))
            });
            let events: Vec<&Checked> = batch.iter().map(|j| &j.event).collect();
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
                    let bytes: Vec<u8> =
                        parts.iter().flat_map(|p| p.bytes.iter().copied()).collect();
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
                store,
                &IngestRequest {
                    inline,
                    defaults: Defaults {
                        settings: state.settings().clone(),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                known,
            )
        },
        |o| Some(o.teams.clone()),
    );
    match result {
        Ok(_) => {
            let news = decks_taken.into_iter().zip(teams_created);
            for ((j, new), votes) in batch.into_iter().zip(news).zip(counts) {
                let _ = j.reply.send(Ok(stored_of(&j.event, votes, new)));
            }
        }
        Err(Error::Input(_)) if !single => {
            for j in batch {
                commit(state, known, vec![j]);
            }
        }
        Err(e) => {
            let (status, refusal) = Refusal::from_error(e);
            for j in batch {
                let _ = j.reply.send(Err((status, refusal.clone())));
            }
        }
    }
}

/// Per event of `batch`, whether `new` holds for it and no event before it of its team did.
fn first_per_team(batch: &[Job], new: impl Fn(&Checked) -> bool) -> Vec<bool> {
    let mut seen: HashSet<&str> = HashSet::new();
    batch
        .iter()
        .map(|j| new(&j.event) && seen.insert(j.event.team.as_str()))
        .collect()
}

/// What an event's votes do to its story's stored votes: (inserted, updated, unchanged).
fn classify(stored: &[Vote], e: &Checked) -> (usize, usize, usize) {
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
    e: &Checked,
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

/// The header that carries a source's signature.
pub const SIGNATURE: &str = "x-sprintlens-signature";
/// The header that names the signing source.
pub const SOURCE: &str = "x-sprintlens-source";

/// `POST /api/v1/rounds`.
pub async fn post_round(
    State(rounds): State<Arc<Rounds>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
    if !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the event as application/json",
        );
    }
    // Signed by a source (the access guard let it through only with a signature header), or
    // sent with an ingest token (checked by the guard).
    let signed = headers.get(SIGNATURE).and_then(|v| v.to_str().ok());
    if let Some(sig) = signed {
        let source = headers
            .get(SOURCE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        match rounds.signers.verify(source, sig, &body) {
            Ok(()) => {}
            Err(why) => {
                tracing::warn!(source = %shown(source), reason = ?why, "refused a signed round event");
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    match why {
                        Refused::UnknownSource => {
                            "unknown source (X-Sprintlens-Source); add it with `sprintlens source add NAME`"
                        }
                        Refused::BadSignature => "the signature does not match the body",
                    },
                );
            }
        }
    }
    let event = match check(&body) {
        Ok(e) => e,
        Err(wrong) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(Refusal {
                    error: format!(
                        "the event is refused, nothing was stored: {}",
                        wrong.join("; ")
                    ),
                    problems: wrong
                        .iter()
                        .map(|w| Problem::file("round.revealed", w.clone()))
                        .collect(),
                    total: wrong.len(),
                }),
            )
                .into_response();
        }
    };
    if signed.is_some() {
        let skew = (chrono::Utc::now() - event.revealed_at).num_seconds().abs();
        if skew > REPLAY_WINDOW_SECS {
            return refuse(
                StatusCode::UNAUTHORIZED,
                format!(
                    "revealed_at is {skew} s away from the server's clock; signed events are taken \
                     within {REPLAY_WINDOW_SECS} s (send older ones with an ingest token)"
                ),
            );
        }
    }
    let (reply, answer) = tokio::sync::oneshot::channel();
    match rounds.queue.try_send(Job { event, reply }) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many events waiting; send it again shortly",
            );
        }
        Err(TrySendError::Disconnected(_)) => {
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "the round writer stopped");
        }
    }
    match answer.await {
        Ok(Ok(stored)) => Json(stored).into_response(),
        Ok(Err((status, refusal))) => (status, Json(refusal)).into_response(),
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the round writer stopped",
        ),
    }
}

/// `GET /api/v1/rounds/schema`.
pub async fn schema() -> Response {
    ([(header::CONTENT_TYPE, "application/schema+json")], SCHEMA).into_response()
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
