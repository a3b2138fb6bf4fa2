//! `LISTEN` on a PostgreSQL channel for as long as its owner lives, connecting
//! again after a lost connection.

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
/// `false` (its owner is gone). `what` names the listener in warnings.
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
