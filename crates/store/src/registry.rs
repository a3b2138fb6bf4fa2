//! The assistant registry: assistants, tools, links and threads. Every write bumps
//! the registry revision first, in its transaction: that row lock serializes
//! registry writers on PostgreSQL, so the loop check reads a graph no one else is
//! changing (SQLite has one writer anyway).

mod graph;
mod import;
mod rows;
mod user_threads;

use agentry_domain::event::Event;
use agentry_domain::id::{AssistantId, AssistantThreadId, ToolId, UserId};
use agentry_domain::ports::{AssistantQuery, AssistantUsage, RegistryRepo, ToolQuery};
use agentry_domain::registry::{
    Assistant, AssistantThread, Delegation, ImportPlan, RegistrySnapshot, Tool, ToolLink,
};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbBackend, DbErr, EntityTrait as _, ExprTrait as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, SqlErr,
    TransactionTrait as _,
};

use self::rows::{assistant_from, assistant_row, link_from, link_row, tool_from, tool_row};
use crate::Store;
use crate::entity::{
    assistant_tool_link as links, assistants, members, registry_revision, tools,
    user_assistant_threads as threads,
};
use crate::error::internal;

/// Bumps the registry revision; the first statement of every registry write. On
/// PostgreSQL the change is also announced, which happens only if it commits.
async fn bump(conn: &impl ConnectionTrait) -> Result<()> {
    registry_revision::Entity::update_many()
        .col_expr(
            registry_revision::Column::Revision,
            Expr::col(registry_revision::Column::Revision).add(1),
        )
        .filter(registry_revision::Column::Id.eq(1))
        .exec(conn)
        .await
        .map_err(internal)?;
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!(
            "SELECT pg_notify('{}', revision::text) FROM registry_revision WHERE id = 1",
            crate::watch::CHANNEL
        ))
        .await
        .map_err(internal)?;
    }
    Ok(())
}

/// Unique violations on assistants: a taken name or a second active secretary.
fn assistant_conflict(name: &str) -> impl Fn(DbErr) -> Error + '_ {
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("secretary") => {
            Error::Conflict("another assistant is the active secretary".into())
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict(format!("an assistant named {name:?} exists"))
        }
        _ => Error::internal(err),
    }
}

fn tool_conflict(name: &str) -> impl Fn(DbErr) -> Error + '_ {
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict(format!("a tool named {name:?} exists"))
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            Error::validation("assistant_id", "no such assistant")
        }
        _ => Error::internal(err),
    }
}

/// After a conditional write matched no row: the record is gone or was changed.
fn stale(expected: i64, current: Option<i64>, entity: &'static str) -> Error {
    match current {
        Some(actual) => Error::StaleVersion { expected, actual },
        None => Error::NotFound { entity },
    }
}

impl Store {
    async fn usage_in(
        &self,
        conn: &impl ConnectionTrait,
        id: AssistantId,
    ) -> Result<AssistantUsage> {
        let tools = tools::Entity::find()
            .filter(tools::Column::AssistantId.eq(id.0))
            .order_by_asc(tools::Column::Name)
            .all(conn)
            .await
            .map_err(internal)?;
        let links = links::Entity::find()
            .filter(
                links::Column::AssistantId
                    .eq(id.0)
                    .or(links::Column::SubAssistantId.eq(id.0)),
            )
            .count(conn)
            .await
            .map_err(internal)?;
        let members = members::Entity::find()
            .filter(members::Column::AssistantId.eq(id.0))
            .order_by_asc(members::Column::Handle)
            .all(conn)
            .await
            .map_err(internal)?;
        let threads = threads::Entity::find()
            .filter(threads::Column::AssistantId.eq(id.0))
            .count(conn)
            .await
            .map_err(internal)?;
        Ok(AssistantUsage {
            tools: tools.into_iter().map(|t| t.name).collect(),
            links: usize::try_from(links).map_err(Error::internal)?,
            members: members.into_iter().map(|m| m.handle).collect(),
            threads: usize::try_from(threads).map_err(Error::internal)?,
        })
    }
}

#[async_trait]
impl RegistryRepo for Store {
    async fn create_assistant(&self, assistant: &Assistant, events: &[Event]) -> Result<()> {
        let txn = self.write.begin().await.map_err(internal)?;
        bump(&txn).await?;
        assistants::Entity::insert(assistant_row(assistant))
            .exec_without_returning(&txn)
            .await
            .map_err(assistant_conflict(&assistant.draft.name))?;
        crate::events::insert(&txn, events).await?;
        txn.commit().await.map_err(internal)?;
        self.registry_watch.refresh(&self.write).await;
        Ok(())
    }

    async fn get_assistant(&self, id: AssistantId) -> Result<Option<Assistant>> {
        let row = assistants::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(internal)?;
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
            .map_err(internal)?
            .into_iter()
            .map(assistant_from)
            .collect()
    }

