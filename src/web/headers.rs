//! The headers every answer carries, whatever route, status or refusal made it:
//!
//! - `Content-Security-Policy`: nothing loads but the page's own scripts, styles and requests
//!   (`'self'`); the one inline style block (templates/base.html) is allowed by its hash, no
//!   inline script is; no page may be framed, no form posts elsewhere, no `<base>` moves links;
//! - `X-Content-Type-Options: nosniff`: a JSON answer carrying a user's text is never read as a
//!   page;
//! - `X-Frame-Options: DENY` for browsers that predate `frame-ancestors`;
//! - `Referrer-Policy: no-referrer`: a link followed from a page never tells where it came from
//!   (a room's link or a token in a query must not leak in a `Referer`);
//! - `Cache-Control: no-store` on answers to routes that need a token here (the guard marks
//!   them), so that no shared cache or back button keeps what a token opened.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The page head's style block, as the base template holds it.
const BASE: &str = include_str!("../../templates/base.html");

/// A response extension set by the guard on answers to routes that needed a token.
#[derive(Debug, Clone, Copy)]
pub struct NeededToken;

/// The text of the base template's `<style>` element, byte for byte as every page has it.
pub fn style_block() -> &'static str {
    let start = BASE.find("<style>").map(|i| i + "<style>".len());
    let end = BASE.find("</style>");
    match (start, end) {
        (Some(s), Some(e)) if s <= e => &BASE[s..e],
        _ => "",
    }
}

/// The policy every answer carries.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = crate::domain::secret::base64(&Sha256::digest(style_block().as_bytes()));
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self' 'sha256-{hash}'; \
             img-src 'self' data:; connect-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

/// Adds the headers to every answer (the outermost layer: refusals and 404s included).
pub async fn secure(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let csp = HeaderValue::from_str(content_security_policy()).expect("the policy is plain ASCII");
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if res.extensions().get::<NeededToken>().is_some() {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_style_block_by_its_hash() {
        let style = style_block();
        assert!(style.contains("body {"), "{style}");
        // sha256 of the block, as a browser computes it over the element's text.
        let hash = crate::domain::secret::base64(&Sha256::digest(style.as_bytes()));
        assert_eq!(hash.len(), 44);
        let csp = content_security_policy();
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
}
