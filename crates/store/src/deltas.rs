//! The domain's `DeltaBus`: stream deltas go to this process's live feeds at
//! once and, on PostgreSQL, to every other process through
//! `NOTIFY agentry_deltas`, several to a notice. Each notice names the store
//! that sent it, so a process does not hand its own deltas out twice. A
//! process listens from its first subscriber on. On SQLite deltas stay in
//! the process that made them.

use std::sync::Arc;

use agentry_domain::log::{DeltaBus, StreamDelta};
use futures::stream::BoxStream;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend, Statement};
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use crate::listen::Notice;
use crate::{Backend, Store};

/// The channel deltas cross processes on.
const CHANNEL: &str = "agentry_deltas";

/// Deltas held for this process's feeds, and waiting to be sent to others:
/// beyond this, the oldest (feeds) or the newest (sending) are dropped.
const BUFFER: usize = 4096;

/// A notice's payload at most: PostgreSQL refuses 8,000 bytes or more.
const NOTICE_MAX: usize = 7900;

/// What a notice carries (it is written by hand in [`send`], to join deltas
/// already serialized).
#[derive(Deserialize)]
struct Payload {
    origin: Uuid,
    deltas: Vec<StreamDelta>,
}

/// The process's delta bus.
#[derive(Clone, Debug)]
pub(crate) struct Deltas {
    local: Arc<broadcast::Sender<StreamDelta>>,
    outbound: Option<mpsc::Sender<StreamDelta>>,
    /// On PostgreSQL, what listening to other processes takes, until the
    /// first subscriber asks (a listener holds a connection of the pool, and
    /// a process that serves no feed, such as a planner, needs none).
    listening: Option<Arc<std::sync::Mutex<Option<Listening>>>>,
}

/// The connection a listener is made from, and this store's origin.
type Listening = (DatabaseConnection, Uuid);

impl Deltas {
    pub(crate) fn spawn(conn: DatabaseConnection, backend: Backend) -> Self {
        let local = Arc::new(broadcast::Sender::new(BUFFER));
        if backend != Backend::Postgres {
            return Self {
                local,
                outbound: None,
                listening: None,
            };
        }
        let origin = Uuid::now_v7();
        let (outbound, queued) = mpsc::channel(BUFFER);
        tokio::spawn(send(conn.clone(), origin, queued));
        Self {
            local,
            outbound: Some(outbound),
            listening: Some(Arc::new(std::sync::Mutex::new(Some((conn, origin))))),
        }
    }

    /// Starts listening to other processes' deltas, once.
    fn listen(&self) {
        let Some(listening) = &self.listening else {
            return;
        };
        let Some((conn, origin)) = listening
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        else {
            return;
        };
        let weak = Arc::downgrade(&self.local);
        tokio::spawn(crate::listen::listen(
            conn,
            CHANNEL,
            "deltas",
            move |notice| {
                let local = weak.upgrade();
                Box::pin(async move {
                    let Some(local) = local else {
                        return false;
                    };
                    if let Notice::Payload(payload) = notice {
                        for delta in received(&payload, origin) {
                            let _ = local.send(delta);
                        }
                    }
                    true
                })
            },
        ));
    }
}

/// Another process's deltas in a notice; none of this store's own.
fn received(payload: &str, origin: Uuid) -> Vec<StreamDelta> {
    match serde_json::from_str::<Payload>(payload) {
        Ok(notice) if notice.origin != origin => notice.deltas,
        Ok(_) => Vec::new(),
        Err(e) => {
            tracing::warn!(error = %e, "an unreadable delta notice was ignored");
            Vec::new()
        }
    }
}

/// Sends queued deltas to other processes, as many to a notice as fit.
async fn send(conn: DatabaseConnection, origin: Uuid, mut queued: mpsc::Receiver<StreamDelta>) {
    let mut carried: Option<String> = None;
    loop {
        let first = match carried.take() {
            Some(first) => first,
            None => match queued.recv().await {
                Some(delta) => serde_json::to_string(&delta).unwrap_or_default(),
                None => return,
            },
        };
        let mut batch = vec![first];
        let mut size = batch[0].len() + 64;
        while let Ok(delta) = queued.try_recv() {
            let json = serde_json::to_string(&delta).unwrap_or_default();
            if size + json.len() + 1 > NOTICE_MAX {
                carried = Some(json);
                break;
            }
            size += json.len() + 1;
            batch.push(json);
        }
        let payload = format!(r#"{{"origin":"{origin}","deltas":[{}]}}"#, batch.join(","));
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        );
        match conn.execute_raw(statement).await {
            Ok(_) => {}
            Err(e) if crate::listen::pool_closed(&e) => return,
            Err(e) => {
                tracing::warn!(error = %e, "stream deltas could not be sent to other processes");
            }
        }
    }
}

impl DeltaBus for Store {
    fn publish(&self, delta: StreamDelta) {
        if let Some(outbound) = &self.deltas.outbound {
            // Dropped when the database falls behind: deltas are best effort.
            let _ = outbound.try_send(delta.clone());
        }
        let _ = self.deltas.local.send(delta);
    }

    fn subscribe(&self) -> BoxStream<'static, StreamDelta> {
        self.deltas.listen();
        let receiver = self.deltas.local.subscribe();
        Box::pin(futures::stream::unfold(
            receiver,
            |mut receiver| async move {
                loop {
                    match receiver.recv().await {
                        Ok(delta) => return Some((delta, receiver)),
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_of_this_store_is_not_handed_out_again() {
        let origin = Uuid::now_v7();
        let delta = r#"{"project_id":"00000000-0000-0000-0000-000000000001","task_id":"00000000-0000-0000-0000-000000000002","agent_event_id":"00000000-0000-0000-0000-000000000003","turn":1,"index":0,"text":"hi"}"#;
        let own = format!(r#"{{"origin":"{origin}","deltas":[{delta}]}}"#);
        assert!(received(&own, origin).is_empty());
        let other = format!(
            r#"{{"origin":"{}","deltas":[{delta},{delta}]}}"#,
            Uuid::now_v7()
        );
        assert_eq!(received(&other, origin).len(), 2);
        assert!(received("not json", origin).is_empty());
    }
}
