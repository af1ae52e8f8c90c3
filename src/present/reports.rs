//! The CLI's reports as tables, Markdown and CSV (JSON is the model itself, see [`Render`]).

use crate::error::Result;
use crate::ingest::IngestOutcome;
use crate::metrics::accuracy::AccuracyReport;
use crate::metrics::backtest::Backtest;
use crate::metrics::forecast::{ForecastReport, Level};
use crate::metrics::points::{GroupBy, PointDistribution};
use crate::metrics::splits::SplitReport;
use crate::metrics::spread::SpreadReport;
use crate::metrics::stats::Summary;
use crate::metrics::velocity::{SprintVelocity, VelocityReport};
use crate::present::fmt::{count, known, num, opt, pct, pct1, steps};
use crate::present::table::{Format, Json, Render, Table, heading, json_array};
use crate::store::info::Info;
use serde::Serialize;

fn info_teams_table(info: &Info) -> Table {
    let mut t = Table::new(
        &[
            "team",
            "program",
            "sprints",
            "stories",
            "votes",
            "items",
            "summaries",
            "from",
            "to",
        ],
        &[false, false, true, true, true, true, true, false, false],
    );
    for x in &info.teams {
        t.row(vec![
            x.team.clone(),
            opt(&x.program),
            count(x.sprints),
            count(x.stories),
            count(x.votes),
            count(x.sprint_items),
            count(x.sprint_summaries),
            opt(&x.first_day),
            opt(&x.last_day),
        ]);
    }
    t
}

fn info_ingests_table(info: &Info) -> Table {
    let mut t = Table::new(
        &[
            "#",
            "when (UTC)",
            "file",
            "kind",
            "rows",
            "inserted",
            "updated",
            "removed",
        ],
        &[true, false, false, false, true, true, true, true],
    );
    for x in &info.ingests {
        t.row(vec![
            x.id.to_string(),
            x.ingested_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            x.file.clone(),
            x.kind.clone(),
            count(x.rows),
            count(x.inserted),
            count(x.updated),
            count(x.removed),
        ]);
    }
    t
}

impl Render for Info {
    fn tables(&self, format: Format) -> Result<String> {
        if format == Format::Csv {
            return Ok(info_teams_table(self).to_csv());
        }
        let md = format == Format::Markdown;
        let tt = &self.totals;
        let mut s = String::new();
        if md {
            s.push_str(&format!("# sprintlens: {}\n\n", self.database));
        } else {
            s.push_str(&format!(
                "database  {} (schema version {})\n",
                self.database, self.schema_version
            ));
        }
        s.push_str(&format!(
            "{} team{} in {} program{}; {} sprints, {} stories, {} votes, {} sprint items, {} sprint summaries\n",
            tt.teams,
            if tt.teams == 1 { "" } else { "s" },
            tt.programs,
            if tt.programs == 1 { "" } else { "s" },
            count(tt.sprints),
            count(tt.stories),
            count(tt.votes),
            count(tt.sprint_items),
            count(tt.sprint_summaries)
        ));
        match (self.first_day, self.last_day) {
            (Some(a), Some(b)) => s.push_str(&format!("dates     {a} to {b}\n")),
            _ => s.push_str("dates     unknown (no sprints or timed votes yet)\n"),
        }
        if !self.programs.is_empty() {
            s.push_str(&heading(format, "Programs"));
            for p in &self.programs {
                if md {
                    s.push_str(&format!("- **{}**: {}\n", p.program, p.teams.join(", ")));
                } else {
                    s.push_str(&format!("  {}: {}\n", p.program, p.teams.join(", ")));
                }
            }
        }
        s.push_str(&heading(format, "Teams"));
        s.push_str(&info_teams_table(self).render(format));
        s.push_str(&heading(format, "Last ingests"));
        if self.ingests.is_empty() {
            s.push_str("none yet\n");
        } else {
            s.push_str(&info_ingests_table(self).render(format));
        }
        Ok(s)
    }
}

