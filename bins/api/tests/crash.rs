//! Crash safety: `agentry-api` is SIGKILLed while 16 clients append; every event
//! it acknowledged (201 with its id) is in the log when it starts again. On SQLite
//! (WAL, `synchronous=FULL`) and on PostgreSQL.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentry_store::testing::TestDatabase;
use support::{Process, message};

const CLIENTS: usize = 16;

agentry_store::on_each_database!(
    agentry_store::testing::with_database;
    every_acknowledged_event_survives_a_sigkill
);

async fn every_acknowledged_event_survives_a_sigkill(db: TestDatabase) {
    let mut api = Process::start(db.url()).await;
    let project = api.project("CR").await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let (http, base, project) = (api.http.clone(), api.base.clone(), project.clone());
        let acknowledged = acknowledged.clone();
        clients.push(tokio::spawn(async move {
            for n in 0.. {
                let sent = http
                    .post(format!("{base}/api/v1/events"))
                    .bearer_auth(support::ADMIN)
                    .json(&message(&project, &format!("client {client} message {n}")))
                    .send()
                    .await;
                // The process is gone: what was not acknowledged may or may not be in.
                let Ok(response) = sent else { return };
                if response.status() != reqwest::StatusCode::CREATED {
                    return;
                }
                let Ok(event) = response.json::<serde_json::Value>().await else {
                    return;
                };
                let id = event["id"].as_str().unwrap().to_owned();
                acknowledged.lock().unwrap().push(id);
            }
        }));
    }
    // Let them get going, so the kill lands among commits in flight.
    while acknowledged.lock().unwrap().len() < 500 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    api.kill();
    for client in clients {
        client.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!("acknowledged before the kill: {}", acknowledged.len());

    let again = Process::start(db.url()).await;
    let stored: std::collections::HashSet<String> =
        again.event_ids(&project).await.into_iter().collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged events are gone, e.g. {:?}",
        lost.len(),
        acknowledged.len(),
        lost.first()
    );
}
