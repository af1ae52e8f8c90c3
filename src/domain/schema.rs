//! The canonical data: the columns each kind of file may carry (names, aliases, types, which
//! are required), the store table's columns and natural keys, and [`Frame`], one validated file
//! in canonical form. Ingest builds frames from it; the store writes them; the README's input
//! formats are checked against it.

use crate::domain::kinds::Kind;
use duckdb::arrow::array::ArrayRef;
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The value types of canonical columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Text,
    Int,
    Float,
    Bool,
    Date,
    Timestamp,
}

impl Ty {
    pub fn describe(self) -> &'static str {
        match self {
            Ty::Text => "text",
            Ty::Int => "a whole number",
            Ty::Float => "a number",
            Ty::Bool => "true or false",
            Ty::Date => "a date (YYYY-MM-DD)",
            Ty::Timestamp => "a time (YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or RFC 3339)",
        }
    }

    /// The Arrow type of a column of this kind, as canonical frames carry it.
    pub fn arrow(self) -> DataType {
        match self {
            Ty::Text => DataType::Utf8,
            Ty::Int => DataType::Int32,
            Ty::Float => DataType::Float64,
            Ty::Bool => DataType::Boolean,
            Ty::Date => DataType::Date32,
            Ty::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        }
    }

    /// The DuckDB type of a column of this kind, as the schema files declare it.
    pub fn sql(self) -> &'static str {
        match self {
            Ty::Text => "VARCHAR",
            Ty::Int => "INTEGER",
            Ty::Float => "DOUBLE",
            Ty::Bool => "BOOLEAN",
            Ty::Date => "DATE",
            Ty::Timestamp => "TIMESTAMP",
        }
    }
}

/// The largest amount (points, hours, days) a file may give: larger values are typing
/// slips or damage, and would swamp every mean and sum they enter.
pub const MAX_AMOUNT: f64 = 1_000_000.0;

/// A column a native file may carry.
pub struct FieldSpec {
    pub name: &'static str,
    /// Other header names taken for this column (e.g. `issuekey` for `story`).
    pub aliases: &'static [&'static str],
    pub ty: Ty,
    pub required: bool,
    /// An amount (points, hours, days): not negative and at most [`MAX_AMOUNT`].
    pub nonneg: bool,
    pub doc: &'static str,
}

impl FieldSpec {
    /// Whether a header (or JSON key) names this field: its name or an alias, in any case.
    pub fn is_named(&self, header: &str) -> bool {
        header.eq_ignore_ascii_case(self.name)
            || self.aliases.iter().any(|a| header.eq_ignore_ascii_case(a))
    }
}

const fn f(name: &'static str, ty: Ty, required: bool, doc: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        aliases: &[],
        ty,
        required,
        nonneg: false,
        doc,
    }
}

const fn fa(
    name: &'static str,
    aliases: &'static [&'static str],
    ty: Ty,
    required: bool,
    nonneg: bool,
    doc: &'static str,
) -> FieldSpec {
    FieldSpec {
        name,
        aliases,
        ty,
        required,
        nonneg,
        doc,
    }
}

/// What a kind of native file holds and how it is stored.
pub struct KindSpec {
    pub kind: Kind,
    /// The columns a file may carry besides `team` and `program`.
    pub fields: &'static [FieldSpec],
    /// The store table's columns in order, with their types (the first is always `team`).
    pub columns: &'static [(&'static str, Ty)],
    /// The natural key: one row per key in the store.
    pub keys: &'static [&'static str],
}

