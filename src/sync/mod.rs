//! Syncing from a tracker's API (`sprintlens sync jira`, and `serve`'s sync job): every board
//! is fetched whole before anything is written, then its sprints, stories and sprint events go
//! through the ingest's checks and one transaction together with where each board's sync then
//! stands. A failure part-way writes nothing, and the next run starts from the last good state.

pub mod client;
pub mod jira;

use crate::error::{Error, Result};
use crate::ingest::files::Format;
use crate::ingest::pipeline::{IngestOutcome, IngestRequest, Inline};
use crate::ingest::typing::Defaults;
use crate::settings::{JiraSync, Settings};
use crate::store::Store;
use crate::store::merge::SyncMark;
use crate::store::queries::{SYNC_STATE, SYNCED_ITEMS};
use jira::{BoardRun, BoardState, SprintReport};
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::Ordering;

/// What a sync run fetched and wrote, board by board.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SyncOutcome {
    pub site: String,
    pub boards: Vec<BoardSummary>,
    /// Requests answered by the site.
    pub requests: usize,
    /// Where the site's own numbers and the history disagree, and what was left out.
    pub notes: Vec<String>,
    /// The ingest of the fetched rows (None when there was nothing to write).
    pub written: Option<IngestOutcome>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BoardSummary {
    pub team: String,
    pub board: u64,
    pub sprints: usize,
    pub stories: usize,
    pub events: usize,
    /// Sprints whose scope changes and report were read this run.
    pub sprints_read: usize,
    /// Whether this run read only what changed since the last one.
    pub incremental: bool,
}

/// The boards to sync: the settings' teams, or those of them named by `only`.
pub fn boards(site: &JiraSync, only: &[String]) -> Result<Vec<(String, u64)>> {
    if site.teams.is_empty() {
        return Err(Error::Usage(
            "sync jira: no boards: list them in [sync.jira.teams] of sprintlens.toml \
             (team = board id)"
                .into(),
        ));
    }
    for t in only {
        if !site.teams.contains_key(t) {
            return Err(Error::Usage(format!(
                "sync jira: team \"{t}\" has no board in [sync.jira.teams] (teams: {})",
                site.teams.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(site
        .teams
        .iter()
        .filter(|(t, _)| only.is_empty() || only.contains(t))
        .map(|(t, b)| (t.clone(), *b))
        .collect())
}

/// Where each board's sync stood after its last good run (default: never run), read from
/// `store` (none yet: every board starts afresh).
pub fn states(
    store: Option<&Store>,
    site: &JiraSync,
    boards: &[(String, u64)],
) -> Result<Vec<BoardState>> {
    boards
        .iter()
        .map(|(_, b)| {
            let Some(store) = store else {
                return Ok(BoardState::default());
            };
            let rows: Vec<String> = store.query_rows(
                "sync_state",
                SYNC_STATE,
                [jira::source_key(site, *b)],
                |r| r.get(0),
            )?;
            Ok(rows
                .first()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default())
        })
        .collect()
}

/// Fetches every board (nothing is written). A progress line on a terminal.
pub async fn fetch(
    site: &JiraSync,
    boards: &[(String, u64)],
    states: &[BoardState],
    progress: bool,
) -> Result<(Vec<BoardRun>, usize)> {
    let client = jira::client(site)?;
    let started = chrono::Utc::now().naive_utc();
    let show = progress && std::io::stderr().is_terminal();
    let fetching = async {
        let mut runs = Vec::new();
        for ((team, board), state) in boards.iter().zip(states) {
            runs.push(jira::fetch_board(&client, site, team, *board, state, started).await?);
        }
        Ok::<_, Error>(runs)
    };
    let runs = if show {
        let ticker = async {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                eprint!("\r\x1b[2K{}", client.progress());
            }
        };
        tokio::select! {
            r = fetching => { eprint!("\r\x1b[2K"); r? }
            _ = ticker => unreachable!("the ticker never ends"),
        }
    } else {
        fetching.await?
    };
    Ok((runs, client.requests.load(Ordering::Relaxed)))
}

/// The fetched rows as one ingest (inline NDJSON), with each board's new state.
pub fn request(site: &JiraSync, runs: &[BoardRun], settings: &Settings) -> IngestRequest {
    let mut inline = Vec::new();
    let mut marks = Vec::new();
    for r in runs {
        for (kind, rows) in [
            (crate::domain::Kind::Sprints, &r.sprints),
            (crate::domain::Kind::Stories, &r.stories),
            (crate::domain::Kind::SprintEvents, &r.events),
        ] {
            if rows.is_empty() {
                continue;
            }
            let mut bytes = Vec::new();
            for row in rows {
                bytes.extend(serde_json::to_vec(row).expect("rows are JSON"));
                bytes.push(b'\n');
            }
            inline.push(Inline {
                name: format!("jira board {} ({}): {}", r.board, r.team, kind.name()),
                kind,
                format: Format::Ndjson,
                bytes,
            });
        }
        marks.push(SyncMark {
            source: jira::source_key(site, r.board),
            state: serde_json::to_string(&r.state).expect("state is JSON"),
        });
    }
    IngestRequest {
        inline,
        marks,
        defaults: Defaults {
            team: None,
            program: None,
            settings: settings.clone(),
        },
        ..Default::default()
    }
}

/// The check after the write: the sprint items as they follow from the history against Jira's
/// own sprint report of each sprint read (completed, punted, added during the sprint).
pub fn check(store: &Store, runs: &[BoardRun]) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    for r in runs {
        if r.reports.is_empty() {
            continue;
        }
        let rows: Vec<ItemRow> =
            store.query_rows("synced_items", SYNCED_ITEMS, [r.team.as_str()], |x| {
                Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?))
            })?;
        let mut by_sprint: BTreeMap<&str, Vec<&ItemRow>> = BTreeMap::new();
        for row in &rows {
            by_sprint.entry(row.0.as_str()).or_default().push(row);
        }
        for rep in &r.reports {
            let items = by_sprint
                .get(rep.sprint.as_str())
                .cloned()
                .unwrap_or_default();
            notes.extend(compare(rep, &items));
        }
    }
    Ok(notes)
}

/// A stored sprint item: sprint, story, committed, status.
type ItemRow = (String, String, Option<bool>, String);

fn compare(rep: &SprintReport, items: &[&ItemRow]) -> Vec<String> {
    let set = |f: &dyn Fn(&ItemRow) -> bool| -> BTreeSet<String> {
        items.iter().filter(|i| f(i)).map(|i| i.1.clone()).collect()
    };
    let done = set(&|i| i.3 == "done");
    let removed = set(&|i| i.3 == "removed");
    let added = set(&|i| i.2 == Some(false));
    let mut out = Vec::new();
    let mut differ = |what: &str, jira: &BTreeSet<String>, ours: &BTreeSet<String>| {
        let only_jira: Vec<&String> = jira.difference(ours).collect();
        let only_ours: Vec<&String> = ours.difference(jira).collect();
        if !only_jira.is_empty() || !only_ours.is_empty() {
            let list = |v: &[&String]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                }
            };
            out.push(format!(
                "sprint {} \"{}\": {what}: only Jira's sprint report: {}; only the history: {}",
                rep.sprint,
                rep.name,
                list(&only_jira),
                list(&only_ours)
            ));
        }
    };
    differ("completed", &rep.completed, &done);
    differ("removed (punted)", &rep.punted, &removed);
    differ("added during the sprint", &rep.added, &added);
    out
}

