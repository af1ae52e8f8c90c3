//! The server as a team service: its options (flags over `[server]` in `sprintlens.toml`),
//! who may read and write ([`guard`]), request logs, and the accept loop that keeps slow or
//! idle clients from starving the others.
//!
//! - Reads are open on a loopback address; on any other address they need a read token (a
//!   `Bearer` header, or the cookie the sign-in form sets) unless `--public` says otherwise.
//!   Sending data always needs an ingest token in the `Authorization` header.
//! - A client must send its request headers within `header_timeout`; a request must be
//!   answered within `request_timeout`. Connections are capped (below the process's
//!   descriptor limit); when the cap is reached, the oldest connection that has not sent a
//!   whole request yet is closed to make room.
//! - While serving, an address file beside the database (`<db>.server`, owner-only) tells a
//!   local `sprintlens ingest` where to send its files, with a secret that lets it.

use crate::error::{Error, Result};
pub use crate::settings::{LogFormat, ServerFile};
use crate::web::tokens::{Keyring, Scope};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: String,
    /// Pages readable without a token on a non-loopback address.
    pub public: bool,
    /// The largest ingest body, bytes.
    pub max_upload: usize,
    /// The report cache's bound, bytes.
    pub cache_bytes: usize,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
    pub log_format: LogFormat,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            bind: "127.0.0.1:8080".into(),
            public: false,
            max_upload: crate::web::upload::DEFAULT_MAX_UPLOAD,
            cache_bytes: crate::web::cache::DEFAULT_CACHE_BYTES,
            header_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(120),
            max_connections: 4096,
            log_format: LogFormat::Text,
        }
    }
}

/// The most MiB an upload or the cache bound may be (1 TiB; `--max-upload-mib`, `--cache-mib`
/// and `[server]`): more wrapped around to a bound of 0 bytes.
pub const MAX_MIB: u64 = 1 << 20;
/// The longest header wait (`header_timeout_secs`), an hour.
pub const MAX_HEADER_SECS: u64 = 3600;
/// The longest request (`request_timeout_secs`), a day: a deadline past what a clock holds
/// stopped the server at its first request.
pub const MAX_REQUEST_SECS: u64 = 86_400;

/// Bytes of `m` MiB (at most [`MAX_MIB`]).
pub fn mib(m: u64) -> usize {
    usize::try_from(m.min(MAX_MIB) << 20).unwrap_or(usize::MAX)
}

impl ServeOptions {
    /// The options `[server]` in the settings gives over the defaults; values that cannot
    /// work are named.
    pub fn from_settings(f: &ServerFile) -> Result<ServeOptions> {
        let d = ServeOptions::default();
        let within = |name: &str, v: Option<u64>, most: u64| -> Result<Option<u64>> {
            match v {
                Some(n) if n == 0 || n > most => Err(Error::Usage(format!(
                    "[server] {name} = {n}: it must be between 1 and {most}"
                ))),
                v => Ok(v),
            }
        };
        Ok(ServeOptions {
            bind: f.bind.clone().unwrap_or(d.bind),
            public: f.public.unwrap_or(false),
            max_upload: within("max_upload_mib", f.max_upload_mib, MAX_MIB)?
                .map_or(d.max_upload, mib),
            cache_bytes: within("cache_mib", f.cache_mib, MAX_MIB)?.map_or(d.cache_bytes, mib),
            header_timeout: within(
                "header_timeout_secs",
                f.header_timeout_secs,
                MAX_HEADER_SECS,
            )?
            .map_or(d.header_timeout, Duration::from_secs),
            request_timeout: within(
                "request_timeout_secs",
                f.request_timeout_secs,
                MAX_REQUEST_SECS,
            )?
            .map_or(d.request_timeout, Duration::from_secs),
            max_connections: match f.max_connections {
                Some(0) => {
                    return Err(Error::Usage(
                        "[server] max_connections = 0: it must be at least 1".into(),
                    ));
                }
                Some(n) => n,
                None => d.max_connections,
            },
            log_format: f.log_format.unwrap_or_default(),
        })
    }
}

