//! Group commit for settlements: the settlements of a worker's runs that queue
//! while one batch is being written share the next transaction, as the log's
//! appends do, so one disk flush settles many tasks. A lone settlement is
//! written at once; nothing waits on a timer. A batch that fails is written
//! again one settlement at a time, so a bad one fails alone.
//!
//! Completions are pushed, not polled: the runs that end with a batch give
//! their slots to it, and the same transaction claims, for those slots, the
//! tasks the batch made ready. They go straight to the dispatcher.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use agentry_domain::clock::Clock;
use agentry_domain::planning::{Claim, ClaimRequest, Settlement, WorkQueue};
use agentry_domain::{Error, Result};
use tokio::sync::{mpsc, oneshot};

use crate::slot::Slot;

/// The most settlements one transaction takes.
const MAX_BATCH: usize = 256;

struct Pending {
    settlement: Settlement,
    /// The slot of the run this settlement ends.
    slot: Option<Slot>,
    done: oneshot::Sender<Result<bool>>,
}

/// A task claimed with a settlement, and the slot it runs in.
pub(crate) struct Handover {
    pub claim: Claim,
    pub slot: Slot,
}

/// Where claims made with settlements go.
pub(crate) struct Claims {
    pub worker: String,
    pub lease: Duration,
    pub to: mpsc::UnboundedSender<Handover>,
    /// Set when the worker stops: settlements then claim nothing.
    pub stopping: Arc<AtomicBool>,
}

/// The sending side; the writer task ends when the last clone goes.
#[derive(Clone)]
pub(crate) struct Settler {
    queue: mpsc::Sender<Pending>,
}

impl Settler {
    pub(crate) fn spawn(queue: Arc<dyn WorkQueue>, clock: Arc<dyn Clock>, claims: Claims) -> Self {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(run(queue, clock, claims, receiver));
        Self { queue: sender }
    }

    /// Writes `settlement`, possibly with others; whether its fence still held.
    /// `slot`, given by a run the settlement ends, may go to a task it makes ready.
    pub(crate) async fn settle(&self, settlement: Settlement, slot: Option<Slot>) -> Result<bool> {
        let (done, written) = oneshot::channel();
        let gone = || Error::internal("the settlement writer has stopped");
        self.queue
            .send(Pending {
                settlement,
                slot,
                done,
            })
            .await
            .map_err(|_| gone())?;
        written.await.map_err(|_| gone())?
    }
}

async fn run(
    queue: Arc<dyn WorkQueue>,
    clock: Arc<dyn Clock>,
    claims: Claims,
    mut receiver: mpsc::Receiver<Pending>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut pending = std::mem::take(&mut batch);
        let settlements: Vec<Settlement> = pending.iter().map(|p| p.settlement.clone()).collect();
        // Slots not handed on are freed when this batch is done with.
        let mut slots: Vec<Slot> = pending.iter_mut().filter_map(|p| p.slot.take()).collect();
        let now = clock.now();
        let written = if slots.is_empty() || claims.stopping.load(Ordering::Acquire) {
            queue.settle(&settlements, now).await
        } else {
            let then = ClaimRequest {
                worker: claims.worker.clone(),
                limit: slots.len(),
                lease_until: now + claims.lease,
            };
            queue
                .settle_and_claim(&settlements, now, &then)
                .await
                .map(|(written, claimed)| {
                    for claim in claimed {
                        let Some(slot) = slots.pop() else { break };
                        // A dispatcher gone drops it: its lease expires, and
                        // the task is retried.
                        let _ = claims.to.send(Handover { claim, slot });
                    }
                    written
                })
        };
        drop(slots);
        match written {
            Ok(written) => {
                for (p, w) in pending.into_iter().zip(written) {
                    let _ = p.done.send(Ok(w));
                }
            }
            Err(_) if pending.len() > 1 => {
                for p in pending {
                    let one = queue
                        .settle(std::slice::from_ref(&p.settlement), clock.now())
                        .await
                        .map(|w| w.first().copied().unwrap_or(false));
                    let _ = p.done.send(one);
                }
            }
            Err(e) => {
                if let Some(p) = pending.into_iter().next() {
                    let _ = p.done.send(Err(e));
                }
            }
        }
    }
}
