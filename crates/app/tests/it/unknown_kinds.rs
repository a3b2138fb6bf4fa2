//! A newer binary sharing the database may have written kinds this one does not
//! know (the supervisor then rolled back to this one). Every feed serves them with
//! their type and their payload as stored, never a 5xx.

use poem::http::StatusCode;
use sea_orm::{ConnectionTrait as _, DbBackend, Statement, Value};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, api_test, assert_problem, id};

api_test!(events_of_an_unknown_type_are_served_as_stored_by_every_feed);

/// Writes an event row as another binary would, bypassing this one's code.
async fn insert_raw(
    app: &TestApp,
    project: Option<&str>,
    task: Option<&str>,
    parent: Option<&str>,
    type_name: &str,
    payload: serde_json::Value,
) -> String {
    let conn = app.app.store.connection();
    let backend = conn.get_database_backend();
    let id = Uuid::now_v7();
    let uuid = |raw: Option<&str>| Value::Uuid(raw.map(|r| Uuid::parse_str(r).unwrap()));
    let now = chrono::Utc::now();
    let values: Vec<Value> = vec![
        id.into(),
        uuid(project),
        type_name.into(),
        uuid(task),
        uuid(parent),
        payload.into(),
        now.into(),
        now.into(),
    ];
    let placeholders: Vec<String> = (1..=values.len())
        .map(|n| match backend {
            DbBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        })
        .collect();
    let sql = format!(
        "INSERT INTO events (id, project_id, \"type\", task_id, parent_id, payload, created_at, updated_at) \
         VALUES ({})",
        placeholders.join(", ")
    );
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
    id.to_string()
}

async fn events_of_an_unknown_type_are_served_as_stored_by_every_feed(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let task = id(&app.task(&ada, &project, "t").await);
    let root = app
        .post(
            "/api/v1/events",
            &ada,
            json!({"project_id": project, "type": "task_comment", "task_id": task,
                   "payload": {"content": "root"}}),
        )
        .await;
    let root = id(&root.body);
    let payload = json!({"goal": "ship", "steps": [{"n": 1, "done": false}], "note": null});
    let planned = insert_raw(
        &app,
        Some(&project),
        Some(&task),
        Some(&root),
        "plan_forecast",
        payload.clone(),
    )
    .await;
    let spawned = insert_raw(&app, None, None, None, "worker.spawned", json!({"pid": 42})).await;

    for query in [
        format!("project_id={project}"),
        format!("task_id={task}"),
        format!("parent_id={root}"),
        format!("project_id={project}&limit=1"),
    ] {
        let reply = app.get(&format!("/api/v1/events?{query}"), &ada).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {reply:?}");
        let first = &reply.body["events"][0];
        assert_eq!(first["id"], planned, "{query}");
        assert_eq!(first["type"], "plan_forecast");
        assert_eq!(first["payload"], payload);
    }
    let one = app.get(&format!("/api/v1/events/{planned}"), &ada).await;
    assert_eq!(
        (one.status, &one.body["payload"]),
        (StatusCode::OK, &payload)
    );

    let everything = app.get("/api/v1/events?limit=200", &app.admin).await;
    assert_eq!(everything.status, StatusCode::OK, "{everything:?}");
    let types: Vec<&str> = everything.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[..2], ["worker.spawned", "plan_forecast"]);
    let global = app
        .get(&format!("/api/v1/events/{spawned}"), &app.admin)
        .await;
    assert_eq!(global.body["payload"], json!({"pid": 42}));

    // Filtering names known types only: this binary cannot vouch for the others.
    let filtered = app
        .get(
            &format!("/api/v1/events?project_id={project}&types=plan_forecast"),
            &ada,
        )
        .await;
    assert_problem(&filtered, StatusCode::UNPROCESSABLE_ENTITY, "validation");
}
