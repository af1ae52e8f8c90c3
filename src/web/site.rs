//! Static reports: the pages of one team as self-contained HTML files (CSS and SVG inline, no
//! scripts, no requests) that open from disk: `index.html` (the team page), `splits.html`,
//! `reference.html`, and per sprint its Sprint Review `sprint-<id>.html` and estimation
//! retrospective `retro-sprint-<id>.html`.

use crate::error::{Error, Result};
use crate::present::pages::{data, retro, review, splits, team};
use crate::present::requests;
use crate::settings::Settings;
use crate::store::Store;
use crate::web::templates::{Links, render_page, templates};
use chrono::NaiveDate;
use minijinja::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The mark every page carries in its head (templates/base.html).
const GENERATOR: &str = "<meta name=\"generator\" content=\"sprintlens\">";

/// A file name for a sprint's page: letters, digits, `-` and `_` kept, the rest as `_`,
/// made unique within the report.
fn file_name(sprint: &str, taken: &mut HashSet<String>) -> String {
    let slug: String = sprint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut name = format!("sprint-{slug}.html");
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("sprint-{slug}-{n}.html");
        n += 1;
    }
    name
}

/// Writes the report of `team` (every sprint, or only `sprint`) into `dir`; returns the files.
pub fn write_report(
    store: &Store,
    settings: &Settings,
    team: &str,
    sprint: Option<&str>,
    as_of: NaiveDate,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage(format!("{}: not a folder", dir.display())));
    }
    let pages = render_report(store, settings, team, sprint, as_of)?;
    write_pages(dir, pages)
}

/// A report command run here: a team's pages rendered for the caller to write (`report
/// --out`), any other report printed to `out` ([`requests::answer`]).
pub fn answer_request(
    store: &Store,
    settings: &Settings,
    request: &requests::Request,
    output: requests::Output,
    one_shot: bool,
    out: &mut dyn std::io::Write,
) -> Result<requests::Answered> {
    match request {
        requests::Request::Report(a) if a.out.is_some() => {
            let notes = requests::checked(store, settings, request)?;
            let pages = render_report(store, settings, &a.team, a.sprint.as_deref(), a.as_of)?;
            Ok(requests::Answered {
                notes,
                pages: Some(pages),
            })
        }
        requests::Request::Room(a) => {
            use crate::present::table::Render;
            use crate::room::summary;
            let rooms = summary::kept_rooms(&store.rooms()?);
            match &a.session {
                None => summary::sessions(&rooms).write_to(output.format, output.json, out)?,
                Some(s) => summary::summary(summary::find(&rooms, s).map_err(Error::Usage)?)
                    .write_to(output.format, output.json, out)?,
            }
            Ok(requests::Answered::default())
        }
        _ => requests::answer(store, settings, request, output, one_shot, out),
    }
}

/// The pages of the report of `team` (every sprint, or only `sprint`): (file name, HTML).
pub fn render_report(
    store: &Store,
    settings: &Settings,
    team: &str,
    sprint: Option<&str>,
    as_of: NaiveDate,
) -> Result<Vec<(String, String)>> {
    let d = data::team_data(store, settings, team, as_of)?
        .ok_or_else(|| Error::Usage(format!("unknown team \"{team}\"")))?;
    let ids: Vec<String> = d
        .velocity
        .sprints
        .iter()
        .map(|s| s.sprint_id.clone())
        .collect();
    let chosen: Vec<String> = match sprint {
        Some(s) if ids.iter().any(|i| i == s) => vec![s.to_string()],
        Some(s) => {
            return Err(Error::Usage(format!(
                "unknown sprint \"{s}\" for team \"{team}\"; it has {}",
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(", ")
                }
            )));
        }
        None => ids,
    };
    let mut taken = HashSet::from([
        "index.html".to_string(),
        "splits.html".to_string(),
        "reference.html".to_string(),
    ]);
    let files: BTreeMap<String, String> = chosen
        .iter()
        .map(|s| (s.clone(), file_name(s, &mut taken)))
        .collect();
    let env = templates(Links::Static {
        team: team.to_string(),
        sprints: files.clone(),
    });
    let mut pages_out: Vec<(String, String)> = Vec::new();
    let page = team::team_page(&d);
    let charts = team::team_page_charts(&d, &page)?;
    pages_out.push((
        "index.html".into(),
        render_page(
            &env,
            "team.html",
            &page,
            Value::from_serialize(&charts),
            None,
        )?,
    ));
    let splits = splits::split_page(&d, settings, data::candidate_cards(store, &d)?);
    pages_out.push((
        "splits.html".into(),
        render_page(&env, "splits.html", &splits, Value::from(()), None)?,
    ));
    pages_out.push((
        "reference.html".into(),
        render_page(
            &env,
            "reference.html",
            &team::reference_page(&d),
            Value::from(()),
            None,
        )?,
    ));
    for (sprint, file) in &files {
        if let Some(r) = retro::sprint_retro(store, &d, sprint)? {
            pages_out.push((
                format!("retro-{file}"),
                render_page(&env, "retro.html", &r, Value::from(()), None)?,
            ));
        }
        let r = review::sprint_review(&d, sprint)
            .ok_or_else(|| Error::Internal(format!("sprint {sprint} vanished")))?;
        let charts = review::sprint_review_charts(&d, &r)?;
        pages_out.push((
            file.clone(),
            render_page(
                &env,
                "sprint.html",
                &r,
                Value::from_serialize(&charts),
                None,
            )?,
        ));
    }
    Ok(pages_out)
}

/// Writes rendered pages into `dir` (made when missing). Pages are replaced only when an
/// earlier report wrote them: nothing else is overwritten.
pub fn write_pages(dir: &Path, pages_out: Vec<(String, String)>) -> Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage(format!("{}: not a folder", dir.display())));
    }
    std::fs::create_dir_all(dir).map_err(Error::io(dir, "cannot create the report folder"))?;
    for (name, _) in &pages_out {
        // The names are the report's own (index.html, sprint-<slug>.html, ...): never a path.
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(Error::Internal(format!("a page named {name:?}")));
        }
        let path = dir.join(name);
        if path.exists() {
            let head: Vec<u8> = std::fs::read(&path)
                .map_err(Error::io(&path, "cannot read the existing page"))?
                .into_iter()
                .take(1024)
                .collect();
            if !String::from_utf8_lossy(&head).contains(GENERATOR) {
                return Err(Error::Usage(format!(
                    "{}: the file exists and is not a sprintlens page; choose another folder",
                    path.display()
                )));
            }
        }
    }
    let mut written = Vec::new();
    for (name, html) in pages_out {
        let path = dir.join(name);
        std::fs::write(&path, html).map_err(Error::io(&path, "cannot write the page"))?;
        written.push(path);
    }
    Ok(written)
}
