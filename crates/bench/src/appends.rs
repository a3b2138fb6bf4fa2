//! Event appends per second: raw single-row inserts straight into `events`, and
//! `POST /api/v1/events` with one client and with many concurrent clients, taken
//! in turns so that the machine's slow moments weigh on all three alike.

use std::fmt;
use std::time::{Duration, Instant};

use agentry_domain::clock::utc_now;
use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::api::Api;
use crate::conn::Call;
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

/// Rounds the window is cut into; each gives every measurement a slice.
const ROUNDS: u32 = 10;

pub async fn measure(target: &Target, window: Duration, clients: usize) -> anyhow::Result<Appends> {
    let token = target.api.user("appender").await?;
    let project = target.api.project(&token, "AP").await?;
    raw_count(target, project, WARM_UP).await?;
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
    for n in [1, clients] {
        http_count(&target.api, &token, project, n, WARM_UP).await?;
    }
    let slice = window / ROUNDS;
    let mut totals = [Count::default(); 3];
    for round in 0..ROUNDS {
        // Which goes first turns too: none always follows the same one.
        for k in 0..3 {
            let which = (k + round as usize) % 3;
            let count = match which {
                0 => raw_count(target, project, slice).await?,
                1 => http_count(&target.api, &token, project, 1, slice).await?,
                _ => http_count(&target.api, &token, project, clients, slice).await?,
            };
            totals[which].add(count);
        }
    }
    let [raw, one_client, many_clients] = totals.map(Count::rate);
    Ok(Appends {
        raw,
        one_client,
        clients,
        many_clients,
    })
}

/// Operations done and the time they took.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Count {
    done: u64,
    took: Duration,
}

impl Count {
    pub(crate) fn add(&mut self, other: Self) {
        self.done += other.done;
        self.took += other.took;
    }

    pub(crate) fn rate(self) -> f64 {
        rate(self.done, self.took)
    }

    pub(crate) fn took(self) -> Duration {
        self.took
    }
}

/// One row per statement, each its own transaction, as fast as one connection goes.
async fn raw_count(target: &Target, project: Uuid, window: Duration) -> anyhow::Result<Count> {
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
    Ok(Count {
        done: written,
        took: start.elapsed(),
    })
}

/// `clients` clients, each posting chat messages one after another on its own
/// keep-alive connection.
pub(crate) async fn http_count(
    api: &Api,
    token: &str,
    project: Uuid,
    clients: usize,
    window: Duration,
) -> anyhow::Result<Count> {
    concurrent_count(api, token, clients, window, move |client, n| {
        let body = json!({
            "project_id": project,
            "type": "chat_message",
            "payload": { "content": format!("client {client} message {n}") },
        });
        Call::post("/api/v1/events", &body)
    })
    .await
}

/// Requests per second of `clients` concurrent loops, each on its own connection
/// as `token`'s user sending `call(client, n)`, counted over the window after a
/// warm-up that is not.
pub async fn concurrent_rate<F>(
    api: &Api,
    token: &str,
    clients: usize,
    window: Duration,
    call: F,
) -> anyhow::Result<f64>
where
    F: Fn(usize, u64) -> anyhow::Result<Call> + Clone + Send + 'static,
{
    concurrent_count(api, token, clients, WARM_UP, call.clone()).await?;
    Ok(concurrent_count(api, token, clients, window, call)
        .await?
        .rate())
}

/// What `clients` concurrent loops of `call(client, n)` get done in the window.
async fn concurrent_count<F>(
    api: &Api,
    token: &str,
    clients: usize,
    window: Duration,
    call: F,
) -> anyhow::Result<Count>
where
    F: Fn(usize, u64) -> anyhow::Result<Call> + Clone + Send + 'static,
{
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        conns.push(api.connect(token).await?);
    }
    let start = Instant::now();
    let deadline = start + window;
    let mut workers = Vec::with_capacity(clients);
    for (client, mut conn) in conns.into_iter().enumerate() {
        let call = call.clone();
        workers.push(tokio::spawn(async move {
            let mut n = 0_u64;
            while Instant::now() < deadline {
                conn.send(&call(client, n)?).await?;
                n += 1;
            }
            anyhow::Ok(n)
        }));
    }
    let mut done = 0;
    for worker in workers {
        done += worker.await??;
    }
    Ok(Count {
        done,
        took: start.elapsed(),
    })
}

const WARM_UP: Duration = Duration::from_millis(500);

#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}
