//! What every handler shares: the store's one writing connection and its reading connections
//! (one per core), the store generation, settings, templates, and the reports kept while
//! serving. DuckDB work runs off the async runtime on one of the connections, each behind a
//! mutex (a DuckDB connection is `Send`, not `Sync`). Every page is computed on one snapshot
//! of the store and cached under that snapshot's generation, so an ingest shows on the next
//! request and no page mixes data from before and after it.

use crate::error::Error;
use crate::present::pages::data::{self as pages, TeamData};
use crate::present::pages::index::{self, IndexModel};
use crate::present::pages::{dashboard, splits};
use crate::settings::Settings;
use crate::store::Store;
use crate::store::kept::{Keep, KeptKind, Stamp};
use crate::store::writer::{Writer, Written};
use crate::web::cache::{Lru, json_size};
use crate::web::error::WebError;
use crate::web::refresh::{Refresh, Reports};
use crate::web::templates::{Links, render_page, templates};
use axum::response::Html;
use chrono::NaiveDate;
use minijinja::{Environment, Value};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A cached report's key: what it is about, its day, and the store generation it was
/// computed at.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Team(String, NaiveDate, u64),
    Dashboard(Option<String>, NaiveDate, u64),
}

impl Key {
    /// Whether this key is the same report as `older`, at a later generation.
    fn replaces(&self, older: &Key) -> bool {
        match (self, older) {
            (Key::Team(t, d, g), Key::Team(t2, d2, g2)) => t == t2 && d == d2 && g2 < g,
            (Key::Dashboard(p, d, g), Key::Dashboard(p2, d2, g2)) => p == p2 && d == d2 && g2 < g,
            _ => false,
        }
    }
}

/// A cached report.
enum Report {
    Team(Arc<TeamData>),
    Dashboard(Rendered),
}

/// A dashboard and its small multiples.
type Rendered = Arc<(dashboard::Dashboard, dashboard::DashboardCharts)>;

/// How the server runs: the store's connections, its generation, the caches.
pub struct AppState {
    db: std::path::PathBuf,
    /// The store's one writer: every write goes through its queue.
    writer: Writer,
    /// Connections for reading, one per core (up to 4), so that cold pages of different
    /// teams compute in parallel; each read runs on one snapshot of the store.
    readers: Vec<Mutex<Store>>,
    next: std::sync::atomic::AtomicUsize,
    /// What the writer's commits changed: the generations pages are keyed by.
    marks: Arc<Marks>,
    settings: Settings,
    templates: Environment<'static>,
    index: Mutex<Option<(u64, Arc<IndexModel>)>>,
    reports: Mutex<Lru<Key, Report>>,
    /// A gate per team report being computed: a second request for it waits for the first
    /// and takes its result from the cache instead of computing it again.
    computing: Mutex<std::collections::HashMap<Key, Arc<Mutex<()>>>>,
    /// Team reports computed since the server started (each cache miss that computed one).
    pub computed: std::sync::atomic::AtomicUsize,
    /// Dashboards computed since the server started.
    pub dashboards_computed: std::sync::atomic::AtomicUsize,
    /// Set once the warm-up has computed every team's reports (`/readyz`).
    pub ready: AtomicBool,
    /// The teams whose reports the background refresher is to compute again.
    pub refresh: Arc<Refresh>,
    /// What kept reports must have been made with to be current: this build and settings.
    fingerprint: String,
    /// Team reports and dashboards read back from the store since the start.
    pub kept_read: std::sync::atomic::AtomicUsize,
    /// The estimation rooms (kept in the store; every change saved through the writer).
    pub rooms: crate::room::Rooms,
    /// Set when the server is asked to stop: open event streams end, so that it stops at
    /// once instead of waiting for every room page to close.
    pub stopping: tokio::sync::watch::Sender<bool>,
}

