//! Plans over HTTP: checked submission, the derived status, abort, retry, skip,
//! delete and usage; without a provider (tasks wait, and the plan says why).

use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, assert_problem, id};

api_test!(
    a_bad_plan_answers_422_naming_the_problem_and_writes_nothing,
    without_a_provider_a_plan_waits_and_says_why,
    skipping_retrying_aborting_and_deleting_a_plan,
    plans_list_newest_first_by_status_with_paging,
    an_outsider_cannot_see_or_change_a_plan,
);

pub fn task(id: &str, agent: &str, deps: &[&str]) -> Value {
    json!({"id": id, "title": format!("Task {id}"), "agent_type": agent, "depends_on": deps})
}

impl TestApp {
    pub async fn plan(&self, token: &str, project: &str, tasks: Value) -> Value {
        let reply = self
            .post(
                "/api/v1/plans",
                token,
                json!({"project_id": project, "goal": "Ship the report", "tasks": tasks}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        reply.body
    }

    async fn project_task_count(&self, project: &str) -> usize {
        let reply = self
            .get(&format!("/api/v1/projects/{project}/tasks"), &self.admin)
            .await;
        reply.body["tasks"].as_array().unwrap().len()
    }
}

/// The plan's task named `name` (its id in the plan).
pub fn named<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == name)
        .unwrap()
}

async fn a_bad_plan_answers_422_naming_the_problem_and_writes_nothing(app: TestApp) {
    let (project, _) = app.project(&app.admin, "PL").await;
    let cases = [
        (
            json!([task("a", "W", &["zz"])]),
            "tasks[0].depends_on",
            "'zz'",
        ),
        (
            json!([task("a", "W", &[]), task("a", "W", &[])]),
            "tasks[1].id",
            "duplicate",
        ),
        (
            json!([
                task("a", "W", &["c"]),
                task("b", "W", &["a"]),
                task("c", "W", &["b"]),
                task("d", "W", &[])
            ]),
            "tasks",
            "cycle",
        ),
        (json!([]), "tasks", "at least one"),
    ];
    for (tasks, field, words) in cases {
        let reply = app
            .post(
                "/api/v1/plans",
                &app.admin,
                json!({"project_id": project, "goal": "g", "tasks": tasks}),
            )
            .await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let text = reply.body.to_string();
        assert!(text.contains(field) && text.contains(words), "{text}");
    }
    let cycle = app
        .post(
            "/api/v1/plans",
            &app.admin,
            json!({"project_id": project, "goal": "g",
                   "tasks": [task("a", "W", &["c"]), task("b", "W", &["a"]), task("c", "W", &["b"])]}),
        )
        .await;
    let detail = cycle.body.to_string();
    for member in ["a", "b", "c"] {
        assert!(detail.contains(&format!("{member} ->")), "{detail}");
    }
    assert_eq!(app.project_task_count(&project).await, 0);
    assert!(
        app.feed_types(&app.admin, &format!("project_id={project}"))
            .await
            .iter()
            .all(|t| t != "plan_created" && t != "task_created")
    );
}

