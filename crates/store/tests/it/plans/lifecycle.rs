//! A plan's life: its stored graph, the cascade of a failure, abort, delete,
//! and what a person changes meanwhile.

use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::log::{EventFilter, EventRepo as _};
use agentry_domain::planning::{PlanQuery, PlanRepo as _, PlanStatus, WorkQueue as _};
use agentry_domain::tracker::{TaskRepo as _, TaskStatus};
use agentry_store::Store;

use super::{claim, complete, fail, names, plan_status, planned, submit};
use crate::helpers::{contract, project};

contract!(
    a_plan_is_stored_with_its_graph_and_numbered_tasks,
    a_task_that_fails_for_good_skips_what_depends_on_it,
    aborting_cancels_open_tasks_and_fences_out_the_running_one,
    deleting_a_plan_removes_its_tasks_and_their_events,
    a_settlement_keeps_what_a_person_changed_meanwhile,
    a_task_a_person_took_up_is_left_alone_by_a_failure_upstream,
);

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
    assert!(fail(&store, a).await);
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
    assert!(fail(&store, &a).await, "the failure settles");
    let tasks = store.plan_tasks(plan.plan.id).await.unwrap();
    let statuses: Vec<TaskStatus> = tasks.iter().map(|t| t.record().status).collect();
    assert_eq!(
        statuses,
        [TaskStatus::Failed, TaskStatus::Backlog, TaskStatus::Skipped]
    );
    assert_eq!(plan_status(&store, &plan).await, PlanStatus::InProgress);
}