/// Who may do what on this server.
pub struct Access {
    pub keyring: Keyring,
    /// Pages and their JSON need no token (loopback, or `--public`).
    pub reads_open: bool,
    /// The server listens on loopback only: opening and running estimation rooms needs no
    /// token either.
    pub local: bool,
}

/// What an estimation room's route needs (`None`: not a room's route). The room's link is its
/// own key: joining, voting, its page, state, events and summary need no token. Opening a room,
/// the list of sessions and the facilitator's actions need a room-scope token off loopback.
fn room_needs(path: &str, method: &axum::http::Method, local: bool) -> Option<Option<Scope>> {
    let run = (!local).then_some(Scope::Room);
    if path == "/static/room.js" {
        return Some(None);
    }
    if path == "/rooms" || path == "/api/v1/rooms" {
        return Some(run);
    }
    let rest = path
        .strip_prefix("/api/v1/rooms/")
        .or_else(|| path.strip_prefix("/rooms/"))?;
    let action = rest.split_once('/').map_or("", |(_, a)| a);
    let facilitators = [
        "stories", "deck", "rounds", "reveal", "estimate", "close", "backlog",
    ];
    let _ = method;
    Some(if facilitators.contains(&action) {
        run
    } else {
        None
    })
}

const COOKIE: &str = "sprintlens_token";

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim())
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// What a route needs: `None` is open to everyone. `HEAD` reads as `GET` does (monitors and
/// link checkers use it: `HEAD /healthz` answered 401). Only the ingest and round routes take
/// writes (and `/sign-in`, open); any other method elsewhere goes to the router unguarded, which
/// answers 405 with the methods the page has (or 404): nothing behind it writes.
fn needs(path: &str, method: &axum::http::Method, reads_open: bool) -> Option<Scope> {
    let reads = method == axum::http::Method::GET || method == axum::http::Method::HEAD;
    let writes_here = matches!(
        path,
        "/api/v1/ingest" | "/api/v1/rounds" | crate::web::reports::PATH
    );
    if !reads {
        return writes_here.then_some(Scope::Ingest);
    }
    if path == "/api/v1/ingest" {
        return Some(Scope::Ingest);
    }
    if matches!(path, "/healthz" | "/readyz" | "/sign-in" | "/favicon.ico") || reads_open {
        return None;
    }
    Some(Scope::Read)
}

/// A refusal: JSON under `/api`, the sign-in page elsewhere.
fn refused(path: &str, status: StatusCode, message: &str) -> Response {
    let mut r = if crate::web::error::is_api(path) {
        crate::web::error::json_error(status, message)
    } else {
        (status, sign_in_page(Some(message))).into_response()
    };
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"sprintlens\""),
        );
    }
    r
}

fn sign_in_page(message: Option<&str>) -> Html<String> {
    thread_local! {
        static ENV: minijinja::Environment<'static> =
            crate::web::templates::templates(crate::web::templates::Links::Server);
    }
    Html(ENV.with(|env| {
        env.get_template("sign_in.html")
            .and_then(|t| t.render(minijinja::context! { message => message }))
            .unwrap_or_else(|_| "sign in".into())
    }))
}

/// Lets a request through when its token allows the route; logs refused tokens (by name or
/// as unknown, never the secret).
pub async fn guard(State(access): State<Arc<Access>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let need = match room_needs(&path, req.method(), access.local) {
        Some(n) => n,
        None => needs(&path, req.method(), access.reads_open),
    };
    let Some(need) = need else {
        return next.run(req).await;
    };
    // What a token opens is kept by no cache (`Cache-Control: no-store`, see `headers`).
    let mut res = checked(&access, need, &path, req, next).await;
    res.extensions_mut()
        .insert(crate::web::headers::NeededToken);
    res
}

