//! Appends while retention prunes: 16 HTTP clients post chat messages into a
//! project whose log holds a backlog of old threads, first alone, then while
//! batches of the backlog are pruned (the batches the background pass runs,
//! on the server's runtime through its own store, one transaction each), in
//! alternating slices so the machine's slow moments weigh on both alike.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use agentry_domain::id::{EventId, ProjectId};
use agentry_domain::operations::RetentionRepo as _;
use agentry_domain::operations::retention::{BATCH_DEFAULT, PruneBatch};
use chrono::{TimeDelta, Utc};
use sea_orm::{ConnectionTrait as _, DbBackend, Statement, Value};
use serde_json::json;
use uuid::Uuid;

use crate::appends::{Count, http_count};
use crate::target::Target;

/// Appends per second with and without pruning beside them.
#[derive(Clone, Debug)]
pub struct Pruning {
    pub clients: usize,
    pub backlog: u64,
    pub batch: u32,
    pub alone: f64,
    pub pruning: f64,
    /// Events deleted per second while the clients appended.
    pub pruned_per_second: f64,
}

impl Pruning {
    pub fn ratio(&self) -> f64 {
        self.pruning / self.alone
    }
}

impl fmt::Display for Pruning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "appends/s with {} clients: alone {:.0}; while pruning {:.0} ({:.2}x), pruning {:.0} events/s in batches of {}",
            self.clients,
            self.alone,
            self.pruning,
            self.ratio(),
            self.pruned_per_second,
            self.batch
        )
    }
}

const ROUNDS: u32 = 6;

pub async fn measure(
    target: &Target,
    window: Duration,
    clients: usize,
    backlog: u64,
) -> anyhow::Result<Pruning> {
    let token = target.api.user("pruned").await?;
    let project = target.api.project(&token, "PR").await?;
    seed(target, project, backlog).await?;
    http_count(
        &target.api,
        &token,
        project,
        clients,
        Duration::from_millis(500),
    )
    .await?;
    let slice = window / ROUNDS;
    let (mut alone, mut pruning, mut pruned) = (Count::default(), Count::default(), 0);
    let mut after = None;
    for round in 0..ROUNDS {
        for k in 0..2 {
            if (k + round) % 2 == 0 {
                alone.add(http_count(&target.api, &token, project, clients, slice).await?);
                continue;
            }
            let stop = Arc::new(AtomicBool::new(false));
            let deleted = Arc::new(AtomicU64::new(0));
            let pruner = target.spawn_on_server(prune(
                target.server_store.clone(),
                ProjectId(project),
                after,
                stop.clone(),
                deleted.clone(),
            ));
            pruning.add(http_count(&target.api, &token, project, clients, slice).await?);
            stop.store(true, Ordering::Relaxed);
            after = pruner.await??;
            anyhow::ensure!(
                after.is_some(),
                "the backlog ran out: seed more than {backlog}"
            );
            pruned += deleted.load(Ordering::Relaxed);
        }
    }
    Ok(Pruning {
        clients,
        backlog,
        batch: BATCH_DEFAULT,
        alone: alone.rate(),
        pruning: pruning.rate(),
        pruned_per_second: crate::appends::rate(pruned, pruning.took()),
    })
}

/// Prunes batch after batch until told to stop; where the next batch starts.
async fn prune(
    store: agentry_store::Store,
    project: ProjectId,
    mut after: Option<EventId>,
    stop: Arc<AtomicBool>,
    deleted: Arc<AtomicU64>,
) -> anyhow::Result<Option<EventId>> {
    let cutoff = Utc::now() - TimeDelta::days(30);
    while !stop.load(Ordering::Relaxed) {
        let batch = PruneBatch {
            project,
            cutoff,
            after,
            limit: BATCH_DEFAULT,
            now: Utc::now(),
        };
        let pruned = store.prune_batch(&batch).await?;
        deleted.fetch_add(pruned.events, Ordering::Relaxed);
        after = pruned.last_root;
        if after.is_none() {
            break;
        }
        store.rest(pruned.held).await;
    }
    Ok(after)
}

/// `backlog` events of 60 days ago, in threads of a root and two replies,
/// written straight into the log in multi-row statements.
async fn seed(target: &Target, project: Uuid, backlog: u64) -> anyhow::Result<()> {
    let conn = target.direct.connection();
    let backend = conn.get_database_backend();
    let start = Utc::now() - TimeDelta::days(60);
    const ROWS: u64 = 300;
    let mut written = 0;
    while written < backlog {
        let rows = ROWS.min(backlog - written);
        let mut values: Vec<Value> = Vec::with_capacity(rows as usize * 6);
        let mut tuples = Vec::with_capacity(rows as usize);
        let mut root = Uuid::nil();
        for n in written..written + rows {
            let at = start + TimeDelta::milliseconds(i64::try_from(n)?);
            let millis = u64::try_from(at.timestamp_millis())?;
            let mut random = [0_u8; 10];
            random[2..].copy_from_slice(&n.to_be_bytes());
            let id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
            let parent = if n % 3 == 0 {
                root = id;
                None
            } else {
                Some(root)
            };
            let base = values.len();
            let p = |i: usize| match backend {
                DbBackend::Postgres => format!("${}", base + i),
                _ => "?".to_owned(),
            };
            tuples.push(format!(
                "({}, {}, 'chat_message', {}, {}, {}, {})",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(5)
            ));
            values.extend([
                id.into(),
                project.into(),
                parent.into(),
                json!({ "content": format!("old {n}") }).into(),
                at.into(),
            ]);
        }
        // `created_at` is `updated_at` too: PostgreSQL names it twice,
        // SQLite's `?` are positional and get the value twice.
        let sql = format!(
            "INSERT INTO events (id, project_id, type, parent_id, payload, created_at, updated_at) VALUES {}",
            tuples.join(", ")
        );
        let values = match backend {
            DbBackend::Postgres => values,
            _ => values
                .chunks(5)
                .flat_map(|v| {
                    let mut row = v.to_vec();
                    row.push(v[4].clone());
                    row
                })
                .collect(),
        };
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        written += rows;
    }
    // A log that grew to this size over days has had its statistics gathered;
    // without them PostgreSQL plans the batch's queries for an empty table.
    conn.execute_unprepared("ANALYZE events").await?;
    Ok(())
}
