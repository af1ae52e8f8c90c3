//! Rendering: report models to aligned tables, JSON, CSV and Markdown for the terminal.

use crate::error::{Error, Result};
use crate::ingest::IngestOutcome;
use crate::report::Info;
use serde::Serialize;

/// The output formats of the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
    Markdown,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" | "text" => Some(Format::Table),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }
}

/// A table of text cells; numbers are right-aligned in the terminal.
#[derive(Debug, Clone)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub right: Vec<bool>,
}

impl Table {
    pub fn new(headers: &[&str], right: &[bool]) -> Table {
        Table {
            headers: headers.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
            right: right.to_vec(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Aligned columns for a terminal.
    pub fn to_text(&self) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate().take(n) {
                if i > 0 {
                    s.push_str("  ");
                }
                let pad = widths[i] - c.chars().count();
                if self.right.get(i).copied().unwrap_or(false) {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    if i + 1 < n {
                        s.push_str(&" ".repeat(pad));
                    }
                }
            }
            s.trim_end().to_string()
        };
        let mut out = line(&self.headers);
        out.push('\n');
        out.push_str(&line(
            &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
        ));
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out
    }

    pub fn to_markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = format!(
            "| {} |\n",
            self.headers
                .iter()
                .map(|h| esc(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        out.push_str(&format!(
            "|{}|\n",
            self.right
                .iter()
                .map(|r| if *r { " ---: " } else { " --- " })
                .collect::<Vec<_>>()
                .join("|")
        ));
        for r in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
            ));
        }
        out
    }

    pub fn to_csv(&self) -> String {
        let line = |cells: &[String]| {
            cells
                .iter()
                .map(|c| crate::generate::csv_field(c).into_owned())
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut out = line(&self.headers);
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => self.to_text(),
            Format::Markdown => self.to_markdown(),
            Format::Csv => self.to_csv(),
            Format::Json => unreachable!("JSON renders the model, not the table"),
        }
    }
}

pub fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Error::Internal(format!("cannot write JSON: {e}")))
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "-".into())
}

