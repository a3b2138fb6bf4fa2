//! Group commit for settlements: the settlements of a worker's runs that queue
//! while one batch is being written share the next transaction, as the log's
//! appends do, so one disk flush settles many tasks. A lone settlement is
//! written at once; nothing waits on a timer. A batch that fails is written
//! again one settlement at a time, so a bad one fails alone.

use std::sync::Arc;

use agentry_domain::clock::Clock;
use agentry_domain::planning::{Settlement, WorkQueue};
use agentry_domain::{Error, Result};
use tokio::sync::{mpsc, oneshot};

/// The most settlements one transaction takes.
const MAX_BATCH: usize = 256;

struct Pending {
    settlement: Settlement,
    done: oneshot::Sender<Result<bool>>,
}

/// The sending side; the writer task ends when the last clone goes.
#[derive(Clone)]
pub(crate) struct Settler {
    queue: mpsc::Sender<Pending>,
}

impl Settler {
    pub(crate) fn spawn(queue: Arc<dyn WorkQueue>, clock: Arc<dyn Clock>) -> Self {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(run(queue, clock, receiver));
        Self { queue: sender }
    }

    /// Writes `settlement`, possibly with others; whether its fence still held.
    pub(crate) async fn settle(&self, settlement: Settlement) -> Result<bool> {
        let (done, written) = oneshot::channel();
        let gone = || Error::internal("the settlement writer has stopped");
        self.queue
            .send(Pending { settlement, done })
            .await
            .map_err(|_| gone())?;
        written.await.map_err(|_| gone())?
    }
}

async fn run(
    queue: Arc<dyn WorkQueue>,
    clock: Arc<dyn Clock>,
    mut receiver: mpsc::Receiver<Pending>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let pending = std::mem::take(&mut batch);
        let settlements: Vec<Settlement> = pending.iter().map(|p| p.settlement.clone()).collect();
        match queue.settle(&settlements, clock.now()).await {
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
