//! The worker's rules one by one: tables of events and the actions they
//! give. Its invariants over random histories are in `histories`.

use std::time::{Duration, Instant};

use agentry_domain::id::TaskId;

use super::*;

mod histories;

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
