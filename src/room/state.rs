//! One room's state and the actions that change it: join, stories, rounds, votes, the reveal,
//! the estimate, closing. Every action checks who may do it and whether it can be done now;
//! a refused action changes nothing and says why (as the 4xx an HTTP client gets). What a
//! participant may see is cut from it by [`Room::view`]: never another's card before the
//! reveal.

use crate::domain::cards::{NON_NUMERIC_CARDS, normalise_card};
use crate::room::help::Help;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most participants of a room.
pub const MAX_PARTICIPANTS: usize = 50;
/// The most stories of a room.
pub const MAX_STORIES: usize = 500;
/// The longest name, story key, title or note (characters).
pub const MAX_TEXT: usize = 200;
/// The most cards of a room's deck.
pub const MAX_DECK: usize = 40;

/// Why an action was refused: what an HTTP client gets as a 4xx with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request itself cannot be taken (400).
    Bad(String),
    /// Not this participant's to do (403).
    NotAllowed(String),
    /// No such room, story or participant (404).
    NotFound(String),
    /// Not now: the room's state does not allow it (409).
    Conflict(String),
}

impl Refusal {
    pub fn reason(&self) -> &str {
        match self {
            Refusal::Bad(r)
            | Refusal::NotAllowed(r)
            | Refusal::NotFound(r)
            | Refusal::Conflict(r) => r,
        }
    }
}

pub type Acted<T> = std::result::Result<T, Refusal>;

/// A card of the room's deck.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomCard {
    pub card: String,
    pub value: Option<f64>,
}

/// Someone in the room. Their place is their number in the room (1, 2, ...), kept when they
/// drop and come back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Participant {
    pub place: u32,
    pub name: String,
    /// SHA-256 of their secret (the cookie or header that says who they are).
    pub secret_hash: String,
    pub facilitator: bool,
    pub joined_at: DateTime<Utc>,
    /// Watches without a card (a facilitator who does not estimate, a guest).
    #[serde(default)]
    pub watching: bool,
}

/// A revealed round: every card with its time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevealedRound {
    pub round: u32,
    pub started_at: DateTime<Utc>,
    pub revealed_at: DateTime<Utc>,
    /// (place, name, card, voted_at), by place.
    pub votes: Vec<(u32, String, String, DateTime<Utc>)>,
    pub help: Help,
}

/// What the room decided for a story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Estimate { card: String, value: Option<f64> },
    Split { note: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoomStory {
    pub key: String,
    pub title: Option<String>,
    pub rounds: Vec<RevealedRound>,
    pub decision: Option<Decision>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// The round being played: its story, number, and the cards picked so far (hidden).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Current {
    pub story: String,
    pub round: u32,
    pub started_at: DateTime<Utc>,
    /// place -> (card, voted_at). (Rooms saved by an earlier version may also hold
    /// `revealing`, a round being stored when they were saved: it is read as open again.)
    pub votes: BTreeMap<u32, (String, DateTime<Utc>)>,
}

/// One room.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Room {
    /// The link's secret (128 bits or more): who has it may join.
    pub id: String,
    pub team: String,
    /// The canonical session its rounds are stored under.
    pub session: String,
    pub title: String,
    pub deck: Vec<RoomCard>,
    pub participants: Vec<Participant>,
    pub stories: Vec<RoomStory>,
    pub current: Option<Current>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Bumped by every change: pages show the state of a version.
    pub version: u64,
    /// The round is revealed by itself once every participant with a card has picked one.
    #[serde(default)]
    pub auto_reveal: bool,
}

/// A text a user gave: trimmed, not empty, at most [`MAX_TEXT`] characters, no control
/// characters.
pub fn clean_text(what: &str, s: &str) -> Acted<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Refusal::Bad(format!("{what} is empty")));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(Refusal::Bad(format!(
            "{what} is longer than {MAX_TEXT} characters"
        )));
    }
    if t.chars().any(char::is_control) {
        return Err(Refusal::Bad(format!("{what} holds a control character")));
    }
    Ok(t.to_string())
}