async fn without_a_provider_a_plan_waits_and_says_why(app: TestApp) {
    let (project, member) = app.project(&app.admin, "PL").await;
    let plan = app
        .plan(
            &app.admin,
            &project,
            json!([task("a", "Writer", &[]), task("b", "Writer", &["a"]),
                   {"id": "c", "title": "Review by a person", "assignee_id": member, "depends_on": ["b"]}]),
        )
        .await;
    assert_eq!(plan["status"], "pending");
    assert!(
        plan["waiting_reason"]
            .as_str()
            .unwrap()
            .contains("no model provider")
    );
    assert_eq!(named(&plan, "b")["depends_on"], json!(["a"]));
    assert_eq!(named(&plan, "a")["progress"], 0);
    assert_eq!(named(&plan, "a")["can_parallel"], true);
    assert_eq!(named(&plan, "a")["max_retries"], 2);
    // Its tasks are tracker tasks: on the board, in the feed.
    let a = named(&plan, "a")["task_id"].as_str().unwrap().to_owned();
    let tracked = app.get(&format!("/api/v1/tasks/{a}"), &app.admin).await;
    assert_eq!(tracked.body["plan_id"], plan["id"]);
    assert_eq!(tracked.body["status"], "pending");
    assert_eq!(app.project_task_count(&project).await, 3);
    let types = app
        .feed_types(&app.admin, &format!("project_id={project}"))
        .await;
    assert_eq!(types.iter().filter(|t| *t == "task_created").count(), 3);
    assert!(types.contains(&"plan_created".to_owned()));
    // A person moving a plan task moves the plan.
    let c = named(&plan, "c")["task_id"].as_str().unwrap().to_owned();
    let moved = app
        .patch(
            &format!("/api/v1/tasks/{c}"),
            &app.admin,
            json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    let read = app
        .get(&format!("/api/v1/plans/{}", id(&plan)), &app.admin)
        .await;
    assert_eq!(read.body["status"], "in_progress");
    let usage = app
        .get(&format!("/api/v1/plans/{}/usage", id(&plan)), &app.admin)
        .await;
    assert_eq!(usage.status, StatusCode::OK, "{usage:?}");
    assert_eq!(usage.body["totals"]["turns"], 0);
}

async fn skipping_retrying_aborting_and_deleting_a_plan(app: TestApp) {
    let (project, _) = app.project(&app.admin, "PL").await;
    let plan = app
        .plan(
            &app.admin,
            &project,
            json!([
                task("a", "W", &[]),
                task("b", "W", &["a"]),
                task("c", "W", &["b"]),
                task("x", "W", &[])
            ]),
        )
        .await;
    let plan_id = id(&plan);
    let a = named(&plan, "a")["task_id"].as_str().unwrap().to_owned();
    let skipped = app
        .post(
            &format!("/api/v1/plans/{plan_id}/tasks/{a}/skip"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(skipped.status, StatusCode::OK, "{skipped:?}");
    for name in ["a", "b", "c"] {
        assert_eq!(named(&skipped.body, name)["status"], "skipped", "{name}");
    }
    assert_eq!(named(&skipped.body, "x")["status"], "pending");
    assert_eq!(skipped.body["status"], "in_progress");
    let retried = app
        .post(
            &format!("/api/v1/plans/{plan_id}/tasks/{a}/retry"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(retried.status, StatusCode::OK, "{retried:?}");
    for name in ["a", "b", "c"] {
        assert_eq!(named(&retried.body, name)["status"], "pending", "{name}");
    }
    let again = app
        .post(
            &format!("/api/v1/plans/{plan_id}/tasks/{a}/retry"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_problem(&again, StatusCode::CONFLICT, "invalid-transition");
    let aborted = app
        .post(
            &format!("/api/v1/plans/{plan_id}/abort"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(aborted.status, StatusCode::OK, "{aborted:?}");
    assert_eq!(aborted.body["status"], "aborted");
    assert!(aborted.body.get("waiting_reason").is_none());
    for name in ["a", "b", "c", "x"] {
        assert_eq!(named(&aborted.body, name)["status"], "cancelled", "{name}");
    }
    let twice = app
        .post(
            &format!("/api/v1/plans/{plan_id}/abort"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_problem(&twice, StatusCode::CONFLICT, "conflict");
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/plans/{plan_id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{deleted:?}");
    let gone = app
        .get(&format!("/api/v1/plans/{plan_id}"), &app.admin)
        .await;
    assert_problem(&gone, StatusCode::NOT_FOUND, "not-found");
    let gone = app.get(&format!("/api/v1/tasks/{a}"), &app.admin).await;
    assert_problem(&gone, StatusCode::NOT_FOUND, "not-found");
    assert_eq!(app.project_task_count(&project).await, 0);
    let types = app
        .feed_types(&app.admin, &format!("project_id={project}"))
        .await;
    assert_eq!(types[0], "plan_deleted");
    assert!(!types.contains(&"task_created".to_owned()), "{types:?}");
}

async fn plans_list_newest_first_by_status_with_paging(app: TestApp) {
    let (project, _) = app.project(&app.admin, "PL").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(id(&app
            .plan(&app.admin, &project, json!([task("a", "W", &[])]))
            .await));
    }
    app.post(
        &format!("/api/v1/plans/{}/abort", ids[0]),
        &app.admin,
        json!({}),
    )
    .await;
    let first = app
        .get(
            &format!("/api/v1/projects/{project}/plans?limit=1"),
            &app.admin,
        )
        .await;
    assert_eq!(first.body["plans"][0]["id"], ids[2].as_str());
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/api/v1/projects/{project}/plans?limit=5&cursor={cursor}"),
            &app.admin,
        )
        .await;
    let rest: Vec<&str> = second.body["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(rest, [ids[1].as_str(), ids[0].as_str()]);
    assert!(second.body.get("next_cursor").is_none());
    let aborted = app
        .get(
            &format!("/api/v1/projects/{project}/plans?status=aborted"),
            &app.admin,
        )
        .await;
    assert_eq!(aborted.body["plans"].as_array().unwrap().len(), 1);
    let bad = app
        .get(
            &format!("/api/v1/projects/{project}/plans?status=sideways"),
            &app.admin,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{bad:?}");
    let foreign = app
        .get(
            &format!("/api/v1/projects/{project}/tasks?cursor={cursor}"),
            &app.admin,
        )
        .await;
    assert_problem(&foreign, StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

async fn an_outsider_cannot_see_or_change_a_plan(app: TestApp) {
    let (project, _) = app.project(&app.admin, "PL").await;
    let plan = app
        .plan(&app.admin, &project, json!([task("a", "W", &[])]))
        .await;
    let plan_id = id(&plan);
    let outsider = app.user("outsider").await;
    for (method, path) in [
        (Method::GET, format!("/api/v1/plans/{plan_id}")),
        (Method::GET, format!("/api/v1/plans/{plan_id}/usage")),
        (Method::POST, format!("/api/v1/plans/{plan_id}/abort")),
        (Method::DELETE, format!("/api/v1/plans/{plan_id}")),
    ] {
        let reply = app.call(method, &path, Some(&outsider), None).await;
        assert_problem(&reply, StatusCode::NOT_FOUND, "not-found");
    }
    let submit = app
        .post(
            "/api/v1/plans",
            &outsider,
            json!({"project_id": project, "goal": "g", "tasks": [task("a", "W", &[])]}),
        )
        .await;
    assert_problem(&submit, StatusCode::NOT_FOUND, "not-found");
    let read = app
        .get(&format!("/api/v1/plans/{plan_id}"), &app.admin)
        .await;
    assert_eq!(read.body["status"], "pending");
}
