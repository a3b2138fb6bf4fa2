//! Workflows and their sealed versions. A workflow's row carries its current
//! version's sealed definition too; both change in one transaction.

use agentry_domain::event::Event;
use agentry_domain::id::{SquadId, TemplateId, WorkflowId};
use agentry_domain::squads::{SquadMember, SquadStatus, Workflow, WorkflowRepo, WorkflowVersion};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, EntityTrait as _, ExprTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, SqlErr,
};

use super::rows::{current_from, version_from, version_row, workflow_from, workflow_row};
use super::{delete_at, lock_squad, members_unchanged, missed, set_sealed};
use crate::Store;
use crate::entity::{workflow_templates, workflow_versions, workflows};
use crate::error::db_error;
use crate::id_page::id_page;

/// The version `number` of a workflow.
async fn version_in(
    conn: &impl ConnectionTrait,
    id: WorkflowId,
    number: i32,
) -> Result<Option<WorkflowVersion>> {
    Ok(workflow_versions::Entity::find()
        .filter(workflow_versions::Column::WorkflowId.eq(id.0))
        .filter(workflow_versions::Column::Version.eq(number))
        .one(conn)
        .await
        .map_err(db_error)?
        .map(version_from))
}

fn immutable(err: sea_orm::DbErr) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict("that version of the workflow was saved already".into())
        }
        _ => db_error(err),
    }
}

#[async_trait]
impl WorkflowRepo for Store {
    async fn create_workflow(
        &self,
        workflow: &Workflow,
        first: &WorkflowVersion,
        template: Option<TemplateId>,
        members: &[SquadMember],
        events: &[Event],
    ) -> Result<()> {
        self.transact(events, async |txn| {
            lock_squad(txn, workflow.squad_id.0).await?;
            members_unchanged(txn, workflow.squad_id.0, members).await?;
            let count = workflows::Entity::find()
                .filter(workflows::Column::SquadId.eq(workflow.squad_id.0))
                .count(txn)
                .await
                .map_err(db_error)?;
            if count >= Workflow::PER_SQUAD_MAX as u64 {
                return Err(Error::Conflict(format!(
                    "a squad holds at most {} workflows",
                    Workflow::PER_SQUAD_MAX
                )));
            }
            if let Some(template) = template {
                // One statement: concurrent uses each count.
                let used = workflow_templates::Entity::update_many()
                    .col_expr(
                        workflow_templates::Column::UsageCount,
                        Expr::col(workflow_templates::Column::UsageCount).add(1),
                    )
                    .filter(workflow_templates::Column::Id.eq(template.0))
                    .exec(txn)
                    .await
                    .map_err(db_error)?;
                if used.rows_affected == 0 {
                    return Err(Error::NotFound {
                        entity: "workflow template",
                    });
                }
            }
            workflows::Entity::insert(workflow_row(workflow, first))
                .exec_without_returning(txn)
                .await
                .map_err(db_error)?;
            workflow_versions::Entity::insert(version_row(first))
                .exec_without_returning(txn)
                .await
                .map_err(immutable)?;
            Ok(())
        })
        .await
    }

    async fn get_workflow(&self, id: WorkflowId) -> Result<Option<Workflow>> {
        workflows::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?
            .map(workflow_from)
            .transpose()
    }

    async fn current(&self, id: WorkflowId) -> Result<Option<(Workflow, WorkflowVersion)>> {
        workflows::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?
            .map(current_from)
            .transpose()
    }

    async fn list_workflows(
        &self,
        squad: SquadId,
        status: Option<SquadStatus>,
        after: Option<WorkflowId>,
        limit: u32,
    ) -> Result<Vec<Workflow>> {
        let mut query = workflows::Entity::find().filter(workflows::Column::SquadId.eq(squad.0));
        if let Some(status) = status {
            query = query.filter(workflows::Column::Status.eq(status.as_str()));
        }
        id_page(query, workflows::Column::Id, after.map(|a| a.0), limit)
            .all(&self.read)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(workflow_from)
            .collect()
    }