const TEAM_FIELDS: &[FieldSpec] = &[f(
    "name",
    Ty::Text,
    false,
    "display name (defaults to the team key)",
)];
const DECK_FIELDS: &[FieldSpec] = &[
    f(
        "deck",
        Ty::Text,
        true,
        "deck name: fibonacci, modified-fibonacci, powers-of-two, tshirt, or your own name",
    ),
    f(
        "card",
        Ty::Text,
        false,
        "a card of your own deck, in order (leave empty to take a named deck as it is)",
    ),
    fa(
        "value",
        &[],
        Ty::Float,
        false,
        true,
        "the card's points (needed for cards that are not numbers)",
    ),
];
const SPRINT_FIELDS: &[FieldSpec] = &[
    fa(
        "sprint_id",
        &["sprint", "id"],
        Ty::Text,
        true,
        false,
        "the sprint's id, unique within the team",
    ),
    fa(
        "name",
        &["sprint_name"],
        Ty::Text,
        false,
        false,
        "the sprint's name",
    ),
    fa("start_date", &["start"], Ty::Date, true, false, "first day"),
    fa(
        "end_date",
        &["end"],
        Ty::Date,
        true,
        false,
        "last day (not before start_date)",
    ),
    f("goal", Ty::Text, false, "the sprint goal"),
    f(
        "started_at",
        Ty::Timestamp,
        false,
        "when the sprint was started: its scope then is the commitment (empty: start_date's first moment)",
    ),
    fa(
        "closed_at",
        &["completed_at", "complete_date"],
        Ty::Timestamp,
        false,
        false,
        "when the sprint was closed (empty: open, or closed at the end of end_date)",
    ),
];
const STORY_FIELDS: &[FieldSpec] = &[
    fa(
        "story",
        &["issuekey", "issue_key", "key", "story_key"],
        Ty::Text,
        true,
        false,
        "story key, e.g. PAY-142",
    ),
    fa("title", &["summary"], Ty::Text, false, false, "title"),
    fa(
        "type",
        &["issue_type"],
        Ty::Text,
        false,
        false,
        "story, bug, task, ...",
    ),
    f("epic", Ty::Text, false, "epic key or name"),
    fa(
        "created_at",
        &["created"],
        Ty::Timestamp,
        false,
        false,
        "when the story was created",
    ),
    fa(
        "estimate",
        &["storypoint", "story_points", "points"],
        Ty::Float,
        false,
        true,
        "the final estimate in points",
    ),
];
const VOTE_FIELDS: &[FieldSpec] = &[
    f(
        "session",
        Ty::Text,
        false,
        "the Planning Poker session (defaults to empty)",
    ),
    fa(
        "story",
        &["issuekey", "issue_key", "key", "story_key"],
        Ty::Text,
        true,
        false,
        "story key",
    ),
    fa(
        "round",
        &[],
        Ty::Int,
        true,
        false,
        "1 for the first vote on the story, 2 for the revote, ...",
    ),
    f(
        "voter",
        Ty::Text,
        true,
        "who voted (pseudonymised in reports)",
    ),
    f(
        "card",
        Ty::Text,
        true,
        "the card as shown: 5, ½, ?, ☕, ∞, pass, XL, ...",
    ),
    fa(
        "voted_at",
        &["time", "timestamp"],
        Ty::Timestamp,
        false,
        false,
        "when the vote was cast",
    ),
    f(
        "last_round_only",
        Ty::Bool,
        false,
        "true when the source keeps only this story's last round in the session (every poker \
         tool's export): figures that need earlier rounds are then unknown",
    ),
];
const ITEM_FIELDS: &[FieldSpec] = &[
    fa(
        "sprint_id",
        &["sprint"],
        Ty::Text,
        true,
        false,
        "the sprint",
    ),
    fa(
        "story",
        &["issuekey", "issue_key", "key", "story_key"],
        Ty::Text,
        true,
        false,
        "story key",
    ),
    f(
        "committed",
        Ty::Bool,
        false,
        "true if the story was in the sprint at its start, false if added later (empty: unknown)",
    ),
    f(
        "removed",
        Ty::Bool,
        false,
        "true if the story was taken out during the sprint",
    ),
    fa(
        "points_start",
        &[],
        Ty::Float,
        false,
        true,
        "points when the sprint started (empty for added work)",
    ),
    fa(
        "points_end",
        &["points"],
        Ty::Float,
        false,
        true,
        "points at the sprint's end",
    ),
    f(
        "status",
        Ty::Text,
        true,
        "status at the sprint's end: done, not_done or removed",
    ),
    fa(
        "started_at",
        &["started"],
        Ty::Timestamp,
        false,
        false,
        "work started",
    ),
    fa(
        "completed_at",
        &["completed"],
        Ty::Timestamp,
        false,
        false,
        "work completed (not before started_at)",
    ),
    fa(
        "actual_hours",
        &["hours"],
        Ty::Float,
        false,
        true,
        "actual effort in hours, where the team logs it",
    ),
];
const SUMMARY_FIELDS: &[FieldSpec] = &[
    fa(
        "sprint_id",
        &["sprint"],
        Ty::Text,
        true,
        false,
        "the sprint",
    ),
    fa(
        "sprint_name",
        &["name"],
        Ty::Text,
        false,
        false,
        "the sprint's name",
    ),
    fa(
        "planned_days",
        &[],
        Ty::Float,
        false,
        true,
        "planned length in days",
    ),
    fa(
        "committed_points",
        &["committed"],
        Ty::Float,
        true,
        true,
        "points committed",
    ),
    fa(
        "completed_points",
        &["completed"],
        Ty::Float,
        true,
        true,
        "points completed",
    ),
    fa(
        "added_points",
        &["added"],
        Ty::Float,
        false,
        true,
        "points added during the sprint",
    ),
    fa(
        "removed_points",
        &["removed"],
        Ty::Float,
        false,
        true,
        "points removed during the sprint",
    ),
];

const EVENT_FIELDS: &[FieldSpec] = &[
    fa(
        "sprint_id",
        &["sprint"],
        Ty::Text,
        false,
        false,
        "the sprint the event belongs to (added, removed; empty for a story's own status and estimate changes)",
    ),
    fa(
        "story",
        &["issuekey", "issue_key", "key", "story_key"],
        Ty::Text,
        true,
        false,
        "story key",
    ),
    fa(
        "changed_at",
        &["at", "time", "timestamp"],
        Ty::Timestamp,
        true,
        false,
        "when it happened",
    ),
    fa(
        "event",
        &["change"],
        Ty::Text,
        true,
        false,
        "added, removed, estimate, status, done or reopened",
    ),
    fa(
        "points",
        &["new_points", "estimate"],
        Ty::Float,
        false,
        true,
        "the story's points after the event (needed for estimate)",
    ),
    fa(
        "old_points",
        &["old_estimate"],
        Ty::Float,
        false,
        true,
        "estimate: the points before",
    ),
    fa(
        "from_status",
        &["from"],
        Ty::Text,
        false,
        false,
        "status: the status before",
    ),
    fa(
        "to_status",
        &["to", "status"],
        Ty::Text,
        false,
        false,
        "status: the status after (needed for status)",
    ),
    fa(
        "category",
        &["status_category"],
        Ty::Text,
        false,
        false,
        "status: to_status's category, todo, in_progress or done (empty: from the team's status names)",
    ),
];

