//! Wake-ups for the engine: a write that may have made work ready (a plan
//! submitted, a task settled, retried or skipped) wakes the workers waiting
//! for it, in this process at once and, on PostgreSQL, in every other process
//! through `NOTIFY agentry_work` (sent with the transaction, so heard only once
//! it commits). Workers still look on their own now and then, so a notice lost
//! while reconnecting costs a delay, never a task.

use std::sync::{Arc, Weak};
use std::time::Duration;

use agentry_domain::Result;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, DatabaseTransaction};
use tokio::sync::Notify;

use crate::connect::Backend;
use crate::error::db_error;

const CHANNEL: &str = "agentry_work";

#[derive(Clone, Debug)]
pub(crate) struct WorkSignal {
    notify: Arc<Notify>,
    backend: Backend,
}

impl WorkSignal {
    pub(crate) fn spawn(conn: DatabaseConnection, backend: Backend) -> Self {
        let notify = Arc::new(Notify::new());
        if backend == Backend::Postgres {
            tokio::spawn(listen(conn, Arc::downgrade(&notify)));
        }
        Self { notify, backend }
    }

    /// Announces, with `txn`, that work may be ready (to other processes).
    pub(crate) async fn announce(&self, txn: &DatabaseTransaction) -> Result<()> {
        if self.backend == Backend::Postgres {
            txn.execute_unprepared(&format!("NOTIFY {CHANNEL}"))
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }

    /// Wakes a worker of this process (after the commit that made work ready).
    pub(crate) fn wake(&self) {
        self.notify.notify_one();
    }

    /// Returns at the next wake-up, or after `at_most`.
    pub(crate) async fn wait(&self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.notify.notified()).await;
    }
}

/// Any notice, or a reconnection (notices sent meanwhile are lost): look.
async fn listen(conn: DatabaseConnection, notify: Weak<Notify>) {
    crate::listen::listen(conn, CHANNEL, "work", move |_| {
        let notify = notify.upgrade();
        Box::pin(async move { notify.map(|n| n.notify_one()).is_some() })
    })
    .await;
}
