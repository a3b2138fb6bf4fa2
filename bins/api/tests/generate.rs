//! Plans from a goal, end to end: `agentry-api` pointed at an OpenAI-compatible
//! server on loopback (streamed chat completions) turns a goal into a plan —
//! after one invalid proposal sent back with what is wrong — runs it to the
//! end, and sums in its usage the tokens the server reported. The plan's
//! script, replayed offline by a second server on a fresh database, gives the
//! same tree of events (types, parents, payloads up to ids and times).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use support::Process;
use support::fake_model::{Answer, serve};

const GOAL: &str = "Write a haiku about the sea";

fn proposal(review_depends_on: &str) -> String {
    json!({"tasks": [
        {"id": "draft", "title": "Draft the haiku", "description": "Three lines.",
         "agent_type": "Writer", "depends_on": [], "can_parallel": true, "priority": "high"},
        {"id": "review", "title": "Review the haiku", "description": "Check 5-7-5.",
         "agent_type": "Reviewer", "depends_on": [review_depends_on], "can_parallel": true,
         "priority": "medium"}
    ]})
    .to_string()
}

/// The model: the secretary proposes (first a plan naming an unknown task),
/// workers report progress, then answer.
fn model(body: &Value) -> Answer {
    let messages = body["messages"].as_array().unwrap();
    let last = messages.last().unwrap();
    if body["response_format"]["type"] == "json_schema" {
        let tried = messages.iter().filter(|m| m["role"] == "assistant").count();
        let content = proposal(if tried == 0 { "drafts" } else { "draft" });
        return Answer {
            content,
            calls: Vec::new(),
            usage: (300 + 50 * i64::try_from(tried).unwrap(), 80),
        };
    }
    if last["role"] == "user" {
        return Answer {
            content: String::new(),
            calls: vec![(
                "report_progress".into(),
                json!({"progress": 50, "message": "half way"}),
            )],
            usage: (120, 15),
        };
    }
    let task = messages[1]["content"].as_str().unwrap();
    Answer {
        content: format!("Finished: {}", task.lines().next().unwrap()),
        calls: Vec::new(),
        usage: (160, 25),
    }
}

async fn staff(api: &Process) {
    for (name, secretary) in [("Secretary", true), ("Writer", false), ("Reviewer", false)] {
        api.send(
            Method::POST,
            "/assistants",
            Some(
                json!({"name": name, "model": "local-model", "is_secretary": secretary,
                        "instructions": format!("You are the {name}."),
                        "assistant_type": "llm"}),
            ),
        )
        .await;
    }
}

async fn generate_and_finish(api: &Process) -> Value {
    let project = api.project("GEN").await;
    let (status, _, plan) = api
        .call(
            Method::POST,
            "/plans/generate",
            Some(json!({"project_id": project, "goal": GOAL})),
        )
        .await
        .unwrap();
    assert_eq!(status, 201, "{plan}");
    let plan_id = plan["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let plan = api
            .send(Method::GET, &format!("/plans/{plan_id}"), None)
            .await;
        if plan["status"] == "done" || plan["status"] == "failed" {
            assert_eq!(plan["status"], "done", "{plan}");
            return plan;
        }
        assert!(Instant::now() < deadline, "the plan did not end: {plan}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every event of the project, oldest first.
async fn events(api: &Process, project: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = api
            .send(
                Method::GET,
                &format!("/events?project_id={project}&limit=200{cursor}"),
                None,
            )
            .await;
        all.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    all.reverse();
    all
}

/// `value` with what differs from run to run taken out: ids, times, workers.
fn normal(value: &Value) -> Value {
    match value {
        Value::String(s) if uuid::Uuid::parse_str(s).is_ok() => json!("<id>"),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "id" | "latency_ms"
                        | "fence"
                        | "worker"
                        | "created_at"
                        | "updated_at"
                        | "started_at"
                        | "completed_at"
                )
            })
            .map(|(k, v)| (k.clone(), normal(v)))
            .collect(),
        Value::Array(items) => items.iter().map(normal).collect(),
        other => other.clone(),
    }
}

