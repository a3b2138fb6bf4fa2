//! The tasks' storage contract: numbering, conditional writes, labels and links,
//! listings.

use std::sync::Arc;

use agentry_domain::Error;
use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::log::EventFilter;
use agentry_domain::log::EventRepo as _;
use agentry_domain::tracker::{Label, LinkKind, TaskDraft, TaskLink, TaskPatch, TaskStatus};
use agentry_domain::tracker::{LabelRepo as _, TaskLinkRepo as _};
use agentry_domain::tracker::{TaskChange, TaskQuery, TaskRepo as _};
use agentry_domain::tracker::{TaskLabel, TrackerEvent};
use agentry_store::Store;

use crate::helpers::{contract, drafted_task, new_task, project};

contract!(
    tasks_are_numbered_per_project_with_their_event,
    concurrent_creations_get_distinct_consecutive_numbers,
    a_stale_update_writes_neither_the_change_nor_its_events,
    labels_and_links_change_with_the_task_version,
    tasks_are_listed_by_status_assignee_and_label,
    a_tasks_project_is_known_only_for_a_stored_task,
);

async fn tasks_are_numbered_per_project_with_their_event(store: Store) {
    let (alpha, member, _) = project(&store, "AL").await;
    let (beta, _, _) = project(&store, "BE").await;
    for expected in 1..=3 {
        let (task, mut kinds) = new_task(&alpha, "alpha work");
        let kind = kinds.remove(0);
        let event =
            Event::in_project(alpha.id, Some(member.id), Some(task.id()), kind, utc_now()).unwrap();
        let stored = store
            .create_task(&task, std::slice::from_ref(&event))
            .await
            .unwrap();
        assert_eq!((stored.record().number, stored.version()), (expected, 1));
        assert_eq!(
            store.get_task(task.id()).await.unwrap(),
            Some(stored.clone())
        );
        assert_eq!(store.get_event(event.id).await.unwrap(), Some(event));
        assert_eq!(
            store.get_task_by_number(alpha.id, expected).await.unwrap(),
            Some(stored)
        );
    }
    let (task, _) = new_task(&beta, "beta work");
    assert_eq!(
        store.create_task(&task, &[]).await.unwrap().record().number,
        1
    );
}

async fn a_tasks_project_is_known_only_for_a_stored_task(store: Store) {
    let (alpha, _, _) = project(&store, "AL").await;
    let (beta, _, _) = project(&store, "BE").await;
    let (unsaved, _) = new_task(&alpha, "not yet stored");
    // Asked before it exists, then after: a miss is not remembered.
    assert_eq!(store.task_project(unsaved.id()).await.unwrap(), None);
    store.create_task(&unsaved, &[]).await.unwrap();
    let (other, _) = new_task(&beta, "beta work");
    store.create_task(&other, &[]).await.unwrap();
    for _ in 0..2 {
        assert_eq!(
            store.task_project(unsaved.id()).await.unwrap(),
            Some(alpha.id)
        );
        assert_eq!(store.task_project(other.id()).await.unwrap(), Some(beta.id));
    }
}

async fn concurrent_creations_get_distinct_consecutive_numbers(store: Store) {
    let (alpha, _, _) = project(&store, "AL").await;
    let store = Arc::new(store);
    let creations = (0..16).map(|i| {
        let store = Arc::clone(&store);
        let (task, _) = new_task(&alpha, &format!("task {i}"));
        tokio::spawn(async move { store.create_task(&task, &[]).await.unwrap().record().number })
    });
    let mut numbers = Vec::new();
    for handle in creations {
        numbers.push(handle.await.unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=16).collect::<Vec<i64>>());
}

async fn a_stale_update_writes_neither_the_change_nor_its_events(store: Store) {
    let (alpha, member, _) = project(&store, "AL").await;
    let (new, _) = new_task(&alpha, "race me");
    let original = store.create_task(&new, &[]).await.unwrap();

    let mut first = original.clone();
    let kinds = first
        .apply(
            TaskPatch {
                status: Some(TaskStatus::Pending),
                ..TaskPatch::default()
            },
            utc_now(),
        )
        .unwrap();
    let events: Vec<Event> = kinds
        .events
        .into_iter()
        .map(|k| {
            Event::in_project(alpha.id, Some(member.id), Some(first.id()), k, utc_now()).unwrap()
        })
        .collect();
    store
        .update_task(&first, original.version(), &[], &events)
        .await
        .unwrap();

    let mut second = original.clone();
    let kinds = second
        .apply(
            TaskPatch {
                title: Some("lost?".into()),
                ..TaskPatch::default()
            },
            utc_now(),
        )
        .unwrap();
    let late = Event::in_project(
        alpha.id,
        None,
        Some(second.id()),
        kinds.events[0].clone(),
        utc_now(),
    )
    .unwrap();
    let err = store
        .update_task(
            &second,
            original.version(),
            &[],
            std::slice::from_ref(&late),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::StaleVersion {
                expected: 1,
                actual: 2
            }
        ),
        "{err:?}"
    );

    assert_eq!(store.get_task(original.id()).await.unwrap(), Some(first));
    assert_eq!(store.get_event(late.id).await.unwrap(), None);
    let filter = EventFilter {
        task_id: Some(original.id()),
        limit: 10,
        ..EventFilter::default()
    };
    assert_eq!(store.list_events(&filter).await.unwrap(), events);
}

