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
            worker: default_worker_name(),
            concurrency: 64,
            lease: Duration::from_secs(30),
            backoff: Backoff::default(),
            max_turns: 16,
            poll: Duration::from_secs(1),
        }
    }
}

/// `<host name>-<process id>`: distinct across the containers of a deployment,
/// where every process may be pid 1.
fn default_worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}