/// A story key: as [`clean_text`], without spaces.
fn clean_key(s: &str) -> Acted<String> {
    let k = clean_text("the story key", s)?;
    if k.chars().any(char::is_whitespace) {
        return Err(Refusal::Bad(format!(
            "the story key \"{}\" holds a space (a key is one word, e.g. PAY-142)",
            crate::error::shown(&k)
        )));
    }
    Ok(k)
}

/// A story to add: its key and title.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewStory {
    pub key: String,
    #[serde(default)]
    pub title: Option<String>,
}

/// Stories pasted as lines of `KEY title` (a line of a key alone has no title; blank lines are
/// skipped).
pub fn pasted_stories(text: &str) -> Vec<NewStory> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((k, t)) => NewStory {
                key: k.trim_end_matches(':').to_string(),
                title: Some(t.trim().to_string()).filter(|t| !t.is_empty()),
            },
            None => NewStory {
                key: l.to_string(),
                title: None,
            },
        })
        .collect()
}

impl Room {
    /// A new room for `team`, its facilitator's place 1.
    pub fn open(
        id: String,
        team: &str,
        title: &str,
        deck: Vec<RoomCard>,
        facilitator: &str,
        facilitator_secret_hash: String,
        now: DateTime<Utc>,
    ) -> Acted<Room> {
        let title = clean_text("the room's title", title)?;
        let name = clean_text("your name", facilitator)?;
        let deck = checked_deck(deck)?;
        Ok(Room {
            session: format!(
                "room {} {}",
                now.format("%Y-%m-%d %H:%M"),
                &id[..6.min(id.len())]
            ),
            id,
            team: team.to_string(),
            title,
            deck,
            participants: vec![Participant {
                place: 1,
                name,
                secret_hash: facilitator_secret_hash,
                facilitator: true,
                joined_at: now,
                watching: false,
            }],
            stories: Vec::new(),
            current: None,
            opened_at: now,
            closed_at: None,
            version: 1,
            auto_reveal: false,
        })
    }

    fn changed(&mut self) {
        self.version += 1;
    }

    fn open_or_refuse(&self) -> Acted<()> {
        match self.closed_at {
            Some(_) => Err(Refusal::Conflict("the room is closed".into())),
            None => Ok(()),
        }
    }

    /// Who holds `secret_hash`, if anyone here.
    pub fn participant(&self, secret_hash: &str) -> Option<&Participant> {
        self.participants
            .iter()
            .find(|p| p.secret_hash == secret_hash)
    }

    fn facilitator(&self, who: Option<&Participant>) -> Acted<()> {
        match who {
            Some(p) if p.facilitator => Ok(()),
            Some(_) => Err(Refusal::NotAllowed(
                "only the facilitator may do this".into(),
            )),
            None => Err(Refusal::NotAllowed(
                "join the room first (you are not one of its participants)".into(),
            )),
        }
    }

    /// Joins under `name` (to vote, or `watching` without a card); gives the place.
    pub fn join(
        &mut self,
        name: &str,
        secret_hash: String,
        watching: bool,
        now: DateTime<Utc>,
    ) -> Acted<u32> {
        self.open_or_refuse()?;
        let name = clean_text("your name", name)?;
        if self
            .participants
            .iter()
            .any(|p| p.name.to_lowercase() == name.to_lowercase())
        {
            return Err(Refusal::Conflict(format!(
                "someone in the room is already called \"{}\"; choose another name",
                crate::error::shown(&name)
            )));
        }
        if self.participants.len() >= MAX_PARTICIPANTS {
            return Err(Refusal::Conflict(format!(
                "the room is full ({MAX_PARTICIPANTS} participants)"
            )));
        }
        let place = self.participants.iter().map(|p| p.place).max().unwrap_or(0) + 1;
        self.participants.push(Participant {
            place,
            name,
            secret_hash,
            facilitator: false,
            joined_at: now,
            watching,
        });
        self.changed();
        Ok(place)
    }