pub const SPECS: &[KindSpec] = &[
    KindSpec {
        kind: Kind::Teams,
        fields: TEAM_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("name", Ty::Text),
            ("program", Ty::Text),
        ],
        keys: &["team"],
    },
    KindSpec {
        kind: Kind::Decks,
        fields: DECK_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("position", Ty::Int),
            ("card", Ty::Text),
            ("value", Ty::Float),
            ("deck", Ty::Text),
        ],
        keys: &["team", "card"],
    },
    KindSpec {
        kind: Kind::Sprints,
        fields: SPRINT_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("sprint_id", Ty::Text),
            ("name", Ty::Text),
            ("start_date", Ty::Date),
            ("end_date", Ty::Date),
            ("goal", Ty::Text),
            ("started_at", Ty::Timestamp),
            ("closed_at", Ty::Timestamp),
        ],
        keys: &["team", "sprint_id"],
    },
    KindSpec {
        kind: Kind::Stories,
        fields: STORY_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("story", Ty::Text),
            ("title", Ty::Text),
            ("type", Ty::Text),
            ("epic", Ty::Text),
            ("created_at", Ty::Timestamp),
            ("estimate", Ty::Float),
        ],
        keys: &["team", "story"],
    },
    KindSpec {
        kind: Kind::Votes,
        fields: VOTE_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("session", Ty::Text),
            ("story", Ty::Text),
            ("round", Ty::Int),
            ("voter", Ty::Text),
            ("card", Ty::Text),
            ("value", Ty::Float),
            ("voted_at", Ty::Timestamp),
            ("last_round_only", Ty::Bool),
        ],
        keys: &["team", "session", "story", "round", "voter"],
    },
    KindSpec {
        kind: Kind::SprintItems,
        fields: ITEM_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("sprint_id", Ty::Text),
            ("story", Ty::Text),
            ("committed", Ty::Bool),
            ("removed", Ty::Bool),
            ("points_start", Ty::Float),
            ("points_end", Ty::Float),
            ("status", Ty::Text),
            ("started_at", Ty::Timestamp),
            ("completed_at", Ty::Timestamp),
            ("actual_hours", Ty::Float),
        ],
        keys: &["team", "sprint_id", "story"],
    },
    KindSpec {
        kind: Kind::SprintSummaries,
        fields: SUMMARY_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("sprint_id", Ty::Text),
            ("sprint_name", Ty::Text),
            ("planned_days", Ty::Float),
            ("committed_points", Ty::Float),
            ("completed_points", Ty::Float),
            ("added_points", Ty::Float),
            ("removed_points", Ty::Float),
        ],
        keys: &["team", "sprint_id"],
    },
    KindSpec {
        kind: Kind::SprintEvents,
        fields: EVENT_FIELDS,
        columns: &[
            ("team", Ty::Text),
            ("sprint_id", Ty::Text),
            ("story", Ty::Text),
            ("changed_at", Ty::Timestamp),
            ("event", Ty::Text),
            ("points", Ty::Float),
            ("old_points", Ty::Float),
            ("from_status", Ty::Text),
            ("to_status", Ty::Text),
            ("category", Ty::Text),
        ],
        keys: &["team", "sprint_id", "story", "changed_at", "event"],
    },
];

impl KindSpec {
    /// A record batch of this kind's table columns, in order (the columns must match).
    pub fn batch(&self, columns: Vec<ArrayRef>) -> RecordBatch {
        let schema = Schema::new(
            self.columns
                .iter()
                .map(|(name, ty)| Field::new(*name, ty.arrow(), true))
                .collect::<Vec<_>>(),
        );
        RecordBatch::try_new(Arc::new(schema), columns).expect("columns match the kind's schema")
    }
}

pub fn spec(kind: Kind) -> &'static KindSpec {
    SPECS
        .iter()
        .find(|s| s.kind == kind)
        .expect("every kind has a spec")
}

/// One validated file in canonical form, ready for the store.
pub struct Frame {
    pub kind: Kind,
    pub file: String,
    pub batch: RecordBatch,
    /// Table columns the file gave values for; only these are updated for existing keys.
    pub present: Vec<&'static str>,
    /// Teams named by the file, with the program the file or `--program` gives them.
    pub teams: BTreeMap<String, Option<String>>,
    /// The input line of each row (for messages about rows checked against other files and
    /// the store).
    pub lines: Vec<u32>,
    /// Per team, the line that gave its program (else the line that first named it).
    pub team_lines: BTreeMap<String, usize>,
}
