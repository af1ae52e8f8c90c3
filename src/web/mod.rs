//! The report server, a thin face over the same report functions as the CLI: axum routes,
//! minijinja pages (autoescaped), JSON twins under `/api`. DuckDB work runs off the async
//! runtime, one query at a time behind a mutex (a DuckDB connection is `Send`, not `Sync`).
//!
//! First pages: index, team velocity, their JSON twins and `/healthz`; the Sprint Review,
//! split and dashboard pages and the charts come next.

use crate::error::Error;
use crate::metrics::velocity;
use crate::store::Store;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use minijinja::Environment;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What every handler shares: the store (read-only) and the templates.
pub struct AppState {
    store: Mutex<Store>,
    templates: Environment<'static>,
}

pub type Shared = Arc<AppState>;

fn fmt_num(v: Option<f64>) -> String {
    crate::render::num(v, 1)
}

/// The page templates, compiled into the binary; `.html` templates autoescape.
pub fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, src) in [
        ("base.html", include_str!("../../templates/base.html")),
        ("index.html", include_str!("../../templates/index.html")),
        ("team.html", include_str!("../../templates/team.html")),
        ("error.html", include_str!("../../templates/error.html")),
    ] {
        env.add_template(name, src).expect("the templates parse");
    }
    env.add_filter("num", fmt_num);
    env.add_filter("pct", crate::render::pct);
    env
}

impl AppState {
    pub fn new(store: Store) -> Shared {
        Arc::new(AppState {
            store: Mutex::new(store),
            templates: templates(),
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

fn error_page(state: Option<&AppState>, status: StatusCode, message: &str) -> Response {
    let env;
    let env = match state {
        Some(s) => &s.templates,
        None => {
            env = templates();
            &env
        }
    };
    let body = env
        .get_template("error.html")
        .and_then(|t| {
            t.render(minijinja::context! { status => status.as_u16(), message => message })
        })
        .unwrap_or_else(|_| format!("{status}"));
    (status, Html(body)).into_response()
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::NotFound(m) => error_page(None, StatusCode::NOT_FOUND, &m),
            WebError::BadRequest(m) => error_page(None, StatusCode::BAD_REQUEST, &m),
            WebError::Internal(e) => {
                eprintln!("error: {}", crate::error::cause_chain(&e));
                error_page(
                    None,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side; the details are in the server's log.",
                )
            }
        }
    }
}

/// Runs store work on the blocking pool, one query at a time.
async fn with_store<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&Store) -> crate::error::Result<T> + Send + 'static,
) -> Result<T, WebError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let store = state
            .store
            .lock()
            .map_err(|_| Error::Internal("the store lock is poisoned".into()))?;
        f(&store)
    })
    .await
    .map_err(|e| WebError::Internal(Error::Internal(format!("a worker failed: {e}"))))?
    .map_err(WebError::from)
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
}

#[derive(Serialize)]
struct IndexModel {
    info: crate::report::Info,
    teams: Vec<IndexTeam>,
}

async fn index_model(state: &Shared) -> Result<IndexModel, WebError> {
    with_store(state, |store| {
        let info = crate::report::info_from(store, 5)?;
        let latest: HashMap<String, String> = store
            .query_rows(
                "latest sprints",
                "select team, arg_max(coalesce(name, sprint_id), start_date) from sprints group by team",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
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
                latest: latest.get(&t.team).cloned(),
            })
            .collect();
        Ok(IndexModel { info, teams })
    })
    .await
}

fn render<T: Serialize>(state: &AppState, name: &str, model: &T) -> Result<Html<String>, WebError> {
    state
        .templates
        .get_template(name)
        .and_then(|t| t.render(model))
        .map(Html)
        .map_err(|e| WebError::Internal(Error::Internal(format!("rendering {name}: {e}"))))
}

async fn index(State(state): State<Shared>) -> Result<Html<String>, WebError> {
    let model = index_model(&state).await?;
    render(&state, "index.html", &model)
}

async fn api_index(State(state): State<Shared>) -> Result<Json<IndexModel>, WebError> {
    Ok(Json(index_model(&state).await?))
}

#[derive(Serialize)]
struct TeamModel {
    team: String,
    velocity: velocity::VelocityReport,
    /// Inline SVG (our own markup; user text in it is escaped).
    #[serde(skip_serializing_if = "Option::is_none")]
    velocity_chart: Option<String>,
}

async fn team_model(
    state: &Shared,
    team: String,
    params: HashMap<String, String>,
) -> Result<TeamModel, WebError> {
    let as_of = match params.get("as_of") {
        None => chrono::Local::now().date_naive(),
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| WebError::BadRequest(format!("as_of={d}: expected a date YYYY-MM-DD")))?,
    };
    if let Some(k) = params.keys().find(|k| k.as_str() != "as_of") {
        return Err(WebError::BadRequest(format!("unknown parameter \"{k}\"")));
    }
    let name = team.clone();
    let found = with_store(state, move |store| {
        Ok(store.teams()?.into_iter().any(|(t, _)| t == name))
    })
    .await?;
    if !found {
        return Err(WebError::NotFound(format!("There is no team \"{team}\".")));
    }
    let t = team.clone();
    let velocity = with_store(state, move |store| {
        velocity::velocity(
            store,
            &velocity::VelocityQuery::every_sprint(Some(&t), None, as_of),
        )
    })
    .await?;
    Ok(TeamModel {
        team,
        velocity,
        velocity_chart: None,
    })
}

async fn team_page(
    State(state): State<Shared>,
    Path(team): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let mut model = team_model(&state, team, params).await?;
    model.velocity_chart = Some(crate::charts::velocity_svg(
        &model.team,
        &model.velocity.sprints,
    )?);
    render(&state, "team.html", &model)
}

async fn api_team(
    State(state): State<Shared>,
    Path(team): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<TeamModel>, WebError> {
    Ok(Json(team_model(&state, team, params).await?))
}

async fn not_found() -> WebError {
    WebError::NotFound("There is no such page.".into())
}

/// The whole application, without a socket (tests drive it directly).
pub fn app(state: Shared) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/teams", get(api_index))
        .route("/teams/{team}", get(team_page))
        .route("/api/teams/{team}", get(api_team))
        .fallback(not_found)
        // No route takes a body yet; refuse large ones early.
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .with_state(state)
}

/// Serves on `bind` until interrupted, printing the URL.
pub fn serve(store: Store, bind: &str, out: &mut dyn std::io::Write) -> crate::error::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("<runtime>", "cannot start the server runtime"))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| Error::Usage(format!("--bind {bind}: cannot listen there: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(Error::io(bind, "cannot read the bound address"))?;
        let _ = writeln!(
            out,
            "sprintlens serving on http://{addr}/ (Ctrl-C stops it)"
        );
        let _ = out.flush();
        axum::serve(listener, app(AppState::new(store)))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(Error::io(bind, "the server stopped"))
    })
}
