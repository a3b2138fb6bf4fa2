//! A worker's loop: reap expired leases, keep its own alive, claim what is
//! ready up to its concurrency, run each claim (and those its settlements
//! claim for it), and sleep until woken.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentry_domain::id::TaskId;
use agentry_domain::log::DeltaBus;
use agentry_domain::planning::{Claim, ModelClient, Settlement, ToolExecutor};
use agentry_domain::{Ports, Services};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::EngineConfig;
use crate::run::{Deps, Signal, attempt};
use crate::settler::{Claims, Handover, Settler};

/// How often held leases are checked against the store, so an aborted plan's
/// turns stop within about this long.
const HELD_CHECK: Duration = Duration::from_millis(250);

/// How long a stopping worker lets its runs give their tasks back.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A worker, ready to start.
pub struct Engine {
    deps: Arc<Deps>,
    handovers: mpsc::UnboundedReceiver<Handover>,
    stopping: Arc<AtomicBool>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.deps.config)
            .finish_non_exhaustive()
    }
}

/// A running worker.
#[derive(Debug)]
pub struct EngineHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl EngineHandle {
    /// Stops claiming, stops the runs in flight (their leases expire and the
    /// tasks are retried elsewhere) and returns once the worker is gone.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// The runs in flight: each task's fence and the sender that stops its run.
struct Runs {
    deps: Arc<Deps>,
    set: JoinSet<TaskId>,
    held: HashMap<TaskId, (i64, watch::Sender<Signal>)>,
    by_run: HashMap<tokio::task::Id, TaskId>,
}

impl Runs {
    fn start(&mut self, claim: Claim, slot: OwnedSemaphorePermit, signal: Signal) {
        let (cancel, cancelled) = watch::channel(signal);
        let task = claim.task.id();
        self.held.insert(task, (claim.fence, cancel));
        let deps = self.deps.clone();
        let run = self.set.spawn(async move {
            attempt(&deps, claim, slot, cancelled).await;
            task
        });
        self.by_run.insert(run.id(), task);
    }

    /// Forgets a run that ended. A run that panicked ends too: its lease is
    /// let go (it expires, and the task is retried), never renewed.
    fn ended(&mut self, done: Result<(tokio::task::Id, TaskId), tokio::task::JoinError>) {
        let id = match &done {
            Ok((id, _)) => *id,
            Err(e) => e.id(),
        };
        if let Some(task) = self.by_run.remove(&id) {
            self.held.remove(&task);
        }
        if let Err(e) = done {
            tracing::error!(error = %e, "a run ended abnormally");
        }
    }
}

impl Engine {
    /// A worker of `model` and `tools`; the model's stream goes to `deltas`
    /// when given (live feeds' `agent.stream.delta`).
    #[must_use]
    pub fn new(
        ports: Ports,
        services: Services,
        model: Arc<dyn ModelClient>,
        tools: Arc<dyn ToolExecutor>,
        config: EngineConfig,
        deltas: Option<Arc<dyn DeltaBus>>,
    ) -> Self {
        let (to, handovers) = mpsc::unbounded_channel();
        let stopping = Arc::new(AtomicBool::new(false));
        let settler = Settler::spawn(
            ports.planning.queue.clone(),
            ports.planning.clock.clone(),
            Claims {
                worker: config.worker.clone(),
                lease: config.lease,
                to,
                stopping: stopping.clone(),
            },
        );
        Self {
            deps: Arc::new(Deps {
                services,
                model,
                tools,
                config,
                by_name: Mutex::new((i64::MIN, HashMap::new())),
                actors: crate::actors::Actors::default(),
                settler,
                ports,
                deltas,
            }),
            handovers,
            stopping,
        }
    }

