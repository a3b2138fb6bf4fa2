//! The registry's resources: assistants, tools, links, resolution and threads, one
//! resource per module. Admins write; every authenticated caller reads. Writes take
//! `If-Match: "<revision>"`; a stale one answers 412.

mod assistants;
mod dto;
mod threads;
mod tools;

use agentry_domain::Services;
use poem_openapi::OpenApi;
use poem_openapi::payload::Json;

pub use self::assistants::AssistantsApi;
use self::dto::RevisionOut;
pub use self::threads::ThreadsApi;
pub use self::tools::ToolsApi;
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::problem::ApiResult;

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
