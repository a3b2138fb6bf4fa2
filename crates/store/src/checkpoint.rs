//! SQLite's WAL checkpoints, off the write path. By default the connection
//! whose commit takes the WAL past 1,000 pages copies them back into the
//! database file and syncs it before that commit returns: about one write in a
//! hundred (of a few pages each) paid a checkpoint, several milliseconds, in its
//! answer. Here a task checkpoints passively, on a reader connection, a few
//! times a second: it copies what no reader still needs, never waits for a lock
//! and never blocks a writer. Commits checkpoint only past 10,000 pages (40 MiB
//! of WAL), which that task keeps them from reaching: a backstop for when it
//! cannot run. Durability is unchanged: a commit is durable once its WAL frames
//! are synced, before and after.

use std::time::Duration;

use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};

/// How often the WAL is copied back: at a thousand small commits a second it
/// grows by a few megabytes in between.
const EVERY: Duration = Duration::from_millis(200);

/// What every SQLite connection is opened with: a commit checkpoints only a
/// WAL the task let grow to 10,000 pages.
pub(crate) const NO_AUTOCHECKPOINT: (&str, &str) = ("wal_autocheckpoint", "10000");

/// Checkpoints `conn`'s database every [`EVERY`] until `alive` says the store is gone.
pub(crate) fn spawn(conn: DatabaseConnection, alive: std::sync::Weak<()>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failures: u64 = 0;
        loop {
            tick.tick().await;
            if alive.upgrade().is_none() {
                return;
            }
            let passive = Statement::from_string(
                conn.get_database_backend(),
                "PRAGMA wal_checkpoint(PASSIVE)",
            );
            match conn.query_one_raw(passive).await {
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    // One miss is a busy moment; many in a row let the WAL grow.
                    if failures.is_multiple_of(50) {
                        tracing::warn!(error = %e, failures, "WAL checkpoints keep failing");
                    }
                }
            }
        }
    });
}
