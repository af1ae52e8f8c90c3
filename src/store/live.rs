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
            for (k, _) in vote_rows(f).unwrap_or_default() {
                self.stories.insert(story_hash(&k.0, &k.1, &k.2));
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

/// The figures of rounds whose votes are in memory, as a batch of the round_stats table's
/// columns: the definitions of `queries/writes/round_stats_compute.sql` (which computes them for
/// an ingest), for the live writer's few rounds at a time, where planning that query would
/// cost more than storing them. A step is a numeric vote's card position in the team's deck;
/// a team with no deck known gives no steps. A test keeps both equal
/// (`live_rounds_keep_the_same_figures_as_a_full_recompute_whatever_else_writes`).
pub(crate) fn round_figures(
    rounds: &[(&StoryKey, i32, Vec<&Vote>)],
    decks: Option<&HashMap<String, Deck>>,
) -> duckdb::arrow::record_batch::RecordBatch {
    use duckdb::arrow::array::{ArrayRef, ListArray, StructArray};
    use duckdb::arrow::buffer::{NullBuffer, OffsetBuffer};
    use duckdb::arrow::datatypes::{DataType, Field};
    use std::sync::Arc;

    struct Figures {
        votes: i32,
        numeric: Vec<(i32, String)>,
        questions: i32,
        first: Option<i64>,
        last_round_only: bool,
    }
    let figures: Vec<Figures> = rounds
        .iter()
        .map(|(key, _, votes)| {
            let deck = decks.and_then(|d| d.get(&key.0));
            let step = |v: &Vote| -> Option<i32> {
                v.value?;
                deck?.position(&v.card).map(|p| p as i32)
            };
            Figures {
                votes: votes.len() as i32,
                numeric: votes
                    .iter()
                    .filter_map(|v| step(v).map(|s| (s, v.voter.clone())))
                    .collect(),
                questions: votes.iter().filter(|v| v.card == "?").count() as i32,
                first: votes.iter().filter_map(|v| v.voted_at).min(),
                last_round_only: votes.iter().any(|v| v.last_round_only == Some(true)),
            }
        })
        .collect();
    let text = |f: &dyn Fn(usize) -> String| -> ArrayRef {
        Arc::new(
            (0..rounds.len())
                .map(|i| Some(f(i)))
                .collect::<StringArray>(),
        )
    };
    let int = |f: &dyn Fn(usize) -> Option<i32>| -> ArrayRef {
        Arc::new((0..rounds.len()).map(f).collect::<Int32Array>())
    };
    // A list column from each row's items (None: a NULL list).
    let list = |values: ArrayRef, lens: Vec<Option<usize>>| -> ArrayRef {
        let nulls = NullBuffer::from(lens.iter().map(Option::is_some).collect::<Vec<bool>>());
        let offsets = OffsetBuffer::from_lengths(lens.iter().map(|l| l.unwrap_or(0)));
        let field = Arc::new(Field::new("item", values.data_type().clone(), true));
        Arc::new(ListArray::new(field, offsets, values, Some(nulls)))
    };
    let pairs = |rows: Vec<Option<Vec<(i32, ArrayItem)>>>, second: &str| -> ArrayRef {
        let lens = rows.iter().map(|r| r.as_ref().map(Vec::len)).collect();
        let items: Vec<&(i32, ArrayItem)> = rows.iter().flatten().flatten().collect();
        let step: ArrayRef = Arc::new(items.iter().map(|p| Some(p.0)).collect::<Int32Array>());
        let other: ArrayRef = if second == "voter" {
            Arc::new(
                items
                    .iter()
                    .map(|p| match &p.1 {
                        ArrayItem::Text(t) => Some(t.clone()),
                        ArrayItem::Int(_) => None,
                    })
                    .collect::<StringArray>(),
            )
        } else {
            Arc::new(
                items
                    .iter()
                    .map(|p| match p.1 {
                        ArrayItem::Int(n) => Some(n),
                        ArrayItem::Text(_) => None,
                    })
                    .collect::<Int32Array>(),
            )
        };
        let fields = vec![
            (Arc::new(Field::new("step", DataType::Int32, true)), step),
            (
                Arc::new(Field::new(second, other.data_type().clone(), true)),
                other,
            ),
        ];
        list(Arc::new(StructArray::from(fields)), lens)
    };
    let steps: Vec<Option<Vec<(i32, ArrayItem)>>> = figures
        .iter()
        .map(|f| {
            let mut by: std::collections::BTreeMap<i32, i32> = Default::default();
            for (s, _) in &f.numeric {
                *by.entry(*s).or_default() += 1;
            }
            // No numeric vote: no histogram (NULL), as the query gives.
            (!by.is_empty()).then(|| {
                by.into_iter()
                    .map(|(s, n)| (s, ArrayItem::Int(n)))
                    .collect()
            })
        })
        .collect();
    let (low, high): (Vec<Vec<String>>, Vec<Vec<String>>) = figures
        .iter()
        .map(|f| {
            let min = f.numeric.iter().map(|p| p.0).min();
            let max = f.numeric.iter().map(|p| p.0).max();
            match (min, max) {
                (Some(lo), Some(hi)) if hi > lo => {
                    let at = |k: i32| {
                        let mut v: Vec<String> = f
                            .numeric
                            .iter()
                            .filter(|p| p.0 == k)
                            .map(|p| p.1.clone())
                            .collect();
                        v.sort();
                        v
                    };
                    (at(lo), at(hi))
                }
                _ => (Vec::new(), Vec::new()),
            }
        })
        .unzip();
    let voters = |rows: Vec<Vec<String>>| -> ArrayRef {
        let lens = rows.iter().map(|r| Some(r.len())).collect();
        let values: ArrayRef = Arc::new(
            rows.into_iter()
                .flatten()
                .map(Some)
                .collect::<StringArray>(),
        );
        list(values, lens)
    };
    let round1: Vec<Option<Vec<(i32, ArrayItem)>>> = rounds
        .iter()
        .zip(&figures)
        .map(|((_, round, _), f)| {
            (*round == 1).then(|| {
                f.numeric
                    .iter()
                    .map(|(s, v)| (*s, ArrayItem::Text(v.clone())))
                    .collect()
            })
        })
        .collect();
    let columns: Vec<ArrayRef> = vec![
        text(&|i| rounds[i].0.0.clone()),
        text(&|i| rounds[i].0.1.clone()),
        text(&|i| rounds[i].0.2.clone()),
        int(&|i| Some(rounds[i].1)),
        int(&|i| Some(figures[i].votes)),
        int(&|i| Some(figures[i].numeric.len() as i32)),
        int(&|i| Some(figures[i].questions)),
        int(&|i| figures[i].numeric.iter().map(|p| p.0).min()),
        int(&|i| figures[i].numeric.iter().map(|p| p.0).max()),
        pairs(steps, "votes"),
        Arc::new(
            figures
                .iter()
                .map(|f| f.first)
                .collect::<TimestampMicrosecondArray>(),
        ),
        voters(low),
        voters(high),
        pairs(round1, "voter"),
        Arc::new(
            figures
                .iter()
                .map(|f| Some(f.last_round_only))
                .collect::<BooleanArray>(),
        ),
    ];
    let names = [
        "team",
        "session",
        "story",
        "round",
        "votes",
        "numeric_votes",
        "question_votes",
        "min_step",
        "max_step",
        "steps",
        "first_voted_at",
        "low_voters",
        "high_voters",
        "round1_votes",
        "last_round_only",
    ];
    duckdb::arrow::record_batch::RecordBatch::try_from_iter(names.into_iter().zip(columns))
        .expect("the round_stats columns line up")
}

/// The second member of a list item (`steps`: votes; `round1_votes`: voter).
enum ArrayItem {
    Int(i32),
    Text(String),
}