async fn labels_and_links_change_with_the_task_version(store: Store) {
    let (alpha, _, _) = project(&store, "AL").await;
    let label = Label::new(alpha.id, "Bug", None, utc_now()).unwrap();
    store.create_label(&label, &[]).await.unwrap();
    let task = store
        .create_task(&new_task(&alpha, "one").0, &[])
        .await
        .unwrap();
    let other = store
        .create_task(&new_task(&alpha, "two").0, &[])
        .await
        .unwrap();

    let mut labelled = task.clone();
    let _ = labelled.set_label(label.id, true, utc_now()).unwrap();
    let event = Event::in_project(
        alpha.id,
        None,
        Some(task.id()),
        TrackerEvent::TaskLabelAdd(TaskLabel { label: label.id }),
        utc_now(),
    )
    .unwrap();
    store
        .update_task(
            &labelled,
            task.version(),
            &[TaskChange::AddLabel(label.id)],
            &[event],
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .get_task(task.id())
            .await
            .unwrap()
            .unwrap()
            .record()
            .labels,
        [label.id]
    );

    let link = TaskLink::new(alpha.id, task.id(), other.id(), LinkKind::Blocks, utc_now()).unwrap();
    let mut linked = labelled.clone();
    let _ = linked.link(link.clone(), utc_now());
    store
        .update_task(
            &linked,
            labelled.version(),
            &[TaskChange::AddLink(link.clone())],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        store.list_links(other.id()).await.unwrap(),
        std::slice::from_ref(&link)
    );
    assert_eq!(store.get_link(link.id).await.unwrap(), Some(link.clone()));

    let duplicate =
        TaskLink::new(alpha.id, task.id(), other.id(), LinkKind::Blocks, utc_now()).unwrap();
    let mut again = linked.clone();
    let _ = again.link(duplicate.clone(), utc_now());
    let err = store
        .update_task(
            &again,
            linked.version(),
            &[TaskChange::AddLink(duplicate)],
            &[],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(
        store.get_task(task.id()).await.unwrap().unwrap().version(),
        linked.version()
    );

    store
        .update_task(
            &again,
            linked.version(),
            &[
                TaskChange::RemoveLink(link.id),
                TaskChange::RemoveLabel(label.id),
            ],
            &[],
        )
        .await
        .unwrap();
    assert!(store.list_links(task.id()).await.unwrap().is_empty());
    assert!(
        store
            .get_task(task.id())
            .await
            .unwrap()
            .unwrap()
            .record()
            .labels
            .is_empty()
    );
}

async fn tasks_are_listed_by_status_assignee_and_label(store: Store) {
    let (alpha, member, _) = project(&store, "AL").await;
    let label = Label::new(alpha.id, "ops", Some("#FF0000"), utc_now()).unwrap();
    store.create_label(&label, &[]).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut draft = TaskDraft {
            title: format!("t{i}"),
            ..TaskDraft::default()
        };
        if i % 2 == 0 {
            draft.assignee_id = Some(member.id);
            draft.labels = vec![label.id];
            draft.status = TaskStatus::Pending;
        }
        let (task, _) = drafted_task(&alpha, draft);
        ids.push(store.create_task(&task, &[]).await.unwrap().id());
    }
    let query = |q: TaskQuery| {
        let store = &store;
        async move {
            let limit = if q.limit == 0 { 50 } else { q.limit };
            store
                .list_tasks(&TaskQuery {
                    project_id: Some(alpha.id),
                    limit,
                    ..q
                })
                .await
                .unwrap()
        }
    };
    let numbers = |tasks: Vec<agentry_domain::tracker::Task>| {
        tasks.iter().map(|t| t.record().number).collect::<Vec<_>>()
    };
    assert_eq!(numbers(query(TaskQuery::default()).await), [1, 2, 3, 4, 5]);
    assert_eq!(
        numbers(
            query(TaskQuery {
                status: Some(TaskStatus::Pending),
                ..TaskQuery::default()
            })
            .await
        ),
        [1, 3, 5]
    );
    assert_eq!(
        numbers(
            query(TaskQuery {
                assignee_id: Some(member.id),
                ..TaskQuery::default()
            })
            .await
        ),
        [1, 3, 5]
    );
    assert_eq!(
        numbers(
            query(TaskQuery {
                label_id: Some(label.id),
                after_number: Some(1),
                ..TaskQuery::default()
            })
            .await
        ),
        [3, 5]
    );
    assert_eq!(
        numbers(
            query(TaskQuery {
                after_number: Some(2),
                limit: 2,
                ..TaskQuery::default()
            })
            .await
        ),
        [3, 4]
    );
}
