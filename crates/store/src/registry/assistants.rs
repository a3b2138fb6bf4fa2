//! Assistants, and what still refers to one.

use agentry_domain::event::Event;
use agentry_domain::id::AssistantId;
use agentry_domain::registry::{Assistant, AssistantQuery, AssistantRepo, AssistantUsage};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, ExprTrait as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, SqlErr,
};

use super::rows::{assistant_from, assistant_row};
use super::stale;
use crate::Store;
use crate::entity::{
    assistant_tool_link as links, assistants, members, squad_members, squads, tools,
    user_assistant_threads as threads,
};
use crate::error::db_error;

/// Unique violations on assistants: a taken name or a second active secretary.
fn conflict(name: &str) -> impl Fn(DbErr) -> Error + '_ {
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("secretary") => {
            Error::Conflict("another assistant is the active secretary".into())
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict(format!("an assistant named {name:?} exists"))
        }
        _ => db_error(err),
    }
}

async fn revision_of(conn: &impl ConnectionTrait, id: AssistantId) -> Result<Option<i64>> {
    Ok(assistants::Entity::find_by_id(id.0)
        .one(conn)
        .await
        .map_err(db_error)?
        .map(|current| current.revision))
}

async fn usage_in(conn: &impl ConnectionTrait, id: AssistantId) -> Result<AssistantUsage> {
    let tools = tools::Entity::find()
        .filter(tools::Column::AssistantId.eq(id.0))
        .order_by_asc(tools::Column::Name)
        .all(conn)
        .await
        .map_err(db_error)?;
    let links = links::Entity::find()
        .filter(
            links::Column::AssistantId
                .eq(id.0)
                .or(links::Column::SubAssistantId.eq(id.0)),
        )
        .count(conn)
        .await
        .map_err(db_error)?;
    let members = members::Entity::find()
        .filter(members::Column::AssistantId.eq(id.0))
        .order_by_asc(members::Column::Handle)
        .all(conn)
        .await
        .map_err(db_error)?;
    let squads = squads::Entity::find()
        .filter(
            squads::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(squad_members::Column::SquadId)
                    .from(squad_members::Entity)
                    .and_where(squad_members::Column::AgentId.eq(id.0))
                    .to_owned(),
            ),
        )
        .order_by_asc(squads::Column::Name)
        .all(conn)
        .await
        .map_err(db_error)?;
    let threads = threads::Entity::find()
        .filter(threads::Column::AssistantId.eq(id.0))
        .count(conn)
        .await
        .map_err(db_error)?;
    Ok(AssistantUsage {
        tools: tools.into_iter().map(|t| t.name).collect(),
        links: usize::try_from(links).map_err(Error::internal)?,
        members: members.into_iter().map(|m| m.handle).collect(),
        threads: usize::try_from(threads).map_err(Error::internal)?,
        squads: squads
            .into_iter()
            .map(|s| format!("'{}'", s.name))
            .collect(),
    })
}

#[async_trait]
impl AssistantRepo for Store {
    async fn create_assistant(&self, assistant: &Assistant, events: &[Event]) -> Result<()> {
        self.registry_write(events, async |txn| {
            assistants::Entity::insert(assistant_row(assistant))
                .exec_without_returning(txn)
                .await
                .map_err(conflict(&assistant.draft.name))?;
            Ok(())
        })
        .await
    }

    async fn get_assistant(&self, id: AssistantId) -> Result<Option<Assistant>> {
        let row = assistants::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        row.map(assistant_from).transpose()
    }

    async fn list_assistants(&self, q: &AssistantQuery) -> Result<Vec<Assistant>> {
        let mut query = assistants::Entity::find();
        if let Some(active) = q.is_active {
            query = query.filter(assistants::Column::IsActive.eq(active));
        }
        if let Some(kind) = q.assistant_type {
            query = query.filter(assistants::Column::AssistantType.eq(kind.as_str()));
        }
        if let Some(secretary) = q.is_secretary {
            query = query.filter(assistants::Column::IsSecretary.eq(secretary));
        }
        if let Some(after) = &q.after_name {
            query = query.filter(assistants::Column::Name.gt(after.as_str()));
        }
        query
            .order_by_asc(assistants::Column::Name)
            .limit(u64::from(q.limit))
            .all(&self.read)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(assistant_from)
            .collect()
    }

    async fn update_assistant(&self, assistant: &Assistant, events: &[Event]) -> Result<()> {
        self.registry_write(events, async |txn| {
            let expected = assistant.replaces();
            let updated = assistants::Entity::update_many()
                .set(assistant_row(assistant))
                .filter(assistants::Column::Id.eq(assistant.id.0))
                .filter(assistants::Column::Revision.eq(expected))
                .exec(txn)
                .await
                .map_err(conflict(&assistant.draft.name))?;
            if updated.rows_affected == 0 {
                let current = revision_of(txn, assistant.id).await?;
                return Err(stale(expected, current, "assistant"));
            }
            Ok(())
        })
        .await
    }

    async fn delete_assistant(
        &self,
        id: AssistantId,
        revision: i64,
        events: &[Event],
    ) -> Result<()> {
        self.registry_write(events, async |txn| {
            // Checked again here: something may have started using it since the caller looked.
            if !usage_in(txn, id).await?.is_unused() {
                return Err(Error::Conflict(
                    "the assistant came into use meanwhile; look again".into(),
                ));
            }
            let deleted = assistants::Entity::delete_many()
                .filter(assistants::Column::Id.eq(id.0))
                .filter(assistants::Column::Revision.eq(revision))
                .exec(txn)
                .await
                .map_err(|err| match err.sql_err() {
                    // A squad took it as a member after the check above.
                    Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                        Error::Conflict("the assistant came into use meanwhile; look again".into())
                    }
                    _ => db_error(err),
                })?;
            if deleted.rows_affected == 0 {
                return Err(stale(revision, revision_of(txn, id).await?, "assistant"));
            }
            Ok(())
        })
        .await
    }

    async fn assistant_usage(&self, id: AssistantId) -> Result<AssistantUsage> {
        usage_in(&self.read, id).await
    }
}
