//! The request each operation of the matrix makes on a fixture.

use poem::http::Method;
use serde_json::{Value, json};

use super::fixture::{self, Fixture, Tokens};

/// The call an operation makes on a fixture: method, path, body.
pub(super) fn call(op: &str, f: &Fixture, tokens: &Tokens) -> (Method, String, Option<Value>) {
    let n = f.n;
    let (p, t, e) = (&f.project, &f.task, &f.event);
    let (a, tool) = (&f.assistant, &f.tool);
    let assistant_body =
        json!({"name": format!("Renamed {n}"), "model": "m2", "assistant_type": "llm"});
    let tool_body = json!({"name": format!("renamed_{n}"), "tool_type": "time", "input_schema": {"type": "object"}});
    let (method, path, body) = match op {
        "get_me" => (Method::GET, "/me".to_owned(), None),
        "create_user" => (
            Method::POST,
            "/users".to_owned(),
            Some(json!({"name": "New"})),
        ),
        "list_users" => (Method::GET, "/users".to_owned(), None),
        "create_token" => (
            Method::POST,
            "/tokens".to_owned(),
            Some(json!({"name": "more"})),
        ),
        "list_tokens" => (
            Method::GET,
            format!("/tokens?user_id={}", tokens.member_id),
            None,
        ),
        "revoke_token" => (Method::DELETE, format!("/tokens/{}", f.spare_token), None),
        "create_project" => (
            Method::POST,
            "/projects".to_owned(),
            Some(json!({"name": "N", "key": format!("N{n}")})),
        ),
        "list_projects" => (Method::GET, "/projects".to_owned(), None),
        "get_project" => (Method::GET, format!("/projects/{p}"), None),
        "add_member" => (
            Method::POST,
            format!("/projects/{p}/members"),
            Some(json!({"kind": "agent", "handle": "bot"})),
        ),
        "list_members" => (Method::GET, format!("/projects/{p}/members"), None),
        "create_label" => (
            Method::POST,
            format!("/projects/{p}/labels"),
            Some(json!({"name": "new"})),
        ),
        "list_labels" => (Method::GET, format!("/projects/{p}/labels"), None),
        "create_task" => (
            Method::POST,
            format!("/projects/{p}/tasks"),
            Some(json!({"title": "three"})),
        ),
        "list_tasks" => (Method::GET, format!("/projects/{p}/tasks"), None),
        "get_task" => (Method::GET, format!("/tasks/{t}"), None),
        "update_task" => (
            Method::PATCH,
            format!("/tasks/{t}"),
            Some(json!({"title": "renamed"})),
        ),
        "add_task_label" => (
            Method::PUT,
            format!("/tasks/{}/labels/{}", f.other_task, f.label),
            None,
        ),
        "remove_task_label" => (
            Method::DELETE,
            format!("/tasks/{t}/labels/{}", f.label),
            None,
        ),
        "list_task_links" => (Method::GET, format!("/tasks/{t}/links"), None),
        "create_task_link" => (
            Method::POST,
            format!("/tasks/{t}/links"),
            Some(json!({"target_task_id": f.other_task, "kind": "relates_to"})),
        ),
        "delete_task_link" => (Method::DELETE, format!("/tasks/{t}/links/{}", f.link), None),
        "create_event" => (
            Method::POST,
            "/events".to_owned(),
            Some(json!({"project_id": p, "type": "chat_message", "payload": {"content": "x"}})),
        ),
        "list_events" => (Method::GET, format!("/events?project_id={p}"), None),
        "get_event" => (Method::GET, format!("/events/{e}"), None),
        "create_attachment" => (
            Method::POST,
            format!("/events/{e}/attachments?filename=b.txt"),
            None,
        ),
        "list_attachments" => (Method::GET, format!("/events/{e}/attachments"), None),
        "download_attachment" => (Method::GET, format!("/attachments/{}", f.attachment), None),
        "create_channel" => (
            Method::POST,
            "/channels".to_owned(),
            Some(json!({"project_id": p, "name": "another"})),
        ),
        "list_channels" => (Method::GET, format!("/channels?project_id={p}"), None),
        "get_channel" => (Method::GET, format!("/channels/{}", f.channel), None),
        "receive_update" => (
            Method::POST,
            format!("/channels/{}/updates", f.channel),
            Some(json!({"update_id": 1, "sender": {"id": "tg:1"}, "text": "hi"})),
        ),
        "get_retention" => (Method::GET, format!("/projects/{p}/retention"), None),
        "set_retention" => (
            Method::PUT,
            format!("/projects/{p}/retention"),
            Some(json!({"max_age_days": 30})),
        ),
        "prune_events" => (Method::POST, format!("/projects/{p}/retention/prune"), None),
        "list_assistants" => (Method::GET, "/assistants".to_owned(), None),
        "create_assistant" => (Method::POST, "/assistants".to_owned(), Some(assistant_body)),
        "get_assistant" => (Method::GET, format!("/assistants/{a}"), None),
        "replace_assistant" => (
            Method::PUT,
            format!("/assistants/{a}"),
            Some(assistant_body),
        ),
        "update_assistant" => (
            Method::PATCH,
            format!("/assistants/{a}"),
            Some(json!({"model": "m3"})),
        ),
        "delete_assistant" => (
            Method::DELETE,
            format!("/assistants/{a}?deactivate=true"),
            None,
        ),
        "list_assistant_tools" => (Method::GET, format!("/assistants/{a}/tools"), None),
        "link_tool" => (
            Method::POST,
            format!("/assistants/{a}/tools/{}", f.spare_tool),
            None,
        ),
        "unlink_tool" => (
            Method::DELETE,
            format!("/assistants/{a}/tools/{tool}"),
            None,
        ),
        "resolve_assistant" => (Method::GET, format!("/assistants/{a}/resolved"), None),
        "assistant_openai_tools" => (
            Method::GET,
            format!("/assistants/{a}/resolved/openai-tools"),
            None,
        ),
        "assistant_thread" => (Method::POST, format!("/assistants/{a}/thread"), None),
        "list_tools" => (Method::GET, "/tools".to_owned(), None),
        "create_tool" => (Method::POST, "/tools".to_owned(), Some(tool_body)),
        "get_tool" => (Method::GET, format!("/tools/{tool}"), None),
        "replace_tool" => (Method::PUT, format!("/tools/{tool}"), Some(tool_body)),
        "update_tool" => (
            Method::PATCH,
            format!("/tools/{tool}"),
            Some(json!({"description": "new"})),
        ),
        "delete_tool" => (Method::DELETE, format!("/tools/{}", f.spare_tool), None),
        "registry_revision" => (Method::GET, "/registry/revision".to_owned(), None),
        "list_threads" => (Method::GET, "/threads".to_owned(), None),
        "touch_thread" => (Method::POST, format!("/threads/{}/touch", f.thread), None),
        "create_plan" => (
            Method::POST,
            "/plans".to_owned(),
            Some(json!({"project_id": p, "goal": "g", "tasks": [{"id": "x", "title": "x"}]})),
        ),
        "list_plans" => (Method::GET, format!("/projects/{p}/plans"), None),
        "get_plan" => (Method::GET, format!("/plans/{}", f.plan), None),
        "abort_plan" => (Method::POST, format!("/plans/{}/abort", f.plan), None),
        "retry_plan_task" => (
            Method::POST,
            format!("/plans/{}/tasks/{}/retry", f.plan, f.skipped_task),
            None,
        ),
        "skip_plan_task" => (
            Method::POST,
            format!("/plans/{}/tasks/{}/skip", f.plan, f.pending_task),
            None,
        ),
        "delete_plan" => (Method::DELETE, format!("/plans/{}", f.plan), None),
        "get_plan_usage" => (Method::GET, format!("/plans/{}/usage", f.plan), None),
        "get_plan_script" => (Method::GET, format!("/plans/{}/script", f.plan), None),
        "create_stream_ticket" => (Method::POST, "/stream-tickets".to_owned(), None),
        "generate_plan" => (
            Method::POST,
            "/plans/generate".to_owned(),
            Some(json!({"project_id": p, "goal": "Plan it"})),
        ),
        "list_squads" => (Method::GET, "/squads".to_owned(), None),
        "create_squad" => (
            Method::POST,
            "/squads".to_owned(),
            Some(json!({"name": "New"})),
        ),
        "get_squad" => (Method::GET, format!("/squads/{}", f.squad), None),
        "replace_squad" => (
            Method::PUT,
            format!("/squads/{}", f.squad),
            Some(json!({"name": "Renamed", "status": "active", "price_per_execution": "0.5"})),
        ),
        "update_squad" => (
            Method::PATCH,
            format!("/squads/{}", f.squad),
            Some(json!({"description": "new"})),
        ),
        "delete_squad" => (Method::DELETE, format!("/squads/{}", f.squad), None),
        "publish_squad" => (Method::POST, format!("/squads/{}/publish", f.squad), None),
        "list_squad_members" => (Method::GET, format!("/squads/{}/members", f.squad), None),
        "add_squad_member" => (
            Method::POST,
            format!("/squads/{}/members", f.squad),
            Some(json!({"assistant_id": f.outside_assistant})),
        ),
        "remove_squad_member" => (
            Method::DELETE,
            format!("/squads/{}/members/{}", f.squad, f.spare_member),
            None,
        ),
        "list_workflows" => (Method::GET, format!("/squads/{}/workflows", f.squad), None),
        "create_workflow" => (
            Method::POST,
            format!("/squads/{}/workflows", f.squad),
            Some(json!({"name": "Another", "definition": fixture::definition()})),
        ),
        "get_workflow" => (Method::GET, format!("/workflows/{}", f.workflow), None),
        "update_workflow" => (
            Method::PATCH,
            format!("/workflows/{}", f.workflow),
            Some(json!({"status": "active"})),
        ),
        "delete_workflow" => (Method::DELETE, format!("/workflows/{}", f.workflow), None),
        "get_workflow_definition" => (
            Method::GET,
            format!("/workflows/{}/definition", f.workflow),
            None,
        ),
        "save_workflow_definition" => (
            Method::PUT,
            format!("/workflows/{}/definition", f.workflow),
            Some(json!({"definition": fixture::definition()})),
        ),
        "list_workflow_versions" => (
            Method::GET,
            format!("/workflows/{}/versions", f.workflow),
            None,
        ),
        "get_workflow_version" => (
            Method::GET,
            format!("/workflows/{}/versions/1", f.workflow),
            None,
        ),
        "list_workflow_templates" => (Method::GET, "/workflow-templates".to_owned(), None),
        "create_workflow_template" => (
            Method::POST,
            "/workflow-templates".to_owned(),
            Some(json!({"name": "Another", "definition": fixture::definition()})),
        ),
        "get_workflow_template" => (
            Method::GET,
            format!("/workflow-templates/{}", f.template),
            None,
        ),
        "replace_workflow_template" => (
            Method::PUT,
            format!("/workflow-templates/{}", f.template),
            Some(json!({"name": "Renamed", "definition": fixture::definition()})),
        ),
        "delete_workflow_template" => (
            Method::DELETE,
            format!("/workflow-templates/{}", f.template),
            None,
        ),
        other => panic!("no call for {other}: add it here and to MATRIX"),
    };
    (method, format!("/api/v1{path}"), body)
}
