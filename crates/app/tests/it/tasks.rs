//! Tasks over HTTP: numbering, the state machine, `If-Match`, labels, links and
//! paging, and bad input that writes nothing.

use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, assert_problem, id};

api_test!(
    every_task_change_writes_exactly_its_events,
    a_forbidden_transition_answers_409_and_changes_nothing,
    a_stale_if_match_answers_412_and_concurrent_updates_are_not_lost,
    tasks_are_numbered_per_project_and_listed_by_filter,
    bad_task_input_answers_4xx_and_writes_nothing,
);

async fn events_of(app: &TestApp, token: &str, task: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/v1/events?task_id={task}&limit=200"), token)
        .await;
    let mut events = reply.body["events"].as_array().unwrap().clone();
    events.reverse();
    events
}

async fn every_task_change_writes_exactly_its_events(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, me) = app.project(&ada, "TE").await;
    let coder = app
        .post(
            &format!("/api/v1/projects/{project}/members"),
            &ada,
            json!({"kind": "agent", "handle": "@coder"}),
        )
        .await;
    let coder = id(&coder.body);
    let label = id(&app
        .post(
            &format!("/api/v1/projects/{project}/labels"),
            &ada,
            json!({"name": "bug"}),
        )
        .await
        .body);
    let task = app.task(&ada, &project, "Write it").await;
    assert_eq!(task["key"], "TE-1");
    let task_id = id(&task);
    let path = format!("/api/v1/tasks/{task_id}");

    let reply = app
        .patch(&path, &ada, json!({"title": "Write it well", "priority": "high", "status": "in_progress", "assignee_id": coder}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.headers.get("etag").unwrap(), "\"2\"");
    app.patch(&path, &ada, json!({"assignee_id": null})).await;
    app.patch(&path, &ada, json!({"title": "Write it well"}))
        .await;
    app.call(
        Method::PUT,
        &format!("{path}/labels/{label}"),
        Some(&ada),
        None,
    )
    .await;
    app.call(
        Method::PUT,
        &format!("{path}/labels/{label}"),
        Some(&ada),
        None,
    )
    .await;
    let removed = app
        .call(
            Method::DELETE,
            &format!("{path}/labels/{label}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(removed.body["version"], 5);

    let events = events_of(&app, &ada, &task_id).await;
    let summary: Vec<(&str, Value)> = events
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["payload"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "task_created",
                json!({"title": "Write it", "status": "backlog", "priority": "medium"})
            ),
            (
                "task_updated",
                json!({"field": "title", "from": "Write it", "to": "Write it well"})
            ),
            (
                "task_updated",
                json!({"field": "priority", "from": "medium", "to": "high"})
            ),
            (
                "task_status",
                json!({"from": "backlog", "to": "in_progress"})
            ),
            ("task_assigned", json!({"assignee": coder})),
            ("task_unassigned", json!({"previous": coder})),
            ("task_label_add", json!({"label": label})),
            ("task_label_remove", json!({"label": label})),
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e["actor_id"] == me && e["project_id"] == project)
    );
}

async fn a_forbidden_transition_answers_409_and_changes_nothing(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let task_id = id(&app.task(&ada, &project, "t").await);
    let path = format!("/api/v1/tasks/{task_id}");
    let reply = app
        .patch(&path, &ada, json!({"title": "changed", "status": "done"}))
        .await;
    assert_problem(&reply, StatusCode::CONFLICT, "invalid-transition");
    let task = app.get(&path, &ada).await.body;
    assert_eq!(
        (
            task["title"].as_str(),
            task["status"].as_str(),
            task["version"].as_i64()
        ),
        (Some("t"), Some("backlog"), Some(1))
    );
    assert_eq!(events_of(&app, &ada, &task_id).await.len(), 1);
}

