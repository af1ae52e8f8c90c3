//! Point distribution per team or program: n, min, max, mean, median, mode (ties to the
//! smaller value), variance and sd with n-1, over the stories' final estimates.

use crate::domain::undefined::{Reasons, na};
use crate::error::Result;
use crate::metrics::frame;
use crate::metrics::stats::{Summary, summarise};
use crate::store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

pub const POINT_VALUES: &str = include_str!("../../queries/metrics/point_values.sql");

/// Whether to summarise per team or per program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Team,
    Program,
}

impl GroupBy {
    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Team => "team",
            GroupBy::Program => "program",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PointRow {
    /// The team or program.
    pub group: String,
    #[serde(flatten)]
    pub summary: Summary,
    /// Why a value is undefined (null), by field.
    #[serde(deserialize_with = "crate::domain::undefined::reasons")]
    pub undefined: Reasons,
}

#[derive(Debug, Clone, Serialize)]
pub struct PointDistribution {
    pub group_by: GroupBy,
    pub rows: Vec<PointRow>,
}

pub fn undefined_reasons(s: &Summary) -> Reasons {
    let mut m = Reasons::new();
    if s.n == 0 {
        for f in ["min", "max", "mean", "median", "mode", "iqr"] {
            m.insert(f, na("no values"));
        }
    }
    if s.n < 2 {
        m.insert("variance", na("needs at least two values"));
        m.insert("sd", na("needs at least two values"));
    }
    m
}

/// Which stories: `sprint` narrows to one sprint's stories, `since` to stories created since.
#[derive(Debug, Clone, Copy, Default)]
pub struct PointFilter<'a> {
    pub sprint: Option<&'a str>,
    pub since: Option<chrono::NaiveDate>,
}

pub fn point_distribution(
    store: &Store,
    team: Option<&str>,
    program: Option<&str>,
    group_by: GroupBy,
    filter: PointFilter,
) -> Result<PointDistribution> {
    let since = filter.since.map(|d| d.to_string());
    let df = store.query_frame(
        "point_values",
        POINT_VALUES,
        duckdb::params![team, program, filter.sprint, since],
    )?;
    let mut groups: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    if df.height() > 0 {
        let key_col = match group_by {
            GroupBy::Team => "team",
            GroupBy::Program => "program",
        };
        let keys = frame::strings(&df, key_col)?;
        let est = frame::floats(&df, "estimate")?;
        let stories = frame::ints(&df, "stories")?;
        // Each estimate as often as stories have it, in the query's order (team, estimate).
        for ((k, v), n) in keys.into_iter().zip(est).zip(stories) {
            if let (Some(k), Some(v), Some(n)) = (k, v, n) {
                let values = groups.entry(k).or_default();
                values.extend(std::iter::repeat_n(v, n as usize));
            }
        }
    }
    if let Some(t) = team
        && !groups.contains_key(t)
        && group_by == GroupBy::Team
    {
        groups.insert(t.to_string(), Vec::new());
    }
    let rows = groups
        .into_iter()
        .map(|(group, values)| {
            let summary = summarise(&values);
            PointRow {
                group,
                undefined: undefined_reasons(&summary),
                summary,
            }
        })
        .collect();
    Ok(PointDistribution { group_by, rows })
}