/// The guard's check of a route that needs `need`.
async fn checked(access: &Access, need: Scope, path: &str, req: Request, next: Next) -> Response {
    let path = path.to_string();
    // A round event signed by a source is checked by its handler (it needs the body).
    if path == "/api/v1/rounds" && req.headers().contains_key(crate::web::rounds::SIGNATURE) {
        return next.run(req).await;
    }
    // Writes take the header only: a cookie rides along on requests other sites start. A
    // room's page acts with the sign-in cookie (SameSite=Strict, and its actions are JSON,
    // which a form on another site cannot send).
    let secret = bearer(req.headers()).or_else(|| {
        (need <= Scope::Room)
            .then(|| cookie(req.headers()))
            .flatten()
    });
    let Some(secret) = secret else {
        return refused(
            &path,
            StatusCode::UNAUTHORIZED,
            &format!("This needs a token with the {} scope.", need.name()),
        );
    };
    match access.keyring.check(secret) {
        None => {
            tracing::warn!(path = %path, "refused an unknown or revoked token");
            refused(
                &path,
                StatusCode::UNAUTHORIZED,
                "That token is not known here (or was revoked).",
            )
        }
        Some((scope, name)) if scope < need => {
            tracing::warn!(path = %path, token = %name, scope = scope.name(), "refused a token without the scope");
            refused(
                &path,
                StatusCode::FORBIDDEN,
                &format!(
                    "The token \"{name}\" has the {} scope; this needs {}.",
                    scope.name(),
                    need.name()
                ),
            )
        }
        Some(_) => next.run(req).await,
    }
}

/// `GET /sign-in`: the form.
pub async fn sign_in_form() -> Html<String> {
    sign_in_page(None)
}

#[derive(Deserialize)]
pub struct SignIn {
    token: String,
}

/// `POST /sign-in`: a known token becomes a cookie of this browser.
pub async fn sign_in(
    State(access): State<Arc<Access>>,
    axum::Form(form): axum::Form<SignIn>,
) -> Response {
    let secret = form.token.trim();
    match access.keyring.check(secret) {
        Some(_)
            if secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            let mut r = axum::response::Redirect::to("/").into_response();
            r.extensions_mut().insert(crate::web::headers::NeededToken);
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000"
            )) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        _ => {
            tracing::warn!("refused a sign-in with an unknown token");
            let mut r = (
                StatusCode::UNAUTHORIZED,
                sign_in_page(Some("That token is not known here (or was revoked).")),
            )
                .into_response();
            r.extensions_mut().insert(crate::web::headers::NeededToken);
            r
        }
    }
}

/// One line per request: method, path (no query: it may carry names), status, milliseconds.
/// A request that takes longer than the timeout is answered 503.
pub async fn log_and_limit(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    let t0 = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let response = match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The request took too long and was stopped.",
        )
            .into_response(),
    };
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        ms = (t0.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
        "request"
    );
    response
}

/// Starts the request log on stderr (once per process).
pub fn start_logs(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// What the address file says: where the server listens, its process, and the secret a
/// local `sprintlens ingest` sends its files with.
#[derive(Debug, Serialize, Deserialize)]
pub struct Address {
    pub url: String,
    pub pid: u32,
    pub secret: String,
}

/// The address file of a database.
pub fn address_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".server");
    PathBuf::from(p)
}

/// The address a local client reaches `addr` by (a wildcard address becomes loopback).
fn local_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v) if v.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(v) if v.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V6(v) => format!("[{v}]"),
        std::net::IpAddr::V4(v) => v.to_string(),
    };
    format!("http://{ip}:{}", addr.port())
}

/// The address file, removed when the server stops.
pub struct AddressFile(PathBuf);

impl AddressFile {
    pub fn write(db: &Path, addr: SocketAddr, secret: &str) -> Result<AddressFile> {
        let path = address_path(db);
        let a = Address {
            url: local_url(addr),
            pid: std::process::id(),
            secret: secret.to_string(),
        };
        let json = serde_json::to_vec(&a).map_err(|e| Error::Internal(e.to_string()))?;
        crate::web::tokens::write_private(&path, &json)?;
        Ok(AddressFile(path))
    }
}

