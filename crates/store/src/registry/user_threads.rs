//! Threads: one per user and assistant, created on first use, touched when used.

use agentry_domain::id::{AssistantThreadId, UserId};
use agentry_domain::registry::{AssistantThread, ThreadRepo};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _, QueryOrder as _, SqlErr,
};

use super::rows::{thread_from, thread_row};
use crate::Store;
use crate::entity::user_assistant_threads as threads;
use crate::error::db_error;

#[async_trait]
impl ThreadRepo for Store {
    async fn thread_for(&self, candidate: &AssistantThread) -> Result<AssistantThread> {
        get_or_create(self, candidate).await
    }

    async fn list_threads(&self, user: UserId) -> Result<Vec<AssistantThread>> {
        of_user(&self.read, user).await
    }

    async fn touch_thread(
        &self,
        id: AssistantThreadId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Option<AssistantThread>> {
        touch(&self.write, id, user, at).await
    }
}

/// The user's thread with the assistant: the stored one, or `candidate` stored now.
async fn get_or_create(store: &Store, candidate: &AssistantThread) -> Result<AssistantThread> {
    let existing = || {
        threads::Entity::find()
            .filter(threads::Column::UserId.eq(candidate.user_id.0))
            .filter(threads::Column::AssistantId.eq(candidate.assistant_id.0))
    };
    if let Some(row) = existing().one(&store.read).await.map_err(db_error)? {
        return Ok(thread_from(row));
    }
    let inserted = threads::Entity::insert(thread_row(candidate))
        .exec_without_returning(&store.write)
        .await;
    match inserted {
        Ok(_) => Ok(candidate.clone()),
        // Two first uses at once: the other one's thread stands.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            existing()
                .one(&store.write)
                .await
                .map_err(db_error)?
                .map(thread_from)
                .ok_or_else(|| Error::internal("a thread vanished after a conflict"))
        }
        Err(err) => Err(db_error(err)),
    }
}

/// The user's threads, most recently used first.
async fn of_user(conn: &impl ConnectionTrait, user: UserId) -> Result<Vec<AssistantThread>> {
    Ok(threads::Entity::find()
        .filter(threads::Column::UserId.eq(user.0))
        .order_by_desc(threads::Column::LastUsed)
        .all(conn)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(thread_from)
        .collect())
}

/// Marks the user's thread used at `at`; `None` when it is not the user's.
async fn touch(
    conn: &impl ConnectionTrait,
    id: AssistantThreadId,
    user: UserId,
    at: DateTime<Utc>,
) -> Result<Option<AssistantThread>> {
    threads::Entity::update_many()
        .col_expr(threads::Column::LastUsed, Expr::value(at))
        .col_expr(threads::Column::UpdatedAt, Expr::value(at))
        .filter(threads::Column::Id.eq(id.0))
        .filter(threads::Column::UserId.eq(user.0))
        .exec(conn)
        .await
        .map_err(db_error)?;
    Ok(threads::Entity::find_by_id(id.0)
        .filter(threads::Column::UserId.eq(user.0))
        .one(conn)
        .await
        .map_err(db_error)?
        .map(thread_from))
}
