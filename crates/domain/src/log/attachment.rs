//! A file attached to an event: its record (the bytes are in the blob store).

use chrono::{DateTime, Utc};

use crate::id::{AttachmentId, EventId, ProjectId};
use crate::{Error, Result};

/// A file attached to an event; its bytes live in the blob store under `storage_key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub event_id: EventId,
    pub project_id: ProjectId,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes, so clients can verify a download.
    pub sha256: String,
    pub storage_key: String,
    pub created_at: DateTime<Utc>,
}

/// What an uploader supplies besides the bytes.
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: Option<String>,
}

impl Attachment {
    /// # Errors
    /// `Validation` for a file name that is empty, too long or holds a path.
    pub fn new(
        event_id: EventId,
        project_id: ProjectId,
        input: NewAttachment,
        size_bytes: usize,
        sha256: String,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let filename = crate::text::required("filename", &input.filename, 255)?;
        if filename.contains(['/', '\\']) || filename == "." || filename == ".." {
            return Err(Error::validation("filename", "must be a plain file name"));
        }
        let content_type = input
            .content_type
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let content_type = crate::text::bounded("content_type", &content_type, 255)?;
        let id = AttachmentId::generate();
        Ok(Self {
            id,
            event_id,
            project_id,
            filename,
            content_type,
            size_bytes: i64::try_from(size_bytes).map_err(Error::internal)?,
            sha256,
            storage_key: format!("{project_id}/{id}"),
            created_at: now,
        })
    }
}
