//! The one error type of every stage, with the context a user needs to act on it.
//!
//! Bad input (files, flags, settings) exits with status 1; anything else is internal and
//! exits with status 2. The server (later) maps the same variants to 400/404/500.

use std::fmt;
use std::path::PathBuf;

/// How many problems one run reports before it stops listing them.
pub const MAX_PROBLEMS: usize = 20;

/// The most characters of a user's value a message echoes.
pub const SHOWN_CHARS: usize = 80;

/// A user's value as a message echoes it: whole when short, else its first 80 characters and
/// `... (N bytes)`; control characters written as `\u{7}` so a message stays one clean line.
pub fn shown(v: &str) -> String {
    let cut = v.char_indices().nth(SHOWN_CHARS).map(|(i, _)| i);
    let head = &v[..cut.unwrap_or(v.len())];
    let mut out = String::with_capacity(head.len() + 24);
    for c in head.chars() {
        if c.is_control() {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    if cut.is_some() {
        out.push_str(&format!("... ({} bytes)", v.len()));
    }
    out
}

/// A list of a user's names (columns, cards, ...) as a message echoes it: each capped, and at
/// most `max` of them, then `... and N more`.
pub fn shown_list<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let mut parts: Vec<String> = items.iter().take(max).map(|s| shown(s.as_ref())).collect();
    if items.len() > max {
        parts.push(format!("... and {} more", items.len() - max));
    }
    parts.join(", ")
}

/// The name of `names` that is `wanted` written in another case, for a "did you mean": names
/// (of teams, ...) are exact, and a case slip is the typo people make.
pub fn same_but_case<'a>(
    names: impl IntoIterator<Item = &'a str>,
    wanted: &str,
) -> Option<&'a str> {
    let lower = wanted.to_lowercase();
    names.into_iter().find(|n| n.to_lowercase() == lower)
}

/// One thing wrong with one place of one input file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
            write!(f, ": column \"{}\"", shown(col))?;
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

    /// Another process holds the database (DuckDB lets one process write, or several read).
    #[error(
        "{}: the database is in use by another process{} (a running `sprintlens serve` or \
         ingest?); wait for it to finish, or stop it, then try again",
        path.display(),
        pid.as_ref().map(|p| format!(" (PID {p})")).unwrap_or_default()
    )]
    Busy { path: PathBuf, pid: Option<String> },

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
            | Error::Store { .. }
            | Error::Busy { .. } => 1,
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => 1,
            _ => 2,
        }
    }

    /// The same error for another of the requests it fails (a batch refused whole): input
    /// and usage errors as they are, any other as an internal error with its cause chain.
    pub fn again(&self) -> Error {
        match self {
            Error::Input(p) => Error::Input(p.clone()),
            Error::Usage(m) => Error::Usage(m.clone()),
            other => Error::Internal(cause_chain(other)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_with_their_size() {
        assert_eq!(shown("PAY-1"), "PAY-1");
        let long = "x".repeat(10 * 1024 * 1024);
        let s = shown(&long);
        assert_eq!(s, format!("{}... (10485760 bytes)", "x".repeat(80)));
        assert_eq!(shown("a\u{7}b"), "a\\u{7}b");
        // Cut on a character, not a byte.
        let s = shown(&"é".repeat(100));
        assert!(
            s.starts_with(&"é".repeat(80)) && s.ends_with("... (200 bytes)"),
            "{s}"
        );
        assert_eq!(shown_list(&["a", "b", "c"], 2), "a, b, ... and 1 more");
    }
}
