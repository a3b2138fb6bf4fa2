//! Which assistant has which tool. A link to a sub-assistant tool is a delegation
//! edge, checked for loops inside the writing transaction.

use agentry_domain::event::Event;
use agentry_domain::id::{AssistantId, ToolId};
use agentry_domain::registry::{Delegation, Tool, ToolLink, ToolLinkRepo};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, SqlErr};

use super::graph;
use super::rows::{link_from, link_row, tool_from};
use crate::Store;
use crate::entity::{assistant_tool_link as links, tools};
use crate::error::db_error;

#[async_trait]
impl ToolLinkRepo for Store {
    async fn link_tool(&self, link: &ToolLink, events: &[Event]) -> Result<()> {
        self.registry_write(events, async |txn| {
            let tool = tools::Entity::find_by_id(link.tool_id.0)
                .one(txn)
                .await
                .map_err(db_error)?
                .ok_or(Error::NotFound { entity: "tool" })?;
            if let Some(target) = tool.assistant_id {
                let existing = graph::edges(txn, None).await?;
                let added = [Delegation {
                    from: link.assistant_id,
                    to: AssistantId(target),
                }];
                graph::refuse_loops(txn, &existing, &added).await?;
            }
            let row = ToolLink {
                sub_assistant_id: tool.assistant_id.map(AssistantId),
                ..link.clone()
            };
            links::Entity::insert(link_row(&row))
                .exec_without_returning(txn)
                .await
                .map_err(|err| match err.sql_err() {
                    Some(SqlErr::UniqueConstraintViolation(_)) => {
                        Error::Conflict("the assistant has this tool already".into())
                    }
                    _ => db_error(err),
                })?;
            Ok(())
        })
        .await
    }

    async fn unlink_tool(
        &self,
        assistant: AssistantId,
        tool: ToolId,
        events: &[Event],
    ) -> Result<()> {
        self.registry_write(events, async |txn| {
            let deleted = links::Entity::delete_many()
                .filter(links::Column::AssistantId.eq(assistant.0))
                .filter(links::Column::ToolId.eq(tool.0))
                .exec(txn)
                .await
                .map_err(db_error)?;
            if deleted.rows_affected == 0 {
                return Err(Error::NotFound {
                    entity: "tool link",
                });
            }
            Ok(())
        })
        .await
    }

    async fn tool_links(&self, assistant: AssistantId) -> Result<Vec<(ToolLink, Tool)>> {
        let rows = links::Entity::find()
            .filter(links::Column::AssistantId.eq(assistant.0))
            .all(&self.read)
            .await
            .map_err(db_error)?;
        let tools = tools::Entity::find()
            .filter(tools::Column::Id.is_in(rows.iter().map(|l| l.tool_id)))
            .all(&self.read)
            .await
            .map_err(db_error)?;
        let mut pairs = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(tool) = tools.iter().find(|t| t.id == row.tool_id) else {
                continue;
            };
            pairs.push((link_from(row), tool_from(tool.clone())?));
        }
        pairs.sort_by(|a, b| a.1.draft.name.cmp(&b.1.draft.name));
        Ok(pairs)
    }

    async fn delegations(&self) -> Result<Vec<Delegation>> {
        graph::edges(&self.read, None).await
    }
}