impl Render for crate::sync::SyncOutcome {
    fn tables(&self, format: Format) -> Result<String> {
        let mut t = Table::new(
            &[
                "team",
                "board",
                "sprints",
                "stories",
                "events",
                "sprints read",
                "run",
            ],
            &[false, true, true, true, true, true, false],
        );
        for b in &self.boards {
            t.row(vec![
                b.team.clone(),
                b.board.to_string(),
                count(b.sprints as i64),
                count(b.stories as i64),
                count(b.events as i64),
                count(b.sprints_read as i64),
                if b.incremental {
                    "changes since the last"
                } else {
                    "whole"
                }
                .to_string(),
            ]);
        }
        let mut s = t.render(format);
        if format == Format::Csv {
            return Ok(s);
        }
        s.push_str(&format!(
            "{} requests to {}\n",
            count(self.requests as i64),
            self.site
        ));
        if let Some(w) = &self.written {
            let (ins, upd, same) = w.files.iter().fold((0, 0, 0), |a, f| {
                (a.0 + f.inserted, a.1 + f.updated, a.2 + f.unchanged)
            });
            s.push_str(&format!(
                "written to {}: {} rows new, {} changed, {} unchanged\n",
                w.database,
                count(ins as i64),
                count(upd as i64),
                count(same as i64)
            ));
        } else {
            s.push_str("nothing to write\n");
        }
        for n in &self.notes {
            s.push_str(&format!("note: {n}\n"));
        }
        Ok(s)
    }
}

impl Render for IngestOutcome {
    fn tables(&self, format: Format) -> Result<String> {
        let mut t = Table::new(
            &[
                "file",
                "kind",
                "rows",
                "inserted",
                "updated",
                "unchanged",
                "removed",
            ],
            &[false, false, true, true, true, true, true],
        );
        for f in &self.files {
            t.row(vec![
                f.file.clone(),
                f.kind.to_string(),
                count(f.rows as i64),
                count(f.inserted as i64),
                count(f.updated as i64),
                count(f.unchanged as i64),
                count(f.removed as i64),
            ]);
        }
        let mut s = t.render(format);
        if format == Format::Table {
            for f in &self.files {
                if !f.ignored_columns.is_empty() {
                    s.push_str(&format!(
                        "note: {}: ignored column{} {}\n",
                        f.file,
                        if f.ignored_columns.len() == 1 {
                            ""
                        } else {
                            "s"
                        },
                        f.ignored_columns.join(", ")
                    ));
                }
            }
            for f in &self.skipped {
                s.push_str(&format!("note: skipped {f}\n"));
            }
            for n in &self.notes {
                s.push_str(&format!("note: {n}\n"));
            }
            s.push_str(&format!("into {}\n", self.database));
        }
        Ok(s)
    }
}

/// One row per group of a distribution: n, min, max, mean, median, mode, then the spread
/// columns asked for (variance, sd, IQR).
fn summary_table<'a>(
    group: GroupBy,
    count_label: &str,
    spread: &[&str],
    rows: impl Iterator<Item = (&'a String, &'a Summary)>,
) -> Table {
    let mut headers = vec![
        group.name(),
        count_label,
        "min",
        "max",
        "mean",
        "median",
        "mode",
    ];
    headers.extend_from_slice(spread);
    let mut right = vec![true; headers.len()];
    right[0] = false;
    let mut t = Table::new(&headers, &right);
    for (g, s) in rows {
        let mut cells = vec![
            g.clone(),
            s.n.to_string(),
            num(s.min, 2),
            num(s.max, 2),
            num(s.mean, 2),
            num(s.median, 2),
            num(s.mode, 2),
        ];
        for col in spread {
            cells.push(match *col {
                "variance" => num(s.variance, 2),
                "sd" => num(s.sd, 2),
                _ => num(s.iqr, 2),
            });
        }
        t.row(cells);
    }
    t
}

impl Render for PointDistribution {
    fn tables(&self, format: Format) -> Result<String> {
        let t = summary_table(
            self.group_by,
            "n",
            &["variance", "sd"],
            self.rows.iter().map(|r| (&r.group, &r.summary)),
        );
        let mut out = t.render(format);
        if format == Format::Table && self.rows.iter().any(|r| r.summary.n < 2) {
            out.push_str("n/a: variance and sd need at least two estimated stories\n");
        }
        Ok(out)
    }
}

/// A sprint's value as shown: "unknown" where the source could not tell it (not n/a, never 0).
pub fn sprint_value(s: &SprintVelocity, key: &str, shown: String) -> String {
    known(s.undefined.get(key), shown)
}

