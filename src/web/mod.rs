//! The report server, a thin face over the page models in [`crate::pages`]: axum routes,
//! minijinja pages (autoescaped), a JSON twin under `/api` for every page. DuckDB work runs
//! off the async runtime on one of a few connections, each behind a mutex (a DuckDB connection
//! is `Send`, not `Sync`). The store is read-only while serving, so each team's reports are computed
//! once per `as_of` day and kept (see [`Cache`]).

pub mod site;

use crate::config::Settings;
use crate::error::Error;
use crate::pages::{self, TeamData};
use crate::store::Store;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use chrono::NaiveDate;
use minijinja::{Environment, Value};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Where page links point: the server's routes, or the files of a static report.
#[derive(Debug, Clone)]
pub enum Links {
    Server,
    /// A static report of one team: its pages' file names; links elsewhere become text.
    Static {
        team: String,
        sprints: BTreeMap<String, String>,
    },
}

/// Percent-encodes a path segment or query value (everything but unreserved characters).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Links {
    /// The link to a page: `index`, `dashboard` (a = program), `team`, `splits` (a = team),
    /// `sprint` (a = team, b = sprint). `None` when the page is not part of this output.
    pub fn url(&self, kind: &str, a: Option<&str>, b: Option<&str>) -> Option<String> {
        match self {
            Links::Server => Some(match (kind, a, b) {
                ("index", _, _) => "/".into(),
                ("dashboard", None, _) => "/dashboard".into(),
                ("dashboard", Some(p), _) => format!("/dashboard?program={}", enc(p)),
                ("team", Some(t), _) => format!("/teams/{}", enc(t)),
                ("splits", Some(t), _) => format!("/teams/{}/splits", enc(t)),
                ("sprint", Some(t), Some(s)) => format!("/teams/{}/sprints/{}", enc(t), enc(s)),
                _ => return None,
            }),
            Links::Static { team, sprints } => match (kind, a, b) {
                ("team", Some(t), _) if t == team => Some("index.html".into()),
                ("splits", Some(t), _) if t == team => Some("splits.html".into()),
                ("sprint", Some(t), Some(s)) if t == team => sprints.get(s).cloned(),
                _ => None,
            },
        }
    }
}

fn fmt_num(v: Option<f64>) -> String {
    crate::render::num(v, 1)
}

fn fmt_num2(v: Option<f64>) -> String {
    crate::render::num(v, 2)
}

/// The page templates, compiled into the binary; `.html` templates autoescape.
pub fn templates(links: Links) -> Environment<'static> {
    let mut env = Environment::new();
    for (name, src) in [
        ("base.html", include_str!("../../templates/base.html")),
        ("macros.html", include_str!("../../templates/macros.html")),
        ("index.html", include_str!("../../templates/index.html")),
        ("team.html", include_str!("../../templates/team.html")),
        ("sprint.html", include_str!("../../templates/sprint.html")),
        ("splits.html", include_str!("../../templates/splits.html")),
        (
            "dashboard.html",
            include_str!("../../templates/dashboard.html"),
        ),
        (
            "forecast.html",
            include_str!("../../templates/forecast.html"),
        ),
        ("error.html", include_str!("../../templates/error.html")),
    ] {
        env.add_template(name, src).expect("the templates parse");
    }
    env.add_filter("num", fmt_num);
    env.add_filter("num2", fmt_num2);
    env.add_filter("pct", crate::render::pct);
    let links = Arc::new(links);
    env.add_function(
        "url",
        move |kind: &str, a: Option<&str>, b: Option<&str>| -> Value {
            // Our URLs are percent-encoded: nothing in them needs HTML escaping.
            links
                .url(kind, a, b)
                .map(Value::from_safe_string)
                .unwrap_or(Value::from(()))
        },
    );
    env
}