    async fn update_assistant(&self, assistant: &Assistant, events: &[Event]) -> Result<()> {
        let txn = self.write.begin().await.map_err(internal)?;
        bump(&txn).await?;
        let expected = assistant.revision - 1;
        let updated = assistants::Entity::update_many()
            .set(assistant_row(assistant))
            .filter(assistants::Column::Id.eq(assistant.id.0))
            .filter(assistants::Column::Revision.eq(expected))
            .exec(&txn)
            .await
            .map_err(assistant_conflict(&assistant.draft.name))?;
        if updated.rows_affected == 0 {
            let current = assistants::Entity::find_by_id(assistant.id.0)
                .one(&txn)
                .await
                .map_err(internal)?;
            return Err(stale(expected, current.map(|c| c.revision), "assistant"));
        }
        crate::events::insert(&txn, events).await?;
        txn.commit().await.map_err(internal)?;
        self.registry_watch.refresh(&self.write).await;
        Ok(())
    }

    async fn delete_assistant(
        &self,
        id: AssistantId,
        revision: i64,
        events: &[Event],
    ) -> Result<()> {
        let txn = self.write.begin().await.map_err(internal)?;
        bump(&txn).await?;
        // Checked again here: something may have started using it since the caller looked.
        let usage = self.usage_in(&txn, id).await?;
        if !usage.is_unused() {
            return Err(Error::Conflict(
                "the assistant came into use meanwhile; look again".into(),
            ));
        }
        let deleted = assistants::Entity::delete_many()
            .filter(assistants::Column::Id.eq(id.0))
            .filter(assistants::Column::Revision.eq(revision))
            .exec(&txn)
            .await
            .map_err(internal)?;
        if deleted.rows_affected == 0 {
            let current = assistants::Entity::find_by_id(id.0)
                .one(&txn)
                .await
                .map_err(internal)?;
            return Err(stale(revision, current.map(|c| c.revision), "assistant"));
        }
        crate::events::insert(&txn, events).await?;
        txn.commit().await.map_err(internal)?;
        self.registry_watch.refresh(&self.write).await;
        Ok(())
    }

    async fn assistant_usage(&self, id: AssistantId) -> Result<AssistantUsage> {
        self.usage_in(&self.read, id).await
    }

    async fn create_tool(&self, tool: &Tool, events: &[Event]) -> Result<()> {
        let txn = self.write.begin().await.map_err(internal)?;
        bump(&txn).await?;
        tools::Entity::insert(tool_row(tool))
            .exec_without_returning(&txn)
            .await
            .map_err(tool_conflict(tool.draft.name.as_str()))?;
        crate::events::insert(&txn, events).await?;
        txn.commit().await.map_err(internal)?;
        self.registry_watch.refresh(&self.write).await;
        Ok(())
    }

    async fn get_tool(&self, id: ToolId) -> Result<Option<Tool>> {
        let row = tools::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(internal)?;
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
            .map_err(internal)?
            .into_iter()
            .map(tool_from)
            .collect()
    }

    async fn update_tool(&self, tool: &Tool, events: &[Event]) -> Result<()> {
        let txn = self.write.begin().await.map_err(internal)?;
        bump(&txn).await?;
        if let Some(target) = tool.draft.assistant_id {
            let users = links::Entity::find()
                .filter(links::Column::ToolId.eq(tool.id.0))
                .all(&txn)
                .await
                .map_err(internal)?;
            let added: Vec<Delegation> = users
                .iter()
                .map(|l| Delegation {
                    from: AssistantId(l.assistant_id),
                    to: target,
                })
                .collect();
            let existing = graph::edges(&txn, Some(tool.id)).await?;
            graph::refuse_loops(&txn, &existing, &added).await?;
        }
        let expected = tool.revision - 1;
        let updated = tools::Entity::update_many()
            .set(tool_row(tool))
            .filter(tools::Column::Id.eq(tool.id.0))
            .filter(tools::Column::Revision.eq(expected))
            .exec(&txn)
            .await
            .map_err(tool_conflict(tool.draft.name.as_str()))?;
        if updated.rows_affected == 0 {
            let current = tools::Entity::find_by_id(tool.id.0)
                .one(&txn)
                .await
                .map_err(internal)?;
            return Err(stale(expected, current.map(|c| c.revision), "tool"));
        }
        // Links remember whom a sub-assistant tool delegates to.
        links::Entity::update_many()
            .col_expr(
                links::Column::SubAssistantId,
                Expr::value(tool.draft.assistant_id.map(|a| a.0)),
            )
            .filter(links::Column::ToolId.eq(tool.id.0))
            .exec(&txn)
            .await
            .map_err(internal)?;
        crate::events::insert(&txn, events).await?;
        txn.commit().await.map_err(internal)?;
        self.registry_watch.refresh(&self.write).await;
        Ok(())
    }

