//! Log context: the one append-only event log of every action in the system.
//!
//! "One event = one action." Every state change is recorded by its event, written
//! in the same transaction as the change; nothing else keeps history. The envelope
//! is [`crate::event::Event`]; this context adds what people post (chat messages
//! and task comments) and the feeds that read the log.

mod events;
mod filter;
mod mention;

pub use events::{ChatEvent, ChatMessage, Mention, TaskComment};
pub use filter::{Cursor, EventFilter, EventPage};
pub use mention::parse_mentions;
