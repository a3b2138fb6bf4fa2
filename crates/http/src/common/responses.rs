//! Responses shared by every resource.

use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;

use super::preconditions::etag;

/// A resource was created.
#[derive(Debug, ApiResponse)]
pub enum Created<T: ToJSON + Send + Sync> {
    #[oai(status = 201)]
    Created(Json<T>),
}

/// The operation succeeded and has nothing to say.
#[derive(Debug, ApiResponse)]
pub enum NoContent {
    #[oai(status = 204)]
    NoContent,
}

/// A versioned record (a task, an assistant, a tool), its version as the `ETag`.
#[derive(Debug, ApiResponse)]
pub enum Versioned<T: ToJSON + Send + Sync> {
    #[oai(status = 200)]
    Ok(Json<T>, #[oai(header = "ETag")] String),
}

/// A versioned record was created; its first version is the `ETag`.
#[derive(Debug, ApiResponse)]
pub enum VersionedCreated<T: ToJSON + Send + Sync> {
    #[oai(status = 201)]
    Created(Json<T>, #[oai(header = "ETag")] String),
}

impl<T: ToJSON + Send + Sync> Versioned<T> {
    pub fn new(body: T, version: i64) -> Self {
        Self::Ok(Json(body), etag(version))
    }
}

impl<T: ToJSON + Send + Sync> VersionedCreated<T> {
    pub fn new(body: T, version: i64) -> Self {
        Self::Created(Json(body), etag(version))
    }
}
