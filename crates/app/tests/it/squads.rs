//! Squads and workflows over HTTP: the README's flow, sealing at rest (no
//! plaintext in any table or event), key rotation, refusals that write
//! nothing, stale saves, templates used concurrently, and the rules tying
//! squads to the registry.

use poem::http::{Method, StatusCode};
use sea_orm::{ConnectionTrait as _, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, assert_problem, id};
use crate::registry_import::migrate;

api_test!(
    a_squad_of_two_runs_a_template_and_keeps_every_version,
    no_table_and_no_event_holds_a_definition_in_the_clear,
    bad_definitions_and_prices_are_refused_by_field_and_write_nothing,
    a_stale_save_is_refused_and_a_template_counts_each_use,
    versions_rotate_to_a_new_key_and_altered_rows_do_not_open,
    without_a_key_nothing_is_saved_and_the_answer_says_how,
    an_assistant_in_a_squad_is_not_deleted_and_a_named_member_not_removed,
    built_in_templates_install_once_and_keep_an_admins_edit,
);

const MARKER: &str = "zebra-quokka-7731";

async fn assistant(app: &TestApp, name: &str) -> String {
    let reply = app
        .post(
            "/api/v1/assistants",
            &app.admin,
            json!({"name": name, "model": "gpt-4o", "assistant_type": "llm"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    id(&reply.body)
}

/// A squad of `token`'s with a writer and a reviewer.
async fn squad(app: &TestApp, token: &str) -> (String, String, String) {
    let writer = assistant(app, &format!("Writer {token:.12}")).await;
    let reviewer = assistant(app, &format!("Reviewer {token:.12}")).await;
    let squad = app
        .post(
            "/api/v1/squads",
            token,
            json!({"name": "Editorial", "status": "active", "price_per_execution": "0.25"}),
        )
        .await;
    assert_eq!(squad.status, StatusCode::CREATED, "{squad:?}");
    assert_eq!(squad.body["price_per_execution"], "0.250000");
    let squad = id(&squad.body);
    for (assistant, role) in [(&writer, "writer"), (&reviewer, "reviewer")] {
        let added = app
            .post(
                &format!("/api/v1/squads/{squad}/members"),
                token,
                json!({"assistant_id": assistant, "role": role}),
            )
            .await;
        assert_eq!(added.status, StatusCode::CREATED, "{added:?}");
    }
    (squad, writer, reviewer)
}

fn one_step(instructions: &str) -> Value {
    json!({"nodes": [{"id": "write", "type": "agent", "role": "writer", "instructions": instructions}], "edges": []})
}

async fn workflow(app: &TestApp, token: &str, squad: &str, definition: Value) -> (String, String) {
    let reply = app
        .post(
            &format!("/api/v1/squads/{squad}/workflows"),
            token,
            json!({"name": "Essay", "definition": definition}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let etag = reply.headers["etag"].to_str().unwrap().to_owned();
    (id(&reply.body["workflow"]), etag)
}

async fn builtin(app: &TestApp, category: &str) -> Value {
    let reply = app
        .get(
            &format!("/api/v1/workflow-templates?is_builtin=true&category={category}"),
            &app.admin,
        )
        .await;
    reply.body["templates"][0].clone()
}

async fn a_squad_of_two_runs_a_template_and_keeps_every_version(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, _, _) = squad(&app, &ada).await;
    let templates = app
        .get("/api/v1/workflow-templates?is_builtin=true", &ada)
        .await;
    assert_eq!(
        templates.body["templates"].as_array().unwrap().len(),
        3,
        "{templates:?}"
    );
    let review = builtin(&app, "review").await;
    let made = app
        .post(
            &format!("/api/v1/squads/{squad}/workflows"),
            &ada,
            json!({"name": "Essay", "template_id": review["id"]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
    assert_eq!(made.body["current"]["version"], 1);
    assert_eq!(made.body["current"]["definition"], review["definition"]);
    let workflow = id(&made.body["workflow"]);
    let etag = made.headers["etag"].to_str().unwrap().to_owned();

    let mut second = review["definition"].clone();
    second["nodes"][0]["instructions"] = json!("A shorter first draft of {{input.brief}}");
    let saved = app
        .send(
            Method::PUT,
            &format!("/api/v1/workflows/{workflow}/definition"),
            Some(&ada),
            Some((
                "application/json",
                json!({"definition": second}).to_string().into_bytes(),
            )),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{saved:?}");
    assert_eq!(saved.body["current"]["version"], 2);
    let first = app
        .get(&format!("/api/v1/workflows/{workflow}/versions/1"), &ada)
        .await;
    assert_eq!(first.body["definition"], review["definition"]);
    let again = app
        .get(&format!("/api/v1/workflows/{workflow}/versions/2"), &ada)
        .await;
    assert_eq!(again.body["definition"], second);
    assert_ne!(first.body["digest"], again.body["digest"]);
    let current = app
        .get(&format!("/api/v1/workflows/{workflow}/definition"), &ada)
        .await;
    assert_eq!(current.body["current"]["definition"], second);
    let listed = app
        .get(&format!("/api/v1/workflows/{workflow}/versions"), &ada)
        .await;
    let numbers: Vec<i64> = listed.body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    let used = app
        .get(
            &format!(
                "/api/v1/workflow-templates/{}",
                review["id"].as_str().unwrap()
            ),
            &ada,
        )
        .await;
    assert_eq!(used.body["usage_count"], 1);
    // The log says what happened, with the version's digest.
    let types = app
        .feed_types(
            &app.admin,
            "types=squad_created,squad_member_added,workflow_created,workflow_version_saved",
        )
        .await;
    for kind in [
        "squad_created",
        "squad_member_added",
        "workflow_created",
        "workflow_version_saved",
    ] {
        assert!(types.iter().any(|t| t == kind), "{kind}: {types:?}");
    }
    let events = app
        .get("/api/v1/events?types=workflow_version_saved", &app.admin)
        .await;
    let digests: Vec<&Value> = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["payload"]["digest"])
        .collect();
    assert!(digests.contains(&&again.body["digest"]), "{digests:?}");
    // Published, the squad and its active workflows are everyone's to see.
    let eve = app.user("Eve").await;
    assert_eq!(
        app.get(&format!("/api/v1/squads/{squad}"), &eve)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let published = app
        .post(
            &format!("/api/v1/squads/{squad}/publish"),
            &ada,
            json!(null),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{published:?}");
    assert!(published.body["published_at"].is_string());
    assert_eq!(
        app.get(&format!("/api/v1/squads/{squad}"), &eve)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/workflows/{workflow}"), &eve)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let active = app
        .patch(
            &format!("/api/v1/workflows/{workflow}"),
            &ada,
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(active.status, StatusCode::OK, "{active:?}");
    assert_eq!(
        app.get(&format!("/api/v1/workflows/{workflow}"), &eve)
            .await
            .status,
        StatusCode::OK
    );
    let change = app
        .patch(
            &format!("/api/v1/squads/{squad}"),
            &eve,
            json!({"name": "Mine"}),
        )
        .await;
    assert_problem(&change, StatusCode::FORBIDDEN, "forbidden");
    let twice = app
        .post(
            &format!("/api/v1/squads/{squad}/publish"),
            &ada,
            json!(null),
        )
        .await;
    assert_problem(&twice, StatusCode::CONFLICT, "conflict");
}

/// Every byte the database holds for our tables, as text: PostgreSQL's rows
/// as text (bytes as hex), SQLite's files.
async fn raw_database(app: &TestApp) -> String {
    let conn = app.app.store.connection();
    if conn.get_database_backend() == sea_orm::DbBackend::Sqlite {
        let path = app.database_url.trim_start_matches("sqlite://");
        let path = path.split('?').next().unwrap();
        let mut bytes = std::fs::read(path).unwrap();
        if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
            bytes.extend(wal);
        }
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let tables = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
        ))
        .await
        .unwrap();
    let mut text = String::new();
    for table in tables {
        let name: String = table.try_get("", "name").unwrap();
        let rows = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                format!(
                    "SELECT coalesce(string_agg(t::text, E'\\n'), '') AS rows FROM \"{name}\" t"
                ),
            ))
            .await
            .unwrap();
        let rows: String = rows[0].try_get("", "rows").unwrap();
        text.push_str(&rows);
    }
    text
}

async fn no_table_and_no_event_holds_a_definition_in_the_clear(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, _, _) = squad(&app, &ada).await;
    let (workflow, etag) = workflow(
        &app,
        &ada,
        &squad,
        one_step(&format!("Write about {MARKER}")),
    )
    .await;
    let saved = app
        .send(
            Method::PUT,
            &format!("/api/v1/workflows/{workflow}/definition"),
            Some(&ada),
            Some((
                "application/json",
                json!({"definition": one_step(&format!("{MARKER} again"))})
                    .to_string()
                    .into_bytes(),
            )),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    // Read back in the clear, to the caller only.
    let read = app
        .get(&format!("/api/v1/workflows/{workflow}/definition"), &ada)
        .await;
    assert!(read.body.to_string().contains(MARKER));
    if app.app.store.connection().get_database_backend() == sea_orm::DbBackend::Sqlite {
        app.app
            .store
            .connection()
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .unwrap();
    }
    let raw = raw_database(&app).await;
    assert!(raw.contains("Editorial"), "the dump holds the squad's name");
    assert!(!raw.contains(MARKER), "the marker is in the database");
    assert!(
        !raw.contains(&hex(MARKER)),
        "the marker is in the database, as bytes"
    );
    let log = app.get("/api/v1/events?limit=200", &app.admin).await;
    assert!(!log.body.to_string().contains(MARKER));
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

async fn count_versions(app: &TestApp, token: &str, workflow: &str) -> usize {
    app.get(&format!("/api/v1/workflows/{workflow}/versions"), token)
        .await
        .body["versions"]
        .as_array()
        .unwrap()
        .len()
}

async fn bad_definitions_and_prices_are_refused_by_field_and_write_nothing(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, _, _) = squad(&app, &ada).await;
    let (workflow, _) = workflow(&app, &ada, &squad, one_step("Write.")).await;
    let stranger = assistant(&app, "Stranger").await;
    let node = |id: &str| json!({"id": id, "type": "agent", "role": "writer", "instructions": "x"});
    let mut deep = json!({"type": "object"});
    for _ in 0..40 {
        deep = json!({"type": "object", "properties": {"x": deep}});
    }
    let many: Vec<Value> = (0..10_000).map(|i| node(&format!("n{i}"))).collect();
    let cases = [
        (
            json!({"nodes": [{"id": "a", "type": "robot"}], "edges": []}),
            "definition.nodes[0].type",
        ),
        (
            json!({"nodes": [node("a")], "edges": [{"from": "a", "to": "ghost"}]}),
            "definition.edges[0].to",
        ),
        (
            json!({"nodes": [node("a"), node("b")], "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]}),
            "definition.edges",
        ),
        (
            json!({"nodes": [node("a"), node("b")], "edges": []}),
            "definition.nodes",
        ),
        (
            json!({"nodes": [{"id": "a", "type": "agent", "assistant_id": stranger, "instructions": "x"}], "edges": []}),
            "definition.nodes[0].assistant_id",
        ),
        (
            json!({"nodes": [{"id": "a", "type": "approval", "approver_email": "a@b.co", "timeout_seconds": 60}], "edges": []}),
            "definition.nodes[0].decision_schema",
        ),
        (json!({"nodes": many, "edges": []}), "definition.nodes"),
        (
            json!({"input_schema": deep, "nodes": [node("a")], "edges": []}),
            "definition",
        ),
        (
            json!({"nodes": [{"id": "a", "type": "agent", "role": "writer", "instructions": "x\u{0}y"}], "edges": []}),
            "definition.nodes[0].instructions",
        ),
        (json!("not an object"), "definition"),
    ];
    for (definition, field) in cases {
        let reply = app
            .send(
                Method::PUT,
                &format!("/api/v1/workflows/{workflow}/definition"),
                Some(&ada),
                Some((
                    "application/json",
                    json!({"definition": definition}).to_string().into_bytes(),
                )),
                &[],
            )
            .await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let fields: Vec<&str> = reply.body["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{field}: {reply:?}");
        assert!(!reply.body.to_string().contains("\u{0}"));
    }
    // Every problem at once.
    let two = json!({"nodes": [node("a"), {"id": "b", "type": "agent", "role": "intern", "instructions": "x"}], "edges": [{"from": "a", "to": "c"}]});
    let reply = app
        .send(
            Method::PUT,
            &format!("/api/v1/workflows/{workflow}/definition"),
            Some(&ada),
            Some((
                "application/json",
                json!({"definition": two}).to_string().into_bytes(),
            )),
            &[],
        )
        .await;
    assert!(
        reply.body["problems"].as_array().unwrap().len() >= 2,
        "{reply:?}"
    );
    assert_eq!(count_versions(&app, &ada, &workflow).await, 1);
    let made = app
        .post(
            &format!("/api/v1/squads/{squad}/workflows"),
            &ada,
            json!({"name": "Bad", "definition": {"nodes": [], "edges": []}}),
        )
        .await;
    assert_problem(&made, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let listed = app
        .get(&format!("/api/v1/squads/{squad}/workflows"), &ada)
        .await;
    assert_eq!(listed.body["workflows"].as_array().unwrap().len(), 1);
    for price in ["1.0000001", "-1", "10000", "1e2", "abc"] {
        let reply = app
            .post(
                "/api/v1/squads",
                &ada,
                json!({"name": "Priced", "price_per_execution": price}),
            )
            .await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(reply.body["field"], "price_per_execution", "{price}");
    }
    let reply = app
        .post(
            "/api/v1/squads",
            &ada,
            json!({"name": "Priced", "price_per_execution": 1.5}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "a number is not a decimal string: {reply:?}"
    );
    let mine = app.get("/api/v1/squads?mine=true", &ada).await;
    assert_eq!(mine.body["squads"].as_array().unwrap().len(), 1);
}

async fn a_stale_save_is_refused_and_a_template_counts_each_use(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, _, _) = squad(&app, &ada).await;
    let (workflow, etag) = workflow(&app, &ada, &squad, one_step("Write.")).await;
    let save = |tag: String| {
        let app = &app;
        let ada = ada.clone();
        let workflow = workflow.clone();
        async move {
            app.send(
                Method::PUT,
                &format!("/api/v1/workflows/{workflow}/definition"),
                Some(&ada),
                Some((
                    "application/json",
                    json!({"definition": one_step("Again.")})
                        .to_string()
                        .into_bytes(),
                )),
                &[("If-Match", &tag)],
            )
            .await
        }
    };
    assert_eq!(save(etag.clone()).await.status, StatusCode::OK);
    assert_problem(
        &save(etag).await,
        StatusCode::PRECONDITION_FAILED,
        "stale-version",
    );
    assert_eq!(count_versions(&app, &ada, &workflow).await, 2);

    let triage = builtin(&app, "support").await;
    let roles = ["triager", "engineer", "product", "support"];
    for role in roles {
        let a = assistant(&app, &format!("As {role}")).await;
        app.post(
            &format!("/api/v1/squads/{squad}/members"),
            &ada,
            json!({"assistant_id": a, "role": role}),
        )
        .await;
    }
    let path = format!("/api/v1/squads/{squad}/workflows");
    let from_template = || {
        app.post(
            &path,
            &ada,
            json!({"name": "Route", "template_id": triage["id"]}),
        )
    };
    let (one, two) = tokio::join!(from_template(), from_template());
    assert_eq!(
        (one.status, two.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    let used = app
        .get(
            &format!(
                "/api/v1/workflow-templates/{}",
                triage["id"].as_str().unwrap()
            ),
            &ada,
        )
        .await;
    assert_eq!(used.body["usage_count"], 2);
    // A template whose roles the squad lacks does not fit it.
    let research = builtin(&app, "research").await;
    let misfit = app
        .post(
            &format!("/api/v1/squads/{squad}/workflows"),
            &ada,
            json!({"name": "R", "template_id": research["id"]}),
        )
        .await;
    assert_problem(&misfit, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        misfit.body["field"]
            .as_str()
            .unwrap()
            .starts_with("template.definition.nodes["),
        "{misfit:?}"
    );
    let used = app
        .get(
            &format!(
                "/api/v1/workflow-templates/{}",
                research["id"].as_str().unwrap()
            ),
            &ada,
        )
        .await;
    assert_eq!(used.body["usage_count"], 0);
}

const KEY_B: &str = "key-b:Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

async fn versions_rotate_to_a_new_key_and_altered_rows_do_not_open(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, _, _) = squad(&app, &ada).await;
    let (workflow, etag) = workflow(&app, &ada, &squad, one_step("First.")).await;
    app.send(
        Method::PUT,
        &format!("/api/v1/workflows/{workflow}/definition"),
        Some(&ada),
        Some((
            "application/json",
            json!({"definition": one_step("Second.")})
                .to_string()
                .into_bytes(),
        )),
        &[("If-Match", &etag)],
    )
    .await;
    let keys = format!("{KEY_B},{}", crate::helpers::WORKFLOW_KEYS);
    migrate(
        &app.database_url,
        &[
            "--workflow-keys",
            &keys,
            "rotate-workflow-key",
            "--batch",
            "1",
        ],
    )
    .await
    .unwrap();
    // A second run finds nothing left to move.
    migrate(
        &app.database_url,
        &["--workflow-keys", &keys, "rotate-workflow-key"],
    )
    .await
    .unwrap();
    let only_b = app
        .sibling(|c| c.workflow_keys = Some(KEY_B.parse().unwrap()))
        .await;
    for n in [1, 2] {
        let read = only_b
            .get(&format!("/api/v1/workflows/{workflow}/versions/{n}"), &ada)
            .await;
        assert_eq!(read.status, StatusCode::OK, "{read:?}");
        assert_eq!(read.body["key_id"], "key-b");
    }
    let current = only_b
        .get(&format!("/api/v1/workflows/{workflow}/definition"), &ada)
        .await;
    assert_eq!(current.body["current"]["definition"], one_step("Second."));
    // The old key alone opens nothing now, and says which key it lacks.
    let read = app
        .get(&format!("/api/v1/workflows/{workflow}/versions/1"), &ada)
        .await;
    assert_problem(&read, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(
        read.body["detail"].as_str().unwrap().contains("key-b"),
        "{read:?}"
    );
    // Version 1's bytes moved onto version 2, and a flipped byte: neither opens.
    let conn = app.app.store.connection();
    let sql = |s: &str| Statement::from_string(conn.get_database_backend(), s.to_owned());
    // The database holds this one workflow.
    conn.execute_raw(sql(
        "UPDATE workflow_versions SET definition_encrypted = (SELECT definition_encrypted FROM workflow_versions WHERE version = 1), \
         definition_iv = (SELECT definition_iv FROM workflow_versions WHERE version = 1) WHERE version = 2"
    ))
    .await
    .unwrap();
    let swapped = only_b
        .get(&format!("/api/v1/workflows/{workflow}/versions/2"), &ada)
        .await;
    assert_problem(&swapped, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(
        swapped.body["detail"].as_str().unwrap().contains("altered"),
        "{swapped:?}"
    );
    let flip = if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        "UPDATE workflow_versions SET definition_encrypted = overlay(definition_encrypted placing '\\x00'::bytea from 1 for 1) WHERE version = 1"
    } else {
        "UPDATE workflow_versions SET definition_encrypted = x'00' || substr(definition_encrypted, 2) WHERE version = 1"
    };
    conn.execute_raw(sql(flip)).await.unwrap();
    let tampered = only_b
        .get(&format!("/api/v1/workflows/{workflow}/versions/1"), &ada)
        .await;
    assert_problem(&tampered, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

async fn without_a_key_nothing_is_saved_and_the_answer_says_how(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, _, _) = squad(&app, &ada).await;
    let keyless = app.sibling(|c| c.workflow_keys = None).await;
    let reply = keyless
        .post(
            &format!("/api/v1/squads/{squad}/workflows"),
            &ada,
            json!({"name": "Essay", "definition": one_step("Write.")}),
        )
        .await;
    assert_problem(&reply, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("AGENTRY_WORKFLOW_KEYS"),
        "{reply:?}"
    );
    let listed = app
        .get(&format!("/api/v1/squads/{squad}/workflows"), &ada)
        .await;
    assert!(listed.body["workflows"].as_array().unwrap().is_empty());
}

async fn an_assistant_in_a_squad_is_not_deleted_and_a_named_member_not_removed(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, writer, reviewer) = squad(&app, &ada).await;
    workflow(&app, &ada, &squad, one_step("Write.")).await;
    let delete = app
        .call(
            Method::DELETE,
            &format!("/api/v1/assistants/{writer}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_problem(&delete, StatusCode::CONFLICT, "conflict");
    assert!(
        delete.body["detail"]
            .as_str()
            .unwrap()
            .contains("Editorial"),
        "{delete:?}"
    );
    let remove = app
        .call(
            Method::DELETE,
            &format!("/api/v1/squads/{squad}/members/{writer}"),
            Some(&ada),
            None,
        )
        .await;
    assert_problem(&remove, StatusCode::CONFLICT, "conflict");
    assert!(
        remove.body["detail"].as_str().unwrap().contains("Essay"),
        "{remove:?}"
    );
    let remove = app
        .call(
            Method::DELETE,
            &format!("/api/v1/squads/{squad}/members/{reviewer}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(remove.status, StatusCode::NO_CONTENT);
    let idle = assistant(&app, "Idle").await;
    app.patch(
        &format!("/api/v1/assistants/{idle}"),
        &app.admin,
        json!({"is_active": false}),
    )
    .await;
    let add = app
        .post(
            &format!("/api/v1/squads/{squad}/members"),
            &ada,
            json!({"assistant_id": idle}),
        )
        .await;
    assert_problem(&add, StatusCode::CONFLICT, "conflict");
}

async fn built_in_templates_install_once_and_keep_an_admins_edit(app: TestApp) {
    let review = builtin(&app, "review").await;
    let id = review["id"].as_str().unwrap().to_owned();
    let mut body =
        json!({"name": "Our review", "category": "review", "definition": review["definition"]});
    body["description"] = review["description"].clone();
    let edited = app
        .send(
            Method::PUT,
            &format!("/api/v1/workflow-templates/{id}"),
            Some(&app.admin),
            Some(("application/json", body.to_string().into_bytes())),
            &[],
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{edited:?}");
    let ada = app.user("Ada").await;
    let refused = app
        .send(
            Method::PUT,
            &format!("/api/v1/workflow-templates/{id}"),
            Some(&ada),
            Some(("application/json", body.to_string().into_bytes())),
            &[],
        )
        .await;
    assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
    // Two servers starting at once on the same database install nothing twice,
    // and neither undoes the admin's edit.
    let (one, two) = tokio::join!(app.sibling(|_| {}), app.sibling(|_| {}));
    drop((one, two));
    let read = app
        .get(&format!("/api/v1/workflow-templates/{id}"), &app.admin)
        .await;
    assert_eq!(read.body["name"], "Our review");
    let all = app
        .get("/api/v1/workflow-templates?is_builtin=true", &app.admin)
        .await;
    assert_eq!(all.body["templates"].as_array().unwrap().len(), 3);
}
