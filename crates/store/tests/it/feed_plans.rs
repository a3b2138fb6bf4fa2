//! Every feed filter is read through an index that holds all its equalities and
//! delivers the page in `id` order, so a page costs the same in a small log as in
//! a huge one. Checked on the plans the databases choose for the store's own
//! queries: on SQLite, whose planner picks from the schema alone, the exact index
//! and conditions; on PostgreSQL, whose choice rightly depends on the table's size
//! and statistics (the benchmark measures it at a million events), that an index
//! serves every filter once sequential scans are priced out.

use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::log::EventRepo as _;
use agentry_domain::log::{ChatEvent, EventFilter, TaskComment};
use agentry_domain::page::Cursor;
use agentry_domain::tracker::TaskRepo as _;
use agentry_domain::tracker::TaskStatus;
use agentry_domain::tracker::{TaskStatusChanged, TrackerEvent};
use agentry_store::{Backend, Store};
use sea_orm::ConnectionTrait as _;

use crate::helpers::{chat, contract, new_task, project};

contract!(every_feed_filter_is_an_index_range_in_id_order);

async fn every_feed_filter_is_an_index_range_in_id_order(store: Store) {
    let (alpha, member, _) = project(&store, "AL").await;
    let (beta, _, _) = project(&store, "BE").await;
    let task = store
        .create_task(&new_task(&alpha, "t").0, &[])
        .await
        .unwrap()
        .id();
    let root = chat(&alpha, Some(member.id), "root");
    store.append(std::slice::from_ref(&root)).await.unwrap();
    let mut log = Vec::new();
    for n in 0..300 {
        let mut event = match n % 4 {
            0 => chat(if n % 8 == 0 { &alpha } else { &beta }, None, "hi"),
            1 => Event::in_project(
                alpha.id,
                None,
                Some(task),
                ChatEvent::TaskComment(TaskComment {
                    content: "c".into(),
                    mentions: vec![],
                    thinking: None,
                    tool_log: None,
                }),
                utc_now(),
            )
            .unwrap(),
            2 => Event::in_project(
                alpha.id,
                None,
                Some(task),
                TrackerEvent::TaskStatus(TaskStatusChanged {
                    from: TaskStatus::Backlog,
                    to: TaskStatus::Pending,
                }),
                utc_now(),
            )
            .unwrap(),
            _ => chat(&alpha, None, "reply"),
        };
        if n % 4 == 3 {
            event.parent_id = Some(root.id);
        }
        log.push(event);
    }
    store.append(&log).await.unwrap();
    if store.backend() == Backend::Postgres {
        store
            .connection()
            .execute_unprepared("ANALYZE events")
            .await
            .unwrap();
    }
    let cursor = Cursor(log[150].id).encode();
    let by_project = "SEARCH events USING INDEX idx_events_project_type (project_id=? AND type=?)";
    let by_task = "SEARCH events USING INDEX idx_events_task_type (task_id=? AND type=?)";
    let by_thread =
        "SEARCH events USING INDEX idx_events_parent_type (parent_id=? AND type=? AND id<?)";
    let feed = |project, task, parent, types, cursor| {
        let types: Option<&str> = types;
        EventFilter::parse(
            project,
            task,
            parent,
            &types.map(crate::helpers::types).unwrap_or_default(),
            cursor,
            None,
        )
        .unwrap()
    };
    let (p, t, r, c) = (
        Some(alpha.id),
        Some(task),
        Some(root.id),
        Some(cursor.as_str()),
    );
    let cases: Vec<(EventFilter, Vec<&str>)> = vec![
        (
            feed(p, None, None, None, None),
            vec!["SEARCH events USING INDEX idx_events_project (project_id=?)"],
        ),
        (
            feed(p, None, None, None, c),
            vec!["SEARCH events USING INDEX idx_events_project (project_id=? AND id<?)"],
        ),
        (
            feed(p, None, None, Some("chat_message"), None),
            vec![by_project],
        ),
        (
            feed(p, None, None, Some("chat_message,task_status"), None),
            vec![by_project, by_project],
        ),
        (
            feed(p, t, None, None, None),
            vec!["SEARCH events USING INDEX idx_events_task (task_id=?)"],
        ),
        (feed(p, t, None, Some("task_comment"), None), vec![by_task]),
        (
            feed(p, t, None, Some("task_comment,task_status"), None),
            vec![by_task, by_task],
        ),
        (
            feed(p, None, r, None, None),
            vec!["SEARCH events USING INDEX idx_events_parent (parent_id=?)"],
        ),
        (
            feed(p, None, r, Some("chat_message"), None),
            vec!["SEARCH events USING INDEX idx_events_parent_type (parent_id=? AND type=?)"],
        ),
        (
            feed(p, None, r, Some("chat_message,task_comment"), c),
            vec![by_thread, by_thread],
        ),
        // An admin's view of the whole log, and of one type in it.
        (
            feed(None, None, None, None, None),
            vec!["SCAN events USING INDEX sqlite_autoindex_events_1"],
        ),
        (
            feed(None, None, None, Some("task_status"), None),
            vec!["SEARCH events USING INDEX idx_events_type (type=?)"],
        ),
    ];
    for (filter, expected) in cases {
        let plan = store.explain_feed(&filter).await.unwrap();
        if store.backend() == Backend::Sqlite {
            let reads: Vec<&str> = plan
                .iter()
                .map(String::as_str)
                .filter(|step| step.contains(" events "))
                .collect();
            assert_eq!(reads, expected, "{filter:?}: {plan:#?}");
        } else {
            assert!(
                plan.iter().all(|step| !step.contains("Seq Scan")),
                "{filter:?}: {plan:#?}"
            );
        }
    }
}
