//! Operations context: how Agentry runs and what reaches it from outside.
//!
//! - Processes (seed 003, task 2): a supervisor starts engine workers as child
//!   processes and restarts them; what it does is recorded as
//!   installation-wide events in the one log, and the state it needs (the
//!   revision last promoted, the next worker's number) is derived from those
//!   events, never kept in a table of its own.
//! - Inbound channels (seed 003, task 4): a bridge posts outside updates into a
//!   project's chat, each exactly once; its offset is derived from the inbox.
//!
//! Depends on the kernel, the workspace (who may use a channel) and the log
//! (its `EventRepo`, chat messages).

mod channel;
mod events;
mod ports;
mod service;

pub use channel::{Channel, ChannelKind, InboundUpdate, MAX_CHANNELS, NAME_MAX, SENDER_MAX};
pub use events::{
    ChannelCreated, ChannelEvent, CrashLoopDetected, ProcessEvent, ProcessStarted,
    RevisionPromoted, RollbackAttempted, WorkerExited, WorkerSpawned,
};
#[cfg(any(test, feature = "mock"))]
pub use ports::MockChannelRepo;
pub use ports::{ChannelRepo, Ports, Received};
pub use service::{ChannelView, Channels, NewChannel, ProcessLog, Receipt};
