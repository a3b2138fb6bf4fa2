//! The authorization matrix: every operation of the served spec, called as the
//! admin, as a member of the project it touches, as a member of another project,
//! with a revoked token and with none. The expected status of each cell is the
//! table below; an operation the table does not name fails the test, so a new
//! operation cannot ship without its row. Each call is valid but for who makes
//! it, on resources of its own, so the status says who may, not what is wrong.

use poem::http::{Method, StatusCode};
use serde_json::json;

mod calls;
mod fixture;

use self::calls::call;
use self::fixture::{Tokens, fixture};
use crate::helpers::{TestApp, api_test, id};

api_test!(every_operation_answers_each_caller_as_the_matrix_says);

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Admin,
    Member,
    Outsider,
    Revoked,
    Anonymous,
}

const CALLERS: [Caller; 5] = [
    Caller::Admin,
    Caller::Member,
    Caller::Outsider,
    Caller::Revoked,
    Caller::Anonymous,
];

/// An operation's expected status for the admin, a member and an outsider; a
/// revoked token and none answer 401 everywhere. A registry write is the
/// admin's alone (403 for anyone else); what belongs to a project is hidden
/// from outsiders (404, as if it did not exist).
#[rustfmt::skip]
const MATRIX: &[(&str, [u16; 3])] = &[
    // accounts
    ("get_me",                 [200, 200, 200]),
    ("create_user",            [201, 403, 403]),
    ("list_users",             [200, 403, 403]),
    ("create_token",           [201, 201, 201]),
    ("list_tokens",            [200, 200, 404]),
    ("revoke_token",           [200, 200, 404]),
    // projects
    ("create_project",         [201, 201, 201]),
    ("list_projects",          [200, 200, 200]),
    ("get_project",            [200, 200, 404]),
    ("add_member",             [201, 201, 404]),
    ("list_members",           [200, 200, 404]),
    ("create_label",           [201, 201, 404]),
    ("list_labels",            [200, 200, 404]),
    // tasks
    ("create_task",            [201, 201, 404]),
    ("list_tasks",             [200, 200, 404]),
    ("get_task",               [200, 200, 404]),
    ("update_task",            [200, 200, 404]),
    ("add_task_label",         [200, 200, 404]),
    ("remove_task_label",      [200, 200, 404]),
    ("list_task_links",        [200, 200, 404]),
    ("create_task_link",       [201, 201, 404]),
    ("delete_task_link",       [204, 204, 404]),
    // the log
    ("create_event",           [201, 201, 404]),
    ("list_events",            [200, 200, 404]),
    ("get_event",              [200, 200, 404]),
    ("create_attachment",      [201, 201, 404]),
    ("list_attachments",       [200, 200, 404]),
    ("download_attachment",    [200, 200, 404]),
    // the registry: everyone reads, the admin writes
    ("list_assistants",        [200, 200, 200]),
    ("create_assistant",       [201, 403, 403]),
    ("get_assistant",          [200, 200, 200]),
    ("replace_assistant",      [200, 403, 403]),
    ("update_assistant",       [200, 403, 403]),
    ("delete_assistant",       [204, 403, 403]),
    ("list_assistant_tools",   [200, 200, 200]),
    ("link_tool",              [201, 403, 403]),
    ("unlink_tool",            [204, 403, 403]),
    ("resolve_assistant",      [200, 200, 200]),
    ("assistant_openai_tools", [200, 200, 200]),
    ("list_tools",             [200, 200, 200]),
    ("create_tool",            [201, 403, 403]),
    ("get_tool",               [200, 200, 200]),
    ("replace_tool",           [200, 403, 403]),
    ("update_tool",            [200, 403, 403]),
    ("delete_tool",            [204, 403, 403]),
    ("registry_revision",      [200, 200, 200]),
    // threads: each user's own
    ("assistant_thread",       [200, 200, 200]),
    ("list_threads",           [200, 200, 200]),
    ("touch_thread",           [404, 200, 404]),
    // plans: as their project
    ("create_plan",            [201, 201, 404]),
    ("list_plans",             [200, 200, 404]),
    ("get_plan",               [200, 200, 404]),
    ("abort_plan",             [200, 200, 404]),
    ("retry_plan_task",        [200, 200, 404]),
    ("skip_plan_task",         [200, 200, 404]),
    ("delete_plan",            [204, 204, 404]),
    ("get_plan_usage",         [200, 200, 404]),
    ("get_plan_script",        [200, 200, 404]),
    // the fixture's server has no model provider: 409 once the project is seen
    ("generate_plan",          [409, 409, 404]),
    // inbound channels: as their project
    ("create_channel",         [201, 201, 404]),
    ("list_channels",          [200, 200, 404]),
    ("get_channel",            [200, 200, 404]),
    ("receive_update",         [201, 201, 404]),
    // retention: members read it; only an admin changes it or prunes (409
    // until the fixture's project has a setting)
    ("get_retention",          [200, 200, 404]),
    ("set_retention",          [200, 403, 404]),
    ("prune_events",           [409, 403, 404]),
    // live feeds: anyone signed in may ask for a ticket
    ("create_stream_ticket",   [201, 201, 201]),
    // squads: anyone signed in makes one; the member's squad is theirs (and
    // an admin's); unpublished, it does not exist for anyone else
    ("list_squads",            [200, 200, 200]),
    ("create_squad",           [201, 201, 201]),
    ("get_squad",              [200, 200, 404]),
    ("replace_squad",          [200, 200, 404]),
    ("update_squad",           [200, 200, 404]),
    ("delete_squad",           [204, 204, 404]),
    ("publish_squad",          [200, 200, 404]),
    ("list_squad_members",     [200, 200, 404]),
    ("add_squad_member",       [201, 201, 404]),
    ("remove_squad_member",    [204, 204, 404]),
    ("list_workflows",         [200, 200, 404]),
    ("create_workflow",        [201, 201, 404]),
    ("get_workflow",           [200, 200, 404]),
    ("update_workflow",        [200, 200, 404]),
    ("delete_workflow",        [204, 204, 404]),
    ("get_workflow_definition", [200, 200, 404]),
    ("save_workflow_definition", [200, 200, 404]),
    ("list_workflow_versions", [200, 200, 404]),
    ("get_workflow_version",   [200, 200, 404]),
    // templates: everyone reads; the member's own are theirs (and an admin's)
    ("list_workflow_templates", [200, 200, 200]),
    ("create_workflow_template", [201, 201, 201]),
    ("get_workflow_template",  [200, 200, 200]),
    ("replace_workflow_template", [200, 200, 403]),
    ("delete_workflow_template", [204, 204, 403]),
];