/// A whole sync from the command line: fetch, write in one transaction, check.
pub fn run_jira(
    db: &Path,
    settings: &Settings,
    only: &[String],
    progress: bool,
) -> Result<SyncOutcome> {
    let Some(site) = &settings.jira else {
        return Err(Error::Usage(format!(
            "sync jira: no [sync.jira] in {}: give the site's url and its boards \
             (see the README, \"Sync from Jira\")",
            settings.file_name()
        )));
    };
    let boards = boards(site, only)?;
    let states = states(Store::open_read_only(db)?.as_ref(), site, &boards)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("starting the sync's runtime: {e}")))?;
    let (runs, requests) = rt.block_on(fetch(site, &boards, &states, progress))?;
    let req = request(site, &runs, settings);
    let written = if req.inline.is_empty() {
        None
    } else {
        Some(crate::ingest::pipeline::ingest(db, &req)?)
    };
    let mut notes: Vec<String> = runs.iter().flat_map(|r| r.notes.clone()).collect();
    if let Some(store) = Store::open_read_only(db)? {
        notes.extend(check(&store, &runs)?);
    }
    Ok(outcome(site, &states, runs, requests, notes, written))
}

/// The summary of a run.
fn outcome(
    site: &JiraSync,
    states: &[BoardState],
    runs: Vec<BoardRun>,
    requests: usize,
    notes: Vec<String>,
    written: Option<IngestOutcome>,
) -> SyncOutcome {
    SyncOutcome {
        site: site.url.clone(),
        boards: runs
            .iter()
            .zip(states)
            .map(|(r, s)| BoardSummary {
                team: r.team.clone(),
                board: r.board,
                sprints: r.sprints.len(),
                stories: r.stories.len(),
                events: r.events.len(),
                sprints_read: r.reports.len(),
                incremental: s.since.is_some(),
            })
            .collect(),
        requests,
        notes,
        written,
    }
}
