//! What every handler shares: connections to the store (read-only, one per core), settings,
//! templates, and the reports kept while serving. DuckDB work runs off the async runtime on one
//! of the connections, each behind a mutex (a DuckDB connection is `Send`, not `Sync`).

use crate::error::Error;
use crate::present::pages::data::{self as pages, TeamData};
use crate::present::pages::index::{self, IndexModel};
use crate::present::pages::{dashboard, splits};
use crate::settings::Settings;
use crate::store::Store;
use crate::web::error::WebError;
use crate::web::templates::{Links, render_page, templates};
use axum::response::Html;
use chrono::NaiveDate;
use minijinja::{Environment, Value};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Reports kept while serving: per team and day, and per dashboard scope and day. Bounded:
/// when full it starts afresh (the store does not change while serving).
#[derive(Default)]
pub struct Cache {
    /// The teams index (it does not depend on the day).
    index: Mutex<Option<Arc<IndexModel>>>,
    teams: Mutex<HashMap<(String, NaiveDate), Arc<TeamData>>>,
    dashboards: Mutex<HashMap<(Option<String>, NaiveDate), Rendered>>,
}

/// A dashboard and its small multiples.
type Rendered = Arc<(dashboard::Dashboard, Vec<String>)>;

/// Teams kept at most; a full cache is cleared.
pub const CACHE_TEAMS: usize = 512;

/// What every handler shares: connections to the store (read-only), settings, templates and
/// the cache.
pub struct AppState {
    /// One connection per core, so that cold pages of different teams compute in parallel.
    stores: Vec<Mutex<Store>>,
    next: std::sync::atomic::AtomicUsize,
    settings: Settings,
    templates: Environment<'static>,
    cache: Cache,
}

pub type Shared = Arc<AppState>;

impl AppState {
    pub fn new(store: Store, settings: Settings) -> Shared {
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        let mut stores = Vec::with_capacity(n);
        for _ in 1..n {
            match store.try_clone() {
                Ok(s) => stores.push(Mutex::new(s)),
                Err(e) => {
                    eprintln!("note: serving on one connection: {e}");
                    break;
                }
            }
        }
        stores.push(Mutex::new(store));
        Arc::new(AppState {
            stores,
            next: std::sync::atomic::AtomicUsize::new(0),
            settings,
            templates: templates(Links::Server),
            cache: Cache::default(),
        })
    }
}

/// Runs blocking work (store queries, page assembly) on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&AppState) -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || f(&state))
        .await
        .map_err(|e| WebError::Internal(Error::Internal(format!("a worker failed: {e}"))))?
}

impl AppState {
    pub fn with_store<T>(
        &self,
        f: impl FnOnce(&Store) -> crate::error::Result<T>,
    ) -> Result<T, WebError> {
        // A free connection if there is one, else wait for the next in turn.
        let guard = match self.stores.iter().find_map(|m| m.try_lock().ok()) {
            Some(g) => g,
            None => {
                let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.stores[i % self.stores.len()]
                    .lock()
                    .map_err(|_| Error::Internal("a store lock is poisoned".into()))?
            }
        };
        f(&guard).map_err(WebError::from)
    }

    /// A team's reports, computed on first use for that day.
    pub fn team(&self, team: &str, as_of: NaiveDate) -> Result<Arc<TeamData>, WebError> {
        let key = (team.to_string(), as_of);
        if let Some(d) = self
            .cache
            .teams
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return Ok(d);
        }
        let data = self.with_store(|store| pages::team_data(store, &self.settings, team, as_of))?;
        let data = Arc::new(
            data.ok_or_else(|| WebError::NotFound(format!("There is no team \"{team}\".")))?,
        );
        if let Ok(mut c) = self.cache.teams.lock() {
            if c.len() >= CACHE_TEAMS {
                c.clear();
            }
            c.insert(key, data.clone());
        }
        Ok(data)
    }

    /// Computes every team's reports for today, one team at a time (requests interleave),
    /// so first visits find them ready. Failures are left for the page to report.
    pub fn warm(&self) {
        let today = chrono::Local::now().date_naive();
        let teams = self.with_store(|store| store.teams()).unwrap_or_default();
        for (t, _) in teams {
            let _ = self.team(&t, today);
        }
    }

    /// The teams index, computed once.
    pub fn index(&self) -> Result<Arc<IndexModel>, WebError> {
        if let Some(i) = self.cache.index.lock().ok().and_then(|c| c.clone()) {
            return Ok(i);
        }
        let i = Arc::new(self.with_store(index::index)?);
        if let Ok(mut c) = self.cache.index.lock() {
            *c = Some(i.clone());
        }
        Ok(i)
    }

    pub fn split_page(&self, team: &str, as_of: NaiveDate) -> Result<splits::SplitPage, WebError> {
        let d = self.team(team, as_of)?;
        // Read once per team; later visits take no connection and copy nothing.
        let cards = match d.candidate_cards.get() {
            Some(c) => c,
            None => self.with_store(|store| pages::candidate_cards(store, &d))?,
        };
        Ok(splits::split_page(&d, &self.settings, cards))
    }

    pub fn dashboard(
        &self,
        program: Option<String>,
        as_of: NaiveDate,
    ) -> Result<Rendered, WebError> {
        let key = (program.clone(), as_of);
        if let Some(d) = self
            .cache
            .dashboards
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return Ok(d);
        }
        let d = self.with_store(|store| {
            dashboard::dashboard(store, &self.settings, program.as_deref(), as_of)
        })?;
        let d = d.ok_or_else(|| {
            WebError::NotFound(format!(
                "There is no program \"{}\".",
                program.clone().unwrap_or_default()
            ))
        })?;
        let charts = dashboard::dashboard_charts(&d)?;
        let d = Arc::new((d, charts));
        if let Ok(mut c) = self.cache.dashboards.lock() {
            if c.len() >= 64 {
                c.clear();
            }
            c.insert(key, d.clone());
        }
        Ok(d)
    }

    pub fn page<T: Serialize>(
        &self,
        template: &str,
        model: &T,
        charts: Value,
        json_url: String,
    ) -> Result<Html<String>, WebError> {
        Ok(Html(render_page(
            &self.templates,
            template,
            model,
            charts,
            Some(json_url),
        )?))
    }
}
