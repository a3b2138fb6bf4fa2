//! What the supervisor and its workers record, threaded by `parent_id` under
//! the supervisor's `process.started`:
//!
//! ```text
//! process.started {role: supervisor}
//! ├─ worker.spawned {pid, seq}
//! ├─ process.started {role: worker}   (from the worker, via PARENT_PROCESS_ID)
//! ├─ worker.exited {pid, seq, exit_code, signal, uptime_seconds}
//! ├─ crash_loop.detected {threshold, window_seconds, backoff_ms}
//! └─ rollback.attempted {from_revision, target_revision, success}
//! revision.promoted {revision}        (no parent: it outlives its supervisor)
//! ```

use serde::{Deserialize, Serialize};

use crate::event::event_kinds;
use crate::id::ChannelId;
use crate::shape::described_struct;

event_kinds! {
    /// What happens to inbound channels (their updates become `chat_message`s).
    pub enum ChannelEvent {
        /// A channel was bound to the project.
        ChannelCreated(ChannelCreated) = "channel_created" in Project,
    }
}

described_struct! {
    /// `channel_created`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ChannelCreated as "ChannelCreatedPayload" {
        pub channel: ChannelId,
        pub name: String,
        pub kind: String,
    }
}

event_kinds! {
    /// What happens to the processes that run Agentry.
    pub enum ProcessEvent {
        /// A process started: a supervisor, or a worker (under its supervisor).
        ProcessStarted(ProcessStarted) = "process.started" in Global,
        /// The supervisor started a worker.
        WorkerSpawned(WorkerSpawned) = "worker.spawned" in Global,
        /// A worker ended: asked to, crashed, or killed.
        WorkerExited(WorkerExited) = "worker.exited" in Global,
        /// Workers exited `threshold` times within `window_seconds`: the next
        /// start waits `backoff_ms`.
        CrashLoopDetected(CrashLoopDetected) = "crash_loop.detected" in Global,
        /// After a crash loop, the supervisor went back to the last promoted
        /// revision (`success`), or could not (its build is missing).
        RollbackAttempted(RollbackAttempted) = "rollback.attempted" in Global,
        /// A revision stayed up long enough to be the one to roll back to.
        RevisionPromoted(RevisionPromoted) = "revision.promoted" in Global,
    }
}

described_struct! {
    /// `process.started`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ProcessStarted as "ProcessStartedPayload" {
        /// `supervisor` or `worker`.
        pub role: String,
        pub pid: u32,
        /// The package version (`0.1.0`).
        pub version: String,
        /// The binary's build id: the first 16 hex digits of its SHA-256.
        pub revision: String,
    }
}

described_struct! {
    /// `worker.spawned`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct WorkerSpawned as "WorkerSpawnedPayload" {
        pub pid: u32,
        /// 1 for its supervisor's first worker, then one more each start.
        pub seq: u32,
        /// The build the worker runs.
        pub revision: String,
    }
}

described_struct! {
    /// `worker.exited`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct WorkerExited as "WorkerExitedPayload" {
        pub pid: u32,
        pub seq: u32,
        /// Absent when a signal ended it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub exit_code: Option<i64>,
        /// The signal that ended it (9 for SIGKILL), if one did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub signal: Option<i64>,
        pub uptime_seconds: i64,
        /// Whether the supervisor asked it to stop (its own shutdown).
        pub requested: bool,
    }
}

described_struct! {
    /// `crash_loop.detected`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct CrashLoopDetected as "CrashLoopDetectedPayload" {
        pub threshold: u32,
        pub window_seconds: i64,
        /// How long the supervisor waits before it starts a worker again;
        /// doubles with each crash loop in a row, up to a limit.
        pub backoff_ms: i64,
    }
}

described_struct! {
    /// `rollback.attempted`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct RollbackAttempted as "RollbackAttemptedPayload" {
        pub from_revision: String,
        pub target_revision: String,
        /// False when the target's build is not in the builds directory.
        pub success: bool,
    }
}

described_struct! {
    /// `revision.promoted`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct RevisionPromoted as "RevisionPromotedPayload" {
        pub revision: String,
    }
}

event_kinds! {
    /// What retention does to a project's log.
    pub enum RetentionEvent {
        /// An admin set how many days the project keeps its events, or that
        /// it keeps them all (no `max_age_days`).
        RetentionSet(RetentionSet) = "retention.set" in Project,
        /// Retention deleted whole threads whose every event is older than
        /// `cutoff`; one per batch.
        EventsPruned(EventsPruned) = "events.pruned" in Project,
    }
}

described_struct! {
    /// `retention.set`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct RetentionSet as "RetentionSetPayload" {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub max_age_days: Option<u32>,
    }
}

described_struct! {
    /// `events.pruned`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct EventsPruned as "EventsPrunedPayload" {
        /// RFC 3339: the threads deleted had no event from this time on.
        pub cutoff: String,
        pub events: i64,
        pub threads: i64,
        /// Attachments deleted with their events.
        pub attachments: i64,
        /// Plans whose usage was snapshotted first (`usage.snapshot`).
        pub snapshots: i64,
    }
}
