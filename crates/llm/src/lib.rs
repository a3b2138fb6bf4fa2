//! Model clients behind the domain's `ModelClient` port: the offline provider,
//! [`Script`], which replays replies from a file (for tests, demos, benchmarks
//! and replays of finished plans, with no network and the same answers every
//! run); OpenAI-compatible [`ChatCompletions`] and [`Responses`] clients; and
//! [`Providers`], which picks the provider each assistant runs on.

mod chat;
mod providers;
mod responses;
mod script;
mod sse;
mod transport;

pub use chat::ChatCompletions;
pub use providers::{Api, Providers};
pub use responses::Responses;
pub use script::Script;
pub use transport::ProviderConfig;

/// A configuration file that could not be read or parsed.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}
