//! The domain: cards and decks, the kinds of canonical data and their schema, which teams a
//! report covers, typed undefined values, and secrets. Every other stage builds on these; this module
//! uses nothing of the others.

pub mod cards;
pub mod days;
pub mod kinds;
pub mod schema;
pub mod scope;
pub mod secret;
pub mod undefined;

pub use cards::{BuiltinDeck, Card, DEFAULT_DECK, Deck, format_number, normalise_card};
pub use days::{FIRST_DAY, LAST_DAY, day_from_ce, days_after, last_day, parse_day};
pub use kinds::{ItemStatus, Kind};
pub use scope::Scope;
pub use undefined::{Reasons, Undefined};
