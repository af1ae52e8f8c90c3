//! Parabol's poker summary CSV (`ParabolPoker_<team>_<date>.csv`, from a meeting's summary):
//! one row per story and dimension with the final score and how many voted. It holds no
//! per-voter cards, so it gives stories and their final estimates only, never votes.
//!
//! - `story` is `KEY-123: title` for a story of an integration (Jira, Azure DevOps, GitHub,
//!   GitLab, Linear), or a bare title for a Parabol task (the title is then its key);
//! - one dimension is the estimate: `--points-field DIMENSION`, else the only one, else the one
//!   named like story points; the others are left out;
//! - `finalScore` `?`, `Pass` or empty leaves the estimate unknown; a label that is not a number
//!   (a T-shirt size) takes its points from the team's deck;
//! - the file names no team: `--team` says it.

use crate::domain::Kind;
use crate::error::shown;
use crate::ingest::export::canon::{
    Canon, Import, Reader, Tool, missing, score_points, story_cells,
};
use std::collections::BTreeSet;

pub const PARABOL: Tool = Tool {
    name: "parabol",
    columns: &["story", "dimension", "finalScore", "voteCount"],
    points: &[],
    date_formats: &[],
    header: &["story", "dimension", "finalScore", "voteCount"],
    read,
};

/// `KEY-123: title` -> (key, title); anything else is its own key and title.
fn key_and_title(story: &str) -> (String, String) {
    if let Some((key, title)) = story.split_once(": ") {
        let looks_like_key = !key.is_empty()
            && !key.contains(char::is_whitespace)
            && key.chars().any(|c| c.is_ascii_digit());
        if looks_like_key {
            return (key.to_string(), title.trim().to_string());
        }
    }
    (story.trim().to_string(), story.trim().to_string())
}

/// The dimension that is the estimate, or why none can be chosen.
fn dimension(given: Option<&str>, seen: &BTreeSet<String>) -> Result<String, String> {
    let list = || {
        seen.iter()
            .map(|d| format!("\"{}\"", shown(d)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(d) = given {
        return seen
            .iter()
            .find(|s| s.eq_ignore_ascii_case(d))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "--points-field \"{}\": the export has no such dimension (it has {})",
                    shown(d),
                    list()
                )
            });
    }
    if seen.len() == 1 {
        return Ok(seen.iter().next().cloned().unwrap_or_default());
    }
    let pointy: Vec<&String> = seen
        .iter()
        .filter(|d| d.to_ascii_lowercase().contains("point"))
        .collect();
    match pointy.as_slice() {
        [one] => Ok((*one).clone()),
        _ => Err(format!(
            "the export estimates several dimensions ({}); name the one that is the estimate \
             with --points-field DIMENSION",
            list()
        )),
    }
}

