//! Retention: the setting on `projects`, and pruning a batch of a project's
//! old threads in one transaction (`retention/prune.rs`).

mod prune;

use std::time::{Duration, Instant};

use agentry_domain::event::Event;
use agentry_domain::id::ProjectId;
use agentry_domain::operations::RetentionRepo;
use agentry_domain::operations::retention::{PruneBatch, Pruned};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QuerySelect as _};
use uuid::Uuid;

use crate::Store;
use crate::entity::projects;
use crate::error::db_error;

/// After a batch, pruning rests this many times as long as the batch held the
/// writer before the next one: writers have the writer at least nine tenths
/// of the time. On SQLite a batch holds the one write lock, and writers queued
/// behind a pruner that went straight on would get one turn per batch.
const REST_PER_BATCH: u32 = 9;

fn days(stored: Option<i32>) -> Option<u32> {
    stored.and_then(|d| u32::try_from(d).ok())
}

#[async_trait]
impl RetentionRepo for Store {
    async fn retention(&self, project: ProjectId) -> Result<Option<u32>> {
        let row: Option<Option<i32>> = projects::Entity::find_by_id(project.0)
            .select_only()
            .column(projects::Column::RetentionDays)
            .into_tuple()
            .one(&self.read)
            .await
            .map_err(db_error)?;
        row.map(days).ok_or(Error::NotFound { entity: "project" })
    }

    async fn set_retention(
        &self,
        project: ProjectId,
        max_age_days: Option<u32>,
        events: &[Event],
    ) -> Result<()> {
        let stored = max_age_days
            .map(i32::try_from)
            .transpose()
            .map_err(|_| Error::validation("max_age_days", "is too large"))?;
        self.transact(events, async |txn| {
            let updated = projects::Entity::update_many()
                .col_expr(projects::Column::RetentionDays, Expr::value(stored))
                .filter(projects::Column::Id.eq(project.0))
                .exec(txn)
                .await
                .map_err(db_error)?;
            if updated.rows_affected == 0 {
                return Err(Error::NotFound { entity: "project" });
            }
            Ok(())
        })
        .await
    }

    async fn projects_with_retention(&self) -> Result<Vec<(ProjectId, u32)>> {
        let rows: Vec<(Uuid, Option<i32>)> = projects::Entity::find()
            .select_only()
            .column(projects::Column::Id)
            .column(projects::Column::RetentionDays)
            .filter(projects::Column::RetentionDays.is_not_null())
            .into_tuple()
            .all(&self.read)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, d)| Some((ProjectId(id), days(d)?)))
            .collect())
    }

    async fn prune_batch(&self, batch: &PruneBatch) -> Result<Pruned> {
        let started = Instant::now();
        let mut pruned = prune::batch(self, batch).await?;
        pruned.held = started.elapsed();
        Ok(pruned)
    }

    async fn rest(&self, held: Duration) {
        tokio::time::sleep(held * REST_PER_BATCH).await;
    }
}
