//! Access tokens: named secrets with a scope, kept as SHA-256 hashes in a file beside the
//! database (`<db>.tokens`, readable by its owner only). `sprintlens token add` prints a
//! secret once; the server re-reads the file when it changes, so a revoked token stops
//! working at once without a restart. The secret itself is never stored or logged.

use crate::error::{Error, Result};
pub use crate::web::keyfile::write_private;
use crate::web::keyfile::{self, Watched, beside};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a token may do. Each scope includes the ones below it: admin > ingest > room > read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read the pages and their JSON.
    Read,
    /// Also open and run estimation rooms (`POST /api/v1/rooms`, the facilitator's actions).
    Room,
    /// Also send data (`POST /api/v1/ingest`).
    Ingest,
    /// Everything.
    Admin,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s.to_ascii_lowercase().as_str() {
            "read" => Some(Scope::Read),
            "room" => Some(Scope::Room),
            "ingest" => Some(Scope::Ingest),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Room => "room",
            Scope::Ingest => "ingest",
            Scope::Admin => "admin",
        }
    }
}

/// One stored token: its name, scope, the hash of its secret and when it was made.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Token {
    pub name: String,
    pub scope: Scope,
    pub sha256: String,
    pub created: String,
}

/// The tokens file of a database.
pub fn tokens_path(db: &Path) -> PathBuf {
    beside(db, ".tokens")
}

/// The tokens in the file (none when there is no file).
pub fn load(path: &Path) -> Result<Vec<Token>> {
    keyfile::load(path, "tokens")
}

fn save(path: &Path, tokens: &[Token]) -> Result<()> {
    keyfile::save(path, tokens, "tokens")
}

pub use crate::domain::secret::{constant_time_eq, hash, new_secret};

/// The stored token a presented secret belongs to. Every stored hash is compared, whatever
/// matched before.
pub fn find<'a>(tokens: &'a [Token], secret: &str) -> Option<&'a Token> {
    let h = hash(secret);
    let mut found = None;
    for t in tokens {
        if constant_time_eq(t.sha256.as_bytes(), h.as_bytes()) {
            found = Some(t);
        }
    }
    found
}

/// A token's or a signing source's name (`what`: "token", "source"): 1 to 64 letters, digits,
/// '-', '_' or '.'.
pub fn check_name(what: &str, name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(Error::Usage(format!(
            "{what} name \"{}\": use 1 to 64 letters, digits, '-', '_' or '.'",
            crate::error::shown(name)
        )));
    }
    Ok(())
}

/// Adds a token; returns its secret (shown once, never stored).
pub fn add(db: &Path, name: &str, scope: Scope) -> Result<String> {
    check_name("token", name)?;
    let path = tokens_path(db);
    let mut tokens = load(&path)?;
    if tokens.iter().any(|t| t.name == name) {
        return Err(Error::Usage(format!(
            "there is already a token \"{name}\"; revoke it first or choose another name"
        )));
    }
    let secret = new_secret()?;
    tokens.push(Token {
        name: name.to_string(),
        scope,
        sha256: hash(&secret),
        created: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    });
    save(&path, &tokens)?;
    Ok(secret)
}

/// Removes a token; the server refuses it from its next request on.
pub fn revoke(db: &Path, name: &str) -> Result<()> {
    let path = tokens_path(db);
    let mut tokens = load(&path)?;
    let before = tokens.len();
    tokens.retain(|t| t.name != name);
    if tokens.len() == before {
        return Err(Error::Usage(format!(
            "there is no token \"{}\" ({})",
            crate::error::shown(name),
            if before == 0 {
                "there are none".to_string()
            } else {
                format!(
                    "there are: {}",
                    load(&path)?
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )));
    }
    save(&path, &tokens)
}

/// The tokens as the server sees them: the file, re-read when it changes.
pub struct Keyring {
    tokens: Watched<Token>,
    /// The server's own secret for a local `sprintlens ingest` (in the address file).
    local: Option<String>,
}

impl Keyring {
    pub fn new(db: &Path, local: Option<String>) -> Keyring {
        Keyring {
            tokens: Watched::new(tokens_path(db), "tokens"),
            local,
        }
    }

    /// The scope and name a secret grants, if any.
    pub fn check(&self, secret: &str) -> Option<(Scope, String)> {
        let tokens = self.tokens.current();
        let stored = find(&tokens, secret).map(|t| (t.scope, t.name.clone()));
        let local = self
            .local
            .as_deref()
            .is_some_and(|l| constant_time_eq(hash(l).as_bytes(), hash(secret).as_bytes()));
        stored.or_else(|| local.then(|| (Scope::Ingest, "local".to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_kept_as_hashes_and_revoked_ones_stop_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.duckdb");
        let secret = add(&db, "nightly", Scope::Ingest).unwrap();
        assert!(secret.starts_with("sl_") && secret.len() == 67, "{secret}");
        let file = std::fs::read_to_string(tokens_path(&db)).unwrap();
        assert!(!file.contains(&secret[3..]), "the secret is not stored");
        assert!(file.contains(&hash(&secret)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(tokens_path(&db))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(add(&db, "nightly", Scope::Read).is_err());
        assert!(add(&db, "bad name", Scope::Read).is_err());
        let ring = Keyring::new(&db, Some("local-secret".into()));
        assert_eq!(
            ring.check(&secret),
            Some((Scope::Ingest, "nightly".to_string()))
        );
        assert_eq!(ring.check("sl_wrong"), None);
        assert_eq!(
            ring.check("local-secret"),
            Some((Scope::Ingest, "local".to_string()))
        );
        let reader = add(&db, "wall", Scope::Read).unwrap();
        assert_eq!(ring.check(&reader), Some((Scope::Read, "wall".into())));
        revoke(&db, "nightly").unwrap();
        assert_eq!(ring.check(&secret), None);
        assert!(revoke(&db, "nightly").is_err());
        assert!(Scope::Admin > Scope::Ingest && Scope::Ingest > Scope::Read);
    }

    #[test]
    fn comparison_needs_every_byte() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
