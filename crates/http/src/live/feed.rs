//! One subscriber's feed: what it missed since the last event it saw, read
//! from the log, then what the hub hands it — each event once, in commit
//! order.

use std::collections::VecDeque;

use agentry_domain::id::EventId;
use agentry_domain::log::{EventFilter, LogPosition};
use agentry_domain::{Error, Result};

use super::hub::{Delivered, Delivery, Hub, Item, Subscription, Wants};

/// Events a resuming subscriber may have missed at most: one further behind
/// reads the feed (`GET /events`) instead.
pub const CATCH_UP_MAX: usize = 10_000;

/// Events read from the log at once while catching up.
const PAGE: u32 = 500;

/// What comes next on a feed.
pub enum Next {
    Event(Delivery),
    /// A piece of a running turn's answer, as JSON.
    Delta(std::sync::Arc<str>),
    /// Time to show the connection is alive.
    KeepAlive,
    /// The subscriber fell a whole queue behind and was dropped.
    Overflowed,
}

pub struct Feed {
    hub: Hub,
    filter: EventFilter,
    subscription: Subscription,
    /// The last position handed out.
    delivered: LogPosition,
    /// Where catching up has read to, while it goes on.
    reading: Option<LogPosition>,
    missed: VecDeque<Delivery>,
    scanned: usize,
}

impl Feed {
    /// A feed of what passes `filter` (and `wants`): from after `last` when
    /// given (the client's last event), else from now. Deltas come from now
    /// on only: they are not stored.
    ///
    /// # Errors
    /// `Validation` for a `last` the log does not hold; the log's errors.
    pub async fn open(
        hub: &Hub,
        filter: EventFilter,
        wants: Wants,
        last: Option<EventId>,
    ) -> Result<Self> {
        let start =
            match last {
                Some(id) => Some(hub.log().position(id).await?.ok_or_else(|| {
                    Error::validation("last_event_id", "is not an event of the log")
                })?),
                None => None,
            };
        let subscription = hub.subscribe(filter.clone(), wants).await?;
        let delivered = start.unwrap_or(subscription.from);
        Ok(Self {
            hub: hub.clone(),
            filter,
            reading: (delivered < subscription.from && wants.events).then_some(delivered),
            delivered,
            subscription,
            missed: VecDeque::new(),
            scanned: 0,
        })
    }

    /// The next event if one is ready now, without reading the log: what
    /// catching up has read, or what the hub has queued once it is done.
    pub fn try_next(&mut self) -> Option<Next> {
        if let Some(missed) = self.missed.pop_front() {
            self.delivered = missed.position;
            return Some(Next::Event(missed));
        }
        if self.reading.is_some() {
            return None;
        }
        loop {
            match self.subscription.events.try_recv().ok()? {
                Item::Delta(delta) => return Some(Next::Delta(delta)),
                Item::KeepAlive => return Some(Next::KeepAlive),
                Item::Event(delivery) if delivery.position > self.delivered => {
                    self.delivered = delivery.position;
                    return Some(Next::Event(delivery));
                }
                Item::Event(_) => {}
            }
        }
    }

    /// The next event, once there is one; `None` once the hub is gone.
    ///
    /// # Errors
    /// The log's, while catching up; `Validation` for a subscriber too far behind.
    pub async fn next(&mut self) -> Result<Option<Next>> {
        loop {
            if let Some(missed) = self.missed.pop_front() {
                self.delivered = missed.position;
                return Ok(Some(Next::Event(missed)));
            }
            let Some(from) = self.reading else {
                break;
            };
            let page = self.hub.log().committed_after(from, PAGE).await?;
            self.scanned += page.len();
            if self.scanned > CATCH_UP_MAX {
                return Err(Error::validation(
                    "last_event_id",
                    format!(
                        "more than {CATCH_UP_MAX} events were committed since: read them with \
                         GET /api/v1/events, then subscribe from the newest"
                    ),
                ));
            }
            let done = page.len() < PAGE as usize;
            self.reading = page.last().map(|(at, _)| *at).or(Some(from));
            for (at, event) in page {
                if self.filter.matches(&event) {
                    self.missed
                        .push_back(std::sync::Arc::new(Delivered::new(at, event)));
                }
            }
            // Past where the hub took over, the queue has the rest.
            if done || self.reading >= Some(self.subscription.from) {
                self.reading = None;
            }
        }
        loop {
            let Some(item) = self.subscription.events.recv().await else {
                let overflowed = self
                    .subscription
                    .overflowed
                    .load(std::sync::atomic::Ordering::Relaxed);
                return Ok(overflowed.then_some(Next::Overflowed));
            };
            let delivery = match item {
                Item::Event(delivery) => delivery,
                Item::Delta(delta) => return Ok(Some(Next::Delta(delta))),
                Item::KeepAlive => return Ok(Some(Next::KeepAlive)),
            };
            // Caught up past it already.
            if delivery.position > self.delivered {
                self.delivered = delivery.position;
                return Ok(Some(Next::Event(delivery)));
            }
        }
    }
}
