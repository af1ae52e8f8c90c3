//! The estimation room over HTTP: its pages (`/rooms`, `/rooms/ROOM`, `/rooms/ROOM/summary`),
//! its API (`/api/v1/rooms...`, one route per action, so that scripts and chat bots can drive
//! it too), live updates as server-sent events, and its script. HTTP only: each handler reads
//! who is asking (the participant's cookie or `X-Sprintlens-Participant` header), parses the
//! body, and hands the action to the room service ([`crate::room`]).
//!
//! The link's secret (`/rooms/ROOM`) is what lets someone join; opening a room and the
//! facilitator's actions need a room-scope token off loopback (the guard checks it).

use crate::error::{Error, shown};
use crate::present::pages::data::{TEAM_CARD, TeamData};
use crate::room::service::{Done, Failed, Opening, deck_of};
use crate::room::state::{Decision, NewStory, Refusal, RoomCard, pasted_stories};
use crate::room::summary::summary;
use crate::web::error::{WebError, json_error};
use crate::web::state::{AppState, Shared, blocking};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;

/// The script of the room's page.
pub const SCRIPT: &str = include_str!("../../templates/room.js");

/// The header a script names its participant secret in (browsers send the cookie).
pub const PARTICIPANT: &str = "x-sprintlens-participant";

/// The bodies of room actions are small: a pasted list of 500 stories fits.
pub const MAX_BODY: usize = 256 << 10;

/// The cookie that holds a participant's secret for one room (named by the room's hash, never
/// by its link).
fn cookie_name(room_hash: &str) -> String {
    format!("sprintlens_room_{}", &room_hash[..16.min(room_hash.len())])
}

