//! Ingest, the last check: rules that hold across rows, files and the stored data, checked on
//! the store as it will be after the call (stored rows merged with every file of the call, in
//! the order they are written) before the database is opened for writing:
//!
//! - a key gets one value per call: two files giving the same vote, item, story, ... different
//!   values would make the result depend on the order of the files ([`keys`]);
//! - a team is in one program, and has one deck, whichever files name it;
//! - an item is not completed before it started, whether the times come from one row, two
//!   files, or a file and an earlier ingest;
//! - every stored vote's card is in its team's deck: a new deck may not drop a card that
//!   stored votes use.
//!
//! A problem names the file and line of the incoming row and the value it conflicts with (in
//! which file and line, or "already stored").
//!
//! [`keys`]: crate::ingest::keys

use crate::domain::Kind;
use crate::domain::schema::Frame;
use crate::error::{Problem, Problems, Result, shown};
use crate::ingest::decks::decks_in_frame;
use crate::ingest::keys::check_across_files;
use crate::store::Store;
use chrono::DateTime;
use duckdb::arrow::array::{Array, StringArray, TimestampMicrosecondArray};
use std::collections::{BTreeMap, HashMap};

/// Checks the frames of one call against each other and against the store (`None`: no store
/// yet). Frames are in the order they will be written.
pub fn check(frames: &[Frame], store: Option<&Store>, problems: &mut Problems) -> Result<()> {
    for kind in Kind::ALL {
        if kind == Kind::Decks {
            continue;
        }
        let same: Vec<&Frame> = frames.iter().filter(|f| f.kind == kind).collect();
        check_across_files(&same, problems);
    }
    programs(frames, problems);
    decks(frames, store, problems)?;
    item_times(frames, store, problems)?;
    Ok(())
}

/// Where a value came from, for messages.
#[derive(Clone)]
enum Origin {
    Stored,
    Row(String, u32),
}

impl Origin {
    fn words(&self) -> String {
        match self {
            Origin::Stored => "already stored".to_string(),
            Origin::Row(f, l) => format!("from {f}:{l}"),
        }
    }
}

