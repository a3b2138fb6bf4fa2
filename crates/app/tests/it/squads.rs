//! Squads and workflows over HTTP: the README's flow, stale saves, templates
//! used concurrently and kept up to date, and the rules tying squads to the
//! registry; sealing at rest and refusals in modules of their own.

use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, assert_problem, id};

mod refusals;
mod sealing;

api_test!(
    a_squad_of_two_runs_a_template_and_keeps_every_version,
    a_stale_save_is_refused_and_a_template_counts_each_use,
    an_assistant_in_a_squad_is_not_deleted_and_a_named_member_not_removed,
    built_in_templates_install_once_and_keep_an_admins_edit,
);

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

async fn count_versions(app: &TestApp, token: &str, workflow: &str) -> usize {
    app.get(&format!("/api/v1/workflows/{workflow}/versions"), token)
        .await
        .body["versions"]
        .as_array()
        .unwrap()
        .len()
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
