//! What the live round writer knows of the stored votes, so that a round event is stored
//! without searching millions of votes: which stories have votes in the store (as hashes of
//! their keys, a few bytes each: a collision only costs one lookup), and for the stories events
//! touched lately, every stored vote. With it an event's new round is one small insert, and
//! its figures are computed from the round's votes alone.
//!
//! It describes the store at one generation and is only used under the writer's lock: a commit
//! it did not see (a file ingest) makes it read the store again; the writes that use it update
//! it after they commit.

use crate::domain::schema::Frame;
use crate::domain::{Deck, Kind};
use duckdb::arrow::array::{
    Array, BooleanArray, Float64Array, Int32Array, StringArray, TimestampMicrosecondArray,
};
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// (team, session, story).
pub type StoryKey = (String, String, String);

/// A story and every stored vote of it.
pub type StoryVotes = (StoryKey, Vec<Vote>);

/// A stored vote of a known story.
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub round: i32,
    pub voter: String,
    pub card: String,
    pub value: Option<f64>,
    /// Microseconds since 1970.
    pub voted_at: Option<i64>,
    pub last_round_only: Option<bool>,
}

/// Stories whose votes are kept at most; past it the kept votes are dropped (and read again
/// when an event touches their story).
const MAX_STORIES: usize = 20_000;

/// The stored votes as the live writer knows them.
#[derive(Debug, Default)]
pub struct KnownVotes {
    /// The store generation this describes; `None`: read the store again.
    generation: Option<u64>,
    /// Hashes of the stories with stored votes.
    stories: HashSet<u64>,
    /// Every stored vote of the stories touched lately.
    votes: HashMap<StoryKey, Vec<Vote>>,
    /// The small tables: the teams' decks (`None`: read them all again), the teams, and the
    /// voters of each team.
    decks: Option<HashMap<String, Deck>>,
    teams: HashSet<String>,
    voters: HashSet<(String, String)>,
}

fn story_hash(team: &str, session: &str, story: &str) -> u64 {
    let mut h = DefaultHasher::new();
    (team, session, story).hash(&mut h);
    h.finish()
}

impl KnownVotes {
    pub fn new() -> KnownVotes {
        KnownVotes::default()
    }

    /// The store generation this describes.
    pub fn generation(&self) -> Option<u64> {
        self.generation
    }

    /// Whether this describes the store at `generation`.
    pub(crate) fn current(&self, generation: u64) -> bool {
        self.generation == Some(generation)
    }

    /// Starts again from the store at `generation`; [`KnownVotes::add_stories`] gives its
    /// stories with votes.
    pub(crate) fn reset(&mut self, generation: u64) {
        self.stories.clear();
        self.votes.clear();
        self.decks = None;
        self.generation = Some(generation);
    }

    /// The stored decks, when known.
    pub fn decks(&self) -> Option<&HashMap<String, Deck>> {
        self.decks.as_ref()
    }

    /// Keeps the small tables as read from the store.
    pub(crate) fn keep_tables(
        &mut self,
        decks: HashMap<String, Deck>,
        teams: impl IntoIterator<Item = String>,
        voters: impl IntoIterator<Item = (String, String)>,
    ) {
        self.decks = Some(decks);
        self.teams = teams.into_iter().collect();
        self.voters = voters.into_iter().collect();
    }

    /// Whether the store has every team of a frame, and the frame sets no program.
    pub(crate) fn has_teams(&self, frame: &Frame) -> bool {
        self.decks.is_some()
            && frame
                .teams
                .iter()
                .all(|(t, program)| program.is_none() && self.teams.contains(t))
    }

    /// Whether the store has this voter of this team.
    pub(crate) fn has_voter(&self, team: &str, voter: &str) -> bool {
        self.decks.is_some() && self.voters.contains(&(team.to_string(), voter.to_string()))
    }

    /// Adds stories with stored votes: a batch of (team, session, story) text columns.
    pub(crate) fn add_stories(&mut self, batch: &duckdb::arrow::record_batch::RecordBatch) {
        let text = |k: usize| batch.column(k).as_any().downcast_ref::<StringArray>();
        if let (Some(team), Some(session), Some(story)) = (text(0), text(1), text(2)) {
            for i in 0..batch.num_rows() {
                self.stories
                    .insert(story_hash(team.value(i), session.value(i), story.value(i)));
            }
        }
    }

