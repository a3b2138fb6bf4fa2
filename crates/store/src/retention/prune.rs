//! One batch of retention, in one transaction: the project's oldest threads
//! are read whole (root, then each level of replies by `idx_events_parent`);
//! those with a recent event or still needed are kept; the turns of finished
//! plans among the rest are summed into their plans' usage snapshots; the
//! rest are deleted deepest level first with their attachments, their inbox
//! rows let go of them, and `events.pruned` records the batch.

use std::collections::{BTreeMap, HashMap, HashSet};

use agentry_domain::event::Event;
use agentry_domain::id::{EventId, PlanId, TaskId};
use agentry_domain::operations::retention::{PruneBatch, Pruned};
use agentry_domain::operations::{EventsPruned, RetentionEvent};
use agentry_domain::planning::{
    AgentEvent, PlanStatus, TURN_COMPLETED, TurnCompleted, UsageSnapshot,
};
use agentry_domain::tracker::TaskStatus;
use agentry_domain::{Error, Result};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, QueryTrait as _, SqlErr,
    Statement,
};
use uuid::Uuid;

use crate::Store;
use crate::entity::{attachments, events, inbox, plans, tasks};
use crate::error::db_error;
use crate::events::ROWS_PER_STATEMENT;

/// A reply committed into a thread the batch was deleting: the batch runs
/// again and sees the thread alive.
const RACED: &str = "a reply arrived in a thread being pruned";

pub(super) async fn batch(store: &Store, batch: &PruneBatch) -> Result<Pruned> {
    for _ in 0..2 {
        let txn = store.begin_write().await?;
        match run(&txn, batch).await {
            Ok(pruned) => {
                txn.commit().await.map_err(raced)?;
                if pruned.events > 0 {
                    store.commits.bump();
                    metrics::counter!("agentry_events_pruned_total").increment(pruned.events);
                }
                return Ok(pruned);
            }
            Err(Error::Conflict(reason)) if reason == RACED => {}
            Err(e) => return Err(e),
        }
    }
    Err(Error::unavailable(RACED))
}

fn raced(err: DbErr) -> Error {
    match err.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => Error::Conflict(RACED.to_owned()),
        _ => db_error(err),
    }
}

/// Roots whose threads are read together at most; fewer once the threads
/// read so far say how many more fit in the batch.
const ROOTS_PER_READ: usize = 64;

async fn run(txn: &DatabaseTransaction, b: &PruneBatch) -> Result<Pruned> {
    lock_project(txn, b).await?;
    let roots = oldest_roots(txn, b).await?;
    let mut pruned = Pruned::default();
    let mut doomed: Vec<Thread> = Vec::new();
    let mut needed = Needed::default();
    let (mut decided, mut read_events) = (0, 0_u64);
    let mut rest = &roots[..];
    'reads: while !rest.is_empty() {
        // As many roots as the batch's room holds threads of the size seen
        // so far: a log of long threads is not read far past the limit.
        let room = u64::from(b.limit).saturating_sub(pruned.events).max(1);
        let per_thread = if decided == 0 {
            1
        } else {
            (read_events / decided as u64).max(1)
        };
        let take = usize::try_from(room / per_thread)
            .unwrap_or(usize::MAX)
            .clamp(1, ROOTS_PER_READ)
            .min(rest.len());
        let (group, later) = rest.split_at(take);
        rest = later;
        let threads = gather(txn, group, b.cutoff).await?;
        needed.load(txn, &threads).await?;
        for thread in threads {
            if pruned.events >= u64::from(b.limit) {
                break 'reads;
            }
            decided += 1;
            read_events += thread.events;
            pruned.last_root = Some(EventId(thread.root));
            if thread.fresh || needed.keeps(&thread) {
                pruned.kept += 1;
                continue;
            }
            pruned.threads += 1;
            pruned.events += thread.events;
            doomed.push(thread);
        }
    }
    if decided == roots.len() && roots.len() < b.limit as usize {
        pruned.last_root = None;
    }
    if doomed.is_empty() {
        return Ok(pruned);
    }
    let mut recorded = snapshots(txn, b, &doomed, &needed).await?;
    pruned.snapshots = recorded.len() as u64;
    let ids: Vec<Uuid> = doomed
        .iter()
        .flat_map(|t| t.levels.iter().flatten())
        .copied()
        .collect();
    pruned.orphaned_blobs = detach(txn, &ids).await?;
    pruned.attachments = pruned.orphaned_blobs.len() as u64;
    let depth = doomed.iter().map(|t| t.levels.len()).max().unwrap_or(0);
    for level in (0..depth).rev() {
        let ids: Vec<Uuid> = doomed
            .iter()
            .filter_map(|t| t.levels.get(level))
            .flatten()
            .copied()
            .collect();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            events::Entity::delete_many()
                .filter(events::Column::Id.is_in(chunk.iter().copied()))
                .exec(txn)
                .await
                .map_err(raced)?;
        }
    }
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let record = EventsPruned {
        cutoff: b.cutoff.to_rfc3339(),
        events: count(pruned.events),
        threads: count(pruned.threads),
        attachments: count(pruned.attachments),
        snapshots: count(pruned.snapshots),
    };
    recorded.push(Event::in_project(
        b.project,
        None,
        None,
        RetentionEvent::EventsPruned(record),
        b.now,
    )?);
    crate::events::insert(txn, &recorded).await?;
    Ok(pruned)
}

