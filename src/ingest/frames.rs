//! Ingest, third step: a typed file becomes one canonical frame (an Arrow record batch in the
//! store's column order), with the checks each kind needs beyond single values: cards against
//! the team's deck, rounds from 1, sprints not ending before they start, items not completed
//! before they started, known status names, and unique natural keys.
//!
//! Every check that can be made without the store is made here, so a file with problems never
//! opens the database for writing.

use crate::domain::schema::{Frame, KindSpec, spec};
use crate::domain::{Card, Deck, ItemStatus, Kind};
use crate::error::{Problem, Problems, shown};
use crate::ingest::keys::check_unique_keys;
use crate::ingest::read::RawTable;
use crate::ingest::typing::{Defaults, Typed, Values, type_table};
use chrono::DateTime;
use duckdb::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, StringArray, StringBuilder,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A source of decks: the team's deck as this ingest sees it.
pub trait DeckLookup {
    fn deck(&self, team: &str) -> Deck;
}

/// A kind's table columns in order, and the ones the file gave values for.
type Columns = (Vec<ArrayRef>, Vec<&'static str>);

fn text(a: StringArray) -> ArrayRef {
    Arc::new(a)
}

/// Types and checks one native file of a known kind.
pub fn to_frame(
    raw: &RawTable,
    kind: Kind,
    defaults: &Defaults,
    decks: &dyn DeckLookup,
    problems: &mut Problems,
) -> Option<Frame> {
    let spec = spec(kind);
    let before = problems.total;
    let (mut t, named) = type_table(raw, spec, defaults, problems)?;
    let team: ArrayRef = Arc::new(t.team.clone());
    let (columns, present) = match kind {
        Kind::Teams => teams_columns(&mut t, team, &named.programs),
        Kind::Decks => return crate::ingest::decks::decks_frame(raw, t, named, problems),
        Kind::Votes => votes_columns(raw, &mut t, team, decks, problems),
        Kind::Sprints => sprints_columns(raw, spec, &mut t, team, problems),
        Kind::Stories => stories_columns(spec, &mut t, team),
        Kind::SprintItems => items_columns(raw, spec, &mut t, team, defaults, problems),
        Kind::SprintSummaries => summaries_columns(spec, &mut t, team),
        Kind::SprintEvents => events_columns(raw, spec, &mut t, team, defaults, problems),
    };
    if problems.total > before {
        return None;
    }
    let batch = spec.batch(columns);
    check_unique_keys(raw, spec, &batch, problems);
    if problems.total > before {
        return None;
    }
    Some(Frame {
        kind,
        file: raw.file.clone(),
        batch,
        present,
        teams: named.programs,
        lines: raw.lines.clone(),
        team_lines: named.lines,
    })
}

fn teams_columns(
    t: &mut Typed,
    team: ArrayRef,
    teams: &BTreeMap<String, Option<String>>,
) -> Columns {
    let name = t.take("name");
    let program: StringArray = t
        .team
        .iter()
        .map(|tm| tm.and_then(|tm| teams.get(tm).cloned().flatten()))
        .collect();
    let mut present = vec!["team"];
    if t.has("name") {
        present.push("name");
    }
    if teams.values().any(Option::is_some) {
        present.push("program");
    }
    (vec![team, name.into_array(), text(program)], present)
}

/// Votes: every card checked against the team's deck (as this ingest sees it), rounds from 1,
/// and the one unnamed session where the file has no session column.
fn votes_columns(
    raw: &RawTable,
    t: &mut Typed,
    team: ArrayRef,
    decks: &dyn DeckLookup,
    problems: &mut Problems,
) -> Columns {
    let n = raw.height();
    let mut card_shown = StringBuilder::with_capacity(n, n * 2);
    let mut value: Vec<Option<f64>> = Vec::with_capacity(n);
    {
        let cards = t.get("card").text();
        // Per team, its deck and every way of writing a card seen so far.
        let mut cache: HashMap<String, (Deck, HashMap<String, Option<Card>>)> = HashMap::new();
        for row in 0..n {
            let (Some(tm), Some(c)) = (
                t.team.is_valid(row).then(|| t.team.value(row)),
                cards.is_valid(row).then(|| cards.value(row)),
            ) else {
                card_shown.append_null();
                value.push(None);
                continue;
            };
            if !cache.contains_key(tm) {
                cache.insert(tm.to_string(), (decks.deck(tm), HashMap::new()));
            }
            let (deck, seen) = cache.get_mut(tm).expect("inserted above");
            if !seen.contains_key(c) {
                seen.insert(c.to_string(), deck.card(&raw.number_text(c)));
            }
            match &seen[c] {
                Some(card) => {
                    card_shown.append_value(&card.shown);
                    value.push(card.value);
                }
                None => {
                    problems.push(Problem::at(
                        &raw.file,
                        raw.line(row),
                        Some("card"),
                        format!(
                            "unknown card \"{}\" for team \"{}\": its deck ({}) has {}",
                            shown(c),
                            shown(tm),
                            shown(&deck.name),
                            deck.describe()
                        ),
                    ));
                    card_shown.append_null();
                    value.push(None);
                }
            }
        }
    }
    let rounds = t.get("round").ints();
    for (row, r) in rounds.iter().enumerate() {
        if let Some(r) = r
            && *r < 1
        {
            problems.push(Problem::at(
                &raw.file,
                raw.line(row),
                Some("round"),
                format!("round {r}: rounds count from 1"),
            ));
        }
    }
    // No session column: every vote is in the one unnamed session.
    let session = match t.take("session") {
        Values::Text(a) => {
            let filled: StringArray = a.iter().map(|s| Some(s.unwrap_or(""))).collect();
            filled
        }
        _ => unreachable!(),
    };
    let mut present = vec![
        "team", "session", "story", "round", "voter", "card", "value",
    ];
    if t.has("voted_at") {
        present.push("voted_at");
    }
    if t.has("last_round_only") {
        present.push("last_round_only");
    }
    (
        vec![
            team,
            text(session),
            t.take("story").into_array(),
            t.take("round").into_array(),
            t.take("voter").into_array(),
            text(card_shown.finish()),
            Arc::new(Float64Array::from(value)),
            t.take("voted_at").into_array(),
            t.take("last_round_only").into_array(),
        ],
        present,
    )
}

/// Sprints: a sprint must not end before it starts.
fn sprints_columns(
    raw: &RawTable,
    spec: &KindSpec,
    t: &mut Typed,
    team: ArrayRef,
    problems: &mut Problems,
) -> Columns {
    let n = raw.height();
    let (s, e) = (t.get("start_date").dates(), t.get("end_date").dates());
    let (started, closed) = (
        t.get("started_at").timestamps(),
        t.get("closed_at").timestamps(),
    );
    for row in 0..n {
        if let (Some(s), Some(e)) = (s[row], e[row])
            && e < s
        {
            problems.push(Problem::at(
                &raw.file,
                raw.line(row),
                Some("end_date"),
                format!(
                    "the sprint ends ({}) before it starts ({})",
                    date_text(e),
                    date_text(s)
                ),
            ));
        }
        if let (Some(s), Some(c)) = (started[row], closed[row])
            && c < s
        {
            problems.push(Problem::at(
                &raw.file,
                raw.line(row),
                Some("closed_at"),
                format!(
                    "the sprint was closed ({}) before it was started ({})",
                    ts_text(c),
                    ts_text(s)
                ),
            ));
        }
    }
    let present = present_columns(spec, t);
    (
        vec![
            team,
            t.take("sprint_id").into_array(),
            t.take("name").into_array(),
            t.take("start_date").into_array(),
            t.take("end_date").into_array(),
            t.take("goal").into_array(),
            t.take("started_at").into_array(),
            t.take("closed_at").into_array(),
        ],
        present,
    )
}

/// The events a sprint history holds, by their names in files.
pub const EVENT_NAMES: [&str; 6] = ["added", "removed", "estimate", "status", "done", "reopened"];

/// Sprint events: known event names (any case), an estimate with its new points, a status
/// change with its new status, the category of each status (the file's, else from the team's
/// status names), and the sprint key `''` for a story's own events.
fn events_columns(
    raw: &RawTable,
    spec: &KindSpec,
    t: &mut Typed,
    team: ArrayRef,
    defaults: &Defaults,
    problems: &mut Problems,
) -> Columns {
    let n = raw.height();
    let mut event = StringBuilder::with_capacity(n, n * 6);
    let mut category = StringBuilder::with_capacity(n, n * 6);
    let mut sprint = StringBuilder::with_capacity(n, n * 4);
    {
        let (events, sprints) = (t.get("event").text(), t.get("sprint_id").text());
        let (to, cats) = (t.get("to_status").text(), t.get("category").text());
        let points = t.get("points").floats();
        fn cell(a: &StringArray, row: usize) -> Option<&str> {
            a.is_valid(row).then(|| a.value(row))
        }
        for row in 0..n {
            sprint.append_value(cell(sprints, row).unwrap_or(""));
            let name = cell(events, row).map(|e| e.trim().to_lowercase());
            let problem = |column: &str, message: String| {
                Problem::at(&raw.file, raw.line(row), Some(column), message)
            };
            let Some(name) = name.filter(|e| EVENT_NAMES.contains(&e.as_str())) else {
                if let Some(e) = cell(events, row) {
                    problems.push(problem(
                        "event",
                        format!(
                            "unknown event \"{}\": expected {}",
                            shown(e),
                            EVENT_NAMES.join(", ")
                        ),
                    ));
                }
                event.append_null();
                category.append_null();
                continue;
            };
            if name == "estimate" && points.get(row).copied().flatten().is_none() {
                problems.push(problem(
                    "points",
                    "an estimate event needs the new points".into(),
                ));
            }
            let to_status = cell(to, row);
            if name == "status" && to_status.is_none() {
                problems.push(problem(
                    "to_status",
                    "a status event needs the status it changed to".into(),
                ));
            }
            match (cell(cats, row), to_status) {
                (Some(c), _) => {
                    let c = c.trim().to_lowercase().replace([' ', '-'], "_");
                    match c.as_str() {
                        "todo" | "to_do" | "new" => category.append_value("todo"),
                        "in_progress" | "indeterminate" => category.append_value("in_progress"),
                        "done" => category.append_value("done"),
                        _ => {
                            problems.push(problem(
                                "category",
                                format!(
                                    "unknown status category \"{}\": expected todo, in_progress or done",
                                    shown(&c)
                                ),
                            ));
                            category.append_null();
                        }
                    }
                }
                (None, Some(to)) => {
                    let tm = if t.team.is_valid(row) {
                        t.team.value(row)
                    } else {
                        ""
                    };
                    category.append_value(defaults.settings.team(tm).statuses.category(to));
                }
                (None, None) => category.append_null(),
            }
            event.append_value(&name);
        }
    }
    let mut present = present_columns(spec, t);
    for c in ["sprint_id", "category"] {
        if !present.contains(&c) {
            present.push(c);
        }
    }
    (
        vec![
            team,
            text(sprint.finish()),
            t.take("story").into_array(),
            t.take("changed_at").into_array(),
            text(event.finish()),
            t.take("points").into_array(),
            t.take("old_points").into_array(),
            t.take("from_status").into_array(),
            t.take("to_status").into_array(),
            text(category.finish()),
        ],
        present,
    )
}

fn stories_columns(spec: &KindSpec, t: &mut Typed, team: ArrayRef) -> Columns {
    let present = present_columns(spec, t);
    (
        vec![
            team,
            t.take("story").into_array(),
            t.take("title").into_array(),
            t.take("type").into_array(),
            t.take("epic").into_array(),
            t.take("created_at").into_array(),
            t.take("estimate").into_array(),
        ],
        present,
    )
}

/// Sprint items: status names through the team's settings, the removed flag, and no item
/// completed before it started.
fn items_columns(
    raw: &RawTable,
    spec: &KindSpec,
    t: &mut Typed,
    team: ArrayRef,
    defaults: &Defaults,
    problems: &mut Problems,
) -> Columns {
    let n = raw.height();
    let status_in = t.get("status").text();
    let mut status = StringBuilder::with_capacity(n, n * 8);
    let removed_in = t.get("removed").bools();
    // A file with a removed column may leave it empty: unknown (exports do).
    let has_removed = present_columns(spec, t).contains(&"removed");
    let mut removed: Vec<Option<bool>> = Vec::with_capacity(n);
    let (started, completed) = (
        t.get("started_at").timestamps(),
        t.get("completed_at").timestamps(),
    );
    for row in 0..n {
        let st = status_in
            .is_valid(row)
            .then(|| status_in.value(row))
            .map(|s| {
                let team = if t.team.is_valid(row) {
                    t.team.value(row)
                } else {
                    ""
                };
                (s, defaults.settings.team(team).statuses.parse(s))
            });
        match st {
            Some((_, Some(s))) => {
                status.append_value(s.name());
                removed.push(
                    if s == ItemStatus::Removed || removed_in[row] == Some(true) {
                        Some(true)
                    } else if has_removed {
                        removed_in[row]
                    } else {
                        Some(false)
                    },
                );
            }
            Some((s, None)) => {
                problems.push(Problem::at(
                    &raw.file,
                    raw.line(row),
                    Some("status"),
                    {
                        let team = if t.team.is_valid(row) { t.team.value(row) } else { "" };
                        let n = &defaults.settings.team(team).statuses;
                        format!(
                            "unknown status \"{}\": expected done, not_done or removed \
                             (done: {}; not done: {}; removed: {}; set done_statuses in sprintlens.toml)",
                            shown(s),
                            n.done.join(", "),
                            n.not_done.join(", "),
                            n.removed.join(", ")
                        )
                    },
                ));
                status.append_null();
                removed.push(None);
            }
            None => {
                status.append_null();
                removed.push(None);
            }
        }
        if let (Some(s), Some(c)) = (started[row], completed[row])
            && c < s
        {
            problems.push(Problem::at(
                &raw.file,
                raw.line(row),
                Some("completed_at"),
                format!(
                    "the item was completed ({}) before it was started ({})",
                    ts_text(c),
                    ts_text(s)
                ),
            ));
        }
    }
    let mut present = present_columns(spec, t);
    if !present.contains(&"removed") {
        present.push("removed");
    }
    (
        vec![
            team,
            t.take("sprint_id").into_array(),
            t.take("story").into_array(),
            t.take("committed").into_array(),
            Arc::new(BooleanArray::from(removed)),
            t.take("points_start").into_array(),
            t.take("points_end").into_array(),
            text(status.finish()),
            t.take("started_at").into_array(),
            t.take("completed_at").into_array(),
            t.take("actual_hours").into_array(),
        ],
        present,
    )
}

fn summaries_columns(spec: &KindSpec, t: &mut Typed, team: ArrayRef) -> Columns {
    let present = present_columns(spec, t);
    (
        vec![
            team,
            t.take("sprint_id").into_array(),
            t.take("sprint_name").into_array(),
            t.take("planned_days").into_array(),
            t.take("committed_points").into_array(),
            t.take("completed_points").into_array(),
            t.take("added_points").into_array(),
            t.take("removed_points").into_array(),
        ],
        present,
    )
}

/// The table columns a file gave values for: keys always, the rest when the file has them.
fn present_columns(spec: &KindSpec, t: &Typed) -> Vec<&'static str> {
    spec.columns
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| spec.keys.contains(c) || t.has(c))
        .collect()
}

fn date_text(days: i32) -> String {
    crate::ingest::values::epoch_day(days).to_string()
}

fn ts_text(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|d| d.naive_utc().to_string())
        .unwrap_or_default()
}
