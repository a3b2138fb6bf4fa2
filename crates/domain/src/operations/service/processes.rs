//! Recording what processes do, and the state derived from it.

use std::sync::Arc;

use crate::Result;
use crate::clock::Clock;
use crate::event::Event;
use crate::id::EventId;
use crate::log::{EventFilter, EventRepo};
use crate::operations::{ProcessEvent, RevisionPromoted, WorkerSpawned};

/// The supervisor's and the workers' side of the log.
#[derive(Clone)]
pub struct ProcessLog {
    events: Arc<dyn EventRepo>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ProcessLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessLog").finish_non_exhaustive()
    }
}

impl ProcessLog {
    #[must_use]
    pub fn new(ports: &crate::log::Ports) -> Self {
        Self {
            events: ports.events.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Records `kind` under `parent` (the supervisor's `process.started`); the
    /// new event's id.
    ///
    /// # Errors
    /// When the log refuses it.
    pub async fn record(&self, parent: Option<EventId>, kind: ProcessEvent) -> Result<EventId> {
        let event = Event::build(None, None, None, parent, kind, self.clock.now())?;
        let id = event.id;
        self.events.append(&[event]).await?;
        Ok(id)
    }

    /// The revision to roll back to: the newest `revision.promoted`.
    ///
    /// # Errors
    /// When the log cannot be read.
    pub async fn current_good_revision(&self) -> Result<Option<String>> {
        let newest = self.newest(None, "revision.promoted").await?;
        Ok(
            newest.and_then(|event| match event.kind.decode::<ProcessEvent>() {
                Some(Ok(ProcessEvent::RevisionPromoted(RevisionPromoted { revision }))) => {
                    Some(revision)
                }
                _ => None,
            }),
        )
    }

    /// The sequence number of `supervisor`'s next worker: one past its newest
    /// `worker.spawned` (the supervisor numbers its spawns in id order).
    ///
    /// # Errors
    /// When the log cannot be read.
    pub async fn next_worker_seq(&self, supervisor: EventId) -> Result<u32> {
        let newest = self.newest(Some(supervisor), "worker.spawned").await?;
        let last = newest.and_then(|event| match event.kind.decode::<ProcessEvent>() {
            Some(Ok(ProcessEvent::WorkerSpawned(WorkerSpawned { seq, .. }))) => Some(seq),
            _ => None,
        });
        Ok(last.map_or(1, |seq| seq.saturating_add(1)))
    }

    async fn newest(&self, parent: Option<EventId>, kind: &str) -> Result<Option<Event>> {
        let filter = EventFilter {
            parent_id: parent,
            types: vec![kind.to_owned()],
            limit: 1,
            ..EventFilter::default()
        };
        Ok(self.events.list_events(&filter).await?.into_iter().next())
    }
}

#[cfg(test)]
#[path = "processes_tests.rs"]
mod tests;