/// One batch of a project at a time: on PostgreSQL two passes (two
/// replicas, or a manual prune beside the background one) would otherwise
/// read the same threads, and one would record deletions the other made. A
/// transaction-scoped advisory lock, not a row lock: writers' foreign-key
/// checks on the project's row must not wait for a batch. SQLite's batches
/// are serialized already by their `BEGIN IMMEDIATE`.
async fn lock_project(txn: &DatabaseTransaction, b: &PruneBatch) -> Result<()> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [format!("agentry.prune:{}", b.project.0).into()],
    ))
    .await
    .map_err(db_error)?;
    Ok(())
}

type Row = (Uuid, Option<Uuid>, Option<Uuid>, DateTime<Utc>, String);

fn rows() -> sea_orm::Select<events::Entity> {
    events::Entity::find().select_only().columns([
        events::Column::Id,
        events::Column::ParentId,
        events::Column::TaskId,
        events::Column::CreatedAt,
        events::Column::Kind,
    ])
}

/// The project's oldest roots after the batch's cursor and before the
/// cutoff, in id order: ids are UUID v7, so the bound on `id` makes this a
/// range of `idx_events_project (project_id, id)`.
async fn oldest_roots(txn: &DatabaseTransaction, b: &PruneBatch) -> Result<Vec<Row>> {
    let millis = u64::try_from(b.cutoff.timestamp_millis()).unwrap_or(0);
    let bound = uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid();
    rows()
        .filter(events::Column::ProjectId.eq(b.project.0))
        .filter(events::Column::Id.lt(bound))
        .apply_if(b.after, |q, after| q.filter(events::Column::Id.gt(after.0)))
        .filter(events::Column::ParentId.is_null())
        .filter(events::Column::CreatedAt.lt(b.cutoff))
        .order_by_asc(events::Column::Id)
        .limit(u64::from(b.limit))
        .into_tuple()
        .all(txn)
        .await
        .map_err(db_error)
}

/// A root and everything under it.
struct Thread {
    root: Uuid,
    /// Event ids by depth: the root, its replies, theirs…
    levels: Vec<Vec<Uuid>>,
    tasks: HashSet<Uuid>,
    /// `turn.completed` events, with their tasks.
    turns: Vec<(Uuid, Option<Uuid>)>,
    /// Some event is from the cutoff on: the thread is alive.
    fresh: bool,
    events: u64,
}

impl Thread {
    fn add(&mut self, depth: usize, (id, _, task, at, kind): &Row, cutoff: DateTime<Utc>) {
        if self.levels.len() <= depth {
            self.levels.resize_with(depth + 1, Vec::new);
        }
        self.levels[depth].push(*id);
        self.events += 1;
        self.fresh |= *at >= cutoff;
        self.tasks.extend(*task);
        if kind == TURN_COMPLETED {
            self.turns.push((*id, *task));
        }
    }
}

