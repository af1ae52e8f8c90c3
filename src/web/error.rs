//! What a handler can fail with, as the visitor sees it: a 404 or 400 page with the reason, or
//! a 500 page with no internals (the cause chain goes to the server's log).

use crate::error::Error;
use crate::web::templates::{Links, templates};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;

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