/// Renders a page: the model's fields, its charts (our own SVG markup, inserted unescaped)
/// and the link to its JSON twin.
pub fn render_page<T: Serialize>(
    env: &Environment,
    template: &str,
    model: &T,
    charts: Value,
    json_url: Option<String>,
) -> crate::error::Result<String> {
    env.get_template(template)
        .and_then(|t| {
            t.render(minijinja::context! {
                charts => charts,
                // Percent-encoded by `api`; only the `&` between parameters needs escaping.
                json_url => json_url.map(|u| Value::from_safe_string(u.replace('&', "&amp;"))),
                ..Value::from_serialize(model)
            })
        })
        .map_err(|e| Error::Internal(format!("rendering {template}: {e:#}")))
}

/// Reports kept while serving: per team and day, and per dashboard scope and day. Bounded:
/// when full it starts afresh (the store does not change while serving).
#[derive(Default)]
pub struct Cache {
    teams: Mutex<HashMap<(String, NaiveDate), Arc<TeamData>>>,
    dashboards: Mutex<HashMap<(Option<String>, NaiveDate), Rendered>>,
}

/// A dashboard and its small multiples.
type Rendered = Arc<(pages::Dashboard, Vec<String>)>;

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

/// What a handler can fail with; internals never reach the page.
pub enum WebError {
    NotFound(String),
    BadRequest(String),
    Internal(Error),
}

impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        match e {
            Error::Usage(m) => WebError::BadRequest(m),
            other => WebError::Internal(other),
        }
    }
}

fn error_page(status: StatusCode, message: &str) -> Response {
    thread_local! {
        static ENV: Environment<'static> = templates(Links::Server);
    }
    let body = ENV.with(|env| {
        env.get_template("error.html")
            .and_then(|t| {
                t.render(minijinja::context! { status => status.as_u16(), message => message })
            })
            .unwrap_or_else(|_| format!("{status}"))
    });
    (status, Html(body)).into_response()
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::NotFound(m) => error_page(StatusCode::NOT_FOUND, &m),
            WebError::BadRequest(m) => error_page(StatusCode::BAD_REQUEST, &m),
            WebError::Internal(e) => {
                eprintln!("error: {}", crate::error::cause_chain(&e));
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side; the details are in the server's log.",
                )
            }
        }
    }
}

/// Runs blocking work (store queries, page assembly) on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&AppState) -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || f(&state))
        .await
        .map_err(|e| WebError::Internal(Error::Internal(format!("a worker failed: {e}"))))?
}

impl AppState {
    fn with_store<T>(
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
    fn team(&self, team: &str, as_of: NaiveDate) -> Result<Arc<TeamData>, WebError> {
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

    fn split_page(&self, team: &str, as_of: NaiveDate) -> Result<pages::SplitPage, WebError> {
        let d = self.team(team, as_of)?;
        // Read once per team; later visits take no connection and copy nothing.
        let cards = match d.candidate_cards.get() {
            Some(c) => c,
            None => self.with_store(|store| pages::candidate_cards(store, &d))?,
        };
        Ok(pages::split_page(&d, &self.settings, cards))
    }

    fn dashboard(&self, program: Option<String>, as_of: NaiveDate) -> Result<Rendered, WebError> {
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
            pages::dashboard(store, &self.settings, program.as_deref(), as_of)
        })?;
        let d = d.ok_or_else(|| {
            WebError::NotFound(format!(
                "There is no program \"{}\".",
                program.clone().unwrap_or_default()
            ))
        })?;
        let charts = pages::dashboard_charts(&d)?;
        let d = Arc::new((d, charts));
        if let Ok(mut c) = self.cache.dashboards.lock() {
            if c.len() >= 64 {
                c.clear();
            }
            c.insert(key, d.clone());
        }
        Ok(d)
    }

