//! The worker's invariants over random histories (proptest): a simulated
//! store and runtime answer every request and pick what happens next.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use agentry_domain::id::TaskId;
use proptest::prelude::*;

use super::super::*;
use super::{LEASE, lease, limits, ms};

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
