//! Retention through the API: admins set how long a project keeps its
//! events, bad settings are refused, pruning needs a setting; pruning a
//! finished plan's turns keeps its usage whole (snapshotted first) and says
//! its script cannot be rebuilt.

use agentry_domain::id::ProjectId;
use agentry_domain::operations::RetentionRepo as _;
use agentry_domain::operations::retention::PruneBatch;
use agentry_store::testing::TestDatabase;
use agentry_store::{Options, Store};
use chrono::{DateTime, TimeDelta, Utc};
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, assert_problem, id};
use crate::plans::task;

api_test!(retention_is_an_admins_setting_and_pruning_needs_one);

mod engine {
    use super::pruning_a_finished_plans_turns_keeps_its_usage;
    agentry_store::on_each_database!(crate::runs::with_nothing;
        pruning_a_finished_plans_turns_keeps_its_usage,
    );
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> crate::helpers::Reply {
    app.call(Method::PUT, path, Some(token), Some(body)).await
}

async fn retention_is_an_admins_setting_and_pruning_needs_one(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "RT").await;
    let path = format!("/api/v1/projects/{project}/retention");
    let prune = format!("{path}/prune");
    let shown = app.get(&path, &ada).await;
    assert_eq!(shown.status, StatusCode::OK, "{shown:?}");
    assert_eq!(
        shown.body,
        json!({"project_id": project}),
        "no max_age_days: every event is kept"
    );
    // A member may read it, not change it nor prune; an outsider sees nothing.
    let refused = put(&app, &path, &ada, json!({"max_age_days": 1})).await;
    assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
    assert_problem(
        &app.post(&prune, &ada, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let bob = app.user("Bob").await;
    assert_problem(
        &app.get(&path, &bob).await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    let none = format!("/api/v1/projects/{}/retention", uuid::Uuid::now_v7());
    assert_problem(
        &app.get(&none, &app.admin).await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    // Pruning a project that keeps everything is a conflict, not a no-op.
    assert_problem(
        &app.post(&prune, &app.admin, json!({})).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    for (body, status, slug) in [
        (
            json!({"max_age_days": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            json!({"max_age_days": 36_501}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            json!({"max_age_days": -1}),
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            json!({"max_age_days": "30"}),
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            json!({"max_age_days": 30, "keep": true}),
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
    ] {
        let reply = put(&app, &path, &app.admin, body.clone()).await;
        assert_problem(&reply, status, slug);
    }
    assert_eq!(
        app.get(&path, &ada).await.body["max_age_days"],
        Value::Null,
        "nothing changed"
    );
    let set = put(&app, &path, &app.admin, json!({"max_age_days": 30})).await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    assert_eq!(set.body["max_age_days"], 30);
    assert_eq!(app.get(&path, &ada).await.body["max_age_days"], 30);
    assert_eq!(
        app.feed_types(
            &app.admin,
            &format!("project_id={project}&types=retention.set")
        )
        .await
        .len(),
        1
    );
    // Nothing is 30 days old: the pass deletes nothing and records nothing.
    let pass = app.post(&prune, &app.admin, json!({})).await;
    assert_eq!(pass.status, StatusCode::OK, "{pass:?}");
    assert_eq!(pass.body["events_deleted"], 0);
    assert_eq!(pass.body["batches"], 1);
    assert!(
        app.feed_types(
            &app.admin,
            &format!("project_id={project}&types=events.pruned")
        )
        .await
        .is_empty()
    );
    let cleared = put(&app, &path, &app.admin, json!({"max_age_days": null})).await;
    assert_eq!(cleared.body["max_age_days"], Value::Null);
}

/// Tokens and turns of a usage breakdown, by key (costs are compared apart:
/// a snapshot sums tokens before pricing them).
fn tokens(usage: &Value, breakdown: &str) -> Vec<(String, Value, Value, Value)> {
    usage[breakdown]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let t = &l["totals"];
            (
                l["key"].as_str().unwrap().to_owned(),
                t["turns"].clone(),
                t["input_tokens"].clone(),
                t["output_tokens"].clone(),
            )
        })
        .collect()
}

async fn pruning_a_finished_plans_turns_keeps_its_usage(db: TestDatabase) {
    let app = crate::runs::engine_app(db).await;
    app.assistant("Writer").await;
    let (project, _) = app.project(&app.admin, "RU").await;
    let plan = app
        .plan(
            &app.admin,
            &project,
            json!([
                task("draft", "Writer", &[]),
                task("figures", "Writer", &["draft"])
            ]),
        )
        .await;
    let plan_id = id(&plan);
    app.plan_done(&plan_id).await;
    let usage_path = format!("/api/v1/plans/{plan_id}/usage");
    let before = app.get(&usage_path, &app.admin).await.body;
    assert_eq!(before["totals"]["turns"], 2, "{before}");
    let script_path = format!("/api/v1/plans/{plan_id}/script");
    assert_eq!(
        app.get(&script_path, &app.admin).await.status,
        StatusCode::OK
    );

    // A day from now, every event of the plan is old.
    let store = Store::connect(&app.database_url, &Options::default())
        .await
        .unwrap();
    // Everything before now is old; batches of one thread each: every task's
    // turns go in a batch of their own, and the plan's usage is then the sum
    // of several snapshots.
    let pid = ProjectId(project.parse().unwrap());
    let cutoff = Utc::now() + TimeDelta::milliseconds(1);
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let (snapshots, threads, kept) = prune_pass(&store, pid, cutoff).await;
    assert_eq!(snapshots, 2, "one per task's thread");
    assert!(
        threads > 0 && kept >= 1,
        "the plan's plan_created stays: {threads} deleted, {kept} kept"
    );

    let after = app.get(&usage_path, &app.admin).await.body;
    for breakdown in ["by_model", "by_task", "by_assistant"] {
        assert_eq!(
            tokens(&after, breakdown),
            tokens(&before, breakdown),
            "{breakdown}"
        );
    }
    assert_eq!(after["totals"]["turns"], before["totals"]["turns"]);
    assert_eq!(
        after["totals"]["input_tokens"],
        before["totals"]["input_tokens"]
    );
    let cost = |u: &Value| u["totals"]["cost_usd"].as_f64();
    match (cost(&before), cost(&after)) {
        (Some(b), Some(a)) => assert!((a - b).abs() < 1e-9, "{b} vs {a}"),
        (b, a) => assert_eq!(b, a),
    }
    assert_problem(
        &app.get(&script_path, &app.admin).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let turns = app
        .feed_types(
            &app.admin,
            &format!("project_id={project}&types=turn.completed"),
        )
        .await;
    assert!(turns.is_empty(), "the turns went: {turns:?}");
    let kept = app
        .get(&format!("/api/v1/events/{plan_id}"), &app.admin)
        .await;
    assert_eq!(kept.body["type"], "plan_created", "{kept:?}");
    let pruned_events = app
        .feed_types(
            &app.admin,
            &format!("project_id={project}&types=events.pruned"),
        )
        .await;
    assert!(
        pruned_events.len() >= 2,
        "a record per batch: {pruned_events:?}"
    );
    // Again: no turn is left to snapshot, and no snapshot is counted twice.
    let (again, _, _) = prune_pass(&store, pid, cutoff).await;
    assert_eq!(again, 0);
    let twice = app.get(&usage_path, &app.admin).await.body;
    assert_eq!(
        twice["totals"]["input_tokens"],
        before["totals"]["input_tokens"]
    );
}

/// Prunes what is older than `cutoff` a thread at a time: the snapshots
/// written, the threads deleted and kept.
async fn prune_pass(store: &Store, project: ProjectId, cutoff: DateTime<Utc>) -> (u64, u64, u64) {
    let (mut snapshots, mut threads, mut kept, mut after) = (0, 0, 0, None);
    loop {
        let batch = PruneBatch {
            project,
            cutoff,
            after,
            limit: 1,
            now: Utc::now(),
        };
        let pruned = store.prune_batch(&batch).await.unwrap();
        snapshots += pruned.snapshots;
        threads += pruned.threads;
        kept += pruned.kept;
        after = pruned.last_root;
        if after.is_none() {
            return (snapshots, threads, kept);
        }
    }
}
