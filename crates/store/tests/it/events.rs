//! The event log's storage contract: appends, reads and feed pages, in order.

use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::id::EventId;
use agentry_domain::log::EventRepo as _;
use agentry_domain::log::{ChatEvent, EventFilter, TaskComment};
use agentry_domain::tracker::TaskRepo as _;
use agentry_domain::tracker::TaskStatus;
use agentry_domain::tracker::{TaskStatusChanged, TrackerEvent};
use agentry_store::{Backend, Store};
use sea_orm::{ConnectionTrait as _, TransactionTrait as _};

use crate::helpers::{chat, contract, new_task, project, types};

contract!(
    a_payload_round_trips_unchanged,
    a_feed_pages_newest_first_without_gaps_or_overlap,
    a_multi_type_feed_merges_the_newest_of_each_type,
    feeds_are_scoped_to_their_project_task_and_thread,
    a_failed_append_writes_nothing,
    appends_queued_behind_a_writer_commit_together_and_a_bad_one_fails_alone,
);

fn status(project: &agentry_domain::workspace::Project, task: agentry_domain::id::TaskId) -> Event {
    let kind = TrackerEvent::TaskStatus(TaskStatusChanged {
        from: TaskStatus::Backlog,
        to: TaskStatus::Pending,
    });
    Event::in_project(project.id, None, Some(task), kind, utc_now()).unwrap()
}

async fn a_payload_round_trips_unchanged(store: Store) {
    let (alpha, member, _) = project(&store, "AL").await;
    let task = store
        .create_task(&new_task(&alpha, "t").0, &[])
        .await
        .unwrap();
    let kind = ChatEvent::TaskComment(TaskComment {
        content: "Готово ✅ — \"quoted\" \\ back\nslash 完成".into(),
        mentions: vec![],
        thinking: Some("think".into()),
        tool_log: Some(serde_json::json!({"calls": [{"name": "grep", "ok": true, "n": 1.5}]})),
    });
    let event =
        Event::in_project(alpha.id, Some(member.id), Some(task.id()), kind, utc_now()).unwrap();
    store.append(std::slice::from_ref(&event)).await.unwrap();
    let stored = store.get_event(event.id).await.unwrap().unwrap();
    assert_eq!(stored.kind, event.kind);
    assert_eq!(
        (stored.actor_id, stored.task_id, stored.project_id),
        (event.actor_id, event.task_id, event.project_id)
    );
    assert_eq!(
        stored.created_at.timestamp_micros(),
        event.created_at.timestamp_micros()
    );
}

async fn a_feed_pages_newest_first_without_gaps_or_overlap(store: Store) {
    let (alpha, _, _) = project(&store, "AL").await;
    let written: Vec<Event> = (0..25)
        .map(|i| chat(&alpha, None, &format!("m{i}")))
        .collect();
    for chunk in written.chunks(7) {
        store.append(chunk).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let filter = EventFilter {
            project_id: Some(alpha.id),
            before,
            limit: 10,
            ..EventFilter::default()
        };
        let page = store.list_events(&filter).await.unwrap();
        if page.is_empty() {
            break;
        }
        before = page.last().map(|e| e.id);
        seen.extend(page);
    }
    let mut newest_first = written.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
}

async fn a_multi_type_feed_merges_the_newest_of_each_type(store: Store) {
    let (alpha, _, _) = project(&store, "AL").await;
    let task = store
        .create_task(&new_task(&alpha, "t").0, &[])
        .await
        .unwrap();
    let mut all = Vec::new();
    for i in 0..12 {
        let event = if i % 3 == 0 {
            status(&alpha, task.id())
        } else {
            chat(&alpha, None, &format!("c{i}"))
        };
        store.append(std::slice::from_ref(&event)).await.unwrap();
        all.push(event);
    }
    let filter = EventFilter::parse(
        Some(alpha.id),
        None,
        None,
        &types("chat_message,task_status,task_created"),
        None,
        Some(5),
    )
    .unwrap();
    let page = store.list_events(&filter).await.unwrap();
    let expected: Vec<Event> = all.iter().rev().take(5).cloned().collect();
    assert_eq!(page, expected);

    let only_status = EventFilter::parse(
        Some(alpha.id),
        None,
        None,
        &types("task_status"),
        None,
        Some(50),
    )
    .unwrap();
    assert_eq!(store.list_events(&only_status).await.unwrap().len(), 4);
}