/// Stories of a team an estimation room may pick: not estimated yet, estimated without the
/// room agreeing (to estimate again), and the split candidates.
#[derive(Debug, Serialize)]
pub struct Backlog {
    pub unestimated: Vec<crate::room::NewStory>,
    pub reestimate: Vec<crate::room::NewStory>,
    pub split_candidates: Vec<crate::room::NewStory>,
}

/// The most stories of each list of a [`Backlog`].
const BACKLOG_LIST: usize = 100;

pub type Shared = Arc<AppState>;

/// The build and settings a kept report was made with: a report kept by another build, or with
/// other settings, is computed again.
fn fingerprint(settings: &Settings) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    // A rebuilt binary of the same version may compute differently: its size and time tell it.
    if let Ok(m) = std::env::current_exe().and_then(std::fs::metadata) {
        h.update(m.len().to_le_bytes());
        if let Ok(t) = m.modified()
            && let Ok(d) = t.duration_since(std::time::UNIX_EPOCH)
        {
            h.update(d.as_nanos().to_le_bytes());
        }
    }
    h.update(format!("{settings:?}"));
    let digest = h.finalize();
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// What the writer's commits changed, as pages are keyed: the store generation, per team the
/// generation of the last commit that wrote its rows (so that an ingest of one team leaves the
/// others' pages as they are; a team not listed was last written at or before `base`), and
/// when the last commit was.
pub struct Marks {
    /// The generation of the last commit: the key of the index and dashboard caches.
    generation: AtomicU64,
    /// (base, team -> generation).
    teams: Mutex<(u64, std::collections::HashMap<String, u64>)>,
    refresh: Arc<Refresh>,
    last_write: Mutex<Option<chrono::DateTime<chrono::Utc>>>,
}

impl Marks {
    /// The marks as the store has them: each team's last write from `team_writes`.
    fn new(
        generation: u64,
        teams: std::collections::HashMap<String, u64>,
        refresh: Arc<Refresh>,
    ) -> Marks {
        Marks {
            generation: AtomicU64::new(generation),
            teams: Mutex::new((generation, teams)),
            refresh,
            last_write: Mutex::new(None),
        }
    }

    /// A commit at `g` that wrote `written`: the teams' marks first (a page looked up from now
    /// on is computed afresh), then the generation, then the refresher's marks.
    fn committed(&self, g: u64, written: &Written) {
        if let Ok(mut tg) = self.teams.lock() {
            match written.teams() {
                Some(list) => {
                    for t in list {
                        tg.1.insert(t.clone(), g);
                    }
                }
                None => *tg = (g, Default::default()),
            }
        }
        self.generation.store(g, Ordering::Release);
        self.refresh.mark(written.teams());
        if let Ok(mut t) = self.last_write.lock() {
            *t = Some(chrono::Utc::now());
        }
    }
}