/// Thousands separators for counts in tables: 2,048,311.
pub fn count(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

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

pub fn info(info: &Info, format: Format) -> Result<String> {
    match format {
        Format::Json => to_json(info),
        Format::Csv => Ok(info_teams_table(info).to_csv()),
        Format::Table | Format::Markdown => {
            let md = format == Format::Markdown;
            let tt = &info.totals;
            let mut s = String::new();
            let heading = |s: &mut String, h: &str| {
                if md {
                    s.push_str(&format!("\n## {h}\n\n"));
                } else {
                    s.push_str(&format!("\n{h}\n"));
                }
            };
            if md {
                s.push_str(&format!("# sprintlens: {}\n\n", info.database));
            } else {
                s.push_str(&format!(
                    "database  {} (schema version {})\n",
                    info.database, info.schema_version
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
            match (info.first_day, info.last_day) {
                (Some(a), Some(b)) => s.push_str(&format!("dates     {a} to {b}\n")),
                _ => s.push_str("dates     unknown (no sprints or timed votes yet)\n"),
            }
            if !info.programs.is_empty() {
                heading(&mut s, "Programs");
                for p in &info.programs {
                    if md {
                        s.push_str(&format!("- **{}**: {}\n", p.program, p.teams.join(", ")));
                    } else {
                        s.push_str(&format!("  {}: {}\n", p.program, p.teams.join(", ")));
                    }
                }
            }
            heading(&mut s, "Teams");
            s.push_str(&info_teams_table(info).render(format));
            heading(&mut s, "Last ingests");
            if info.ingests.is_empty() {
                s.push_str("none yet\n");
            } else {
                s.push_str(&info_ingests_table(info).render(format));
            }
            Ok(s)
        }
    }
}

pub fn ingest_outcome(out: &IngestOutcome, format: Format) -> Result<String> {
    if format == Format::Json {
        return to_json(out);
    }
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
    for f in &out.files {
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
        for f in &out.files {
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
        s.push_str(&format!("into {}\n", out.database));
    }
    Ok(s)
}

/// A number for a table: up to `decimals` places, trailing zeros dropped; `n/a` when undefined.
pub fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        None => "n/a".to_string(),
        Some(x) => {
            let s = format!("{x:.decimals$}");
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        }
    }
}

/// One row per group of a distribution: n, min, max, mean, median, mode, then the spread
/// columns asked for (variance, sd, IQR).
fn summary_table<'a>(
    group: crate::metrics::points::GroupBy,
    count_label: &str,
    spread: &[&str],
    rows: impl Iterator<Item = (&'a String, &'a crate::metrics::stats::Summary)>,
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

pub fn points(d: &crate::metrics::points::PointDistribution, format: Format) -> Result<String> {
    if format == Format::Json {
        return to_json(d);
    }
    let t = summary_table(
        d.group_by,
        "n",
        &["variance", "sd"],
        d.rows.iter().map(|r| (&r.group, &r.summary)),
    );
    let mut out = t.render(format);
    if format == Format::Table && d.rows.iter().any(|r| r.summary.n < 2) {
        out.push_str("n/a: variance and sd need at least two estimated stories\n");
    }
    Ok(out)
}

/// A share as a whole percentage; `n/a` when undefined.
pub fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.0}%", x * 100.0))
        .unwrap_or_else(|| "n/a".into())
}

/// A sprint value as shown: "unknown" where the source could not tell it (not n/a, never 0).
pub fn known(s: &crate::metrics::velocity::SprintVelocity, key: &str, shown: String) -> String {
    match s.undefined.get(key) {
        Some(why) if why.contains("unknown") || why.contains("does not say") => "unknown".into(),
        _ => shown,
    }
}

pub fn velocity(r: &crate::metrics::velocity::VelocityReport, format: Format) -> Result<String> {
    if format == Format::Json {
        return to_json(r);
    }
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
    for s in &r.sprints {
        let unknown = |key: &str, shown: String| known(s, key, shown);
        sprints.row(vec![
            s.team.clone(),
            s.title(),
            match (&s.end_date, s.closed) {
                (Some(d), true) => d.clone(),
                (Some(d), false) => format!("{d} (active)"),
                (None, _) => "-".into(),
            },
            unknown("committed", num(s.committed, 1)),
            unknown("committed", num(s.added, 1)),
            unknown("removed", num(s.removed, 1)),
            num(s.completed, 1),
            unknown("say_do", pct(s.say_do)),
            unknown(
                "committed",
                s.carry_over_items
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "n/a".into()),
            ),
            unknown("difference", num(s.difference, 1)),
            num(s.rolling_mean, 1),
            num(s.rolling_median, 1),
            num(s.rolling_cv, 2),
        ]);
    }
    let mut teams = Table::new(
        &[
            "team",
            "program",
            "closed sprints",
            "mean",
            "median",
            "sd",
            "CV",
            "say/do",
            "trend / sprint",
            "95% CI",
        ],
        &[
            false, false, true, true, true, true, true, true, true, false,
        ],
    );
    for t in &r.teams {
        teams.row(vec![
            t.team.clone(),
            t.program.clone().unwrap_or_else(|| "-".into()),
            t.closed_sprints.to_string(),
            num(t.rolling_mean, 1),
            num(t.rolling_median, 1),
            num(t.sd, 1),
            num(t.cv, 2),
            pct(t.say_do),
            num(t.trend_slope, 2),
            match (t.trend_ci_low, t.trend_ci_high) {
                (Some(a), Some(b)) => format!("{} to {}", num(Some(a), 2), num(Some(b), 2)),
                _ => "n/a".into(),
            },
        ]);
    }
    let diff = summary_table(
        r.group_by,
        "sprints",
        &["sd", "IQR"],
        r.difference.iter().map(|d| (&d.group, &d.summary)),
    );
    if format == Format::Csv {
        return Ok(sprints.to_csv());
    }
    let md = format == Format::Markdown;
    let head = |h: &str| {
        if md {
            format!("\n## {h}\n\n")
        } else {
            format!("\n{h}\n")
        }
    };
    let mut out = String::new();
    out.push_str(&head(&format!(
        "Velocity per sprint (rolling over the last {} closed sprints)",
        r.window
    )));
    out.push_str(&sprints.render(format));
    out.push_str(&head(
        "Predictability per team (compare teams on say/do and CV, not on points)",
    ));
    out.push_str(&teams.render(format));
    out.push_str(&head("Difference completed - committed"));
    out.push_str(&diff.render(format));
    if format == Format::Table {
        out.push_str("n/a: undefined for the data (see --format json for the reason of each)\n");
    }
    Ok(out)
}

fn steps(v: Option<i64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "n/a".into())
}

