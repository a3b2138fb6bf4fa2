//! The event log over HTTP: posting messages and comments, mentions, and the
//! frontend's three feed queries (docs/api.md, "Feeds") with paging and type
//! filters.

use poem::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, api_test, assert_problem, id};

api_test!(
    a_chat_message_resolves_its_mentions,
    posts_a_client_may_not_make_answer_4xx_and_write_nothing,
    the_three_feed_queries_work_as_documented,
    a_feed_pages_with_an_opaque_cursor,
    a_thread_reply_is_listed_under_its_parent,
    types_may_repeat_or_be_separated_by_commas,
);

async fn a_chat_message_resolves_its_mentions(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, me) = app.project(&ada, "TE").await;
    let coder = id(&app
        .post(
            &format!("/api/v1/projects/{project}/members"),
            &ada,
            json!({"kind": "agent", "handle": "coder"}),
        )
        .await
        .body);
    let body = json!({"project_id": project, "type": "chat_message",
                      "payload": {"content": "@Coder and @nobody, mail me@example.com", "thinking": "hmm"}});
    let reply = app.post("/api/v1/events", &ada, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert_eq!(reply.body["actor_id"], me);
    assert_eq!(
        reply.body["payload"]["mentions"],
        json!([{"member_id": coder, "handle": "coder"}])
    );
    assert_eq!(
        app.get(&format!("/api/v1/events/{}", id(&reply.body)), &ada)
            .await
            .body,
        reply.body
    );
}

async fn posts_a_client_may_not_make_answer_4xx_and_write_nothing(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let (other, _) = app.project(&ada, "OT").await;
    let foreign_task = id(&app.task(&ada, &other, "elsewhere").await);
    let before = app
        .feed_types(&ada, &format!("project_id={project}&limit=200"))
        .await
        .len();
    let cases = [
        (
            json!({"project_id": project, "type": "task_status", "payload": {"from": "backlog", "to": "done"}}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"project_id": project, "type": "chat_message", "payload": {"text": "wrong field"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"project_id": project, "type": "chat_message", "payload": "not an object"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"project_id": project, "type": "chat_message", "payload": {"content": ""}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"project_id": project, "type": "chat_message", "payload": {"content": "a\u{0}b"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"project_id": project, "type": "chat_message", "payload": {"content": "x", "voice_url": "file:///etc/passwd"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"project_id": project, "type": "task_comment", "payload": {"content": "no task"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"project_id": project, "type": "task_comment", "task_id": foreign_task, "payload": {"content": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"project_id": project, "type": "chat_message", "parent_id": foreign_task, "payload": {"content": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"project_id": project, "type": "chat_message", "payload": {"content": "x".repeat(40_000)}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (body, status) in cases {
        let reply = app.post("/api/v1/events", &ada, body.clone()).await;
        assert_eq!(reply.status, status, "{body} -> {reply:?}");
        assert!(
            reply.body["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:agentry:problem:"),
            "{reply:?}"
        );
    }
    assert_eq!(
        app.feed_types(&ada, &format!("project_id={project}&limit=200"))
            .await
            .len(),
        before
    );
    let unknown = app
        .get(
            &format!("/api/v1/events?project_id={project}&types=message_new"),
            &ada,
        )
        .await;
    assert_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let unscoped = app.get("/api/v1/events", &ada).await;
    assert_problem(&unscoped, StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

async fn the_three_feed_queries_work_as_documented(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let task = id(&app.task(&ada, &project, "t").await);
    app.post(
        "/api/v1/events",
        &ada,
        json!({"project_id": project, "type": "chat_message", "payload": {"content": "hi"}}),
    )
    .await;
    app.patch(
        &format!("/api/v1/tasks/{task}"),
        &ada,
        json!({"status": "in_progress", "description": "d"}),
    )
    .await;
    app.post("/api/v1/events", &ada, json!({"project_id": project, "type": "task_comment", "task_id": task, "payload": {"content": "c"}})).await;

    let chat = app
        .feed_types(&ada, &format!("project_id={project}&types=chat_message,task_created,task_status,task_assigned,task_unassigned&limit=30"))
        .await;
    assert_eq!(chat, ["task_status", "chat_message", "task_created"]);
    let comments = app
        .feed_types(&ada, &format!("task_id={task}&limit=50"))
        .await;
    assert_eq!(
        comments,
        [
            "task_comment",
            "task_status",
            "task_updated",
            "task_created"
        ]
    );
    let timeline = app
        .feed_types(&ada, &format!("project_id={project}&limit=100"))
        .await;
    assert_eq!(
        timeline,
        [
            "task_comment",
            "task_status",
            "task_updated",
            "chat_message",
            "task_created",
            "member_added",
            "project_created"
        ]
    );
}

async fn a_feed_pages_with_an_opaque_cursor(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    for i in 0..7 {
        app.post("/api/v1/events", &ada, json!({"project_id": project, "type": "chat_message", "payload": {"content": format!("m{i}")}})).await;
    }
    let mut contents = Vec::new();
    let mut query = format!("project_id={project}&types=chat_message&limit=3");
    loop {
        let page = app.get(&format!("/api/v1/events?{query}"), &ada).await.body;
        contents.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["payload"]["content"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                query = format!("project_id={project}&types=chat_message&limit=3&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(contents, ["m6", "m5", "m4", "m3", "m2", "m1", "m0"]);
    let bad = app
        .get(
            &format!("/api/v1/events?project_id={project}&cursor=nope"),
            &ada,
        )
        .await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let too_many = app
        .get(
            &format!("/api/v1/events?project_id={project}&limit=1000"),
            &ada,
        )
        .await;
    assert_problem(&too_many, StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

async fn a_thread_reply_is_listed_under_its_parent(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let task = id(&app.task(&ada, &project, "t").await);
    let root = app.post("/api/v1/events", &ada, json!({"project_id": project, "type": "task_comment", "task_id": task, "payload": {"content": "root"}})).await;
    let root = id(&root.body);
    let reply = app
        .post("/api/v1/events", &ada, json!({"project_id": project, "type": "task_comment", "task_id": task, "parent_id": root,
                                             "payload": {"content": "reply", "tool_log": {"calls": []}}}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert_eq!(
        app.feed_types(&ada, &format!("parent_id={root}")).await,
        ["task_comment"]
    );
}

async fn types_may_repeat_or_be_separated_by_commas(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    app.task(&ada, &project, "t").await;
    let scope = format!("project_id={project}");
    let commas = app
        .feed_types(&ada, &format!("{scope}&types=task_created,project_created"))
        .await;
    let repeated = app
        .feed_types(
            &ada,
            &format!("{scope}&types=task_created&types=project_created"),
        )
        .await;
    assert_eq!(commas, ["task_created", "project_created"]);
    assert_eq!(repeated, commas);
}
