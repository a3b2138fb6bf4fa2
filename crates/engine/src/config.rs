//! How a worker runs.

use std::time::Duration;

use crate::Backoff;

/// A worker's settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Names the worker in leases and events (host and pid by default).
    pub worker: String,
    /// Runs at once.
    pub concurrency: usize,
    /// How long a claim holds without a heartbeat.
    pub lease: Duration,
    /// Between retries of a failed attempt.
    pub backoff: Backoff,
    /// Model calls per attempt before it fails.
    pub max_turns: u32,
    /// How often the worker looks for work when nothing woke it.
    pub poll: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            worker: format!("worker-{}", std::process::id()),
            concurrency: 64,
            lease: Duration::from_secs(30),
            backoff: Backoff::default(),
            max_turns: 16,
            poll: Duration::from_secs(1),
        }
    }
}
