//! Query parameters as the server takes them: each named at most once.

use crate::error::shown;
use crate::web::error::WebError;
use axum::extract::Query;
use std::collections::HashMap;

/// A request's query parameters, each given at most once: `?as_of=A&as_of=B` is a 400 rather
/// than a silent choice of one.
pub struct Q(pub HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Q {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, WebError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| WebError::BadRequest(format!("the query: {}", e.body_text())))?;
        let mut q = HashMap::with_capacity(pairs.len());
        for (k, v) in pairs {
            if q.insert(k.clone(), v).is_some() {
                return Err(WebError::BadRequest(format!(
                    "the parameter \"{}\" is given more than once",
                    shown(&k)
                )));
            }
        }
        Ok(Q(q))
    }
}
