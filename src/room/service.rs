//! The rooms of a server: each room's state behind its own lock, every change saved through the
//! store's one writer (a room survives a restart), and a version channel per room that every
//! open page listens to. A change is shown to the room's pages at once and answered once it is
//! stored; one that cannot be stored is taken back (and the pages shown so). A reveal is stored
//! as one round of canonical votes (a round event, like any poker tool's); while it is being
//! stored, the room's other actions wait for it. An accepted estimate is stored as the story's
//! estimate before the room shows it.
//!
//! Rooms are known by the SHA-256 of their link's secret; the secret itself is only in the
//! link. Participants are known by the SHA-256 of theirs (a cookie, or a header for scripts).

use crate::domain::Deck;
use crate::domain::secret::{hash, new_secret};
use crate::error::{Error, Result};
use crate::ingest::files::Format;
use crate::ingest::rounds::{Event, EventCard, EventVote, RoundJob, checked};
use crate::ingest::{IngestJob, IngestRequest, Inline};
use crate::present::pages::data::TeamData;
use crate::room::help::help;
use crate::room::state::{
    Acted, Current, Decision, NewStory, Participant, Refusal, Room, RoomCard,
};
use crate::settings::Settings;
use crate::store::rooms::{KeptRoom, SaveRoom};
use crate::store::writer::Writer;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Why an action failed: refused (the room says why: a 4xx), or the store failed (a 5xx).
#[derive(Debug)]
pub enum Failed {
    Refused(Refusal),
    Store(Error),
}

impl From<Refusal> for Failed {
    fn from(r: Refusal) -> Failed {
        Failed::Refused(r)
    }
}

impl From<Error> for Failed {
    fn from(e: Error) -> Failed {
        Failed::Store(e)
    }
}

pub type Done<T> = std::result::Result<T, Failed>;

/// One room and the channel its pages listen to (the version of its last change).
pub struct Slot {
    room: Mutex<Room>,
    changed: tokio::sync::watch::Sender<u64>,
    /// Held while a reveal is being stored: the room's other actions wait for it.
    storing: Mutex<()>,
}

impl Slot {
    fn new(room: Room) -> Slot {
        let (changed, _) = tokio::sync::watch::channel(room.version);
        Slot {
            room: Mutex::new(room),
            changed,
            storing: Mutex::new(()),
        }
    }

    /// Waits for a reveal being stored, and holds the room's actions back while held.
    fn storing(&self) -> std::sync::MutexGuard<'_, ()> {
        self.storing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells the room's pages of the room's version now.
    fn tell(&self) {
        let v = self.lock().version;
        self.changed.send_replace(v);
    }

