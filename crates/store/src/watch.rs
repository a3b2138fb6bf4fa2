//! Knowing the registry revision without asking the database on every read: this
//! process's own writes set it at once; on PostgreSQL every committed registry
//! change is announced with `NOTIFY` and heard through `LISTEN`; on SQLite (and as
//! a safety net on PostgreSQL, for notices lost while reconnecting) the revision
//! row is polled. Readers compare it with the revision their cache was built at.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sea_orm::{DatabaseConnection, EntityTrait as _};

use crate::Backend;
use crate::entity::registry_revision;

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

/// The newest registry revision this process knows of. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub(crate) struct RevisionWatch {
    latest: Arc<AtomicI64>,
}

impl RevisionWatch {
    /// Starts polling (and, on PostgreSQL, listening) on the current runtime. The
    /// tasks end once the store is dropped.
    pub(crate) fn spawn(conn: DatabaseConnection, backend: Backend) -> Self {
        let watch = Self::default();
        let weak = Arc::downgrade(&watch.latest);
        let poller = conn.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(poll_every(backend));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(latest) = weak.upgrade() else { return };
                if let Some(revision) = read(&poller).await {
                    latest.fetch_max(revision, Ordering::AcqRel);
                }
            }
        });
        if backend == Backend::Postgres {
            tokio::spawn(listen(conn, Arc::downgrade(&watch.latest)));
        }
        watch
    }

    pub(crate) fn get(&self) -> i64 {
        self.latest.load(Ordering::Acquire)
    }

    /// After this process committed a registry change: re-read the revision now.
    pub(crate) async fn refresh(&self, conn: &DatabaseConnection) {
        if let Some(revision) = read(conn).await {
            self.latest.fetch_max(revision, Ordering::AcqRel);
        }
    }
}

async fn read(conn: &DatabaseConnection) -> Option<i64> {
    registry_revision::Entity::find_by_id(1)
        .one(conn)
        .await
        .ok()
        .flatten()
        .map(|r| r.revision)
}

async fn listen(conn: DatabaseConnection, latest: std::sync::Weak<AtomicI64>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let listener = async {
            let mut listener =
                PgListener::connect_with(conn.get_postgres_connection_pool()).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = match listener.await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "registry LISTEN failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        loop {
            let notice = listener.try_recv().await;
            let Some(latest) = latest.upgrade() else {
                return;
            };
            match notice {
                Ok(Some(notice)) => {
                    if let Ok(revision) = notice.payload().parse::<i64>() {
                        latest.fetch_max(revision, Ordering::AcqRel);
                    }
                }
                // Reconnected: notices sent meanwhile are lost, so ask.
                Ok(None) => {
                    if let Some(revision) = read(&conn).await {
                        latest.fetch_max(revision, Ordering::AcqRel);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "registry LISTEN lost; reconnecting");
                    break;
                }
            }
        }
    }
}