fn read(imp: &Import, r: &mut Reader, canon: &mut Canon) -> Option<()> {
    let (file, records, ctx, cols) = (imp.file, imp.records, imp.ctx, &imp.cols);
    let story_col = cols.find(&["story"]);
    let dim_col = cols.find(&["dimension"]);
    let score_col = cols.find(&["finalScore"]);
    for (c, n) in [
        (story_col, "\"story\""),
        (dim_col, "\"dimension\""),
        (score_col, "\"finalScore\""),
    ] {
        if c.is_none() {
            missing(file, PARABOL.name, n, records, r.problems);
        }
    }
    let team = ctx.team_or_ask(file, "a Parabol summary", r.problems)?;
    let (Some(story_col), Some(dim_col), Some(score_col)) = (story_col, dim_col, score_col) else {
        return None;
    };
    let seen: BTreeSet<String> = records
        .rows
        .iter()
        .map(|(_, row)| row[dim_col].trim().to_string())
        .collect();
    if records.rows.is_empty() {
        return Some(());
    }
    let chosen = match dimension(ctx.options.points_field.as_deref(), &seen) {
        Ok(d) => d,
        Err(m) => {
            r.problems
                .push(crate::error::Problem::at(file, 1, Some("dimension"), m));
            return None;
        }
    };
    let deck = ctx.settings.team(team).deck.deck();
    // No type or creation time in the summary: those columns are left as they are.
    canon.source(Kind::Stories, "type", false);
    canon.source(Kind::Stories, "created_at", false);
    for (line, row) in &records.rows {
        if row[dim_col].trim() != chosen {
            continue;
        }
        let text = row[story_col].trim();
        if text.is_empty() {
            r.bad(*line, story_col, "the story is empty".into());
            continue;
        }
        let (key, title) = key_and_title(text);
        let score = row[score_col].trim();
        let estimate = match score_points(score, team, &deck, r.decimal_comma) {
            Ok(e) => e,
            Err(m) => {
                r.bad(*line, score_col, m);
                continue;
            }
        };
        canon.push(
            Kind::Stories,
            *line,
            story_cells(team, &key, Some(title), None, None, estimate),
        );
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_integration_prefix() {
        assert_eq!(
            key_and_title("PAY-142: Refund by card"),
            ("PAY-142".into(), "Refund by card".into())
        );
        assert_eq!(
            key_and_title("#12: Fix it"),
            ("#12".into(), "Fix it".into())
        );
        assert_eq!(
            key_and_title("Write the doc: part one"),
            (
                "Write the doc: part one".into(),
                "Write the doc: part one".into()
            )
        );
    }

    #[test]
    fn the_estimate_dimension_is_chosen_or_asked_for() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(dimension(None, &set(&["Effort"])).unwrap(), "Effort");
        assert_eq!(
            dimension(None, &set(&["Story Points", "Complexity"])).unwrap(),
            "Story Points"
        );
        assert!(
            dimension(None, &set(&["Effort", "Complexity"]))
                .unwrap_err()
                .contains("--points-field")
        );
        assert_eq!(
            dimension(Some("complexity"), &set(&["Story Points", "Complexity"])).unwrap(),
            "Complexity"
        );
        assert!(dimension(Some("Risk"), &set(&["Effort"])).is_err());
    }
}

/// Parabol's poker meeting as the GraphQL API answers the query in the README
/// (`{"data": {"viewer": {"meeting": {...}}}}`, or the meeting object itself): each estimate
/// stage's `scores` are the cards of its last round (Revote clears them), so every vote is
/// stored as round 1 with `last_round_only`.
pub mod json {
    use super::{dimension, key_and_title};
    use crate::domain::Kind;
    use crate::error::{Problem, Problems, shown};
    use crate::ingest::export::canon::{
        Canon, Context, last_round_vote, parsed_or_say, score_points, story_cells,
    };
    use crate::ingest::read::RawTable;
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// The meeting in an answer, if the bytes hold one.
    fn meeting(v: &Value) -> Option<&Value> {
        let m = &v["data"]["viewer"]["meeting"];
        if m.is_object() {
            return Some(m);
        }
        (v["phases"].is_array() && v["id"].is_string()).then_some(v)
    }

    /// Whether bytes look like a saved Parabol meeting (for recognising a `.json` file).
    pub fn recognises(bytes: &[u8]) -> bool {
        serde_json::from_slice::<Value>(bytes).is_ok_and(|v| meeting(&v).is_some())
    }

    /// The estimate stages: `phases[].stages[]`, or phases that are stages themselves.
    fn stages(m: &Value) -> Vec<&Value> {
        let mut out = Vec::new();
        for p in m["phases"].as_array().into_iter().flatten() {
            match p["stages"].as_array() {
                Some(st) => out.extend(st.iter().filter(|s| s["scores"].is_array())),
                None if p["scores"].is_array() => out.push(p),
                None => {}
            }
        }
        out
    }

