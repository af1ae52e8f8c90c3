//! What a handler can fail with, as the visitor sees it: a 404 or 400 page with the reason, or
//! a 500 page with no internals (the cause chain goes to the server's log); under `/api/` the
//! same as JSON.

use crate::error::Error;
use crate::web::templates::{Links, templates};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;

/// What a handler can fail with; internals never reach the page.
pub enum WebError {
    NotFound(String),
    BadRequest(String),
    /// The page is there, not for this method (the router adds the `Allow` header).
    MethodNotAllowed(String),
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

/// Whether a path is the JSON API's (its errors are JSON, not pages).
pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The message of an error page, kept on the response for its JSON twin.
#[derive(Clone)]
struct ErrorMessage(String);

/// Under `/api/`, an error is JSON like the data it stands for (`{"error": "..."}`, the same
/// status): a client reading JSON gets JSON, not the error page.
pub async fn api_errors_as_json(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = is_api(req.uri().path());
    let res = next.run(req).await;
    match res.extensions().get::<ErrorMessage>() {
        Some(ErrorMessage(m)) if api => json_error(res.status(), m),
        // The framework's own refusals (a body over the limit: "Failed to buffer the request
        // body: length limit exceeded") are plain text: JSON like every other API error.
        _ if api && res.status().is_client_error() && is_plain_text(&res) => {
            let (parts, body) = res.into_parts();
            let text = axum::body::to_bytes(body, 64 << 10)
                .await
                .unwrap_or_default();
            let mut json = json_error(parts.status, String::from_utf8_lossy(&text).trim());
            for name in [
                axum::http::header::ALLOW,
                axum::http::header::WWW_AUTHENTICATE,
            ] {
                if let Some(v) = parts.headers.get(&name) {
                    json.headers_mut().insert(name, v.clone());
                }
            }
            json
        }
        _ => res,
    }
}

/// An API error: `{"error": message}` with its status.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

fn is_plain_text(res: &Response) -> bool {
    res.headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"))
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
    let mut res = (status, Html(body)).into_response();
    res.extensions_mut()
        .insert(ErrorMessage(message.to_string()));
    res
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::NotFound(m) => error_page(StatusCode::NOT_FOUND, &m),
            WebError::BadRequest(m) => error_page(StatusCode::BAD_REQUEST, &m),
            WebError::MethodNotAllowed(m) => error_page(StatusCode::METHOD_NOT_ALLOWED, &m),
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