    /// Starts the worker on the current runtime.
    #[must_use]
    pub fn start(self) -> EngineHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.dispatch(stopped));
        EngineHandle { stop, task }
    }

    async fn dispatch(self, mut stopped: watch::Receiver<bool>) {
        let Self {
            deps,
            mut handovers,
            stopping,
        } = self;
        let config = deps.config.clone();
        let queue = deps.ports.planning.queue.clone();
        let clock = deps.ports.planning.clock.clone();
        let slots = Arc::new(Semaphore::new(config.concurrency));
        let mut runs = Runs {
            deps: deps.clone(),
            set: JoinSet::new(),
            held: HashMap::new(),
            by_run: HashMap::new(),
        };
        let mut last_beat = Instant::now();
        let mut last_check = Instant::now();
        let mut last_reap: Option<Instant> = None;
        // Whether to look for work: at the start, when woken, on a timeout;
        // not when a run ends or its settlement hands over the next claim.
        let mut look = true;
        // Whether the last claim filled every free slot: more may be ready,
        // so look again when a run ends.
        let mut more = false;
        let mut due = None;
        loop {
            if *stopped.borrow() {
                break;
            }
            let now = clock.now();
            if last_reap.is_none_or(|at| at.elapsed() >= config.lease / 4) {
                last_reap = Some(Instant::now());
                if let Err(e) = reap(&deps, now).await {
                    tracing::warn!(error = %e, "could not reap expired leases");
                }
            }
            if !runs.held.is_empty() {
                let pairs: Vec<(TaskId, i64)> =
                    runs.held.iter().map(|(t, (f, _))| (*t, *f)).collect();
                let lost = if last_beat.elapsed() >= config.lease / 3 {
                    last_beat = Instant::now();
                    queue.heartbeat(&pairs, now, now + config.lease).await
                } else if last_check.elapsed() >= HELD_CHECK {
                    last_check = Instant::now();
                    queue.still_held(&pairs, now).await
                } else {
                    Ok(Vec::new())
                };
                match lost {
                    Ok(lost) => {
                        for task in lost {
                            if let Some((_, cancel)) = runs.held.remove(&task) {
                                let _ = cancel.send(Signal::Lost);
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not renew leases"),
                }
            }
            let free = slots.available_permits();
            let mut claimed = 0;
            // Claims come in batches: one transaction hands out half the slots
            // rather than one per finished run (each claim is a write). Most
            // work arrives with settlements, which claim for the slots they free.
            let batch = (config.concurrency / 2).max(1);
            if look && (free >= batch || runs.set.is_empty()) {
                // A wake-up that arrived meanwhile is answered by this very claim:
                // take it, or the next wait would end at once for an empty claim.
                queue.wait_for_work(Duration::ZERO).await;
                // Read now, not at the top of the loop: a task made ready by a
                // settlement committed meanwhile must not start before it ended.
                let now = clock.now();
                let taken = u32::try_from(free)
                    .ok()
                    .and_then(|n| slots.clone().try_acquire_many_owned(n).ok());
                if let Some(mut taken) = taken {
                    match queue
                        .claim(&config.worker, free, now, now + config.lease)
                        .await
                    {
                        Ok(claims) => {
                            claimed = claims.len();
                            more = claimed > 0 && claimed == free;
                            for claim in claims {
                                let Some(slot) = taken.split(1) else { break };
                                runs.start(claim, slot, Signal::Run);
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "could not claim work"),
                    }
                }
            }
            let saturated = free < batch || claimed == free;
            // A retry falling due matters only with room to run it: a saturated
            // worker wakes when a run ends anyway. A settlement that schedules
            // a retry wakes this worker, which then reads it here.
            if look && !saturated {
                due = queue.next_due().await.ok().flatten();
            }
            let mut wait = config.poll;
            if !saturated && let Some(due) = due {
                let until = (due - clock.now()).to_std().unwrap_or(Duration::ZERO);
                wait = wait.min(until.max(Duration::from_millis(5)));
            }
            look = false;
            if !runs.held.is_empty() {
                wait = wait.min(HELD_CHECK);
            }
            tokio::select! {
                _ = stopped.changed() => {}
                Some(done) = runs.set.join_next_with_id(), if !runs.set.is_empty() => {
                    runs.ended(done);
                    look = more;
                }
                Some(handover) = handovers.recv() => {
                    runs.start(handover.claim, handover.slot, Signal::Run);
                }
                () = queue.wait_for_work(wait), if !saturated || runs.set.is_empty() => look = true,
                () = tokio::time::sleep(wait), if saturated && !runs.set.is_empty() => look = true,
            }
        }
        // Settlements claim no more. Runs give their tasks back (no attempt
        // spent) and end, as do those claimed meanwhile; those that do not
        // within the grace are dropped, and their leases expire.
        stopping.store(true, Ordering::Release);
        for (_, (_, cancel)) in runs.held.drain() {
            let _ = cancel.send(Signal::Stopping);
        }
        let _ = tokio::time::timeout(STOP_GRACE, async {
            loop {
                tokio::select! {
                    Some(handover) = handovers.recv() => {
                        runs.start(handover.claim, handover.slot, Signal::Stopping);
                    }
                    done = runs.set.join_next() => if done.is_none() { break },
                }
            }
        })
        .await;
        runs.set.shutdown().await;
    }
}

/// Settles tasks whose lease ran out (a worker killed or stuck) as failed
/// attempts, so they are retried (or fail) like any other.
async fn reap(deps: &Deps, now: chrono::DateTime<chrono::Utc>) -> agentry_domain::Result<()> {
    let queue = &deps.ports.planning.queue;
    let expired: Vec<Claim> = queue.expired(now, 64).await?;
    for claim in expired {
        let id = claim.task.id();
        // One task that cannot be settled must not hold up the others.
        if let Err(e) = reap_one(deps, claim, now).await {
            tracing::warn!(task = %id.0, error = %e, "could not settle an expired lease");
        }
    }
    Ok(())
}

async fn reap_one(
    deps: &Deps,
    claim: Claim,
    now: chrono::DateTime<chrono::Utc>,
) -> agentry_domain::Result<()> {
    let queue = &deps.ports.planning.queue;
    let Claim {
        mut task, fence, ..
    } = claim;
    let (events, retry_at) = crate::run::failure(
        &deps.config.backoff,
        &mut task,
        "the lease expired: its worker stopped answering",
        None,
        None,
        now,
    )?;
    let settlement = Settlement {
        task,
        fence,
        events,
        retry_at,
        expired: true,
    };
    queue.settle(&[settlement], now).await?;
    Ok(())
}
