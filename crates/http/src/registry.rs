//! The assistant registry (seed 001): assistants, tools, links, resolution and
//! threads, one resource per module. Admins write; every authenticated caller
//! reads. Writes take `If-Match: "<revision>"`; a stale one answers 412.

mod assistants;
mod dto;
mod threads;
mod tools;

use agentry_domain::Services;
use agentry_domain::registry::Revisioned;
use agentry_domain::{Error, ErrorKind};
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, OpenApi};

pub use self::assistants::AssistantsApi;
use self::dto::RevisionOut;
pub use self::threads::ThreadsApi;
pub use self::tools::ToolsApi;
use crate::Tag;
use crate::auth::Caller;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::tasks::etag;

const PAGE_MAX: u32 = 200;

/// A registry record with its revision as the `ETag`.
#[derive(Debug, ApiResponse)]
pub enum RecordResponse<T: ToJSON + Send + Sync> {
    #[oai(status = 200)]
    Ok(Json<T>, #[oai(header = "ETag")] String),
    #[oai(status = 201)]
    Created(Json<T>, #[oai(header = "ETag")] String),
}

impl<T: ToJSON + Send + Sync> RecordResponse<T> {
    fn ok<I, D>(record: &Revisioned<I, D>) -> Self
    where
        for<'a> T: From<&'a Revisioned<I, D>>,
    {
        Self::Ok(Json(record.into()), etag(record.revision))
    }

    fn created<I, D>(record: &Revisioned<I, D>) -> Self
    where
        for<'a> T: From<&'a Revisioned<I, D>>,
    {
        Self::Created(Json(record.into()), etag(record.revision))
    }
}

/// A stale `If-Match` is a failed precondition here, not a conflict.
pub(crate) fn precondition(error: Error) -> ApiError {
    if error.kind() == ErrorKind::StaleVersion {
        let problem = Problem::new(
            poem::http::StatusCode::PRECONDITION_FAILED,
            "stale-revision",
            format!("{error}; read it again and retry"),
        );
        return ApiError::PreconditionFailed(Json(problem));
    }
    error.into()
}

pub(crate) fn limit(raw: Option<u32>) -> ApiResult<u32> {
    match raw.unwrap_or(50) {
        n @ 1..=PAGE_MAX => Ok(n),
        _ => Err(crate::problem::bad_request(
            "limit",
            format!("must be between 1 and {PAGE_MAX}"),
        )),
    }
}

/// The registry as a whole.
#[derive(Debug)]
pub struct RegistryApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Registry")]
impl RegistryApi {
    /// The registry revision: changes whenever anything in the registry does.
    #[oai(
        path = "/registry/revision",
        method = "get",
        operation_id = "registry_revision"
    )]
    async fn revision(&self, _caller: Caller) -> ApiResult<Json<RevisionOut>> {
        Ok(Json(RevisionOut {
            revision: self.services.registry.revision().await?,
        }))
    }
}
