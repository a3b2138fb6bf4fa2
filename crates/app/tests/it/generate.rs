//! `POST /plans/generate` with the offline provider on SQLite and PostgreSQL:
//! a proposal becomes a plan with the secretary's turns under its
//! `plan_created` (counted in its usage, exported in its script); proposals
//! that stay invalid answer 422 with each reason and write nothing; a server
//! without a provider or a secretary answers 409; bad input 4xx.

use agentry_store::testing::TestDatabase;
use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

agentry_store::on_each_database!(crate::runs::with_nothing;
    a_proposal_becomes_a_plan_with_its_turns_counted_and_exported,
    proposals_that_stay_invalid_answer_422_with_each_reason_and_write_nothing,
    a_server_without_a_provider_or_a_secretary_answers_409,
);

const GOOD: &str = r#"{"tasks": [
    {"id": "a", "title": "First", "description": "", "agent_type": "Worker",
     "depends_on": [], "can_parallel": true, "priority": "high"},
    {"id": "b", "title": "Second", "description": "", "agent_type": "Worker",
     "depends_on": ["a"], "can_parallel": true, "priority": "medium"}]}"#;

fn script(secretary: &[Value]) -> String {
    json!({"assistants": {"Secretary": secretary, "*": [{"content": "Done."}]}}).to_string()
}

async fn app_with(db: TestDatabase, script_text: String) -> TestApp {
    let path = std::env::temp_dir().join(format!("agentry-gen-{}.json", uuid::Uuid::now_v7()));
    std::fs::write(&path, script_text).unwrap();
    spawn_app_with(db, move |config| {
        config.engine.model_script = Some(path);
        config.run_engine = false;
    })
    .await
}

impl TestApp {
    async fn staff(&self) {
        self.registered(
            "/api/v1/assistants",
            json!({"name": "Secretary", "model": "planner-model", "is_secretary": true,
                   "instructions": "You plan.", "assistant_type": "llm"}),
        )
        .await;
        self.assistant("Worker").await;
    }

    async fn generate(&self, project: &str, goal: &str) -> crate::helpers::Reply {
        self.post(
            "/api/v1/plans/generate",
            &self.admin,
            json!({"project_id": project, "goal": goal}),
        )
        .await
    }
}

async fn a_proposal_becomes_a_plan_with_its_turns_counted_and_exported(db: TestDatabase) {
    let answer = json!({"content": GOOD, "usage": {"input_tokens": 400, "output_tokens": 90}});
    let app = app_with(db, script(&[answer])).await;
    app.staff().await;
    let (project, _) = app.project(&app.admin, "GN").await;
    let reply = app.generate(&project, "Ship it").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let plan = &reply.body;
    assert_eq!(plan["goal"], "Ship it");
    assert_eq!(plan["tasks"][1]["depends_on"], json!(["a"]));
    assert_eq!(plan["tasks"][0]["agent_type"], "Worker");
    let plan_id = plan["id"].as_str().unwrap();

    let usage = app
        .get(&format!("/api/v1/plans/{plan_id}/usage"), &app.admin)
        .await;
    assert_eq!(
        usage.body["totals"]["input_tokens"], 400,
        "{:?}",
        usage.body
    );
    assert_eq!(usage.body["by_model"][0]["key"], "planner-model");
    assert_eq!(usage.body["by_task"], json!([]), "planning is no task's");

    let feed = app
        .get(
            &format!("/api/v1/events?project_id={project}&types=plan_created,turn.completed"),
            &app.admin,
        )
        .await;
    let events = feed.body["events"].as_array().unwrap();
    let created = events.iter().find(|e| e["type"] == "plan_created").unwrap();
    assert_eq!(
        created["id"], plan["id"],
        "plan_created takes the plan's id"
    );
    let turn = events
        .iter()
        .find(|e| e["type"] == "turn.completed")
        .unwrap();
    assert_eq!(turn["parent_id"], plan["id"]);
    assert_eq!(turn["payload"]["assistant_name"], "Secretary");

    let exported = app
        .get(&format!("/api/v1/plans/{plan_id}/script"), &app.admin)
        .await;
    assert_eq!(exported.status, StatusCode::OK);
    assert_eq!(exported.body["goal"], "Ship it");
    let reply = &exported.body["assistants"]["Secretary"][0];
    assert_eq!(reply["content"], GOOD);
    assert_eq!(reply["usage"]["output_tokens"], 90);
}

async fn proposals_that_stay_invalid_answer_422_with_each_reason_and_write_nothing(
    db: TestDatabase,
) {
    let cycle = GOOD.replace(r#""depends_on": [], "#, r#""depends_on": ["b"], "#);
    let stranger = GOOD.replace(r#""agent_type": "Worker","#, r#""agent_type": "Nobody","#);
    let app = app_with(
        db,
        script(&[
            json!({"content": "Here is my plan: first, ..."}),
            json!({"content": cycle}),
            json!({"content": stranger}),
        ]),
    )
    .await;
    let (project, _) = app.project(&app.admin, "GN").await;
    let reply = app.generate(&project, "Ship it").await;
    assert_problem(&reply, StatusCode::CONFLICT, "conflict");
    assert!(
        reply.body.to_string().contains("secretary"),
        "{:?}",
        reply.body
    );
    app.staff().await;
    let reply = app.generate(&project, "Ship it").await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let text = reply.body.to_string();
    for reason in ["not a plan", "cycle", "Nobody"] {
        assert!(text.contains(reason), "{reason}: {text}");
    }
    let plans = app
        .get(&format!("/api/v1/projects/{project}/plans"), &app.admin)
        .await;
    assert_eq!(plans.body["plans"], json!([]));

    for (body, status) in [
        (
            json!({"project_id": project, "goal": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"project_id": project}), StatusCode::BAD_REQUEST),
        (
            json!({"project_id": uuid::Uuid::now_v7(), "goal": "x"}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"project_id": project, "goal": "x", "session_id": uuid::Uuid::now_v7()}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let reply = app
            .post("/api/v1/plans/generate", &app.admin, body.clone())
            .await;
        assert_eq!(reply.status, status, "{body}: {reply:?}");
    }
}

async fn a_server_without_a_provider_or_a_secretary_answers_409(db: TestDatabase) {
    let bare = spawn_app(db).await;
    bare.staff().await;
    let (project, _) = bare.project(&bare.admin, "GN").await;
    let reply = bare.generate(&project, "Ship it").await;
    assert_problem(&reply, StatusCode::CONFLICT, "conflict");
    assert!(
        reply.body.to_string().contains("provider"),
        "{:?}",
        reply.body
    );
}
