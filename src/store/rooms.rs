//! Rooms kept in the store (schema 5): each estimation room's whole state as JSON, keyed by the
//! hash of its link's secret, so that a room survives a restart of the server. The room layer
//! serialises its state; the store keeps the text. Every save is a job of the one writer;
//! saves that wait together are written in one transaction, each room's newest only.

use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::writer::{BatchRunner, IntoAny, Job, WriteCtx, Written};
use duckdb::params;
use std::any::Any;

const ROOMS: &str = include_str!("../../queries/store/rooms.sql");
const ROOM_DELETE: &str = include_str!("../../queries/writes/room_delete.sql");
const ROOM_INSERT: &str = include_str!("../../queries/writes/room_insert.sql");

/// A room as the store keeps it.
#[derive(Debug, Clone)]
pub struct KeptRoom {
    /// The hash of the link's secret.
    pub room: String,
    pub team: String,
    pub session: String,
    pub title: String,
    pub opened_at: chrono::NaiveDateTime,
    pub closed_at: Option<chrono::NaiveDateTime>,
    /// Every change raises it: a save of an older version never replaces a newer.
    pub version: i64,
    /// The room's state, as the room layer serialises it.
    pub state: String,
}

impl Store {
    /// Every kept room.
    pub fn rooms(&self) -> Result<Vec<KeptRoom>> {
        self.query_rows("rooms", ROOMS, [], |r| {
            Ok(KeptRoom {
                room: r.get(0)?,
                team: r.get(1)?,
                session: r.get(2)?,
                title: r.get(3)?,
                opened_at: r.get(4)?,
                closed_at: r.get(5)?,
                version: r.get(6)?,
                state: r.get(7)?,
            })
        })
    }

    /// Saves rooms in one transaction (each in place of what was kept of it).
    fn save_rooms(&mut self, rooms: &[&KeptRoom]) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .map_err(Error::db("saving a room"))?;
        for r in rooms {
            tx.execute(ROOM_DELETE, [&r.room])
                .map_err(Error::db("saving a room"))?;
            tx.execute(
                ROOM_INSERT,
                params![
                    r.room,
                    r.team,
                    r.session,
                    r.title,
                    r.opened_at,
                    r.closed_at,
                    r.version,
                    r.state
                ],
            )
            .map_err(Error::db("saving a room"))?;
        }
        tx.commit().map_err(Error::db("saving a room"))
    }
}

/// A room to save, as a job of the writer; `reply` hears whether it was saved.
pub struct SaveRoom {
    pub room: KeptRoom,
    pub reply: Option<Box<dyn FnOnce(Result<()>) + Send>>,
}

impl Job for SaveRoom {
    fn run(self: Box<Self>, w: &mut WriteCtx<'_>) -> Written {
        save_rooms(vec![self.into_any()], w)
    }

    fn batch(&self) -> Option<BatchRunner> {
        Some(save_rooms)
    }
}

/// Saves a batch of rooms in one transaction: of each room its newest version.
fn save_rooms(batch: Vec<Box<dyn Any + Send>>, w: &mut WriteCtx<'_>) -> Written {
    let jobs: Vec<SaveRoom> = batch
        .into_iter()
        .filter_map(|b| b.downcast::<SaveRoom>().ok().map(|j| *j))
        .collect();
    let mut newest: Vec<&KeptRoom> = Vec::new();
    for j in &jobs {
        match newest.iter_mut().find(|r| r.room == j.room.room) {
            Some(r) if r.version < j.room.version => *r = &j.room,
            Some(_) => {}
            None => newest.push(&j.room),
        }
    }
    let out = w.store.save_rooms(&newest);
    for j in jobs {
        if let Some(reply) = j.reply {
            let out = match &out {
                Ok(()) => Ok(()),
                Err(e) => Err(e.again()),
            };
            w.answer(move || reply(out));
        }
    }
    // Rooms are not what pages are keyed by: the rounds they store are written as round
    // events, which say their team.
    Written::Nothing
}