pub fn spread(
    r: &crate::metrics::spread::SpreadReport,
    format: Format,
    show_rounds: bool,
) -> Result<String> {
    if format == Format::Json {
        return to_json(r);
    }
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
            x.team.clone(),
            x.story.clone(),
            x.session.clone(),
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
            x.suggested_card.clone().unwrap_or_else(|| "n/a".into()),
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
            s.team.clone(),
            s.story.clone(),
            s.session.clone(),
            s.rounds.to_string(),
            s.rounds_to_consensus
                .map(|x| format!("round {x}"))
                .unwrap_or_else(|| "never".into()),
            steps(s.first_spread),
            steps(s.last_spread),
            pct(Some(s.question_share)),
            s.suggested_card.clone().unwrap_or_else(|| "n/a".into()),
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
    let md = format == Format::Markdown;
    let head = |h: &str| {
        if md {
            format!("\n## {h}\n\n")
        } else {
            format!("\n{h}\n")
        }
    };
    let mut out = String::new();
    if show_rounds {
        out.push_str(&head("Spread per round (spread in deck steps)"));
        out.push_str(&rounds.render(format));
    }
    out.push_str(&head("Stories"));
    out.push_str(&stories.render(format));
    out.push_str(&head(if r.pseudonymised {
        "Voter calibration (pseudonymised; --show-names shows names)"
    } else {
        "Voter calibration"
    }));
    out.push_str(&voters.render(format));
    Ok(out)
}