    /// Adds stories (the facilitator's); a key already in the room is refused, as is going
    /// past [`MAX_STORIES`]. All or none are added.
    pub fn add_stories(
        &mut self,
        who: Option<&Participant>,
        stories: Vec<NewStory>,
    ) -> Acted<usize> {
        self.open_or_refuse()?;
        self.facilitator(who)?;
        if stories.is_empty() {
            return Err(Refusal::Bad("no story to add".into()));
        }
        if self.stories.len() + stories.len() > MAX_STORIES {
            return Err(Refusal::Conflict(format!(
                "a room holds at most {MAX_STORIES} stories ({} now)",
                self.stories.len()
            )));
        }
        let mut added: Vec<RoomStory> = Vec::new();
        for s in stories {
            let key = clean_key(&s.key)?;
            let title = s
                .title
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(|t| clean_text("the title", t))
                .transpose()?;
            if self.story(&key).is_some() || added.iter().any(|a| a.key == key) {
                return Err(Refusal::Conflict(format!(
                    "the story \"{}\" is already in the room",
                    crate::error::shown(&key)
                )));
            }
            added.push(RoomStory {
                key,
                title,
                rounds: Vec::new(),
                decision: None,
                decided_at: None,
            });
        }
        let n = added.len();
        self.stories.extend(added);
        self.changed();
        Ok(n)
    }

    pub fn story(&self, key: &str) -> Option<&RoomStory> {
        self.stories.iter().find(|s| s.key == key)
    }

    /// Changes the deck (the facilitator's), while no round is being played.
    pub fn set_deck(&mut self, who: Option<&Participant>, deck: Vec<RoomCard>) -> Acted<()> {
        self.open_or_refuse()?;
        self.facilitator(who)?;
        if self.current.is_some() {
            return Err(Refusal::Conflict(
                "a round is being played: reveal it before changing the deck".into(),
            ));
        }
        self.deck = checked_deck(deck)?;
        self.changed();
        Ok(())
    }

    /// Starts the next round of a story (the facilitator's); another round being played is
    /// refused, as is a story already decided.
    pub fn start_round(
        &mut self,
        who: Option<&Participant>,
        key: &str,
        now: DateTime<Utc>,
    ) -> Acted<u32> {
        self.open_or_refuse()?;
        self.facilitator(who)?;
        if let Some(c) = &self.current {
            return Err(Refusal::Conflict(format!(
                "round {} of \"{}\" is being played: reveal it first",
                c.round,
                crate::error::shown(&c.story)
            )));
        }
        let story = self.story(key).ok_or_else(|| {
            Refusal::NotFound(format!(
                "no story \"{}\" in the room",
                crate::error::shown(key)
            ))
        })?;
        if story.decision.is_some() {
            return Err(Refusal::Conflict(format!(
                "\"{}\" is decided already",
                crate::error::shown(key)
            )));
        }
        let round = story.rounds.len() as u32 + 1;
        self.current = Some(Current {
            story: key.to_string(),
            round,
            started_at: now,
            votes: BTreeMap::new(),
        });
        self.changed();
        Ok(round)
    }

    /// A card of the deck as the room shows it (`?`, `☕`, `∞` and `pass` are always there).
    pub fn deck_card(&self, card: &str) -> Option<RoomCard> {
        let c = normalise_card(card);
        if NON_NUMERIC_CARDS.contains(&c.as_str()) {
            return Some(RoomCard {
                card: c,
                value: None,
            });
        }
        self.deck.iter().find(|d| d.card == c).cloned()
    }

    /// Picks (or changes) a card in the round being played.
    pub fn vote(&mut self, who: Option<&Participant>, card: &str, now: DateTime<Utc>) -> Acted<()> {
        self.open_or_refuse()?;
        let place = match who {
            None => return Err(Refusal::NotAllowed("join the room first".into())),
            Some(p) if p.watching => {
                return Err(Refusal::NotAllowed(
                    "you watch this room without a card (join again to vote)".into(),
                ));
            }
            Some(p) => p.place,
        };
        let card = self.deck_card(card).ok_or_else(|| {
            Refusal::Bad(format!(
                "\"{}\" is not a card of this room's deck ({})",
                crate::error::shown(card),
                self.deck
                    .iter()
                    .map(|c| c.card.as_str())
                    .chain(NON_NUMERIC_CARDS)
                    .collect::<Vec<_>>()
                    .join(" ")
            ))
        })?;
        let current = self.current.as_mut().ok_or_else(|| {
            Refusal::Conflict("no round is being played (it has been revealed)".into())
        })?;
        current.votes.insert(place, (card.card, now));
        self.changed();
        Ok(())
    }

