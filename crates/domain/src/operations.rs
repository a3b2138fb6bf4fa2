//! Operations context: how Agentry runs and what reaches it from outside.
//!
//! - Processes: a supervisor starts engine workers as child processes and
//!   restarts them; what it does is recorded as installation-wide events in the
//!   one log, and the state it needs (the revision last promoted, the next
//!   worker's number) is derived from those events, never kept in a table of its
//!   own.
//! - Inbound channels: a bridge (a Telegram bot, a webhook) posts outside updates
//!   into a project's chat, each exactly once; its offset is derived from the
//!   inbox.
//!
//! - Retention: how long a project keeps its events, and pruning older threads
//!   without breaking what is derived from them.
//!
//! Depends on the kernel, the workspace (who may use a channel) and the log
//! (its `EventRepo`, chat messages).

mod channel;
mod events;
mod ports;
pub mod retention;
mod service;

pub use channel::{Channel, ChannelKind, InboundUpdate, MAX_CHANNELS, NAME_MAX, SENDER_MAX};
pub use events::{
    ChannelCreated, ChannelEvent, CrashLoopDetected, EventsPruned, ProcessEvent, ProcessStarted,
    RetentionEvent, RetentionSet, RevisionPromoted, RollbackAttempted, WorkerExited, WorkerSpawned,
};
pub use ports::{ChannelRepo, Ports, Received, RetentionRepo};
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockChannelRepo, MockRetentionRepo};
pub use service::{ChannelView, Channels, NewChannel, ProcessLog, Receipt, Retention};