    /// For a story whose votes are not kept: whether the store may hold votes of it (they
    /// must be read); `None` when they are kept.
    pub(crate) fn needs(&self, key: &StoryKey) -> Option<bool> {
        (!self.votes.contains_key(key))
            .then(|| self.stories.contains(&story_hash(&key.0, &key.1, &key.2)))
    }

    /// Keeps a story's stored votes, as read from the store.
    pub(crate) fn keep(&mut self, key: StoryKey, votes: Vec<Vote>) {
        self.votes.insert(key, votes);
    }

    /// Drops the kept votes when there are too many (before a batch is prepared, so that all
    /// of its stories stay).
    pub(crate) fn make_room(&mut self) {
        if self.votes.len() >= MAX_STORIES {
            self.votes.clear();
        }
    }

    /// The stored votes of a prepared story.
    pub fn story(&self, key: &StoryKey) -> Option<&[Vote]> {
        self.votes.get(key).map(Vec::as_slice)
    }

    /// Whether every story of a votes frame is prepared.
    pub(crate) fn covers(&self, frame: &Frame) -> bool {
        frame.kind == Kind::Votes
            && vote_rows(frame)
                .is_some_and(|rows| rows.iter().all(|(k, _)| self.votes.contains_key(k)))
    }

    /// After a commit that went through [`crate::store::merge`] with this knowledge: the
    /// stories it wrote, as they now are, and the generation it made.
    pub(crate) fn written(&mut self, frames: &[Frame], stories: Vec<StoryVotes>, generation: u64) {
        self.teams
            .extend(frames.iter().flat_map(|f| f.teams.keys().cloned()));
        for (key, votes) in stories {
            self.stories.insert(story_hash(&key.0, &key.1, &key.2));
            for v in &votes {
                self.voters.insert((key.0.clone(), v.voter.clone()));
            }
            self.votes.insert(key, votes);
        }
        self.generation = Some(generation);
    }

    /// After a commit of frames written without this knowledge: what they touched is read
    /// again when an event needs it (a deck may have changed the values of a team's votes).
    pub(crate) fn written_without(&mut self, frames: &[Frame], generation: u64) {
        let teams: HashSet<&str> = frames
            .iter()
            .flat_map(|f| f.teams.keys().map(String::as_str))
            .collect();
        for f in frames.iter().filter(|f| f.kind == Kind::Votes) {
            for (k, _) in vote_rows(f).unwrap_or_default() {
                self.stories.insert(story_hash(&k.0, &k.1, &k.2));
            }
        }
        self.votes.retain(|k, _| !teams.contains(k.0.as_str()));
        // Decks may have been given or recorded.
        self.decks = None;
        if self.generation.is_some() {
            self.generation = Some(generation);
        }
    }
}

/// A votes frame's rows: (story, vote). `None` when its columns are not the votes table's.
pub(crate) fn vote_rows(frame: &Frame) -> Option<Vec<(StoryKey, Vote)>> {
    let b = &frame.batch;
    let text = |k: usize| b.column(k).as_any().downcast_ref::<StringArray>();
    let (team, session, story, voter, card) = (text(0)?, text(1)?, text(2)?, text(4)?, text(5)?);
    let round = b.column(3).as_any().downcast_ref::<Int32Array>()?;
    let value = b.column(6).as_any().downcast_ref::<Float64Array>()?;
    let at = b
        .column(7)
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()?;
    let lro = b.column(8).as_any().downcast_ref::<BooleanArray>()?;
    let opt_text = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string());
    (0..b.num_rows())
        .map(|i| {
            Some((
                (
                    opt_text(team, i)?,
                    opt_text(session, i)?,
                    opt_text(story, i)?,
                ),
                Vote {
                    round: round.is_valid(i).then(|| round.value(i))?,
                    voter: opt_text(voter, i)?,
                    card: opt_text(card, i)?,
                    value: value.is_valid(i).then(|| value.value(i)),
                    voted_at: at.is_valid(i).then(|| at.value(i)),
                    last_round_only: lro.is_valid(i).then(|| lro.value(i)),
                },
            ))
        })
        .collect()
}
