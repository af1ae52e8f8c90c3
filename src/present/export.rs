//! The computed figures as Arrow record batches, for the Parquet export: one row per sprint
//! (the velocity report's sprint rows) and one per round (the spread report's rounds), with
//! the same names and definitions as the JSON reports. A value that is undefined is null, and
//! its reason is in the row's `undefined` column (JSON, field -> reason), as in the reports.

use crate::domain::Reasons;
use crate::metrics::spread::SpreadReport;
use crate::metrics::velocity::VelocityReport;
use duckdb::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, ListBuilder, StringArray,
    StringBuilder,
};
use duckdb::arrow::record_batch::RecordBatch;
use std::collections::HashMap;
use std::sync::Arc;

/// Days since 1970-01-01, as Arrow dates count.
fn epoch_days(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::default()).num_days() as i32
}

/// A `YYYY-MM-DD` text as an Arrow date.
fn day(text: &Option<String>) -> Option<i32> {
    chrono::NaiveDate::parse_from_str(text.as_deref()?, "%Y-%m-%d")
        .ok()
        .map(epoch_days)
}

fn reasons(r: &Reasons) -> Option<String> {
    (!r.is_empty()).then(|| serde_json::to_string(r).unwrap_or_default())
}

fn texts<'a>(v: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(v.collect::<StringArray>())
}

fn floats(v: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(v.collect::<Float64Array>())
}

fn ints(v: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(v.collect::<Int64Array>())
}

fn bools(v: impl Iterator<Item = bool>) -> ArrayRef {
    Arc::new(v.map(Some).collect::<BooleanArray>())
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).expect("the export's columns line up")
}

/// One row per sprint of every team in the report, as of its day.
pub fn sprint_figures(r: &VelocityReport) -> RecordBatch {
    let s = &r.sprints;
    let as_of = epoch_days(r.as_of);
    batch(vec![
        ("team", texts(s.iter().map(|x| Some(x.team.as_str())))),
        ("program", texts(s.iter().map(|x| x.program.as_deref()))),
        (
            "sprint_id",
            texts(s.iter().map(|x| Some(x.sprint_id.as_str()))),
        ),
        (
            "sprint_name",
            texts(s.iter().map(|x| x.sprint_name.as_deref())),
        ),
        (
            "start_date",
            Arc::new(
                s.iter()
                    .map(|x| day(&x.start_date))
                    .collect::<Date32Array>(),
            ),
        ),
        (
            "end_date",
            Arc::new(s.iter().map(|x| day(&x.end_date)).collect::<Date32Array>()),
        ),
        ("source", texts(s.iter().map(|x| Some(x.source.as_str())))),
        ("closed", bools(s.iter().map(|x| x.closed))),
        ("committed", floats(s.iter().map(|x| x.committed))),
        ("added", floats(s.iter().map(|x| x.added))),
        ("removed", floats(s.iter().map(|x| x.removed))),
        ("completed", floats(s.iter().map(|x| x.completed))),
        (
            "completed_of_committed",
            floats(s.iter().map(|x| x.completed_of_committed)),
        ),
        ("say_do", floats(s.iter().map(|x| x.say_do))),
        (
            "carry_over_items",
            ints(s.iter().map(|x| x.carry_over_items)),
        ),
        ("difference", floats(s.iter().map(|x| x.difference))),
        ("rolling_mean", floats(s.iter().map(|x| x.rolling_mean))),
        ("rolling_median", floats(s.iter().map(|x| x.rolling_median))),
        ("rolling_sd", floats(s.iter().map(|x| x.rolling_sd))),
        ("rolling_cv", floats(s.iter().map(|x| x.rolling_cv))),
        (
            "window",
            ints(s.iter().map(|x| {
                r.teams
                    .iter()
                    .find(|t| t.team == x.team)
                    .map(|t| t.window as i64)
            })),
        ),
        (
            "as_of",
            Arc::new(s.iter().map(|_| Some(as_of)).collect::<Date32Array>()),
        ),
        (
            "undefined",
            Arc::new(
                s.iter()
                    .map(|x| reasons(&x.undefined))
                    .collect::<StringArray>(),
            ),
        ),
    ])
}

/// A list of names per row.
fn name_lists<'a>(rows: impl Iterator<Item = &'a [crate::metrics::spread::Name]>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for names in rows {
        for n in names {
            b.values().append_value(n);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// One row per round of every story in the report (voters as the report names them).
pub fn round_figures(r: &SpreadReport) -> RecordBatch {
    let s = &r.rounds;
    let count = |f: fn(&crate::metrics::spread::RoundSpread) -> usize| {
        ints(s.iter().map(move |x| Some(f(x) as i64)))
    };
    batch(vec![
        ("team", texts(s.iter().map(|x| Some(&*x.team)))),
        ("session", texts(s.iter().map(|x| Some(&*x.session)))),
        ("story", texts(s.iter().map(|x| Some(&*x.story)))),
        ("round", ints(s.iter().map(|x| Some(x.round)))),
        ("votes", count(|x| x.votes)),
        ("numeric_votes", count(|x| x.numeric_votes)),
        ("question_votes", count(|x| x.question_votes)),
        ("other_votes", count(|x| x.other_votes)),
        (
            "question_share",
            floats(s.iter().map(|x| Some(x.question_share))),
        ),
        ("spread_steps", ints(s.iter().map(|x| x.spread_steps))),
        ("ratio_spread", floats(s.iter().map(|x| x.ratio_spread))),
        ("sd_log2", floats(s.iter().map(|x| x.sd_log2))),
        ("mode_share", floats(s.iter().map(|x| x.mode_share))),
        ("unanimous", bools(s.iter().map(|x| x.unanimous))),
        ("near_consensus", bools(s.iter().map(|x| x.near_consensus))),
        (
            "suggested_card",
            texts(s.iter().map(|x| x.suggested_card.as_deref())),
        ),
        (
            "suggested_value",
            floats(s.iter().map(|x| x.suggested_value)),
        ),
        ("median", floats(s.iter().map(|x| x.median))),
        ("mean", floats(s.iter().map(|x| x.mean))),
        ("spread_change", ints(s.iter().map(|x| x.spread_change))),
        (
            "last_round_only",
            bools(s.iter().map(|x| x.last_round_only)),
        ),
        (
            "low_voters",
            name_lists(s.iter().map(|x| &x.low_voters[..])),
        ),
        (
            "high_voters",
            name_lists(s.iter().map(|x| &x.high_voters[..])),
        ),
        (
            "undefined",
            Arc::new(
                s.iter()
                    .map(|x| reasons(&x.undefined))
                    .collect::<StringArray>(),
            ),
        ),
    ])
}

/// (team, voter, pseudonym) of every voter, for votes exported without names.
pub fn pseudonyms(names: &HashMap<String, HashMap<String, String>>) -> RecordBatch {
    let mut rows: Vec<(&str, &str, &str)> = names
        .iter()
        .flat_map(|(t, m)| {
            m.iter()
                .map(move |(v, p)| (t.as_str(), v.as_str(), p.as_str()))
        })
        .collect();
    rows.sort();
    batch(vec![
        ("team", texts(rows.iter().map(|r| Some(r.0)))),
        ("voter", texts(rows.iter().map(|r| Some(r.1)))),
        ("pseudonym", texts(rows.iter().map(|r| Some(r.2)))),
    ])
}
