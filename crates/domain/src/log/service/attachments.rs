//! Files attached to events: their bytes in the blob store, their records beside
//! the events.

use sha2::{Digest as _, Sha256};

use crate::caller::Principal;
use crate::id::{AttachmentId, EventId};
use crate::log::{Attachment, NewAttachment, Ports};
use crate::workspace::{self, access};
use crate::{Error, Result};

/// Files attached to events.
#[derive(Clone, Debug)]
pub struct Attachments {
    ports: Ports,
    workspace: workspace::Ports,
    /// The largest file accepted, in bytes.
    max_bytes: usize,
}

impl Attachments {
    pub(crate) fn new(ports: Ports, workspace: workspace::Ports, max_bytes: usize) -> Self {
        Self {
            ports,
            workspace,
            max_bytes,
        }
    }

    /// Stores `bytes` and records them as attached to `event`.
    ///
    /// The bytes are written first; if recording fails they are deleted again, so a
    /// record never points at missing bytes.
    ///
    /// # Errors
    /// `NotFound` for an event the caller cannot see, `TooLarge`, `Validation`.
    pub async fn upload(
        &self,
        who: &Principal,
        event: EventId,
        input: NewAttachment,
        bytes: Vec<u8>,
    ) -> Result<Attachment> {
        let project = self.event_project(who, event).await?;
        if bytes.len() > self.max_bytes {
            return Err(Error::TooLarge {
                what: "attachment",
                limit: self.max_bytes,
            });
        }
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let now = self.ports.clock.now();
        let attachment = Attachment::new(event, project, input, bytes.len(), sha256, now)?;
        self.ports.blobs.put(&attachment.storage_key, bytes).await?;
        if let Err(error) = self.ports.attachments.create_attachment(&attachment).await {
            // The record failed, so nothing refers to the bytes: removing them is
            // best-effort and its failure would only leave an unreferenced file.
            let _ = self.ports.blobs.delete(&attachment.storage_key).await;
            return Err(error);
        }
        Ok(attachment)
    }

    /// # Errors
    /// `NotFound` for an event the caller cannot see.
    pub async fn list(&self, who: &Principal, event: EventId) -> Result<Vec<Attachment>> {
        self.event_project(who, event).await?;
        self.ports.attachments.list_attachments(event).await
    }

    /// The record and the bytes of an attachment.
    ///
    /// # Errors
    /// `NotFound` for an attachment the caller cannot see; `Internal` when its bytes
    /// are missing from the blob store.
    pub async fn download(
        &self,
        who: &Principal,
        id: AttachmentId,
    ) -> Result<(Attachment, Vec<u8>)> {
        let not_found = || Error::NotFound {
            entity: "attachment",
        };
        let attachment = self
            .ports
            .attachments
            .get_attachment(id)
            .await?
            .ok_or_else(not_found)?;
        access::project_of(&self.workspace, who, attachment.project_id, "attachment").await?;
        let bytes = self
            .ports
            .blobs
            .get(&attachment.storage_key)
            .await?
            .ok_or_else(|| {
                Error::internal(format!("blob {} is missing", attachment.storage_key))
            })?;
        Ok((attachment, bytes))
    }

    async fn event_project(&self, who: &Principal, event: EventId) -> Result<crate::id::ProjectId> {
        let not_found = || Error::NotFound { entity: "event" };
        let event = self
            .ports
            .events
            .get_event(event)
            .await?
            .ok_or_else(not_found)?;
        let project = event.project_id.ok_or_else(not_found)?;
        access::project_of(&self.workspace, who, project, "event").await?;
        Ok(project)
    }
}
