//! Tools. Changing whom a sub-assistant tool delegates to is checked for loops
//! through every assistant linked to it.

use agentry_domain::event::Event;
use agentry_domain::id::{AssistantId, ToolId};
use agentry_domain::registry::{Delegation, Tool, ToolQuery, ToolRepo};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, SqlErr,
};

use super::rows::{tool_from, tool_row};
use super::{graph, stale};
use crate::Store;
use crate::entity::{assistant_tool_link as links, tools};
use crate::error::db_error;

fn conflict(name: &str) -> impl Fn(DbErr) -> Error + '_ {
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict(format!("a tool named {name:?} exists"))
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            Error::validation("assistant_id", "no such assistant")
        }
        _ => db_error(err),
    }
}

async fn revision_of(conn: &impl ConnectionTrait, id: ToolId) -> Result<Option<i64>> {
    Ok(tools::Entity::find_by_id(id.0)
        .one(conn)
        .await
        .map_err(db_error)?
        .map(|current| current.revision))
}

#[async_trait]
impl ToolRepo for Store {
    async fn create_tool(&self, tool: &Tool, events: &[Event]) -> Result<()> {
        self.registry_write(events, async |txn| {
            tools::Entity::insert(tool_row(tool))
                .exec_without_returning(txn)
                .await
                .map_err(conflict(tool.draft.name.as_str()))?;
            Ok(())
        })
        .await
    }

    async fn get_tool(&self, id: ToolId) -> Result<Option<Tool>> {
        let row = tools::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        row.map(tool_from).transpose()
    }

    async fn list_tools(&self, q: &ToolQuery) -> Result<Vec<Tool>> {
        let mut query = tools::Entity::find();
        if let Some(active) = q.is_active {
            query = query.filter(tools::Column::IsActive.eq(active));
        }
        if let Some(kind) = q.tool_type {
            query = query.filter(tools::Column::ToolType.eq(kind.as_str()));
        }
        if let Some(after) = &q.after_name {
            query = query.filter(tools::Column::Name.gt(after.as_str()));
        }
        query
            .order_by_asc(tools::Column::Name)
            .limit(u64::from(q.limit))
            .all(&self.read)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(tool_from)
            .collect()
    }

    async fn update_tool(&self, tool: &Tool, events: &[Event]) -> Result<()> {
        self.registry_write(events, async |txn| {
            if let Some(target) = tool.draft.assistant_id {
                let users = links::Entity::find()
                    .filter(links::Column::ToolId.eq(tool.id.0))
                    .all(txn)
                    .await
                    .map_err(db_error)?;
                let added: Vec<Delegation> = users
                    .iter()
                    .map(|l| Delegation {
                        from: AssistantId(l.assistant_id),
                        to: target,
                    })
                    .collect();
                let existing = graph::edges(txn, Some(tool.id)).await?;
                graph::refuse_loops(txn, &existing, &added).await?;
            }
            let expected = tool.replaces();
            let updated = tools::Entity::update_many()
                .set(tool_row(tool))
                .filter(tools::Column::Id.eq(tool.id.0))
                .filter(tools::Column::Revision.eq(expected))
                .exec(txn)
                .await
                .map_err(conflict(tool.draft.name.as_str()))?;
            if updated.rows_affected == 0 {
                return Err(stale(expected, revision_of(txn, tool.id).await?, "tool"));
            }
            // Links remember whom a sub-assistant tool delegates to.
            links::Entity::update_many()
                .col_expr(
                    links::Column::SubAssistantId,
                    Expr::value(tool.draft.assistant_id.map(|a| a.0)),
                )
                .filter(links::Column::ToolId.eq(tool.id.0))
                .exec(txn)
                .await
                .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn delete_tool(&self, id: ToolId, revision: i64, events: &[Event]) -> Result<()> {
        self.registry_write(events, async |txn| {
            let users = links::Entity::find()
                .filter(links::Column::ToolId.eq(id.0))
                .count(txn)
                .await
                .map_err(db_error)?;
            if users > 0 {
                return Err(Error::Conflict(format!(
                    "the tool is still linked to {users} assistant(s); unlink it first"
                )));
            }
            let deleted = tools::Entity::delete_many()
                .filter(tools::Column::Id.eq(id.0))
                .filter(tools::Column::Revision.eq(revision))
                .exec(txn)
                .await
                .map_err(db_error)?;
            if deleted.rows_affected == 0 {
                return Err(stale(revision, revision_of(txn, id).await?, "tool"));
            }
            Ok(())
        })
        .await
    }
}