/// The participant's secret a request carries for `link`'s room.
fn secret_of(headers: &HeaderMap, link: &str) -> Option<String> {
    if let Some(v) = headers.get(PARTICIPANT).and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_string());
    }
    let name = cookie_name(&crate::domain::secret::hash(link));
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` that keeps a participant's secret for a room (a month, this site only).
fn set_cookie(link: &str, secret: &str) -> Option<HeaderValue> {
    let name = cookie_name(&crate::domain::secret::hash(link));
    HeaderValue::from_str(&format!(
        "{name}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000"
    ))
    .ok()
}

/// A refused or failed action as JSON: 400, 403, 404 or 409 with the reason, 500 for the
/// store (its cause goes to the log).
fn failed(f: Failed) -> Response {
    match f {
        Failed::Refused(r) => {
            let status = match r {
                Refusal::Bad(_) => StatusCode::BAD_REQUEST,
                Refusal::NotAllowed(_) => StatusCode::FORBIDDEN,
                Refusal::NotFound(_) => StatusCode::NOT_FOUND,
                Refusal::Conflict(_) => StatusCode::CONFLICT,
            };
            json_error(status, r.reason())
        }
        Failed::Store(e) => {
            tracing::error!(error = %crate::error::cause_chain(&e), "a room action failed");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the room could not be saved; nothing changed (the details are in the server's log)",
            )
        }
    }
}

/// A JSON body of `T`, or the 400 that names what is wrong with it.
fn body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<T, Box<Response>> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
    if !json {
        return Err(Box::new(json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the action as application/json",
        )));
    }
    serde_json::from_slice(if bytes.is_empty() { b"{}" } else { bytes }).map_err(|e| {
        Box::new(json_error(
            StatusCode::BAD_REQUEST,
            &format!("the body: {e}"),
        ))
    })
}

/// Runs a room action off the async runtime (it waits for the store's writer).
async fn run<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&AppState) -> Done<T> + Send + 'static,
) -> Result<T, Response> {
    let state = state.clone();
    match tokio::task::spawn_blocking(move || f(&state)).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(failed(e)),
        Err(e) => Err(failed(Failed::Store(Error::Internal(format!(
            "a room worker failed: {e}"
        ))))),
    }
}

/// A room action's answer as JSON (`answer` of what it gave), or why it failed.
fn reply<T, J: serde::Serialize>(
    done: Result<T, Response>,
    answer: impl FnOnce(T) -> J,
) -> Response {
    match done {
        Ok(t) => Json(answer(t)).into_response(),
        Err(r) => r,
    }
}

/// A read of the store that failed, as a room action's failure.
fn store_failed(e: WebError) -> Failed {
    match e {
        WebError::Internal(e) => Failed::Store(e),
        WebError::NotFound(m) => Failed::Refused(Refusal::NotFound(m)),
        WebError::BadRequest(m) | WebError::MethodNotAllowed(m) => Failed::Refused(Refusal::Bad(m)),
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    team: String,
    #[serde(default)]
    title: Option<String>,
    name: String,
    /// Only for a team without a deck in the store.
    #[serde(default)]
    deck: Option<Vec<RoomCard>>,
    /// The facilitator watches without a card.
    #[serde(default)]
    watch: bool,
    /// The round is revealed by itself once every card is in.
    #[serde(default)]
    auto_reveal: bool,
}

/// `POST /api/v1/rooms`: opens a room for a team of the store.
pub async fn open(
    State(state): State<Shared>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    let b: OpenBody = match body(&headers, &bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let opened = run(&state, move |s| {
        let (exists, decks) = s
            .with_store(|store, _| {
                let team = store.query_rows("team_card", TEAM_CARD, [&b.team], |_| Ok(()))?;
                Ok((!team.is_empty(), store.decks()?))
            })
            .map_err(store_failed)?;
        if !exists {
            return Err(Failed::Refused(Refusal::NotFound(format!(
                "there is no team \"{}\" in the store",
                shown(&b.team)
            ))));
        }
        let stored = decks.get(&b.team);
        let deck = match (stored, b.deck) {
            (Some(_), Some(_)) => {
                return Err(Failed::Refused(Refusal::Bad(
                    "the team has a deck in the store: the room plays with it".into(),
                )));
            }
            (None, Some(d)) => d,
            (s, None) => deck_of(s),
        };
        let title = b
            .title
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| format!("{} estimation {}", b.team, now().format("%Y-%m-%d")));
        let opening = Opening {
            team: b.team,
            title,
            deck,
            name: b.name,
            watching: b.watch,
            auto_reveal: b.auto_reveal,
        };
        s.rooms.open(s.writer(), opening, now())
    })
    .await;
    match opened {
        Ok(o) => {
            let mut r = (
                StatusCode::CREATED,
                Json(serde_json::json!({
                    "room": o.link,
                    "url": format!("/rooms/{}", o.link),
                    "secret": o.secret,
                })),
            )
                .into_response();
            if let Some(c) = set_cookie(&o.link, &o.secret) {
                r.headers_mut().insert(header::SET_COOKIE, c);
            }
            r
        }
        Err(r) => r,
    }
}

/// `GET /api/v1/rooms/ROOM`: the room as the asker sees it.
pub async fn get_state(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
) -> Response {
    let secret = secret_of(&headers, &link);
    match state.rooms.slot(&link) {
        Some(slot) => {
            let who = slot.who(secret.as_deref());
            Json(slot.room().view(who.as_ref())).into_response()
        }
        None => json_error(StatusCode::NOT_FOUND, "there is no such room"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    name: String,
    /// Watches without a card.
    #[serde(default)]
    watch: bool,
}

/// `POST /api/v1/rooms/ROOM/join`: joins under a name; the answer (and a cookie) carries the
/// participant's secret. One who already holds a secret of the room is answered with their
/// place: a participant who comes back keeps it.
pub async fn join(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    let b: JoinBody = match body(&headers, &bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    if let Some(slot) = state.rooms.slot(&link)
        && let Some(p) = slot.who(secret_of(&headers, &link).as_deref())
    {
        return Json(serde_json::json!({ "place": p.place, "name": p.name })).into_response();
    }
    let l = link.clone();
    match run(&state, move |s| {
        s.rooms.join(s.writer(), &l, &b.name, b.watch, now())
    })
    .await
    {
        Ok(secret) => {
            let mut r = Json(serde_json::json!({ "secret": secret })).into_response();
            if let Some(c) = set_cookie(&link, &secret) {
                r.headers_mut().insert(header::SET_COOKIE, c);
            }
            r
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoriesBody {
    #[serde(default)]
    stories: Vec<NewStory>,
    /// Pasted lines of `KEY title`.
    #[serde(default)]
    text: Option<String>,
}

/// `POST /api/v1/rooms/ROOM/stories` (the facilitator's).
pub async fn stories(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    let b: StoriesBody = match body(&headers, &bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let secret = secret_of(&headers, &link);
    let mut list = b.stories;
    if let Some(t) = &b.text {
        list.extend(pasted_stories(t));
    }
    let done = run(&state, move |s| {
        s.rooms.add(s.writer(), &link, secret.as_deref(), list)
    })
    .await;
    reply(done, |n| serde_json::json!({ "added": n }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeckBody {
    cards: Vec<RoomCard>,
}

/// `POST /api/v1/rooms/ROOM/deck` (the facilitator's; a team whose deck is in the store plays
/// with it).
pub async fn deck(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    let b: DeckBody = match body(&headers, &bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let secret = secret_of(&headers, &link);
    let done = run(&state, move |s| {
        let team = s.rooms.slot(&link).map(|r| r.team()).unwrap_or_default();
        let stored = s
            .with_store(|store, _| Ok(store.decks()?.contains_key(&team)))
            .unwrap_or(false);
        s.rooms
            .act(s.writer(), &link, secret.as_deref(), |room, who| {
                if stored {
                    return Err(Refusal::Conflict(
                        "the team's deck is in the store: the room plays with it".into(),
                    ));
                }
                if room.stories.iter().any(|st| !st.rounds.is_empty()) {
                    return Err(Refusal::Conflict(
                        "a round was revealed with this deck: it stays".into(),
                    ));
                }
                room.set_deck(who, b.cards)
            })
    })
    .await;
    reply(done, |_| serde_json::json!({ "deck": "set" }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundBody {
    story: String,
}

/// `POST /api/v1/rooms/ROOM/rounds` (the facilitator's): the next round of a story.
pub async fn round(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    let b: RoundBody = match body(&headers, &bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let secret = secret_of(&headers, &link);
    let done = run(&state, move |s| {
        s.rooms
            .act(s.writer(), &link, secret.as_deref(), |room, who| {
                room.start_round(who, &b.story, now())
            })
    })
    .await;
    reply(
        done,
        |n| serde_json::json!({ "story": "started", "round": n }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    card: String,
}

/// `POST /api/v1/rooms/ROOM/votes`: picks (or changes) a card in the round being played.
pub async fn vote(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    let b: VoteBody = match body(&headers, &bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let secret = secret_of(&headers, &link);
    let done = run(&state, move |s| {
        s.rooms
            .act(s.writer(), &link, secret.as_deref(), |room, who| {
                room.vote(who, &b.card, now())
            })?;
        // The last card in, in a room that reveals by itself: revealed now.
        if !s.rooms.ready_to_reveal(&link) {
            return Ok(None);
        }
        let data = team_data(s, &link);
        s.rooms
            .reveal_by_itself(s.writer(), &link, data.as_deref(), s.settings(), now())
    })
    .await;
    reply(
        done,
        |revealed| serde_json::json!({ "voted": true, "revealed": revealed }),
    )
}

/// What the store knows of a room's team, for the help at the reveal (the pages' own reports,
/// the newest the server holds).
fn team_data(s: &AppState, link: &str) -> Option<Arc<TeamData>> {
    let team = s.rooms.slot(link).map(|r| r.team())?;
    s.team_recent(&team, crate::web::refresh::today()).ok()
}

/// `POST /api/v1/rooms/ROOM/reveal` (the facilitator's): the round is stored as a round of
/// votes, then shown with its help.
pub async fn reveal(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
    // Read (and dropped): a body left unread would cost the client its keep-alive connection.
    _body: axum::body::Bytes,
) -> Response {
    let secret = secret_of(&headers, &link);
    let done = run(&state, move |s| {
        let data = team_data(s, &link);
        s.rooms.reveal(
            s.writer(),
            &link,
            secret.as_deref(),
            data.as_deref(),
            s.settings(),
            now(),
        )
    })
    .await;
    reply(done, |n| serde_json::json!({ "revealed": n }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateBody {
    story: String,
    /// The card accepted as the estimate ...
    #[serde(default)]
    card: Option<String>,
    /// ... or "split this story", with a note.
    #[serde(default)]
    split: Option<String>,
}

/// `POST /api/v1/rooms/ROOM/estimate` (the facilitator's): the decision for a story.
pub async fn estimate(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    let b: EstimateBody = match body(&headers, &bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let decision = match (b.card, b.split) {
        (Some(card), None) => Decision::Estimate { card, value: None },
        (None, Some(note)) => Decision::Split { note },
        _ => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "give either the card accepted (\"card\") or a split with its note (\"split\")",
            );
        }
    };
    let secret = secret_of(&headers, &link);
    let done = run(&state, move |s| {
        s.rooms.decide(
            s.writer(),
            &link,
            secret.as_deref(),
            (&b.story, decision),
            s.settings(),
            now(),
        )
    })
    .await;
    reply(done, |d| d)
}

/// `POST /api/v1/rooms/ROOM/close` (the facilitator's): its link takes nobody more.
pub async fn close(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
    // Read (and dropped): a body left unread would cost the client its keep-alive connection.
    _body: axum::body::Bytes,
) -> Response {
    let secret = secret_of(&headers, &link);
    let done = run(&state, move |s| {
        s.rooms
            .act(s.writer(), &link, secret.as_deref(), |room, who| {
                room.close(who, now())
            })
    })
    .await;
    reply(done, |_| serde_json::json!({ "closed": true }))
}

/// `GET /api/v1/rooms/ROOM/events`: the room as the asker sees it, at once and after every
/// change (server-sent events, `event: state`); a comment every 15 s keeps proxies from
/// closing it. Pages reconnect by themselves (the browser's `EventSource`).
pub async fn events(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(slot) = state.rooms.slot(&link) else {
        return json_error(StatusCode::NOT_FOUND, "there is no such room");
    };
    let secret = secret_of(&headers, &link);
    let rx = slot.subscribe();
    let stop = state.stopping.subscribe();
    // The state at once, then at every change, until the server stops.
    let stream =
        futures_util::stream::unfold((rx, stop, true), move |(mut rx, mut stop, first)| {
            let slot = slot.clone();
            let secret = secret.clone();
            async move {
                if !first {
                    tokio::select! {
                        changed = rx.changed() => changed.ok()?,
                        _ = stop.wait_for(|s| *s) => return None,
                    }
                }
                rx.borrow_and_update();
                let who = slot.who(secret.as_deref());
                let view = slot.room().view(who.as_ref());
                let data = serde_json::to_string(&view).unwrap_or_default();
                let event = SseEvent::default().event("state").data(data);
                Some((Ok::<_, Infallible>(event), (rx, stop, false)))
            }
        });
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /api/v1/rooms/ROOM/backlog` (the facilitator's): stories of the team to add, as the
/// store knows them: not estimated yet, estimated without the room agreeing (to estimate
/// again), and the split candidates.
pub async fn backlog(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
) -> Response {
    let secret = secret_of(&headers, &link);
    let Some(slot) = state.rooms.slot(&link) else {
        return json_error(StatusCode::NOT_FOUND, "there is no such room");
    };
    if !slot.who(secret.as_deref()).is_some_and(|p| p.facilitator) {
        return json_error(StatusCode::FORBIDDEN, "only the facilitator may do this");
    }
    let team = slot.room().team;
    match blocking(&state, move |s| s.room_backlog(&team)).await {
        Ok(b) => Json(b).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/v1/rooms/ROOM/summary`: the session's summary.
pub async fn api_summary(State(state): State<Shared>, Path(link): Path<String>) -> Response {
    match state.rooms.slot(&link) {
        Some(slot) => Json(summary(&slot.room())).into_response(),
        None => json_error(StatusCode::NOT_FOUND, "there is no such room"),
    }
}

/// `GET /rooms/ROOM/summary`.
pub async fn summary_page(
    State(state): State<Shared>,
    Path(link): Path<String>,
) -> Result<Html<String>, WebError> {
    let slot = state
        .rooms
        .slot(&link)
        .ok_or_else(|| WebError::NotFound("There is no such room.".into()))?;
    let s = summary(&slot.room());
    let json = format!("/api/v1/rooms/{link}/summary");
    blocking(&state, move |st| {
        st.page("room_summary.html", &s, minijinja::Value::from(()), json)
    })
    .await
}

/// `GET /rooms/ROOM`: the room's page (its script draws the room from its events).
pub async fn page(
    State(state): State<Shared>,
    Path(link): Path<String>,
    headers: HeaderMap,
) -> Result<Html<String>, WebError> {
    let slot = state.rooms.slot(&link).ok_or_else(|| {
        WebError::NotFound("There is no such room (or its link is mistyped).".into())
    })?;
    let who = slot.who(secret_of(&headers, &link).as_deref());
    let view = slot.room().view(who.as_ref());
    let json = format!("/api/v1/rooms/{link}");
    blocking(&state, move |s| {
        s.page(
            "room.html",
            &serde_json::json!({ "room": view, "room_link": link }),
            minijinja::Value::from(()),
            json,
        )
    })
    .await
}

/// `GET /rooms`: open a room for a team; the sessions held.
pub async fn rooms_page(State(state): State<Shared>) -> Result<Html<String>, WebError> {
    blocking(&state, |s| {
        let teams: Vec<String> = s
            .with_store(|store, _| store.teams())?
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        let sessions: Vec<serde_json::Value> = s
            .rooms
            .all()
            .iter()
            .map(|r| {
                let sm = summary(r);
                serde_json::json!({
                    "title": r.title, "team": r.team, "session": r.session,
                    "opened_at": r.opened_at.format("%Y-%m-%d %H:%M").to_string(),
                    "closed": r.closed_at.is_some(), "stories": sm.totals.stories,
                    "estimated": sm.totals.estimated, "split": sm.totals.split,
                })
            })
            .collect();
        s.page(
            "rooms.html",
            &serde_json::json!({ "teams": teams, "sessions": sessions }),
            minijinja::Value::from(()),
            "/api/v1/rooms".into(),
        )
    })
    .await
}

/// `GET /api/v1/rooms`: the sessions held (without their links, which only their participants
/// have).
pub async fn list(State(state): State<Shared>) -> Response {
    let rooms: Vec<serde_json::Value> = state
        .rooms
        .all()
        .iter()
        .map(|r| {
            serde_json::json!({
                "title": r.title, "team": r.team, "session": r.session,
                "opened_at": r.opened_at, "closed_at": r.closed_at,
                "summary": summary(r).totals,
            })
        })
        .collect();
    Json(serde_json::json!({ "rooms": rooms })).into_response()
}

/// `GET /static/room.js`.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}
