//! Probes an attacker would send: each answers a 4xx problem, changes nothing and
//! tells the caller no more than an unknown id would.

use poem::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, api_test, assert_problem, id};

api_test!(
    nul_characters_in_a_schema_or_a_cursor_answer_422,
    a_task_or_event_of_another_project_answers_as_an_unknown_id_would,
);

async fn nul_characters_in_a_schema_or_a_cursor_answer_422(app: TestApp) {
    let tool = json!({"name": "get_weather", "tool_type": "weather", "description": "Weather",
                      "input_schema": {"type": "object", "description": "a\u{0}b"}});
    let reply = app.post("/api/v1/tools", &app.admin, tool).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(reply.body["field"], "input_schema");
    assert_eq!(
        app.get("/api/v1/tools", &app.admin).await.body,
        json!({"tools": []})
    );
    // "c2EAYg" is an assistant cursor after the name "a\0b".
    let reply = app
        .get("/api/v1/assistants?cursor=c2EAYg", &app.admin)
        .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(reply.body["field"], "cursor");
}

async fn a_task_or_event_of_another_project_answers_as_an_unknown_id_would(app: TestApp) {
    let (ada, eve) = (app.user("Ada").await, app.user("Eve").await);
    let (victim, _) = app.project(&ada, "VI").await;
    let (own, _) = app.project(&eve, "EV").await;
    let hidden_task = id(&app.task(&ada, &victim, "Secret").await);
    let hidden_event = app
        .post(
            "/api/v1/events",
            &ada,
            json!({"project_id": victim, "type": "chat_message", "payload": {"content": "psst"}}),
        )
        .await;
    let hidden_event = id(&hidden_event.body);
    let unknown = "01a202a7-99f1-73cd-9858-4075c5ed4a74";
    for (param, hidden, entity) in [
        ("task_id", &hidden_task, "task"),
        ("parent_id", &hidden_event, "event"),
    ] {
        let probe = |target: &str| format!("/api/v1/events?project_id={own}&{param}={target}");
        let existing = app.get(&probe(hidden), &eve).await;
        let missing = app.get(&probe(unknown), &eve).await;
        assert_problem(&existing, StatusCode::NOT_FOUND, "not-found");
        assert_eq!(existing.body["detail"], missing.body["detail"], "{entity}");
        assert_eq!(existing.status, missing.status);
        // Even whoever sees both projects is told the task is not under the one named.
        let (admin_view, admin_missing) = (
            app.get(&probe(hidden), &app.admin).await,
            app.get(&probe(unknown), &app.admin).await,
        );
        assert_problem(&admin_view, StatusCode::NOT_FOUND, "not-found");
        assert_eq!(admin_view.body["detail"], admin_missing.body["detail"]);
    }
}
