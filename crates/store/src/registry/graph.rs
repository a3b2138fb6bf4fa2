//! The delegation graph as stored, and the loop check run inside the writing
//! transaction (after the revision bump, which serializes registry writers).

use agentry_domain::id::{AssistantId, ToolId};
use agentry_domain::registry::{Delegation, find_cycle};
use agentry_domain::{Error, Result};
use sea_orm::{ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _};

use crate::entity::{assistant_tool_link, assistants, tools};
use crate::error::db_error;

/// Every delegation edge, except those through `except` (a tool being changed).
pub(super) async fn edges(
    conn: &impl ConnectionTrait,
    except: Option<ToolId>,
) -> Result<Vec<Delegation>> {
    let delegating = tools::Entity::find()
        .filter(tools::Column::AssistantId.is_not_null())
        .all(conn)
        .await
        .map_err(db_error)?;
    let links = assistant_tool_link::Entity::find()
        .all(conn)
        .await
        .map_err(db_error)?;
    Ok(links
        .iter()
        .filter(|l| except.is_none_or(|t| t.0 != l.tool_id))
        .filter_map(|l| {
            let tool = delegating.iter().find(|t| t.id == l.tool_id)?;
            Some(Delegation {
                from: AssistantId(l.assistant_id),
                to: AssistantId(tool.assistant_id?),
            })
        })
        .collect())
}

/// `Conflict` naming the loop, by assistant names, when `added` closes one.
pub(super) async fn refuse_loops(
    conn: &impl ConnectionTrait,
    existing: &[Delegation],
    added: &[Delegation],
) -> Result<()> {
    let Some(cycle) = find_cycle(existing, added) else {
        return Ok(());
    };
    let rows = assistants::Entity::find()
        .filter(assistants::Column::Id.is_in(cycle.iter().map(|a| a.0)))
        .all(conn)
        .await
        .map_err(db_error)?;
    let names: Vec<String> = cycle
        .iter()
        .map(|id| {
            rows.iter()
                .find(|r| r.id == id.0)
                .map_or_else(|| id.to_string(), |r| r.name.clone())
        })
        .collect();
    Err(Error::Conflict(format!(
        "this would let an assistant reach itself through sub-assistants: {}",
        names.join(" → ")
    )))
}
