//! The engine: workers that claim ready plan tasks under leases and run them
//! as agent turns through the model-client port, recording every step in the
//! log, then settle them (done, retry with backoff, failed).
//!
//! A worker ([`Engine`]) dispatches up to its concurrency of runs at once. It
//! wakes when the store says work may be ready (in-process at once; across
//! processes through `LISTEN/NOTIFY` on PostgreSQL), when a retry falls due,
//! and now and then on its own; it keeps its leases alive with heartbeats and
//! stops a run whose lease it lost (an aborted plan, an expired lease).

mod actors;
mod builtin;
mod config;
mod dispatch;
mod http_tool;
mod run;
mod settler;
mod slot;

/// The retries of a failed attempt wait by the domain's one backoff policy.
pub use agentry_domain::retry::Backoff;
pub use config::EngineConfig;
pub use dispatch::{Engine, EngineHandle};
pub use http_tool::{HttpTools, NoTools};
