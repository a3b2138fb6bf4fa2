//! The plans' storage contract: a plan's graph, the work queue's claims,
//! leases and fences, settlements with their cascades, the derived plan
//! status, abort and delete.

use std::collections::HashSet;
use std::sync::Arc;

use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::log::{EventFilter, EventRepo as _};
use agentry_domain::planning::{
    Claim, NewPlan, PlanDraft, PlanQuery, PlanRepo as _, PlanStatus, PlannedTask, Settlement,
    WorkQueue as _,
};
use agentry_domain::tracker::{Task, TaskRepo as _, TaskResult, TaskStatus};
use agentry_domain::workspace::Project;
use agentry_store::Store;
use chrono::{DateTime, TimeDelta, Utc};

use crate::helpers::{contract, project};

contract!(
    a_plan_is_stored_with_its_graph_and_numbered_tasks,
    ready_tasks_are_claimed_in_dependency_order_and_the_plan_status_follows,
    a_settlement_needs_the_current_fence_and_a_live_lease,
    a_task_that_fails_for_good_skips_what_depends_on_it,
    a_task_that_may_not_run_in_parallel_runs_alone,
    concurrent_claims_never_hand_out_a_task_twice,
    a_retry_waits_for_its_backoff,
    aborting_cancels_open_tasks_and_fences_out_the_running_one,
    deleting_a_plan_removes_its_tasks_and_their_events,
    a_settlement_keeps_what_a_person_changed_meanwhile,
    a_task_a_person_took_up_is_left_alone_by_a_failure_upstream,
);

fn planned(id: &str, deps: &[&str]) -> PlannedTask {
    PlannedTask {
        id: id.into(),
        title: format!("task {id}"),
        agent_type: Some("Worker".into()),
        depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        max_retries: Some(0),
        ..PlannedTask::default()
    }
}

/// Stores a plan of `tasks` in `project`, with its creation events.
async fn submit(store: &Store, project: &Project, tasks: Vec<PlannedTask>) -> (NewPlan, Vec<Task>) {
    let now = utc_now();
    let (plan, kinds) = PlanDraft {
        goal: "reach the goal".into(),
        thread_id: None,
        tasks,
    }
    .build(project.id, None, now)
    .unwrap();
    let mut events = Vec::new();
    for (task, kinds) in plan.tasks.iter().zip(kinds) {
        for kind in kinds {
            events.push(Event::in_project(project.id, None, Some(task.id()), kind, now).unwrap());
        }
    }
    let stored = store.create_plan(&plan, &events).await.unwrap();
    (plan, stored)
}

fn names(claims: &[Claim]) -> Vec<String> {
    let mut names: Vec<String> = claims
        .iter()
        .map(|c| c.task.execution().unwrap().client_id.clone())
        .collect();
    names.sort();
    names
}

fn lease(now: DateTime<Utc>) -> DateTime<Utc> {
    now + TimeDelta::seconds(30)
}

async fn claim(store: &Store, limit: usize) -> Vec<Claim> {
    let now = utc_now();
    store.claim("w1", limit, now, lease(now)).await.unwrap()
}

/// Settles the claim as done; whether it was written.
async fn complete(store: &Store, claim: &Claim) -> bool {
    let now = utc_now();
    let mut task = claim.task.clone();
    let changes = task.complete(TaskResult::default(), now).unwrap();
    let events = changes
        .events
        .into_iter()
        .map(|k| Event::in_project(task.project_id(), None, Some(task.id()), k, now).unwrap())
        .collect();
    let settlement = Settlement {
        task,
        fence: claim.fence,
        events,
        retry_at: None,
        expired: false,
    };
    store.settle(&[settlement], now).await.unwrap()[0]
}

async fn plan_status(store: &Store, plan: &NewPlan) -> PlanStatus {
    store.get_plan(plan.plan.id).await.unwrap().unwrap().status
}

