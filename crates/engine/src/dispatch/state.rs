//! A worker's decisions as a state machine: it is told what happened (an
//! [`Event`], with the time it happened) and answers what to do (an
//! [`Actions`]), with no I/O and no clock of its own. The dispatcher
//! (`dispatch.rs`) performs the actions and feeds back what they gave.
//!
//! A worker goes round one cycle each time something happens: reap expired
//! leases (every quarter lease), renew its own (every third of a lease) or
//! check that they still hold (every [`HELD_CHECK`]), claim ready tasks for
//! its free slots when it has reason to look, read when the next retry falls
//! due, and wait. Each step that needs the store's answer ends the step's
//! [`Actions`] with that request ([`Next`]); the answer comes back as the
//! next event and the cycle goes on from there. Once asked to stop, it claims
//! nothing more, tells every run to give its task back, and waits for them
//! (up to [`STOP_GRACE`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use agentry_domain::id::TaskId;

#[cfg(test)]
mod tests;

/// How often held leases are checked against the store, so an aborted plan's
/// turns stop within about this long.
pub(crate) const HELD_CHECK: Duration = Duration::from_millis(250);

/// How long a stopping worker lets its runs give their tasks back.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(5);

/// The shortest wait for a retry falling due: one due now is read again
/// rather than spun on.
const DUE_WAIT_MIN: Duration = Duration::from_millis(5);

/// What a worker is allowed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Runs at once: the slots.
    pub concurrency: usize,
    /// How long a claim holds without renewal.
    pub lease: Duration,
    /// The longest wait when nothing wakes the worker.
    pub poll: Duration,
}

/// A task this worker holds, under its fencing token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lease {
    pub task: TaskId,
    pub fence: i64,
}

/// What a run is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunSignal {
    /// Go on.
    Run,
    /// The lease is gone (an abort, an expiry): stop and write nothing more.
    LeaseLost,
    /// The worker is stopping: stop and give the task back, no attempt spent.
    WorkerStopping,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// The worker begins.
    Started,
    /// The store says work may be ready.
    Woken,
    /// The wait asked for ran out.
    TimerFired,
    /// A run ended (done, failed, given back, or stopped after losing its lease).
    RunEnded(TaskId),
    /// Slots came back: from runs that ended without handing them on, or
    /// from settlements that found nothing to claim for them.
    SlotsFreed(usize),
    /// A settlement claimed this task for the worker, in the slot of the run
    /// it ended.
    HandedOver(Lease),
    /// Expired leases were settled (or could not be: they are tried again).
    Reaped,
    /// The leases sent to be renewed were, except `lost`.
    Renewed { lost: Vec<TaskId> },
    /// The leases sent to be checked still hold, except `lost`.
    Checked { lost: Vec<TaskId> },
    /// Renewing or checking failed; they are tried again next cycle.
    RenewalFailed,
    /// A claim's tasks (fewer than asked, or none, when fewer were ready).
    Claimed(Vec<Lease>),
    /// A claim failed: nothing was claimed.
    ClaimFailed,
    /// When the next retry falls due, if one is scheduled.
    NextDue(Option<Instant>),
    /// The worker is asked to stop.
    StopAsked,
}

/// Something to do at once, without waiting for an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// Run the claimed task.
    Start { lease: Lease, signal: RunSignal },
    /// Tell the task's run to stop.
    Signal { task: TaskId, signal: RunSignal },
}

/// What to do next: a request whose answer is the next [`Event`], or a wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Settle the leases that expired (answer: [`Event::Reaped`]).
    Reap,
    /// Renew these leases for another lease (answer: [`Event::Renewed`]).
    Renew(Vec<Lease>),
    /// Check that these leases still hold (answer: [`Event::Checked`]).
    Check(Vec<Lease>),
    /// Claim up to this many ready tasks (answer: [`Event::Claimed`]).
    Claim(usize),
    /// Read when the next retry falls due (answer: [`Event::NextDue`]).
    ReadNextDue,
    /// Wait until `until` for a run to end, a handover, a slot, a stop, or,
    /// when `on_work`, the store's word that work may be ready.
    Wait { until: Instant, on_work: bool },
    /// Stopping: wait until `until` for the runs to end and handovers.
    Drain { until: Instant },
    /// Done: drop the runs still going (their leases expire).
    Stop,
}

/// The answer to an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Actions {
    pub orders: Vec<Order>,
    pub next: Next,
}

/// Where the worker is in its cycle: what its last [`Next`] asked.
#[derive(Clone, Debug)]
enum Step {
    Waiting,
    Reaping,
    Renewing,
    Checking,
    Claiming { asked: usize },
    ReadingDue,
    Draining { until: Instant },
    Stopped,
}

