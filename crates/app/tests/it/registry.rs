//! The assistant registry over HTTP: writes, revisions and `If-Match`, loops,
//! schemas, usage checks, paging and threads.

use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, assert_problem, id};

api_test!(
    an_admin_registers_an_assistant_with_a_tool_and_reads_it_back_resolved,
    a_stale_if_match_answers_412_and_changes_nothing,
    a_sub_assistant_loop_answers_409_naming_it,
    a_broken_input_schema_answers_422_and_writes_nothing,
    an_assistant_in_use_is_not_deleted_but_can_be_deactivated,
    an_agent_member_is_an_assistant_which_then_cannot_be_deleted,
    duplicates_answer_409_and_lists_filter_and_page_by_name,
    each_user_has_one_thread_per_assistant_and_only_touches_their_own,
);

fn assistant(name: &str) -> Value {
    json!({"name": name, "model": "gpt-4o", "instructions": format!("You are {name}."),
           "assistant_type": "llm"})
}

fn weather_tool() -> Value {
    json!({"name": "get_weather", "tool_type": "weather", "description": "Weather for a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                            "required": ["city"]}})
}

fn delegating(name: &str, to: &str) -> Value {
    json!({"name": name, "tool_type": "sub_assistant", "assistant_id": to,
           "input_schema": {"type": "object", "properties": {"question": {"type": "string"}}}})
}

impl TestApp {
    async fn created(&self, path: &str, body: Value) -> String {
        let reply = self.post(path, &self.admin, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        id(&reply.body)
    }

    async fn patch_if_match(&self, path: &str, body: Value, etag: &str) -> crate::helpers::Reply {
        let body = Some(("application/json", body.to_string().into_bytes()));
        self.send(
            Method::PATCH,
            path,
            Some(&self.admin),
            body,
            &[("If-Match", etag)],
        )
        .await
    }

    async fn link(&self, assistant: &str, tool: &str) -> crate::helpers::Reply {
        self.post(
            &format!("/api/v1/assistants/{assistant}/tools/{tool}"),
            &self.admin,
            json!(null),
        )
        .await
    }
}

async fn an_admin_registers_an_assistant_with_a_tool_and_reads_it_back_resolved(app: TestApp) {
    let secretary = app
        .created("/api/v1/assistants", assistant("Secretary"))
        .await;
    let helper = app.created("/api/v1/assistants", assistant("Helper")).await;
    let weather = app.created("/api/v1/tools", weather_tool()).await;
    let ask_helper = app
        .created("/api/v1/tools", delegating("ask_helper", &helper))
        .await;
    assert_eq!(
        app.link(&secretary, &weather).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.link(&secretary, &ask_helper).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.link(&helper, &weather).await.status,
        StatusCode::CREATED
    );

    let resolved = app
        .get(
            &format!("/api/v1/assistants/{secretary}/resolved"),
            &app.admin,
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{resolved:?}");
    let tools = resolved.body["tools"].as_array().unwrap();
    let names: Vec<&str> = tools
        .iter()
        .map(|t| t["tool"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ask_helper", "get_weather"]);
    assert_eq!(tools[0]["sub_assistant"]["assistant"]["name"], "Helper");
    assert_eq!(
        tools[0]["sub_assistant"]["tools"][0]["tool"]["name"],
        "get_weather"
    );

    let openai = app
        .get(
            &format!("/api/v1/assistants/{secretary}/resolved/openai-tools"),
            &app.admin,
        )
        .await;
    assert_eq!(
        openai.body["tools"][1],
        json!({"type": "function", "function": {"name": "get_weather",
               "description": "Weather for a city", "parameters": weather_tool()["input_schema"]}})
    );

    // Anyone signed in reads; only admins write.
    let ada = app.user("Ada").await;
    assert_eq!(
        app.get(&format!("/api/v1/assistants/{secretary}"), &ada)
            .await
            .status,
        StatusCode::OK
    );
    let refused = app
        .post("/api/v1/assistants", &ada, assistant("Mine"))
        .await;
    assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");

    let logged = app
        .get(
            "/api/v1/events?types=assistant_created,tool_created,tool_linked&limit=50",
            &app.admin,
        )
        .await;
    assert_eq!(
        logged.body["events"].as_array().unwrap().len(),
        2 + 2 + 3,
        "{logged:?}"
    );
    let revision = app.get("/api/v1/registry/revision", &ada).await;
    assert_eq!(revision.body["revision"], 7);
}

async fn a_stale_if_match_answers_412_and_changes_nothing(app: TestApp) {
    let planner = app
        .created("/api/v1/assistants", assistant("Planner"))
        .await;
    let path = format!("/api/v1/assistants/{planner}");
    let first = app
        .patch_if_match(&path, json!({"model": "gpt-5"}), "\"1\"")
        .await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    assert_eq!(first.headers["etag"], "\"2\"");
    let stale = app
        .patch_if_match(&path, json!({"model": "o3"}), "\"1\"")
        .await;
    assert_problem(&stale, StatusCode::PRECONDITION_FAILED, "stale-version");
    let now = app.get(&path, &app.admin).await;
    assert_eq!(
        (now.body["model"].as_str(), now.body["revision"].as_i64()),
        (Some("gpt-5"), Some(2))
    );
    let changed = app
        .get(
            "/api/v1/events?types=assistant_updated&limit=10",
            &app.admin,
        )
        .await;
    assert_eq!(
        changed.body["events"][0]["payload"]["changes"],
        json!([{"field": "model", "from": "gpt-4o", "to": "gpt-5"}])
    );
}

async fn a_sub_assistant_loop_answers_409_naming_it(app: TestApp) {
    let alpha = app.created("/api/v1/assistants", assistant("Alpha")).await;
    let beta = app.created("/api/v1/assistants", assistant("Beta")).await;
    let ask_beta = app
        .created("/api/v1/tools", delegating("ask_beta", &beta))
        .await;
    let ask_alpha = app
        .created("/api/v1/tools", delegating("ask_alpha", &alpha))
        .await;
    assert_eq!(
        app.link(&alpha, &ask_beta).await.status,
        StatusCode::CREATED
    );
    let looped = app.link(&beta, &ask_alpha).await;
    assert_problem(&looped, StatusCode::CONFLICT, "conflict");
    assert!(
        looped.body["detail"]
            .as_str()
            .unwrap()
            .contains("Beta → Alpha → Beta"),
        "{looped:?}"
    );
    let tools = app
        .get(&format!("/api/v1/assistants/{beta}/tools"), &app.admin)
        .await;
    assert_eq!(tools.body, json!([]));
}

async fn a_broken_input_schema_answers_422_and_writes_nothing(app: TestApp) {
    for (schema, field) in [
        (json!({"type": "objekt"}), "input_schema"),
        (json!({"type": "string"}), "input_schema"),
    ] {
        let mut tool = weather_tool();
        tool["input_schema"] = schema;
        let reply = app.post("/api/v1/tools", &app.admin, tool).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(reply.body["field"], field);
    }
    let mut bad_name = weather_tool();
    bad_name["name"] = json!("get weather");
    let reply = app.post("/api/v1/tools", &app.admin, bad_name).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let orphan = app
        .post(
            "/api/v1/tools",
            &app.admin,
            delegating("ask_nobody", "01a202a7-99f1-73cd-9858-4075c5ed4a74"),
        )
        .await;
    assert_problem(&orphan, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(
        app.get("/api/v1/tools", &app.admin).await.body,
        json!({"tools": []})
    );
    assert_eq!(
        app.get("/api/v1/registry/revision", &app.admin).await.body["revision"],
        0
    );
}

async fn an_assistant_in_use_is_not_deleted_but_can_be_deactivated(app: TestApp) {
    let helper = app.created("/api/v1/assistants", assistant("Helper")).await;
    app.created("/api/v1/tools", delegating("ask_helper", &helper))
        .await;
    let path = format!("/api/v1/assistants/{helper}");
    let refused = app
        .call(Method::DELETE, &path, Some(&app.admin), None)
        .await;
    assert_problem(&refused, StatusCode::CONFLICT, "conflict");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("ask_helper"),
        "{refused:?}"
    );

    let deactivated = app
        .call(
            Method::DELETE,
            &format!("{path}?deactivate=true"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(
        deactivated.status,
        StatusCode::NO_CONTENT,
        "{deactivated:?}"
    );
    assert_eq!(app.get(&path, &app.admin).await.body["is_active"], false);

    let unused = app.created("/api/v1/assistants", assistant("Unused")).await;
    let gone = app
        .call(
            Method::DELETE,
            &format!("/api/v1/assistants/{unused}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{gone:?}");
}

async fn an_agent_member_is_an_assistant_which_then_cannot_be_deleted(app: TestApp) {
    let coder = app.created("/api/v1/assistants", assistant("Coder")).await;
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let members = format!("/api/v1/projects/{project}/members");
    let agent = app
        .post(
            &members,
            &ada,
            json!({"kind": "agent", "handle": "coder", "assistant_id": coder}),
        )
        .await;
    assert_eq!(agent.status, StatusCode::CREATED, "{agent:?}");
    assert_eq!(agent.body["assistant_id"], coder.as_str());
    for bad in [
        json!({"kind": "human", "user_id": null, "handle": "x", "assistant_id": coder}),
        json!({"kind": "agent", "handle": "ghost", "assistant_id": "01a202a7-99f1-73cd-9858-4075c5ed4a74"}),
    ] {
        let reply = app.post(&members, &ada, bad).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    }
    let refused = app
        .call(
            Method::DELETE,
            &format!("/api/v1/assistants/{coder}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_problem(&refused, StatusCode::CONFLICT, "conflict");
    assert!(
        refused.body["detail"].as_str().unwrap().contains("@coder"),
        "{refused:?}"
    );
}

async fn duplicates_answer_409_and_lists_filter_and_page_by_name(app: TestApp) {
    for name in ["Delta", "Alpha", "Charlie", "Bravo"] {
        app.created("/api/v1/assistants", assistant(name)).await;
    }
    let mut openai = assistant("Echo");
    openai["assistant_type"] = json!("openai_api");
    openai["openai_assistant_id"] = json!("asst_1");
    openai["is_active"] = json!(false);
    app.created("/api/v1/assistants", openai).await;
    let twin = app
        .post("/api/v1/assistants", &app.admin, assistant("Alpha"))
        .await;
    assert_problem(&twin, StatusCode::CONFLICT, "conflict");

    let names = |reply: crate::helpers::Reply| -> Vec<String> {
        reply.body["assistants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = app.get("/api/v1/assistants?limit=2", &app.admin).await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(names(page), ["Alpha", "Bravo"]);
    let next = app
        .get(
            &format!("/api/v1/assistants?limit=2&cursor={cursor}"),
            &app.admin,
        )
        .await;
    assert_eq!(names(next), ["Charlie", "Delta"]);
    let inactive = app
        .get("/api/v1/assistants?is_active=false", &app.admin)
        .await;
    assert_eq!(names(inactive), ["Echo"]);
    let llm = app
        .get("/api/v1/assistants?assistant_type=llm", &app.admin)
        .await;
    assert_eq!(names(llm).len(), 4);
    let too_many = app.get("/api/v1/assistants?limit=500", &app.admin).await;
    assert_problem(&too_many, StatusCode::UNPROCESSABLE_ENTITY, "validation");

    let alpha = id(&app.get("/api/v1/assistants?limit=1", &app.admin).await.body["assistants"][0]);
    let weather = app.created("/api/v1/tools", weather_tool()).await;
    let again = app.post("/api/v1/tools", &app.admin, weather_tool()).await;
    assert_problem(&again, StatusCode::CONFLICT, "conflict");
    assert_eq!(app.link(&alpha, &weather).await.status, StatusCode::CREATED);
    assert_problem(
        &app.link(&alpha, &weather).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let tools = app.get("/api/v1/tools?tool_type=weather", &app.admin).await;
    assert_eq!(tools.body["tools"].as_array().unwrap().len(), 1);

    let mut clock = weather_tool();
    clock["name"] = json!("get_time");
    clock["tool_type"] = json!("time");
    app.created("/api/v1/tools", clock).await;
    let first = app.get("/api/v1/tools?limit=1", &app.admin).await.body;
    assert_eq!(first["tools"][0]["name"], "get_time");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/api/v1/tools?limit=1&cursor={cursor}"),
            &app.admin,
        )
        .await
        .body;
    assert_eq!(second["tools"][0]["name"], "get_weather", "{second}");
    assert!(second.get("next_cursor").is_none(), "{second}");
    // A cursor names a place in its own list only.
    let misplaced = app
        .get(&format!("/api/v1/assistants?cursor={cursor}"), &app.admin)
        .await;
    assert_problem(&misplaced, StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

async fn each_user_has_one_thread_per_assistant_and_only_touches_their_own(app: TestApp) {
    let planner = app
        .created("/api/v1/assistants", assistant("Planner"))
        .await;
    let (ada, bob) = (app.user("Ada").await, app.user("Bob").await);
    let path = format!("/api/v1/assistants/{planner}/thread");
    let first = app.post(&path, &ada, json!(null)).await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let again = app.post(&path, &ada, json!(null)).await;
    assert_eq!(again.body["thread_id"], first.body["thread_id"]);
    let bobs = app.post(&path, &bob, json!(null)).await;
    assert_ne!(bobs.body["thread_id"], first.body["thread_id"]);

    let touch = format!("/api/v1/threads/{}/touch", id(&first.body));
    assert_eq!(
        app.post(&touch, &ada, json!(null)).await.status,
        StatusCode::OK
    );
    assert_problem(
        &app.post(&touch, &bob, json!(null)).await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    let listed = app.get("/api/v1/threads", &ada).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
}
