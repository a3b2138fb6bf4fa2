//! Agentry's domain: the types, rules, ports and use cases of the control plane.
//!
//! Architecture invariant: this crate does no I/O. It depends on no database, HTTP
//! or async-runtime crate; adapters (`agentry-store`, `agentry-http`) implement or
//! call the ports declared here. CI checks this with `cargo tree`.

pub mod catalog;
pub mod clock;
pub mod error;
pub mod event;
pub mod id;
pub mod log;
pub mod ports;
pub mod registry;
pub mod service;
pub mod shape;
mod text;
pub mod tracker;
pub mod vocabulary;
pub mod workspace;

pub use error::{Error, ErrorKind, Result};
