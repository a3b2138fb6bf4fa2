//! SQLite's WAL checkpoints, off the write path. By default the connection
//! whose commit takes the WAL past 1,000 pages copies them back into the
//! database file and syncs it before that commit returns: about one write in a
//! hundred (of a few pages each) paid a checkpoint, several milliseconds, in its
//! answer. Here no connection checkpoints on commit (`wal_autocheckpoint = 0`);
//! a task checkpoints passively, on a reader connection, a few times a second:
//! it copies what no reader still needs, never waits for a lock and never
//! blocks a writer. Durability is unchanged: a commit is durable once its WAL
//! frames are synced, before and after.

use std::time::Duration;

use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};

/// How often the WAL is copied back: at a thousand small commits a second it
/// grows by a few megabytes in between.
const EVERY: Duration = Duration::from_millis(200);

/// What every SQLite connection is opened with: no checkpoint on commit.
pub(crate) const NO_AUTOCHECKPOINT: (&str, &str) = ("wal_autocheckpoint", "0");

/// Checkpoints `conn`'s database every [`EVERY`] until `alive` says the store is gone.
pub(crate) fn spawn(conn: DatabaseConnection, alive: std::sync::Weak<()>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if alive.upgrade().is_none() {
                return;
            }
            let passive = Statement::from_string(
                conn.get_database_backend(),
                "PRAGMA wal_checkpoint(PASSIVE)",
            );
            if let Err(e) = conn.query_one_raw(passive).await {
                tracing::debug!(error = %e, "WAL checkpoint skipped");
            }
        }
    });
}