    fn text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn import(
        file: &str,
        bytes: &[u8],
        ctx: &Context,
        problems: &mut Problems,
    ) -> Option<Vec<(Kind, RawTable)>> {
        let v: Value = parsed_or_say(file, serde_json::from_slice(bytes), "JSON", problems)?;
        let Some(m) = meeting(&v) else {
            problems.push(Problem::file(
                file,
                "is not a Parabol meeting (the answer of the GraphQL query in the README)",
            ));
            return None;
        };
        let Some(team) = ctx.team else {
            problems.push(Problem::file(
                file,
                "a Parabol meeting names its team by an id only; say which team with --team",
            ));
            return None;
        };
        let Some(session) = text(&m["id"]) else {
            problems.push(Problem::file(file, "the meeting has no id"));
            return None;
        };
        let where_ = format!("{file}#stages");
        let all = stages(m);
        let seen: BTreeSet<String> = all
            .iter()
            .filter_map(|s| text(&s["dimensionRef"]["name"]))
            .collect();
        let chosen = if seen.is_empty() {
            None
        } else {
            match dimension(ctx.options.points_field.as_deref(), &seen) {
                Ok(d) => Some(d),
                Err(m) => {
                    problems.push(Problem::at(&where_, 1, Some("dimensionRef"), m));
                    return None;
                }
            }
        };
        let deck = ctx.settings.team(team).deck.deck();
        let mut canon = Canon::default();
        canon.source(Kind::Stories, "type", false);
        canon.source(Kind::Stories, "created_at", false);
        canon.source(
            Kind::Votes,
            "voted_at",
            all.iter().any(|s| s["startAt"].is_string()),
        );
        let before = problems.total;
        for (i, s) in all.iter().enumerate() {
            let line = (i + 1) as u32;
            if chosen.is_some() && text(&s["dimensionRef"]["name"]) != chosen {
                continue;
            }
            let integration = &s["task"]["integration"];
            let key = ["issueKey", "identifier", "number", "iid"]
                .iter()
                .find_map(|k| text(&integration[*k]))
                .or_else(|| text(&s["taskId"]));
            let Some(key) = key else {
                problems.push(Problem::at(
                    &where_,
                    line as usize,
                    Some("task"),
                    "a stage without a task",
                ));
                continue;
            };
            let title = text(&s["task"]["title"]).map(|t| {
                // A title that carries its key ("PAY-1: ...") loses it.
                let (k, rest) = key_and_title(&t);
                if k == key { rest } else { t }
            });
            if s["isVoting"] == Value::Bool(true) {
                let cast = s["scores"].as_array().is_some_and(|a| !a.is_empty());
                if cast {
                    // Cards cast and not yet revealed: what they say is not settled.
                    problems.push(Problem::at(
                        &where_,
                        line as usize,
                        Some("scores"),
                        format!(
                            "story \"{}\" has cards that are not revealed yet; save the meeting after the reveal",
                            shown(&key)
                        ),
                    ));
                } else {
                    // A meeting ended before its last story was voted on: nothing to keep.
                    ctx.note(format!(
                        "{where_}:{line}: story \"{}\" was still open for voting with no cards; left out",
                        shown(&key)
                    ));
                }
                continue;
            }
            let score = text(&s["finalScore"]).unwrap_or_default();
            // JSON: numbers have a decimal point.
            let estimate = match score_points(&score, team, &deck, false) {
                Ok(e) => e,
                Err(m) => {
                    problems.push(Problem::at(&where_, line as usize, Some("finalScore"), m));
                    continue;
                }
            };
            canon.push(
                Kind::Stories,
                line,
                story_cells(team, &key, title, None, None, estimate),
            );
            for sc in s["scores"].as_array().into_iter().flatten() {
                let voter = text(&sc["user"]["preferredName"]).or_else(|| text(&sc["userId"]));
                let (Some(voter), Some(card)) = (voter, text(&sc["label"])) else {
                    problems.push(Problem::at(
                        &where_,
                        line as usize,
                        Some("scores"),
                        format!(
                            "story \"{}\": a score without a voter or a card",
                            shown(&key)
                        ),
                    ));
                    continue;
                };
                canon.push(
                    Kind::Votes,
                    line,
                    last_round_vote(team, &session, &key, &voter, &card, text(&s["startAt"])),
                );
            }
        }
        if problems.total > before {
            return None;
        }
        Some(canon.into_tables(&where_))
    }
}