/// Carry-over items of a sprint as shown.
pub fn carry_over(s: &SprintVelocity) -> String {
    sprint_value(
        s,
        "committed",
        s.carry_over_items
            .map(|c| c.to_string())
            .unwrap_or_else(|| "n/a".into()),
    )
}

impl Render for VelocityReport {
    fn tables(&self, format: Format) -> Result<String> {
        let mut sprints = Table::new(
            &[
                "team",
                "sprint",
                "end",
                "committed",
                "added",
                "removed",
                "completed",
                "say/do",
                "carry-over",
                "difference",
                "rolling mean",
                "rolling median",
                "CV",
            ],
            &[
                false, false, false, true, true, true, true, true, true, true, true, true, true,
            ],
        );
        for s in &self.sprints {
            sprints.row(vec![
                s.team.clone(),
                s.title(),
                match (&s.end_date, s.closed) {
                    (Some(d), true) => d.clone(),
                    (Some(d), false) => format!("{d} (active)"),
                    (None, _) => "-".into(),
                },
                sprint_value(s, "committed", num(s.committed, 1)),
                sprint_value(s, "committed", num(s.added, 1)),
                sprint_value(s, "removed", num(s.removed, 1)),
                num(s.completed, 1),
                sprint_value(s, "say_do", pct(s.say_do)),
                carry_over(s),
                sprint_value(s, "difference", num(s.difference, 1)),
                num(s.rolling_mean, 1),
                num(s.rolling_median, 1),
                num(s.rolling_cv, 2),
            ]);
        }
        if format == Format::Csv {
            return Ok(sprints.to_csv());
        }
        let mut teams = Table::new(
            &[
                "team",
                "program",
                "closed sprints",
                "window",
                "rolling mean",
                "rolling median",
                "rolling sd",
                "rolling CV",
                "mean (all)",
                "sd (all)",
                "CV (all)",
                "say/do",
                "trend / sprint",
                "95% CI",
            ],
            &[
                false, false, true, true, true, true, true, true, true, true, true, true, true,
                false,
            ],
        );
        for t in &self.teams {
            teams.row(vec![
                t.team.clone(),
                t.program.clone().unwrap_or_else(|| "-".into()),
                t.closed_sprints.to_string(),
                t.window.to_string(),
                num(t.rolling_mean, 1),
                num(t.rolling_median, 1),
                num(t.sd, 1),
                num(t.cv, 2),
                num(t.all_mean, 1),
                num(t.all_sd, 1),
                num(t.all_cv, 2),
                pct(t.say_do),
                num(t.trend_slope, 2),
                match (t.trend_ci_low, t.trend_ci_high) {
                    (Some(a), Some(b)) => format!("{} to {}", num(Some(a), 2), num(Some(b), 2)),
                    _ => "n/a".into(),
                },
            ]);
        }
        let diff = summary_table(
            self.group_by,
            "sprints",
            &["sd", "IQR"],
            self.difference.iter().map(|d| (&d.group, &d.summary)),
        );
        let mut out = String::new();
        let one_window = self.teams.iter().all(|t| t.window == self.window);
        out.push_str(&heading(
            format,
            &if one_window {
                format!(
                    "Velocity per sprint (rolling over the last {} closed sprints)",
                    self.window
                )
            } else {
                "Velocity per sprint (rolling over each team's window, see the team table)"
                    .to_string()
            },
        ));
        out.push_str(&sprints.render(format));
        out.push_str(&heading(
            format,
            "Predictability per team (compare teams on say/do and CV, not on points)",
        ));
        out.push_str(&teams.render(format));
        out.push_str(&heading(format, "Difference completed - committed"));
        out.push_str(&diff.render(format));
        if format == Format::Table {
            out.push_str(
                "n/a: undefined for the data (see --format json for the reason of each)\n",
            );
        }
        Ok(out)
    }
}

/// The spread report, with or without its table of every round.
#[derive(Serialize)]
#[serde(transparent)]
pub struct SpreadTables<'a> {
    pub report: &'a SpreadReport,
    #[serde(skip)]
    pub rounds: bool,
}

