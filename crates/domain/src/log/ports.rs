//! What the log needs from storage: the events themselves, the records of files
//! attached to them, and the files' bytes.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Attachment, EventFilter};
use crate::Result;
use crate::clock::Clock;
use crate::event::Event;
use crate::id::{AttachmentId, EventId};

/// The event log.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventRepo: Send + Sync {
    /// Appends events that are themselves the whole change (messages, comments).
    async fn append(&self, events: &[Event]) -> Result<()>;
    async fn get_event(&self, id: EventId) -> Result<Option<Event>>;
    /// Up to `filter.limit` matching events, newest first, whatever their kind.
    async fn list_events(&self, filter: &EventFilter) -> Result<Vec<Event>>;
}

/// Attachment records (their bytes are in the [`BlobStore`]).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AttachmentRepo: Send + Sync {
    async fn create_attachment(&self, attachment: &Attachment) -> Result<()>;
    async fn get_attachment(&self, id: AttachmentId) -> Result<Option<Attachment>>;
    async fn list_attachments(&self, event: EventId) -> Result<Vec<Attachment>>;
}

/// Opaque bytes under string keys.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait BlobStore: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    async fn delete(&self, key: &str) -> Result<()>;
}

/// The log's ports, for wiring.
#[derive(Clone)]
pub struct Ports {
    pub events: Arc<dyn EventRepo>,
    pub attachments: Arc<dyn AttachmentRepo>,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
