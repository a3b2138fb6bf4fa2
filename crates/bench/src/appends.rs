//! Event appends per second: raw single-row inserts straight into `events`, then
//! `POST /api/v1/events` with one client and with many concurrent clients.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agentry_domain::clock::utc_now;
use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::api::Api;
use crate::target::Target;

/// Appends per second, each figure over the same window.
#[derive(Clone, Debug)]
pub struct Appends {
    pub raw: f64,
    pub one_client: f64,
    pub clients: usize,
    pub many_clients: f64,
}

impl Appends {
    pub fn one_client_ratio(&self) -> f64 {
        self.one_client / self.raw
    }

    pub fn many_clients_ratio(&self) -> f64 {
        self.many_clients / self.raw
    }
}

impl fmt::Display for Appends {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "appends/s: raw single-row {:.0}; HTTP 1 client {:.0} ({:.2}x raw); HTTP {} clients {:.0} ({:.2}x raw)",
            self.raw,
            self.one_client,
            self.one_client_ratio(),
            self.clients,
            self.many_clients,
            self.many_clients_ratio()
        )
    }
}

pub async fn measure(target: &Target, window: Duration, clients: usize) -> anyhow::Result<Appends> {
    let token = target.api.user("appender").await?;
    let project = target.api.project(&token, "AP").await?;
    let raw = raw_rate(target, project, window).await?;
    // The raw rows must be rows the API reads back, or the comparison is unfair.
    let newest = target
        .api
        .get(
            &token,
            &format!("/api/v1/events?project_id={project}&limit=1"),
        )
        .await?;
    anyhow::ensure!(
        newest["events"][0]["payload"]["content"]
            .as_str()
            .is_some_and(|c| c.starts_with("raw ")),
        "the raw inserts do not read back through the API: {newest}"
    );
    let one_client = http_rate(&target.api, &token, project, 1, window).await?;
    let many_clients = http_rate(&target.api, &token, project, clients, window).await?;
    Ok(Appends {
        raw,
        one_client,
        clients,
        many_clients,
    })
}

/// One row per statement, each its own transaction, as fast as one connection goes.
async fn raw_rate(target: &Target, project: Uuid, window: Duration) -> anyhow::Result<f64> {
    let conn = target.direct.connection();
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO events (id, project_id, type, actor_id, task_id, parent_id, payload, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        }
        _ => {
            "INSERT INTO events (id, project_id, type, actor_id, task_id, parent_id, payload, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        }
    };
    let none = Option::<Uuid>::None;
    let mut written = 0_u64;
    let start = Instant::now();
    while start.elapsed() < window {
        let now = utc_now();
        let values = [
            Uuid::now_v7().into(),
            project.into(),
            "chat_message".into(),
            none.into(),
            none.into(),
            none.into(),
            json!({ "content": format!("raw {written}") }).into(),
            now.into(),
            now.into(),
        ];
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        written += 1;
    }
    Ok(rate(written, start.elapsed()))
}

/// `clients` clients, each posting chat messages one after another on its own
/// keep-alive connection.
async fn http_rate(
    api: &Api,
    token: &str,
    project: Uuid,
    clients: usize,
    window: Duration,
) -> anyhow::Result<f64> {
    let (api, token) = (api.clone(), token.to_owned());
    concurrent_rate(clients, window, move |client, n| {
        let (api, token) = (api.clone(), token.clone());
        async move {
            let body = json!({
                "project_id": project,
                "type": "chat_message",
                "payload": { "content": format!("client {client} message {n}") },
            });
            api.post(&token, "/api/v1/events", &body).await.map(drop)
        }
    })
    .await
}

/// Operations per second of `clients` concurrent loops of `op(client, n)`,
/// counted over the window after a warm-up that is not.
pub async fn concurrent_rate<F, Fut>(clients: usize, window: Duration, op: F) -> anyhow::Result<f64>
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let counted = Arc::new(AtomicU64::new(0));
    let counting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let deadline = Instant::now() + WARM_UP + window;
    let mut workers = Vec::with_capacity(clients);
    for client in 0..clients {
        let (op, counted, counting) = (op.clone(), counted.clone(), counting.clone());
        workers.push(tokio::spawn(async move {
            let mut n = 0_u64;
            while Instant::now() < deadline {
                op(client, n).await?;
                if counting.load(Ordering::Relaxed) {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
            anyhow::Ok(())
        }));
    }
    tokio::time::sleep(WARM_UP).await;
    counting.store(true, Ordering::Relaxed);
    let start = Instant::now();
    for worker in workers {
        worker.await??;
    }
    Ok(rate(counted.load(Ordering::Relaxed), start.elapsed()))
}

const WARM_UP: Duration = Duration::from_millis(500);

#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}
