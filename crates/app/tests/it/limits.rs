//! Every limit of `docs/api.md`'s table, at the limit and one past it: the answer
//! past it is a 4xx problem, and nothing is written.

use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, assert_problem};

api_test!(
    a_json_body_is_read_up_to_its_limit_and_refused_past_it,
    a_body_without_a_length_is_refused_once_it_passes_the_limit,
    a_message_mentions_at_most_fifty_members,
    the_longest_description_and_instructions_can_be_written_and_edited,
    a_task_carries_at_most_fifty_labels,
    a_resolved_tree_holds_at_most_a_thousand_tools,
    every_list_pages_at_most_two_hundred,
    a_plan_holds_at_most_a_thousand_tasks_each_naming_at_most_a_hundred,
);

/// The JSON body limit of the test app (the default, 1 MiB).
const JSON_LIMIT: usize = 1024 * 1024;

/// A chat message of exactly `size` bytes of JSON (padded with white space).
fn message_of(project: &str, size: usize) -> Vec<u8> {
    let mut body = json!({"project_id": project, "type": "chat_message",
                          "payload": {"content": "padded"}})
    .to_string()
    .into_bytes();
    let close = body.pop().unwrap();
    body.resize(size - 1, b' ');
    body.push(close);
    body
}

async fn messages(app: &TestApp, token: &str, project: &str) -> usize {
    app.feed_types(token, &format!("project_id={project}&types=chat_message"))
        .await
        .len()
}

async fn a_json_body_is_read_up_to_its_limit_and_refused_past_it(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let post = |body: Vec<u8>| {
        let (app, ada) = (&app, &ada);
        async move {
            app.send(
                Method::POST,
                "/api/v1/events",
                Some(ada),
                Some(("application/json", body)),
                &[],
            )
            .await
        }
    };
    let at = post(message_of(&project, JSON_LIMIT)).await;
    assert_eq!(at.status, StatusCode::CREATED, "{at:?}");
    let past = post(message_of(&project, JSON_LIMIT + 1)).await;
    assert_problem(&past, StatusCode::PAYLOAD_TOO_LARGE, "too-large");
    assert_eq!(messages(&app, &ada, &project).await, 1);
}

async fn a_body_without_a_length_is_refused_once_it_passes_the_limit(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let chunks = |body: Vec<u8>| {
        body.chunks(64 * 1024)
            .map(<[u8]>::to_vec)
            .collect::<Vec<_>>()
    };
    let at = app
        .send_streamed(
            "/api/v1/events",
            &ada,
            chunks(message_of(&project, JSON_LIMIT)),
        )
        .await;
    assert_eq!(at.status, StatusCode::CREATED, "{at:?}");
    let past = app
        .send_streamed(
            "/api/v1/events",
            &ada,
            chunks(message_of(&project, JSON_LIMIT + 1)),
        )
        .await;
    assert_problem(&past, StatusCode::PAYLOAD_TOO_LARGE, "too-large");
    // Far past it: refused once the limit is read, not after reading it all.
    let endless = vec![b' '; 64 * 1024];
    let flood = app
        .send_streamed("/api/v1/events", &ada, vec![endless; 1024])
        .await;
    assert_problem(&flood, StatusCode::PAYLOAD_TOO_LARGE, "too-large");
    assert_eq!(messages(&app, &ada, &project).await, 1);
}

