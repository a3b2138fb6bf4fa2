//! One transaction per change: the change and the events that record it commit
//! together, or neither does.

use agentry_domain::Result;
use agentry_domain::event::Event;
use sea_orm::{
    DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait as _,
};

use crate::Store;
use crate::error::db_error;

impl Store {
    /// Begins a transaction on the writer. On SQLite it takes the write lock
    /// at once: a deferred transaction that reads and then writes fails with
    /// SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out, whenever another
    /// process (a second replica, a worker, the migrator) committed between its
    /// first read and its first write. PostgreSQL ignores the mode.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        self.write
            .begin_with_options(options)
            .await
            .map_err(db_error)
    }

    /// Runs `work` on the writer, then records `events`, in one transaction. An
    /// error from either rolls both back.
    pub(crate) async fn transact<T>(
        &self,
        events: &[Event],
        work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T>,
    ) -> Result<T> {
        self.run(events, async |txn| Ok((work(txn).await?, true)))
            .await
    }

    /// As [`Store::transact`] for a change that may find nothing to do (a token
    /// revoked already, a first user when there are users): `work` says whether it
    /// changed anything, and only then are `events` recorded.
    pub(crate) async fn transact_if_changed(
        &self,
        events: &[Event],
        work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<bool>,
    ) -> Result<bool> {
        self.run(events, async |txn| {
            let changed = work(txn).await?;
            Ok((changed, changed))
        })
        .await
    }

    async fn run<T>(
        &self,
        events: &[Event],
        work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<(T, bool)>,
    ) -> Result<T> {
        let txn = self.begin_write().await?;
        let (done, changed) = work(&txn).await?;
        let wrote = changed && !events.is_empty();
        if wrote {
            crate::events::insert(&txn, events).await?;
        }
        txn.commit().await.map_err(db_error)?;
        // The work may have written events of its own (a task's follow-ups).
        if changed {
            self.commits.bump();
        }
        Ok(done)
    }
}