impl Render for SpreadTables<'_> {
    /// Compact JSON writes the long lists on every core (the same bytes as serde_json).
    fn write_json(&self, json: Json, w: &mut dyn std::io::Write) -> serde_json::Result<()> {
        if json == Json::Pretty {
            return serde_json::to_writer_pretty(w, self);
        }
        let r = self.report;
        let io = serde_json::Error::io;
        write!(w, "{{\"pseudonymised\":{},\"rounds\":", r.pseudonymised).map_err(io)?;
        json_array(&r.rounds, w)?;
        w.write_all(b",\"stories\":").map_err(io)?;
        json_array(&r.stories, w)?;
        w.write_all(b",\"voters\":").map_err(io)?;
        json_array(&r.voters, w)?;
        w.write_all(b"}").map_err(io)
    }

    fn tables(&self, format: Format) -> Result<String> {
        let r = self.report;
        let mut rounds = Table::new(
            &[
                "team",
                "story",
                "session",
                "round",
                "votes",
                "?",
                "spread",
                "ratio",
                "sd log2",
                "mode share",
                "consensus",
                "suggested",
                "mean",
                "low",
                "high",
            ],
            &[
                false, false, false, true, true, true, true, true, true, true, false, true, true,
                false, false,
            ],
        );
        for x in &r.rounds {
            rounds.row(vec![
                x.team.to_string(),
                x.story.to_string(),
                x.session.to_string(),
                x.round.to_string(),
                x.votes.to_string(),
                x.question_votes.to_string(),
                steps(x.spread_steps),
                num(x.ratio_spread, 2),
                num(x.sd_log2, 2),
                pct(x.mode_share),
                if x.unanimous {
                    "unanimous".into()
                } else if x.near_consensus {
                    "near".into()
                } else {
                    "no".into()
                },
                x.suggested_card
                    .as_deref()
                    .map_or_else(|| "n/a".into(), str::to_string),
                num(x.mean, 1),
                x.low_voters.join(", "),
                x.high_voters.join(", "),
            ]);
        }
        if format == Format::Csv {
            return Ok(rounds.to_csv());
        }
        let mut stories = Table::new(
            &[
                "team",
                "story",
                "session",
                "rounds",
                "consensus in",
                "first spread",
                "last spread",
                "?",
                "suggested",
                "final",
            ],
            &[
                false, false, false, true, true, true, true, true, true, true,
            ],
        );
        for s in &r.stories {
            stories.row(vec![
                s.team.to_string(),
                s.story.to_string(),
                s.session.to_string(),
                if s.last_round_only {
                    "last only".into()
                } else {
                    s.rounds.to_string()
                },
                match (s.rounds_to_consensus, s.last_round_only) {
                    (_, true) => "unknown".into(),
                    (Some(x), false) => format!("round {x}"),
                    (None, false) => "never".into(),
                },
                if s.last_round_only {
                    "unknown".into()
                } else {
                    steps(s.first_spread)
                },
                steps(s.last_spread),
                pct(Some(s.question_share)),
                s.suggested_card
                    .as_deref()
                    .map_or_else(|| "n/a".into(), str::to_string),
                num(s.final_estimate, 1),
            ]);
        }
        let mut voters = Table::new(
            &[
                "team",
                "voter",
                "round-1 votes",
                "mean |steps| from final",
                "mean steps from final",
            ],
            &[false, false, true, true, true],
        );
        for v in &r.voters {
            voters.row(vec![
                v.team.clone(),
                v.voter.clone(),
                v.votes.to_string(),
                num(v.mean_abs_steps, 2),
                num(v.mean_signed_steps, 2),
            ]);
        }
        let mut out = String::new();
        if self.rounds {
            out.push_str(&heading(format, "Spread per round (spread in deck steps)"));
            out.push_str(&rounds.render(format));
        }
        out.push_str(&heading(format, "Stories"));
        out.push_str(&stories.render(format));
        out.push_str(&heading(
            format,
            if r.pseudonymised {
                "Voter calibration (pseudonymised; --show-names shows names)"
            } else {
                "Voter calibration"
            },
        ));
        out.push_str(&voters.render(format));
        Ok(out)
    }
}

