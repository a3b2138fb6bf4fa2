//! Plans run by the in-process engine with the offline provider: the whole
//! event tree of a run (built-in tools, an HTTP tool on a loopback server, a
//! sub-assistant), retries with backoff, prompt aborts and usage.

use std::time::{Duration, Instant};

use agentry_store::testing::TestDatabase;
use poem::http::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::helpers::{TestApp, id, spawn_app_with};
use crate::plans::{named, task};

agentry_store::on_each_database!(crate::runs::with_nothing;
    a_diamond_plan_runs_to_the_end_and_each_task_feed_holds_its_event_tree,
    a_failing_turn_is_retried_with_backoff_then_succeeds,
    aborting_stops_a_running_turn_promptly,
);

pub async fn with_nothing<F: Future<Output = ()>>(
    db: TestDatabase,
    test: impl FnOnce(TestDatabase) -> F,
) {
    test(db).await;
}

const SCRIPT: &str = r#"{"assistants": {
  "Researcher": [
    {"tool_calls": [
        {"name": "report_progress", "arguments": {"progress": 40, "message": "reading"}},
        {"name": "send_message", "arguments": {"content": "Found three sources."}},
        {"name": "get_weather", "arguments": {"city": "Paris"}},
        {"name": "ask_expert", "arguments": {"question": "Is it sound?"}}
     ],
     "usage": {"input_tokens": 100, "output_tokens": 20}},
    {"content": "Research done.", "usage": {"input_tokens": 150, "output_tokens": 10}}
  ],
  "Expert": [{"content": "It is sound.", "usage": {"input_tokens": 30, "output_tokens": 5}}],
  "Writer": [
    {"tool_calls": [{"name": "list_messages", "arguments": {"limit": 5}},
                    {"name": "complete_task", "arguments": {"summary": "Written.", "output_file": "report.md"}}],
     "usage": {"input_tokens": 50, "output_tokens": 5}}
  ],
  "Flaky": [{"content": "Worked at last.", "fail_times": 1, "error": "overloaded"}],
  "Slow": [{"content": "Too late.", "delay_ms": 20000}],
  "*": [{"content": "Done."}]
}}"#;

/// A loopback endpoint answering every POST with the forecast and what it was sent.
async fn weather_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                let body = loop {
                    let n = socket.read(&mut buffer).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length: usize = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (name, value) = l.split_once(':')?;
                                name.eq_ignore_ascii_case("content-length")
                                    .then(|| value.trim().parse().ok())?
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break request[end + 4..end + 4 + length].to_vec();
                        }
                    }
                };
                let sent: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let answer = json!({"forecast": "sunny", "asked": sent}).to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{address}/weather")
}

pub(crate) async fn engine_app(db: TestDatabase) -> TestApp {
    let script = std::env::temp_dir().join(format!("agentry-script-{}.json", uuid::Uuid::now_v7()));
    std::fs::write(&script, SCRIPT).unwrap();
    let weather = weather_server().await;
    spawn_app_with(db, move |config| {
        config.engine.model_script = Some(script);
        config.engine.tool_endpoints = vec![("get_weather".into(), weather)];
        config.engine.backoff_ms = 20;
        config.engine.model_prices = vec![("test-model".into(), (1.0, 2.0))];
    })
    .await
}

