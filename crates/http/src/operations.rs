//! The operations context's resources: inbound channels, which bridge an
//! outside chat (Telegram) into a project's chat.

mod channels;
mod dto;

pub use channels::ChannelsApi;
