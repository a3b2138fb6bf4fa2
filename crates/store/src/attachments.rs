//! Attachment records.

use agentry_domain::Result;
use agentry_domain::id::{AttachmentId, EventId, ProjectId};
use agentry_domain::log::{Attachment, AttachmentRepo};
use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _,
};

use crate::Store;
use crate::entity::attachments::{ActiveModel, Column, Entity, Model};
use crate::error::db_error;

fn from_row(row: Model) -> Attachment {
    Attachment {
        id: AttachmentId(row.id),
        event_id: EventId(row.event_id),
        project_id: ProjectId(row.project_id),
        filename: row.filename,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        storage_key: row.storage_key,
        created_at: row.created_at,
    }
}

#[async_trait]
impl AttachmentRepo for Store {
    async fn create_attachment(&self, a: &Attachment) -> Result<()> {
        let row = ActiveModel {
            id: Set(a.id.0),
            event_id: Set(a.event_id.0),
            project_id: Set(a.project_id.0),
            filename: Set(a.filename.clone()),
            content_type: Set(a.content_type.clone()),
            size_bytes: Set(a.size_bytes),
            sha256: Set(a.sha256.clone()),
            storage_key: Set(a.storage_key.clone()),
            created_at: Set(a.created_at),
        };
        Entity::insert(row)
            .exec_without_returning(&self.write)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn get_attachment(&self, id: AttachmentId) -> Result<Option<Attachment>> {
        let row = Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        Ok(row.map(from_row))
    }

    async fn list_attachments(&self, event: EventId) -> Result<Vec<Attachment>> {
        let rows = Entity::find()
            .filter(Column::EventId.eq(event.0))
            .order_by_asc(Column::Id)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(from_row).collect())
    }
}
