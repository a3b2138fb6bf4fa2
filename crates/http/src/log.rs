//! The log's resources: events (posting and feeds) and files attached to them.

mod attachments;
mod dto;
mod events;
mod schema;

pub use attachments::AttachmentsApi;
pub(crate) use dto::EventOut;
pub use events::EventsApi;
