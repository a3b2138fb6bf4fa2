//! Log context: the one append-only event log of every action in the system.
//!
//! "One event = one action." Every state change is recorded by its event, written
//! in the same transaction as the change; nothing else keeps history. The envelope
//! is [`crate::event::Event`]; this context adds what people post (chat messages
//! and task comments), files attached to events, and the feeds that read the log.
//!
//! Depends on the kernel, the workspace (access) and the tracker (a task's project).

mod attachment;
mod delta;
mod events;
mod filter;
mod live;
pub(crate) mod mention;
mod ports;
mod service;

pub use attachment::{Attachment, NewAttachment};
pub use delta::{DELTA_TEXT_MAX, DeltaBus, StreamDelta, delta_pieces};
pub use events::{ChatEvent, ChatMessage, Mention, TaskComment, Via};
pub use filter::{EventFilter, EventPage};
pub use live::{LiveLog, LogPosition};
pub use mention::{MAX_MENTIONS, parse_mentions};
pub use ports::{AttachmentRepo, BlobStore, EventRepo, Ports};
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockAttachmentRepo, MockBlobStore, MockEventRepo};
pub use service::{Attachments, CONTENT_MAX, Events, PostEvent};
