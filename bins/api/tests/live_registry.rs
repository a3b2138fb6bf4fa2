//! Two `agentry-api` processes on one database: a registry change made through
//! one reaches the other's cached resolved configuration within a second, with no
//! restart. On SQLite (always) and on PostgreSQL (when `AGENTRY_TEST_PG_URL` is set).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod support;

use std::time::{Duration, Instant};

use agentry_store::testing::TestDatabase;
use serde_json::json;
use support::Process;

async fn description_seen(process: &Process, assistant: &str) -> String {
    let resolved = process
        .send(
            reqwest::Method::GET,
            &format!("/assistants/{assistant}/resolved"),
            None,
        )
        .await;
    resolved["tools"][0]["tool"]["description"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_change_through_one_process_reaches_the_other_within_a_second(db: TestDatabase) {
    let writer = Process::start(db.url()).await;
    // Started after the first has migrated, as a rolling deploy would.
    let reader = Process::start(db.url()).await;
    let post = reqwest::Method::POST;
    let assistant = writer
        .send(
            post.clone(),
            "/assistants",
            Some(json!({"name": "Secretary", "model": "gpt-4o", "assistant_type": "llm"})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tool = writer
        .send(
            post.clone(),
            "/tools",
            Some(json!({"name": "get_weather", "tool_type": "weather",
            "description": "v1", "input_schema": {"type": "object"}})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    writer
        .send(post, &format!("/assistants/{assistant}/tools/{tool}"), None)
        .await;
    // The reader builds and caches the resolved configuration.
    assert_eq!(description_seen(&reader, &assistant).await, "v1");
    assert_eq!(description_seen(&reader, &assistant).await, "v1");

    writer
        .send(
            reqwest::Method::PATCH,
            &format!("/tools/{tool}"),
            Some(json!({"description": "v2"})),
        )
        .await;
    let changed = Instant::now();
    while description_seen(&reader, &assistant).await != "v2" {
        assert!(
            changed.elapsed() < Duration::from_secs(1),
            "the other process still serves the old configuration after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(description_seen(&writer, &assistant).await, "v2");
}

agentry_store::on_each_database!(
    agentry_store::testing::with_database;
    a_change_through_one_process_reaches_the_other_within_a_second
);
