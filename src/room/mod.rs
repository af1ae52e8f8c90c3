//! The estimation room: Planning Poker hosted by sprintlens, so that every round is captured
//! where it is played. [`state`] is one room's state machine (join, stories, rounds, votes, the
//! reveal, the decision, closing; who may do what; what each participant may see), independent
//! of HTTP; [`help`] is what the store knows of the team at the reveal; [`service`] holds a
//! server's rooms, saves every change through the store's one writer (a room survives a
//! restart), stores each reveal as a round of canonical votes, and tells the rooms' pages of
//! every change; [`summary`] is a session's summary and its export for a tracker or a wiki.

pub mod help;
pub mod service;
pub mod state;
pub mod summary;

pub use service::{Failed, Opened, Rooms};
pub use state::{Decision, NewStory, Refusal, Room, RoomCard, View};
