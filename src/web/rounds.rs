//! `POST /api/v1/rounds`: live capture, one `round.revealed` event per reveal (the schema is
//! `docs/round-revealed.schema.json`, served at `/api/v1/rounds/schema`). HTTP only: the
//! handler checks the media type and a source's signature, parses and checks the event
//! ([`crate::ingest::rounds`]) and hands it to the store's one writer as a typed job; the
//! answer comes back from the writer.

use crate::error::{Problem, shown};
use crate::ingest::rounds::{RoundJob, SCHEMA, Stored, check};
use crate::store::writer::Refused as WriterRefused;
use crate::web::sources::{Refused, Signers};
use crate::web::state::Shared;
use crate::web::upload::{Refusal, refuse};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use std::sync::Arc;

/// How far a signed event's `revealed_at` may be from the server's clock.
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// What the round route holds: the server's state (its writer) and the signing sources.
pub struct Rounds {
    state: Shared,
    signers: Signers,
}

impl Rounds {
    pub fn new(state: Shared) -> Arc<Rounds> {
        let signers = Signers::new(state.db());
        Arc::new(Rounds { state, signers })
    }
}

/// The header that carries a source's signature.
pub const SIGNATURE: &str = "x-sprintlens-signature";
/// The header that names the signing source.
pub const SOURCE: &str = "x-sprintlens-source";

/// `POST /api/v1/rounds`.
pub async fn post_round(
    State(rounds): State<Arc<Rounds>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the event as application/json",
        );
    }
    // Signed by a source (the access guard let it through only with a signature header), or
    // sent with an ingest token (checked by the guard).
    let signed = headers.get(SIGNATURE).and_then(|v| v.to_str().ok());
    if let Some(sig) = signed {
        let source = headers
            .get(SOURCE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        match rounds.signers.verify(source, sig, &body) {
            Ok(()) => {}
            Err(why) => {
                tracing::warn!(source = %shown(source), reason = ?why, "refused a signed round event");
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    match why {
                        Refused::UnknownSource => {
                            "unknown source (X-Sprintlens-Source); add it with `sprintlens source add NAME`"
                        }
                        Refused::BadSignature => "the signature does not match the body",
                    },
                );
            }
        }
    }
    let event = match check(&body) {
        Ok(e) => e,
        Err(wrong) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(Refusal {
                    error: format!(
                        "the event is refused, nothing was stored: {}",
                        wrong.join("; ")
                    ),
                    problems: wrong
                        .iter()
                        .map(|w| Problem::file("round.revealed", w.clone()))
                        .collect(),
                    total: wrong.len(),
                }),
            )
                .into_response();
        }
    };
    if signed.is_some() {
        let skew = (chrono::Utc::now() - event.revealed_at).num_seconds().abs();
        if skew > REPLAY_WINDOW_SECS {
            return refuse(
                StatusCode::UNAUTHORIZED,
                format!(
                    "revealed_at is {skew} s away from the server's clock; signed events are taken \
                     within {REPLAY_WINDOW_SECS} s (send older ones with an ingest token)"
                ),
            );
        }
    }
    let (reply, answer) = tokio::sync::oneshot::channel::<crate::error::Result<Stored>>();
    let job = RoundJob {
        event,
        settings: rounds.state.settings().clone(),
        reply: Box::new(move |r| {
            let _ = reply.send(r);
        }),
    };
    match rounds.state.writer().try_submit(Box::new(job)) {
        Ok(()) => {}
        Err(WriterRefused::Busy) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many events waiting; send it again shortly",
            );
        }
        Err(WriterRefused::Stopped) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the store's writer stopped",
            );
        }
    }
    match answer.await {
        Ok(Ok(stored)) => Json(stored).into_response(),
        Ok(Err(e)) => {
            let (status, refusal) = Refusal::from_error(e);
            (status, Json(refusal)).into_response()
        }
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the store's writer stopped",
        ),
    }
}

/// `GET /api/v1/rounds/schema`.
pub async fn schema() -> Response {
    ([(header::CONTENT_TYPE, "application/schema+json")], SCHEMA).into_response()
}
