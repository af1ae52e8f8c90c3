//! The Sprint Review as text to paste into a wiki or chat: Markdown (also the table format),
//! the stories as CSV, or the page model as JSON.

use crate::error::Result;
use crate::present::fmt::{md_text, num, pct};
use crate::present::pages::review::SprintReview;
use crate::present::reports::{carry_over, sprint_value};
use crate::present::table::{Format, Render, Table};

impl Render for SprintReview {
    fn tables(&self, format: Format) -> Result<String> {
        let r = self;
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
                s.status.name().to_string(),
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
        if format == Format::Csv {
            return Ok(stories.to_csv());
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
            sprint_value(s, "committed", num(s.committed, 1)),
            sprint_value(s, "committed", num(s.added, 1)),
            sprint_value(s, "removed", num(s.removed, 1)),
            num(s.completed, 1),
            sprint_value(s, "say_do", pct(s.say_do)),
            carry_over(s),
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
}

impl Render for crate::present::pages::retro::SprintRetro {
    fn tables(&self, format: Format) -> Result<String> {
        let r = self;
        let mut left = Table::new(
            &[
                "story",
                "title",
                "estimate",
                "behaved like",
                "cycle days",
                "rounds (cards lowest first)",
                "outliers",
                "re-estimation",
                "carried over",
            ],
            &[false, false, true, true, true, false, false, true, false],
        );
        for s in &r.left_bucket {
            left.row(vec![
                s.story.clone(),
                s.title.clone().unwrap_or_default(),
                s.estimate_card.clone(),
                s.outcome_card.clone(),
                num(Some(s.cycle_days), 1),
                s.rounds
                    .iter()
                    .map(|x| x.label())
                    .collect::<Vec<_>>()
                    .join("; "),
                s.outliers
                    .as_ref()
                    .map(|(lo, hi)| format!("{lo} and {hi}"))
                    .unwrap_or_else(|| "-".into()),
                num(s.reestimation, 1),
                if s.carried_over { "yes" } else { "no" }.into(),
            ]);
        }
        if format == Format::Csv {
            return Ok(left.to_csv());
        }
        let mut out = format!(
            "## Estimation retrospective: {} — {}\n\n",
            md_text(&r.head.name),
            md_text(&r.title)
        );
        if r.timed_items == 0 {
            out.push_str(crate::present::pages::retro::NO_TIMED_ITEMS);
            out.push('\n');
        } else {
            out.push_str(&format!(
                "{} of {} timed done items left their bucket (they behaved like a card 2 or more steps from their estimate).\n\n",
                r.left_bucket.len(),
                r.timed_items
            ));
            out.push_str(&left.render(format));
        }
        let d = &r.discussion;
        if d.stories == 0 {
            out.push_str("\nDiscussion: no re-voted story of this sprint has an outcome yet.\n");
        } else {
            out.push_str(&format!(
                "\nDiscussion: {} re-voted {} with an outcome: {} ended nearer the outcome than the first round's suggestion, {} farther, {} as near ({}; sign test p = {}).\n",
                d.stories,
                if d.stories == 1 { "story" } else { "stories" },
                d.nearer,
                d.farther,
                d.ties,
                pct(d.nearer_share),
                num(d.p_value, 2)
            ));
        }
        let mut refs = Table::new(
            &["card", "median days", "reference stories"],
            &[false, true, false],
        );
        for c in &r.reference {
            refs.row(vec![
                c.card.clone(),
                num(Some(c.median_days), 1),
                c.stories
                    .iter()
                    .map(|s| match &s.title {
                        Some(t) => {
                            format!("{} {} ({} days)", s.story, t, num(Some(s.cycle_days), 1))
                        }
                        None => format!("{} ({} days)", s.story, num(Some(s.cycle_days), 1)),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ]);
        }
        out.push_str("\n### Reference stories for the next planning\n\n");
        if r.reference.is_empty() {
            out.push_str(crate::metrics::reference::NO_CARDS);
            out.push('\n');
        } else {
            out.push_str(&refs.render(format));
        }
        Ok(out)
    }
}