/// Every operation id of the served spec, with its method and path.
async fn spec_operations(app: &TestApp) -> Vec<(String, String)> {
    let spec = app.get("/api/v1/openapi.json", &app.admin).await.body;
    let mut operations = Vec::new();
    for (path, methods) in spec["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            operations.push((id, format!("{} {path}", method.to_uppercase())));
        }
    }
    operations
}

async fn every_operation_answers_each_caller_as_the_matrix_says(app: TestApp) {
    let member = app.user("Ada").await;
    let member_id = app.get("/api/v1/me", &member).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsider = app.user("Eve").await;
    let issued = app
        .post("/api/v1/tokens", &member, json!({"name": "old"}))
        .await;
    let revoked = issued.body["secret"].as_str().unwrap().to_owned();
    let old = id(&issued.body["token"]);
    app.call(
        Method::DELETE,
        &format!("/api/v1/tokens/{old}"),
        Some(&member),
        None,
    )
    .await;
    let tokens = Tokens {
        member,
        member_id,
        outsider,
        revoked,
    };

    let operations = spec_operations(&app).await;
    let unlisted: Vec<&String> = operations
        .iter()
        .map(|(op, _)| op)
        .filter(|op| !MATRIX.iter().any(|(row, _)| row == op))
        .collect();
    assert!(
        unlisted.is_empty(),
        "operations without a row in MATRIX: {unlisted:?}"
    );
    for (row, _) in MATRIX {
        assert!(
            operations.iter().any(|(op, _)| op == row),
            "{row} is not in the spec"
        );
    }

    let mut wrong = Vec::new();
    let mut n = 0;
    for (op, route) in &operations {
        let expected = MATRIX.iter().find(|(row, _)| row == op).unwrap().1;
        let mut f = None;
        for caller in CALLERS {
            // A refused token touches nothing: it may reuse the last fixture.
            if f.is_none() || !matches!(caller, Caller::Revoked | Caller::Anonymous) {
                n += 1;
                f = Some(fixture(&app, &tokens, n).await);
            }
            let f = f.as_ref().unwrap();
            let (method, path, body) = call(op, f, &tokens);
            let token = match caller {
                Caller::Admin => Some(app.admin.as_str()),
                Caller::Member => Some(tokens.member.as_str()),
                Caller::Outsider => Some(tokens.outsider.as_str()),
                Caller::Revoked => Some(tokens.revoked.as_str()),
                Caller::Anonymous => None,
            };
            let payload = if op == "create_attachment" {
                Some(("application/octet-stream", b"xyz".to_vec()))
            } else {
                body.map(|b| ("application/json", b.to_string().into_bytes()))
            };
            let reply = app.send(method, &path, token, payload, &[]).await;
            let want = match caller {
                Caller::Admin => expected[0],
                Caller::Member => expected[1],
                Caller::Outsider => expected[2],
                Caller::Revoked | Caller::Anonymous => 401,
            };
            if reply.status != StatusCode::from_u16(want).unwrap() {
                wrong.push(format!(
                    "{op} ({route}) as {caller:?}: {} not {want}: {}",
                    reply.status.as_u16(),
                    reply.body
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
