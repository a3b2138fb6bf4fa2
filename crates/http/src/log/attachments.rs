//! Files attached to events.

use agentry_domain::Services;
use agentry_domain::id::{AttachmentId, EventId};
use agentry_domain::log::NewAttachment;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Attachment as Download, AttachmentType, Binary, Json};
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::AttachmentOut;
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::problem::ApiResult;
use crate::common::responses::Created;

#[derive(Debug, ApiResponse)]
pub enum DownloadResponse {
    /// The bytes, as a download named after the file.
    #[oai(status = 200)]
    Ok(Download<Vec<u8>>, #[oai(header = "X-Content-Type")] String),
}

/// Attachments.
#[derive(Debug)]
pub struct AttachmentsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Attachments")]
impl AttachmentsApi {
    /// Uploads a file (the raw request body) and attaches it to an event.
    #[oai(
        path = "/events/:event_id/attachments",
        method = "post",
        operation_id = "create_attachment"
    )]
    async fn upload(
        &self,
        caller: Caller,
        event_id: Path<Uuid>,
        /// A plain file name, without directories.
        filename: Query<String>,
        /// The file's media type; `application/octet-stream` by default.
        content_type: Query<Option<String>>,
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Created<AttachmentOut>> {
        let input = NewAttachment {
            filename: filename.0,
            content_type: content_type.0,
        };
        let attachment = self
            .services
            .attachments
            .upload(&caller.0, EventId(event_id.0), input, body.0)
            .await?;
        Ok(Created::Created(Json((&attachment).into())))
    }

    #[oai(
        path = "/events/:event_id/attachments",
        method = "get",
        operation_id = "list_attachments"
    )]
    async fn list(
        &self,
        caller: Caller,
        event_id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<AttachmentOut>>> {
        let attachments = self
            .services
            .attachments
            .list(&caller.0, EventId(event_id.0))
            .await?;
        Ok(Json(attachments.iter().map(AttachmentOut::from).collect()))
    }

    /// Downloads an attachment's bytes; `X-Content-Type` carries its media type.
    #[oai(
        path = "/attachments/:attachment_id",
        method = "get",
        operation_id = "download_attachment"
    )]
    async fn download(
        &self,
        caller: Caller,
        attachment_id: Path<Uuid>,
    ) -> ApiResult<DownloadResponse> {
        let (attachment, bytes) = self
            .services
            .attachments
            .download(&caller.0, AttachmentId(attachment_id.0))
            .await?;
        let download = Download::new(bytes)
            .attachment_type(AttachmentType::Attachment)
            .filename(attachment.filename.clone());
        Ok(DownloadResponse::Ok(download, attachment.content_type))
    }
}
