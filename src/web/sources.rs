//! Signing sources: poker tools that post round events signed with a shared secret instead of
//! sending a token. `sprintlens source add NAME` makes the secret (printed once); it is kept in
//! `<db>.sources` beside the database, readable by its owner only (an HMAC needs the secret
//! itself, so this file holds secrets: guard it like a password file). A request names its
//! source in `X-Sprintlens-Source` and signs its raw body:
//! `X-Sprintlens-Signature: sha256=<hex of HMAC-SHA256(secret, body)>`.

use crate::error::{Error, Result};
use crate::web::keyfile::{self, Watched, beside};
use crate::web::tokens::{constant_time_eq, new_secret};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Source {
    pub name: String,
    pub secret: String,
    pub created: String,
}

pub fn sources_path(db: &Path) -> PathBuf {
    beside(db, ".sources")
}

pub fn load(path: &Path) -> Result<Vec<Source>> {
    keyfile::load(path, "sources")
}

fn save(path: &Path, sources: &[Source]) -> Result<()> {
    keyfile::save(path, sources, "sources")
}

/// Adds a source; returns its secret.
pub fn add(db: &Path, name: &str) -> Result<String> {
    crate::web::tokens::check_name("source", name)?;
    let path = sources_path(db);
    let mut sources = load(&path)?;
    if sources.iter().any(|s| s.name == name) {
        return Err(Error::Usage(format!(
            "there is already a source \"{name}\"; remove it first or choose another name"
        )));
    }
    let secret = new_secret()?;
    sources.push(Source {
        name: name.to_string(),
        secret: secret.clone(),
        created: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    });
    save(&path, &sources)?;
    Ok(secret)
}

pub fn remove(db: &Path, name: &str) -> Result<()> {
    let path = sources_path(db);
    let mut sources = load(&path)?;
    let before = sources.len();
    sources.retain(|s| s.name != name);
    if sources.len() == before {
        return Err(Error::Usage(format!(
            "there is no source \"{}\"",
            crate::error::shown(name)
        )));
    }
    save(&path, &sources)
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signature header's value for `body` signed with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex(&hmac_sha256(secret.as_bytes(), body)))
}

/// The sources as the server sees them: the file, re-read when it changes.
pub struct Signers {
    sources: Watched<Source>,
}

/// Why a signed request is refused.
#[derive(Debug, PartialEq)]
pub enum Refused {
    UnknownSource,
    BadSignature,
}

impl Signers {
    pub fn new(db: &Path) -> Signers {
        Signers {
            sources: Watched::new(sources_path(db), "sources"),
        }
    }

    /// Checks that `source` exists and signed `body` with `signature` (`sha256=<hex>`).
    pub fn verify(
        &self,
        source: &str,
        signature: &str,
        body: &[u8],
    ) -> std::result::Result<(), Refused> {
        let sources = self.sources.current();
        let s = sources
            .iter()
            .find(|s| s.name == source)
            .ok_or(Refused::UnknownSource)?;
        let want = self::signature(&s.secret, body);
        if constant_time_eq(
            want.as_bytes(),
            signature.trim().to_ascii_lowercase().as_bytes(),
        ) {
            Ok(())
        } else {
            Err(Refused::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signed_bodies_verify_and_others_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.duckdb");
        let secret = add(&db, "thunderdome").unwrap();
        let signers = Signers::new(&db);
        let body = br#"{"event":"round.revealed"}"#;
        let sig = signature(&secret, body);
        assert_eq!(signers.verify("thunderdome", &sig, body), Ok(()));
        assert_eq!(
            signers.verify("thunderdome", &sig, b"{}"),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            signers.verify("parabol", &sig, body),
            Err(Refused::UnknownSource)
        );
        remove(&db, "thunderdome").unwrap();
        assert_eq!(
            signers.verify("thunderdome", &sig, body),
            Err(Refused::UnknownSource)
        );
        // A bad name is called a source's, not a token's.
        assert_eq!(
            add(&db, "a b").unwrap_err().to_string(),
            "source name \"a b\": use 1 to 64 letters, digits, '-', '_' or '.'"
        );
        assert!(
            crate::web::tokens::add(&db, "", crate::web::tokens::Scope::Read)
                .unwrap_err()
                .to_string()
                .starts_with("token name \"\": use 1 to 64")
        );
    }
}