    fn page<T: Serialize>(
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

/// Query parameters: `as_of` (every page) and those named in `extra`; anything else is a 400.
struct Params {
    as_of: NaiveDate,
    program: Option<String>,
}

fn params(q: &HashMap<String, String>, extra: &[&str]) -> Result<Params, WebError> {
    if let Some(k) = q
        .keys()
        .find(|k| k.as_str() != "as_of" && !extra.contains(&k.as_str()))
    {
        return Err(WebError::BadRequest(format!("unknown parameter \"{k}\"")));
    }
    let as_of = match q.get("as_of") {
        None => chrono::Local::now().date_naive(),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| WebError::BadRequest(format!("as_of={d}: expected a date YYYY-MM-DD")))?,
    };
    let program = match q.get("program") {
        Some(p) if p.is_empty() => return Err(WebError::BadRequest("program= is empty".into())),
        p => p.cloned(),
    };
    Ok(Params { as_of, program })
}

/// The JSON twin's address of a page path, keeping its query.
fn api(path: &str, q: &HashMap<String, String>) -> String {
    let mut pairs: Vec<_> = q.iter().collect();
    pairs.sort();
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    if query.is_empty() {
        format!("/api{path}")
    } else {
        format!("/api{path}?{}", query.join("&"))
    }
}

#[derive(Serialize)]
struct IndexTeam {
    team: String,
    name: String,
    program: Option<String>,
    sprints: i64,
    stories: i64,
    votes: i64,
    latest: Option<String>,
    latest_name: Option<String>,
}

#[derive(Serialize)]
struct IndexModel {
    info: crate::report::Info,
    programs: Vec<String>,
    teams: Vec<IndexTeam>,
}

fn index_model(state: &AppState) -> Result<IndexModel, WebError> {
    state.with_store(|store| {
        let info = crate::report::info_from(store, 5)?;
        let latest: HashMap<String, (String, String)> = store
            .query_rows("latest_sprints", LATEST_SPRINTS, [], |r| {
                Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
            })?
            .into_iter()
            .collect();
        let teams = info
            .teams
            .iter()
            .map(|t| IndexTeam {
                team: t.team.clone(),
                name: t.name.clone(),
                program: t.program.clone(),
                sprints: t.sprints,
                stories: t.stories,
                votes: t.votes,
                latest: latest.get(&t.team).map(|l| l.0.clone()),
                latest_name: latest.get(&t.team).map(|l| l.1.clone()),
            })
            .collect();
        let programs = info.programs.iter().map(|p| p.program.clone()).collect();
        Ok(IndexModel {
            info,
            programs,
            teams,
        })
    })
}

type Q = Query<HashMap<String, String>>;

const LATEST_SPRINTS: &str = include_str!("../../queries/pages/latest_sprints.sql");

async fn index(State(state): State<Shared>, Query(q): Q) -> Result<Html<String>, WebError> {
    params(&q, &[])?;
    blocking(&state, move |s| {
        let m = index_model(s)?;
        s.page("index.html", &m, Value::from(()), api("/teams", &q))
    })
    .await
}

async fn api_index(State(state): State<Shared>, Query(q): Q) -> Result<Json<IndexModel>, WebError> {
    params(&q, &[])?;
    Ok(Json(blocking(&state, index_model).await?))
}

async fn dashboard(State(state): State<Shared>, Query(q): Q) -> Result<Html<String>, WebError> {
    let p = params(&q, &["program"])?;
    blocking(&state, move |s| {
        let d = s.dashboard(p.program, p.as_of)?;
        s.page(
            "dashboard.html",
            &d.0,
            Value::from(d.1.clone()),
            api("/dashboard", &q),
        )
    })
    .await
}

async fn api_dashboard(State(state): State<Shared>, Query(q): Q) -> Result<Response, WebError> {
    let p = params(&q, &["program"])?;
    blocking(&state, move |s| {
        let d = s.dashboard(p.program, p.as_of)?;
        Ok(Json(&d.0).into_response())
    })
    .await
}

async fn team_page(
    State(state): State<Shared>,
    Path(team): Path<String>,
    Query(q): Q,
) -> Result<Html<String>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        let d = s.team(&team, p.as_of)?;
        let m = pages::team_page(&d);
        let charts = pages::team_page_charts(&d, &m)?;
        s.page(
            "team.html",
            &m,
            Value::from_serialize(&charts),
            api(&format!("/teams/{}", enc(&team)), &q),
        )
    })
    .await
}