    async fn squad_definitions(&self, squad: SquadId) -> Result<Vec<(Workflow, WorkflowVersion)>> {
        let rows = workflows::Entity::find()
            .filter(workflows::Column::SquadId.eq(squad.0))
            .order_by_asc(workflows::Column::Id)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(current_from).collect()
    }

    async fn update_workflow(&self, workflow: &Workflow, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            let d = &workflow.record.draft;
            let expected = workflow.record.replaces();
            let updated = workflows::Entity::update_many()
                .col_expr(workflows::Column::Name, Expr::value(d.name.clone()))
                .col_expr(
                    workflows::Column::Description,
                    Expr::value(d.description.clone()),
                )
                .col_expr(workflows::Column::Status, Expr::value(d.status.as_str()))
                .col_expr(
                    workflows::Column::Revision,
                    Expr::value(workflow.record.revision),
                )
                .col_expr(
                    workflows::Column::UpdatedAt,
                    Expr::value(workflow.record.updated_at),
                )
                .filter(workflows::Column::Id.eq(workflow.id().0))
                .filter(workflows::Column::Revision.eq(expected))
                .exec(txn)
                .await
                .map_err(db_error)?;
            if updated.rows_affected == 0 {
                return Err(missed::<workflows::Entity>(txn, workflow.id().0, expected).await);
            }
            Ok(())
        })
        .await
    }

    async fn save_version(
        &self,
        workflow: &Workflow,
        version: &WorkflowVersion,
        members: &[SquadMember],
        events: &[Event],
    ) -> Result<()> {
        self.transact(events, async |txn| {
            lock_squad(txn, workflow.squad_id.0).await?;
            members_unchanged(txn, workflow.squad_id.0, members).await?;
            let expected = workflow.record.replaces();
            let sealed = &version.sealed;
            let updated = set_sealed(workflows::Entity::update_many(), sealed)
                .col_expr(workflows::Column::Version, Expr::value(workflow.version))
                .col_expr(
                    workflows::Column::DefinitionDigest,
                    Expr::value(version.digest.clone()),
                )
                .col_expr(
                    workflows::Column::DefinitionSavedBy,
                    Expr::value(version.created_by.0),
                )
                .col_expr(
                    workflows::Column::DefinitionSavedAt,
                    Expr::value(version.created_at),
                )
                .col_expr(
                    workflows::Column::Revision,
                    Expr::value(workflow.record.revision),
                )
                .col_expr(
                    workflows::Column::UpdatedAt,
                    Expr::value(workflow.record.updated_at),
                )
                .filter(workflows::Column::Id.eq(workflow.id().0))
                .filter(workflows::Column::Revision.eq(expected))
                .exec(txn)
                .await
                .map_err(db_error)?;
            if updated.rows_affected == 0 {
                return Err(missed::<workflows::Entity>(txn, workflow.id().0, expected).await);
            }
            workflow_versions::Entity::insert(version_row(version))
                .exec_without_returning(txn)
                .await
                .map_err(immutable)?;
            Ok(())
        })
        .await
    }

    async fn get_version(&self, id: WorkflowId, version: i32) -> Result<Option<WorkflowVersion>> {
        version_in(&self.read, id, version).await
    }

    async fn list_versions(
        &self,
        id: WorkflowId,
        before: Option<i32>,
        limit: u32,
    ) -> Result<Vec<WorkflowVersion>> {
        let mut query = workflow_versions::Entity::find()
            .filter(workflow_versions::Column::WorkflowId.eq(id.0));
        if let Some(before) = before {
            query = query.filter(workflow_versions::Column::Version.lt(before));
        }
        Ok(query
            .order_by_desc(workflow_versions::Column::Version)
            .limit(u64::from(limit))
            .all(&self.read)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(version_from)
            .collect())
    }

    async fn delete_workflow(&self, id: WorkflowId, revision: i64, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            delete_at::<workflows::Entity>(txn, id.0, revision).await
        })
        .await
    }
}
