//! `POST /api/v1/reports`: the report commands of a command line on this machine, answered by
//! the server that holds the database (it alone may open the file). The body is the request
//! and how its answer is printed ([`Asked`]); the answer's first line is what the request gave
//! besides its output (notes, a report's pages) as JSON, the rest the output, byte for byte what
//! the command prints itself. It reads one snapshot of the store with the server's settings. It
//! needs an ingest token (the address file's secret is one): a command may ask for voters'
//! names, which pages never show.

use crate::present::requests::Asked;
use crate::web::error::json_error;
use crate::web::site::answer_request;
use crate::web::state::{Shared, blocking};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The route.
pub const PATH: &str = "/api/v1/reports";

pub async fn answer(State(state): State<Shared>, body: Bytes) -> Response {
    let asked: Asked = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                &format!("not a report request: {e}"),
            );
        }
    };
    let answered = blocking(&state, move |s| {
        let mut output = Vec::new();
        let answered = s.with_store(|store, _| {
            answer_request(
                store,
                s.settings(),
                &asked.request,
                asked.output,
                false,
                &mut output,
            )
        })?;
        Ok((answered, output))
    })
    .await;
    match answered {
        Ok((answered, output)) => {
            let mut body = serde_json::to_vec(&answered).unwrap_or_else(|_| b"{}".to_vec());
            body.push(b'\n');
            body.extend_from_slice(&output);
            ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response()
        }
        Err(e) => e.into_response(),
    }
}