impl TestApp {
    pub(crate) async fn registered(&self, path: &str, body: Value) -> String {
        let reply = self.post(path, &self.admin, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{path}: {reply:?}");
        id(&reply.body)
    }

    pub(crate) async fn assistant(&self, name: &str) -> String {
        self.registered(
            "/api/v1/assistants",
            json!({"name": name, "model": "test-model", "instructions": format!("You are {name}."),
                   "assistant_type": "llm"}),
        )
        .await
    }

    /// Polls the plan until `done(plan)` or the deadline.
    pub(crate) async fn wait_for_plan(&self, plan: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let reply = self
                .get(&format!("/api/v1/plans/{plan}"), &self.admin)
                .await;
            if done(&reply.body) {
                return reply.body;
            }
            assert!(
                Instant::now() < deadline,
                "the plan did not get there: {}",
                reply.body
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits for the plan to end, requires it done, and returns it.
    pub(crate) async fn plan_done(&self, plan: &str) -> Value {
        let ended = self
            .wait_for_plan(plan, |p| p["status"] == "done" || p["status"] == "failed")
            .await;
        assert_eq!(ended["status"], "done", "{ended}");
        ended
    }

    pub(crate) async fn task_events(&self, task: &str) -> Vec<Value> {
        let reply = self
            .get(
                &format!("/api/v1/events?task_id={task}&limit=200"),
                &self.admin,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let mut events = reply.body["events"].as_array().unwrap().clone();
        events.reverse();
        events
    }
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

async fn a_diamond_plan_runs_to_the_end_and_each_task_feed_holds_its_event_tree(db: TestDatabase) {
    let app = engine_app(db).await;
    let researcher = app.assistant("Researcher").await;
    let expert = app.assistant("Expert").await;
    app.assistant("Writer").await;
    app.assistant("Reviewer").await;
    let weather = app
        .registered(
            "/api/v1/tools",
            json!({"name": "get_weather", "tool_type": "weather", "description": "Weather",
                   "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}),
        )
        .await;
    let delegate = app
        .registered(
            "/api/v1/tools",
            json!({"name": "ask_expert", "tool_type": "sub_assistant", "assistant_id": expert,
                   "input_schema": {"type": "object", "properties": {"question": {"type": "string"}}}}),
        )
        .await;
    for tool in [&weather, &delegate] {
        app.registered(
            &format!("/api/v1/assistants/{researcher}/tools/{tool}"),
            json!({}),
        )
        .await;
    }
    let (project, _) = app.project(&app.admin, "RN").await;
    let agent = app
        .registered(
            &format!("/api/v1/projects/{project}/members"),
            json!({"kind": "agent", "handle": "researcher", "assistant_id": researcher}),
        )
        .await;
    let plan = app
        .plan(
            &app.admin,
            &project,
            json!([
                {"id": "research", "title": "Research", "assignee_id": agent},
                task("draft", "Writer", &["research"]),
                task("figures", "Writer", &["research"]),
                task("merge", "Writer", &["draft", "figures"]),
                task("review", "Reviewer", &["merge"])
            ]),
        )
        .await;
    let plan_id = id(&plan);
    let done = app.plan_done(&plan_id).await;
    for name in ["research", "draft", "figures", "merge", "review"] {
        let t = named(&done, name);
        assert_eq!(
            (t["status"].as_str(), t["progress"].as_i64()),
            (Some("done"), Some(100)),
            "{t}"
        );
    }
    assert_eq!(named(&done, "merge")["result"]["output_file"], "report.md");
    // The dependencies ran first.
    let at = |name: &str, field: &str| {
        let text = named(&done, name)[field].as_str().unwrap().to_owned();
        chrono::DateTime::parse_from_rfc3339(&text).unwrap()
    };
    let started = |name: &str| at(name, "started_at");
    let completed = |name: &str| at(name, "completed_at");
    assert!(
        completed("research") <= started("draft") && completed("research") <= started("figures")
    );
    assert!(completed("draft") <= started("merge") && completed("figures") <= started("merge"));

    let research = named(&done, "research")["task_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let events = app.task_events(&research).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for kind in [
        "agent.started",
        "turn.started",
        "turn.completed",
        "tool.called",
        "tool.result",
        "agent.progress",
        "task_comment",
        "reply.sent",
        "agent.completed",
        "task_status",
    ] {
        assert!(types.contains(&kind), "{kind} missing from {types:?}");
    }
    let roots: Vec<&Value> = of_type(&events, "agent.started")
        .into_iter()
        .filter(|e| e.get("parent_id").is_none())
        .collect();
    assert_eq!(roots.len(), 1, "one attempt");
    let root = roots[0]["id"].as_str().unwrap();
    // Every agent event hangs under the attempt, directly or through a tool call.
    let by_id: std::collections::HashMap<&str, &Value> = events
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e))
        .collect();
    for event in &events {
        let kind = event["type"].as_str().unwrap();
        if !kind.contains('.') || event["id"] == root {
            continue;
        }
        let mut at = event;
        while let Some(parent) = at.get("parent_id").and_then(Value::as_str) {
            at = by_id[parent];
        }
        assert_eq!(at["id"], root, "{kind} is not under the attempt");
    }
    let weather_result = of_type(&events, "tool.result")
        .into_iter()
        .find(|e| e["payload"]["tool_name"] == "get_weather")
        .unwrap();
    assert_eq!(weather_result["payload"]["output"]["forecast"], "sunny");
    assert_eq!(
        weather_result["payload"]["output"]["asked"]["city"],
        "Paris"
    );
    let nested = of_type(&events, "agent.started")
        .into_iter()
        .find(|e| e["payload"]["assistant_name"] == "Expert")
        .expect("the sub-assistant ran as a nested agent");
    let delegation = by_id[nested["parent_id"].as_str().unwrap()];
    assert_eq!(delegation["type"], "tool.called");
    assert_eq!(delegation["payload"]["tool_name"], "ask_expert");
    let expert_result = of_type(&events, "tool.result")
        .into_iter()
        .find(|e| e["payload"]["tool_name"] == "ask_expert")
        .unwrap();
    assert_eq!(expert_result["payload"]["output"]["reply"], "It is sound.");
    let comment = of_type(&events, "task_comment")[0];
    assert_eq!(
        comment["actor_id"],
        agent.as_str(),
        "sent as the agent member"
    );
    let completed_turn = of_type(&events, "turn.completed")[0];
    assert_eq!(completed_turn["payload"]["input_tokens"], 100);
    assert_eq!(
        completed_turn["payload"]["tool_calls"][2]["name"],
        "get_weather"
    );

    let usage = app
        .get(&format!("/api/v1/plans/{plan_id}/usage"), &app.admin)
        .await;
    assert_eq!(usage.status, StatusCode::OK, "{usage:?}");
    // Researcher 100+150 in, Expert 30, Writer 3×50, Reviewer's estimate.
    let totals = &usage.body["totals"];
    assert!(totals["input_tokens"].as_i64().unwrap() >= 100 + 150 + 30 + 150);
    let assistants: Vec<&str> = usage.body["by_assistant"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["key"].as_str().unwrap())
        .collect();
    assert_eq!(assistants, ["Expert", "Researcher", "Reviewer", "Writer"]);
    let expert_line = &usage.body["by_assistant"][0]["totals"];
    assert_eq!(
        (
            expert_line["input_tokens"].as_i64(),
            expert_line["output_tokens"].as_i64()
        ),
        (Some(30), Some(5))
    );
    assert_eq!(usage.body["by_task"].as_array().unwrap().len(), 5);
    let cost = totals["cost_usd"].as_f64().unwrap();
    let expected = (totals["input_tokens"].as_f64().unwrap() * 1.0
        + totals["output_tokens"].as_f64().unwrap() * 2.0)
        / 1e6;
    assert!((cost - expected).abs() < 1e-12, "{cost} vs {expected}");
}

async fn a_failing_turn_is_retried_with_backoff_then_succeeds(db: TestDatabase) {
    let app = engine_app(db).await;
    app.assistant("Flaky").await;
    let (project, _) = app.project(&app.admin, "RT").await;
    let plan = app
        .plan(&app.admin, &project, json!([task("a", "Flaky", &[])]))
        .await;
    let done = app.plan_done(&id(&plan)).await;
    let a = named(&done, "a");
    assert_eq!(a["retry_count"], 1);
    let events = app.task_events(a["task_id"].as_str().unwrap()).await;
    let failed = of_type(&events, "agent.failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["payload"]["retrying"], true);
    let moves: Vec<(String, String)> = of_type(&events, "task_status")
        .iter()
        .map(|e| {
            (
                e["payload"]["from"].as_str().unwrap().to_owned(),
                e["payload"]["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("pending", "in_progress"),
        ("in_progress", "retrying"),
        ("retrying", "in_progress"),
        ("in_progress", "done"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(moves, expected);
    assert_eq!(of_type(&events, "agent.started").len(), 2, "two attempts");
}

async fn aborting_stops_a_running_turn_promptly(db: TestDatabase) {
    let app = engine_app(db).await;
    app.assistant("Slow").await;
    let (project, _) = app.project(&app.admin, "AB").await;
    let plan = app
        .plan(
            &app.admin,
            &project,
            json!([task("a", "Slow", &[]), task("b", "Slow", &["a"])]),
        )
        .await;
    let plan_id = id(&plan);
    app.wait_for_plan(&plan_id, |p| named(p, "a")["status"] == "in_progress")
        .await;
    let a = named(&plan, "a")["task_id"].as_str().unwrap().to_owned();
    // The turn has begun.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app
        .task_events(&a)
        .await
        .iter()
        .any(|e| e["type"] == "turn.started")
    {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let aborted = app
        .post(
            &format!("/api/v1/plans/{plan_id}/abort"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(aborted.body["status"], "aborted", "{aborted:?}");
    assert_eq!(named(&aborted.body, "a")["status"], "cancelled");
    assert_eq!(named(&aborted.body, "b")["status"], "cancelled");
    // The worker lets go within a second: it writes nothing more for the task.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let events = app.task_events(&a).await;
    let last = events.last().unwrap();
    assert_eq!(last["type"], "task_status", "{events:?}");
    assert!(of_type(&events, "turn.completed").is_empty());
    assert!(of_type(&events, "agent.completed").is_empty());
    let read = app
        .get(&format!("/api/v1/plans/{plan_id}"), &app.admin)
        .await;
    assert_eq!(read.body["status"], "aborted");
}
