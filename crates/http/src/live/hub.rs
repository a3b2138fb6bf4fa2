//! One reader of the log per process, fanning new events out to every
//! subscriber whose filter they pass: a query per commit, not one per
//! subscriber. Each subscriber has a bounded queue; one that falls a whole
//! queue behind is dropped (its connection closes saying so, and it resumes
//! from the last event it got). Stream deltas of running turns go the same
//! way to the subscribers watching their task or project, but never drop one:
//! a delta that finds a queue full is lost, as deltas may be.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use agentry_domain::event::Event;
use agentry_domain::log::{DeltaBus, EventFilter, LiveLog, LogPosition, StreamDelta};
use futures::StreamExt as _;
use tokio::sync::mpsc;

use crate::log::EventOut;

/// Events a subscriber may be behind before it is dropped.
pub const QUEUE: usize = 1024;

/// Events read from the log at once.
const BATCH: u32 = 500;

/// How long the reader waits for a commit before it looks anyway (commits
/// of other processes on SQLite, notices lost while reconnecting).
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// A new event for subscribers, with its place in commit order. Its JSON is
/// made once, by the first subscriber to send it, for all of them.
#[derive(Debug)]
pub struct Delivered {
    pub position: LogPosition,
    pub event: Event,
    json: OnceLock<String>,
    sse: OnceLock<bytes::Bytes>,
}

impl Delivered {
    #[must_use]
    pub fn new(position: LogPosition, event: Event) -> Self {
        Self {
            position,
            event,
            json: OnceLock::new(),
            sse: OnceLock::new(),
        }
    }

    /// The event as a server-sent event, `event.new` with its id.
    pub fn sse(&self) -> bytes::Bytes {
        self.sse
            .get_or_init(|| {
                format!(
                    "event: event.new\nid: {}\ndata: {}\n\n",
                    self.event.id.0,
                    self.json()
                )
                .into()
            })
            .clone()
    }

    /// The event as `GET /events/{id}` shows it.
    pub fn json(&self) -> &str {
        self.json.get_or_init(|| {
            serde_json::to_string(&EventOut::from(self.event.clone())).unwrap_or_default()
        })
    }
}

pub type Delivery = Arc<Delivered>;

/// What a subscriber's queue holds.
#[derive(Debug)]
pub enum Item {
    Event(Delivery),
    /// A stream delta's JSON.
    Delta(Arc<str>),
    /// Time to show the connection is alive (every [`KEEP_ALIVE`]).
    KeepAlive,
}

/// How often every subscriber is sent a sign of life: an SSE comment, a
/// WebSocket ping. Under the server's idle-connection timer (the header
/// timeout, 10 s by default), so a quiet feed is not taken for an idle
/// connection; one timer for the process, not one per subscriber.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// What a subscriber asked for: stored events, stream deltas, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wants {
    pub events: bool,
    pub deltas: bool,
}

/// What a subscriber holds: its queue, and whether it was dropped for
/// falling behind.
pub struct Subscription {
    pub events: mpsc::Receiver<Item>,
    pub overflowed: Arc<AtomicBool>,
    /// Where the reader was when it subscribed: later events come through `events`.
    pub from: LogPosition,
    key: u64,
    hub: Hub,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.lock().subscribers.remove(&self.key);
    }
}

struct Subscriber {
    filter: EventFilter,
    wants: Wants,
    queue: mpsc::Sender<Item>,
    overflowed: Arc<AtomicBool>,
}

struct State {
    subscribers: HashMap<u64, Subscriber>,
    /// Where the reader is; `None` until it has read the log's head.
    at: Option<LogPosition>,
    reading: bool,
}

