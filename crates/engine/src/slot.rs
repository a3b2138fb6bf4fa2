//! A run's slot: one of the worker's `concurrency`, taken by a claim and
//! given back when dropped, wherever it is then (a run, a settlement passing
//! it on, a handover on its way), so the worker's count of free slots never
//! misses one.

use tokio::sync::mpsc;

/// One slot, given back on drop.
#[derive(Debug)]
pub(crate) struct Slot {
    freed: mpsc::UnboundedSender<()>,
}

impl Slot {
    pub(crate) fn new(freed: mpsc::UnboundedSender<()>) -> Self {
        Self { freed }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // A worker gone has no slots to count.
        let _ = self.freed.send(());
    }
}
