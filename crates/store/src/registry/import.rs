//! Writing a planned import in one transaction, and reading the whole registry.

use agentry_domain::event::Event;
use agentry_domain::registry::{ImportPlan, RegistrySnapshot, SnapshotRepo};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    TransactionTrait as _,
};

use super::graph;
use super::rows::{assistant_from, assistant_row, link_from, link_row, tool_from, tool_row};
use crate::Store;
use crate::entity::{assistant_tool_link as links, assistants, tools};
use crate::error::db_error;

#[async_trait]
impl SnapshotRepo for Store {
    async fn snapshot(&self) -> Result<RegistrySnapshot> {
        let txn = self.read.begin().await.map_err(db_error)?;
        let snapshot = snapshot(&txn).await?;
        txn.commit().await.map_err(db_error)?;
        Ok(snapshot)
    }

    async fn apply_import(&self, plan: &ImportPlan, events: &[Event]) -> Result<()> {
        self.registry_write(events, async |txn| {
            apply(txn, plan).await?;
            // Checked on the result, inside the transaction: nothing else can change it.
            let edges = graph::edges(txn, None).await?;
            graph::refuse_loops(txn, &[], &edges).await
        })
        .await
    }
}

async fn snapshot(conn: &impl ConnectionTrait) -> Result<RegistrySnapshot> {
    let assistants = assistants::Entity::find()
        .order_by_asc(assistants::Column::Name)
        .all(conn)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(assistant_from)
        .collect::<Result<_>>()?;
    let tools = tools::Entity::find()
        .order_by_asc(tools::Column::Name)
        .all(conn)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(tool_from)
        .collect::<Result<_>>()?;
    let links = links::Entity::find()
        .all(conn)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(link_from)
        .collect();
    Ok(RegistrySnapshot {
        assistants,
        tools,
        links,
    })
}

/// Assistants first (tools name them), then tools, then links. A record changed
/// since the plan read it fails the whole import with `StaleVersion`.
async fn apply(conn: &impl ConnectionTrait, plan: &ImportPlan) -> Result<()> {
    let conflict = |what: &'static str| {
        move |err: sea_orm::DbErr| match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) => {
                Error::Conflict(format!("{what}: {detail}"))
            }
            _ => crate::error::db_error(err),
        }
    };
    for a in &plan.create_assistants {
        assistants::Entity::insert(assistant_row(a))
            .exec_without_returning(conn)
            .await
            .map_err(conflict("assistant"))?;
    }
    for a in &plan.update_assistants {
        let updated = assistants::Entity::update_many()
            .set(assistant_row(a))
            .filter(assistants::Column::Id.eq(a.id.0))
            .filter(assistants::Column::Revision.eq(a.replaces()))
            .exec(conn)
            .await
            .map_err(conflict("assistant"))?;
        if updated.rows_affected == 0 {
            let current = assistants::Entity::find_by_id(a.id.0)
                .one(conn)
                .await
                .map_err(db_error)?;
            return Err(super::stale(
                a.replaces(),
                current.map(|c| c.revision),
                "assistant",
            ));
        }
    }
    for t in &plan.create_tools {
        tools::Entity::insert(tool_row(t))
            .exec_without_returning(conn)
            .await
            .map_err(conflict("tool"))?;
    }
    for t in &plan.update_tools {
        let updated = tools::Entity::update_many()
            .set(tool_row(t))
            .filter(tools::Column::Id.eq(t.id.0))
            .filter(tools::Column::Revision.eq(t.replaces()))
            .exec(conn)
            .await
            .map_err(conflict("tool"))?;
        if updated.rows_affected == 0 {
            let current = tools::Entity::find_by_id(t.id.0)
                .one(conn)
                .await
                .map_err(db_error)?;
            return Err(super::stale(
                t.replaces(),
                current.map(|c| c.revision),
                "tool",
            ));
        }
    }
    for l in &plan.add_links {
        links::Entity::insert(link_row(l))
            .exec_without_returning(conn)
            .await
            .map_err(conflict("tool link"))?;
    }
    Ok(())
}