impl AppState {
    /// The state over a store opened for writing; `cache_bytes` bounds the report cache.
    pub fn new(
        store: Store,
        settings: Settings,
        cache_bytes: usize,
    ) -> crate::error::Result<Shared> {
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        let mut readers = Vec::with_capacity(n);
        for _ in 0..n {
            match store.try_clone() {
                Ok(s) => {
                    s.keep_prepared_statements();
                    readers.push(Mutex::new(s))
                }
                Err(e) if !readers.is_empty() => {
                    eprintln!("note: reading on {} connections: {e}", readers.len());
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        let generation = store.generation()?;
        let refresh: Arc<Refresh> = Default::default();
        let marks = Arc::new(Marks::new(
            generation,
            store.team_writes()?,
            refresh.clone(),
        ));
        let fingerprint = fingerprint(&settings);
        let rooms = crate::room::Rooms::load(store.rooms()?);
        let db = store.path().to_path_buf();
        let heard = marks.clone();
        let writer = Writer::start(store, Some(Box::new(move |g, w| heard.committed(g, w))))?;
        Ok(Arc::new(AppState {
            db,
            writer,
            readers,
            next: std::sync::atomic::AtomicUsize::new(0),
            marks,
            settings,
            templates: templates(Links::Server),
            index: Mutex::new(None),
            reports: Mutex::new(Lru::new(cache_bytes)),
            computing: Mutex::new(Default::default()),
            computed: std::sync::atomic::AtomicUsize::new(0),
            dashboards_computed: std::sync::atomic::AtomicUsize::new(0),
            ready: AtomicBool::new(false),
            refresh,
            fingerprint,
            kept_read: std::sync::atomic::AtomicUsize::new(0),
            rooms,
            stopping: tokio::sync::watch::channel(false).0,
        }))
    }

    /// The stories of `team` a room may pick (see [`Backlog`]).
    pub fn room_backlog(&self, team: &str) -> Result<Backlog, WebError> {
        let d = self.team(team, crate::web::refresh::today())?;
        let rows = self.with_store(|store, _| {
            store.query_rows("room_backlog", pages::ROOM_BACKLOG, [team], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<f64>>(2)?,
                ))
            })
        })?;
        let spread = d.story_spread();
        let story = |key: &str, title: Option<String>| crate::room::NewStory {
            key: key.to_string(),
            title,
        };
        let mut b = Backlog {
            unestimated: Vec::new(),
            reestimate: Vec::new(),
            split_candidates: d
                .splits
                .candidates
                .iter()
                .take(BACKLOG_LIST)
                .map(|c| story(&c.story, c.title.clone()))
                .collect(),
        };
        for (key, title, estimate) in rows {
            let list = match estimate {
                None => &mut b.unestimated,
                // Estimated, the room never within one card step.
                Some(_)
                    if spread
                        .get(key.as_str())
                        .is_some_and(|s| !s.last_round_only && s.rounds_to_consensus.is_none()) =>
                {
                    &mut b.reestimate
                }
                Some(_) => continue,
            };
            if list.len() < BACKLOG_LIST {
                list.push(story(&key, title));
            }
        }
        Ok(b)
    }

    /// The store's one writer.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// When the last write through this server committed.
    pub fn last_write(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.marks.last_write.lock().ok().and_then(|t| *t)
    }

    /// Runs the writer's queue to its end, moves the log into the file and stops it.
    pub fn stop_writing(&self) {
        drop(self.writer.stop());
    }

