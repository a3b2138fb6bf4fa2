//! Model clients behind the domain's `ModelClient` port: the offline provider,
//! [`Script`], which replays replies from a file (for tests, demos and
//! benchmarks, with no network and the same answers every run), and
//! [`ChatCompletions`], an OpenAI-compatible chat-completions client.

mod chat;
mod script;
mod sse;

pub use chat::{ChatCompletions, ChatConfig};
pub use script::{Script, ScriptError};