async fn feeds_are_scoped_to_their_project_task_and_thread(store: Store) {
    let (alpha, _, _) = project(&store, "AL").await;
    let (beta, _, _) = project(&store, "BE").await;
    let task = store
        .create_task(&new_task(&alpha, "t").0, &[])
        .await
        .unwrap();
    let root = chat(&alpha, None, "root");
    let mut reply = chat(&alpha, None, "reply");
    reply.parent_id = Some(root.id);
    let on_task = status(&alpha, task.id());
    let elsewhere = chat(&beta, None, "other project");
    store
        .append(&[
            root.clone(),
            reply.clone(),
            on_task.clone(),
            elsewhere.clone(),
        ])
        .await
        .unwrap();

    let list = |filter: EventFilter| {
        let store = &store;
        async move {
            store
                .list_events(&EventFilter {
                    limit: 50,
                    ..filter
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(
        list(EventFilter {
            project_id: Some(alpha.id),
            ..EventFilter::default()
        })
        .await,
        [on_task.clone(), reply.clone(), root.clone()]
    );
    assert_eq!(
        list(EventFilter {
            task_id: Some(task.id()),
            ..EventFilter::default()
        })
        .await,
        [on_task]
    );
    assert_eq!(
        list(EventFilter {
            parent_id: Some(root.id),
            ..EventFilter::default()
        })
        .await,
        [reply]
    );
    assert_eq!(
        list(EventFilter {
            project_id: Some(beta.id),
            ..EventFilter::default()
        })
        .await,
        [elsewhere]
    );
}

async fn a_failed_append_writes_nothing(store: Store) {
    let (alpha, _, _) = project(&store, "AL").await;
    let good = chat(&alpha, None, "good");
    let mut orphan = chat(&alpha, None, "reply to nothing");
    orphan.parent_id = Some(agentry_domain::id::EventId::generate());
    assert!(store.append(&[good.clone(), orphan]).await.is_err());
    assert_eq!(store.get_event(good.id).await.unwrap(), None);
}

async fn appends_queued_behind_a_writer_commit_together_and_a_bad_one_fails_alone(store: Store) {
    let (alpha, member, _) = project(&store, "AL").await;
    // Hold the writer so the appends below queue up and go as one group.
    let blocker = store.connection().begin().await.unwrap();
    if store.backend() == Backend::Postgres {
        blocker
            .execute_unprepared("LOCK TABLE events IN EXCLUSIVE MODE")
            .await
            .unwrap();
    }
    let mut appends = Vec::new();
    for n in 0..32 {
        let event = chat(&alpha, Some(member.id), &format!("message {n}"));
        let store = store.clone();
        appends.push(tokio::spawn(async move {
            store
                .append(std::slice::from_ref(&event))
                .await
                .map(|()| event.id)
        }));
    }
    let mut orphan = chat(&alpha, None, "a reply to nothing");
    orphan.parent_id = Some(EventId::generate());
    let orphan_id = orphan.id;
    let bad = {
        let store = store.clone();
        tokio::spawn(async move { store.append(std::slice::from_ref(&orphan)).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    blocker.commit().await.unwrap();

    assert!(bad.await.unwrap().is_err(), "the orphan must be refused");
    for append in appends {
        let id = append
            .await
            .unwrap()
            .expect("a good append is not failed by a bad one");
        assert!(store.get_event(id).await.unwrap().is_some());
    }
    assert_eq!(store.get_event(orphan_id).await.unwrap(), None);
}