impl Drop for AddressFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Raises the soft descriptor limit to the hard one; returns the soft limit in force.
fn descriptor_limit() -> usize {
    #[cfg(unix)]
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 {
            if r.rlim_cur < r.rlim_max {
                let want = libc::rlimit {
                    rlim_cur: r.rlim_max.min(1 << 20),
                    rlim_max: r.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                    r.rlim_cur = want.rlim_cur;
                }
            }
            return r.rlim_cur as usize;
        }
    }
    1024
}

/// A connection as the accept loop tracks it.
struct Conn {
    opened: Instant,
    /// Set once a whole request arrived on it.
    served: Arc<AtomicBool>,
    close: Arc<tokio::sync::Notify>,
}

/// Serves `app` on `listener` until `stop` resolves, then lets requests in flight finish
/// (an ingest among them) for up to 60 seconds.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    options: &ServeOptions,
    stop: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    // Room for the store's files, logs and the blocking pool beside the connections.
    let cap = options
        .max_connections
        .min(descriptor_limit().saturating_sub(64).max(8));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_buf_size(64 * 1024);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let conns: Arc<std::sync::Mutex<std::collections::HashMap<u64, Conn>>> = Default::default();
    let mut next_id = 0u64;
    tokio::pin!(stop);
    loop {
        // At the cap: close the oldest connection that has not sent a whole request.
        let live = conns.lock().map(|c| c.len()).unwrap_or(0);
        if live >= cap {
            let victim = conns.lock().ok().and_then(|c| {
                c.iter()
                    .filter(|(_, k)| !k.served.load(Ordering::Relaxed))
                    .min_by_key(|(_, k)| k.opened)
                    .map(|(_, k)| k.close.clone())
            });
            match victim {
                Some(v) => v.notify_one(),
                None => {
                    // Every connection is busy with real requests: wait for one to end.
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(20)) => continue,
                        _ = &mut stop => break,
                    }
                }
            }
            tokio::task::yield_now().await;
            if conns.lock().map(|c| c.len()).unwrap_or(0) >= cap {
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
        }
        let (stream, _peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    // Out of descriptors or a connection gone before it was taken: go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let id = next_id;
        next_id += 1;
        let served = Arc::new(AtomicBool::new(false));
        let close = Arc::new(tokio::sync::Notify::new());
        if let Ok(mut c) = conns.lock() {
            c.insert(
                id,
                Conn {
                    opened: Instant::now(),
                    served: served.clone(),
                    close: close.clone(),
                },
            );
        }
        let marked = served.clone();
        let service = tower::ServiceBuilder::new()
            .map_request(move |r: Request<hyper::body::Incoming>| {
                marked.store(true, Ordering::Relaxed);
                r.map(axum::body::Body::new)
            })
            .service(app.clone());
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        let registry = conns.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = conn => {}
                _ = close.notified() => {}
            }
            if let Ok(mut c) = registry.lock() {
                c.remove(&id);
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(60)) => {
            tracing::warn!("requests still running after 60 s; stopping anyway");
        }
    }
}

