//! Poinz rooms: the JSON of the room's export button (`GET /api/export/room/{roomId}`,
//! `{"roomId", "exportedAt", "stories": [...]}`), saved to a file. Poinz keeps a story's
//! estimations of its last round only (a new round clears them), so every vote is stored as
//! round 1 with `last_round_only`: figures that need earlier rounds are unknown, never made up.
//!
//! - session = `roomId`; team = `--team` (a room names no team);
//! - story key = `key` (set when stories were imported from Jira and the like), else the
//!   title's leading key (`PAY-142 Refund flow`), else the title; title = `title`;
//! - voter = `username` (else `userId`), card = `value`: Poinz's card values are numbers, with
//!   `-2` for `?`, `-1` for its "too big" card (stored as `∞`) and `0.5` for `½`;
//! - final estimate = `consensus` when it is a card with points;
//! - stories in the room's trash (`trashed`) are left out; the export has no times.
//!
//! Problems name the file as `FILE#stories` and the line as the story's place (1 = the first).

use crate::domain::Kind;
use crate::domain::cards::normalise_card;
use crate::error::{Problem, Problems, shown};
use crate::ingest::export::canon::{Canon, Context, last_round_vote, parsed_or_say, story_cells};
use crate::ingest::export::wide::key_and_title;
use crate::ingest::read::RawTable;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Room {
    room_id: String,
    stories: Vec<Story>,
}

#[derive(Deserialize)]
struct Story {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    trashed: bool,
    #[serde(default)]
    estimations: Vec<Estimation>,
    #[serde(default)]
    consensus: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Estimation {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    value: serde_json::Value,
}

/// A value Poinz writes as a number (a string holding one is read too).
fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => crate::ingest::values::parse_float(s),
        _ => None,
    }
}

/// Whether bytes look like a Poinz room export (for recognising a `.json` file).
pub fn recognises(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .is_ok_and(|v| v["roomId"].is_string() && v["stories"].is_array())
}

/// A Poinz card value as a card: `?` and the "too big" card by their numbers, points as the
/// deck writes them (`½`, `3`); another negative value is no card.
fn card(value: f64) -> Option<String> {
    match value {
        -2.0 => Some("?".into()),
        -1.0 => Some("∞".into()),
        v if v.is_finite() && v >= 0.0 => Some(normalise_card(&v.to_string())),
        _ => None,
    }
}

/// Reads one room export into canonical stories and votes.
pub fn import(
    file: &str,
    bytes: &[u8],
    ctx: &Context,
    problems: &mut Problems,
) -> Option<Vec<(Kind, RawTable)>> {
    let room: Room = parsed_or_say(
        file,
        serde_json::from_slice(bytes),
        "a Poinz room export (the JSON of GET /api/export/room/ROOM)",
        problems,
    )?;
    let team = ctx.team_or_ask(file, "a Poinz room", problems)?;
    let where_ = format!("{file}#stories");
    let mut canon = Canon::default();
    canon.source(Kind::Stories, "type", false);
    canon.source(Kind::Stories, "created_at", false);
    canon.source(Kind::Votes, "voted_at", false);
    let before = problems.total;
    for (i, story) in room.stories.iter().enumerate() {
        let line = (i + 1) as u32;
        if story.trashed {
            continue;
        }
        let title = story.title.as_deref().map(str::trim).unwrap_or_default();
        // The title's leading key and the rest (a title without one is both).
        let (title_key, rest) = key_and_title(title);
        let key = story
            .key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map_or_else(|| title_key.clone(), str::to_string);
        if key.is_empty() {
            problems.push(Problem::at(
                &where_,
                line as usize,
                Some("title"),
                "a story without a key or a title",
            ));
            continue;
        }
        let shown_title = if title_key == key && !rest.is_empty() {
            rest
        } else {
            title.to_string()
        };
        let estimate = number(&story.consensus).filter(|c| *c >= 0.0 && c.is_finite());
        canon.push(
            Kind::Stories,
            line,
            story_cells(
                team,
                &key,
                (!shown_title.is_empty()).then_some(shown_title),
                None,
                None,
                estimate,
            ),
        );
        for e in &story.estimations {
            let voter = e
                .username
                .as_deref()
                .or(e.user_id.as_deref())
                .map(str::trim)
                .unwrap_or_default();
            if voter.is_empty() {
                problems.push(Problem::at(
                    &where_,
                    line as usize,
                    Some("estimations"),
                    format!("story \"{}\": an estimation without a user", shown(&key)),
                ));
                continue;
            }
            let Some(card) = number(&e.value).and_then(card) else {
                problems.push(Problem::at(
                    &where_,
                    line as usize,
                    Some("estimations"),
                    format!(
                        "story \"{}\": {voter}'s value {} is no card Poinz gives a meaning \
                         (-2 is ?, -1 too big, others are points)",
                        shown(&key),
                        shown(&e.value.to_string())
                    ),
                ));
                continue;
            };
            canon.push(
                Kind::Votes,
                line,
                last_round_vote(team, &room.room_id, &key, voter, &card, None),
            );
        }
    }
    if problems.total > before {
        return None;
    }
    Some(canon.into_tables(&where_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_exports_are_recognised_and_cards_read() {
        assert!(recognises(br#"{"roomId":"r","exportedAt":1,"stories":[]}"#));
        assert!(!recognises(br#"{"data":{"plans":[]}}"#));
        assert!(!recognises(br#"{"roomId":"r"}"#));
        let cards: Vec<Option<String>> = [-2.0, -1.0, 0.5, 0.0, 3.0, 13.0, 2.5, -3.0, f64::NAN]
            .into_iter()
            .map(card)
            .collect();
        let want = ["?", "∞", "½", "0", "3", "13", "2.5"];
        for (got, want) in cards.iter().zip(want) {
            assert_eq!(got.as_deref(), Some(want));
        }
        assert_eq!(cards[7..], [None, None]);
        // Numbers as Poinz writes them; a string holding one is read too.
        assert_eq!(number(&serde_json::json!(3)), Some(3.0));
        assert_eq!(number(&serde_json::json!(" 0.5 ")), Some(0.5));
        assert_eq!(number(&serde_json::json!(null)), None);
        assert_eq!(number(&serde_json::json!("BIG")), None);
    }
}
