//! The worker's rules one by one (tables of events and the actions they
//! give), then its invariants over random histories (proptest): a simulated
//! store and runtime answer every request and pick what happens next.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use agentry_domain::id::TaskId;
use proptest::prelude::*;

use super::*;

const LEASE: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_secs(1);

fn limits(concurrency: usize) -> Limits {
    Limits {
        concurrency,
        lease: LEASE,
        poll: POLL,
    }
}

fn task(n: u128) -> TaskId {
    TaskId(uuid::Uuid::from_u128(n))
}

fn lease(n: u128) -> Lease {
    Lease {
        task: task(n),
        fence: 1,
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn starts(actions: &Actions) -> Vec<(TaskId, RunSignal)> {
    actions
        .orders
        .iter()
        .filter_map(|o| match o {
            Order::Start { lease, signal } => Some((lease.task, *signal)),
            Order::Signal { .. } => None,
        })
        .collect()
}

fn signals(actions: &Actions) -> Vec<(TaskId, RunSignal)> {
    actions
        .orders
        .iter()
        .filter_map(|o| match o {
            Order::Signal { task, signal } => Some((*task, *signal)),
            Order::Start { .. } => None,
        })
        .collect()
}

/// A worker that started at `t0`, reaped and claimed `claimed` of its slots
/// and is waiting.
fn running(concurrency: usize, claimed: u128, t0: Instant) -> WorkerState {
    let mut worker = WorkerState::new(limits(concurrency));
    assert_eq!(worker.on(Event::Started, t0).next, Next::Reap);
    assert_eq!(worker.on(Event::Reaped, t0).next, Next::Claim(concurrency));
    let actions = worker.on(Event::Claimed((1..=claimed).map(lease).collect()), t0);
    assert_eq!(
        starts(&actions).len(),
        usize::try_from(claimed).unwrap_or(0)
    );
    if actions.next == Next::ReadNextDue {
        worker.on(Event::NextDue(None), t0);
    }
    worker
}

/// Feeds `event`, then answers upkeep (reaping, renewals, checks) with
/// nothing found: what the worker then does about work.
fn past_upkeep(worker: &mut WorkerState, event: Event, now: Instant) -> Next {
    let mut next = worker.on(event, now).next;
    loop {
        next = match next {
            Next::Reap => worker.on(Event::Reaped, now).next,
            Next::Renew(_) => worker.on(Event::Renewed { lost: vec![] }, now).next,
            Next::Check(_) => worker.on(Event::Checked { lost: vec![] }, now).next,
            other => return other,
        };
    }
}

#[test]
fn a_starting_worker_reaps_claims_every_slot_then_reads_the_next_retry() {
    let t0 = Instant::now();
    let mut worker = WorkerState::new(limits(4));
    assert_eq!(worker.on(Event::Started, t0).next, Next::Reap);
    assert_eq!(worker.on(Event::Reaped, t0).next, Next::Claim(4));
    let actions = worker.on(Event::Claimed(vec![lease(1), lease(2)]), t0);
    assert_eq!(
        starts(&actions),
        [(task(1), RunSignal::Run), (task(2), RunSignal::Run)]
    );
    assert_eq!(actions.next, Next::ReadNextDue);
    assert_eq!(worker.free(), 2);
    // Leases held: the wait is no longer than a held check.
    assert_eq!(
        worker.on(Event::NextDue(None), t0).next,
        Next::Wait {
            until: t0 + HELD_CHECK,
            on_work: true
        }
    );
}

#[test]
fn a_claim_that_fills_every_slot_saturates_the_worker() {
    let t0 = Instant::now();
    let mut worker = WorkerState::new(limits(2));
    worker.on(Event::Started, t0);
    worker.on(Event::Reaped, t0);
    let actions = worker.on(Event::Claimed(vec![lease(1), lease(2)]), t0);
    // No retry is read: nothing could run it.
    assert_eq!(
        actions.next,
        Next::Wait {
            until: t0 + HELD_CHECK,
            on_work: false
        }
    );
    assert_eq!(worker.free(), 0);
}

#[test]
fn an_idle_worker_waits_the_poll_or_until_the_next_retry_falls_due() {
    let t0 = Instant::now();
    let mut worker = running(4, 0, t0);
    let t1 = t0 + ms(10);
    assert_eq!(worker.on(Event::Woken, t1).next, Next::Claim(4));
    assert_eq!(
        worker.on(Event::Claimed(vec![]), t1).next,
        Next::ReadNextDue
    );
    assert_eq!(
        worker.on(Event::NextDue(Some(t1 + ms(300))), t1).next,
        Next::Wait {
            until: t1 + ms(300),
            on_work: true
        }
    );
    worker.on(Event::TimerFired, t1 + ms(300));
    worker.on(Event::Claimed(vec![]), t1 + ms(300));
    // A retry due already is read again after a short pause, not spun on.
    assert_eq!(
        worker.on(Event::NextDue(Some(t1)), t1 + ms(300)).next,
        Next::Wait {
            until: t1 + ms(305),
            on_work: true
        }
    );
    worker.on(Event::TimerFired, t1 + ms(305));
    worker.on(Event::Claimed(vec![]), t1 + ms(305));
    assert_eq!(
        worker.on(Event::NextDue(None), t1 + ms(305)).next,
        Next::Wait {
            until: t1 + ms(305) + POLL,
            on_work: true
        }
    );
}

#[test]
fn expired_leases_are_reaped_every_quarter_lease() {
    let t0 = Instant::now();
    let mut worker = running(4, 0, t0);
    assert_eq!(worker.on(Event::Woken, t0 + LEASE / 8).next, Next::Claim(4));
    worker.on(Event::Claimed(vec![]), t0 + LEASE / 8);
    worker.on(Event::NextDue(None), t0 + LEASE / 8);
    assert_eq!(
        worker.on(Event::TimerFired, t0 + LEASE / 4).next,
        Next::Reap
    );
}

#[test]
fn held_leases_are_checked_every_held_check_and_renewed_every_third_of_a_lease() {
    let t0 = Instant::now();
    let mut worker = running(4, 2, t0);
    // The claim renewed nothing yet: the first cycle renews.
    let t1 = t0 + HELD_CHECK;
    assert_eq!(
        worker.on(Event::TimerFired, t1).next,
        Next::Renew(vec![lease(1), lease(2)])
    );
    worker.on(Event::Renewed { lost: vec![] }, t1);
    worker.on(Event::NextDue(None), t1);
    let t2 = t1 + HELD_CHECK;
    assert_eq!(
        worker.on(Event::TimerFired, t2).next,
        Next::Check(vec![lease(1), lease(2)])
    );
    let actions = worker.on(
        Event::Checked {
            lost: vec![task(2)],
        },
        t2,
    );
    assert_eq!(signals(&actions), [(task(2), RunSignal::LeaseLost)]);
    worker.on(Event::NextDue(None), t2);
    // A lost lease is neither renewed nor checked again.
    let t3 = t1 + LEASE / 3;
    assert_eq!(worker.on(Event::TimerFired, t3).next, Next::Reap);
    assert_eq!(
        worker.on(Event::Reaped, t3).next,
        Next::Renew(vec![lease(1)])
    );
}

#[test]
fn a_run_ending_looks_for_work_only_when_the_last_claim_was_full() {
    let t0 = Instant::now();
    let mut full = running(2, 2, t0);
    past_upkeep(&mut full, Event::SlotsFreed(1), t0);
    assert_eq!(
        past_upkeep(&mut full, Event::RunEnded(task(1)), t0 + ms(1)),
        Next::Claim(1)
    );

    let mut partial = running(4, 1, t0);
    past_upkeep(&mut partial, Event::SlotsFreed(1), t0);
    assert!(matches!(
        past_upkeep(&mut partial, Event::RunEnded(task(1)), t0 + ms(1)),
        Next::Wait { .. }
    ));
}

#[test]
fn a_busy_worker_does_not_claim_for_fewer_than_half_its_slots() {
    let t0 = Instant::now();
    let mut worker = running(8, 8, t0);
    past_upkeep(&mut worker, Event::SlotsFreed(3), t0 + ms(1));
    assert!(matches!(
        past_upkeep(&mut worker, Event::Woken, t0 + ms(2)),
        Next::Wait { on_work: false, .. }
    ));
    past_upkeep(&mut worker, Event::SlotsFreed(1), t0 + ms(3));
    assert_eq!(
        past_upkeep(&mut worker, Event::Woken, t0 + ms(4)),
        Next::Claim(4)
    );
}

#[test]
fn a_handover_starts_at_once_in_the_slot_it_came_with() {
    let t0 = Instant::now();
    let mut worker = running(2, 2, t0);
    let actions = worker.on(Event::HandedOver(lease(9)), t0 + ms(1));
    assert_eq!(starts(&actions), [(task(9), RunSignal::Run)]);
    assert_eq!(worker.free(), 0);
    assert_eq!(worker.running(), 3);
}

#[test]
fn a_stop_gives_every_task_back_and_waits_for_the_runs_within_the_grace() {
    let t0 = Instant::now();
    let mut worker = running(4, 2, t0);
    let actions = worker.on(Event::StopAsked, t0 + ms(1));
    assert_eq!(
        signals(&actions),
        [
            (task(1), RunSignal::WorkerStopping),
            (task(2), RunSignal::WorkerStopping)
        ]
    );
    let until = t0 + ms(1) + STOP_GRACE;
    assert_eq!(actions.next, Next::Drain { until });
    // A handover claimed before the stop gives its task back at once.
    let actions = worker.on(Event::HandedOver(lease(3)), t0 + ms(2));
    assert_eq!(starts(&actions), [(task(3), RunSignal::WorkerStopping)]);
    assert_eq!(
        worker.on(Event::Woken, t0 + ms(3)).next,
        Next::Drain { until }
    );
    worker.on(Event::RunEnded(task(1)), t0 + ms(4));
    worker.on(Event::RunEnded(task(2)), t0 + ms(5));
    assert_eq!(
        worker.on(Event::RunEnded(task(3)), t0 + ms(6)).next,
        Next::Stop
    );
    assert!(worker.stopped());
}

#[test]
fn runs_that_outlast_the_grace_are_dropped() {
    let t0 = Instant::now();
    let mut worker = running(4, 1, t0);
    worker.on(Event::StopAsked, t0);
    assert_eq!(
        worker.on(Event::TimerFired, t0 + STOP_GRACE).next,
        Next::Stop
    );
}

#[test]
fn a_failed_claim_gives_its_slots_back() {
    let t0 = Instant::now();
    let mut worker = WorkerState::new(limits(4));
    worker.on(Event::Started, t0);
    worker.on(Event::Reaped, t0);
    assert_eq!(worker.on(Event::ClaimFailed, t0).next, Next::ReadNextDue);
    assert_eq!(worker.free(), 4);
}

// The invariants, over random histories.

/// What happens next while the worker waits.
#[derive(Clone, Debug)]
enum Happening {
    /// The store says work may be ready, after this many ms.
    Woken(u64),
    /// Nothing happens: the wait runs out.
    Timeout,
    /// Run number `.0` (modulo those running) ends; its slot goes to the
    /// settler when `.1`, else back to the worker.
    RunEnds(usize, bool),
    /// The settler frees the slots it holds.
    SettlerFrees,
    /// The settler claims a task in a slot it holds.
    SettlerHandsOver,
    /// The store loses this held lease (an abort) at the next check.
    LeaseLost(usize),
    /// Stop.
    Stop,
}

fn happening() -> impl Strategy<Value = Happening> {
    prop_oneof![
        3 => (0..400u64).prop_map(Happening::Woken),
        3 => Just(Happening::Timeout),
        4 => (any::<usize>(), any::<bool>()).prop_map(|(i, s)| Happening::RunEnds(i, s)),
        1 => Just(Happening::SettlerFrees),
        2 => Just(Happening::SettlerHandsOver),
        1 => any::<usize>().prop_map(Happening::LeaseLost),
        1 => Just(Happening::Stop),
    ]
}

/// The store and the runtime around a worker, and what they saw it do.
struct World {
    worker: WorkerState,
    concurrency: usize,
    now: Instant,
    next_task: u128,
    /// Tasks ready to claim.
    ready: usize,
    /// Runs going, and whether each was told to stop.
    runs: BTreeMap<TaskId, Option<RunSignal>>,
    /// When each lease the store grants this worker runs out.
    leases: BTreeMap<TaskId, Instant>,
    /// Leases the store will report lost.
    aborted: BTreeSet<TaskId>,
    /// Slots the settler holds.
    settler_slots: usize,
    /// Slots taken in the world: runs, the settler's, a claim's.
    slots: usize,
    stop_asked: bool,
    /// Every task claimed or handed over, and every task ever started.
    claimed: BTreeSet<TaskId>,
    started: BTreeSet<TaskId>,
}

impl World {
    fn new(concurrency: usize, ready: usize) -> Self {
        Self {
            worker: WorkerState::new(limits(concurrency)),
            concurrency,
            now: Instant::now(),
            next_task: 1,
            ready,
            runs: BTreeMap::new(),
            leases: BTreeMap::new(),
            aborted: BTreeSet::new(),
            settler_slots: 0,
            slots: 0,
            stop_asked: false,
            claimed: BTreeSet::new(),
            started: BTreeSet::new(),
        }
    }

    fn new_lease(&mut self) -> Lease {
        let lease = lease(self.next_task);
        self.next_task += 1;
        self.claimed.insert(lease.task);
        self.leases.insert(lease.task, self.now + LEASE);
        lease
    }

    /// Feeds `event`, performs the orders, checks the invariants; what the
    /// worker asks next.
    fn feed(&mut self, event: Event) -> Result<Next, TestCaseError> {
        let claimed: Vec<TaskId> = match &event {
            Event::Claimed(leases) => leases.iter().map(|l| l.task).collect(),
            Event::HandedOver(lease) => vec![lease.task],
            _ => Vec::new(),
        };
        let actions = self.worker.on(event, self.now);
        let mut started = Vec::new();
        for order in actions.orders {
            match order {
                Order::Start { lease, signal } => {
                    prop_assert!(self.started.insert(lease.task), "a task was started twice");
                    prop_assert!(self.claimed.contains(&lease.task));
                    if self.stop_asked {
                        prop_assert_eq!(signal, RunSignal::WorkerStopping);
                    }
                    let told = (signal != RunSignal::Run).then_some(signal);
                    self.runs.insert(lease.task, told);
                    started.push(lease.task);
                }
                Order::Signal { task, signal } => {
                    if let Some(told) = self.runs.get_mut(&task) {
                        *told = Some(signal);
                    }
                }
            }
        }
        // Every task claimed is run (or, once stopping, given back at once).
        prop_assert_eq!(started, claimed, "a claimed task was not started");
        prop_assert!(self.slots <= self.concurrency, "more slots than allowed");
        // A lease the worker holds is renewed before it runs out.
        for (task, signal) in &self.runs {
            if signal.is_none() {
                let until = self.leases.get(task).copied();
                prop_assert!(
                    until.is_some_and(|until| until > self.now),
                    "a held lease expired before it was renewed"
                );
            }
        }

        if self.stop_asked {
            prop_assert!(
                !matches!(actions.next, Next::Claim(_)),
                "claimed after stop"
            );
        }
        Ok(actions.next)
    }

    /// The world answers a request at once, a few ms later.
    fn answer(&mut self, next: &Next, io_ms: u64) -> Option<Event> {
        self.now += ms(io_ms);
        Some(match next {
            Next::Reap => Event::Reaped,
            Next::Renew(leases) | Next::Check(leases) => {
                let mut lost = Vec::new();
                for l in leases {
                    if self.aborted.remove(&l.task) {
                        self.leases.remove(&l.task);
                        lost.push(l.task);
                    } else if matches!(next, Next::Renew(_)) {
                        self.leases.insert(l.task, self.now + LEASE);
                    }
                }
                if matches!(next, Next::Renew(_)) {
                    Event::Renewed { lost }
                } else {
                    Event::Checked { lost }
                }
            }
            Next::Claim(n) => {
                self.slots += n;
                let got = (*n).min(self.ready);
                self.ready -= got;
                self.slots -= n - got;
                Event::Claimed((0..got).map(|_| self.new_lease()).collect())
            }
            Next::ReadNextDue => Event::NextDue(None),
            Next::Wait { .. } | Next::Drain { .. } | Next::Stop => return None,
        })
    }

    /// What happens while the worker waits until `until`.
    fn happen(&mut self, happening: &Happening, until: Instant) -> Vec<Event> {
        let running: Vec<TaskId> = self.runs.keys().copied().collect();
        match happening {
            Happening::Woken(after) if !self.stop_asked => {
                self.now = until.min(self.now + ms(*after));
                self.ready += 1;
                vec![Event::Woken]
            }
            Happening::RunEnds(i, to_settler) if !running.is_empty() => {
                let task = running[i % running.len()];
                self.runs.remove(&task);
                self.leases.remove(&task);
                self.now += ms(1);
                if *to_settler {
                    self.settler_slots += 1;
                    vec![Event::RunEnded(task)]
                } else {
                    self.slots -= 1;
                    vec![Event::SlotsFreed(1), Event::RunEnded(task)]
                }
            }
            Happening::SettlerFrees if self.settler_slots > 0 => {
                let n = std::mem::take(&mut self.settler_slots);
                self.slots -= n;
                vec![Event::SlotsFreed(n)]
            }
            Happening::SettlerHandsOver if self.settler_slots > 0 => {
                self.settler_slots -= 1;
                let lease = self.new_lease();
                vec![Event::HandedOver(lease)]
            }
            Happening::LeaseLost(i) if !running.is_empty() => {
                self.aborted.insert(running[i % running.len()]);
                Vec::new()
            }
            Happening::Stop if !self.stop_asked => {
                self.stop_asked = true;
                vec![Event::StopAsked]
            }
            _ => {
                self.now = until;
                vec![Event::TimerFired]
            }
        }
    }

    /// Runs the history, then stops the worker and ends its runs.
    fn live(&mut self, history: &[Happening], io_ms: u64) -> Result<(), TestCaseError> {
        let mut next = self.feed(Event::Started)?;
        let mut history = history.iter();
        let mut steps = 0;
        loop {
            steps += 1;
            prop_assert!(steps < 10_000, "the worker never settled");
            if let Some(answer) = self.answer(&next, io_ms) {
                next = self.feed(answer)?;
                continue;
            }
            let events = match &next {
                Next::Stop => break,
                Next::Wait { until, .. } => match history.next() {
                    Some(happening) => self.happen(happening, *until),
                    None => self.happen(&Happening::Stop, *until),
                },
                Next::Drain { until } => match self.runs.keys().next().copied() {
                    // Runs told to stop end; the last one may outlast the grace.
                    Some(_) if steps % 7 == 0 => {
                        self.now = *until;
                        vec![Event::TimerFired]
                    }
                    Some(_) => self.happen(&Happening::RunEnds(0, steps % 2 == 0), *until),
                    None => {
                        self.now = *until;
                        vec![Event::TimerFired]
                    }
                },
                _ => unreachable!("answered above"),
            };
            for event in events {
                next = self.feed(event)?;
            }
        }
        // Every task claimed was run to its end, given back, or lost.
        for (task, told) in &self.runs {
            prop_assert!(
                told.is_some(),
                "task {task:?} was left running without a word"
            );
        }
        prop_assert!(self.claimed.iter().all(|t| self.started.contains(t)));
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_history_keeps_the_worker_s_invariants(
        concurrency in 1usize..6,
        ready in 0usize..12,
        io_ms in 0u64..40,
        history in prop::collection::vec(happening(), 0..120),
    ) {
        World::new(concurrency, ready).live(&history, io_ms)?;
    }
}