pub fn forecast(r: &crate::forecast::ForecastReport, format: Format) -> Result<String> {
    if format == Format::Json {
        return to_json(r);
    }
    let mut t = Table::new(
        &["team", "question", "50%", "70%", "85%", "95%"],
        &[false, false, true, true, true, true],
    );
    for f in &r.teams {
        let cells = |levels: &[crate::forecast::Level], dates: bool| -> Vec<String> {
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
        if let Some(f) = r.teams.first() {
            out.push_str(&format!(
                "{} trials (seed {}), drawing the completed points of each team's last {} closed \
                 sprints; 85% = reached in 85 of 100 simulated futures\n",
                f.trials, f.seed, r.history_limit
            ));
        }
        for f in &r.teams {
            for (k, why) in &f.undefined {
                out.push_str(&format!("{}: {k} n/a: {why}\n", f.team));
            }
        }
    }
    Ok(out)
}

pub fn accuracy(r: &crate::metrics::accuracy::AccuracyReport, format: Format) -> Result<String> {
    if format == Format::Json {
        return to_json(r);
    }
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
    for x in &r.buckets {
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
    for x in &r.teams {
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
    for x in &r.reestimation {
        re.row(vec![
            x.team.clone(),
            x.stories.to_string(),
            num(x.mean_change, 2),
            pct(x.changed_share),
        ]);
    }
    let md = format == Format::Markdown;
    let head = |h: &str| {
        if md {
            format!("\n## {h}\n\n")
        } else {
            format!("\n{h}\n")
        }
    };
    let mut out = String::new();
    out.push_str(&head(
        "Cycle time per point value (points are not hours: compare buckets within a team)",
    ));
    out.push_str(&b.render(format));
    out.push_str(&head("Points against cycle time and hours"));
    out.push_str(&t.render(format));
    out.push_str(&head("Re-estimation"));
    out.push_str(&re.render(format));
    Ok(out)
}

pub fn splits(r: &crate::metrics::splits::SplitReport, format: Format) -> Result<String> {
    if format == Format::Json {
        return to_json(r);
    }
    let mut t = Table::new(
        &["rank", "team", "story", "title", "points", "signals", "why"],
        &[true, false, false, false, true, true, false],
    );
    for (k, c) in r.candidates.iter().enumerate() {
        t.row(vec![
            (k + 1).to_string(),
            c.team.clone(),
            c.story.clone(),
            c.title.clone().unwrap_or_default(),
            num(c.estimate, 1),
            c.signals.len().to_string(),
            c.signals
                .iter()
                .map(|s| format!("[{}] {}", s.signal, s.reason))
                .collect::<Vec<_>>()
                .join("; "),
        ]);
    }
    let mut out = t.render(format);
    if format == Format::Table {
        out.push_str(&format!(
            "{} of {} stories in the {} have a reason to be split\n",
            r.candidates.len(),
            r.stories_checked,
            r.scope
        ));
    }
    Ok(out)
}

/// User text in a Markdown paragraph: characters Markdown or HTML would act on are escaped.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A Sprint Review summary: Markdown (also the table format), JSON, or the stories as CSV.
pub fn sprint_review(r: &crate::pages::SprintReview, format: Format) -> Result<String> {
    let mut stories = Table::new(
        &[
            "story",
            "title",
            "status",
            "points",
            "rounds",
            "first spread",
            "cycle days",
        ],
        &[false, false, false, true, true, true, true],
    );
    for s in &r.stories {
        stories.row(vec![
            s.story.clone(),
            s.title.clone().unwrap_or_default(),
            s.status.clone(),
            num(s.points, 1),
            s.rounds
                .map(|x| x.to_string())
                .unwrap_or_else(|| "-".into()),
            s.first_spread
                .map(|x| x.to_string())
                .unwrap_or_else(|| "-".into()),
            num(s.cycle_days, 1),
        ]);
    }
    match format {
        Format::Json => return to_json(r),
        Format::Csv => return Ok(stories.to_csv()),
        Format::Table | Format::Markdown => {}
    }
    let s = &r.sprint;
    let mut out = format!(
        "## Sprint Review: {} — {}\n\n",
        md_text(&r.head.name),
        md_text(&r.title)
    );
    let dates = match (&s.start_date, &s.end_date) {
        (None, None) => "dates unknown".to_string(),
        (a, b) => format!(
            "{} to {}",
            a.as_deref().unwrap_or("?"),
            b.as_deref().unwrap_or("?")
        ),
    };
    out.push_str(&format!(
        "{dates}{}\n\n",
        if s.closed { "" } else { " (active)" }
    ));
    let mut kpis = Table::new(
        &[
            "committed",
            "added",
            "removed",
            "completed",
            "say/do",
            "carry-over items",
        ],
        &[true; 6],
    );
    kpis.row(vec![
        known(s, "committed", num(s.committed, 1)),
        known(s, "committed", num(s.added, 1)),
        known(s, "removed", num(s.removed, 1)),
        num(s.completed, 1),
        known(s, "say_do", pct(s.say_do)),
        known(
            s,
            "committed",
            s.carry_over_items
                .map(|x| x.to_string())
                .unwrap_or_else(|| "n/a".into()),
        ),
    ]);
    out.push_str(&kpis.to_markdown());
    if let Some(t) = &r.team_summary {
        out.push_str(&format!(
            "\nRolling mean velocity {} points (last {} closed sprints), CV {}, mean say/do {}.\n",
            num(t.rolling_mean, 1),
            t.window,
            pct(t.cv),
            pct(t.say_do)
        ));
    }
    let e = &r.estimation;
    out.push_str(&format!(
        "\n### Estimation\n\n{} stories with votes: mean first-round spread {} card steps, mean rounds {}, {} reached consensus; Spearman ρ of points vs cycle time {} ({} done items).\n\n",
        e.estimated,
        num(e.spread.mean_first_spread, 1),
        num(e.spread.mean_rounds, 1),
        pct(e.spread.consensus_share),
        num(e.spearman, 2),
        e.timed_items
    ));
    out.push_str(&stories.to_markdown());
    out.push_str("\n### What to split next\n\n");
    if r.split_next.is_empty() {
        out.push_str("No backlog story trips a split signal.\n");
    }
    for c in &r.split_next {
        let reasons: Vec<&str> = c.signals.iter().map(|g| g.reason.as_str()).collect();
        out.push_str(&format!(
            "- {}{} ({} points): {}\n",
            md_text(&c.story),
            c.title
                .as_deref()
                .map(|t| format!(" {}", md_text(t)))
                .unwrap_or_default(),
            num(c.estimate, 1),
            md_text(&reasons.join("; "))
        ));
    }
    let f = &r.forecast;
    out.push_str(&format!(
        "\n### Forecast: points in the next {} sprints\n\n",
        f.sprints
    ));
    if f.how_much.is_empty() {
        out.push_str("n/a: no closed sprint to draw from.\n");
    } else {
        let levels: Vec<String> = f
            .how_much
            .iter()
            .map(|l| format!("{} at least {}", pct(Some(l.probability)), num(l.value, 1)))
            .collect();
        out.push_str(&format!("{}.\n", levels.join(", ")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_escape() {
        let mut t = Table::new(&["name", "n"], &[false, true]);
        t.row(vec!["a|b".into(), "5".into()]);
        t.row(vec!["long name".into(), "1,234".into()]);
        assert_eq!(
            t.to_text(),
            "name           n\n---------  -----\na|b            5\nlong name  1,234\n"
        );
        assert_eq!(
            t.to_markdown(),
            "| name | n |\n| --- | ---: |\n| a\\|b | 5 |\n| long name | 1,234 |\n"
        );
        assert_eq!(t.to_csv(), "name,n\na|b,5\nlong name,\"1,234\"\n");
    }

    #[test]
    fn counts_get_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(2048311), "2,048,311");
        assert_eq!(count(-1000), "-1,000");
    }
}
