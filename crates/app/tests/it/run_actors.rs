//! Who acts in a run: an assistant that runs a task by `agent_type` is an
//! agent member of the task's project (joined on its first run there, once),
//! so every event of the run names it; a run that ends with `complete_task`
//! replies with the completion's summary; scripted tool calls are numbered
//! from turn 1.

use agentry_domain::id::MemberId;
use agentry_domain::workspace::{MemberKind, ProjectRepo as _};
use agentry_store::testing::TestDatabase;
use serde_json::Value;

use crate::helpers::{TestApp, id};
use crate::plans::{named, task};
use crate::runs::engine_app;

agentry_store::on_each_database!(crate::runs::with_nothing;
    a_task_run_by_agent_type_acts_as_an_agent_member_joined_once,
    an_assistant_whose_handle_is_taken_joins_with_the_next_number,
);

async fn a_task_run_by_agent_type_acts_as_an_agent_member_joined_once(db: TestDatabase) {
    let app = engine_app(db).await;
    let writer = app.assistant("Writer").await;
    let (project, _) = app.project(&app.admin, "AC").await;
    let mut actors = Vec::new();
    for round in 0..2 {
        let events = writer_task_events(&app, &project).await;
        for event in &events {
            let kind = event["type"].as_str().unwrap();
            if kind.contains('.') || kind == "task_comment" {
                assert!(
                    event["actor_id"].is_string(),
                    "round {round}: {kind} names no actor: {event}"
                );
                actors.push(event["actor_id"].as_str().unwrap().to_owned());
            }
        }
        // The task's move to done is the agent's too.
        let last_status = events
            .iter()
            .rev()
            .find(|e| e["type"] == "task_status")
            .unwrap();
        assert_eq!(last_status["payload"]["to"], "done", "{last_status}");
        assert!(last_status["actor_id"].is_string(), "{last_status}");
        actors.push(last_status["actor_id"].as_str().unwrap().to_owned());
        // The run ended with complete_task and no text: its reply is the summary.
        let replies: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "reply.sent")
            .collect();
        assert_eq!(replies.len(), 1, "{events:?}");
        assert_eq!(replies[0]["payload"]["content"], "Written.");
        let called: Vec<&str> = events
            .iter()
            .filter(|e| e["type"] == "tool.called")
            .map(|e| e["payload"]["call_id"].as_str().unwrap())
            .collect();
        assert_eq!(called, ["call_1_0", "call_1_1"], "numbered from turn 1");
    }
    actors.dedup();
    assert_eq!(actors.len(), 1, "one member acted in both runs: {actors:?}");
    let member = app
        .app
        .store
        .get_member(MemberId(actors[0].parse().unwrap()))
        .await
        .unwrap()
        .expect("the actor is a member");
    assert_eq!(member.kind, MemberKind::Agent);
    assert_eq!(member.handle.as_str(), "writer");
    assert_eq!(member.assistant_id.map(|a| a.0.to_string()), Some(writer));
    assert_eq!(member.project_id.0.to_string(), project);
}

async fn an_assistant_whose_handle_is_taken_joins_with_the_next_number(db: TestDatabase) {
    let app = engine_app(db).await;
    let writer = app.assistant("Writer").await;
    let other = app.assistant("Reviewer").await;
    let (project, _) = app.project(&app.admin, "HT").await;
    app.registered(
        &format!("/api/v1/projects/{project}/members"),
        serde_json::json!({"kind": "agent", "handle": "writer", "assistant_id": other}),
    )
    .await;
    let events = writer_task_events(&app, &project).await;
    let started = events
        .iter()
        .find(|e| e["type"] == "agent.started")
        .unwrap();
    let member = app
        .app
        .store
        .get_member(MemberId(
            started["actor_id"].as_str().unwrap().parse().unwrap(),
        ))
        .await
        .unwrap()
        .expect("the actor is a member");
    assert_eq!(member.handle.as_str(), "writer-2");
    assert_eq!(member.assistant_id.map(|a| a.0.to_string()), Some(writer));
}

/// Runs a plan of one task for the Writer in `project` to done; the task's events.
async fn writer_task_events(app: &TestApp, project: &str) -> Vec<Value> {
    let plan = app
        .plan(
            &app.admin,
            project,
            serde_json::json!([task("w", "Writer", &[])]),
        )
        .await;
    let done = app.plan_done(&id(&plan)).await;
    let task_id = named(&done, "w")["task_id"].as_str().unwrap().to_owned();
    app.task_events(&task_id).await
}