/// A team's program, given by two files of one call, must agree.
fn programs(frames: &[Frame], problems: &mut Problems) {
    let mut given: HashMap<&str, (&str, &Frame)> = HashMap::new();
    for f in frames {
        for (team, program) in &f.teams {
            let Some(p) = program else { continue };
            match given.get(team.as_str()) {
                None => {
                    given.insert(team, (p, f));
                }
                Some((q, other)) if q != p && other.file != f.file => {
                    problems.push(Problem::at(
                        &f.file,
                        f.team_lines.get(team).copied().unwrap_or(1),
                        Some("program"),
                        format!(
                            "team \"{}\" is in program \"{}\" in {}:{} and in \"{}\" here; a team is \
                             in one program (the result must not depend on the order of the files)",
                            shown(team),
                            shown(q),
                            other.file,
                            other.team_lines.get(team).copied().unwrap_or(1),
                            shown(p)
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
}

/// Decks: one per team across the call's files, and no card dropped that stored votes use.
fn decks(frames: &[Frame], store: Option<&Store>, problems: &mut Problems) -> Result<()> {
    let deck_frames: Vec<&Frame> = frames.iter().filter(|f| f.kind == Kind::Decks).collect();
    if deck_frames.is_empty() {
        return Ok(());
    }
    // The new deck of each team, and the file and line that gave it.
    let mut new: BTreeMap<String, (crate::domain::Deck, &Frame)> = BTreeMap::new();
    for f in &deck_frames {
        for (team, deck) in decks_in_frame(f) {
            let line = f.team_lines.get(&team).copied().unwrap_or(1);
            if let Some((earlier, other)) = new.get(&team)
                && *earlier != deck
            {
                problems.push(Problem::at(
                    &f.file,
                    line,
                    Some("deck"),
                    format!(
                        "team \"{}\" gets a deck in {}:{} and another here; a team has one deck \
                         (the result must not depend on the order of the files)",
                        shown(&team),
                        other.file,
                        other.team_lines.get(&team).copied().unwrap_or(1)
                    ),
                ));
                continue;
            }
            new.insert(team, (deck, f));
        }
    }
    let Some(store) = store else { return Ok(()) };
    for (team, card, votes, story) in store.vote_cards()? {
        let Some((deck, f)) = new.get(&team) else {
            continue;
        };
        if deck.position(&card).is_none() {
            problems.push(Problem::at(
                &f.file,
                f.team_lines.get(&team).copied().unwrap_or(1),
                Some("card"),
                format!(
                    "team \"{}\"'s new deck ({}) has no card \"{}\", which {votes} stored {} \
                     (story \"{}\"{}); keep the card in the deck",
                    shown(&team),
                    shown(&deck.name),
                    shown(&card),
                    if votes == 1 { "vote uses" } else { "votes use" },
                    shown(&story),
                    if votes > 1 { ", ..." } else { "" }
                ),
            ));
        }
    }
    Ok(())
}

/// The merged times of one item: each with where it came from, and the last row that gave the
/// item (the incoming row a problem names).
struct Merged {
    started: Option<(i64, Origin)>,
    completed: Option<(i64, Origin)>,
    /// Whether a file of the call gave the column (even empty: an empty cell of a column the
    /// file has is written, and replaces the stored value).
    start_given: bool,
    end_given: bool,
    last: (usize, usize),
    /// Whether the times may come from more than one row (else that row's own check covered
    /// them).
    mixed: bool,
}

/// No item completed before it started, on the items as they will be stored.
fn item_times(frames: &[Frame], store: Option<&Store>, problems: &mut Problems) -> Result<()> {
    let items: Vec<(usize, &Frame)> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == Kind::SprintItems)
        .collect();
    let whole =
        |f: &Frame| f.present.contains(&"started_at") && f.present.contains(&"completed_at");
    // Only a file without one of the times, or two files giving items, can combine times that
    // no single row shows.
    let partial = items.iter().any(|(_, f)| !whole(f));
    if items.is_empty() || (!partial && items.len() < 2) {
        return Ok(());
    }
    type Key = (String, String, String);
    let mut merged: HashMap<Key, Merged> = HashMap::new();
    for &(fi, f) in &items {
        let text = |name: &str| -> &StringArray {
            f.batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                .expect("text key column")
        };
        let time = |name: &str| -> &TimestampMicrosecondArray {
            f.batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>())
                .expect("timestamp column")
        };
        let (team, sprint, story) = (text("team"), text("sprint_id"), text("story"));
        let (started, completed) = (time("started_at"), time("completed_at"));
        let (has_start, has_end) = (
            f.present.contains(&"started_at"),
            f.present.contains(&"completed_at"),
        );
        for row in 0..f.batch.num_rows() {
            let key = (
                team.value(row).to_string(),
                sprint.value(row).to_string(),
                story.value(row).to_string(),
            );
            let from = Origin::Row(f.file.clone(), f.lines[row]);
            let value = |a: &TimestampMicrosecondArray| a.is_valid(row).then(|| a.value(row));
            let m = merged.entry(key).or_insert(Merged {
                started: None,
                completed: None,
                start_given: false,
                end_given: false,
                last: (fi, row),
                mixed: false,
            });
            m.mixed |= m.start_given || m.end_given || !(has_start && has_end);
            m.last = (fi, row);
            if has_start {
                m.started = value(started).map(|v| (v, from.clone()));
                m.start_given = true;
            }
            if has_end {
                m.completed = value(completed).map(|v| (v, from.clone()));
                m.end_given = true;
            }
        }
    }
    // Times no file of the call gave keep their stored values.
    if let Some(store) = store
        && partial
    {
        for s in store.item_times()? {
            let Some(m) = merged.get_mut(&s.key) else {
                continue;
            };
            if !m.start_given
                && let Some(v) = s.started
            {
                m.started = Some((v, Origin::Stored));
            }
            if !m.end_given
                && let Some(v) = s.completed
            {
                m.completed = Some((v, Origin::Stored));
            }
        }
    }
    let mut found: Vec<((usize, usize), String)> = Vec::new();
    for m in merged.values() {
        let (Some((s, sf)), Some((c, cf))) = (&m.started, &m.completed) else {
            continue;
        };
        if c >= s || !m.mixed {
            continue;
        }
        found.push((
            m.last,
            format!(
                "the item would be completed ({}, {}) before it was started ({}, {})",
                time_text(*c),
                cf.words(),
                time_text(*s),
                sf.words()
            ),
        ));
    }
    found.sort_by_key(|f| f.0);
    for ((fi, row), msg) in found {
        let f = &frames[fi];
        problems.push(Problem::at(
            &f.file,
            f.lines[row] as usize,
            Some("completed_at"),
            msg,
        ));
    }
    Ok(())
}

/// A time in words.
fn time_text(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|d| d.naive_utc().to_string())
        .unwrap_or_default()
}