    /// Whether every participant with a card has picked one in the round being played.
    pub fn all_voted(&self) -> bool {
        self.current.as_ref().is_some_and(|c| {
            let mut voters = self.participants.iter().filter(|p| !p.watching).peekable();
            voters.peek().is_some() && voters.all(|p| c.votes.contains_key(&p.place))
        })
    }

    /// The round to reveal by itself: the room reveals on its own and every card is in.
    pub fn to_reveal_by_itself(&self) -> Option<Current> {
        (self.auto_reveal && self.all_voted())
            .then(|| self.round_to_reveal().ok())
            .flatten()
    }

    /// The round the facilitator reveals, checked: its story, number, start and cards (with
    /// the names they are stored under). The room changes with [`Room::revealed`].
    pub fn to_reveal(&self, who: Option<&Participant>) -> Acted<Current> {
        self.facilitator(who)?;
        self.round_to_reveal()
    }

    fn round_to_reveal(&self) -> Acted<Current> {
        self.open_or_refuse()?;
        let current = self
            .current
            .clone()
            .ok_or_else(|| Refusal::Conflict("no round is being played".into()))?;
        if current.votes.is_empty() {
            return Err(Refusal::Conflict(
                "nobody has picked a card yet: nothing to reveal".into(),
            ));
        }
        Ok(current)
    }

    /// The name of the participant at `place`.
    pub fn name_of(&self, place: u32) -> Option<&str> {
        self.participants
            .iter()
            .find(|p| p.place == place)
            .map(|p| p.name.as_str())
    }

    /// A change that could not be stored, taken back: the room as it was `before` it, at a
    /// newer version (its pages show it as it was: a reveal's round open again, with its cards).
    pub fn taken_back(&mut self, mut before: Room) {
        before.version = self.version;
        *self = before;
        self.changed();
    }