/// The process's fan-out of new events.
#[derive(Clone)]
pub struct Hub {
    log: Arc<dyn LiveLog>,
    deltas: Arc<dyn DeltaBus>,
    state: Arc<Mutex<State>>,
    next: Arc<AtomicU64>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Hub {
    #[must_use]
    pub fn new(log: Arc<dyn LiveLog>, deltas: Arc<dyn DeltaBus>) -> Self {
        Self {
            log,
            deltas,
            state: Arc::new(Mutex::new(State {
                subscribers: HashMap::new(),
                at: None,
                reading: false,
            })),
            next: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn log(&self) -> &Arc<dyn LiveLog> {
        &self.log
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Subscribers now.
    #[must_use]
    pub fn subscribers(&self) -> usize {
        self.lock().subscribers.len()
    }

    /// Subscribes `filter` to events committed from now on, and to deltas
    /// of the task or project it watches, as `wants` says.
    ///
    /// # Errors
    /// When the log's head cannot be read (the reader's first start).
    pub async fn subscribe(
        &self,
        filter: EventFilter,
        wants: Wants,
    ) -> agentry_domain::Result<Subscription> {
        self.start().await?;
        let (queue, events) = mpsc::channel(QUEUE);
        let overflowed = Arc::new(AtomicBool::new(false));
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        let mut state = self.lock();
        let from = state.at.unwrap_or(LogPosition::START);
        state.subscribers.insert(
            key,
            Subscriber {
                filter,
                wants,
                queue,
                overflowed: overflowed.clone(),
            },
        );
        drop(state);
        Ok(Subscription {
            events,
            overflowed,
            from,
            key,
            hub: self.clone(),
        })
    }

    /// Starts the reader at the log's head, once.
    async fn start(&self) -> agentry_domain::Result<()> {
        if self.lock().at.is_some() {
            return Ok(());
        }
        let head = self.log.head().await?;
        let mut state = self.lock();
        if state.reading {
            return Ok(());
        }
        state.reading = true;
        state.at = Some(head);
        drop(state);
        tokio::spawn(read(self.clone(), head));
        tokio::spawn(relay(self.clone(), self.deltas.subscribe()));
        tokio::spawn(keep_alive(self.clone()));
        Ok(())
    }

    fn fan_out(&self, delivered: &[(LogPosition, Event)]) {
        let mut state = self.lock();
        let mut dropped = Vec::new();
        for (position, event) in delivered {
            let mut shared: Option<Delivery> = None;
            for (key, subscriber) in &state.subscribers {
                if !subscriber.wants.events || !subscriber.filter.matches(event) {
                    continue;
                }
                let delivery = shared
                    .get_or_insert_with(|| Arc::new(Delivered::new(*position, event.clone())))
                    .clone();
                if subscriber.queue.try_send(Item::Event(delivery)).is_err() {
                    subscriber.overflowed.store(true, Ordering::Relaxed);
                    dropped.push(*key);
                }
            }
            for key in dropped.drain(..) {
                state.subscribers.remove(&key);
            }
            state.at = Some(*position);
        }
    }

    fn fan_out_delta(&self, delta: &StreamDelta) {
        let mut json: Option<Arc<str>> = None;
        let state = self.lock();
        for subscriber in state.subscribers.values() {
            // Deltas never take the last quarter of a queue: events keep room,
            // and a subscriber is never dropped for deltas.
            let room = subscriber.queue.capacity() > QUEUE / 4;
            if room && subscriber.wants.deltas && watches(&subscriber.filter, delta) {
                let json = json
                    .get_or_insert_with(|| serde_json::to_string(delta).unwrap_or_default().into());
                let _ = subscriber.queue.try_send(Item::Delta(json.clone()));
            }
        }
    }
}

/// Whether a subscription of `filter` watches the task `delta` is of: its
/// own feed, or its project's (a thread's feed gets no deltas).
fn watches(filter: &EventFilter, delta: &StreamDelta) -> bool {
    match (filter.task_id, filter.project_id, filter.parent_id) {
        (Some(task), _, _) => task == delta.task_id,
        (None, Some(project), None) => project == delta.project_id,
        _ => false,
    }
}

/// Sends every subscriber a sign of life now and then; one with a full
/// queue is busy enough already.
async fn keep_alive(hub: Hub) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        for subscriber in hub.lock().subscribers.values() {
            let _ = subscriber.queue.try_send(Item::KeepAlive);
        }
    }
}

/// Hands each stream delta to the subscribers watching its task.
async fn relay(hub: Hub, mut deltas: futures::stream::BoxStream<'static, StreamDelta>) {
    while let Some(delta) = deltas.next().await {
        hub.fan_out_delta(&delta);
    }
}

/// The reader: after each commit (or a while), what was committed since.
async fn read(hub: Hub, mut at: LogPosition) {
    let mut seen = 0;
    loop {
        seen = hub.log.changed(seen, LOOK_EVERY).await;
        loop {
            match hub.log.committed_after(at, BATCH).await {
                Ok(batch) => {
                    let full = batch.len() == BATCH as usize;
                    if let Some((last, _)) = batch.last() {
                        at = *last;
                    }
                    hub.fan_out(&batch);
                    if !full {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading new events failed; trying again");
                    tokio::time::sleep(LOOK_EVERY).await;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use agentry_domain::id::{EventId, ProjectId, TaskId};
    use agentry_domain::log::{EventFilter, StreamDelta};
    use uuid::Uuid;

    use super::watches;

    #[test]
    fn a_delta_goes_to_its_task_and_its_project_not_to_a_thread() {
        let (project, task) = (ProjectId(Uuid::now_v7()), TaskId(Uuid::now_v7()));
        let delta = StreamDelta {
            project_id: project,
            task_id: task,
            agent_event_id: EventId(Uuid::now_v7()),
            turn: 1,
            index: 0,
            text: "hi".into(),
        };
        let of = |project, task, parent| EventFilter {
            project_id: project,
            task_id: task,
            parent_id: parent,
            ..EventFilter::default()
        };
        assert!(watches(&of(None, Some(task), None), &delta));
        assert!(watches(&of(Some(project), None, None), &delta));
        assert!(!watches(
            &of(None, Some(TaskId(Uuid::now_v7())), None),
            &delta
        ));
        assert!(!watches(
            &of(Some(ProjectId(Uuid::now_v7())), None, None),
            &delta
        ));
        let thread = Some(EventId(Uuid::now_v7()));
        assert!(!watches(&of(Some(project), None, thread), &delta));
    }
}
