//! Group commit for the event log: appends that arrive while a commit is being
//! flushed wait together and share the next transaction, so one disk flush
//! acknowledges many of them. A lone append commits at once; nothing waits on a
//! timer. No append is acknowledged before its transaction has committed.

use agentry_domain::event::Event;
use agentry_domain::{Error, Result};
use sea_orm::{DatabaseConnection, TransactionTrait as _};
use tokio::sync::{mpsc, oneshot};

use crate::error::db_error;
use crate::events::ONE_STATEMENT_MAX;

/// The most appends one transaction takes; what arrives beyond waits for the next.
const MAX_GROUP: usize = 512;

/// The sending side; cheap to clone. The writer task ends when the last clone goes.
#[derive(Clone, Debug)]
pub(crate) struct Appender {
    queue: mpsc::Sender<Pending>,
}

#[derive(Debug)]
struct Pending {
    events: Vec<Event>,
    done: oneshot::Sender<Result<()>>,
}

impl Appender {
    /// Starts the writer task on the current Tokio runtime.
    pub(crate) fn spawn(conn: DatabaseConnection, commits: crate::live::Commits) -> Self {
        let (queue, receiver) = mpsc::channel(MAX_GROUP * 4);
        tokio::spawn(run(conn, receiver, commits));
        Self { queue }
    }

    /// Appends `events` in one transaction, possibly shared with concurrent appends,
    /// and returns once it has committed.
    pub(crate) async fn append(&self, events: Vec<Event>) -> Result<()> {
        let (done, committed) = oneshot::channel();
        let writer_gone = || Error::internal("the event writer has stopped");
        self.queue
            .send(Pending { events, done })
            .await
            .map_err(|_| writer_gone())?;
        committed.await.map_err(|_| writer_gone())?
    }
}

async fn run(
    conn: DatabaseConnection,
    mut receiver: mpsc::Receiver<Pending>,
    commits: crate::live::Commits,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut group, MAX_GROUP).await > 0 {
        commit_group(&conn, std::mem::take(&mut group)).await;
        commits.bump();
    }
}

async fn commit_group(conn: &DatabaseConnection, group: Vec<Pending>) {
    if group.len() > 1 {
        let all: Vec<Event> = group.iter().flat_map(|p| p.events.clone()).collect();
        match write(conn, &all).await {
            Ok(()) => {
                for pending in group {
                    let _ = pending.done.send(Ok(()));
                }
                return;
            }
            // The database is gone: one by one, each would wait for it again.
            Err(Error::Unavailable(cause)) => {
                let cause = cause.to_string();
                for pending in group {
                    let _ = pending.done.send(Err(Error::unavailable(cause.clone())));
                }
                return;
            }
            // One bad append (say, its parent deleted meanwhile) must not fail its
            // neighbours: the group was rolled back, so each goes again on its own.
            Err(_) => {}
        }
    }
    for pending in group {
        let outcome = write(conn, &pending.events).await;
        let _ = pending.done.send(outcome);
    }
}

async fn write(conn: &DatabaseConnection, events: &[Event]) -> Result<()> {
    // One statement is atomic on its own; BEGIN and COMMIT would be two more trips.
    if events.len() <= ONE_STATEMENT_MAX {
        return crate::events::insert(conn, events).await;
    }
    let txn = conn.begin().await.map_err(db_error)?;
    crate::events::insert(&txn, events).await?;
    txn.commit().await.map_err(db_error)
}
