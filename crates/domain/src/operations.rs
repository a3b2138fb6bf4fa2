//! Operations context: the processes that run Agentry (seed 003, task 2). A
//! supervisor starts engine workers as child processes and restarts them; what
//! it does is recorded as installation-wide events in the one log, and the
//! state it needs (the revision last promoted, the next worker's sequence
//! number) is derived from those events, never kept in a table of its own.
//!
//! Depends on the kernel and the log (its `EventRepo` records and reads them).

mod events;
mod service;

pub use events::{
    CrashLoopDetected, ProcessEvent, ProcessStarted, RevisionPromoted, RollbackAttempted,
    WorkerExited, WorkerSpawned,
};
pub use service::ProcessLog;
