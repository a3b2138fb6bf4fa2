//! A bridge posting an outside chat's updates into a project through a real
//! `agentry-api`, one update at a time as it reads them: the API is SIGKILLed
//! mid-stream, which kills the bridge's run too; both start again, the bridge
//! from the offset the API derives from its inbox, redelivering a few updates
//! it had sent before. No update is lost, none is posted twice, and the chat
//! holds them in order. On SQLite (always) and on PostgreSQL (when
//! `AGENTRY_TEST_PG_URL` is set).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod support;

use std::time::{Duration, Instant};

use agentry_store::testing::TestDatabase;
use serde_json::json;
use support::{ADMIN, Process};

agentry_store::on_each_database!(agentry_store::testing::with_database;
    a_bridge_killed_mid_stream_and_redelivering_loses_no_update_and_posts_none_twice,
);

const UPDATES: i64 = 150;

/// Updates the bridge sends again after a restart, before its offset: what
/// an outside source that had not seen them acknowledged would redeliver.
const REDELIVERED: i64 = 5;

/// Posts updates `from..UPDATES` in order, each once acknowledged before the
/// next; stops at the first failure. How many were new, how many duplicates,
/// and where it stopped.
async fn bridge(
    http: reqwest::Client,
    base: String,
    channel: String,
    from: i64,
) -> (u32, u32, i64) {
    let (mut new, mut duplicate) = (0, 0);
    for update_id in from..UPDATES {
        let sent = http
            .post(format!("{base}/api/v1/channels/{channel}/updates"))
            .bearer_auth(ADMIN)
            .json(&json!({"update_id": update_id,
                          "sender": {"id": format!("tg:{}", update_id % 3), "name": "Ada"},
                          "text": format!("message {update_id}")}))
            .send()
            .await;
        match sent.map(|r| r.status().as_u16()) {
            Ok(201) => new += 1,
            Ok(200) => duplicate += 1,
            Ok(status) => panic!("update {update_id}: {status}"),
            Err(_) => return (new, duplicate, update_id), // the API is gone
        }
    }
    (new, duplicate, UPDATES)
}

async fn offset(api: &Process, channel: &str) -> i64 {
    api.send(reqwest::Method::GET, &format!("/channels/{channel}"), None)
        .await["offset"]
        .as_i64()
        .unwrap()
}

async fn a_bridge_killed_mid_stream_and_redelivering_loses_no_update_and_posts_none_twice(
    db: TestDatabase,
) {
    let mut api = Process::start(db.url()).await;
    let project = api.project("IN").await;
    let created = api
        .send(
            reqwest::Method::POST,
            "/channels",
            Some(json!({"project_id": project, "name": "telegram"})),
        )
        .await;
    let channel = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["offset"], 0);

    let run = tokio::spawn(bridge(
        api.http.clone(),
        api.base.clone(),
        channel.clone(),
        0,
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    while offset(&api, &channel).await < 60 {
        assert!(Instant::now() < deadline, "the bridge made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    api.kill();
    let (new, _, stopped) = run.await.unwrap();
    assert!(stopped < UPDATES, "killed mid-stream");

    let api = Process::start(db.url()).await;
    let resume = offset(&api, &channel).await;
    assert!(
        resume >= i64::from(new),
        "every acknowledged update is kept"
    );
    let (new_after, duplicates, end) = bridge(
        api.http.clone(),
        api.base.clone(),
        channel.clone(),
        (resume - REDELIVERED).max(0),
    )
    .await;
    assert_eq!(end, UPDATES);
    assert!(
        duplicates >= 1,
        "redelivered updates were answered as duplicates"
    );
    assert_eq!(i64::from(new_after), UPDATES - resume);
    assert_eq!(offset(&api, &channel).await, UPDATES);

    // The chat: each update exactly once, in order, saying where it came from.
    let mut seen = Vec::new();
    for id in api.event_ids(&project).await.into_iter().rev() {
        let event = api
            .send(reqwest::Method::GET, &format!("/events/{id}"), None)
            .await;
        if event["type"] == "chat_message" {
            let via = &event["payload"]["via"];
            assert_eq!(via["channel_id"], channel.as_str());
            let update_id = via["update_id"].as_i64().unwrap();
            assert_eq!(event["payload"]["content"], format!("message {update_id}"));
            assert_eq!(via["sender_id"], format!("tg:{}", update_id % 3));
            seen.push(update_id);
        }
    }
    assert_eq!(seen, (0..UPDATES).collect::<Vec<_>>());
    let redelivered = api
        .call(
            reqwest::Method::POST,
            &format!("/channels/{channel}/updates"),
            Some(json!({"update_id": 0, "sender": {"id": "tg:0"}, "text": "other text"})),
        )
        .await
        .unwrap();
    assert_eq!(redelivered.0, 200);
    assert_eq!(redelivered.2["duplicate"], true);
    assert_eq!(redelivered.2["message"]["payload"]["content"], "message 0");
}
