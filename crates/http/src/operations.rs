//! The operations context's resources: inbound channels, which bridge an
//! outside chat (Telegram) into a project's chat, and retention.

mod channels;
mod dto;
mod retention;

pub use channels::ChannelsApi;
pub use retention::RetentionApi;