impl Render for ForecastReport {
    fn tables(&self, format: Format) -> Result<String> {
        let mut t = Table::new(
            &["team", "question", "50%", "70%", "85%", "95%"],
            &[false, false, true, true, true, true],
        );
        for f in &self.teams {
            let cells = |levels: &[Level], dates: bool| -> Vec<String> {
                (0..4)
                    .map(|i| match levels.get(i) {
                        None => "n/a".into(),
                        Some(l) => match (l.value, l.date, dates) {
                            (None, _, _) => "never".into(),
                            (Some(v), Some(d), true) => format!("{} ({d})", num(Some(v), 0)),
                            (Some(v), _, _) => num(Some(v), 1),
                        },
                    })
                    .collect()
            };
            let mut row = vec![f.team.clone(), format!("points in {} sprints", f.sprints)];
            row.extend(cells(&f.how_much, false));
            t.row(row);
            if let Some(x) = f.target_points {
                let mut row = vec![
                    f.team.clone(),
                    format!(
                        "sprints to {} points ({})",
                        num(Some(x), 1),
                        f.target_source.clone().unwrap_or_default()
                    ),
                ];
                row.extend(cells(&f.when, true));
                t.row(row);
            }
        }
        let mut out = t.render(format);
        if format == Format::Table {
            out.push_str(&format!(
                "the exact total of the sprints ahead, each drawn from the completed points of the \
                 team's last {} closed sprints (empty ones left out); levels below the median \
                 widened for a short history; 85% = at least this much in 85 of 100 futures\n",
                self.history_limit
            ));
            for f in &self.teams {
                if let Some([lo, hi]) = f.range {
                    out.push_str(&format!(
                        "{}: points in {} sprints: {} to {}\n",
                        f.team,
                        f.sprints,
                        num(Some(lo), 1),
                        num(Some(hi), 1)
                    ));
                }
                for n in &f.notes {
                    out.push_str(&format!("{}: {n}\n", f.team));
                }
                for (k, why) in &f.undefined {
                    out.push_str(&format!(
                        "{}: {k} {}: {}\n",
                        f.team,
                        why.shown(),
                        why.reason()
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// The misses a table shows (all of them in JSON).
const MISSES_SHOWN: usize = 20;

impl Render for Backtest {
    fn tables(&self, format: Format) -> Result<String> {
        let mut t = Table::new(
            &[
                "sprints ahead",
                "level",
                "forecasts",
                "met",
                "share met",
                "lines above 0",
                "met above 0",
                "share met above 0",
            ],
            &[true, true, true, true, true, true, true, true],
        );
        for c in &self.levels {
            t.row(vec![
                c.horizon.to_string(),
                pct(Some(c.probability)),
                c.forecasts.to_string(),
                c.met.to_string(),
                pct1(c.share),
                c.above_zero.to_string(),
                c.met_above_zero.to_string(),
                pct1(c.share_above_zero),
            ]);
        }
        let mut out = t.render(format);
        if format == Format::Csv {
            return Ok(out);
        }
        if format == Format::Table {
            out.push_str(&format!(
                "{} teams; each closed sprint with at least {} closed sprints before it, forecast \
                 from the last {} of them (as `forecast` does) against the points then completed; \
                 {} empty sprints left out\n",
                self.teams, self.min_history, self.history_limit, self.empty_left_out
            ));
        }
        if self.cycle_times.levels.first().is_some_and(|c| c.items > 0) {
            let mut c = Table::new(
                &["cycle-time level", "items", "within", "share within"],
                &[true, true, true, true],
            );
            for l in &self.cycle_times.levels {
                c.row(vec![
                    pct(Some(l.probability)),
                    l.items.to_string(),
                    l.within.to_string(),
                    pct1(l.share),
                ]);
            }
            out.push_str(&format!(
                "\nCycle times: each done item that started after at least {} items were done, \
                 against the percentiles of those items' cycle times\n",
                self.cycle_times.min_items
            ));
            out.push_str(&c.render(format));
        }
        if !self.misses.is_empty() {
            let mut m = Table::new(
                &[
                    "team",
                    "sprint",
                    "sprints ahead",
                    "level",
                    "line",
                    "completed",
                ],
                &[false, false, true, true, true, true],
            );
            for x in self.misses.iter().take(MISSES_SHOWN) {
                m.row(vec![
                    x.team.clone(),
                    x.sprint_name.clone().unwrap_or_else(|| x.sprint_id.clone()),
                    x.horizon.to_string(),
                    pct(Some(x.probability)),
                    num(Some(x.line), 2),
                    num(Some(x.completed), 1),
                ]);
            }
            out.push_str(&format!(
                "\nMisses, newest first ({} of {}; all of them with --format json)\n",
                self.misses.len().min(MISSES_SHOWN),
                self.misses.len()
            ));
            out.push_str(&m.render(format));
        }
        Ok(out)
    }
}

impl Render for AccuracyReport {
    fn tables(&self, format: Format) -> Result<String> {
        let mut b = Table::new(
            &[
                "team",
                "points",
                "items",
                "median days",
                "85th pct days",
                "overlap with next",
            ],
            &[false, true, true, true, true, true],
        );
        for x in &self.buckets {
            b.row(vec![
                x.team.clone(),
                num(Some(x.points), 1),
                x.items.to_string(),
                num(x.median_days, 1),
                num(x.p85_days, 1),
                pct(x.overlap_with_next),
            ]);
        }
        if format == Format::Csv {
            return Ok(b.to_csv());
        }
        let mut t = Table::new(
            &[
                "team",
                "items",
                "Spearman",
                "Kendall tau-b",
                "Pearson",
                "medians rise",
                "items with hours",
                "h/point",
                "MAE h",
                "MdMRE",
                "PRED(25)",
                "BRE bias",
            ],
            &[
                false, true, true, true, true, false, true, true, true, true, true, true,
            ],
        );
        for x in &self.teams {
            t.row(vec![
                x.team.clone(),
                x.items.to_string(),
                num(x.spearman, 2),
                num(x.kendall_tau_b, 2),
                num(x.pearson, 2),
                match x.medians_rise {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => "n/a".into(),
                },
                x.hours_items.to_string(),
                num(x.hours_per_point, 1),
                num(x.mae_hours, 1),
                num(x.mdmre, 2),
                pct(x.pred25),
                num(x.bre_bias, 2),
            ]);
        }
        let mut re = Table::new(
            &[
                "team",
                "stories",
                "mean final - first suggestion",
                "changed",
            ],
            &[false, true, true, true],
        );
        for x in &self.reestimation {
            re.row(vec![
                x.team.clone(),
                x.stories.to_string(),
                num(x.mean_change, 2),
                pct(x.changed_share),
            ]);
        }
        let mut out = String::new();
        out.push_str(&heading(
            format,
            "Cycle time per point value (points are not hours: compare buckets within a team)",
        ));
        out.push_str(&b.render(format));
        out.push_str(&heading(format, "Points against cycle time and hours"));
        out.push_str(&t.render(format));
        out.push_str(&heading(format, "Re-estimation"));
        out.push_str(&re.render(format));
        let mut oc = Table::new(
            &[
                "team",
                "items with an outcome",
                "left their bucket",
                "stories discussed",
                "discussion: nearer",
                "farther",
                "same",
                "nearer share",
                "sign test p",
            ],
            &[false, true, true, true, true, true, true, true, true],
        );
        for x in &self.outcomes {
            let d = &x.discussion;
            oc.row(vec![
                x.team.clone(),
                x.items.to_string(),
                format!("{} ({})", x.left_bucket.len(), pct(x.left_bucket_share)),
                d.stories.to_string(),
                d.nearer.to_string(),
                d.farther.to_string(),
                d.ties.to_string(),
                pct(d.nearer_share),
                num(d.p_value, 3),
            ]);
        }
        out.push_str(&heading(
            format,
            "Estimates against outcomes (outcome size: the card whose cycle times an item's resembles)",
        ));
        if format != Format::Csv && self.outcomes.iter().all(|x| x.items == 0) {
            // As the team page says it: nothing to set against the cards yet.
            out.push_str("No done item with a cycle time (a start and a completion time) yet.\n");
            return Ok(out);
        }
        out.push_str(&oc.render(format));
        let mut vt = Table::new(
            &[
                "team",
                "voter",
                "votes (room)",
                "mean |steps| to the room's card",
                "votes (outcome)",
                "mean |steps| to the outcome",
                "bias to the outcome",
            ],
            &[false, false, true, true, true, true, true],
        );
        let mut talk = Table::new(
            &[
                "team",
                "first rounds apart",
                "lowest card nearer",
                "highest card nearer",
                "as near",
            ],
            &[false, true, true, true, true],
        );
        for x in &self.outcomes {
            for v in &x.voters {
                vt.row(vec![
                    x.team.clone(),
                    v.voter.clone(),
                    v.room_votes.to_string(),
                    num(v.room_mean_abs_steps, 2),
                    v.outcome_votes.to_string(),
                    num(v.outcome_mean_abs_steps, 2),
                    num(v.outcome_bias_steps, 2),
                ]);
            }
            let p = &x.talk_pair;
            talk.row(vec![
                x.team.clone(),
                p.rounds.to_string(),
                p.low_nearer.to_string(),
                p.high_nearer.to_string(),
                p.same.to_string(),
            ]);
        }
        out.push_str(&heading(
            format,
            if self.names_shown {
                "Voters' first-round cards against the room and against outcomes"
            } else {
                "Voters' first-round cards against the room and against outcomes (pseudonymised; --show-names shows names)"
            },
        ));
        out.push_str(&vt.render(format));
        out.push_str(&heading(
            format,
            "The \"let's talk\" pair: which end of a split first round was nearer the outcome",
        ));
        out.push_str(&talk.render(format));
        Ok(out)
    }
}

impl Render for SplitReport {
    fn tables(&self, format: Format) -> Result<String> {
        let mut t = Table::new(
            &[
                "rank",
                "list",
                "team",
                "story",
                "title",
                "points",
                "sized like",
                "score",
                "signals",
                "why",
            ],
            &[
                true, false, false, false, false, true, false, true, true, false,
            ],
        );
        let rows = self
            .candidates
            .iter()
            .map(|c| ("split", c))
            .chain(self.watch.iter().map(|c| ("watch", c)));
        for (k, (list, c)) in rows.enumerate() {
            t.row(vec![
                (k + 1).to_string(),
                list.to_string(),
                c.team.clone(),
                c.story.clone(),
                c.title.clone().unwrap_or_default(),
                num(c.estimate, 1),
                c.sized_like.clone().unwrap_or_default(),
                c.score.to_string(),
                c.signals.len().to_string(),
                c.signals
                    .iter()
                    .map(|s| format!("[{}] {}", s.signal.number(), s.reason))
                    .collect::<Vec<_>>()
                    .join("; "),
            ]);
        }
        let mut out = t.render(format);
        if format == Format::Table {
            let cut = if self.cuts_differ {
                "each team's score cut or more".to_string()
            } else {
                format!("score {} or more", self.score_cut)
            };
            out.push_str(&format!(
                "{} of {} stories in the {} to split ({cut}); {} more to watch\n",
                self.candidates.len(),
                self.stories_checked,
                self.scope,
                self.watch.len()
            ));
            if self.beyond_share > 0 {
                out.push_str(&format!(
                    "({} of them reach their team's score cut, but the team's list is full: max_share)\n",
                    self.beyond_share
                ));
            }
        }
        Ok(out)
    }
}

impl Render for crate::metrics::reference::ReferenceReport {
    fn tables(&self, format: Format) -> Result<String> {
        let mut t = Table::new(
            &[
                "team",
                "card",
                "items",
                "median days",
                "story",
                "title",
                "cycle days",
                "rounds",
                "sprint",
            ],
            &[false, false, true, true, false, false, true, true, false],
        );
        for team in &self.teams {
            for c in &team.cards {
                for s in &c.stories {
                    t.row(vec![
                        team.team.clone(),
                        c.card.clone(),
                        c.items.to_string(),
                        num(Some(c.median_days), 1),
                        s.story.clone(),
                        s.title.clone().unwrap_or_default(),
                        num(Some(s.cycle_days), 1),
                        s.rounds
                            .map(|r| r.to_string())
                            .unwrap_or_else(|| "unknown".into()),
                        s.sprint_id.clone(),
                    ]);
                }
            }
        }
        if format == Format::Csv {
            return Ok(t.render(format));
        }
        if self.teams.iter().all(|t| t.cards.is_empty()) {
            return Ok(format!("{}\n", crate::metrics::reference::NO_CARDS));
        }
        let mut out = t.render(format);
        if self.teams.iter().any(|t| t.cards.is_empty()) {
            out.push('\n');
            for team in self.teams.iter().filter(|t| t.cards.is_empty()) {
                out.push_str(&format!(
                    "{}: {}\n",
                    team.team,
                    crate::metrics::reference::NO_CARDS
                ));
            }
        }
        Ok(out)
    }
}
