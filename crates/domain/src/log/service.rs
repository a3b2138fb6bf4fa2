//! The log's use cases: posting and reading events, and files attached to them.

mod attachments;
mod events;

pub use attachments::Attachments;
pub use events::{CONTENT_MAX, Events, PostEvent};

#[cfg(test)]
mod tests;
