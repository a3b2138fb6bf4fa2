//! The operations use cases: recording processes, inbound channels, retention.

mod channels;
mod processes;
mod retention;

pub use channels::{ChannelView, Channels, NewChannel, Receipt};
pub use processes::ProcessLog;
pub use retention::Retention;
