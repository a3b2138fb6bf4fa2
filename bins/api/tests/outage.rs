//! A database outage: a PostgreSQL server of the test's own is stopped (as by a
//! crash) while clients append and read, then started again. Meanwhile the API
//! answers 503 with `Retry-After` (never 500, never later than the request
//! timeout), `/readyz` says not ready, and once the database is back the API
//! recovers by itself with every acknowledged event in the log.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::own_postgres::OwnPostgres;
use support::{Process, message};

/// The API's deadlines in this test: a connection is waited for 2 s, an
/// operation may take 5 s.
const SETTINGS: &[(&str, &str)] = &[
    ("AGENTRY_DATABASE_ACQUIRE_TIMEOUT_SECONDS", "2"),
    ("AGENTRY_REQUEST_TIMEOUT_SECONDS", "5"),
];
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// One answer a client got, and when.
#[derive(Clone, Debug)]
struct Answer {
    at: Instant,
    took: Duration,
    status: Option<StatusCode>,
    retry_after: bool,
    write: bool,
}

#[derive(Default)]
struct Seen {
    answers: Mutex<Vec<Answer>>,
    acknowledged: Mutex<Vec<String>>,
    done: AtomicBool,
}

async fn client(api: &Process, project: &str, seen: &Seen, n: usize) {
    let write = n.is_multiple_of(2);
    while !seen.done.load(Ordering::Relaxed) {
        let started = Instant::now();
        let request = if write {
            api.http
                .post(format!("{}/api/v1/events", api.base))
                .json(&message(project, &format!("client {n}")))
        } else {
            api.http.get(format!(
                "{}/api/v1/events?project_id={project}&limit=20",
                api.base
            ))
        };
        let response = request.bearer_auth(support::ADMIN).send().await;
        let took = started.elapsed();
        let (status, retry_after) = match response {
            Ok(response) => {
                let status = response.status();
                let retry_after = response.headers().contains_key("retry-after");
                if status == StatusCode::CREATED {
                    let event: serde_json::Value = response.json().await.unwrap();
                    let id = event["id"].as_str().unwrap().to_owned();
                    seen.acknowledged.lock().unwrap().push(id);
                }
                (Some(status), retry_after)
            }
            Err(_) => (None, false),
        };
        let answer = Answer {
            at: Instant::now(),
            took,
            status,
            retry_after,
            write,
        };
        seen.answers.lock().unwrap().push(answer);
        if status != Some(StatusCode::CREATED) && status != Some(StatusCode::OK) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn ready(api: &Process) -> StatusCode {
    api.http
        .get(format!("{}/readyz", api.base))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL's initdb and pg_ctl: pass --include-ignored"]
async fn postgres_an_outage_answers_503_then_recovers_by_itself_losing_nothing() {
    let db = Arc::new(
        tokio::task::spawn_blocking(OwnPostgres::start)
            .await
            .unwrap(),
    );
    let api = Arc::new(Process::start_with(&db.url(), SETTINGS).await);
    let project = api.project("OU").await;
    let seen = Arc::new(Seen::default());
    let clients: Vec<_> = (0..4)
        .map(|n| {
            let (api, project, seen) = (api.clone(), project.clone(), seen.clone());
            tokio::spawn(async move { client(&api, &project, &seen, n).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(ready(&api).await, StatusCode::OK);

    let stopped = Instant::now();
    let server = db.clone();
    tokio::task::spawn_blocking(move || server.stop("immediate"))
        .await
        .unwrap();
    let mut not_ready = None;
    while stopped.elapsed() < Duration::from_secs(10) {
        if ready(&api).await == StatusCode::SERVICE_UNAVAILABLE {
            not_ready = Some(stopped.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let not_ready = not_ready.expect("/readyz still says ready 10 s into the outage");
    tokio::time::sleep(Duration::from_secs(4)).await;

    let restarted = Instant::now();
    let server = db.clone();
    tokio::task::spawn_blocking(move || server.start_again())
        .await
        .unwrap();
    let back = Instant::now();
    let recovered = loop {
        let served = seen
            .answers
            .lock()
            .unwrap()
            .iter()
            .any(|a| a.at > back && a.write && a.status == Some(StatusCode::CREATED));
        if served {
            break back.elapsed();
        }
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "no recovery 30 s after the restart"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(ready(&api).await, StatusCode::OK);
    seen.done.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }

    let answers = seen.answers.lock().unwrap().clone();
    let during = |a: &&Answer| a.at > stopped && a.at < back;
    let refused = answers
        .iter()
        .filter(during)
        .filter(|a| a.status == Some(StatusCode::SERVICE_UNAVAILABLE))
        .count();
    assert!(refused > 0, "no 503 during the outage: {answers:?}");
    for answer in &answers {
        match answer.status {
            Some(StatusCode::OK | StatusCode::CREATED) => {}
            Some(StatusCode::SERVICE_UNAVAILABLE) => {
                assert!(answer.retry_after, "a 503 without Retry-After");
            }
            other => panic!("{other:?} (only 200, 201 or 503 may answer): {answer:?}"),
        }
        assert!(
            answer.took <= REQUEST_TIMEOUT + Duration::from_secs(1),
            "an answer took {:?}, past the request timeout",
            answer.took
        );
    }
    let acknowledged = seen.acknowledged.lock().unwrap().clone();
    let stored: std::collections::HashSet<String> =
        api.event_ids(&project).await.into_iter().collect();
    let lost = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .count();
    assert_eq!(lost, 0, "acknowledged events lost in the outage");
    let slowest = answers.iter().map(|a| a.took).max().unwrap_or_default();
    println!(
        "outage: not ready after {not_ready:?}; {refused} answers 503 while down; \
         database back {:?} after the stop; first append served {recovered:?} after \
         it was back; slowest answer {slowest:?}; {} events acknowledged, none lost",
        restarted - stopped,
        acknowledged.len()
    );
}
