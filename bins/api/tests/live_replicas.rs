//! Two `agentry-api` processes on one database: an event written through one
//! reaches a live feed (server-sent events) opened on the other — through
//! `LISTEN/NOTIFY` on PostgreSQL, a payload past NOTIFY's 8 KB limit included
//! (the notice only wakes the reader; the event is read from the log), and by
//! looking again every 100 ms on SQLite.

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
);

async fn an_event_written_through_one_process_reaches_a_feed_on_the_other(db: TestDatabase) {
    let writer = Process::start(db.url()).await;
    let reader = Process::start(db.url()).await;
    let project = writer.project("RP").await;
    let response = reader
        .http
        .get(format!(
            "{}/api/v1/events/stream?project_id={project}&types=chat_message",
            reader.base
        ))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
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
        let id = posted["id"].as_str().unwrap().to_owned();
        let mut text = String::new();
        let event: Value = loop {
            if let Some(at) = text.find("\n\n") {
                let block: String = text.drain(..at + 2).collect();
                if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) {
                    break serde_json::from_str(data.trim()).unwrap();
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), body.next())
                .await
                .expect("the event arrives on the other process within 5 s")
                .unwrap()
                .unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        };
        assert_eq!(event["id"], id.as_str());
        assert_eq!(
            event["payload"]["content"].as_str().unwrap().len(),
            content.len()
        );
    }
}
