//! Azure DevOps Boards exports (CSV of a query): `Iteration Path` `Project\Team\Sprint 3`
//! names the team and sprint (a one-segment path is the backlog); `Story Points` or `Effort`;
//! `Activated Date` starts work and `Closed Date`/`Resolved Date` completes it.

use crate::domain::Kind;
use crate::ingest::export::canon::{
    Canon, Import, Reader, Tool, cell, item_cells, missing, points_columns, status, story_cells,
};

pub const AZURE: Tool = Tool {
    name: "azure",
    columns: &[
        "ID",
        "Title",
        "Work Item Type",
        "State",
        "Created Date",
        "Activated Date",
        "Resolved Date",
        "Closed Date",
        "Iteration Path",
    ],
    points: &[
        "Story Points",
        "Effort",
        "Microsoft.VSTS.Scheduling.StoryPoints",
        "Microsoft.VSTS.Scheduling.Effort",
    ],
    // The export follows the user's locale; US style is the default.
    date_formats: &[
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y",
    ],
    header: &["Iteration Path", "Work Item Type"],
    read,
};

fn read(imp: &Import, r: &mut Reader, canon: &mut Canon) -> Option<()> {
    let (file, records, ctx, cols) = (imp.file, imp.records, imp.ctx, &imp.cols);
    let key = cols.find(&["ID"]);
    let state = cols.find(&["State"]);
    let path = cols.find(&["Iteration Path"]);
    for (c, n) in [
        (key, "\"ID\""),
        (state, "\"State\""),
        (path, "\"Iteration Path\""),
    ] {
        if c.is_none() {
            missing(file, AZURE.name, n, records, r.problems);
        }
    }
    let points = points_columns(file, ctx.options, cols, AZURE.points, r.problems)?;
    let (Some(key), Some(state), Some(path)) = (key, state, path) else {
        return None;
    };
    let (title, typ, created, activated, done_at) = (
        cols.find(&["Title"]),
        cols.find(&["Work Item Type"]),
        cols.find(&["Created Date"]),
        cols.find(&["Activated Date"]),
        cols.find(&["Closed Date", "Resolved Date"]),
    );
    canon.source(Kind::Stories, "title", title.is_some());
    canon.source(Kind::Stories, "type", typ.is_some());
    canon.source(Kind::Stories, "created_at", created.is_some());
    canon.source(Kind::Stories, "estimate", !points.is_empty());
    canon.source(Kind::SprintItems, "points_end", !points.is_empty());
    canon.source(Kind::SprintItems, "started_at", activated.is_some());
    canon.source(Kind::SprintItems, "completed_at", done_at.is_some());
    for (line, row) in &records.rows {
        let line = *line;
        let Some(story) = cell(row, Some(key)) else {
            r.bad(line, key, "the work item ID is empty".into());
            continue;
        };
        // Project\Team\Sprint 3 -> team "Team", sprint "Sprint 3"; a bare project
        // (or area root) is the backlog, no sprint.
        let parts: Vec<&str> = row[path]
            .split('\\')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let team = match ctx.team {
            Some(t) => t.to_string(),
            None => match parts.len() {
                0 => {
                    r.bad(
                        line,
                        path,
                        "the iteration path is empty; name the team with --team".into(),
                    );
                    continue;
                }
                1 => parts[0].to_string(),
                n => parts[n - 2].to_string(),
            },
        };
        let sprint = (parts.len() >= 2).then(|| parts[parts.len() - 1].to_string());
        let estimate = r.first_points(line, &points, row);
        let created_at = r.time(line, created, row);
        let started = r.time(line, activated, row);
        let finished = r.time(line, done_at, row);
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
        if let Some(s) = sprint {
            let st = status(ctx.settings, &team, &row[state]);
            canon.push(
                Kind::SprintItems,
                line,
                item_cells(&team, &s, &story, estimate, st, started, finished),
            );
        }
    }
    Some(())
}
