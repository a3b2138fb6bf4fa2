//! Slow and idle clients cannot hold the server: a body sent a byte a second is
//! cut at the body timeout (408), headers sent a byte a second and idle
//! connections at the header timeout, connections past the limit are answered
//! 503 at once; meanwhile every other client is served as usual.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod support;

use std::time::{Duration, Instant};

use agentry_store::testing::TestDatabase;
use support::Process;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
const BODY_TIMEOUT: Duration = Duration::from_secs(3);
const MAX_CONNECTIONS: usize = 40;

agentry_store::on_each_database!(
    agentry_store::testing::with_database;
    slow_and_idle_clients_are_cut_off_while_others_are_served,
    http2_is_served_and_its_idle_or_silent_connections_are_closed
);

async fn start(db: &TestDatabase) -> Process {
    let (header, body, max) = (
        HEADER_TIMEOUT.as_secs().to_string(),
        BODY_TIMEOUT.as_secs().to_string(),
        MAX_CONNECTIONS.to_string(),
    );
    Process::start_with(
        db.url(),
        &[
            ("AGENTRY_HEADER_TIMEOUT_SECONDS", &header),
            ("AGENTRY_BODY_TIMEOUT_SECONDS", &body),
            ("AGENTRY_MAX_CONNECTIONS", &max),
        ],
    )
    .await
}

/// Reads until the server closes the connection; what it sent, and when it closed.
async fn until_closed(mut stream: TcpStream, within: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut seen = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut seen)).await;
    assert!(read.is_ok(), "still open after {within:?}");
    (
        String::from_utf8_lossy(&seen).into_owned(),
        started.elapsed(),
    )
}

/// Sends `bytes` one a second (stopping, silently, once the server closes).
fn trickle(mut stream: TcpStream, bytes: &'static [u8]) -> tokio::task::JoinHandle<TcpStream> {
    tokio::spawn(async move {
        for byte in bytes {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        stream
    })
}

/// A normal client's round trip, which must stay quick throughout.
async fn served_quickly(api: &Process) {
    let started = Instant::now();
    let (status, _, _) = api.call(reqwest::Method::GET, "/me", None).await.unwrap();
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

async fn slow_and_idle_clients_are_cut_off_while_others_are_served(db: TestDatabase) {
    let api = start(&db).await;
    let address = format!("127.0.0.1:{}", api.port);
    let connect = || TcpStream::connect(address.clone());

    // A body that would take 100 s.
    let mut slow_body = connect().await.unwrap();
    let head = format!(
        "POST /api/v1/tokens HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n",
        support::ADMIN
    );
    slow_body.write_all(head.as_bytes()).await.unwrap();
    let slow_body = trickle(slow_body, &[b' '; 100]);
    // Headers that would take 100 s.
    let slow_head = trickle(connect().await.unwrap(), &[b'x'; 100]);
    // Connections that say nothing, short of the limit: room is left for the
    // normal client's own connections.
    let mut idle = Vec::new();
    for _ in 0..MAX_CONNECTIONS - 10 {
        idle.push(connect().await.unwrap());
    }
    for _ in 0..5 {
        served_quickly(&api).await;
    }
    // Past the limit: refused at once, with a reason. Opened together, well
    // within the header timeout that would free the idle ones' places.
    let mut fillers = Vec::new();
    for _ in 0..15 {
        fillers.push(connect().await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut refusals = Vec::new();
    for stream in &fillers {
        let mut answer = [0_u8; 512];
        if let Ok(read) = stream.try_read(&mut answer) {
            refusals.push(String::from_utf8_lossy(&answer[..read]).into_owned());
        }
    }
    assert!(
        !refusals.is_empty(),
        "no connection past the limit was refused"
    );
    for refusal in &refusals {
        assert!(refusal.starts_with("HTTP/1.1 503"), "{refusal}");
        assert!(refusal.contains("retry-after"), "{refusal}");
    }
    drop(fillers);

    // The slow body is answered 408 at the body timeout.
    let slow_body = slow_body.await.unwrap();
    let (answer, _) = until_closed(slow_body, BODY_TIMEOUT + Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // Slow headers and idle connections are closed at the header timeout.
    let slow_head = slow_head.await.unwrap();
    let (_, _) = until_closed(slow_head, HEADER_TIMEOUT + Duration::from_secs(2)).await;
    for stream in idle {
        until_closed(stream, HEADER_TIMEOUT + Duration::from_secs(2)).await;
    }
    // Their places are free again.
    for _ in 0..MAX_CONNECTIONS {
        served_quickly(&api).await;
    }
}

async fn http2_is_served_and_its_idle_or_silent_connections_are_closed(db: TestDatabase) {
    let api = start(&db).await;
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let me = h2
        .get(format!("{}/api/v1/me", api.base))
        .bearer_auth(support::ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(me.version(), reqwest::Version::HTTP_2);
    assert_eq!(me.status(), reqwest::StatusCode::OK);

    let address = format!("127.0.0.1:{}", api.port);
    // Half a preface, then nothing: which protocol is never known.
    let mut partial = TcpStream::connect(&address).await.unwrap();
    partial.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    // A whole preface and settings, then nothing.
    let mut silent = TcpStream::connect(&address).await.unwrap();
    silent
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    // Closed once idle for the header timeout, after a goodbye it need not answer.
    let within = 2 * HEADER_TIMEOUT + Duration::from_secs(2);
    until_closed(partial, within).await;
    let (_, after) = until_closed(silent, within).await;
    assert!(
        after >= HEADER_TIMEOUT - Duration::from_millis(500),
        "closed after {after:?}"
    );
    served_quickly(&api).await;
}
