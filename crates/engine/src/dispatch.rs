//! A worker: the shell around its state machine ([`state`]). It performs
//! what the machine decides (reap, renew, check, claim, start and signal
//! runs, wait) and feeds back what happened; every decision is the
//! machine's.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use agentry_domain::id::TaskId;
use agentry_domain::log::{DeltaBus, EventFilter};
use agentry_domain::planning::{Claim, ModelClient, Settlement, ToolExecutor};
use agentry_domain::{Ports, Services};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::EngineConfig;
use crate::run::{WorkerContext, attempt};
use crate::settler::{Claims, Handover, Settler};
use crate::slot::Slot;

pub(crate) mod state;

use state::{Event, Lease, Limits, Next, Order, RunSignal, WorkerState};

/// A worker, ready to start.
pub struct Engine {
    context: Arc<WorkerContext>,
    handovers: mpsc::UnboundedReceiver<Handover>,
    freed: (mpsc::UnboundedSender<()>, mpsc::UnboundedReceiver<()>),
    stopping: Arc<AtomicBool>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.context.config)
            .finish_non_exhaustive()
    }
}

/// A running worker.
#[derive(Debug)]
pub struct EngineHandle {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl EngineHandle {
    /// Stops claiming, stops the runs in flight (their leases expire and the
    /// tasks are retried elsewhere) and returns once the worker is gone.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// The runs in flight: the sender that signals each task's run.
struct Runs {
    context: Arc<WorkerContext>,
    set: JoinSet<TaskId>,
    signals: HashMap<TaskId, watch::Sender<RunSignal>>,
    task_of_run: HashMap<tokio::task::Id, TaskId>,
}

impl Runs {
    fn start(&mut self, claim: Claim, slot: Slot, signal: RunSignal) {
        let (sender, receiver) = watch::channel(signal);
        let task = claim.task.id();
        self.signals.insert(task, sender);
        let context = self.context.clone();
        let run = self.set.spawn(async move {
            attempt(&context, claim, slot, receiver).await;
            task
        });
        self.task_of_run.insert(run.id(), task);
    }

    fn signal(&mut self, task: TaskId, signal: RunSignal) {
        if let Some(sender) = self.signals.get(&task) {
            let _ = sender.send(signal);
        }
    }

    /// The task of a run that ended. A run that panicked ends too: its lease
    /// is let go (it expires, and the task is retried), never renewed.
    fn ended(
        &mut self,
        done: Result<(tokio::task::Id, TaskId), tokio::task::JoinError>,
    ) -> Option<TaskId> {
        let id = match &done {
            Ok((id, _)) => *id,
            Err(e) => e.id(),
        };
        if let Err(e) = done {
            tracing::error!(error = %e, "a run ended abnormally");
        }
        let task = self.task_of_run.remove(&id)?;
        self.signals.remove(&task);
        Some(task)
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
            context: Arc::new(WorkerContext::new(
                ports, services, model, tools, config, settler, deltas,
            )),
            handovers,
            freed: mpsc::unbounded_channel(),
            stopping,
        }
    }

    /// Starts the worker on the current runtime.
    #[must_use]
    pub fn start(self) -> EngineHandle {
        let stop = CancellationToken::new();
        let task = tokio::spawn(self.dispatch(stop.clone()));
        EngineHandle { stop, task }
    }

