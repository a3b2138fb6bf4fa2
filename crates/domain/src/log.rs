//! Log context: the one append-only event log of every action in the system.
//!
//! "One event = one action." Every state change is recorded by its event, written
//! in the same transaction as the change; nothing else keeps history.

mod event;
mod filter;
mod kind;
mod mention;
mod parts;
pub mod payload;

pub use event::Event;
pub use filter::{Cursor, EventFilter, EventPage};
pub use kind::{EventKind, Scope};
pub use mention::parse_mentions;
