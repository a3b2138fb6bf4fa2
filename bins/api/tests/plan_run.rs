//! The `agentry-api` binary on SQLite runs a plan with the offline provider,
//! as the README's walk-through does: a diamond of five tasks, built-in tool
//! calls, an HTTP tool on a loopback server and a sub-assistant; each task's
//! feed holds its whole event tree in one call.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use support::Process;

const SCRIPT: &str = r#"{"assistants": {
  "Lead": [
    {"tool_calls": [
        {"name": "report_progress", "arguments": {"progress": 50, "message": "half way"}},
        {"name": "send_message", "arguments": {"content": "Looking."}},
        {"name": "get_weather", "arguments": {"city": "Oslo"}},
        {"name": "ask_expert", "arguments": {"question": "Sure?"}}
     ]},
    {"content": "Lead done."}
  ],
  "Expert": [{"content": "Quite sure."}],
  "*": [{"content": "Done."}]
}}"#;

/// A loopback tool endpoint: reads a request, answers `{"forecast": "snow"}`.
async fn weather() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                // The request is a few hundred bytes on loopback: one read.
                let mut request = [0u8; 16 * 1024];
                let _ = socket.read(&mut request).await;
                let answer = r#"{"forecast": "snow"}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{address}/weather")
}

fn task(id: &str, agent: &str, deps: &[&str]) -> Value {
    json!({"id": id, "title": id, "agent_type": agent, "depends_on": deps})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_runs_a_plan_and_each_task_feed_holds_its_event_tree() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.json");
    std::fs::write(&script, SCRIPT).unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
    let tools = format!("get_weather={}", weather().await);
    let api = Process::start_with(
        &database,
        &[
            ("AGENTRY_MODEL_SCRIPT", script.to_str().unwrap()),
            ("AGENTRY_TOOL_ENDPOINTS", &tools),
        ],
    )
    .await;
    let mut ids = HashMap::new();
    for name in ["Lead", "Expert", "Worker"] {
        let created = api
            .send(
                Method::POST,
                "/assistants",
                Some(json!({"name": name, "model": "m", "instructions": "Work.",
                            "assistant_type": "llm"})),
            )
            .await;
        ids.insert(name, created["id"].as_str().unwrap().to_owned());
    }
    let weather_tool = api
        .send(
            Method::POST,
            "/tools",
            Some(
                json!({"name": "get_weather", "tool_type": "weather", "description": "Weather",
                        "input_schema": {"type": "object"}}),
            ),
        )
        .await;
    let expert_tool = api
        .send(
            Method::POST,
            "/tools",
            Some(json!({"name": "ask_expert", "tool_type": "sub_assistant",
                        "assistant_id": ids["Expert"], "input_schema": {"type": "object"}})),
        )
        .await;
    for tool in [&weather_tool, &expert_tool] {
        let path = format!(
            "/assistants/{}/tools/{}",
            ids["Lead"],
            tool["id"].as_str().unwrap()
        );
        api.send(Method::POST, &path, Some(json!({}))).await;
    }
    let project = api.project("BIN").await;
    let plan = api
        .send(
            Method::POST,
            "/plans",
            Some(json!({"project_id": project, "goal": "Ship", "tasks": [
                task("lead", "Lead", &[]),
                task("left", "Worker", &["lead"]),
                task("right", "Worker", &["lead"]),
                task("join", "Worker", &["left", "right"]),
                task("ship", "Worker", &["join"])
            ]})),
        )
        .await;
    let plan_id = plan["id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let plan = api
            .send(Method::GET, &format!("/plans/{plan_id}"), None)
            .await;
        if plan["status"] == "done" || plan["status"] == "failed" {
            break plan;
        }
        assert!(Instant::now() < deadline, "the plan did not end: {plan}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done["status"], "done", "{done}");
    let lead = &done["tasks"][0];
    assert_eq!(
        (lead["id"].as_str(), lead["progress"].as_i64()),
        (Some("lead"), Some(100))
    );
    let feed = api
        .send(
            Method::GET,
            &format!(
                "/events?task_id={}&limit=200",
                lead["task_id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert!(feed["next_cursor"].is_null(), "the tree is one page");
    let events = feed["events"].as_array().unwrap();
    let count = |kind: &str| events.iter().filter(|e| e["type"] == kind).count();
    assert_eq!(count("tool.called"), 4);
    assert_eq!(count("tool.result"), 4);
    assert_eq!(
        count("agent.started"),
        2,
        "the attempt and the sub-assistant"
    );
    for kind in [
        "turn.started",
        "turn.completed",
        "agent.progress",
        "task_comment",
        "reply.sent",
        "agent.completed",
        "task_status",
    ] {
        assert!(count(kind) >= 1, "no {kind}");
    }
    let by_id: HashMap<&str, &Value> = events
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e))
        .collect();
    let root = events
        .iter()
        .find(|e| e["type"] == "agent.started" && e.get("parent_id").is_none())
        .expect("the attempt's root");
    for event in events
        .iter()
        .filter(|e| e["type"].as_str().unwrap().contains('.'))
    {
        let mut at: &Value = event;
        while let Some(parent) = at.get("parent_id").and_then(Value::as_str) {
            at = by_id[parent];
        }
        assert_eq!(
            at["id"], root["id"],
            "{} is not under the attempt",
            event["type"]
        );
    }
    let result = |tool: &str| {
        events
            .iter()
            .find(|e| e["type"] == "tool.result" && e["payload"]["tool_name"] == tool)
            .map(|e| e["payload"]["output"].clone())
            .unwrap()
    };
    assert_eq!(result("get_weather")["forecast"], "snow");
    assert_eq!(result("ask_expert")["reply"], "Quite sure.");
}
