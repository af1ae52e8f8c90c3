//! The server's sync job: with `every_minutes` in `[sync.jira]`, the server fetches the boards
//! at its start and then every that many minutes, and writes what they hold through the one
//! writer (one transaction per run, as `sprintlens sync jira` does); the pages of the teams
//! written are computed again by the refresher. A run that fails writes nothing and is logged;
//! the next run tries again from the last good state.

use crate::error::Error;
use crate::ingest::IngestJob;
use crate::store::writer::Refused;
use crate::web::state::Shared;
use std::time::Duration;

/// Starts the job when the settings ask for it.
pub fn start(state: &Shared) {
    let Some(site) = state.settings().jira.clone() else {
        return;
    };
    if site.every_minutes == 0 {
        return;
    }
    let boards = match crate::sync::boards(&site, &[]) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!("jira sync not started: {e}");
            return;
        }
    };
    let state = state.clone();
    let mut stopping = state.stopping.subscribe();
    tokio::spawn(async move {
        let every = Duration::from_secs(site.every_minutes * 60);
        loop {
            match run(&state, &site, &boards).await {
                Ok(summary) => tracing::info!("jira sync: {summary}"),
                Err(e) => tracing::warn!("jira sync failed, nothing written: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stopping.wait_for(|s| *s) => return,
            }
        }
    });
}

/// One run: states read on a snapshot, boards fetched, the rows written by the writer.
async fn run(
    state: &Shared,
    site: &crate::settings::JiraSync,
    boards: &[(String, u64)],
) -> Result<String, Error> {
    let states = state
        .with_store(|store, _| crate::sync::states(Some(store), site, boards))
        .map_err(|e| match e {
            crate::web::error::WebError::Internal(e) => e,
            _ => Error::Internal("reading where the sync stands".into()),
        })?;
    let (runs, requests) = crate::sync::fetch(site, boards, &states, false).await?;
    let request = crate::sync::request(site, &runs, state.settings());
    if request.inline.is_empty() {
        return Ok(format!("{requests} requests, nothing to write"));
    }
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = IngestJob {
        request,
        reply: Box::new(move |out| {
            let _ = reply.send(out);
        }),
    };
    state.writer().try_submit(Box::new(job)).map_err(|why| {
        Error::Internal(match why {
            Refused::Busy => "too many writes waiting".into(),
            Refused::Stopped => "the store's writer stopped".into(),
        })
    })?;
    let outcome = answer
        .await
        .map_err(|_| Error::Internal("the store's writer stopped".into()))??;
    let changed: usize = outcome.files.iter().map(|f| f.inserted + f.updated).sum();
    let notes = state
        .with_store(|store, _| crate::sync::check(store, &runs))
        .unwrap_or_default();
    for n in &notes {
        tracing::info!("jira sync: note: {n}");
    }
    Ok(format!(
        "{requests} requests, {changed} rows new or changed, teams {}",
        outcome.teams.join(", ")
    ))
}