    async fn dispatch(self, stop: CancellationToken) {
        let Self {
            context,
            mut handovers,
            freed: (freed, mut slots_freed),
            stopping,
        } = self;
        let config = &context.config;
        let queue = context.ports.planning.queue.clone();
        let clock = context.ports.planning.clock.clone();
        let mut worker = WorkerState::new(Limits {
            concurrency: config.concurrency,
            lease: config.lease,
            poll: config.poll,
        });
        let mut runs = Runs {
            context: context.clone(),
            set: JoinSet::new(),
            signals: HashMap::new(),
            task_of_run: HashMap::new(),
        };
        // Claims waiting for the machine's word to start them.
        let mut claimed: HashMap<TaskId, (Claim, Slot)> = HashMap::new();
        let mut event = Event::Started;
        loop {
            let actions = worker.on(event, Instant::now());
            for order in actions.orders {
                match order {
                    Order::Start { lease, signal } => {
                        if let Some((claim, slot)) = claimed.remove(&lease.task) {
                            runs.start(claim, slot, signal);
                        }
                    }
                    Order::Signal { task, signal } => runs.signal(task, signal),
                }
            }
            event = match actions.next {
                Next::Reap => {
                    if let Err(e) = reap(&context, clock.now()).await {
                        tracing::warn!(error = %e, "could not reap expired leases");
                    }
                    Event::Reaped
                }
                Next::Renew(leases) => {
                    let now = clock.now();
                    match queue
                        .heartbeat(&pairs(&leases), now, now + config.lease)
                        .await
                    {
                        Ok(lost) => Event::Renewed { lost },
                        Err(e) => {
                            tracing::warn!(error = %e, "could not renew leases");
                            Event::RenewalFailed
                        }
                    }
                }
                Next::Check(leases) => match queue.still_held(&pairs(&leases), clock.now()).await {
                    Ok(lost) => Event::Checked { lost },
                    Err(e) => {
                        tracing::warn!(error = %e, "could not check leases");
                        Event::RenewalFailed
                    }
                },
                Next::Claim(n) => {
                    // A wake-up that arrived meanwhile is answered by this very
                    // claim: take it, or the next wait would end at once for
                    // an empty claim.
                    queue.wait_for_work(Duration::ZERO).await;
                    // Read now: a task made ready by a settlement committed
                    // meanwhile must not start before it ended.
                    let now = clock.now();
                    match queue
                        .claim(&config.worker, n, now, now + config.lease)
                        .await
                    {
                        Ok(claims) => Event::Claimed(
                            claims
                                .into_iter()
                                .map(|claim| hold(&mut claimed, claim, Slot::new(freed.clone())))
                                .collect(),
                        ),
                        Err(e) => {
                            tracing::warn!(error = %e, "could not claim work");
                            Event::ClaimFailed
                        }
                    }
                }
                Next::ReadNextDue => {
                    let due = queue.next_due().await.ok().flatten().map(|due| {
                        Instant::now() + (due - clock.now()).to_std().unwrap_or(Duration::ZERO)
                    });
                    Event::NextDue(due)
                }
                Next::Wait { until, on_work } => {
                    let wait = until.saturating_duration_since(Instant::now());
                    tokio::select! {
                        biased;
                        () = stop.cancelled() => {
                            // Settlements claim no more from here on.
                            stopping.store(true, Ordering::Release);
                            Event::StopAsked
                        }
                        n = recv_all(&mut slots_freed) => Event::SlotsFreed(n),
                        Some(handover) = handovers.recv() => handed_over(&mut claimed, handover),
                        Some(done) = runs.set.join_next_with_id(), if !runs.set.is_empty() => {
                            runs.ended(done).map_or(Event::TimerFired, Event::RunEnded)
                        }
                        () = queue.wait_for_work(wait), if on_work => Event::Woken,
                        () = tokio::time::sleep(wait), if !on_work => Event::TimerFired,
                    }
                }
                Next::Drain { until } => {
                    tokio::select! {
                        biased;
                        n = recv_all(&mut slots_freed) => Event::SlotsFreed(n),
                        Some(handover) = handovers.recv() => handed_over(&mut claimed, handover),
                        Some(done) = runs.set.join_next_with_id(), if !runs.set.is_empty() => {
                            runs.ended(done).map_or(Event::TimerFired, Event::RunEnded)
                        }
                        () = tokio::time::sleep_until(until.into()) => Event::TimerFired,
                    }
                }
                Next::Stop => break,
            };
        }
        // Those that did not end within the grace are dropped: their leases
        // expire.
        runs.set.shutdown().await;
    }
}

fn pairs(leases: &[Lease]) -> Vec<(TaskId, i64)> {
    leases.iter().map(|l| (l.task, l.fence)).collect()
}

/// A claim and its slot, kept until the machine says to start it.
fn hold(claimed: &mut HashMap<TaskId, (Claim, Slot)>, claim: Claim, slot: Slot) -> Lease {
    let lease = Lease {
        task: claim.task.id(),
        fence: claim.fence,
    };
    claimed.insert(lease.task, (claim, slot));
    lease
}

fn handed_over(claimed: &mut HashMap<TaskId, (Claim, Slot)>, handover: Handover) -> Event {
    Event::HandedOver(hold(claimed, handover.claim, handover.slot))
}

/// Waits for a slot to come back; how many came back by then.
async fn recv_all(freed: &mut mpsc::UnboundedReceiver<()>) -> usize {
    let mut buffer = Vec::new();
    freed.recv_many(&mut buffer, usize::MAX).await
}

/// The starts read, newest first, to find an expired attempt's: it is the
/// task's latest attempt, though the starts of sub-assistants it delegated to
/// come after its own.
const STARTS_READ: u32 = 200;

/// The `agent.started` of the task's attempt under `fence`, if it got so far.
async fn attempt_started(
    context: &WorkerContext,
    task: TaskId,
    fence: i64,
) -> agentry_domain::Result<Option<agentry_domain::event::Event>> {
    let filter = EventFilter {
        task_id: Some(task),
        types: vec!["agent.started".to_owned()],
        limit: STARTS_READ,
        ..EventFilter::default()
    };
    let starts = context.ports.log.events.list_events(&filter).await?;
    Ok(starts.into_iter().find(|e| {
        e.parent_id.is_none()
            && e.kind
                .payload()
                .get("fence")
                .and_then(serde_json::Value::as_i64)
                == Some(fence)
    }))
}

/// Settles tasks whose lease ran out (a worker killed or stuck) as failed
/// attempts, so they are retried (or fail) like any other.
async fn reap(
    context: &WorkerContext,
    now: chrono::DateTime<chrono::Utc>,
) -> agentry_domain::Result<()> {
    let queue = &context.ports.planning.queue;
    let expired: Vec<Claim> = queue.expired(now, 64).await?;
    for claim in expired {
        let id = claim.task.id();
        // One task that cannot be settled must not hold up the others.
        if let Err(e) = reap_one(context, claim, now).await {
            tracing::warn!(task = %id.0, error = %e, "could not settle an expired lease");
        }
    }
    Ok(())
}

async fn reap_one(
    context: &WorkerContext,
    claim: Claim,
    now: chrono::DateTime<chrono::Utc>,
) -> agentry_domain::Result<()> {
    let queue = &context.ports.planning.queue;
    let Claim {
        mut task, fence, ..
    } = claim;
    // The failure goes under the attempt's own `agent.started`, by the member
    // it acted as, as a failure its worker had written itself would.
    let started = attempt_started(context, task.id(), fence).await?;
    let (events, retry_at) = crate::run::failure(
        &context.config.backoff,
        &mut task,
        "the lease expired: its worker stopped answering",
        started.as_ref().map(|e| e.id),
        started.and_then(|e| e.actor_id),
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