async fn a_message_mentions_at_most_fifty_members(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let say = |content: String| {
        let (app, ada, project) = (&app, &ada, &project);
        async move {
            app.post(
                "/api/v1/events",
                ada,
                json!({"project_id": project, "type": "chat_message", "payload": {"content": content}}),
            )
            .await
        }
    };
    let fifty: String = (0..50).map(|n| format!("@member{n} ")).collect();
    let at = say(fifty.clone()).await;
    assert_eq!(at.status, StatusCode::CREATED, "{at:?}");
    assert_eq!(at.body["payload"].get("mentions"), None::<&Value>);
    let past = say(format!("{fifty} @member50")).await;
    assert_problem(&past, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(past.body["field"], "payload.mentions");
    let repeated = say("@member0 ".repeat(3_000)).await;
    assert_eq!(repeated.status, StatusCode::CREATED, "{repeated:?}");
    assert_eq!(messages(&app, &ada, &project).await, 2);
}

async fn the_longest_description_and_instructions_can_be_written_and_edited(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let task = app.task(&ada, &project, "long").await;
    let path = format!("/api/v1/tasks/{}", task["id"].as_str().unwrap());
    for fill in ['a', 'b'] {
        let at = app
            .patch(
                &path,
                &ada,
                json!({"description": fill.to_string().repeat(100_000)}),
            )
            .await;
        assert_eq!(at.status, StatusCode::OK, "{:?}", at.status);
    }
    let past = app
        .patch(&path, &ada, json!({"description": "c".repeat(100_001)}))
        .await;
    assert_problem(&past, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let edit = app
        .get(
            &format!(
                "/api/v1/events?task_id={}&types=task_updated&limit=1",
                task["id"].as_str().unwrap()
            ),
            &ada,
        )
        .await;
    let change = &edit.body["events"][0]["payload"];
    assert_eq!(change["field"], "description");
    assert_eq!(change["from"]["bytes"], 100_002);
    assert_eq!(change["to"]["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(app.get(&path, &ada).await.body["version"], 3);

    let assistant = app
        .post(
            "/api/v1/assistants",
            &app.admin,
            json!({"name": "Long", "model": "m", "assistant_type": "llm", "instructions": "i".repeat(100_000)}),
        )
        .await;
    assert_eq!(assistant.status, StatusCode::CREATED);
    let edited = app
        .patch(
            &format!(
                "/api/v1/assistants/{}",
                assistant.body["id"].as_str().unwrap()
            ),
            &app.admin,
            json!({"instructions": "j".repeat(100_000)}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK);
}

async fn a_task_carries_at_most_fifty_labels(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let mut labels = Vec::new();
    for n in 0..51 {
        let label = app
            .post(
                &format!("/api/v1/projects/{project}/labels"),
                &ada,
                json!({"name": format!("l{n}")}),
            )
            .await;
        labels.push(label.body["id"].clone());
    }
    let tasks = format!("/api/v1/projects/{project}/tasks");
    let past = app
        .post(&tasks, &ada, json!({"title": "t", "labels": labels}))
        .await;
    assert_problem(&past, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let extra = labels.pop().unwrap();
    let at = app
        .post(&tasks, &ada, json!({"title": "t", "labels": labels}))
        .await;
    assert_eq!(at.status, StatusCode::CREATED, "{at:?}");
    let one_more = app
        .call(
            Method::PUT,
            &format!(
                "/api/v1/tasks/{}/labels/{}",
                at.body["id"].as_str().unwrap(),
                extra.as_str().unwrap()
            ),
            Some(&ada),
            None,
        )
        .await;
    assert_problem(&one_more, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(
        app.get(&tasks, &ada).await.body["tasks"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Ten tools delegating to one assistant with 99 tools: each shows the 99 again,
/// 1000 tools in all. A registry of 110 tools could describe a far larger tree.
async fn a_resolved_tree_holds_at_most_a_thousand_tools(app: TestApp) {
    let plain = |n: usize| {
        json!({"name": format!("leaf_{n}"), "tool_type": "time",
                                  "input_schema": {"type": "object"}})
    };
    let delegating = |n: usize| {
        json!({"name": format!("ask_{n}"), "tool_type": "sub_assistant",
                                       "input_schema": {"type": "object"}, "sub_assistant": "Leaf"})
    };
    let tools: Vec<Value> = (0..100).map(plain).chain((0..10).map(delegating)).collect();
    let document = json!({
        "format": "agentry.registry/1",
        "assistants": [
            {"name": "Leaf", "model": "m", "assistant_type": "llm",
             "tools": (0..99).map(|n| format!("leaf_{n}")).collect::<Vec<_>>()},
            {"name": "Root", "model": "m", "assistant_type": "llm",
             "tools": (0..10).map(|n| format!("ask_{n}")).collect::<Vec<_>>()},
        ],
        "tools": tools,
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("registry.json");
    std::fs::write(&file, document.to_string()).unwrap();
    crate::registry_import::migrate(
        &app.database_url,
        &["import-assistants", file.to_str().unwrap()],
    )
    .await
    .unwrap();
    let named = async |list: &str, name: &str| {
        let listed = app
            .get(&format!("/api/v1/{list}?limit=200"), &app.admin)
            .await;
        let found = listed.body[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name);
        found.unwrap()["id"].as_str().unwrap().to_owned()
    };
    let root = named("assistants", "Root").await;
    let resolved = format!("/api/v1/assistants/{root}/resolved");

    let at = app.get(&resolved, &app.admin).await;
    assert_eq!(at.status, StatusCode::OK, "{:?}", at.status);
    let leaves = at.body["tools"][0]["sub_assistant"]["tools"]
        .as_array()
        .unwrap();
    assert_eq!(leaves.len(), 99);

    let extra = named("tools", "leaf_99").await;
    let linked = app
        .post(
            &format!("/api/v1/assistants/{root}/tools/{extra}"),
            &app.admin,
            json!(null),
        )
        .await;
    assert!(linked.status.is_success(), "{linked:?}");
    let past = app.get(&resolved, &app.admin).await;
    assert_problem(&past, StatusCode::CONFLICT, "conflict");
    assert!(past.body["detail"].as_str().unwrap().contains("1000 tools"));
}

async fn every_list_pages_at_most_two_hundred(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    for list in [
        format!("/api/v1/projects/{project}/tasks?"),
        format!("/api/v1/events?project_id={project}&"),
        "/api/v1/assistants?".to_owned(),
        "/api/v1/tools?".to_owned(),
    ] {
        for (limit, status) in [(200, StatusCode::OK), (1, StatusCode::OK)] {
            let reply = app.get(&format!("{list}limit={limit}"), &app.admin).await;
            assert_eq!(reply.status, status, "{list} {limit}");
        }
        for limit in [0, 201] {
            let reply = app.get(&format!("{list}limit={limit}"), &app.admin).await;
            assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
            assert_eq!(reply.body["field"], "limit", "{list}");
        }
    }
}

async fn a_plan_holds_at_most_a_thousand_tasks_each_naming_at_most_a_hundred(app: TestApp) {
    let (project, _) = app.project(&app.admin, "PL").await;
    let submit = |goal: String, tasks: Vec<Value>| json!({"project_id": project, "goal": goal, "tasks": tasks});
    let plain = |i: usize| json!({"id": format!("t{i}"), "title": "t"});
    let plans_path = format!("/api/v1/projects/{project}/plans");
    // Past each limit: 422 naming the field, and nothing written.
    let mut deps: Vec<Value> = (0..=100).map(plain).collect();
    let names: Vec<String> = (0..=100).map(|i| format!("t{i}")).collect();
    deps.push(json!({"id": "last", "title": "t", "depends_on": names}));
    let long_id = json!({"id": "x".repeat(65), "title": "t"});
    let retries = json!({"id": "r", "title": "t", "max_retries": 11});
    for (body, field) in [
        (submit("g".into(), (0..1001).map(plain).collect()), "tasks"),
        (submit("g".into(), deps), "tasks[101].depends_on"),
        (submit("g".repeat(10_001), vec![plain(0)]), "goal"),
        (submit("g".into(), vec![long_id]), "tasks[0].id"),
        (submit("g".into(), vec![retries]), "tasks[0].max_retries"),
    ] {
        let reply = app.post("/api/v1/plans", &app.admin, body).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(reply.body["field"], field, "{}", reply.body);
    }
    let listed = app.get(&plans_path, &app.admin).await;
    assert!(listed.body["plans"].as_array().unwrap().is_empty());
    // At each limit: accepted.
    let reply = app
        .post(
            "/api/v1/plans",
            &app.admin,
            submit("g".repeat(10_000), (0..1000).map(plain).collect()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["tasks"].as_array().unwrap().len(), 1000);
    let mut deps: Vec<Value> = (0..100).map(plain).collect();
    let names: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    deps.push(json!({"id": "x".repeat(64), "title": "t", "depends_on": names, "max_retries": 10}));
    let reply = app
        .post("/api/v1/plans", &app.admin, submit("g".into(), deps))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let listed = app.get(&plans_path, &app.admin).await;
    assert_eq!(listed.body["plans"].as_array().unwrap().len(), 2);
}
