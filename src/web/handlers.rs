//! The routes: every page with its JSON twin under `/api`, query parameters checked (unknown
//! ones are a 400), and the router built without a socket ([`app`]).

use crate::domain::{FIRST_DAY, LAST_DAY, parse_day};
use crate::error::shown;
use crate::present::fmt::enc;
use crate::present::pages::data::TeamData;
use crate::present::pages::{retro, review, splits, team};
use crate::web::error::WebError;
use crate::web::query::Q;
use crate::web::server::{self, Access, ServeOptions};
use crate::web::state::{AppState, Shared, blocking};
use crate::web::tokens::Keyring;
use crate::web::{rounds, upload};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use minijinja::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The release burnup's what-if, run in the team page.
const RELEASE_SCRIPT: &str = include_str!("../../templates/release.js");

/// `GET /static/release.js`.
async fn release_script() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        RELEASE_SCRIPT,
    )
        .into_response()
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
        return Err(WebError::BadRequest(format!(
            "unknown parameter \"{}\"",
            shown(k)
        )));
    }
    let as_of = match q.get("as_of") {
        None => crate::web::refresh::today(),
        Some(d) => parse_day(d).ok_or_else(|| {
            WebError::BadRequest(format!(
                "as_of={}: expected a date YYYY-MM-DD between {FIRST_DAY} and {LAST_DAY}",
                shown(d)
            ))
        })?,
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

async fn index(State(state): State<Shared>, Q(q): Q) -> Result<Html<String>, WebError> {
    params(&q, &[])?;
    blocking(&state, move |s| {
        let m = s.index()?;
        s.page("index.html", &*m, Value::from(()), api("/teams", &q))
    })
    .await
}

async fn api_index(State(state): State<Shared>, Q(q): Q) -> Result<Response, WebError> {
    params(&q, &[])?;
    let m = blocking(&state, |s| s.index()).await?;
    Ok(Json(&*m).into_response())
}

async fn dashboard(State(state): State<Shared>, Q(q): Q) -> Result<Html<String>, WebError> {
    let p = params(&q, &["program"])?;
    blocking(&state, move |s| {
        let d = s.dashboard(p.program, p.as_of)?;
        s.page(
            "dashboard.html",
            &d.0,
            Value::from_serialize(&d.1),
            api("/dashboard", &q),
        )
    })
    .await
}

async fn api_dashboard(State(state): State<Shared>, Q(q): Q) -> Result<Response, WebError> {
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
    Q(q): Q,
) -> Result<Html<String>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        let d = s.team(&team, p.as_of)?;
        let m = team::team_page(&d);
        let charts = team::team_page_charts(&d, &m)?;
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
    Q(q): Q,
) -> Result<Json<team::TeamPage>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        Ok(Json(team::team_page(&*s.team(&team, p.as_of)?)))
    })
    .await
}

fn review(
    s: &AppState,
    team: &str,
    sprint: &str,
    as_of: NaiveDate,
) -> Result<(Arc<TeamData>, review::SprintReview), WebError> {
    let d = s.team(team, as_of)?;
    let r = review::sprint_review(&d, sprint).ok_or_else(|| {
        WebError::NotFound(format!("Team \"{team}\" has no sprint \"{sprint}\"."))
    })?;
    Ok((d, r))
}

async fn sprint_page(
    State(state): State<Shared>,
    Path((team, sprint)): Path<(String, String)>,
    Q(q): Q,
) -> Result<Html<String>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        let (d, r) = review(s, &team, &sprint, p.as_of)?;
        let charts = review::sprint_review_charts(&d, &r)?;
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
    Q(q): Q,
) -> Result<Json<review::SprintReview>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        Ok(Json(review(s, &team, &sprint, p.as_of)?.1))
    })
    .await
}

async fn splits_page(
    State(state): State<Shared>,
    Path(team): Path<String>,
    Q(q): Q,
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
    Q(q): Q,
) -> Result<Json<splits::SplitPage>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| Ok(Json(s.split_page(&team, p.as_of)?))).await
}

async fn reference_page(
    State(state): State<Shared>,
    Path(team): Path<String>,
    Q(q): Q,
) -> Result<Html<String>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        let m = team::reference_page(&*s.team(&team, p.as_of)?);
        s.page(
            "reference.html",
            &m,
            Value::from(()),
            api(&format!("/teams/{}/reference", enc(&team)), &q),
        )
    })
    .await
}

async fn api_reference(
    State(state): State<Shared>,
    Path(team): Path<String>,
    Q(q): Q,
) -> Result<Json<team::ReferencePage>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        Ok(Json(team::reference_page(&*s.team(&team, p.as_of)?)))
    })
    .await
}

async fn retro_page(
    State(state): State<Shared>,
    Path((team, sprint)): Path<(String, String)>,
    Q(q): Q,
) -> Result<Html<String>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| {
        let r = s.retro(&team, &sprint, p.as_of)?;
        let json = api(
            &format!("/teams/{}/sprints/{}/retro", enc(&team), enc(&sprint)),
            &q,
        );
        s.page("retro.html", &r, Value::from(()), json)
    })
    .await
}

async fn api_retro(
    State(state): State<Shared>,
    Path((team, sprint)): Path<(String, String)>,
    Q(q): Q,
) -> Result<Json<retro::SprintRetro>, WebError> {
    let p = params(&q, &[])?;
    blocking(&state, move |s| Ok(Json(s.retro(&team, &sprint, p.as_of)?))).await
}