    /// The round revealed: kept with its cards and help, the next round may start. Votes cast
    /// after [`Room::to_reveal`] read the round (late) are not part of it: they are dropped.
    pub fn revealed(&mut self, round: &Current, at: DateTime<Utc>, help: Help) {
        let votes = round
            .votes
            .iter()
            .map(|(place, (card, voted_at))| {
                let name = self.name_of(*place).unwrap_or_default().to_string();
                (*place, name, card.clone(), *voted_at)
            })
            .collect();
        if let Some(s) = self.stories.iter_mut().find(|s| s.key == round.story) {
            s.rounds.push(RevealedRound {
                round: round.round,
                started_at: round.started_at,
                revealed_at: at,
                votes,
                help,
            });
        }
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.story == round.story && c.round == round.round)
        {
            self.current = None;
        }
        self.changed();
    }

    /// The decision the facilitator takes for a story, checked (stored by the caller, then
    /// [`Room::decided`]): an estimate (any card of the deck) or a split with its note.
    pub fn to_decide(
        &self,
        who: Option<&Participant>,
        key: &str,
        decision: Decision,
    ) -> Acted<Decision> {
        self.open_or_refuse()?;
        self.facilitator(who)?;
        let story = self.story(key).ok_or_else(|| {
            Refusal::NotFound(format!(
                "no story \"{}\" in the room",
                crate::error::shown(key)
            ))
        })?;
        if self.current.as_ref().is_some_and(|c| c.story == key) {
            return Err(Refusal::Conflict(
                "its round is being played: reveal it first".into(),
            ));
        }
        if story.rounds.is_empty() {
            return Err(Refusal::Conflict(
                "the story has no revealed round yet".into(),
            ));
        }
        match decision {
            Decision::Estimate { card, .. } => {
                let c = self
                    .deck_card(&card)
                    .filter(|c| c.value.is_some())
                    .ok_or_else(|| {
                        Refusal::Bad(format!(
                            "\"{}\" is not a card with points in this room's deck",
                            crate::error::shown(&card)
                        ))
                    })?;
                Ok(Decision::Estimate {
                    card: c.card,
                    value: c.value,
                })
            }
            Decision::Split { note } => Ok(Decision::Split {
                note: if note.trim().is_empty() {
                    String::new()
                } else {
                    clean_text("the note", &note)?
                },
            }),
        }
    }

    pub fn decided(&mut self, key: &str, decision: Decision, at: DateTime<Utc>) {
        if let Some(s) = self.stories.iter_mut().find(|s| s.key == key) {
            s.decision = Some(decision);
            s.decided_at = Some(at);
        }
        self.changed();
    }

    /// Closes the room (the facilitator's): its link takes nobody more, nothing more is played.
    pub fn close(&mut self, who: Option<&Participant>, now: DateTime<Utc>) -> Acted<()> {
        self.open_or_refuse()?;
        self.facilitator(who)?;
        self.closed_at = Some(now);
        self.current = None;
        self.changed();
        Ok(())
    }

    /// What `who` sees: everyone's place and name, who has voted in the round being played
    /// (never what, except their own card), the revealed rounds with their cards and help.
    pub fn view(&self, who: Option<&Participant>) -> View {
        let current = self.current.as_ref().map(|c| CurrentView {
            story: c.story.clone(),
            round: c.round,
            voted: c.votes.keys().copied().collect(),
            your_card: who
                .and_then(|p| c.votes.get(&p.place))
                .map(|(card, _)| card.clone()),
        });
        View {
            room: self.id.clone(),
            team: self.team.clone(),
            session: self.session.clone(),
            title: self.title.clone(),
            version: self.version,
            closed: self.closed_at.is_some(),
            deck: self
                .deck
                .iter()
                .map(|c| c.card.clone())
                .chain(["?", "☕"].map(String::from))
                .collect(),
            you: who.map(|p| YouView {
                place: p.place,
                name: p.name.clone(),
                facilitator: p.facilitator,
                watching: p.watching,
            }),
            auto_reveal: self.auto_reveal,
            participants: self
                .participants
                .iter()
                .map(|p| ParticipantView {
                    place: p.place,
                    name: p.name.clone(),
                    facilitator: p.facilitator,
                    watching: p.watching,
                    voted: self
                        .current
                        .as_ref()
                        .is_some_and(|c| c.votes.contains_key(&p.place)),
                })
                .collect(),
            stories: self
                .stories
                .iter()
                .map(|s| StoryView {
                    key: s.key.clone(),
                    title: s.title.clone(),
                    rounds: s
                        .rounds
                        .iter()
                        .map(|r| RoundView {
                            round: r.round,
                            cards: r
                                .votes
                                .iter()
                                .map(|(place, name, card, _)| CardView {
                                    place: *place,
                                    name: name.clone(),
                                    card: card.clone(),
                                })
                                .collect(),
                            help: r.help.clone(),
                        })
                        .collect(),
                    decision: s.decision.clone(),
                    playing: self.current.as_ref().is_some_and(|c| c.story == s.key),
                })
                .collect(),
            revealed: self.last_revealed(),
            current,
        }
    }

    /// The story whose round was revealed last and that waits for the facilitator's decision,
    /// while no round is being played.
    fn last_revealed(&self) -> Option<String> {
        if self.current.is_some() {
            return None;
        }
        self.stories
            .iter()
            .filter(|s| s.decision.is_none())
            .filter_map(|s| s.rounds.last().map(|r| (r.revealed_at, &s.key)))
            .max_by_key(|(at, _)| *at)
            .map(|(_, key)| key.clone())
    }
}

/// A deck given for a room: cards as normalised, at least two with points, at most
/// [`MAX_DECK`], no card twice (`?` and `☕` are always there and not listed).
fn checked_deck(deck: Vec<RoomCard>) -> Acted<Vec<RoomCard>> {
    let mut out: Vec<RoomCard> = Vec::new();
    for c in deck {
        let card = normalise_card(&c.card);
        if card.is_empty() || NON_NUMERIC_CARDS.contains(&card.as_str()) {
            continue;
        }
        if card.chars().count() > 12 {
            return Err(Refusal::Bad(format!(
                "the card \"{}\" is longer than 12 characters",
                crate::error::shown(&card)
            )));
        }
        if out.iter().any(|o| o.card == card) {
            return Err(Refusal::Bad(format!("the deck lists \"{card}\" twice")));
        }
        if c.value.is_some_and(|v| !(v.is_finite() && v >= 0.0)) {
            return Err(Refusal::Bad(format!(
                "the card \"{card}\" has a value that is not a number of points"
            )));
        }
        out.push(RoomCard {
            card,
            value: c.value,
        });
    }
    if out.iter().filter(|c| c.value.is_some()).count() < 2 {
        return Err(Refusal::Bad(
            "a deck needs at least two cards with points".into(),
        ));
    }
    if out.len() > MAX_DECK {
        return Err(Refusal::Bad(format!("a deck has at most {MAX_DECK} cards")));
    }
    Ok(out)
}

