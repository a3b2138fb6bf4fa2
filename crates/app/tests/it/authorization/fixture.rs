//! What each call of the matrix acts on: a project the member belongs to with
//! a task, a label, a link, an event and its attachment, an assistant with a
//! tool, a thread, a spare token, a plan and a channel — made afresh for each
//! call.

use poem::http::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, id};

/// The tokens of each caller, made once.
pub(super) struct Tokens {
    pub member: String,
    pub member_id: String,
    pub outsider: String,
    pub revoked: String,
}

/// Resources of a project the member belongs to, made afresh for each call.
pub(super) struct Fixture {
    pub project: String,
    pub task: String,
    pub other_task: String,
    pub label: String,
    pub link: String,
    pub event: String,
    pub attachment: String,
    pub assistant: String,
    pub tool: String,
    /// A tool linked to nothing.
    pub spare_tool: String,
    pub thread: String,
    pub spare_token: String,
    pub plan: String,
    /// A pending task of the plan, and a skipped one.
    pub pending_task: String,
    pub skipped_task: String,
    pub channel: String,
    /// A squad of the member's (active, unpublished) with a workflow, its
    /// members (a `writer` the workflow names, a `spare` it does not) and an
    /// assistant that is no member; a template of the member's.
    pub squad: String,
    pub workflow: String,
    pub spare_member: String,
    pub outside_assistant: String,
    pub template: String,
    pub n: usize,
}

/// A definition with one step, by the `writer`.
pub(super) fn definition() -> Value {
    json!({"nodes": [{"id": "write", "type": "agent", "role": "writer", "instructions": "Write."}], "edges": []})
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let reply = app.post(path, token, body).await;
    assert!(reply.status.is_success(), "{path}: {reply:?}");
    reply.body
}

pub(super) async fn fixture(app: &TestApp, tokens: &Tokens, n: usize) -> Fixture {
    let ada = tokens.member.as_str();
    let project = created(
        app,
        ada,
        "/api/v1/projects",
        json!({"name": "P", "key": format!("P{n}")}),
    )
    .await;
    let project = id(&project["project"]);
    created(
        app,
        &tokens.outsider,
        "/api/v1/projects",
        json!({"name": "Q", "key": format!("Q{n}")}),
    )
    .await;
    let tasks = format!("/api/v1/projects/{project}/tasks");
    let task = id(&created(app, ada, &tasks, json!({"title": "one"})).await);
    let other_task = id(&created(app, ada, &tasks, json!({"title": "two"})).await);
    let labels = format!("/api/v1/projects/{project}/labels");
    let label = id(&created(app, ada, &labels, json!({"name": "bug"})).await);
    app.call(
        Method::PUT,
        &format!("/api/v1/tasks/{task}/labels/{label}"),
        Some(ada),
        None,
    )
    .await;
    let link = created(
        app,
        ada,
        &format!("/api/v1/tasks/{task}/links"),
        json!({"target_task_id": other_task, "kind": "blocks"}),
    )
    .await;
    let event = created(
        app,
        ada,
        "/api/v1/events",
        json!({"project_id": project, "type": "chat_message", "payload": {"content": "hi"}}),
    )
    .await;
    let event = id(&event);
    let upload = app
        .send(
            Method::POST,
            &format!("/api/v1/events/{event}/attachments?filename=a.txt"),
            Some(ada),
            Some(("application/octet-stream", b"abc".to_vec())),
            &[],
        )
        .await;
    assert!(upload.status.is_success(), "{upload:?}");
    let assistant = created(
        app,
        &app.admin,
        "/api/v1/assistants",
        json!({"name": format!("Helper {n}"), "model": "m", "assistant_type": "llm"}),
    )
    .await;
    let assistant = id(&assistant);
    let tool = created(app, &app.admin, "/api/v1/tools",
                       json!({"name": format!("tool_{n}"), "tool_type": "time", "input_schema": {"type": "object"}})).await;
    let tool = id(&tool);
    app.post(
        &format!("/api/v1/assistants/{assistant}/tools/{tool}"),
        &app.admin,
        json!(null),
    )
    .await;
    let spare_tool = created(app, &app.admin, "/api/v1/tools",
                             json!({"name": format!("spare_{n}"), "tool_type": "time", "input_schema": {"type": "object"}})).await;
    let thread = created(
        app,
        ada,
        &format!("/api/v1/assistants/{assistant}/thread"),
        json!(null),
    )
    .await;
    let spare_token = created(app, ada, "/api/v1/tokens", json!({"name": "spare"})).await;
    let plan = created(
        app,
        ada,
        "/api/v1/plans",
        json!({"project_id": project, "goal": "g", "tasks": [
            {"id": "a", "title": "a", "agent_type": "W"},
            {"id": "b", "title": "b", "agent_type": "W", "depends_on": ["a"]}]}),
    )
    .await;
    let task_of = |name: &str| {
        plan["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == name)
            .unwrap()["task_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (pending_task, skipped_task) = (task_of("a"), task_of("b"));
    let plan = id(&plan);
    created(
        app,
        ada,
        &format!("/api/v1/plans/{plan}/tasks/{skipped_task}/skip"),
        json!(null),
    )
    .await;
    let channel = created(
        app,
        ada,
        "/api/v1/channels",
        json!({"project_id": project, "name": "telegram"}),
    )
    .await;
    let helper = |name: String| async move {
        let a = created(
            app,
            &app.admin,
            "/api/v1/assistants",
            json!({"name": name, "model": "m", "assistant_type": "llm"}),
        )
        .await;
        id(&a)
    };
    let (spare_member, outside_assistant) = (
        helper(format!("Spare {n}")).await,
        helper(format!("Outside {n}")).await,
    );
    let squad = created(
        app,
        ada,
        "/api/v1/squads",
        json!({"name": format!("Squad {n}"), "status": "active"}),
    )
    .await;
    let squad = id(&squad);
    let members = format!("/api/v1/squads/{squad}/members");
    created(
        app,
        ada,
        &members,
        json!({"assistant_id": assistant, "role": "writer"}),
    )
    .await;
    created(
        app,
        ada,
        &members,
        json!({"assistant_id": spare_member, "role": "spare"}),
    )
    .await;
    let workflow = created(
        app,
        ada,
        &format!("/api/v1/squads/{squad}/workflows"),
        json!({"name": "Essay", "definition": definition()}),
    )
    .await;
    let template = created(
        app,
        ada,
        "/api/v1/workflow-templates",
        json!({"name": format!("Mine {n}"), "definition": definition()}),
    )
    .await;
    Fixture {
        squad,
        workflow: id(&workflow["workflow"]),
        spare_member,
        outside_assistant,
        template: id(&template),
        channel: id(&channel),
        project,
        task,
        other_task,
        label,
        link: id(&link),
        event,
        attachment: id(&upload.body),
        assistant,
        tool,
        spare_tool: id(&spare_tool),
        thread: id(&thread),
        spare_token: id(&spare_token["token"]),
        plan,
        pending_task,
        skipped_task,
        n,
    }
}
