//! Model clients behind the domain's `ModelClient` port. For now the offline
//! provider, [`Script`], which replays replies from a file: for tests, demos
//! and benchmarks, with no network and the same answers every run.

mod script;

pub use script::{Script, ScriptError};
