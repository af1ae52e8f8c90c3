//! Jira exports (Cloud and Server/Data Center CSV): issues become stories; every sprint an issue
//! was in becomes a sprint item (repeated `Sprint` columns in column order: every earlier sprint
//! did not finish it, the last has today's status); `Resolved` completes it; the project key
//! names the team unless `--team` does. Jira exports no start of work and no commitment.

use crate::domain::{ItemStatus, Kind};
use crate::error::Problem;
use crate::ingest::export::canon::{
    Canon, Import, Reader, Tool, cell, item_cells, missing, points_columns, status, story_cells,
};

pub const JIRA: Tool = Tool {
    name: "jira",
    columns: &[
        "Issue key",
        "Summary",
        "Issue Type",
        "Status",
        "Created",
        "Resolved",
        "Sprint",
        "Custom field (Sprint)",
        "Project key",
    ],
    points: &[
        "Custom field (Story Points)",
        "Custom field (Story point estimate)",
    ],
    // Cloud: 25/Feb/26 10:17 PM; Server/DC and issues.apache.org: 22/Oct/21 16:55.
    date_formats: &[
        "%d/%b/%y %I:%M %p",
        "%d/%b/%y %H:%M",
        "%d/%b/%Y %I:%M %p",
        "%d/%b/%Y %H:%M",
    ],
    header: &["Issue key", "Summary"],
    read,
};

fn read(imp: &Import, r: &mut Reader, canon: &mut Canon) -> Option<()> {
    let (file, records, ctx, cols) = (imp.file, imp.records, imp.ctx, &imp.cols);
    let key = cols.find(&["Issue key"]);
    let status_col = cols.find(&["Status"]);
    if key.is_none() {
        missing(file, JIRA.name, "\"Issue key\"", records, r.problems);
    }
    if status_col.is_none() {
        missing(file, JIRA.name, "\"Status\"", records, r.problems);
    }
    let project = cols.find(&["Project key"]);
    if ctx.team.is_none() && project.is_none() {
        r.problems.push(Problem::at(
            file,
            cols.line,
            None,
            "the export has no \"Project key\" column to name the team; name it with --team",
        ));
    }
    let points = points_columns(file, ctx.options, cols, JIRA.points, r.problems)?;
    let (Some(key), Some(status_col)) = (key, status_col) else {
        return None;
    };
    let sprints = cols.all(&["Sprint", "Custom field (Sprint)"]);
    let (title, typ, created, resolved) = (
        cols.find(&["Summary"]),
        cols.find(&["Issue Type"]),
        cols.find(&["Created"]),
        cols.find(&["Resolved"]),
    );
    canon.source(Kind::Stories, "title", title.is_some());
    canon.source(Kind::Stories, "type", typ.is_some());
    canon.source(Kind::Stories, "created_at", created.is_some());
    canon.source(Kind::Stories, "estimate", !points.is_empty());
    canon.source(Kind::SprintItems, "points_end", !points.is_empty());
    canon.source(Kind::SprintItems, "completed_at", resolved.is_some());
    // Jira exports no start of work.
    canon.source(Kind::SprintItems, "started_at", false);
    for (line, row) in &records.rows {
        let line = *line;
        let Some(story) = cell(row, Some(key)) else {
            r.bad(line, key, "the issue key is empty".into());
            continue;
        };
        let team = match ctx.team.map(str::to_string).or_else(|| cell(row, project)) {
            Some(t) => t,
            None => {
                r.problems.push(Problem::at(
                    file,
                    line as usize,
                    None,
                    "no project key to name the team; name it with --team",
                ));
                continue;
            }
        };
        let estimate = r.first_points(line, &points, row);
        let created_at = r.time(line, created, row);
        let resolved_at = r.time(line, resolved, row);
        canon.push(
            Kind::Stories,
            line,
            story_cells(
                &team,
                &story,
                cell(row, title),
                cell(row, typ),
                created_at,
                estimate,
            ),
        );
        // Sprints in column order, each named once: every sprint but the last did not
        // finish the issue (carry-over); the last has the status today.
        let mut seen: Vec<String> = Vec::new();
        for c in &sprints {
            if let Some(s) = cell(row, Some(*c))
                && !seen.contains(&s)
            {
                seen.push(s);
            }
        }
        let now = status(ctx.settings, &team, &row[status_col]);
        for (k, s) in seen.iter().enumerate() {
            let last = k + 1 == seen.len();
            let st = if last { now } else { ItemStatus::NotDone };
            canon.push(
                Kind::SprintItems,
                line,
                item_cells(
                    &team,
                    s,
                    &story,
                    estimate,
                    st,
                    None,
                    resolved_at.filter(|_| last),
                ),
            );
        }
    }
    Some(())
}