    /// The database served.
    pub fn db(&self) -> &std::path::Path {
        &self.db
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The generation of the last commit.
    pub fn generation(&self) -> u64 {
        self.marks.generation.load(Ordering::Acquire)
    }

    /// Estimated bytes and entries in the report cache.
    pub fn cache_usage(&self) -> (usize, usize) {
        self.reports.lock().map(|c| c.usage()).unwrap_or((0, 0))
    }

    /// The generation a team's reports are keyed by: the last commit that wrote its rows.
    fn team_generation(&self, team: &str) -> u64 {
        match self.marks.teams.lock() {
            Ok(tg) => tg.1.get(team).copied().unwrap_or(tg.0),
            Err(_) => self.generation(),
        }
    }

    fn cached(&self, key: &Key) -> Option<Report> {
        let mut c = self.reports.lock().ok()?;
        c.get(key).map(|r| match &*r {
            Report::Team(d) => Report::Team(d.clone()),
            Report::Dashboard(d) => Report::Dashboard(d.clone()),
        })
    }

    fn keep(&self, key: Key, report: Report, bytes: usize) {
        if let Ok(mut c) = self.reports.lock() {
            // The same report of an older generation is never read again: its room goes now
            // (a team's reports are a few MiB; a live room writes its team every round).
            c.forget(|k| key.replaces(k));
            c.insert(key, Arc::new(report), bytes);
        }
    }
}

/// A team's cached reports at `generation`.
fn team_key(team: &str, as_of: NaiveDate, generation: u64) -> Key {
    Key::Team(team.to_string(), as_of, generation)
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
    /// Runs `f` on a reading connection (a free one if there is one, else the next in turn),
    /// on one snapshot of the store; `f` gets the snapshot's generation.
    pub fn with_store<T>(
        &self,
        f: impl FnOnce(&Store, u64) -> crate::error::Result<T>,
    ) -> Result<T, WebError> {
        let guard = match self.readers.iter().find_map(|m| m.try_lock().ok()) {
            Some(g) => g,
            None => {
                let i = self.next.fetch_add(1, Ordering::Relaxed);
                self.readers[i % self.readers.len()]
                    .lock()
                    .map_err(|_| Error::Internal("a store lock is poisoned".into()))?
            }
        };
        guard.snapshot(f).map_err(WebError::from)
    }

    /// A team's reports at `generation`, from the cache or computed on this snapshot.
    fn team_at(
        &self,
        store: &Store,
        generation: u64,
        team: &str,
        as_of: NaiveDate,
    ) -> crate::error::Result<Option<Arc<TeamData>>> {
        let key = team_key(team, as_of, generation);
        if let Some(Report::Team(d)) = self.cached(&key) {
            return Ok(Some(d));
        }
        if let Some(data) = self.kept(store, KeptKind::Team, team, as_of, generation) {
            let data: Arc<TeamData> = Arc::new(data);
            let bytes = json_size(&*data, data.planned.len() * 96);
            self.keep(key, Report::Team(data.clone()), bytes);
            return Ok(Some(data));
        }
        let Some(data) = pages::team_data(store, &self.settings, team, as_of)? else {
            return Ok(None);
        };
        self.computed.fetch_add(1, Ordering::Relaxed);
        let data = Arc::new(data);
        let bytes = json_size(&*data, data.planned.len() * 96);
        self.keep(key, Report::Team(data.clone()), bytes);
        self.keep_in_store(KeptKind::Team, team, as_of, generation, &*data);
        Ok(Some(data))
    }

    /// A report kept in the store for `subject` and `as_of`, when it is current: of
    /// `generation`, made by this build with these settings. One that cannot be read back is
    /// computed again.
    fn kept<T: serde::de::DeserializeOwned>(
        &self,
        store: &Store,
        kind: KeptKind,
        subject: &str,
        as_of: NaiveDate,
        generation: u64,
    ) -> Option<T> {
        let (stamp, body) = store.kept_report(kind, subject, as_of).ok()??;
        if stamp.generation != generation || stamp.fingerprint != self.fingerprint {
            return None;
        }
        let report = pages::from_kept(&body).ok()?;
        self.kept_read.fetch_add(1, Ordering::Relaxed);
        Some(report)
    }

    /// Hands a report computed for today to the writer to keep (other days are not kept: the
    /// pages read today's).
    fn keep_in_store<T: Serialize>(
        &self,
        kind: KeptKind,
        subject: &str,
        as_of: NaiveDate,
        generation: u64,
        report: &T,
    ) {
        if as_of != crate::web::refresh::today() {
            return;
        }
        let Ok(body) = pages::to_kept(report) else {
            return;
        };
        // A full queue skips it: it is computed again after a restart, that is all.
        let _ = self.writer.try_submit(Box::new(Keep {
            kind,
            subject: subject.to_string(),
            as_of,
            stamp: Stamp {
                generation,
                fingerprint: self.fingerprint.clone(),
            },
            body,
        }));
    }

    /// The teams whose reports for `day` are kept and current (the warm-up computes the others).
    pub fn kept_teams(&self, day: NaiveDate) -> std::collections::HashSet<String> {
        let stamps = self
            .with_store(|store, _| store.kept_stamps(KeptKind::Team, day))
            .unwrap_or_default();
        stamps
            .into_iter()
            .filter(|(team, stamp)| {
                stamp.fingerprint == self.fingerprint
                    && stamp.generation == self.team_generation(team)
            })
            .map(|(team, _)| team)
            .collect()
    }

    /// The report under `key`: from the cache, or computed by `compute` (one computation per
    /// key at a time: the others wait for it, then read the cache). The gate is taken before a
    /// reading connection (never while holding one), so waiting on it cannot hold up the one
    /// computing.
    fn once<T>(
        &self,
        key: &Key,
        cached: impl Fn(Option<Report>) -> Option<T>,
        compute: impl FnOnce() -> Result<T, WebError>,
    ) -> Result<T, WebError> {
        if let Some(found) = cached(self.cached(key)) {
            return Ok(found);
        }
        let gate = {
            let mut gates = self
                .computing
                .lock()
                .map_err(|_| Error::Internal("a store lock is poisoned".into()))?;
            // Gates nobody holds or waits on any more go.
            gates.retain(|_, g| Arc::strong_count(g) > 1);
            gates.entry(key.clone()).or_default().clone()
        };
        let turn = gate
            .lock()
            .map_err(|_| Error::Internal("a store lock is poisoned".into()))?;
        let found = match cached(self.cached(key)) {
            Some(found) => Ok(found),
            None => compute(),
        };
        drop(turn);
        found
    }

    /// A team's reports for that day, as of the last commit. The team's whole room opening its
    /// page after a round is revealed computes them once.
    pub fn team(&self, team: &str, as_of: NaiveDate) -> Result<Arc<TeamData>, WebError> {
        // Read before the snapshot: a commit after this makes the key older, never the data.
        let tg = self.team_generation(team);
        let key = team_key(team, as_of, tg);
        let found = self.once(
            &key,
            |r| match r {
                Some(Report::Team(d)) => Some(Some(d)),
                _ => None,
            },
            || self.with_store(|store, _| self.team_at(store, tg, team, as_of)),
        )?;
        found.ok_or_else(|| WebError::NotFound(format!("There is no team \"{team}\".")))
    }

    /// A team's reports for the help at a room's reveal, without waiting for them: the newest
    /// the server holds (a round just stored hardly changes what the team's past work says,
    /// and the refresher brings them up to date), else computed now.
    pub fn team_recent(&self, team: &str, as_of: NaiveDate) -> Result<Arc<TeamData>, WebError> {
        let held = self.reports.lock().ok().and_then(|mut c| {
            c.best(|k| match k {
                Key::Team(t, d, g) if t == team && *d == as_of => Some(*g),
                _ => None,
            })
        });
        if let Some(r) = held
            && let Report::Team(d) = &*r
        {
            return Ok(d.clone());
        }
        self.team(team, as_of)
    }

    /// The teams index at the last commit.
    pub fn index(&self) -> Result<Arc<IndexModel>, WebError> {
        let g = self.generation();
        if let Some((at, i)) = self.index.lock().ok().and_then(|c| c.clone())
            && at == g
        {
            return Ok(i);
        }
        let (at, i) = self.with_store(|store, g| Ok((g, Arc::new(index::index(store)?))))?;
        if let Ok(mut c) = self.index.lock()
            && c.as_ref().is_none_or(|(old, _)| *old <= at)
        {
            *c = Some((at, i.clone()));
        }
        Ok(i)
    }

    /// A sprint's estimation retrospective: the team's reports and the rounds of the stories
    /// that left their bucket.
    pub fn retro(
        &self,
        team: &str,
        sprint: &str,
        as_of: NaiveDate,
    ) -> Result<crate::present::pages::retro::SprintRetro, WebError> {
        let d = self.team(team, as_of)?;
        self.with_store(|store, _| crate::present::pages::retro::sprint_retro(store, &d, sprint))?
            .ok_or_else(|| {
                WebError::NotFound(format!("Team \"{team}\" has no sprint \"{sprint}\"."))
            })
    }

    /// The split page: the team's reports and the candidates' cards from one snapshot.
    pub fn split_page(&self, team: &str, as_of: NaiveDate) -> Result<splits::SplitPage, WebError> {
        let tg = self.team_generation(team);
        if let Some(Report::Team(d)) = self.cached(&team_key(team, as_of, tg))
            && let Some(cards) = d.candidate_cards.get()
        {
            return Ok(splits::split_page(&d, &self.settings, cards));
        }
        self.with_store(|store, _| {
            let Some(d) = self.team_at(store, tg, team, as_of)? else {
                return Ok(None);
            };
            let cards = pages::candidate_cards(store, &d)?;
            Ok(Some(splits::split_page(&d, &self.settings, cards)))
        })?
        .ok_or_else(|| WebError::NotFound(format!("There is no team \"{team}\".")))
    }

    /// The leadership dashboard (of one program, or of all) for that day, as of the last
    /// commit; computed once at a time, like a team's reports.
    pub fn dashboard(
        &self,
        program: Option<String>,
        as_of: NaiveDate,
    ) -> Result<Rendered, WebError> {
        if as_of == crate::web::refresh::today() {
            self.refresh.visited(program.as_deref());
        }
        self.dashboard_at(program, as_of)
    }

    /// [`Self::dashboard`] without counting as a visit (the refresher's).
    fn dashboard_at(
        &self,
        program: Option<String>,
        as_of: NaiveDate,
    ) -> Result<Rendered, WebError> {
        let key = Key::Dashboard(program.clone(), as_of, self.generation());
        self.once(
            &key,
            |r| match r {
                Some(Report::Dashboard(d)) => Some(d),
                _ => None,
            },
            || self.compute_dashboard(program, as_of),
        )
    }

    fn compute_dashboard(
        &self,
        program: Option<String>,
        as_of: NaiveDate,
    ) -> Result<Rendered, WebError> {
        let subject = program.clone().unwrap_or_default();
        let kept = self.with_store(|store, g| {
            Ok((
                g,
                self.kept::<(dashboard::Dashboard, dashboard::DashboardCharts)>(
                    store,
                    KeptKind::Dashboard,
                    &subject,
                    as_of,
                    g,
                ),
            ))
        })?;
        if let (g, Some(d)) = kept {
            let bytes = json_size(
                &d.0,
                d.1.map.len() + d.1.teams.iter().map(String::len).sum::<usize>(),
            );
            let d: Rendered = Arc::new(d);
            self.keep(
                Key::Dashboard(program, as_of, g),
                Report::Dashboard(d.clone()),
                bytes,
            );
            return Ok(d);
        }
        let (g, d) = self.with_store(|store, g| {
            Ok((
                g,
                dashboard::dashboard(store, &self.settings, program.as_deref(), as_of)?,
            ))
        })?;
        let d = d.ok_or_else(|| {
            WebError::NotFound(format!(
                "There is no program \"{}\".",
                program.clone().unwrap_or_default()
            ))
        })?;
        let charts = dashboard::dashboard_charts(&d, &|t| {
            crate::web::templates::Links::Server.url(crate::web::templates::Page::Team(t))
        })?;
        let bytes = json_size(
            &d,
            charts.map.len() + charts.teams.iter().map(String::len).sum::<usize>(),
        );
        let d: Rendered = Arc::new((d, charts));
        self.dashboards_computed.fetch_add(1, Ordering::Relaxed);
        self.keep_in_store(KeptKind::Dashboard, &subject, as_of, g, &*d);
        self.keep(
            Key::Dashboard(program, as_of, g),
            Report::Dashboard(d.clone()),
            bytes,
        );
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

impl Reports for AppState {
    fn refresh(&self) -> &Arc<Refresh> {
        &self.refresh
    }
    fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }
    fn teams(&self) -> Vec<String> {
        self.with_store(|store, _| store.teams())
            .map(|t| t.into_iter().map(|(t, _)| t).collect())
            .unwrap_or_default()
    }
    fn kept_teams(&self, day: NaiveDate) -> std::collections::HashSet<String> {
        AppState::kept_teams(self, day)
    }
    fn compute(&self, team: &str, day: NaiveDate) -> bool {
        self.team(team, day).is_ok()
    }
    fn compute_dashboard(&self, program: Option<&str>, day: NaiveDate) -> bool {
        self.dashboard_at(program.map(str::to_string), day).is_ok()
    }
}
