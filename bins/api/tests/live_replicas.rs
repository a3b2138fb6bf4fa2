//! Two `agentry-api` processes on one database: an event written through one
//! reaches a live feed (server-sent events) opened on the other — through
//! `LISTEN/NOTIFY` on PostgreSQL, a payload past NOTIFY's 8 KB limit included
//! (the notice only wakes the reader; the event is read from the log), and by
//! looking again every 100 ms on SQLite. A running turn's stream deltas
//! reach feeds on the process running the engine, and on PostgreSQL on the
//! other as well (`NOTIFY agentry_deltas`).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod support;

use std::time::Duration;

use agentry_store::testing::TestDatabase;
use futures::StreamExt as _;
use serde_json::{Value, json};
use support::{ADMIN, Process};

agentry_store::on_each_database!(agentry_store::testing::with_database;
    an_event_written_through_one_process_reaches_a_feed_on_the_other,
    stream_deltas_reach_feeds_on_the_engine_process_and_across_on_postgres,
);

type Body = std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// A feed opened on `process`.
async fn feed(process: &Process, query: &str) -> Body {
    let response = process
        .http
        .get(format!("{}/api/v1/events/stream?{query}", process.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    Box::pin(response.bytes_stream())
}

/// The next server-sent event of `body`: its type and data.
async fn next(body: &mut Body, text: &mut String) -> (String, Value) {
    loop {
        if let Some(at) = text.find("\n\n") {
            let block: String = text.drain(..at + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(str::trim)
            };
            if let (Some(kind), Some(data)) = (field("event:"), field("data:")) {
                return (kind.to_owned(), serde_json::from_str(data).unwrap());
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// Deltas of `body` until its `turn.completed`: their texts in order, and
/// the completed turn's content.
async fn streamed_turn(mut body: Body) -> (Vec<String>, String) {
    let (mut text, mut deltas, mut content) = (String::new(), Vec::new(), None);
    while content.is_none() || deltas.concat() != content.clone().unwrap_or_default() {
        let (kind, data) = next(&mut body, &mut text).await;
        match kind.as_str() {
            "agent.stream.delta" => {
                assert_eq!(data["index"], deltas.len(), "in order, none lost: {data}");
                assert_eq!(data["turn"], 1);
                deltas.push(data["text"].as_str().unwrap().to_owned());
            }
            "event.new" => {
                assert_eq!(data["type"], "turn.completed", "{data}");
                content = Some(data["payload"]["content"].as_str().unwrap().to_owned());
            }
            other => panic!("unexpected {other}: {data}"),
        }
    }
    (deltas, content.unwrap())
}

async fn stream_deltas_reach_feeds_on_the_engine_process_and_across_on_postgres(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.json");
    std::fs::write(
        &script,
        r#"{"assistants": {"*": [{"content": "One word after another."}]}}"#,
    )
    .unwrap();
    let settings = [("AGENTRY_MODEL_SCRIPT", script.to_str().unwrap())];
    let engine = Process::start_with(db.url(), &settings).await;
    let other = Process::start(db.url()).await;
    let project = engine.project("DL").await;
    engine
        .send(
            reqwest::Method::POST,
            "/assistants",
            Some(
                json!({"name": "Writer", "model": "m", "instructions": "Write.",
                        "assistant_type": "llm"}),
            ),
        )
        .await;
    let query = format!("project_id={project}&types=agent.stream.delta,turn.completed");
    let here = feed(&engine, &query).await;
    let there = feed(&other, &query).await;
    let mut chat_only = feed(&engine, &format!("project_id={project}&types=task_status")).await;
    engine
        .send(
            reqwest::Method::POST,
            "/plans",
            Some(json!({"project_id": project, "goal": "Write", "tasks": [
                {"id": "w", "title": "Write", "agent_type": "Writer"}]})),
        )
        .await;
    let (deltas, content) = streamed_turn(here).await;
    assert_eq!(content, "One word after another.");
    assert_eq!(deltas.len(), 4, "{deltas:?}");
    let (kind, _) = next(&mut chat_only, &mut String::new()).await;
    assert_eq!(kind, "event.new", "a feed of stored types gets no deltas");
    if db.url().starts_with("postgres") {
        assert_eq!(streamed_turn(there).await, (deltas, content));
    }
}

async fn an_event_written_through_one_process_reaches_a_feed_on_the_other(db: TestDatabase) {
    let writer = Process::start(db.url()).await;
    let reader = Process::start(db.url()).await;
    let project = writer.project("RP").await;
    let mut body = feed(&reader, &format!("project_id={project}&types=chat_message")).await;
    let mut text = String::new();
    let long = "x".repeat(20_000);
    for content in ["short", long.as_str()] {
        let posted = writer
            .send(
                reqwest::Method::POST,
                "/events",
                Some(json!({"project_id": project, "type": "chat_message",
                            "payload": {"content": content}})),
            )
            .await;
        let (kind, event) = next(&mut body, &mut text).await;
        assert_eq!(kind, "event.new");
        assert_eq!(event["id"], posted["id"]);
        assert_eq!(
            event["payload"]["content"].as_str().unwrap().len(),
            content.len()
        );
    }
}
