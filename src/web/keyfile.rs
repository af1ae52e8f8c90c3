//! The files of secrets beside a database (`<db>.tokens`, `<db>.sources`): a JSON list, written
//! whole through a new file renamed over the old one, readable by its owner only, and re-read by
//! the server when it changes (so `token revoke` or `source remove` takes effect at once).

use crate::error::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// `<db><suffix>`, e.g. `team.duckdb.tokens`.
pub fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// The list in the file (empty when there is no file); `what` names it in errors.
pub fn load<T: DeserializeOwned>(path: &Path, what: &str) -> Result<Vec<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Store {
            path: path.to_path_buf(),
            message: format!("is not a sprintlens {what} file: {e}"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io(path, format!("cannot read the {what} file"))(e)),
    }
}

/// Writes the list whole, owner-only.
pub fn save<T: Serialize>(path: &Path, items: &[T], what: &str) -> Result<()> {
    let json = serde_json::to_vec_pretty(items)
        .map_err(|e| Error::Internal(format!("writing the {what} file: {e}")))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    write_private(&tmp, &json)?;
    std::fs::rename(&tmp, path).map_err(Error::io(path, format!("cannot replace the {what} file")))
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(Error::io(path, "cannot write the file"))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(Error::io(path, "cannot write the file"))
}

/// A list file as the server sees it: read again when its time or size changes. A file that
/// cannot be read counts as empty (nobody gets in rather than everybody), and says so in the log.
pub struct Watched<T> {
    path: PathBuf,
    what: &'static str,
    seen: Mutex<Seen<T>>,
}

/// The file's time, size and presence when last read, and what it held.
type Seen<T> = (Option<SystemTime>, u64, bool, Arc<Vec<T>>);

impl<T: DeserializeOwned> Watched<T> {
    pub fn new(path: PathBuf, what: &'static str) -> Watched<T> {
        Watched {
            path,
            what,
            seen: Mutex::new((None, 0, false, Arc::new(Vec::new()))),
        }
    }

    pub fn current(&self) -> Arc<Vec<T>> {
        let meta = std::fs::metadata(&self.path).ok();
        let stamp = (
            meta.as_ref().and_then(|m| m.modified().ok()),
            meta.as_ref().map(|m| m.len()).unwrap_or(0),
            meta.is_some(),
        );
        let mut seen = match self.seen.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        if (seen.0, seen.1, seen.2) != stamp {
            let items = load(&self.path, self.what).unwrap_or_else(|e| {
                tracing::error!(error = %e, file = self.what, "cannot read; refusing what it would allow");
                Vec::new()
            });
            *seen = (stamp.0, stamp.1, stamp.2, Arc::new(items));
        }
        seen.3.clone()
    }
}
