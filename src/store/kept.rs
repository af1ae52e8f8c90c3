//! Kept reports: what the pages read, stored so that a page after a restart is read instead
//! of computed (schema 4). The store holds them as bytes (the server serialises them); a report
//! is current when it is of the day asked for, of its subject's generation (a team's: the last
//! write to its rows, `team_writes`; a dashboard's: the store's), and made with the same
//! fingerprint (build and settings). Only the store's writer keeps them.

use crate::error::{Error, Result};
use crate::store::Store;
use chrono::NaiveDate;
use duckdb::params;
use std::collections::HashMap;

const KEPT_REPORT: &str = include_str!("../../queries/store/kept_report.sql");
const KEPT_REPORTS_OF_DAY: &str = include_str!("../../queries/store/kept_reports_of_day.sql");
const TEAM_WRITES: &str = include_str!("../../queries/store/team_writes.sql");
const KEPT_REPORT_DELETE: &str = include_str!("../../queries/writes/kept_report_delete.sql");
const KEPT_REPORT_INSERT: &str = include_str!("../../queries/writes/kept_report_insert.sql");

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptKind {
    Team,
    Dashboard,
}

impl KeptKind {
    fn name(self) -> &'static str {
        match self {
            KeptKind::Team => "team",
            KeptKind::Dashboard => "dashboard",
        }
    }
}

/// A kept report's stamp: the generation and fingerprint it was computed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub generation: u64,
    pub fingerprint: String,
}

impl Store {
    /// The report kept for `subject` and `as_of`, with its stamp.
    pub fn kept_report(
        &self,
        kind: KeptKind,
        subject: &str,
        as_of: NaiveDate,
    ) -> Result<Option<(Stamp, Vec<u8>)>> {
        let rows = self.query_rows(
            "kept_report",
            KEPT_REPORT,
            params![kind.name(), subject, as_of],
            |r| {
                Ok((
                    Stamp {
                        generation: r.get::<_, i64>(0)?.max(0) as u64,
                        fingerprint: r.get(1)?,
                    },
                    r.get::<_, Vec<u8>>(2)?,
                ))
            },
        )?;
        Ok(rows.into_iter().next())
    }

    /// The stamps of the reports kept for a day, by subject.
    pub fn kept_stamps(&self, kind: KeptKind, as_of: NaiveDate) -> Result<HashMap<String, Stamp>> {
        let rows = self.query_rows(
            "kept_reports_of_day",
            KEPT_REPORTS_OF_DAY,
            params![kind.name(), as_of],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Stamp {
                        generation: r.get::<_, i64>(1)?.max(0) as u64,
                        fingerprint: r.get(2)?,
                    },
                ))
            },
        )?;
        Ok(rows.into_iter().collect())
    }

    /// Keeps a report in place of the one kept for its subject (one transaction).
    pub fn keep_report(
        &mut self,
        kind: KeptKind,
        subject: &str,
        as_of: NaiveDate,
        stamp: &Stamp,
        body: &[u8],
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .map_err(Error::db("keeping a report"))?;
        tx.execute(KEPT_REPORT_DELETE, params![kind.name(), subject])
            .map_err(Error::db("keeping a report"))?;
        tx.execute(
            KEPT_REPORT_INSERT,
            params![
                kind.name(),
                subject,
                as_of,
                stamp.generation as i64,
                stamp.fingerprint,
                chrono::Utc::now().naive_utc(),
                body
            ],
        )
        .map_err(Error::db("keeping a report"))?;
        tx.commit().map_err(Error::db("keeping a report"))
    }

    /// Per team, the generation of the last write to its rows.
    pub fn team_writes(&self) -> Result<HashMap<String, u64>> {
        let rows = self.query_rows("team_writes", TEAM_WRITES, [], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })?;
        Ok(rows.into_iter().collect())
    }
}

/// A report to keep, as a job of the store's one writer (it writes nothing the pages are keyed
/// by: the store's generation stays).
pub struct Keep {
    pub kind: KeptKind,
    pub subject: String,
    pub as_of: NaiveDate,
    pub stamp: Stamp,
    pub body: Vec<u8>,
}

impl crate::store::writer::Job for Keep {
    fn run(
        self: Box<Self>,
        w: &mut crate::store::writer::WriteCtx<'_>,
    ) -> crate::store::writer::Written {
        // A report not kept is computed again when next asked for: nothing to tell anyone.
        if let Err(e) = w.store.keep_report(
            self.kind,
            &self.subject,
            self.as_of,
            &self.stamp,
            &self.body,
        ) {
            eprintln!(
                "note: a report was not kept: {}",
                crate::error::cause_chain(&e)
            );
        }
        crate::store::writer::Written::Nothing
    }
}