    async fn delete_tool(&self, id: ToolId, revision: i64, events: &[Event]) -> Result<()> {
        let txn = self.write.begin().await.map_err(internal)?;
        bump(&txn).await?;
        let users = links::Entity::find()
            .filter(links::Column::ToolId.eq(id.0))
            .count(&txn)
            .await
            .map_err(internal)?;
        if users > 0 {
            return Err(Error::Conflict(format!(
                "the tool is still linked to {users} assistant(s); unlink it first"
            )));
        }
        let deleted = tools::Entity::delete_many()
            .filter(tools::Column::Id.eq(id.0))
            .filter(tools::Column::Revision.eq(revision))
            .exec(&txn)
            .await
            .map_err(internal)?;
        if deleted.rows_affected == 0 {
            let current = tools::Entity::find_by_id(id.0)
                .one(&txn)
                .await
                .map_err(internal)?;
            return Err(stale(revision, current.map(|c| c.revision), "tool"));
        }
        crate::events::insert(&txn, events).await?;
        txn.commit().await.map_err(internal)?;
        self.registry_watch.refresh(&self.write).await;
        Ok(())
    }

    async fn link_tool(&self, link: &ToolLink, events: &[Event]) -> Result<()> {
        let txn = self.write.begin().await.map_err(internal)?;
        bump(&txn).await?;
        let tool = tools::Entity::find_by_id(link.tool_id.0)
            .one(&txn)
            .await
            .map_err(internal)?
            .ok_or(Error::NotFound { entity: "tool" })?;
        if let Some(target) = tool.assistant_id {
            let existing = graph::edges(&txn, None).await?;
            let added = [Delegation {
                from: link.assistant_id,
                to: AssistantId(target),
            }];
            graph::refuse_loops(&txn, &existing, &added).await?;
        }
        let row = ToolLink {
            sub_assistant_id: tool.assistant_id.map(AssistantId),
            ..link.clone()
        };
        links::Entity::insert(link_row(&row))
            .exec_without_returning(&txn)
            .await
            .map_err(|err| match err.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => {
                    Error::Conflict("the assistant has this tool already".into())
                }
                _ => Error::internal(err),
            })?;
        crate::events::insert(&txn, events).await?;
        txn.commit().await.map_err(internal)?;
        self.registry_watch.refresh(&self.write).await;
        Ok(())
    }

    async fn unlink_tool(
        &self,
        assistant: AssistantId,
        tool: ToolId,
        events: &[Event],
    ) -> Result<bool> {
        let txn = self.write.begin().await.map_err(internal)?;
        bump(&txn).await?;
        let deleted = links::Entity::delete_many()
            .filter(links::Column::AssistantId.eq(assistant.0))
            .filter(links::Column::ToolId.eq(tool.0))
            .exec(&txn)
            .await
            .map_err(internal)?;
        if deleted.rows_affected == 0 {
            return Ok(false);
        }
        crate::events::insert(&txn, events).await?;
        txn.commit().await.map_err(internal)?;
        self.registry_watch.refresh(&self.write).await;
        Ok(true)
    }

    async fn tool_links(&self, assistant: AssistantId) -> Result<Vec<(ToolLink, Tool)>> {
        let rows = links::Entity::find()
            .filter(links::Column::AssistantId.eq(assistant.0))
            .all(&self.read)
            .await
            .map_err(internal)?;
        let tools = tools::Entity::find()
            .filter(tools::Column::Id.is_in(rows.iter().map(|l| l.tool_id)))
            .all(&self.read)
            .await
            .map_err(internal)?;
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

    async fn thread_for(&self, candidate: &AssistantThread) -> Result<AssistantThread> {
        user_threads::get_or_create(self, candidate).await
    }

    async fn list_threads(&self, user: UserId) -> Result<Vec<AssistantThread>> {
        user_threads::of_user(&self.read, user).await
    }

    async fn touch_thread(
        &self,
        id: AssistantThreadId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Option<AssistantThread>> {
        user_threads::touch(&self.write, id, user, at).await
    }

    async fn snapshot(&self) -> Result<RegistrySnapshot> {
        let txn = self.read.begin().await.map_err(internal)?;
        let snapshot = import::snapshot(&txn).await?;
        txn.commit().await.map_err(internal)?;
        Ok(snapshot)
    }

    async fn apply_import(&self, plan: &ImportPlan, events: &[Event]) -> Result<()> {
        let txn = self.write.begin().await.map_err(internal)?;
        bump(&txn).await?;
        import::apply(&txn, plan).await?;
        // Checked on the result, inside the transaction: nothing else can change it.
        let edges = graph::edges(&txn, None).await?;
        graph::refuse_loops(&txn, &[], &edges).await?;
        crate::events::insert(&txn, events).await?;
        txn.commit().await.map_err(internal)?;
        self.registry_watch.refresh(&self.write).await;
        Ok(())
    }

    fn known_revision(&self) -> i64 {
        self.registry_watch.get()
    }

    async fn revision(&self) -> Result<i64> {
        Ok(registry_revision::Entity::find_by_id(1)
            .one(&self.read)
            .await
            .map_err(internal)?
            .map_or(0, |r| r.revision))
    }
}
