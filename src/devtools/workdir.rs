//! A bench's work folder: a new temporary one (removed afterwards), or one the user gives,
//! which must be empty, missing, or an earlier bench's (anything else is refused, never cleared).

use crate::error::{Error, Result};
use std::path::PathBuf;

pub struct WorkDir {
    pub path: PathBuf,
    remove: bool,
}

/// Marks a folder as a bench's own, so a later run may clear it.
const BENCH_MARK: &str = ".sprintlens-bench";

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The bench's work folder: a new temporary one, or `given`, which must be empty, missing, or
/// an earlier bench's (anything else is refused rather than cleared).
pub fn work_dir(given: &Option<PathBuf>, keep: bool) -> Result<WorkDir> {
    let path = match given {
        Some(p) => p.clone(),
        None => std::env::temp_dir().join(format!("sprintlens-bench-{}", std::process::id())),
    };
    if path.exists() {
        let empty = std::fs::read_dir(&path)
            .map_err(Error::io(&path, "cannot read the bench folder"))?
            .next()
            .is_none();
        if !empty && !path.join(BENCH_MARK).exists() {
            return Err(Error::Usage(format!(
                "{}: the folder holds files that are not a bench's; give an empty or new folder",
                path.display()
            )));
        }
        std::fs::remove_dir_all(&path)
            .map_err(Error::io(&path, "cannot clear the bench folder"))?;
    }
    std::fs::create_dir_all(&path).map_err(Error::io(&path, "cannot create the bench folder"))?;
    std::fs::write(path.join(BENCH_MARK), b"")
        .map_err(Error::io(&path, "cannot mark the bench folder"))?;
    Ok(WorkDir {
        remove: !keep && given.is_none(),
        path,
    })
}

impl WorkDir {
    /// Generates a data set into `<name>-data/` and ingests it into a fresh `<name>.duckdb`:
    /// what it wrote and the database.
    pub fn generated_store(
        &self,
        params: &crate::devtools::generate::GenParams,
        name: &str,
    ) -> Result<(crate::devtools::generate::GenSummary, PathBuf)> {
        let data = self.path.join(format!("{name}-data"));
        let summary = crate::devtools::generate::generate(params, &data)?;
        let db = self.path.join(format!("{name}.duckdb"));
        crate::ingest::ingest(
            &db,
            &crate::ingest::IngestRequest {
                paths: vec![data],
                ..Default::default()
            },
        )?;
        Ok((summary, db))
    }
}
