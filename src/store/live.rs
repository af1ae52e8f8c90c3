//! What the live round writer knows of the stored votes, so that a round event is stored
//! without searching millions of votes: which stories have votes in the store (as hashes of
//! their keys, a few bytes each: a collision only costs one lookup), and for the stories events
//! touched lately, every stored vote. With it an event's new round is one small insert, and
//! its figures are computed from the round's votes alone (by the same query as an ingest's).
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

/// Votes rows of a frame: (story, vote).
pub type VoteRows = Vec<(StoryKey, Vote)>;

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
    /// The small tables; `None`: read them again.
    tables: Option<Tables>,
}

/// The small tables as the store holds them.
#[derive(Debug)]
struct Tables {
    decks: HashMap<String, Deck>,
    teams: HashSet<String>,
    /// The voters of each team.
    voters: HashMap<String, HashSet<String>>,
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

    /// The store generation this describes (`None`: none yet, read the store).
    pub fn generation(&self) -> Option<u64> {
        self.generation
    }

    /// Starts again from the store at `generation`; [`KnownVotes::add_stories`] gives its
    /// stories with votes.
    pub(crate) fn reset(&mut self, generation: u64) {
        self.stories.clear();
        self.votes.clear();
        self.tables = None;
        self.generation = Some(generation);
    }

    /// The stored decks, when known.
    pub fn decks(&self) -> Option<&HashMap<String, Deck>> {
        self.tables.as_ref().map(|t| &t.decks)
    }

    /// The stored teams, when known.
    pub fn teams(&self) -> Option<&HashSet<String>> {
        self.tables.as_ref().map(|t| &t.teams)
    }

    /// Keeps the small tables as read from the store.
    pub(crate) fn keep_tables(
        &mut self,
        decks: HashMap<String, Deck>,
        teams: impl IntoIterator<Item = String>,
        voters: impl IntoIterator<Item = (String, String)>,
    ) {
        let mut by_team: HashMap<String, HashSet<String>> = HashMap::new();
        for (team, voter) in voters {
            by_team.entry(team).or_default().insert(voter);
        }
        self.tables = Some(Tables {
            decks,
            teams: teams.into_iter().collect(),
            voters: by_team,
        });
    }

    /// Whether the store has every team of a frame, and the frame sets no program.
    pub(crate) fn has_teams(&self, frame: &Frame) -> bool {
        self.tables.as_ref().is_some_and(|t| {
            frame
                .teams
                .iter()
                .all(|(team, program)| program.is_none() && t.teams.contains(team))
        })
    }

    /// Whether the store has this voter of this team.
    pub(crate) fn has_voter(&self, team: &str, voter: &str) -> bool {
        self.tables
            .as_ref()
            .and_then(|t| t.voters.get(team))
            .is_some_and(|v| v.contains(voter))
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

    /// Whether every story of these votes is prepared.
    pub(crate) fn covers(&self, rows: &VoteRows) -> bool {
        rows.iter().all(|(k, _)| self.votes.contains_key(k))
    }

    /// After a commit that went through [`crate::store::merge`] with this knowledge: the
    /// stories it wrote, as they now are, and the generation it made.
    pub(crate) fn written(&mut self, frames: &[Frame], stories: Vec<StoryVotes>, generation: u64) {
        if let Some(t) = &mut self.tables {
            t.teams
                .extend(frames.iter().flat_map(|f| f.teams.keys().cloned()));
            for (key, votes) in &stories {
                let team = t.voters.entry(key.0.clone()).or_default();
                team.extend(votes.iter().map(|v| v.voter.clone()));
            }
        }
        for (key, votes) in stories {
            self.stories.insert(story_hash(&key.0, &key.1, &key.2));
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
            // Straight from the frame's columns: a file of a million votes allocates nothing.
            let b = &f.batch;
            let text = |k: usize| b.column(k).as_any().downcast_ref::<StringArray>();
            if let (Some(team), Some(session), Some(story)) = (text(0), text(1), text(2)) {
                for i in 0..b.num_rows() {
                    self.stories.insert(story_hash(
                        team.value(i),
                        session.value(i),
                        story.value(i),
                    ));
                }
            }
        }
        self.votes.retain(|k, _| !teams.contains(k.0.as_str()));
        // Decks may have been given or recorded.
        self.tables = None;
        if self.generation.is_some() {
            self.generation = Some(generation);
        }
    }
}

/// A votes frame's rows: (story, vote). `None` when its columns are not the votes table's.
pub(crate) fn vote_rows(frame: &Frame) -> Option<VoteRows> {
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

/// Votes held in memory as a batch of the votes table's columns, for the one definition of the
/// round figures (`queries/writes/round_stats_compute.sql`) to read.
pub(crate) fn votes_batch<'a>(
    votes: impl Iterator<Item = (&'a StoryKey, &'a Vote)>,
) -> duckdb::arrow::record_batch::RecordBatch {
    use duckdb::arrow::array::ArrayRef;
    use std::sync::Arc;
    let rows: Vec<(&StoryKey, &Vote)> = votes.collect();
    fn text<'r>(
        rows: &[(&'r StoryKey, &'r Vote)],
        f: impl Fn(&(&'r StoryKey, &'r Vote)) -> &'r str,
    ) -> ArrayRef {
        Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>())
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("team", text(&rows, |r| r.0.0.as_str())),
        ("session", text(&rows, |r| r.0.1.as_str())),
        ("story", text(&rows, |r| r.0.2.as_str())),
        (
            "round",
            Arc::new(rows.iter().map(|r| Some(r.1.round)).collect::<Int32Array>()),
        ),
        ("voter", text(&rows, |r| r.1.voter.as_str())),
        ("card", text(&rows, |r| r.1.card.as_str())),
        (
            "value",
            Arc::new(rows.iter().map(|r| r.1.value).collect::<Float64Array>()),
        ),
        (
            "voted_at",
            Arc::new(
                rows.iter()
                    .map(|r| r.1.voted_at)
                    .collect::<TimestampMicrosecondArray>(),
            ),
        ),
        (
            "last_round_only",
            Arc::new(
                rows.iter()
                    .map(|r| r.1.last_round_only)
                    .collect::<BooleanArray>(),
            ),
        ),
    ];
    duckdb::arrow::record_batch::RecordBatch::try_from_iter(columns)
        .expect("the votes columns line up")
}
