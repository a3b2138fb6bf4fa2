//! `LISTEN` on a PostgreSQL channel for as long as its owner lives, connecting
//! again after a lost connection, until the store is closed.
//!
//! A closed pool is the store's stop (`Store::close`, the process stopping as
//! asked), not a lost connection: the pool never opens again, so the listener
//! ends there, quietly.

use std::time::Duration;

use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;

/// What a listener hears.
pub(crate) enum Notice {
    /// A notice's payload.
    Payload(String),
    /// The connection was lost and made again: notices sent meanwhile are lost.
    Reconnected,
}

/// Listens on `channel` and hands each notice to `on` until `on` answers
/// `false` (its owner is gone) or the pool is closed. `what` names the
/// listener in logs.
pub(crate) async fn listen(
    conn: DatabaseConnection,
    channel: &'static str,
    what: &'static str,
    mut on: impl FnMut(Notice) -> BoxFuture<'static, bool> + Send,
) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let listener = async {
            let mut listener =
                PgListener::connect_with(conn.get_postgres_connection_pool()).await?;
            listener.listen(channel).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = match listener.await {
            Ok(listener) => listener,
            Err(sea_orm::sqlx::Error::PoolClosed) => return closed(what),
            Err(e) => {
                tracing::warn!(error = %e, "{what} LISTEN failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        loop {
            let notice = match listener.try_recv().await {
                Ok(Some(notice)) => Notice::Payload(notice.payload().to_owned()),
                Ok(None) => Notice::Reconnected,
                Err(sea_orm::sqlx::Error::PoolClosed) => return closed(what),
                Err(e) => {
                    tracing::warn!(error = %e, "{what} LISTEN lost; reconnecting");
                    break;
                }
            };
            if !on(notice).await {
                return;
            }
        }
    }
}

fn closed(what: &str) {
    tracing::debug!("{what} LISTEN ends: the store is closed");
}

/// Whether `e` is a query refused by the store's closed pool: the process
/// stops as asked, and a notice it still had to send goes unsent (others
/// look again on their own), no trouble worth a warning.
pub(crate) fn pool_closed(e: &sea_orm::DbErr) -> bool {
    matches!(
        e,
        sea_orm::DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::ConnectionClosed)
    )
}
