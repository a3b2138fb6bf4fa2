//! The operations use cases: recording processes, and inbound channels.

mod channels;
mod processes;

pub use channels::{ChannelView, Channels, NewChannel, Receipt};
pub use processes::ProcessLog;
