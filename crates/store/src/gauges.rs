//! What `/metrics` reads from the database when it is scraped: tasks by
//! status, and the leases of running tasks, held or expired (a worker that
//! died holds an expired one until another takes the task over).

use std::collections::HashMap;

use agentry_domain::Result;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QuerySelect as _,
};

use crate::Store;
use crate::entity::tasks;
use crate::error::db_error;

/// Counts for `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Tasks by status name.
    pub tasks: HashMap<String, u64>,
    pub leases_held: u64,
    pub leases_expired: u64,
}

impl Store {
    /// The counts `/metrics` reports, as of `now`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn gauges(&self, now: DateTime<Utc>) -> Result<Gauges> {
        let by_status: Vec<(String, i64)> = tasks::Entity::find()
            .select_only()
            .column(tasks::Column::Status)
            .column_as(tasks::Column::Id.count(), "n")
            .group_by(tasks::Column::Status)
            .into_tuple()
            .all(&self.read)
            .await
            .map_err(db_error)?;
        let leased = || tasks::Entity::find().filter(tasks::Column::LeaseUntil.is_not_null());
        let held = leased()
            .filter(tasks::Column::LeaseUntil.gte(now))
            .count(&self.read)
            .await
            .map_err(db_error)?;
        let expired = leased()
            .filter(tasks::Column::LeaseUntil.lt(now))
            .filter(tasks::Column::Status.eq("in_progress"))
            .count(&self.read)
            .await
            .map_err(db_error)?;
        Ok(Gauges {
            tasks: by_status
                .into_iter()
                .map(|(status, n)| (status, u64::try_from(n).unwrap_or(0)))
                .collect(),
            leases_held: held,
            leases_expired: expired,
        })
    }
}
