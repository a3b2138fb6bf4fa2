//! One transaction per change: the change and the events that record it commit
//! together, or neither does.

use agentry_domain::Result;
use agentry_domain::event::Event;
use sea_orm::{DatabaseTransaction, TransactionTrait as _};

use crate::Store;
use crate::error::internal;

impl Store {
    /// Runs `work` on the writer, then records `events`, in one transaction. An
    /// error from either rolls both back.
    pub(crate) async fn transact<T>(
        &self,
        events: &[Event],
        work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T>,
    ) -> Result<T> {
        let txn = self.write.begin().await.map_err(internal)?;
        let done = work(&txn).await?;
        crate::events::insert(&txn, events).await?;
        txn.commit().await.map_err(internal)?;
        Ok(done)
    }
}
