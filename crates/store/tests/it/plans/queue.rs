//! The work queue: claims in dependency order, fences and leases, tasks that
//! run alone, concurrent claimers, backoff.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use agentry_domain::clock::utc_now;
use agentry_domain::log::{EventFilter, EventRepo as _};
use agentry_domain::planning::{ClaimRequest, PlanStatus, PlannedTask, Settlement, WorkQueue as _};
use agentry_domain::tracker::{TaskRepo as _, TaskResult, TaskStatus};
use agentry_store::Store;
use chrono::TimeDelta;

use super::{claim, complete, completed, diamond, lease, names, plan_status, planned, submit};
use crate::helpers::{contract, project};

contract!(
    ready_tasks_are_claimed_in_dependency_order_and_the_plan_status_follows,
    a_settlement_needs_the_current_fence_and_a_live_lease,
    a_task_that_may_not_run_in_parallel_runs_alone,
    concurrent_claims_never_hand_out_a_task_twice,
    a_retry_waits_for_its_backoff,
    a_settlement_claims_what_it_made_ready_for_its_worker,
    a_settlement_that_claims_nothing_wakes_a_waiting_worker,
    a_heartbeat_renews_every_lease_still_held_and_names_the_rest,
);

async fn ready_tasks_are_claimed_in_dependency_order_and_the_plan_status_follows(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let (plan, _) = submit(&store, &project, diamond()).await;
    assert_eq!(plan_status(&store, &plan).await, PlanStatus::Pending);
    let first = claim(&store, 10).await;
    assert_eq!(names(&first), ["a"]);
    assert_eq!(first[0].task.record().status, TaskStatus::InProgress);
    assert_eq!(plan_status(&store, &plan).await, PlanStatus::InProgress);
    assert!(claim(&store, 10).await.is_empty(), "nothing else is ready");
    assert!(complete(&store, &first[0]).await);
    let second = claim(&store, 10).await;
    assert_eq!(names(&second), ["b", "c"]);
    assert!(complete(&store, &second[0]).await);
    assert!(claim(&store, 10).await.is_empty(), "d waits for both");
    assert!(complete(&store, &second[1]).await);
    let third = claim(&store, 10).await;
    assert_eq!(names(&third), ["d"]);
    assert!(complete(&store, &third[0]).await);
    assert_eq!(plan_status(&store, &plan).await, PlanStatus::Done);
    let statuses: Vec<String> = store
        .list_events(&EventFilter {
            project_id: Some(project.id),
            types: vec!["plan_status".into()],
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind.payload()["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["done", "in_progress"]);
}

async fn a_settlement_needs_the_current_fence_and_a_live_lease(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    submit(&store, &project, vec![planned("a", &[]), planned("b", &[])]).await;
    let claims = claim(&store, 1).await;
    let held = &claims[0];
    let mut stale = held.clone();
    stale.fence -= 1;
    assert!(
        !complete(&store, &stale).await,
        "an older fence settles nothing"
    );
    // A lease that is still live is not the reaper's to settle.
    let now = utc_now();
    let mut reaped = held.task.clone();
    let _ = reaped.fail_attempt("lost", now).unwrap();
    let expired = Settlement {
        task: reaped.clone(),
        fence: held.fence,
        events: Vec::new(),
        retry_at: None,
        expired: true,
    };
    assert_eq!(
        store
            .settle(std::slice::from_ref(&expired), now)
            .await
            .unwrap(),
        [false]
    );
    assert!(
        store
            .still_held(&[(held.task.id(), held.fence)], now)
            .await
            .unwrap()
            .is_empty()
    );
    // Once the lease ran out, the holder can no longer settle; the reaper can.
    let later = held.lease_until + TimeDelta::seconds(1);
    assert_eq!(
        store
            .still_held(&[(held.task.id(), held.fence)], later)
            .await
            .unwrap(),
        [held.task.id()]
    );
    assert_eq!(
        store
            .heartbeat(&[(held.task.id(), held.fence)], later, lease(later))
            .await
            .unwrap(),
        [held.task.id()],
        "an expired lease is not renewed"
    );
    assert_eq!(store.expired(later, 10).await.unwrap().len(), 1);
    let mut task = held.task.clone();
    let _ = task.complete(TaskResult::default(), later).unwrap();
    let late = Settlement {
        task,
        fence: held.fence,
        events: Vec::new(),
        retry_at: None,
        expired: false,
    };
    assert_eq!(store.settle(&[late], later).await.unwrap(), [false]);
    assert_eq!(store.settle(&[expired], later).await.unwrap(), [true]);
    let stored = store.get_task(held.task.id()).await.unwrap().unwrap();
    assert_eq!(stored.record().status, TaskStatus::Failed);
}

async fn a_task_that_may_not_run_in_parallel_runs_alone(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let mut alone = planned("alone", &[]);
    alone.can_parallel = false;
    submit(
        &store,
        &project,
        vec![alone, planned("p1", &[]), planned("p2", &[])],
    )
    .await;
    let mut seen = Vec::new();
    loop {
        let claims = claim(&store, 10).await;
        if claims.is_empty() {
            break;
        }
        let batch = names(&claims);
        assert!(
            !batch.contains(&"alone".to_owned()) || batch.len() == 1,
            "ran beside others: {batch:?}"
        );
        assert!(
            claim(&store, 10).await.is_empty(),
            "nothing joins a running batch here"
        );
        for c in &claims {
            assert!(complete(&store, c).await);
        }
        seen.extend(batch);
    }
    seen.sort();
    assert_eq!(seen, ["alone", "p1", "p2"]);
}

async fn concurrent_claims_never_hand_out_a_task_twice(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let tasks: Vec<PlannedTask> = (0..60).map(|i| planned(&format!("t{i}"), &[])).collect();
    submit(&store, &project, tasks).await;
    let store = Arc::new(store);
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let now = utc_now();
                    let claims = store
                        .claim(&format!("w{w}"), 4, now, lease(now))
                        .await
                        .unwrap();
                    if claims.is_empty() {
                        return mine;
                    }
                    for c in &claims {
                        assert!(complete(&store, c).await);
                    }
                    mine.extend(claims.into_iter().map(|c| c.task.id()));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (60, 60));
}

async fn a_retry_waits_for_its_backoff(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let mut retried = planned("a", &[]);
    retried.max_retries = Some(1);
    submit(&store, &project, vec![retried]).await;
    let claims = claim(&store, 1).await;
    let now = utc_now();
    let mut task = claims[0].task.clone();
    let _ = task.fail_attempt("flaky", now).unwrap();
    assert_eq!(task.record().status, TaskStatus::Retrying);
    let due = now + TimeDelta::hours(1);
    let settlement = Settlement {
        task,
        fence: claims[0].fence,
        events: Vec::new(),
        retry_at: Some(due),
        expired: false,
    };
    assert_eq!(store.settle(&[settlement], now).await.unwrap(), [true]);
    assert!(claim(&store, 1).await.is_empty(), "not before its backoff");
    let read = store.next_due().await.unwrap().unwrap();
    assert!((read - due).num_milliseconds().abs() < 1, "{read} != {due}");
    let later = due + TimeDelta::seconds(1);
    let again = store.claim("w1", 1, later, lease(later)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].fence,
        claims[0].fence + 1,
        "a new claim, a new fence"
    );
    assert_eq!(again[0].task.execution().unwrap().retry_count, 1);
}

async fn a_settlement_claims_what_it_made_ready_for_its_worker(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let (plan, _) = submit(&store, &project, diamond()).await;
    let first = claim(&store, 1).await;
    assert_eq!(names(&first), ["a"]);
    let (other, _) = submit(&store, &project, vec![planned("x", &[])]).await;
    let now = utc_now();
    let then = |limit| ClaimRequest {
        worker: "w2".into(),
        limit,
        lease_until: lease(now),
    };
    let (written, next) = store
        .settle_and_claim(&[completed(&first[0], now)], now, &then(1))
        .await
        .unwrap();
    assert_eq!(written, [true]);
    assert_eq!(next.len(), 1, "one of the two made ready, as asked");
    assert_eq!(next[0].task.record().status, TaskStatus::InProgress);
    let made_ready = ["b", "c"].map(String::from);
    assert!(made_ready.contains(&names(&next)[0]));
    // The other ready task of the plan; never the other plan's.
    let (written, sibling) = store
        .settle_and_claim(&[completed(&next[0], now)], now, &then(5))
        .await
        .unwrap();
    assert_eq!(written, [true]);
    assert_eq!(sibling.len(), 1, "{:?}", names(&sibling));
    assert_ne!(names(&sibling), names(&next));
    assert!(made_ready.contains(&names(&sibling)[0]));
    let (_, last) = store
        .settle_and_claim(&[completed(&sibling[0], now)], now, &then(5))
        .await
        .unwrap();
    assert_eq!(names(&last), ["d"]);
    assert!(complete(&store, &last[0]).await);
    assert_eq!(plan_status(&store, &plan).await, PlanStatus::Done);
    assert_eq!(plan_status(&store, &other).await, PlanStatus::Pending);
    let x = claim(&store, 5).await;
    assert_eq!(names(&x), ["x"], "nothing was claimed twice");
}

async fn a_settlement_that_claims_nothing_wakes_a_waiting_worker(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    submit(
        &store,
        &project,
        vec![planned("a", &[]), planned("b", &["a"])],
    )
    .await;
    let first = claim(&store, 1).await;
    assert_eq!(names(&first), ["a"]);
    // The submission's wake-up, and the first `LISTEN`'s, are spent.
    for _ in 0..3 {
        store.wait_for_work(Duration::from_millis(200)).await;
    }
    let waiter = store.clone();
    let waiting = tokio::spawn(async move {
        let asked = std::time::Instant::now();
        waiter.wait_for_work(Duration::from_secs(120)).await;
        asked.elapsed()
    });
    let now = utc_now();
    assert_eq!(
        store
            .settle(&[completed(&first[0], now)], now)
            .await
            .unwrap(),
        [true]
    );
    // Woken by the settlement, not by the end of its wait.
    let waited = tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .expect("the waiting worker was woken")
        .unwrap();
    assert!(waited < Duration::from_secs(60), "{waited:?}");
    assert_eq!(names(&claim(&store, 1).await), ["b"]);
}

async fn a_heartbeat_renews_every_lease_still_held_and_names_the_rest(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let tasks = vec![planned("a", &[]), planned("b", &[]), planned("c", &[])];
    submit(&store, &project, tasks).await;
    let held = claim(&store, 3).await;
    assert_eq!(held.len(), 3);
    let leases: Vec<_> = held.iter().map(|c| (c.task.id(), c.fence)).collect();
    // The second with a fence it no longer holds.
    let asked = [leases[0], (leases[1].0, leases[1].1 + 1), leases[2]];
    let now = utc_now();
    let until = held[0].lease_until + TimeDelta::minutes(10);
    let lost = store.heartbeat(&asked, now, until).await.unwrap();
    assert_eq!(lost, [leases[1].0]);
    // Past the first leases, before the renewed ones end.
    let later = held[0].lease_until + TimeDelta::minutes(1);
    let mut gone = store.still_held(&leases, later).await.unwrap();
    gone.sort_unstable();
    assert_eq!(gone, [leases[1].0]);
}
