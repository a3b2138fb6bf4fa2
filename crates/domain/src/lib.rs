//! Agentry's domain: the types, rules, ports and use cases of the control plane.
//!
//! Architecture invariant: this crate does no I/O. It depends on no database, HTTP
//! or async-runtime crate; adapters (`agentry-store`, `agentry-http`) implement or
//! call the ports declared here. CI checks this with `cargo tree`.
//!
//! It is a kernel shared by every context (ids, errors, the clock, text checks,
//! vocabularies, shapes, the event envelope, the caller, paging, optimistic
//! concurrency) and seven bounded contexts,
//! each a folder with its types, its event kinds, its ports and its use cases. A
//! context may use the ones before it, never the ones after:
//!
//! `registry` → `workspace` → `tracker` → `log` → `planning` → `operations` →
//! `squads`
//!
//! Above them, [`catalog`] lists every event kind, [`Ports`] bundles every port for
//! wiring and [`Services`] every use case.

pub mod caller;
pub mod catalog;
pub mod clock;
pub mod error;
pub mod event;
pub mod graph;
pub mod id;
pub mod log;
pub mod operations;
mod optimistic;
pub mod page;
pub mod planning;
pub mod ports;
pub mod registry;
pub mod retry;
mod services;
pub mod shape;
pub mod squads;
mod text;
pub mod tracker;
pub mod vocabulary;
pub mod workspace;

#[cfg(test)]
mod doubles;
#[cfg(test)]
mod layering;

pub use caller::Principal;
pub use error::{Error, ErrorKind, Result};
pub use ports::Ports;
pub use services::{Limits, Services};