/// Whether an address is loopback only.
pub fn is_loopback(addr: SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// The process is asked to stop: Ctrl-C or SIGTERM (systemd, docker).
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_need_the_scope_they_say() {
        use axum::http::Method;
        assert_eq!(
            needs("/api/v1/ingest", &Method::POST, true),
            Some(Scope::Ingest)
        );
        assert_eq!(needs("/teams/a", &Method::GET, true), None);
        assert_eq!(needs("/teams/a", &Method::GET, false), Some(Scope::Read));
        assert_eq!(needs("/healthz", &Method::GET, false), None);
        assert_eq!(needs("/sign-in", &Method::POST, false), None);
        // A write to a page is the router's 405, whoever asks.
        assert_eq!(needs("/teams/a", &Method::POST, false), None);
        assert_eq!(
            needs("/api/v1/rounds", &Method::POST, true),
            Some(Scope::Ingest)
        );
        assert_eq!(needs("/healthz", &Method::HEAD, false), None);
        assert_eq!(needs("/favicon.ico", &Method::GET, false), None);
        assert_eq!(needs("/teams/a", &Method::HEAD, true), None);
        assert_eq!(needs("/teams/a", &Method::HEAD, false), Some(Scope::Read));
        assert_eq!(needs("/teams/a", &Method::DELETE, false), None);
        assert_eq!(
            needs("/api/v1/ingest", &Method::PUT, true),
            Some(Scope::Ingest)
        );
        assert_eq!(
            needs("/api/v1/ingest", &Method::GET, true),
            Some(Scope::Ingest)
        );
    }

    #[test]
    fn a_room_is_open_to_its_link_and_run_with_a_room_token_off_loopback() {
        use axum::http::Method;
        let n = |p: &str, local: bool| room_needs(p, &Method::POST, local);
        assert_eq!(n("/api/v1/rooms", false), Some(Some(Scope::Room)));
        assert_eq!(n("/api/v1/rooms", true), Some(None));
        assert_eq!(n("/rooms", false), Some(Some(Scope::Room)));
        assert_eq!(n("/rooms/sl_x", false), Some(None));
        assert_eq!(n("/api/v1/rooms/sl_x/join", false), Some(None));
        assert_eq!(n("/api/v1/rooms/sl_x/votes", false), Some(None));
        assert_eq!(n("/api/v1/rooms/sl_x/events", false), Some(None));
        assert_eq!(
            n("/api/v1/rooms/sl_x/reveal", false),
            Some(Some(Scope::Room))
        );
        assert_eq!(n("/api/v1/rooms/sl_x/reveal", true), Some(None));
        assert_eq!(
            n("/api/v1/rooms/sl_x/backlog", false),
            Some(Some(Scope::Room))
        );
        assert_eq!(n("/teams/a", false), None);
        assert!(Scope::Ingest > Scope::Room && Scope::Room > Scope::Read);
    }

    #[test]
    fn tokens_come_from_the_header_or_the_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer sl_abc"),
        );
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; sprintlens_token=sl_def"),
        );
        assert_eq!(bearer(&h), Some("sl_abc"));
        assert_eq!(cookie(&h), Some("sl_def"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic x"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn settings_give_options_and_name_what_cannot_work() {
        let f: ServerFile = toml::from_str(
            "bind = \"0.0.0.0:9000\"\nmax_upload_mib = 8\ncache_mib = 32\nlog_format = \"json\"",
        )
        .unwrap();
        let o = ServeOptions::from_settings(&f).unwrap();
        assert_eq!(o.bind, "0.0.0.0:9000");
        assert_eq!(o.max_upload, 8 << 20);
        assert_eq!(o.cache_bytes, 32 << 20);
        assert_eq!(o.log_format, LogFormat::Json);
        assert_eq!(o.header_timeout, Duration::from_secs(5));
        let bad: ServerFile = toml::from_str("cache_mib = 0").unwrap();
        assert!(
            ServeOptions::from_settings(&bad)
                .unwrap_err()
                .to_string()
                .contains("cache_mib")
        );
        for (text, said) in [
            (
                "request_timeout_secs = 18446744073709551615",
                "[server] request_timeout_secs = 18446744073709551615: it must be between 1 and 86400",
            ),
            (
                "header_timeout_secs = 3601",
                "[server] header_timeout_secs = 3601: it must be between 1 and 3600",
            ),
            (
                "max_upload_mib = 17592186044416",
                "[server] max_upload_mib = 17592186044416: it must be between 1 and 1048576",
            ),
        ] {
            let bad: ServerFile = toml::from_str(text).unwrap();
            let e = ServeOptions::from_settings(&bad).unwrap_err().to_string();
            assert!(e.contains(said), "{text}: {e}");
        }
        let most: ServerFile = toml::from_str(
            "max_upload_mib = 1048576\nrequest_timeout_secs = 86400\nheader_timeout_secs = 3600",
        )
        .unwrap();
        let o = ServeOptions::from_settings(&most).unwrap();
        assert_eq!(o.max_upload, 1 << 40);
        assert_eq!(o.request_timeout, Duration::from_secs(86_400));
        assert!(toml::from_str::<ServerFile>("port = 1").is_err());
        assert_eq!(
            local_url("0.0.0.0:80".parse().unwrap()),
            "http://127.0.0.1:80"
        );
    }
}