/// A worker's state.
#[derive(Debug)]
pub(crate) struct WorkerState {
    limits: Limits,
    /// The leases held, each task's fencing token.
    held: BTreeMap<TaskId, i64>,
    /// Runs not yet ended, including those told their lease was lost.
    running: BTreeSet<TaskId>,
    /// Slots taken by runs, by settlements passing them on, and by a claim
    /// in flight.
    slots_taken: usize,
    /// Whether this cycle claims: at the start, when woken, when a wait ran
    /// out; not when a run ends or a settlement hands over the next claim.
    look_for_work: bool,
    /// Whether the last claim filled every slot it asked for: more may be
    /// ready, so look again when a run ends.
    more_may_be_ready: bool,
    /// Whether this cycle's claim left no room worth waking for.
    saturated: bool,
    next_retry: Option<Instant>,
    last_reap: Option<Instant>,
    last_renewal: Option<Instant>,
    last_check: Option<Instant>,
    step: Step,
}

impl WorkerState {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            held: BTreeMap::new(),
            running: BTreeSet::new(),
            slots_taken: 0,
            look_for_work: true,
            more_may_be_ready: false,
            saturated: false,
            next_retry: None,
            last_reap: None,
            last_renewal: None,
            last_check: None,
            step: Step::Waiting,
        }
    }

    /// Free slots.
    pub(crate) fn free(&self) -> usize {
        self.limits.concurrency.saturating_sub(self.slots_taken)
    }

    /// Runs not yet ended.
    #[cfg(test)]
    pub(crate) fn running(&self) -> usize {
        self.running.len()
    }

    /// Whether the worker has stopped.
    pub(crate) fn stopped(&self) -> bool {
        matches!(self.step, Step::Stopped)
    }

    /// The worker's answer to `event`, which happened at `now`.
    pub(crate) fn on(&mut self, event: Event, now: Instant) -> Actions {
        let mut orders = Vec::new();
        if let Some(next) = self.absorb(event, now, &mut orders) {
            return Actions { orders, next };
        }
        let next = self.cycle(now);
        Actions { orders, next }
    }

    /// Takes in what `event` says; the next step when it decides one
    /// itself, else the cycle goes on.
    fn absorb(&mut self, event: Event, now: Instant, orders: &mut Vec<Order>) -> Option<Next> {
        match event {
            Event::StopAsked => return Some(self.stop(now, orders)),
            Event::SlotsFreed(n) => self.slots_taken = self.slots_taken.saturating_sub(n),
            Event::RunEnded(task) => {
                self.running.remove(&task);
                self.held.remove(&task);
                self.look_for_work |= self.more_may_be_ready;
            }
            Event::HandedOver(lease) => {
                let signal = if self.draining().is_some() {
                    RunSignal::WorkerStopping
                } else {
                    self.held.insert(lease.task, lease.fence);
                    RunSignal::Run
                };
                self.running.insert(lease.task);
                orders.push(Order::Start { lease, signal });
            }
            Event::Started | Event::Woken | Event::TimerFired => {}
            Event::Reaped
            | Event::Renewed { .. }
            | Event::Checked { .. }
            | Event::RenewalFailed
            | Event::Claimed(_)
            | Event::ClaimFailed
            | Event::NextDue(_) => return self.answered(event, now, orders),
        }
        if let Some(until) = self.draining() {
            return Some(self.drain(now, until));
        }
        if matches!(event, Event::Started | Event::Woken | Event::TimerFired) {
            self.look_for_work = true;
        }
        // An event that is no answer may only come while waiting: a new
        // cycle begins.
        None
    }

    /// An answer to the step's request; where the cycle goes on from.
    fn answered(&mut self, event: Event, now: Instant, orders: &mut Vec<Order>) -> Option<Next> {
        let step = std::mem::replace(&mut self.step, Step::Waiting);
        match (step, event) {
            (Step::Reaping, Event::Reaped) => Some(self.renew_or_check(now)),
            (Step::Renewing, Event::Renewed { lost })
            | (Step::Checking, Event::Checked { lost }) => {
                self.lose(lost, orders);
                Some(self.claim(now))
            }
            (Step::Renewing | Step::Checking, Event::RenewalFailed) => Some(self.claim(now)),
            (Step::Claiming { asked }, Event::Claimed(leases)) => {
                let got = leases.len().min(asked);
                self.slots_taken -= asked - got;
                for lease in leases.into_iter().take(asked) {
                    self.held.insert(lease.task, lease.fence);
                    self.running.insert(lease.task);
                    orders.push(Order::Start {
                        lease,
                        signal: RunSignal::Run,
                    });
                }
                self.more_may_be_ready = got > 0 && got == asked;
                self.saturated |= got == asked;
                Some(self.read_due(now))
            }
            (Step::Claiming { asked, .. }, Event::ClaimFailed) => {
                self.slots_taken -= asked;
                Some(self.read_due(now))
            }
            (Step::ReadingDue, Event::NextDue(at)) => {
                self.next_retry = at;
                Some(self.wait(now))
            }
            (Step::Draining { until }, _) => {
                self.step = Step::Draining { until };
                Some(self.drain(now, until))
            }
            (Step::Stopped, _) => {
                self.step = Step::Stopped;
                Some(Next::Stop)
            }
            // An answer to no request (it cannot come from the dispatcher):
            // start the cycle over rather than act on it.
            (_, _) => Some(self.cycle(now)),
        }
    }

    /// Leases found lost: forgotten, and their runs told.
    fn lose(&mut self, lost: Vec<TaskId>, orders: &mut Vec<Order>) {
        for task in lost {
            if self.held.remove(&task).is_some() {
                orders.push(Order::Signal {
                    task,
                    signal: RunSignal::LeaseLost,
                });
            }
        }
    }

    fn draining(&self) -> Option<Instant> {
        match self.step {
            Step::Draining { until } => Some(until),
            _ => None,
        }
    }

    /// A new cycle: reap first, when a quarter lease has passed.
    fn cycle(&mut self, now: Instant) -> Next {
        if self.stopped() {
            return Next::Stop;
        }
        let reap_every = self.limits.lease / 4;
        if self
            .last_reap
            .is_none_or(|at| now.saturating_duration_since(at) >= reap_every)
        {
            self.last_reap = Some(now);
            self.step = Step::Reaping;
            return Next::Reap;
        }
        self.renew_or_check(now)
    }

    /// Renews the held leases every third of a lease, else checks them every
    /// [`HELD_CHECK`].
    fn renew_or_check(&mut self, now: Instant) -> Next {
        if !self.held.is_empty() {
            let since = |at: Option<Instant>| at.map(|at| now.saturating_duration_since(at));
            if since(self.last_renewal).is_none_or(|d| d >= self.limits.lease / 3) {
                self.last_renewal = Some(now);
                self.step = Step::Renewing;
                return Next::Renew(self.leases());
            }
            if since(self.last_check).is_none_or(|d| d >= HELD_CHECK) {
                self.last_check = Some(now);
                self.step = Step::Checking;
                return Next::Check(self.leases());
            }
        }
        self.claim(now)
    }

    fn leases(&self) -> Vec<Lease> {
        self.held
            .iter()
            .map(|(&task, &fence)| Lease { task, fence })
            .collect()
    }

    /// Claims for every free slot when looking for work and there is room
    /// worth a claim: half the slots at least (one claim hands out a batch
    /// rather than one task per finished run; most work arrives with
    /// settlements, which claim for the slots they free), or any when idle.
    fn claim(&mut self, now: Instant) -> Next {
        let free = self.free();
        let batch = (self.limits.concurrency / 2).max(1);
        self.saturated = free < batch;
        if self.look_for_work && free > 0 && (free >= batch || self.running.is_empty()) {
            self.slots_taken += free;
            self.step = Step::Claiming { asked: free };
            return Next::Claim(free);
        }
        self.read_due(now)
    }

    /// A retry falling due matters only with room to run it: a saturated
    /// worker wakes when a run ends anyway. A settlement that schedules a
    /// retry wakes the worker, which then reads it here.
    fn read_due(&mut self, now: Instant) -> Next {
        if self.look_for_work && !self.saturated {
            self.step = Step::ReadingDue;
            return Next::ReadNextDue;
        }
        self.wait(now)
    }

    fn wait(&mut self, now: Instant) -> Next {
        let mut wait = self.limits.poll;
        if !self.saturated
            && let Some(due) = self.next_retry
        {
            wait = wait.min(due.saturating_duration_since(now).max(DUE_WAIT_MIN));
        }
        if !self.held.is_empty() {
            wait = wait.min(HELD_CHECK);
        }
        self.look_for_work = false;
        self.step = Step::Waiting;
        Next::Wait {
            until: now + wait,
            on_work: !self.saturated || self.running.is_empty(),
        }
    }

    /// Claims nothing more; every run gives its task back.
    fn stop(&mut self, now: Instant, orders: &mut Vec<Order>) -> Next {
        if let Some(until) = self.draining() {
            return self.drain(now, until);
        }
        if self.stopped() {
            return Next::Stop;
        }
        for task in std::mem::take(&mut self.held).into_keys() {
            orders.push(Order::Signal {
                task,
                signal: RunSignal::WorkerStopping,
            });
        }
        self.drain(now, now + STOP_GRACE)
    }

    fn drain(&mut self, now: Instant, until: Instant) -> Next {
        if self.running.is_empty() || now >= until {
            self.step = Step::Stopped;
            return Next::Stop;
        }
        self.step = Step::Draining { until };
        Next::Drain { until }
    }
}
