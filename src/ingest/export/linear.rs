//! Linear exports (CSV): cycles become sprints with dates (a cycle's end instant is the next
//! cycle's start, so the sprint ends the day before); `Estimate`; `Started`/`Completed` give the
//! cycle time; an item completed after its cycle's end was not done in that cycle; `Canceled`
//! is removed.

use crate::domain::{ItemStatus, Kind};
use crate::error::Problem;
use crate::ingest::export::canon::{
    Canon, Import, Reader, Tool, cell, item_cells, missing, points_columns, status, story_cells,
};
use std::collections::HashSet;

pub const LINEAR: Tool = Tool {
    name: "linear",
    columns: &[
        "ID",
        "Team",
        "Title",
        "Status",
        "Estimate",
        "Cycle Number",
        "Cycle Name",
        "Cycle Start",
        "Cycle End",
        "Created",
        "Started",
        "Completed",
        "Canceled",
    ],
    points: &["Estimate"],
    date_formats: &[],
    header: &["Cycle Number", "Estimate", "Team"],
    read,
};

fn read(imp: &Import, r: &mut Reader, canon: &mut Canon) -> Option<()> {
    let (file, records, ctx, cols) = (imp.file, imp.records, imp.ctx, &imp.cols);
    let key = cols.find(&["ID"]);
    let status_col = cols.find(&["Status"]);
    let team_col = cols.find(&["Team"]);
    for (c, n) in [(key, "\"ID\""), (status_col, "\"Status\"")] {
        if c.is_none() {
            missing(file, LINEAR.name, n, records, r.problems);
        }
    }
    if ctx.team.is_none() && team_col.is_none() {
        missing(file, LINEAR.name, "\"Team\"", records, r.problems);
    }
    let points = points_columns(file, ctx.options, cols, LINEAR.points, r.problems)?;
    let (Some(key), Some(status_col)) = (key, status_col) else {
        return None;
    };
    let (title, number, cname, cstart, cend, created, started, completed, canceled) = (
        cols.find(&["Title"]),
        cols.find(&["Cycle Number"]),
        cols.find(&["Cycle Name"]),
        cols.find(&["Cycle Start"]),
        cols.find(&["Cycle End"]),
        cols.find(&["Created"]),
        cols.find(&["Started"]),
        cols.find(&["Completed"]),
        cols.find(&["Canceled"]),
    );
    canon.source(Kind::Stories, "title", title.is_some());
    canon.source(Kind::Stories, "type", false);
    canon.source(Kind::Stories, "created_at", created.is_some());
    canon.source(Kind::Stories, "estimate", !points.is_empty());
    canon.source(Kind::SprintItems, "points_end", !points.is_empty());
    canon.source(Kind::SprintItems, "started_at", started.is_some());
    canon.source(Kind::SprintItems, "completed_at", completed.is_some());
    let mut cycles: HashSet<(String, String)> = HashSet::new();
    for (line, row) in &records.rows {
        let line = *line;
        let Some(story) = cell(row, Some(key)) else {
            r.bad(line, key, "the issue ID is empty".into());
            continue;
        };
        let Some(team) = ctx.team.map(str::to_string).or_else(|| cell(row, team_col)) else {
            r.problems.push(Problem::at(
                file,
                line as usize,
                None,
                "no team; name it with --team",
            ));
            continue;
        };
        let estimate = r.first_points(line, &points, row);
        let created_at = r.time(line, created, row);
        let started_at = r.time(line, started, row);
        let completed_at = r.time(line, completed, row);
        let canceled_at = r.time(line, canceled, row);
        let start = r.time(line, cstart, row);
        let end = r.time(line, cend, row);
        canon.push(
            Kind::Stories,
            line,
            story_cells(&team, &story, cell(row, title), None, created_at, estimate),
        );
        let Some(cycle) = cell(row, number) else {
            continue; // not in a cycle: backlog
        };
        if let (Some(s), Some(e)) = (start, end)
            && cycles.insert((team.clone(), cycle.clone()))
        {
            canon.push(
                Kind::Sprints,
                line,
                vec![
                    ("team", Some(team.clone())),
                    ("sprint_id", Some(cycle.clone())),
                    (
                        "name",
                        cell(row, cname).or_else(|| Some(format!("Cycle {cycle}"))),
                    ),
                    ("start_date", Some(s.date().to_string())),
                    // Linear's cycle end is the next cycle's start instant.
                    (
                        "end_date",
                        Some(
                            if e.time() == chrono::NaiveTime::MIN && e.date() > s.date() {
                                e.date().pred_opt().unwrap_or(e.date())
                            } else {
                                e.date()
                            }
                            .to_string(),
                        ),
                    ),
                ],
            );
        }
        // Done in this cycle only if completed by its end; completed later, the cycle
        // did not finish it. Canceled: removed.
        let mut st = status(ctx.settings, &team, &row[status_col]);
        if canceled_at.is_some() {
            st = ItemStatus::Removed;
        }
        if st == ItemStatus::Done
            && let (Some(c), Some(e)) = (completed_at, end)
            && c > e
        {
            st = ItemStatus::NotDone;
        }
        canon.push(
            Kind::SprintItems,
            line,
            item_cells(
                &team,
                &cycle,
                &story,
                estimate,
                st,
                started_at,
                completed_at,
            ),
        );
    }
    Some(())
}