async fn not_found() -> WebError {
    WebError::NotFound("There is no such page.".into())
}

/// A page asked for with a method it does not take (`DELETE /teams/a`).
async fn method_not_allowed(method: axum::http::Method) -> WebError {
    WebError::MethodNotAllowed(format!("This page does not take {method} requests."))
}

async fn readyz(State(state): State<Shared>) -> Response {
    let ready = state.ready.load(std::sync::atomic::Ordering::Acquire);
    let (cache_bytes, cache_entries) = state.cache_usage();
    let last = state.last_write();
    let body = Json(serde_json::json!({
        "ready": ready,
        "generation": state.generation(),
        "cache_bytes": cache_bytes,
        "cache_entries": cache_entries,
        "reports_computed": state.computed.load(std::sync::atomic::Ordering::Relaxed),
        // Team reports and dashboards read back from the store instead of computed.
        "reports_kept_read": state.kept_read.load(std::sync::atomic::Ordering::Relaxed),
        "reports_refreshed": state.refresh.refreshed.load(std::sync::atomic::Ordering::Relaxed),
        "dashboards_computed": state.dashboards_computed.load(std::sync::atomic::Ordering::Relaxed),
        "dashboards_refreshed": state.refresh.dashboards_refreshed.load(std::sync::atomic::Ordering::Relaxed),
        // Teams whose reports wait to be computed again after a write (null: every team).
        "refresh_pending": state.refresh.pending(),
        "last_ingest_here": last.map(|t| t.to_rfc3339()),
    }));
    if ready {
        body.into_response()
    } else {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

/// The whole application with reads open and the default limits, without a socket (tests
/// drive it directly).
pub fn app(state: Shared) -> Router {
    let access = Access {
        keyring: Keyring::new(state.db(), None),
        reads_open: true,
        local: true,
    };
    router(state, access, &ServeOptions::default())
}

/// The application: every route, who may use it, limits and request logs.
pub fn router(state: Shared, access: Access, options: &ServeOptions) -> Router {
    let access = Arc::new(access);
    let ingest = Router::new()
        .route("/api/v1/ingest", post(upload::ingest))
        .layer(axum::extract::DefaultBodyLimit::max(options.max_upload));
    let reports = Router::new().route(crate::web::reports::PATH, post(crate::web::reports::answer));
    let rooms = {
        use crate::web::room as r;
        Router::new()
            .route("/rooms", get(r::rooms_page))
            .route("/rooms/{room}", get(r::page))
            .route("/rooms/{room}/summary", get(r::summary_page))
            .route("/api/v1/rooms", get(r::list).post(r::open))
            .route("/api/v1/rooms/{room}", get(r::get_state))
            .route("/api/v1/rooms/{room}/join", post(r::join))
            .route("/api/v1/rooms/{room}/stories", post(r::stories))
            .route("/api/v1/rooms/{room}/deck", post(r::deck))
            .route("/api/v1/rooms/{room}/rounds", post(r::round))
            .route("/api/v1/rooms/{room}/votes", post(r::vote))
            .route("/api/v1/rooms/{room}/reveal", post(r::reveal))
            .route("/api/v1/rooms/{room}/estimate", post(r::estimate))
            .route("/api/v1/rooms/{room}/close", post(r::close))
            .route("/api/v1/rooms/{room}/events", get(r::events))
            .route("/api/v1/rooms/{room}/backlog", get(r::backlog))
            .route("/api/v1/rooms/{room}/summary", get(r::api_summary))
            .route("/static/room.js", get(r::script))
            .layer(axum::extract::DefaultBodyLimit::max(r::MAX_BODY))
    };
    let rounds = Router::new()
        .route("/api/v1/rounds", post(rounds::post_round))
        .route("/api/v1/rounds/schema", get(rounds::schema))
        .with_state(rounds::Rounds::new(state.clone()));
    let sign_in = Router::new()
        .route("/sign-in", get(server::sign_in_form).post(server::sign_in))
        .with_state(access.clone());
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        // Browsers ask for it on every first page: no icon, and no 404 in the log.
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .route("/dashboard", get(dashboard))
        .route("/teams/{team}", get(team_page))
        .route("/static/release.js", get(release_script))
        .route("/teams/{team}/splits", get(splits_page))
        .route("/teams/{team}/sprints/{sprint}", get(sprint_page))
        .route("/teams/{team}/sprints/{sprint}/retro", get(retro_page))
        .route("/teams/{team}/reference", get(reference_page))
        .route("/api/teams", get(api_index))
        .route("/api/dashboard", get(api_dashboard))
        .route("/api/teams/{team}", get(api_team))
        .route("/api/teams/{team}/splits", get(api_splits))
        .route("/api/teams/{team}/sprints/{sprint}", get(api_sprint))
        .route("/api/teams/{team}/sprints/{sprint}/retro", get(api_retro))
        .route("/api/teams/{team}/reference", get(api_reference))
        .merge(ingest)
        .merge(reports)
        .merge(rooms)
        .fallback(not_found)
        // Page routes take no body; refuse large ones early.
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .with_state(state)
        .merge(sign_in)
        .merge(rounds)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(
            crate::web::error::api_errors_as_json,
        ))
        .layer(axum::middleware::from_fn_with_state(access, server::guard))
        .layer(axum::middleware::from_fn_with_state(
            options.request_timeout,
            server::log_and_limit,
        ))
        .layer(axum::middleware::from_fn(crate::web::headers::secure))
}
