//! `/projects/{id}/retention`: how long a project keeps its events, and
//! pruning what is older now.

use agentry_domain::Services;
use agentry_domain::id::ProjectId;
use agentry_domain::operations::retention::PruneReport;
use chrono::{DateTime, Utc};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use crate::Tag;
use crate::common::auth::Caller;
use crate::common::problem::ApiResult;

/// Retention.
#[derive(Debug)]
pub struct RetentionApi {
    pub services: Services,
}

/// How long a project keeps its events.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RetentionIn {
    /// Days (1–36,500) to keep events for; null keeps every event.
    pub max_age_days: Option<u32>,
}

/// How long a project keeps its events: threads whose every event is older
/// than `max_age_days` are pruned in the background; without it, all are kept.
#[derive(Debug, Object)]
pub struct RetentionOut {
    pub project_id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub max_age_days: Option<u32>,
}

/// What a pruning pass did.
#[derive(Debug, Object)]
pub struct PruneOut {
    pub project_id: Uuid,
    /// Threads with no event from this time on were eligible.
    pub cutoff: DateTime<Utc>,
    /// Transactions the pass took, each recorded as an `events.pruned`.
    pub batches: u64,
    pub events_deleted: u64,
    pub threads_deleted: u64,
    /// Old threads kept because they are still needed: a task not closed, a
    /// plan not finished, a plan's `plan_created`.
    pub threads_kept: u64,
    pub attachments_deleted: u64,
    /// Finished plans whose usage was snapshotted (`usage.snapshot`) before
    /// their turns went.
    pub usage_snapshots: u64,
}

impl From<PruneReport> for PruneOut {
    fn from(r: PruneReport) -> Self {
        Self {
            project_id: r.project.0,
            cutoff: r.cutoff,
            batches: r.batches,
            events_deleted: r.events,
            threads_deleted: r.threads,
            threads_kept: r.kept,
            attachments_deleted: r.attachments,
            usage_snapshots: r.snapshots,
        }
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Projects")]
impl RetentionApi {
    /// How long the project keeps its events.
    #[oai(
        path = "/projects/:project_id/retention",
        method = "get",
        operation_id = "get_retention"
    )]
    async fn get(&self, caller: Caller, project_id: Path<Uuid>) -> ApiResult<Json<RetentionOut>> {
        let project = ProjectId(project_id.0);
        let max_age_days = self.services.retention.get(&caller.0, project).await?;
        Ok(Json(RetentionOut {
            project_id: project.0,
            max_age_days,
        }))
    }

    /// Sets how long the project keeps its events (`retention.set`); admins
    /// only, since pruning deletes history.
    #[oai(
        path = "/projects/:project_id/retention",
        method = "put",
        operation_id = "set_retention"
    )]
    async fn set(
        &self,
        caller: Caller,
        project_id: Path<Uuid>,
        body: Json<RetentionIn>,
    ) -> ApiResult<Json<RetentionOut>> {
        let project = ProjectId(project_id.0);
        let max_age_days = self
            .services
            .retention
            .set(&caller.0, project, body.0.max_age_days)
            .await?;
        Ok(Json(RetentionOut {
            project_id: project.0,
            max_age_days,
        }))
    }

    /// Prunes the project's old threads now, as the background pass does;
    /// admins only. 409 for a project that keeps every event.
    #[oai(
        path = "/projects/:project_id/retention/prune",
        method = "post",
        operation_id = "prune_events"
    )]
    async fn prune(&self, caller: Caller, project_id: Path<Uuid>) -> ApiResult<Json<PruneOut>> {
        let report = self
            .services
            .retention
            .prune_now(&caller.0, ProjectId(project_id.0))
            .await?;
        Ok(Json(report.into()))
    }
}
