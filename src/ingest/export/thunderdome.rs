//! Thunderdome games: the JSON of `GET /api/battles/{id}` (`{"success", "data": {...}}`, or the
//! game object itself), saved to a file. A game's stories (`plans`) carry the cards of their
//! last round only (starting a revote wipes them), so every vote is stored as round 1 with
//! `last_round_only`: figures that need earlier rounds are unknown, never made up.
//!
//! - session = the game's `id`; team = `--team`, else the game's `teamName`;
//! - story key = `referenceId` (a Jira key, from Thunderdome's Jira import), else the plan `id`;
//!   title = `name`, type = `type`;
//! - voter = the `users[]` name of `warriorId` (else the id), card = `vote` (`☕️` is `☕`,
//!   `1/2` is `½`), time = the story's `voteStartTime` (votes carry none);
//! - final estimate = `points` when set (a story is finalised when `points` is not empty; the
//!   `skipped` flag and other stories' `voteEndTime` are not trusted);
//! - a story still being voted on has its cards hidden (empty): that is an error, fetch the game
//!   after voting ends.
//!
//! Problems name the file as `FILE#plans` and the line as the plan's place (1 = the first).

use crate::domain::Kind;
use crate::error::{Problem, Problems, shown};
use crate::ingest::export::canon::{Canon, Context, last_round_vote, parsed_or_say, story_cells};
use crate::ingest::read::RawTable;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
struct Wrapped {
    data: Game,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Game {
    id: String,
    #[serde(default)]
    team_name: Option<String>,
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    plans: Vec<Plan>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Plan {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    reference_id: Option<String>,
    #[serde(default)]
    votes: Option<Vec<Vote>>,
    #[serde(default)]
    points: Option<String>,
    #[serde(default)]
    active: bool,
    #[serde(default)]
    vote_start_time: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vote {
    warrior_id: String,
    #[serde(default)]
    vote: String,
}

/// Whether bytes look like a saved Thunderdome game (for recognising a `.json` file).
pub fn recognises(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v["data"]["plans"].is_array())
}

fn parse(bytes: &[u8]) -> Result<Game, String> {
    match serde_json::from_slice::<Wrapped>(bytes) {
        Ok(w) => Ok(w.data),
        Err(first) => serde_json::from_slice::<Game>(bytes).map_err(|_| first.to_string()),
    }
}

/// A points value as Thunderdome writes it: a number, `1/2`, or a card without points.
fn points(p: &str) -> Option<f64> {
    match p.trim() {
        "1/2" | "½" => Some(0.5),
        t => t.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0),
    }
}

/// Reads one saved game into canonical stories and votes.
pub fn import(
    file: &str,
    bytes: &[u8],
    ctx: &Context,
    problems: &mut Problems,
) -> Option<Vec<(Kind, RawTable)>> {
    let game = parsed_or_say(
        file,
        parse(bytes),
        "a Thunderdome game (the JSON of GET /api/battles/ID)",
        problems,
    )?;
    let Some(team) = ctx
        .team
        .map(str::to_string)
        .or_else(|| game.team_name.clone().filter(|t| !t.trim().is_empty()))
    else {
        problems.push(Problem::file(
            file,
            "the game belongs to no team; say which with --team",
        ));
        return None;
    };
    let where_ = format!("{file}#plans");
    let names: HashMap<&str, &str> = game
        .users
        .iter()
        .filter_map(|u| u.name.as_deref().map(|n| (u.id.as_str(), n)))
        .collect();
    let mut canon = Canon::default();
    canon.source(Kind::Stories, "created_at", false);
    // Votes carry no time of their own; the story's start stands in when the game gives it.
    canon.source(
        Kind::Votes,
        "voted_at",
        game.plans.iter().any(|p| p.vote_start_time.is_some()),
    );
    let before = problems.total;
    for (i, plan) in game.plans.iter().enumerate() {
        let line = (i + 1) as u32;
        let key = plan
            .reference_id
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .unwrap_or(&plan.id)
            .trim()
            .to_string();
        let final_points = plan.points.as_deref().filter(|p| !p.trim().is_empty());
        canon.push(
            Kind::Stories,
            line,
            story_cells(
                &team,
                &key,
                plan.name.clone(),
                plan.kind.clone(),
                None,
                final_points.and_then(points),
            ),
        );
        let votes = plan.votes.as_deref().unwrap_or_default();
        if plan.active && votes.iter().any(|v| v.vote.trim().is_empty()) {
            problems.push(Problem::at(
                &where_,
                line as usize,
                Some("votes"),
                format!(
                    "story \"{}\" is still being voted on, so its cards are hidden; save the game \
                     after voting ends",
                    shown(&key)
                ),
            ));
            continue;
        }
        for v in votes {
            if v.vote.trim().is_empty() {
                problems.push(Problem::at(
                    &where_,
                    line as usize,
                    Some("vote"),
                    format!("story \"{}\": a vote without a card", shown(&key)),
                ));
                continue;
            }
            let voter = names
                .get(v.warrior_id.as_str())
                .copied()
                .unwrap_or(&v.warrior_id);
            canon.push(
                Kind::Votes,
                line,
                last_round_vote(
                    &team,
                    &game.id,
                    &key,
                    voter,
                    &v.vote,
                    plan.vote_start_time.clone(),
                ),
            );
        }
    }
    if problems.total > before {
        return None;
    }
    let tables = canon.into_tables(&where_);
    Some(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_games_are_recognised_wrapped_or_not() {
        assert!(recognises(
            br#"{"success":true,"data":{"id":"g","plans":[]}}"#
        ));
        assert!(!recognises(br#"{"team":"a","story":"b"}"#));
        assert!(parse(br#"{"id":"g","plans":[]}"#).is_ok());
        assert_eq!(points("1/2"), Some(0.5));
        assert_eq!(points("13"), Some(13.0));
        assert_eq!(points("?"), None);
    }
}