/// What a participant sees of a room.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub room: String,
    pub team: String,
    pub session: String,
    pub title: String,
    pub version: u64,
    pub closed: bool,
    /// The round is revealed by itself once every card is in.
    pub auto_reveal: bool,
    pub deck: Vec<String>,
    pub you: Option<YouView>,
    pub participants: Vec<ParticipantView>,
    pub stories: Vec<StoryView>,
    pub current: Option<CurrentView>,
    /// The story revealed last and not decided yet (none while a round is played).
    pub revealed: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct YouView {
    pub place: u32,
    pub name: String,
    pub facilitator: bool,
    pub watching: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParticipantView {
    pub place: u32,
    pub name: String,
    pub facilitator: bool,
    pub watching: bool,
    /// Has picked a card in the round being played (never which).
    pub voted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoryView {
    pub key: String,
    pub title: Option<String>,
    pub rounds: Vec<RoundView>,
    pub decision: Option<Decision>,
    pub playing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoundView {
    pub round: u32,
    pub cards: Vec<CardView>,
    pub help: Help,
}

#[derive(Debug, Clone, Serialize)]
pub struct CardView {
    pub place: u32,
    pub name: String,
    pub card: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrentView {
    pub story: String,
    pub round: u32,
    /// The places that have picked a card.
    pub voted: Vec<u32>,
    /// The viewer's own card, when they have picked one.
    pub your_card: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + i64::from(s), 0).unwrap()
    }

    fn fib() -> Vec<RoomCard> {
        [1.0, 2.0, 3.0, 5.0, 8.0, 13.0]
            .iter()
            .map(|v| RoomCard {
                card: format!("{v}"),
                value: Some(*v),
            })
            .collect()
    }

    fn room() -> Room {
        Room::open(
            "r".repeat(26),
            "pay",
            "Sprint 13",
            fib(),
            "Ann",
            "h-ann".into(),
            t(0),
        )
        .unwrap()
    }

    #[test]
    fn a_reveal_taken_back_opens_the_round_again_with_its_cards() {
        let mut r = room();
        let ann = r.participant("h-ann").cloned();
        r.join("Bob", "h-bob".into(), false, t(1)).unwrap();
        let bob = r.participant("h-bob").cloned();
        r.add_stories(ann.as_ref(), pasted_stories("PAY-1 Refund"))
            .unwrap();
        r.start_round(ann.as_ref(), "PAY-1", t(2)).unwrap();
        r.vote(bob.as_ref(), "8", t(3)).unwrap();
        let before = r.clone();
        let round = r.to_reveal(ann.as_ref()).unwrap();
        r.revealed(&round, t(4), Help::default());
        let shown = r.version;
        assert_eq!(shown, before.version + 1);
        // The round could not be stored: the room is as before, at a newer version.
        r.taken_back(before);
        assert_eq!(r.version, shown + 1);
        assert!(r.stories[0].rounds.is_empty());
        let c = r.current.as_ref().unwrap();
        assert_eq!((c.story.as_str(), c.round), ("PAY-1", 1));
        assert_eq!(c.votes.get(&2).map(|v| v.0.as_str()), Some("8"));
        // Cards are taken again, and it can be revealed again.
        r.vote(ann.as_ref(), "5", t(5)).unwrap();
        assert_eq!(r.to_reveal(ann.as_ref()).unwrap().votes.len(), 2);
    }

    #[test]
    fn a_round_saved_while_being_stored_by_an_earlier_version_is_open_again() {
        let mut r = room();
        let ann = r.participant("h-ann").cloned();
        r.add_stories(ann.as_ref(), pasted_stories("PAY-1 Refund"))
            .unwrap();
        r.start_round(ann.as_ref(), "PAY-1", t(2)).unwrap();
        let saved = serde_json::to_string(&r)
            .unwrap()
            .replace(r#""votes":{}"#, r#""votes":{},"revealing":true"#);
        assert!(saved.contains(r#""revealing":true"#), "{saved}");
        let mut back: Room = serde_json::from_str(&saved).unwrap();
        back.vote(ann.as_ref(), "5", t(3)).unwrap();
        assert_eq!(back.to_reveal(ann.as_ref()).unwrap().votes.len(), 1);
    }

    #[test]
    fn a_round_is_played_hidden_then_revealed() {
        let mut r = room();
        let ann = r.participant("h-ann").cloned();
        assert_eq!(r.join("Bob", "h-bob".into(), false, t(1)), Ok(2));
        assert_eq!(
            r.join("bob", "h-2".into(), false, t(1))
                .map_err(|e| matches!(e, Refusal::Conflict(_))),
            Err(true)
        );
        let bob = r.participant("h-bob").cloned();
        // Only the facilitator adds stories and starts rounds.
        assert!(matches!(
            r.add_stories(bob.as_ref(), pasted_stories("PAY-1 Refund")),
            Err(Refusal::NotAllowed(_))
        ));
        assert_eq!(
            r.add_stories(ann.as_ref(), pasted_stories("PAY-1 Refund\n\nPAY-2\n")),
            Ok(2)
        );
        assert_eq!(r.stories[0].title.as_deref(), Some("Refund"));
        assert_eq!(r.stories[1].title, None);
        assert!(matches!(
            r.add_stories(ann.as_ref(), pasted_stories("PAY-1 again")),
            Err(Refusal::Conflict(_))
        ));
        assert_eq!(r.start_round(ann.as_ref(), "PAY-1", t(2)), Ok(1));
        assert!(matches!(
            r.start_round(ann.as_ref(), "PAY-2", t(2)),
            Err(Refusal::Conflict(_))
        ));
        // A card not on the deck is refused; a card may be changed until the reveal.
        assert!(matches!(
            r.vote(bob.as_ref(), "4", t(3)),
            Err(Refusal::Bad(_))
        ));
        r.vote(bob.as_ref(), "8", t(3)).unwrap();
        r.vote(bob.as_ref(), "5", t(4)).unwrap();
        r.vote(ann.as_ref(), "3", t(5)).unwrap();
        assert!(r.all_voted());
        // Before the reveal Bob sees that Ann voted, and his own card only.
        let v = r.view(bob.as_ref());
        let c = v.current.as_ref().unwrap();
        assert_eq!(
            (c.your_card.as_deref(), c.voted.clone()),
            (Some("5"), vec![1, 2])
        );
        assert!(v.stories.iter().all(|s| s.rounds.is_empty()));
        let ann_view = serde_json::to_string(&r.view(ann.as_ref())).unwrap();
        assert!(ann_view.contains(r#""your_card":"3""#), "{ann_view}");
        assert!(!ann_view.contains(r#""your_card":"5""#), "{ann_view}");
        let round = r.to_reveal(ann.as_ref()).unwrap();
        assert!(matches!(
            r.to_reveal(bob.as_ref()),
            Err(Refusal::NotAllowed(_))
        ));
        assert_eq!(r.view(None).revealed, None);
        r.revealed(&round, t(6), Help::default());
        assert!(r.current.is_none());
        assert_eq!(r.view(None).revealed.as_deref(), Some("PAY-1"));
        assert_eq!(
            r.stories[0].rounds[0].votes,
            vec![
                (1, "Ann".to_string(), "3".to_string(), t(5)),
                (2, "Bob".to_string(), "5".to_string(), t(4))
            ]
        );
        // A late vote is refused.
        assert!(matches!(
            r.vote(bob.as_ref(), "5", t(7)),
            Err(Refusal::Conflict(_))
        ));
        // A second round keeps the first.
        assert_eq!(r.start_round(ann.as_ref(), "PAY-1", t(8)), Ok(2));
        assert_eq!(r.view(None).revealed, None);
        r.vote(bob.as_ref(), "5", t(9)).unwrap();
        let round = r.to_reveal(ann.as_ref()).unwrap();
        r.revealed(&round, t(10), Help::default());
        assert_eq!(r.stories[0].rounds.len(), 2);
        let d = r
            .to_decide(
                ann.as_ref(),
                "PAY-1",
                Decision::Estimate {
                    card: "5".into(),
                    value: None,
                },
            )
            .unwrap();
        assert_eq!(
            d,
            Decision::Estimate {
                card: "5".into(),
                value: Some(5.0)
            }
        );
        assert!(matches!(
            r.to_decide(
                ann.as_ref(),
                "PAY-2",
                Decision::Split {
                    note: "too big".into()
                }
            ),
            Err(Refusal::Conflict(_))
        ));
        r.decided("PAY-1", d, t(11));
        assert_eq!(r.view(None).revealed, None);
        assert!(matches!(
            r.start_round(ann.as_ref(), "PAY-1", t(12)),
            Err(Refusal::Conflict(_))
        ));
        r.close(ann.as_ref(), t(13)).unwrap();
        assert!(matches!(
            r.join("Cy", "h-cy".into(), false, t(14)),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn a_room_that_reveals_by_itself_waits_for_every_card_but_not_for_watchers() {
        let mut r = room();
        r.auto_reveal = true;
        r.participants[0].watching = true;
        let ann = r.participant("h-ann").cloned();
        r.join("Bob", "h-bob".into(), false, t(1)).unwrap();
        r.join("Cy", "h-cy".into(), false, t(1)).unwrap();
        r.join("Dee", "h-dee".into(), true, t(1)).unwrap();
        let (bob, cy, dee) = (
            r.participant("h-bob").cloned(),
            r.participant("h-cy").cloned(),
            r.participant("h-dee").cloned(),
        );
        r.add_stories(ann.as_ref(), pasted_stories("PAY-1"))
            .unwrap();
        // Nobody votes: nothing to reveal, even though no watcher is missing.
        assert!(!r.all_voted());
        r.start_round(ann.as_ref(), "PAY-1", t(2)).unwrap();
        assert!(!r.all_voted());
        // Watchers have no card.
        assert!(matches!(
            r.vote(ann.as_ref(), "3", t(3)),
            Err(Refusal::NotAllowed(_))
        ));
        assert!(matches!(
            r.vote(dee.as_ref(), "3", t(3)),
            Err(Refusal::NotAllowed(_))
        ));
        r.vote(bob.as_ref(), "3", t(3)).unwrap();
        assert_eq!(r.to_reveal_by_itself().map(|c| c.round), None);
        r.vote(cy.as_ref(), "5", t(4)).unwrap();
        let round = r.to_reveal_by_itself().unwrap();
        assert_eq!(round.votes.keys().copied().collect::<Vec<_>>(), vec![2, 3]);
        // A room that does not reveal by itself waits for its facilitator.
        r.auto_reveal = false;
        assert!(r.all_voted() && r.to_reveal_by_itself().is_none());
    }

    #[test]
    fn what_users_give_is_checked() {
        assert!(clean_text("name", " \u{7}x").is_err());
        assert!(clean_text("name", &"x".repeat(MAX_TEXT + 1)).is_err());
        assert_eq!(clean_text("name", "  Ann ").unwrap(), "Ann");
        assert!(clean_key("PAY 1").is_err());
        let bad = vec![RoomCard {
            card: "5".into(),
            value: Some(5.0),
        }];
        assert!(checked_deck(bad).is_err());
        let twice = vec![
            RoomCard {
                card: "5".into(),
                value: Some(5.0),
            },
            RoomCard {
                card: "5".into(),
                value: Some(5.0),
            },
        ];
        assert!(checked_deck(twice).is_err());
        let mut r = room();
        let ann = r.participant("h-ann").cloned();
        let many: Vec<NewStory> = (0..=MAX_STORIES)
            .map(|i| NewStory {
                key: format!("S-{i}"),
                title: None,
            })
            .collect();
        assert!(matches!(
            r.add_stories(ann.as_ref(), many),
            Err(Refusal::Conflict(_))
        ));
        assert!(r.stories.is_empty(), "all or none");
        for i in 2..=MAX_PARTICIPANTS as u32 {
            r.join(&format!("p{i}"), format!("h{i}"), false, t(1))
                .unwrap();
        }
        assert!(matches!(
            r.join("late", "hl".into(), false, t(1)),
            Err(Refusal::Conflict(_))
        ));
    }
}
