//! Knowing the registry revision without asking the database on every read: this
//! process's own writes set it at once; on PostgreSQL every committed registry
//! change is announced with `NOTIFY` and heard through `LISTEN`; on SQLite (and as
//! a safety net on PostgreSQL, for notices lost while reconnecting) the revision
//! row is polled. Readers compare what it publishes with the value their cache
//! was built at.
//!
//! What it publishes is a generation, not the revision: it moves on whenever the
//! revision is seen to change, up or down, and never returns to an earlier value.
//! A database restored to an earlier revision would otherwise count up again
//! through numbers that caches already hold entries for, with other contents.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sea_orm::{DatabaseConnection, EntityTrait as _};

use crate::Backend;
use crate::entity::registry_revision;
use crate::listen::Notice;

/// The channel registry changes are announced on.
pub(crate) const CHANNEL: &str = "agentry_registry";

/// How often the revision row is read: often on SQLite, where nothing announces a
/// change made by another process; rarely on PostgreSQL, where `NOTIFY` does.
const fn poll_every(backend: Backend) -> Duration {
    match backend {
        Backend::Sqlite => Duration::from_millis(200),
        Backend::Postgres => Duration::from_secs(5),
    }
}

/// The registry generation this process knows of. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub(crate) struct RevisionWatch {
    seen: Arc<Mutex<Seen>>,
}

#[derive(Debug, Default)]
struct Seen {
    /// The highest revision known to be committed (or, after a reset, the
    /// revision the database went back to).
    revision: i64,
    generation: i64,
}

impl Seen {
    /// A revision known to be committed: announced, or read after our own write.
    /// A lower one is an announcement overtaken by a later one.
    fn committed(&mut self, revision: i64) {
        if revision > self.revision {
            self.revision = revision;
            self.generation += 1;
        }
    }

    /// A revision polled by a read that began when `before` was known committed.
    /// Lower than that, it can only be a database gone back: a restore or a reset.
    fn polled(&mut self, before: i64, revision: i64) {
        if revision < before && self.revision == before {
            self.revision = revision;
            self.generation += 1;
        } else {
            self.committed(revision);
        }
    }
}

impl RevisionWatch {
    /// Starts polling (and, on PostgreSQL, listening) on the current runtime. The
    /// tasks end once the store is dropped.
    pub(crate) fn spawn(conn: DatabaseConnection, backend: Backend) -> Self {
        let watch = Self::default();
        let weak = Arc::downgrade(&watch.seen);
        let poller = conn.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(poll_every(backend));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(seen) = weak.upgrade() else { return };
                let before = lock(&seen).revision;
                if let Some(revision) = read(&poller).await {
                    lock(&seen).polled(before, revision);
                }
            }
        });
        if backend == Backend::Postgres {
            tokio::spawn(listen(conn, Arc::downgrade(&watch.seen)));
        }
        watch
    }

    pub(crate) fn get(&self) -> i64 {
        lock(&self.seen).generation
    }

    /// After this process committed a registry change: re-read the revision now.
    pub(crate) async fn refresh(&self, conn: &DatabaseConnection) {
        if let Some(revision) = read(conn).await {
            lock(&self.seen).committed(revision);
        }
    }
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    // Two integers, consistent whatever panicked while holding them.
    seen.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn read(conn: &DatabaseConnection) -> Option<i64> {
    registry_revision::Entity::find_by_id(1)
        .one(conn)
        .await
        .ok()
        .flatten()
        .map(|r| r.revision)
}

async fn listen(conn: DatabaseConnection, seen: Weak<Mutex<Seen>>) {
    let reader = conn.clone();
    crate::listen::listen(conn, CHANNEL, "registry", move |notice| {
        let (seen, reader) = (seen.upgrade(), reader.clone());
        Box::pin(async move {
            let Some(seen) = seen else { return false };
            match notice {
                Notice::Payload(payload) => {
                    if let Ok(revision) = payload.parse::<i64>() {
                        lock(&seen).committed(revision);
                    }
                }
                // Notices sent while reconnecting are lost, so ask.
                Notice::Reconnected => {
                    let before = lock(&seen).revision;
                    if let Some(revision) = read(&reader).await {
                        lock(&seen).polled(before, revision);
                    }
                }
            }
            true
        })
    })
    .await;
}
