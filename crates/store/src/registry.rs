//! The assistant registry, one repository per file. Every write goes through
//! [`Store::registry_write`]: it bumps the registry revision first, in the write's
//! transaction, and that row lock serializes registry writers on PostgreSQL, so
//! the loop check reads a graph no one else is changing (SQLite has one writer
//! anyway).

mod assistants;
mod graph;
mod import;
mod links;
mod rows;
mod tools;
mod user_threads;

use agentry_domain::event::Event;
use agentry_domain::registry::RevisionRepo;
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait as _,
    ExprTrait as _, QueryFilter as _,
};

use crate::Store;
use crate::entity::registry_revision;
use crate::error::db_error;

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
        .map_err(db_error)?;
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!(
            "SELECT pg_notify('{}', revision::text) FROM registry_revision WHERE id = 1",
            crate::watch::CHANNEL
        ))
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// After a conditional write matched no row: the record is gone or was changed.
pub(crate) fn stale(expected: i64, current: Option<i64>, entity: &'static str) -> Error {
    match current {
        Some(actual) => Error::StaleVersion { expected, actual },
        None => Error::NotFound { entity },
    }
}

impl Store {
    /// Runs one registry write in a transaction: the revision bump, `work`, then
    /// `events`; commits, and lets this process see the new revision at once.
    async fn registry_write<T>(
        &self,
        events: &[Event],
        work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T>,
    ) -> Result<T> {
        let done = self
            .transact(events, async |txn| {
                bump(txn).await?;
                work(txn).await
            })
            .await?;
        self.registry_watch.refresh(&self.write).await;
        Ok(done)
    }
}

#[async_trait]
impl RevisionRepo for Store {
    async fn revision(&self) -> Result<i64> {
        Ok(registry_revision::Entity::find_by_id(1)
            .one(&self.read)
            .await
            .map_err(db_error)?
            .map_or(0, |r| r.revision))
    }

    fn known_revision(&self) -> i64 {
        self.registry_watch.get()
    }
}
