//! The one error type of every stage, with the context a user needs to act on it.
//!
//! Bad input (files, flags, settings) exits with status 1; anything else is internal and
//! exits with status 2. The server (later) maps the same variants to 400/404/500.

use std::fmt;
use std::path::PathBuf;

/// How many problems one run reports before it stops listing them.
pub const MAX_PROBLEMS: usize = 20;

/// One thing wrong with one place of one input file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    /// 1-based line of the file; `None` when the problem is the whole file.
    pub line: Option<usize>,
    /// The column (CSV header name) or field (NDJSON key) at fault.
    pub column: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn file(file: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn at(
        file: &str,
        line: usize,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.to_string(),
            line: Some(line),
            column: column.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(col) = &self.column {
            write!(f, ": column \"{col}\"")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A bounded list of problems: keeps the first [`MAX_PROBLEMS`] and counts the rest.
#[derive(Debug, Default, Clone)]
pub struct Problems {
    pub list: Vec<Problem>,
    pub total: usize,
}

impl Problems {
    pub fn push(&mut self, p: Problem) {
        self.total += 1;
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(p);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn is_full(&self) -> bool {
        self.list.len() >= MAX_PROBLEMS
    }

    pub fn extend(&mut self, other: Problems) {
        let hidden = other.total - other.list.len();
        for p in other.list {
            self.push(p);
        }
        self.total += hidden;
    }

    /// `Ok(())` when there were none, else the input error that lists them.
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Input(self))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input files that cannot be taken as they are; nothing was written.
    #[error("{}", describe_problems(.0))]
    Input(Problems),

    /// A flag, setting or argument the user gave that cannot work.
    #[error("{0}")]
    Usage(String),

    #[error(
        "{path}: this database was written by a newer sprintlens (schema version {found}); this \
         build understands up to version {supported}. Upgrade sprintlens or use another --db."
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("{path}: {message}")]
    Store { path: PathBuf, message: String },

    #[error("database error while {context}")]
    Db {
        context: String,
        #[source]
        source: duckdb::Error,
    },

    #[error("data frame error while {context}")]
    Frame {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },

    #[error("{path}: {context}")]
    Io {
        path: PathBuf,
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("internal error: {0}")]
    Internal(String),
}

fn describe_problems(p: &Problems) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{} problem{} in the input; nothing was written",
        p.total,
        if p.total == 1 { "" } else { "s" }
    ));
    for prob in &p.list {
        s.push_str("\n  ");
        s.push_str(&prob.to_string());
    }
    if p.total > p.list.len() {
        s.push_str(&format!(
            "\n  ... and {} more (only the first {} are listed)",
            p.total - p.list.len(),
            p.list.len()
        ));
    }
    s
}

impl Error {
    /// The process exit code for this error: 1 for bad input, 2 for internal failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_)
            | Error::Usage(_)
            | Error::SchemaTooNew { .. }
            | Error::Store { .. } => 1,
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => 1,
            _ => 2,
        }
    }

    pub fn db(context: impl Into<String>) -> impl FnOnce(duckdb::Error) -> Error {
        let context = context.into();
        move |source| Error::Db { context, source }
    }

    pub fn frame(context: impl Into<String>) -> impl FnOnce(polars::error::PolarsError) -> Error {
        let context = context.into();
        move |source| Error::Frame { context, source }
    }

    pub fn io(
        path: impl Into<PathBuf>,
        context: impl Into<String>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        let context = context.into();
        move |source| Error::Io {
            path,
            context,
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// The error and every cause under it, one per line, as the CLI prints it.
pub fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str("\n  caused by: ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
