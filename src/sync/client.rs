//! A polite HTTP client for a tracker's API: one authorisation header, JSON answers, a bounded
//! number of retries (429 after its `Retry-After`, 5xx and lost connections after a growing
//! pause), and errors that name the request but never the credentials.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How a site is asked: its address, the `Authorization` header, and how often to retry.
pub struct Client {
    http: reqwest::Client,
    base: String,
    /// The whole header value (`Basic ...` or `Bearer ...`); never printed.
    authorization: String,
    /// What the credentials are called in messages (where to fix them).
    credentials: String,
    pub retry: Retry,
    /// Requests answered so far (for the progress line and the summary).
    pub requests: AtomicUsize,
    /// What the run is reading now, and how far: (what, done, of how many; 0: not known).
    stage: std::sync::Mutex<(String, usize, usize)>,
}

/// Retries: a 429 waits what `Retry-After` says (at most `max_wait`), a 5xx or a lost
/// connection waits `first_pause`, doubled each time; at most `attempts` tries in all.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first_pause: Duration,
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            attempts: 5,
            first_pause: Duration::from_millis(500),
            max_wait: Duration::from_secs(120),
        }
    }
}

impl Client {
    pub fn new(base: &str, authorization: String, credentials: &str) -> Result<Client> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("sprintlens/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| Error::Internal(format!("making the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            authorization,
            credentials: credentials.to_string(),
            retry: Retry::default(),
            requests: AtomicUsize::new(0),
            stage: std::sync::Mutex::new((String::new(), 0, 0)),
        })
    }

    /// Says what the run reads now, of how many (0: not known yet).
    pub fn stage(&self, what: &str, total: usize) {
        if let Ok(mut s) = self.stage.lock() {
            *s = (what.to_string(), 0, total);
        }
    }

    /// One more of the stage's items read.
    pub fn step(&self) {
        if let Ok(mut s) = self.stage.lock() {
            s.1 += 1;
        }
    }

    /// The progress line: a bar where the stage's total is known, and the requests answered.
    pub fn progress(&self) -> String {
        let requests = self.requests.load(Ordering::Relaxed);
        let Ok(s) = self.stage.lock() else {
            return String::new();
        };
        let (what, done, total) = (&s.0, s.1, s.2);
        if total == 0 {
            return format!("jira: {what} ({requests} requests)");
        }
        let filled = (done.min(total) * 20) / total;
        format!(
            "jira: [{}{}] {what} {done}/{total} ({requests} requests)",
            "#".repeat(filled),
            ".".repeat(20 - filled)
        )
    }

    /// GET `path` (with its query) and its JSON answer. `Ok(None)` for a 404 where
    /// `missing_ok` (an endpoint a site may not have).
    pub async fn get(&self, path: &str, missing_ok: bool) -> Result<Option<serde_json::Value>> {
        let url = format!("{}{path}", self.base);
        let failed = |what: String| Error::Usage(format!("sync: GET {path}: {what}"));
        let mut pause = self.retry.first_pause;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.retry.attempts;
            let sent = self
                .http
                .get(&url)
                .header("Authorization", &self.authorization)
                .header("Accept", "application/json")
                .send()
                .await;
            let answer = match sent {
                Ok(a) => a,
                Err(e) => {
                    if last {
                        return Err(failed(format!(
                            "no answer after {attempt} tries ({})",
                            without_url(&e)
                        )));
                    }
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    continue;
                }
            };
            let status = answer.status().as_u16();
            match status {
                200..=299 => {
                    let body = answer.bytes().await.map_err(|e| {
                        failed(format!("the answer broke off ({})", without_url(&e)))
                    })?;
                    self.requests.fetch_add(1, Ordering::Relaxed);
                    return serde_json::from_slice(&body)
                        .map(Some)
                        .map_err(|e| failed(format!("the answer is not JSON ({e})")));
                }
                429 => {
                    let wait = answer
                        .headers()
                        .get("Retry-After")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs)
                        .unwrap_or(pause);
                    if last || wait > self.retry.max_wait {
                        return Err(failed(format!(
                            "429 Too Many Requests: the site limits requests (Retry-After {}s, \
                             {attempt} tries); run again later or lower sync.jira.concurrency",
                            wait.as_secs()
                        )));
                    }
                    tokio::time::sleep(wait).await;
                }
                401 | 403 => {
                    return Err(failed(format!(
                        "{status} {}: the site refused the credentials; check {}",
                        if status == 401 {
                            "Unauthorized"
                        } else {
                            "Forbidden"
                        },
                        self.credentials
                    )));
                }
                404 if missing_ok => return Ok(None),
                500..=599 => {
                    if last {
                        return Err(failed(format!(
                            "{status} from the site after {attempt} tries"
                        )));
                    }
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                _ => {
                    let body = answer.text().await.unwrap_or_default();
                    let body: String = body.chars().take(200).collect();
                    return Err(failed(format!("{status}: {}", body.trim())));
                }
            }
        }
    }
}

/// A transport error's words without the address (which the message names already).
fn without_url(e: &reqwest::Error) -> String {
    let mut words = e.to_string();
    if let Some(u) = e.url() {
        words = words.replace(u.as_str(), "").replace(" ()", "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        words = format!("{words}: {s}");
        source = s.source();
    }
    words
}

/// `Basic base64(user:secret)`.
pub fn basic(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        crate::domain::secret::base64(format!("{user}:{secret}").as_bytes())
    )
}

/// A query value, percent-encoded.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_authorisation_is_base64_of_user_and_secret() {
        // RFC 7617's example.
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(enc("sprint in (1, 2)"), "sprint%20in%20%281%2C%202%29");
    }

    #[test]
    fn the_progress_line_is_a_bar_where_the_total_is_known() {
        let c = Client::new("http://127.0.0.1:9", "Bearer t".into(), "the token").unwrap();
        c.stage("board 7: issues", 0);
        assert_eq!(c.progress(), "jira: board 7: issues (0 requests)");
        c.stage("board 7: changelogs", 4);
        c.step();
        c.step();
        c.requests.fetch_add(3, Ordering::Relaxed);
        assert_eq!(
            c.progress(),
            "jira: [##########..........] board 7: changelogs 2/4 (3 requests)"
        );
    }
}