    /// The room as it is now.
    pub fn room(&self) -> Room {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Room> {
        self.room.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The room's team.
    pub fn team(&self) -> String {
        self.lock().team.clone()
    }

    /// Hears of every change (its version).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Who holds `secret`, if they are in the room.
    pub fn who(&self, secret: Option<&str>) -> Option<Participant> {
        let h = hash(secret?);
        self.lock().participant(&h).cloned()
    }
}

/// A room just opened: its link's secret and the facilitator's.
#[derive(Debug, Clone)]
pub struct Opened {
    pub link: String,
    pub secret: String,
}

/// A room to open: for `team`, with `deck`, its facilitator `name`.
pub struct Opening {
    pub team: String,
    pub title: String,
    pub deck: Vec<RoomCard>,
    pub name: String,
    /// The facilitator watches without a card.
    pub watching: bool,
    /// The round is revealed by itself once every card is in.
    pub auto_reveal: bool,
}

/// What the store keeps of a room.
fn kept(room: &Room) -> Result<KeptRoom> {
    Ok(KeptRoom {
        room: room.id.clone(),
        team: room.team.clone(),
        session: room.session.clone(),
        title: room.title.clone(),
        opened_at: room.opened_at.naive_utc(),
        closed_at: room.closed_at.map(|t| t.naive_utc()),
        version: room.version as i64,
        state: serde_json::to_string(room)
            .map_err(|e| Error::Internal(format!("keeping a room: {e}")))?,
    })
}

/// Waits for a writer's job's answer.
fn wait<T>(answer: std::sync::mpsc::Receiver<Result<T>>) -> Result<T> {
    answer
        .recv()
        .map_err(|_| Error::Internal("the store's writer stopped".into()))?
}

/// The room's deck: the team's from the store, else the Fibonacci deck.
pub fn deck_of(stored: Option<&Deck>) -> Vec<RoomCard> {
    let fallback;
    let deck = match stored {
        Some(d) => d,
        None => {
            fallback = crate::domain::BuiltinDeck::Fibonacci.deck();
            &fallback
        }
    };
    deck.cards
        .iter()
        .filter(|c| c.value.is_some())
        .map(|c| RoomCard {
            card: c.shown.clone(),
            value: c.value,
        })
        .collect()
}

/// The rooms of a server.
#[derive(Default)]
pub struct Rooms {
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

impl Rooms {
    /// The rooms the store keeps (a room whose state cannot be read is left out and named).
    pub fn load(kept: Vec<KeptRoom>) -> Rooms {
        let mut slots = HashMap::new();
        for k in kept {
            match serde_json::from_str::<Room>(&k.state) {
                Ok(room) => {
                    slots.insert(k.room.clone(), Arc::new(Slot::new(room)));
                }
                Err(e) => eprintln!(
                    "note: the room of session {:?} cannot be read: {e}",
                    k.session
                ),
            }
        }
        Rooms {
            slots: Mutex::new(slots),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Slot>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The room of a link.
    pub fn slot(&self, link: &str) -> Option<Arc<Slot>> {
        self.slots().get(&hash(link)).cloned()
    }

    /// Every room, newest first.
    pub fn all(&self) -> Vec<Room> {
        let mut rooms: Vec<Room> = self.slots().values().map(|s| s.room()).collect();
        rooms.sort_by_key(|r| std::cmp::Reverse(r.opened_at));
        rooms
    }

    /// Opens a room: its facilitator is the one who opens it.
    pub fn open(&self, writer: &Writer, o: Opening, now: DateTime<Utc>) -> Done<Opened> {
        let (link, secret) = (new_secret()?, new_secret()?);
        let mut room = Room::open(
            hash(&link),
            &o.team,
            &o.title,
            o.deck,
            &o.name,
            hash(&secret),
            now,
        )?;
        room.auto_reveal = o.auto_reveal;
        room.participants[0].watching = o.watching;
        save(writer, &room)?;
        self.slots()
            .insert(room.id.clone(), Arc::new(Slot::new(room)));
        Ok(Opened { link, secret })
    }

    /// Runs an action on a room as `secret`'s holder; a change is shown to the room's pages at
    /// once, answered once it is saved, and taken back (and shown so) when it cannot be saved.
    pub fn act<T>(
        &self,
        writer: &Writer,
        link: &str,
        secret: Option<&str>,
        f: impl FnOnce(&mut Room, Option<&Participant>) -> Acted<T>,
    ) -> Done<T> {
        let slot = self.slot(link).ok_or_else(|| {
            Refusal::NotFound("there is no such room (or its link is mistyped)".into())
        })?;
        let (out, pending, before) = {
            let _storing = slot.storing();
            let mut room = slot.lock();
            let before = room.clone();
            let who = secret.and_then(|s| room.participant(&hash(s)).cloned());
            let out = f(&mut room, who.as_ref())?;
            if room.version == before.version {
                return Ok(out);
            }
            // Submitted under the lock: the writer takes a room's saves in their order.
            let pending = submit_save(writer, &room);
            slot.changed.send_replace(room.version);
            (out, pending, before)
        };
        match pending.and_then(wait) {
            Ok(()) => Ok(out),
            Err(e) => {
                {
                    let mut room = slot.lock();
                    if room.version == before.version + 1 {
                        room.taken_back(before);
                    }
                }
                slot.tell();
                Err(Failed::Store(e))
            }
        }
    }

    /// Joins a room under `name`: the new participant's secret.
    pub fn join(
        &self,
        writer: &Writer,
        link: &str,
        name: &str,
        watching: bool,
        now: DateTime<Utc>,
    ) -> Done<String> {
        let secret = new_secret()?;
        let h = hash(&secret);
        self.act(writer, link, None, |room, _| {
            room.join(name, h, watching, now)
        })?;
        Ok(secret)
    }

    /// Reveals the round being played, as the facilitator (`secret`) asks: stored as one
    /// round of votes (through the writer, as a round event), then shown with its help.
    /// While it is being stored, no card is taken.
    pub fn reveal(
        &self,
        writer: &Writer,
        link: &str,
        secret: Option<&str>,
        data: Option<&TeamData>,
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Done<u32> {
        let n = self.reveal_with(
            (writer, link),
            |room| {
                let who = secret.and_then(|s| room.participant(&hash(s)).cloned());
                room.to_reveal(who.as_ref()).map(Some)
            },
            (data, settings),
            now,
        )?;
        Ok(n.unwrap_or_default())
    }

    /// Reveals the round when the room reveals by itself and every card is in: the round's
    /// number, or `None` when it is not time.
    pub fn reveal_by_itself(
        &self,
        writer: &Writer,
        link: &str,
        data: Option<&TeamData>,
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Done<Option<u32>> {
        self.reveal_with(
            (writer, link),
            |room| Ok(room.to_reveal_by_itself()),
            (data, settings),
            now,
        )
    }

    /// Whether a room is waiting to reveal by itself (cheap: asked after every vote).
    pub fn ready_to_reveal(&self, link: &str) -> bool {
        self.slot(link)
            .is_some_and(|s| s.lock().to_reveal_by_itself().is_some())
    }

    fn reveal_with(
        &self,
        (writer, link): (&Writer, &str),
        pick: impl FnOnce(&Room) -> Acted<Option<Current>>,
        (data, settings): (Option<&TeamData>, &Settings),
        now: DateTime<Utc>,
    ) -> Done<Option<u32>> {
        let slot = self
            .slot(link)
            .ok_or_else(|| Refusal::NotFound("there is no such room".into()))?;
        // Held until the round and the room are stored: the room's other actions (a late
        // vote, the next round, a decision) come after the reveal, as they would have.
        let _storing = slot.storing();
        let (round, event, before) = {
            let mut room = slot.lock();
            let Some(round) = pick(&room)? else {
                return Ok(None);
            };
            let event = round_event(&room, &round, now);
            let before = room.clone();
            let h = reveal_help(&room, &round, data, settings);
            room.revealed(&round, now, h);
            (round, event, before)
        };
        // Shown at once; stored meanwhile: the round as a round event, then the room.
        slot.tell();
        if let Err(e) = store_round(writer, event, settings) {
            slot.lock().taken_back(before);
            slot.tell();
            return Err(Failed::Store(e));
        }
        // The round is stored: the room shows it revealed whatever becomes of this save (the
        // next one keeps it).
        let pending = submit_save(writer, &slot.lock())?;
        wait(pending)?;
        Ok(Some(round.round))
    }

    /// Takes a decision for a story (`(key, decision)`): an estimate is stored as the story's
    /// estimate (through the writer) before the room shows it; a split is the room's record.
    pub fn decide(
        &self,
        writer: &Writer,
        link: &str,
        secret: Option<&str>,
        (key, decision): (&str, Decision),
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Done<Decision> {
        let slot = self
            .slot(link)
            .ok_or_else(|| Refusal::NotFound("there is no such room".into()))?;
        let (decision, team, title) = {
            let room = slot.lock();
            let who = secret.and_then(|s| room.participant(&hash(s)).cloned());
            let d = room.to_decide(who.as_ref(), key, decision)?;
            let title = room.story(key).and_then(|s| s.title.clone());
            (d, room.team.clone(), title)
        };
        if let Decision::Estimate { value: Some(v), .. } = &decision {
            store_estimate(writer, &team, key, title.as_deref(), *v, settings)?;
        }
        let d = decision.clone();
        self.act(writer, link, secret, move |room, _| {
            room.decided(key, d, now);
            Ok(())
        })?;
        Ok(decision)
    }

    /// Stories of a room's team to add, as the facilitator picks them.
    pub fn add(
        &self,
        writer: &Writer,
        link: &str,
        secret: Option<&str>,
        stories: Vec<NewStory>,
    ) -> Done<usize> {
        self.act(writer, link, secret, |room, who| {
            room.add_stories(who, stories)
        })
    }
}

/// The help shown at the reveal of `round`: the cards played by whom, read against what the
/// store knows of the team.
fn reveal_help(
    room: &Room,
    round: &Current,
    data: Option<&TeamData>,
    settings: &Settings,
) -> crate::room::help::Help {
    let votes: Vec<(&str, &str)> = round
        .votes
        .iter()
        .map(|(place, (card, _))| (room.name_of(*place).unwrap_or_default(), card.as_str()))
        .collect();
    let cards: crate::metrics::spread::DeckCards = room
        .deck
        .iter()
        .map(|c| (c.card.as_str().into(), c.value))
        .collect();
    help(
        (
            &room.team,
            &room.session,
            &round.story,
            i64::from(round.round),
        ),
        &votes,
        &cards,
        data,
        settings,
    )
}

/// Hands a room's save to the writer; the receiver hears when it is stored.
fn submit_save(writer: &Writer, room: &Room) -> Result<std::sync::mpsc::Receiver<Result<()>>> {
    let (reply, answer) = std::sync::mpsc::channel();
    writer
        .submit(Box::new(SaveRoom {
            room: kept(room)?,
            reply: Some(Box::new(move |r| {
                let _ = reply.send(r);
            })),
        }))
        .map_err(|_| Error::Internal("the store's writer stopped".into()))?;
    Ok(answer)
}

fn save(writer: &Writer, room: &Room) -> Result<()> {
    wait(submit_save(writer, room)?)
}

/// The round event of a round being revealed: the room's session, its deck (a team that has
/// none yet takes it), each card with the time it was picked.
fn round_event(room: &Room, round: &Current, now: DateTime<Utc>) -> Event {
    let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Event {
        event: "round.revealed".into(),
        schema_version: 1,
        source: Some("sprintlens room".into()),
        team: room.team.clone(),
        session: room.session.clone(),
        story: round.story.clone(),
        story_title: room.story(&round.story).and_then(|s| s.title.clone()),
        round: i64::from(round.round),
        revealed_at: rfc(now),
        deck: Some(
            room.deck
                .iter()
                .map(|c| EventCard {
                    card: c.card.clone(),
                    value: c.value,
                })
                .collect(),
        ),
        votes: round
            .votes
            .iter()
            .map(|(place, (card, at))| EventVote {
                voter: room.name_of(*place).unwrap_or_default().to_string(),
                card: card.clone(),
                value: room.deck_card(card).and_then(|c| c.value),
                voted_at: rfc(*at),
            })
            .collect(),
        final_estimate: None,
    }
}

/// Stores a round event through the writer and waits for it.
fn store_round(writer: &Writer, event: Event, settings: &Settings) -> Result<()> {
    let event = checked(event).map_err(|wrong| {
        Error::Internal(format!(
            "the room's round is not a valid event: {}",
            wrong.join("; ")
        ))
    })?;
    let (reply, answer) = std::sync::mpsc::channel();
    writer
        .submit(Box::new(RoundJob {
            event,
            settings: settings.clone(),
            reply: Box::new(move |r| {
                let _ = reply.send(r);
            }),
        }))
        .map_err(|_| Error::Internal("the store's writer stopped".into()))?;
    wait(answer).map(|_| ())
}

/// Stores a story's accepted estimate (and its title) through the writer and waits for it.
fn store_estimate(
    writer: &Writer,
    team: &str,
    key: &str,
    title: Option<&str>,
    points: f64,
    settings: &Settings,
) -> Result<()> {
    let mut row = serde_json::json!({ "team": team, "story": key, "estimate": points });
    if let Some(t) = title {
        row["title"] = t.into();
    }
    let (reply, answer) = std::sync::mpsc::channel();
    writer
        .submit(Box::new(IngestJob {
            request: IngestRequest {
                inline: vec![Inline {
                    name: format!("estimate of {key} in the room"),
                    kind: crate::domain::Kind::Stories,
                    format: Format::Ndjson,
                    bytes: format!("{row}\n").into_bytes(),
                }],
                defaults: crate::ingest::typing::Defaults {
                    settings: settings.clone(),
                    ..Default::default()
                },
                ..Default::default()
            },
            reply: Box::new(move |r| {
                let _ = reply.send(r.map(|_| ()));
            }),
        }))
        .map_err(|_| Error::Internal("the store's writer stopped".into()))?;
    wait(answer)
}