async fn gather(
    txn: &DatabaseTransaction,
    roots: &[Row],
    cutoff: DateTime<Utc>,
) -> Result<Vec<Thread>> {
    let mut threads = Vec::with_capacity(roots.len());
    let mut thread_of: HashMap<Uuid, usize> = HashMap::new();
    for (n, root) in roots.iter().enumerate() {
        let mut thread = Thread {
            root: root.0,
            levels: Vec::new(),
            tasks: HashSet::new(),
            turns: Vec::new(),
            fresh: false,
            events: 0,
        };
        thread.add(0, root, cutoff);
        threads.push(thread);
        thread_of.insert(root.0, n);
    }
    let mut level: Vec<Uuid> = roots.iter().map(|r| r.0).collect();
    let mut depth = 0;
    while !level.is_empty() {
        depth += 1;
        let mut next = Vec::new();
        for chunk in level.chunks(ROWS_PER_STATEMENT) {
            let children: Vec<Row> = rows()
                .filter(events::Column::ParentId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await
                .map_err(db_error)?;
            for child in children {
                let Some(&n) = child.1.as_ref().and_then(|p| thread_of.get(p)) else {
                    continue;
                };
                threads[n].add(depth, &child, cutoff);
                thread_of.insert(child.0, n);
                next.push(child.0);
            }
        }
        level = next;
    }
    Ok(threads)
}

/// What keeps an old thread: a task that is not closed, a plan that has not
/// finished, or the root being a plan's `plan_created` (its id is the plan's).
#[derive(Default)]
struct Needed {
    open_tasks: HashSet<Uuid>,
    plan_of: HashMap<Uuid, Uuid>,
    running_plans: HashSet<Uuid>,
    anchors: HashSet<Uuid>,
}

impl Needed {
    /// Adds what `threads` need.
    async fn load(&mut self, txn: &DatabaseTransaction, threads: &[Thread]) -> Result<()> {
        let task_ids: Vec<Uuid> = threads
            .iter()
            .flat_map(|t| t.tasks.iter().copied())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let needed = self;
        for chunk in task_ids.chunks(ROWS_PER_STATEMENT) {
            let found: Vec<(Uuid, String, Option<Uuid>)> = tasks::Entity::find()
                .select_only()
                .columns([
                    tasks::Column::Id,
                    tasks::Column::Status,
                    tasks::Column::PlanId,
                ])
                .filter(tasks::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await
                .map_err(db_error)?;
            for (id, status, plan) in found {
                // A status this binary does not know is kept: it may be open.
                if !TaskStatus::parse(&status).is_ok_and(TaskStatus::is_terminal) {
                    needed.open_tasks.insert(id);
                }
                if let Some(plan) = plan {
                    needed.plan_of.insert(id, plan);
                }
            }
        }
        let plan_ids: Vec<Uuid> = needed
            .plan_of
            .values()
            .copied()
            .chain(threads.iter().map(|t| t.root))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let roots: HashSet<Uuid> = threads.iter().map(|t| t.root).collect();
        for chunk in plan_ids.chunks(ROWS_PER_STATEMENT) {
            let found: Vec<(Uuid, String)> = plans::Entity::find()
                .select_only()
                .columns([plans::Column::Id, plans::Column::Status])
                .filter(plans::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await
                .map_err(db_error)?;
            for (id, status) in found {
                let finished = PlanStatus::parse(&status).is_ok_and(|s| {
                    matches!(
                        s,
                        PlanStatus::Done | PlanStatus::Failed | PlanStatus::Aborted
                    )
                });
                if !finished {
                    needed.running_plans.insert(id);
                }
                if roots.contains(&id) {
                    needed.anchors.insert(id);
                }
            }
        }
        Ok(())
    }

    fn keeps(&self, thread: &Thread) -> bool {
        self.anchors.contains(&thread.root)
            || thread.tasks.iter().any(|task| {
                self.open_tasks.contains(task)
                    || self
                        .plan_of
                        .get(task)
                        .is_some_and(|plan| self.running_plans.contains(plan))
            })
    }
}

/// The `usage.snapshot` events of the finished plans whose turns go: each
/// plan's turns of this batch, summed.
async fn snapshots(
    txn: &DatabaseTransaction,
    b: &PruneBatch,
    doomed: &[Thread],
    needed: &Needed,
) -> Result<Vec<Event>> {
    let mut owner: HashMap<Uuid, (Option<Uuid>, Uuid)> = HashMap::new();
    for (turn, task) in doomed.iter().flat_map(|t| t.turns.iter()) {
        if let Some(plan) = task.and_then(|t| needed.plan_of.get(&t)) {
            owner.insert(*turn, (*task, *plan));
        }
    }
    let ids: Vec<Uuid> = owner.keys().copied().collect();
    let mut by_plan: BTreeMap<Uuid, Vec<(Option<TaskId>, TurnCompleted)>> = BTreeMap::new();
    for event in crate::events::by_ids(txn, &ids).await? {
        let Some((task, plan)) = owner.get(&event.id.0) else {
            continue;
        };
        if let Some(AgentEvent::TurnCompleted(turn)) =
            event.kind.decode::<AgentEvent>().transpose()?
        {
            by_plan
                .entry(*plan)
                .or_default()
                .push((task.map(TaskId), turn));
        }
    }
    let mut recorded = Vec::with_capacity(by_plan.len());
    for (plan, turns) in by_plan {
        let snapshot =
            UsageSnapshot::fold(PlanId(plan), turns.iter().map(|(task, turn)| (*task, turn)));
        recorded.extend(snapshot.into_events(b.project, b.now)?);
    }
    Ok(recorded)
}

/// Deletes the attachments of `ids` and empties the inbox rows that name
/// them; answers the deleted attachments' blob keys (each attachment has its
/// own).
async fn detach(txn: &DatabaseTransaction, ids: &[Uuid]) -> Result<Vec<String>> {
    let mut blobs = Vec::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let of_events = attachments::Column::EventId.is_in(chunk.iter().copied());
        let keys: Vec<String> = attachments::Entity::find()
            .select_only()
            .column(attachments::Column::StorageKey)
            .filter(of_events.clone())
            .into_tuple()
            .all(txn)
            .await
            .map_err(db_error)?;
        if !keys.is_empty() {
            attachments::Entity::delete_many()
                .filter(of_events)
                .exec(txn)
                .await
                .map_err(db_error)?;
        }
        blobs.extend(keys);
        inbox::Entity::update_many()
            .col_expr(inbox::Column::EventId, Expr::value(Option::<Uuid>::None))
            .filter(inbox::Column::EventId.is_in(chunk.iter().copied()))
            .exec(txn)
            .await
            .map_err(db_error)?;
    }
    Ok(blobs)
}