async fn a_stale_if_match_answers_412_and_concurrent_updates_are_not_lost(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let task_id = id(&app.task(&ada, &project, "t").await);
    let path = format!("/api/v1/tasks/{task_id}");
    let body = |title: &str| {
        Some((
            "application/json",
            json!({ "title": title }).to_string().into_bytes(),
        ))
    };

    let fresh = app
        .send(
            Method::PATCH,
            &path,
            Some(&ada),
            body("first"),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(fresh.status, StatusCode::OK);
    let stale = app
        .send(
            Method::PATCH,
            &path,
            Some(&ada),
            body("second"),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_problem(&stale, StatusCode::PRECONDITION_FAILED, "stale-version");
    let garbage = app
        .send(
            Method::PATCH,
            &path,
            Some(&ada),
            body("third"),
            &[("If-Match", "soon")],
        )
        .await;
    assert_problem(&garbage, StatusCode::BAD_REQUEST, "bad-request");
    assert_eq!(app.get(&path, &ada).await.body["title"], "first");

    let writers =
        (0..8).map(|i| app.patch(&path, &ada, json!({ "description": format!("writer {i}") })));
    let replies = futures::future::join_all(writers).await;
    assert!(
        replies.iter().all(|r| r.status == StatusCode::OK),
        "{replies:?}"
    );
    let task = app.get(&path, &ada).await.body;
    assert_eq!(task["version"], 10);
    let updates = events_of(&app, &ada, &task_id)
        .await
        .iter()
        .filter(|e| e["type"] == "task_updated")
        .count();
    assert_eq!(updates, 9);
}

async fn tasks_are_numbered_per_project_and_listed_by_filter(app: TestApp) {
    let ada = app.user("Ada").await;
    let (alpha, _) = app.project(&ada, "AL").await;
    let (beta, _) = app.project(&ada, "BE").await;
    for i in 0..3 {
        app.task(&ada, &alpha, &format!("a{i}")).await;
    }
    assert_eq!(app.task(&ada, &beta, "b").await["key"], "BE-1");
    let first = app
        .get(&format!("/api/v1/projects/{alpha}/tasks?limit=1"), &ada)
        .await;
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/api/v1/projects/{alpha}/tasks?cursor={cursor}&limit=1"),
            &ada,
        )
        .await;
    assert_eq!(
        second.body["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["key"].clone())
            .collect::<Vec<_>>(),
        [json!("AL-2")]
    );
    let backlog = app
        .get(
            &format!("/api/v1/projects/{alpha}/tasks?status=backlog"),
            &ada,
        )
        .await;
    assert_eq!(backlog.body["tasks"].as_array().unwrap().len(), 3);
    let bad = app
        .get(
            &format!("/api/v1/projects/{alpha}/tasks?status=someday"),
            &ada,
        )
        .await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, "bad-request");
    let not_an_id = app.get("/api/v1/tasks/TE-1", &ada).await;
    assert_problem(&not_an_id, StatusCode::BAD_REQUEST, "bad-request");
    assert_eq!(not_an_id.body["field"], "path");
    assert!(
        !not_an_id.body["detail"]
            .as_str()
            .unwrap()
            .contains("param0"),
        "{not_an_id:?}"
    );
}

async fn bad_task_input_answers_4xx_and_writes_nothing(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let (other, _) = app.project(&ada, "OT").await;
    let foreign_label = id(&app
        .post(
            &format!("/api/v1/projects/{other}/labels"),
            &ada,
            json!({"name": "x"}),
        )
        .await
        .body);
    let tasks = format!("/api/v1/projects/{project}/tasks");
    let cases = [
        (json!({"title": ""}), StatusCode::UNPROCESSABLE_ENTITY),
        // A number or a boolean is not text: refused, not turned into "5".
        (json!({"title": 5}), StatusCode::BAD_REQUEST),
        (
            json!({"title": "t", "description": true}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"title": "x\u{0}y"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "t", "status": "done"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "t", "labels": [foreign_label]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "t", "assignee_id": "00000000-0000-0000-0000-000000000000"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"title": "t", "unknown": 1}), StatusCode::BAD_REQUEST),
        (json!({"title": ["not", "text"]}), StatusCode::BAD_REQUEST),
    ];
    for (body, status) in cases {
        let reply = app.post(&tasks, &ada, body.clone()).await;
        assert_eq!(reply.status, status, "{body} -> {reply:?}");
    }
    assert!(
        app.get(&tasks, &ada).await.body["tasks"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let types = app
        .feed_types(&ada, &format!("project_id={project}&types=task_created"))
        .await;
    assert!(types.is_empty());
}
