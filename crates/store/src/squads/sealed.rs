//! Sealing every version again under one key: batches of versions not under it,
//! each replaced only if it is still what was read.

use agentry_domain::Result;
use agentry_domain::event::Event;
use agentry_domain::id::WorkflowId;
use agentry_domain::squads::{Sealed, SealedRepo, WorkflowVersion};
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, Condition, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _,
};

use super::rows::version_from;
use super::set_sealed;
use crate::Store;
use crate::entity::{workflow_versions, workflows};
use crate::error::db_error;

#[async_trait]
impl SealedRepo for Store {
    async fn sealed_elsewhere(
        &self,
        key_id: &str,
        after: Option<(WorkflowId, i32)>,
        limit: u32,
    ) -> Result<Vec<WorkflowVersion>> {
        let mut query =
            workflow_versions::Entity::find().filter(workflow_versions::Column::KeyId.ne(key_id));
        if let Some((workflow, version)) = after {
            // Past the last one read, along the (workflow, version) index.
            query = query.filter(
                Condition::any()
                    .add(workflow_versions::Column::WorkflowId.gt(workflow.0))
                    .add(
                        Condition::all()
                            .add(workflow_versions::Column::WorkflowId.eq(workflow.0))
                            .add(workflow_versions::Column::Version.gt(version)),
                    ),
            );
        }
        Ok(query
            .order_by_asc(workflow_versions::Column::WorkflowId)
            .order_by_asc(workflow_versions::Column::Version)
            .limit(u64::from(limit))
            .all(&self.read)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(version_from)
            .collect())
    }

    async fn reseal(
        &self,
        resealed: &[(WorkflowVersion, Sealed)],
        events: &[Event],
    ) -> Result<u64> {
        self.transact(events, async |txn| {
            let mut moved = 0;
            for (was, now) in resealed {
                let replaced = workflow_versions::Entity::update_many()
                    .col_expr(
                        workflow_versions::Column::DefinitionEncrypted,
                        Expr::value(now.ciphertext.clone()),
                    )
                    .col_expr(
                        workflow_versions::Column::DefinitionIv,
                        Expr::value(now.nonce.clone()),
                    )
                    .col_expr(
                        workflow_versions::Column::KeyId,
                        Expr::value(now.key_id.clone()),
                    )
                    .filter(workflow_versions::Column::WorkflowId.eq(was.workflow_id.0))
                    .filter(workflow_versions::Column::Version.eq(was.version))
                    .filter(workflow_versions::Column::KeyId.eq(was.sealed.key_id.clone()))
                    .filter(workflow_versions::Column::DefinitionIv.eq(was.sealed.nonce.clone()))
                    .exec(txn)
                    .await
                    .map_err(db_error)?;
                if replaced.rows_affected == 0 {
                    continue;
                }
                moved += replaced.rows_affected;
                // The workflow's copy, when this is its current version.
                set_sealed(workflows::Entity::update_many(), now)
                    .filter(workflows::Column::Id.eq(was.workflow_id.0))
                    .filter(workflows::Column::Version.eq(was.version))
                    .exec(txn)
                    .await
                    .map_err(db_error)?;
            }
            Ok(moved)
        })
        .await
    }
}
