//! How well the split list finds the stories that really were too big: generated teams (whose
//! generator knows, per story, whether it was carried over or its work outgrew a sprint), the
//! backlog's split list at the default settings (or those of `--config`), and its precision and recall against that
//! truth. The metrics never see the truth.

use crate::devtools::generate::GenParams;
use crate::devtools::workdir::work_dir;
use crate::domain::Scope;
use crate::error::Result;
use crate::metrics::team::Metrics;
use crate::present::table::{Format, Render, Table};
use crate::settings::Settings;
use crate::store::Store;
use chrono::Duration;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// The data sets the split list is checked on.
#[derive(Debug, Clone)]
pub struct SplitCheckSpec {
    pub teams: usize,
    pub sprints: usize,
    pub seeds: Vec<u64>,
    pub dir: Option<PathBuf>,
    pub keep: bool,
}

/// The split list of one generated data set against its truth.
#[derive(Debug, Clone, Serialize)]
pub struct SplitCheckRow {
    pub seed: u64,
    pub teams: usize,
    /// Backlog stories (not done) checked.
    pub backlog: usize,
    /// Of those, really too big.
    pub too_big: usize,
    /// Listed to split (score at the cut or above).
    pub listed: usize,
    /// Listed and really too big.
    pub listed_too_big: usize,
    /// Watched (flagged below the cut).
    pub watched: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    /// Listed / backlog, over all teams and for the team with the largest share.
    pub listed_share: f64,
    pub largest_team_share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SplitCheck {
    /// The settings file the list was made with; none: the defaults.
    pub settings: Option<String>,
    pub rows: Vec<SplitCheckRow>,
    /// Over every data set.
    pub total: SplitCheckRow,
    /// Rules of thumb on the same backlogs, over every data set.
    pub baselines: Vec<Baseline>,
}

/// A rule of thumb's list against the same truth.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub rule: String,
    pub listed: usize,
    pub listed_too_big: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub listed_share: f64,
}

/// The rules of thumb: the Planning Poker "a ticket debated between 5 and 13 should be split"
/// (votes of one round from 5 or less to 13 or more), and "every story of 13 points or more".
pub const BASELINES: [&str; 2] = [
    "votes of a round spanned 5 to 13 or wider",
    "estimate of 13 points or more",
];

/// Per backlog story: whether each baseline lists it.
const BASELINE_FLAGS: &str = "
with r as (
    select team, story, min(value) as lo, max(value) as hi
    from votes where value is not null
    group by team, story, session, round
), d as (
    select team, story, bool_or(lo <= 5 and hi >= 13) as debated from r group by team, story
)
select s.team, s.story, coalesce(d.debated, false), coalesce(s.estimate >= 13, false)
from stories s left join d on d.team = s.team and d.story = s.story";

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Generates each seed's data set, ingests it, lists the backlog's split candidates as of the
/// day after its last sprint, and compares them with the truth.
/// `settings`: the defaults, or the file given with `--config` (`settings_file` names it).
pub fn check(
    spec: &SplitCheckSpec,
    settings: &Settings,
    settings_file: Option<&std::path::Path>,
) -> Result<SplitCheck> {
    let dir = work_dir(&spec.dir, spec.keep)?;
    let mut rows = Vec::new();
    // Per baseline: listed, listed and too big.
    let mut base = [(0usize, 0usize); BASELINES.len()];
    for &seed in &spec.seeds {
        let params = GenParams {
            teams: spec.teams,
            sprints: spec.sprints,
            seed,
            ..GenParams::default()
        };
        let (summary, db) = dir.generated_store(&params, &format!("check-{seed}"))?;
        let store = Store::open_existing(&db)?;
        // The day after the longest team calendar (two-week sprints) ends.
        let as_of = params.start + Duration::days(14 * spec.sprints as i64);
        let m = Metrics::new(&store, settings, Scope::default(), as_of).stories_only();
        let report = m.backlog_splits()?;
        let truth: HashMap<(&str, &str), bool> = summary
            .truth
            .iter()
            .filter(|t| !t.done)
            .map(|t| ((t.team.as_str(), t.story.as_str()), t.too_big))
            .collect();
        let listed: HashSet<(&str, &str)> = report
            .candidates
            .iter()
            .map(|c| (c.team.as_str(), c.story.as_str()))
            .collect();
        let mut per_team: HashMap<&str, (usize, usize)> = HashMap::new();
        for (team, story) in truth.keys() {
            let e = per_team.entry(team).or_default();
            e.0 += 1;
            e.1 += usize::from(listed.contains(&(*team, *story)));
        }
        let flags = store.query_rows("baseline_flags", BASELINE_FLAGS, [], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                [r.get::<_, bool>(2)?, r.get::<_, bool>(3)?],
            ))
        })?;
        for (team, story, fired) in &flags {
            let Some(big) = truth.get(&(team.as_str(), story.as_str())) else {
                continue;
            };
            for (b, f) in base.iter_mut().zip(fired) {
                if *f {
                    b.0 += 1;
                    b.1 += usize::from(*big);
                }
            }
        }
        let too_big = truth.values().filter(|t| **t).count();
        let listed_too_big = listed
            .iter()
            .filter(|k| truth.get(k).copied().unwrap_or(false))
            .count();
        rows.push(SplitCheckRow {
            seed,
            teams: spec.teams,
            backlog: report.stories_checked,
            too_big,
            listed: listed.len(),
            listed_too_big,
            watched: report.watch.len(),
            precision: ratio(listed_too_big, listed.len()),
            recall: ratio(listed_too_big, too_big),
            listed_share: ratio(listed.len(), report.stories_checked).unwrap_or(0.0),
            largest_team_share: per_team
                .values()
                .filter_map(|(n, l)| ratio(*l, *n))
                .fold(0.0, f64::max),
        });
    }
    let sum = |f: fn(&SplitCheckRow) -> usize| rows.iter().map(f).sum::<usize>();
    let (backlog, too_big, listed, hits) = (
        sum(|r| r.backlog),
        sum(|r| r.too_big),
        sum(|r| r.listed),
        sum(|r| r.listed_too_big),
    );
    let total = SplitCheckRow {
        seed: 0,
        teams: spec.teams * rows.len(),
        backlog,
        too_big,
        listed,
        listed_too_big: hits,
        watched: sum(|r| r.watched),
        precision: ratio(hits, listed),
        recall: ratio(hits, too_big),
        listed_share: ratio(listed, backlog).unwrap_or(0.0),
        largest_team_share: rows
            .iter()
            .map(|r| r.largest_team_share)
            .fold(0.0, f64::max),
    };
    let baselines = BASELINES
        .iter()
        .zip(base)
        .map(|(rule, (l, hits))| Baseline {
            rule: rule.to_string(),
            listed: l,
            listed_too_big: hits,
            precision: ratio(hits, l),
            recall: ratio(hits, too_big),
            listed_share: ratio(l, backlog).unwrap_or(0.0),
        })
        .collect();
    Ok(SplitCheck {
        settings: settings_file.map(|f| f.display().to_string()),
        rows,
        total,
        baselines,
    })
}