/// The events as a tree: each as its type, task, payload and children, in a
/// canonical order (concurrent branches may be written in either order).
fn tree(events: &[Value], tasks: &HashMap<String, String>) -> Vec<String> {
    let mut children: BTreeMap<Option<String>, Vec<&Value>> = BTreeMap::new();
    for event in events {
        let parent = event["parent_id"].as_str().map(str::to_owned);
        children.entry(parent).or_default().push(event);
    }
    fn render(
        event: &Value,
        children: &BTreeMap<Option<String>, Vec<&Value>>,
        tasks: &HashMap<String, String>,
    ) -> String {
        let id = event["id"].as_str().unwrap().to_owned();
        let mut below: Vec<String> = children
            .get(&Some(id))
            .into_iter()
            .flatten()
            .map(|c| render(c, children, tasks))
            .collect();
        below.sort();
        let task = event["task_id"].as_str().map_or("-", |t| tasks[t].as_str());
        format!(
            "{}@{task} {} [{}]",
            event["type"].as_str().unwrap(),
            normal(&event["payload"]),
            below.join(", ")
        )
    }
    let mut roots: Vec<String> = children
        .get(&None)
        .into_iter()
        .flatten()
        .map(|e| render(e, &children, tasks))
        .collect();
    roots.sort();
    roots
}

fn task_names(plan: &Value) -> HashMap<String, String> {
    plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["task_id"].as_str().unwrap().to_owned(),
                t["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goal_becomes_a_plan_that_runs_counts_its_tokens_and_replays_offline() {
    let (url, record) = serve(model).await;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("live.db").display());
    let api = Process::start_with(
        &database,
        &[
            ("AGENTRY_MODEL_URL", url.as_str()),
            ("AGENTRY_MODEL_API_KEY", "sk-e2e-secret"),
            ("AGENTRY_ENGINE_BACKOFF_MS", "10"),
        ],
    )
    .await;
    staff(&api).await;
    let plan = generate_and_finish(&api).await;
    let plan_id = plan["id"].as_str().unwrap();
    let ids: Vec<&str> = plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["draft", "review"]);

    {
        let record = record.lock().unwrap();
        let (head, first) = &record.requests[0];
        assert!(head.contains("authorization: bearer sk-e2e-secret"));
        assert_eq!(first["response_format"]["json_schema"]["name"], "plan");
        let (_, retried) = &record.requests[1];
        let feedback = retried["messages"].as_array().unwrap().last().unwrap();
        let said = feedback["content"].as_str().unwrap();
        assert!(
            said.contains("tasks[1].depends_on") && said.contains("drafts"),
            "the errors go back to the model: {said}"
        );
    }

    let usage = api
        .send(Method::GET, &format!("/plans/{plan_id}/usage"), None)
        .await;
    let (input, output) = {
        let record = record.lock().unwrap();
        (record.input_tokens, record.output_tokens)
    };
    assert_eq!(usage["totals"]["input_tokens"], input, "{usage}");
    assert_eq!(usage["totals"]["output_tokens"], output, "{usage}");
    assert_eq!(usage["totals"]["turns"], 6, "2 proposals, 2 turns per task");
    let secretary = usage["by_assistant"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "Secretary")
        .unwrap();
    assert_eq!(secretary["totals"]["input_tokens"], 650);

    let script = api
        .send(Method::GET, &format!("/plans/{plan_id}/script"), None)
        .await;
    assert_eq!(script["goal"], GOAL);
    assert_eq!(
        script["assistants"]["Secretary"].as_array().unwrap().len(),
        2
    );
    let path = dir.path().join("replay.json");
    std::fs::write(&path, script.to_string()).unwrap();
    let live_events = events(&api, plan["project_id"].as_str().unwrap()).await;
    let live_tree = tree(&live_events, &task_names(&plan));
    let generation = live_tree
        .iter()
        .find(|root| root.starts_with("plan_created@-"))
        .unwrap();
    assert_eq!(
        generation.matches("turn.completed").count(),
        2,
        "{generation}"
    );
    let runs = live_tree
        .iter()
        .filter(|root| root.starts_with("agent.started@"))
        .count();
    assert_eq!(runs, 2, "{live_tree:#?}");
    drop(api);

    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("replay.db").display()
    );
    let replay = Process::start_with(
        &database,
        &[
            ("AGENTRY_MODEL_SCRIPT", path.to_str().unwrap()),
            ("AGENTRY_ENGINE_BACKOFF_MS", "10"),
        ],
    )
    .await;
    staff(&replay).await;
    let again = generate_and_finish(&replay).await;
    let replay_events = events(&replay, again["project_id"].as_str().unwrap()).await;
    let replay_tree = tree(&replay_events, &task_names(&again));
    assert_eq!(live_tree.len(), replay_tree.len());
    for (live, replayed) in live_tree.iter().zip(&replay_tree) {
        assert_eq!(live, replayed);
    }
    let replayed_usage = replay
        .send(
            Method::GET,
            &format!("/plans/{}/usage", again["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(replayed_usage["totals"], usage["totals"]);
}
