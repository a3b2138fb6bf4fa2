//! Who may see what: a missing or bad token is 401, another project is 404, an
//! admin-only route is 403.

use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, api_test, assert_problem, id};

api_test!(
    requests_without_a_valid_token_are_refused_with_a_problem,
    a_revoked_token_stops_working_at_once,
    another_projects_tasks_and_events_answer_404,
    only_an_admin_creates_users,
);

async fn requests_without_a_valid_token_are_refused_with_a_problem(app: TestApp) {
    for token in [None, Some("agt_not-a-real-token-at-all"), Some("short")] {
        let reply = app.call(Method::GET, "/api/v1/projects", token, None).await;
        assert_problem(&reply, StatusCode::UNAUTHORIZED, "unauthenticated");
        assert_eq!(reply.headers.get("www-authenticate").unwrap(), "Bearer");
    }
    let spec = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(spec.status, StatusCode::OK);
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.status,
        StatusCode::OK
    );
}

async fn a_revoked_token_stops_working_at_once(app: TestApp) {
    let ada = app.user("Ada").await;
    let issued = app
        .post("/api/v1/tokens", &ada, json!({ "name": "laptop" }))
        .await;
    assert_eq!(issued.status, StatusCode::CREATED);
    let laptop = issued.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", &laptop).await.body["name"], "Ada");

    let listed = app.get("/api/v1/tokens", &ada).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert!(
        !listed
            .bytes
            .windows(laptop.len())
            .any(|w| w == laptop.as_bytes()),
        "a secret was listed"
    );

    let token_id = id(&issued.body["token"]);
    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{token_id}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.body["revoked_at"].is_string());
    assert_problem(
        &app.get("/api/v1/me", &laptop).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );

    let bob = app.user("Bob").await;
    let stolen = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{token_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_problem(&stolen, StatusCode::NOT_FOUND, "not-found");
}

async fn another_projects_tasks_and_events_answer_404(app: TestApp) {
    let ada = app.user("Ada").await;
    let bob = app.user("Bob").await;
    let (project, _) = app.project(&ada, "AD").await;
    let task = app.task(&ada, &project, "secret work").await;
    let task_id = id(&task);
    let chat = app
        .post(
            "/api/v1/events",
            &ada,
            json!({"project_id": project, "type": "chat_message", "payload": {"content": "psst"}}),
        )
        .await;
    let event_id = id(&chat.body);

    for path in [
        format!("/api/v1/projects/{project}"),
        format!("/api/v1/projects/{project}/tasks"),
        format!("/api/v1/tasks/{task_id}"),
        format!("/api/v1/events?project_id={project}"),
        format!("/api/v1/events?task_id={task_id}"),
        format!("/api/v1/events/{event_id}"),
    ] {
        assert_problem(
            &app.get(&path, &bob).await,
            StatusCode::NOT_FOUND,
            "not-found",
        );
        assert_eq!(app.get(&path, &ada).await.status, StatusCode::OK, "{path}");
    }
    let write = app
        .patch(
            &format!("/api/v1/tasks/{task_id}"),
            &bob,
            json!({"title": "mine now"}),
        )
        .await;
    assert_problem(&write, StatusCode::NOT_FOUND, "not-found");
    let post = app
        .post(
            "/api/v1/events",
            &bob,
            json!({"project_id": project, "type": "chat_message", "payload": {"content": "hi"}}),
        )
        .await;
    assert_problem(&post, StatusCode::NOT_FOUND, "not-found");
    assert!(
        app.get("/api/v1/projects", &bob).await.body["projects"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get("/api/v1/projects", &app.admin).await.body["projects"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn only_an_admin_creates_users(app: TestApp) {
    let ada = app.user("Ada").await;
    let reply = app
        .post(
            "/api/v1/users",
            &ada,
            json!({"name": "Mallory", "is_admin": true}),
        )
        .await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        app.get("/api/v1/users", &app.admin).await.body["users"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