impl Render for SplitCheck {
    fn tables(&self, format: Format) -> Result<String> {
        let mut t = Table::new(
            &[
                "seed",
                "teams",
                "backlog",
                "too big",
                "listed",
                "listed & too big",
                "watched",
                "precision",
                "recall",
                "listed share",
                "largest team share",
            ],
            &[
                false, true, true, true, true, true, true, true, true, true, true,
            ],
        );
        let pct = |x: Option<f64>| {
            x.map(|v| format!("{:.2}", v))
                .unwrap_or_else(|| "n/a".into())
        };
        for (label, r) in self
            .rows
            .iter()
            .map(|r| (r.seed.to_string(), r))
            .chain(std::iter::once(("all".to_string(), &self.total)))
        {
            t.row(vec![
                label,
                r.teams.to_string(),
                r.backlog.to_string(),
                r.too_big.to_string(),
                r.listed.to_string(),
                r.listed_too_big.to_string(),
                r.watched.to_string(),
                pct(r.precision),
                pct(r.recall),
                format!("{:.2}", r.listed_share),
                format!("{:.2}", r.largest_team_share),
            ]);
        }
        let at = match &self.settings {
            Some(f) => format!("the settings of {f}"),
            None => "the default settings".to_string(),
        };
        let mut s = format!(
            "split list against the generator's truth (its work did not fit one sprint; backlog at {at}; \
             target: precision >= 0.60 at recall >= 0.50, at most a quarter of a backlog listed)\n\n",
        );
        s.push_str(&t.render(format));
        let mut b = Table::new(
            &[
                "list",
                "listed",
                "listed & too big",
                "precision",
                "recall",
                "listed share",
            ],
            &[false, true, true, true, true, true],
        );
        b.row(vec![
            "sprintlens split list".into(),
            self.total.listed.to_string(),
            self.total.listed_too_big.to_string(),
            pct(self.total.precision),
            pct(self.total.recall),
            format!("{:.2}", self.total.listed_share),
        ]);
        for x in &self.baselines {
            b.row(vec![
                format!("baseline: {}", x.rule),
                x.listed.to_string(),
                x.listed_too_big.to_string(),
                pct(x.precision),
                pct(x.recall),
                format!("{:.2}", x.listed_share),
            ]);
        }
        s.push_str("\nagainst rules of thumb on the same backlogs (all seeds)\n\n");
        s.push_str(&b.render(format));
        Ok(s)
    }
}