async fn api_team(
    State(state): State<Shared>,
    Path(team): Path<String>,
    Query(q): Q,
) -> Result<Json<pages::TeamPage>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        Ok(Json(pages::team_page(&*s.team(&team, p.as_of)?)))
    })
    .await
}

fn review(
    s: &AppState,
    team: &str,
    sprint: &str,
    as_of: NaiveDate,
) -> Result<(Arc<TeamData>, pages::SprintReview), WebError> {
    let d = s.team(team, as_of)?;
    let r = pages::sprint_review(&d, sprint).ok_or_else(|| {
        WebError::NotFound(format!("Team \"{team}\" has no sprint \"{sprint}\"."))
    })?;
    Ok((d, r))
}

async fn sprint_page(
    State(state): State<Shared>,
    Path((team, sprint)): Path<(String, String)>,
    Query(q): Q,
) -> Result<Html<String>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        let (d, r) = review(s, &team, &sprint, p.as_of)?;
        let charts = pages::sprint_review_charts(&d, &r)?;
        let json = api(
            &format!("/teams/{}/sprints/{}", enc(&team), enc(&sprint)),
            &q,
        );
        s.page("sprint.html", &r, Value::from_serialize(&charts), json)
    })
    .await
}

async fn api_sprint(
    State(state): State<Shared>,
    Path((team, sprint)): Path<(String, String)>,
    Query(q): Q,
) -> Result<Json<pages::SprintReview>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        Ok(Json(review(s, &team, &sprint, p.as_of)?.1))
    })
    .await
}

async fn splits_page(
    State(state): State<Shared>,
    Path(team): Path<String>,
    Query(q): Q,
) -> Result<Html<String>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        let m = s.split_page(&team, p.as_of)?;
        s.page(
            "splits.html",
            &m,
            Value::from(()),
            api(&format!("/teams/{}/splits", enc(&team)), &q),
        )
    })
    .await
}

async fn api_splits(
    State(state): State<Shared>,
    Path(team): Path<String>,
    Query(q): Q,
) -> Result<Json<pages::SplitPage>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| Ok(Json(s.split_page(&team, p.as_of)?))).await
}

async fn not_found() -> WebError {
    WebError::NotFound("There is no such page.".into())
}

/// The whole application, without a socket (tests drive it directly).
pub fn app(state: Shared) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/dashboard", get(dashboard))
        .route("/teams/{team}", get(team_page))
        .route("/teams/{team}/splits", get(splits_page))
        .route("/teams/{team}/sprints/{sprint}", get(sprint_page))
        .route("/api/teams", get(api_index))
        .route("/api/dashboard", get(api_dashboard))
        .route("/api/teams/{team}", get(api_team))
        .route("/api/teams/{team}/splits", get(api_splits))
        .route("/api/teams/{team}/sprints/{sprint}", get(api_sprint))
        .fallback(not_found)
        // No route takes a body; refuse large ones early.
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .with_state(state)
}

/// Binds `bind` (refusing what cannot be bound) and returns the listener and its address.
pub async fn listen(
    bind: &str,
) -> crate::error::Result<(tokio::net::TcpListener, std::net::SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| Error::Usage(format!("--bind {bind}: cannot listen there: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(Error::io(bind, "cannot read the bound address"))?;
    Ok((listener, addr))
}

/// Serves on `bind` until interrupted, printing the URL.
pub fn serve(
    store: Store,
    settings: Settings,
    bind: &str,
    out: &mut dyn std::io::Write,
) -> crate::error::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("<runtime>", "cannot start the server runtime"))?;
    rt.block_on(async {
        let (listener, addr) = listen(bind).await?;
        let _ = writeln!(
            out,
            "sprintlens serving on http://{addr}/ (Ctrl-C stops it)"
        );
        let _ = out.flush();
        let state = AppState::new(store, settings);
        let warming = state.clone();
        tokio::task::spawn_blocking(move || warming.warm());
        axum::serve(listener, app(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(Error::io(bind, "the server stopped"))
    })
}