async fn a_plan_is_stored_with_its_graph_and_numbered_tasks(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    // A task outside the plan first: the plan's tasks number on after it.
    let (loose, _) = crate::helpers::new_task(&project, "loose");
    store.create_task(&loose, &[]).await.unwrap();
    let (plan, stored) = submit(
        &store,
        &project,
        vec![
            planned("d", &["b", "c"]),
            planned("b", &["a"]),
            planned("c", &["a"]),
            planned("a", &[]),
        ],
    )
    .await;
    let read = store.plan_tasks(plan.plan.id).await.unwrap();
    assert_eq!(read, stored);
    let numbers: Vec<i64> = read.iter().map(|t| t.record().number).collect();
    assert_eq!(numbers, [2, 3, 4, 5]);
    assert_eq!(read[0].execution().unwrap().client_id, "a");
    let d = read[3].execution().unwrap();
    let mut expected = vec![read[1].id(), read[2].id()];
    expected.sort();
    assert_eq!(d.depends_on, expected);
    // A plan task is a tracker task.
    assert_eq!(
        store.get_task(read[3].id()).await.unwrap().as_ref(),
        Some(&read[3])
    );
    let stored_plan = store.get_plan(plan.plan.id).await.unwrap().unwrap();
    assert_eq!(stored_plan, plan.plan);
    let listed = store
        .list_plans(&PlanQuery {
            project_id: project.id,
            status: Some(PlanStatus::Pending),
            before: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(listed, vec![plan.plan.clone()]);
    let none = store
        .list_plans(&PlanQuery {
            project_id: project.id,
            status: Some(PlanStatus::Done),
            before: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn ready_tasks_are_claimed_in_dependency_order_and_the_plan_status_follows(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let (plan, _) = submit(
        &store,
        &project,
        vec![
            planned("a", &[]),
            planned("b", &["a"]),
            planned("c", &["a"]),
            planned("d", &["b", "c"]),
        ],
    )
    .await;
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

async fn a_task_that_fails_for_good_skips_what_depends_on_it(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let (plan, _) = submit(
        &store,
        &project,
        vec![
            planned("a", &[]),
            planned("b", &["a"]),
            planned("c", &["b"]),
            planned("x", &[]),
        ],
    )
    .await;
    let claims = claim(&store, 10).await;
    assert_eq!(names(&claims), ["a", "x"]);
    let a = claims
        .iter()
        .find(|c| c.task.execution().unwrap().client_id == "a")
        .unwrap();
    let now = utc_now();
    let mut task = a.task.clone();
    let (changes, _) = task.fail_attempt("broken", now).unwrap();
    let events = changes
        .events
        .into_iter()
        .map(|k| Event::in_project(project.id, None, Some(task.id()), k, now).unwrap())
        .collect();
    let written = store
        .settle(
            &[Settlement {
                task,
                fence: a.fence,
                events,
                retry_at: None,
                expired: false,
            }],
            now,
        )
        .await
        .unwrap();
    assert_eq!(written, [true]);
    let tasks = store.plan_tasks(plan.plan.id).await.unwrap();
    let status = |name: &str| {
        tasks
            .iter()
            .find(|t| t.execution().unwrap().client_id == name)
            .unwrap()
            .record()
            .status
    };
    assert_eq!(status("a"), TaskStatus::Failed);
    assert_eq!(status("b"), TaskStatus::Skipped);
    assert_eq!(status("c"), TaskStatus::Skipped);
    assert_eq!(status("x"), TaskStatus::InProgress);
    // Still running elsewhere: not over yet.
    assert_eq!(plan_status(&store, &plan).await, PlanStatus::InProgress);
    let x = claims
        .iter()
        .find(|c| c.task.execution().unwrap().client_id == "x")
        .unwrap();
    assert!(complete(&store, x).await);
    assert_eq!(plan_status(&store, &plan).await, PlanStatus::Failed);
    let skipped = store
        .list_events(&EventFilter {
            task_id: Some(
                tasks
                    .iter()
                    .find(|t| t.execution().unwrap().client_id == "c")
                    .unwrap()
                    .id(),
            ),
            types: vec!["task_status".into()],
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(skipped[0].kind.payload()["to"], "skipped");
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

async fn aborting_cancels_open_tasks_and_fences_out_the_running_one(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let (plan, _) = submit(
        &store,
        &project,
        vec![planned("a", &[]), planned("b", &["a"])],
    )
    .await;
    let running = claim(&store, 1).await.remove(0);
    let now = utc_now();
    let mut tasks = store.plan_tasks(plan.plan.id).await.unwrap();
    let mut changed = Vec::new();
    let mut events = Vec::new();
    for task in &mut tasks {
        let version = task.version();
        let changes = task.cancel_open(now);
        for k in changes.events {
            events.push(Event::in_project(project.id, None, Some(task.id()), k, now).unwrap());
        }
        changed.push((task.clone(), version));
    }
    store
        .update_plan_tasks(plan.plan.id, &changed, true, &events)
        .await
        .unwrap();
    assert_eq!(plan_status(&store, &plan).await, PlanStatus::Aborted);
    assert_eq!(
        store
            .still_held(&[(running.task.id(), running.fence)], utc_now())
            .await
            .unwrap(),
        [running.task.id()]
    );
    assert!(
        !complete(&store, &running).await,
        "the aborted run cannot settle"
    );
    for task in store.plan_tasks(plan.plan.id).await.unwrap() {
        assert_eq!(task.record().status, TaskStatus::Cancelled);
    }
    // A stale version writes nothing.
    let err = store
        .update_plan_tasks(plan.plan.id, &changed, false, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, agentry_domain::Error::StaleVersion { .. }),
        "{err:?}"
    );
}

async fn deleting_a_plan_removes_its_tasks_and_their_events(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let (plan, stored) = submit(
        &store,
        &project,
        vec![planned("a", &[]), planned("b", &["a"])],
    )
    .await;
    let claimed = claim(&store, 1).await.remove(0);
    assert!(complete(&store, &claimed).await);
    store.delete_plan(plan.plan.id, &[]).await.unwrap();
    assert_eq!(store.get_plan(plan.plan.id).await.unwrap(), None);
    for task in stored {
        assert_eq!(store.get_task(task.id()).await.unwrap(), None);
        let left = store
            .list_events(&EventFilter {
                task_id: Some(task.id()),
                limit: 10,
                ..EventFilter::default()
            })
            .await
            .unwrap();
        assert!(left.is_empty());
    }
    let err = store.delete_plan(plan.plan.id, &[]).await.unwrap_err();
    assert!(matches!(err, agentry_domain::Error::NotFound { .. }));
}

async fn a_settlement_keeps_what_a_person_changed_meanwhile(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    submit(&store, &project, vec![planned("a", &[])]).await;
    let running = claim(&store, 1).await.remove(0);
    let mut edited = store.get_task(running.task.id()).await.unwrap().unwrap();
    let version = edited.version();
    let changes = edited
        .apply(
            agentry_domain::tracker::TaskPatch {
                title: Some("Renamed by a person".into()),
                ..Default::default()
            },
            utc_now(),
        )
        .unwrap();
    store
        .update_task(&edited, version, &changes.rows, &[])
        .await
        .unwrap();
    assert!(complete(&store, &running).await);
    let stored = store.get_task(running.task.id()).await.unwrap().unwrap();
    assert_eq!(stored.record().title, "Renamed by a person");
    assert_eq!(stored.record().status, TaskStatus::Done);
    assert_eq!(
        stored.version(),
        version + 2,
        "each write moved the version on"
    );
}

async fn a_task_a_person_took_up_is_left_alone_by_a_failure_upstream(store: Store) {
    let (project, _, _) = project(&store, "PL").await;
    let (plan, stored) = submit(
        &store,
        &project,
        vec![
            planned("a", &[]),
            planned("parked", &["a"]),
            planned("b", &["a"]),
        ],
    )
    .await;
    // A person parks one dependent in the backlog (no move to `skipped` from there).
    let mut parked = stored[1].clone();
    let version = parked.version();
    let changes = parked
        .apply(
            agentry_domain::tracker::TaskPatch {
                status: Some(TaskStatus::Backlog),
                ..Default::default()
            },
            utc_now(),
        )
        .unwrap();
    store
        .update_task(&parked, version, &changes.rows, &[])
        .await
        .unwrap();
    let a = claim(&store, 10).await.remove(0);
    let now = utc_now();
    let mut task = a.task.clone();
    let _ = task.fail_attempt("broken", now).unwrap();
    let settled = store
        .settle(
            &[Settlement {
                task,
                fence: a.fence,
                events: Vec::new(),
                retry_at: None,
                expired: false,
            }],
            now,
        )
        .await
        .unwrap();
    assert_eq!(settled, [true], "the failure settles");
    let tasks = store.plan_tasks(plan.plan.id).await.unwrap();
    let statuses: Vec<TaskStatus> = tasks.iter().map(|t| t.record().status).collect();
    assert_eq!(
        statuses,
        [TaskStatus::Failed, TaskStatus::Backlog, TaskStatus::Skipped]
    );
    assert_eq!(plan_status(&store, &plan).await, PlanStatus::InProgress);
}
