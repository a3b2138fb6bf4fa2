//! Server-sent events on a served port, as `agentry-api` serves them: on
//! HTTP/1.1 the stream is its connection's last answer (behind a request
//! pipelined on the same connection, too), one chunk per event; a client that
//! closes its socket is no longer a subscriber, even with requests pipelined
//! behind the stream, which are not served; HEAD gets the head alone; the
//! stream keeps its slot of the connection limit while it lasts; a stopping
//! server ends it with its last chunk and closes.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::{ADMIN_TOKEN, TestApp, api_test};

api_test!(
    a_stream_on_http1_owns_its_connection_until_the_client_or_the_server_goes,
    a_stream_holds_its_slot_of_the_connection_limit_until_it_ends,
);

/// Reads from `stream` into `seen` until it holds `wanted`.
async fn read_until(stream: &mut TcpStream, seen: &mut Vec<u8>, wanted: &str) {
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while !String::from_utf8_lossy(seen).contains(wanted) {
            let mut buf = [0_u8; 4096];
            let read = stream.read(&mut buf).await.unwrap();
            assert!(
                read > 0,
                "closed before {wanted:?}: {}",
                String::from_utf8_lossy(seen)
            );
            seen.extend_from_slice(&buf[..read]);
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "no {wanted:?} within 10 s: {}",
        String::from_utf8_lossy(seen)
    );
}

/// The server's count of live subscribers, from `/metrics`.
async fn subscribers(address: SocketAddr) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /metrics HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
        .lines()
        .find(|l| l.starts_with("agentry_live_subscribers "))
        .unwrap_or_default()
        .to_owned()
}

async fn subscribers_become(address: SocketAddr, wanted: usize) {
    let line = format!("agentry_live_subscribers {wanted}");
    for _ in 0..100 {
        if subscribers(address).await == line {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never {line}: {}", subscribers(address).await);
}

/// Opens a stream of `project`'s chat on a connection that first answers
/// `/healthz`, asked in the same write (pipelined), and `behind` after it;
/// returns the socket with the stream's head read.
async fn open(address: SocketAddr, project: &str, behind: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let requests = format!(
        "GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n\
         GET /api/v1/events/stream?project_id={project}&types=chat_message HTTP/1.1\r\n\
         Host: {address}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\r\n{behind}"
    );
    stream.write_all(requests.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    read_until(&mut stream, &mut seen, "\r\n\r\n").await;
    let head = String::from_utf8_lossy(&seen).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let stream_starts = head.find("\r\n\r\n").unwrap() + 4 + length;
    while seen.len() < stream_starts {
        let mut buf = [0_u8; 4096];
        let read = stream.read(&mut buf).await.unwrap();
        assert!(read > 0, "closed within /healthz's answer");
        seen.extend_from_slice(&buf[..read]);
    }
    let mut rest = seen.split_off(stream_starts);
    read_until(&mut stream, &mut rest, "\r\n\r\n").await;
    (stream, String::from_utf8(rest).unwrap())
}

async fn a_stream_on_http1_owns_its_connection_until_the_client_or_the_server_goes(app: TestApp) {
    let (project, _) = app.project(&app.admin, "SV").await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = app
        .served(async move {
            let _ = stopped.await;
        })
        .await;
    let address = served.address;

    let (mut stream, head) = open(address, &project, "").await;
    let lower = head.to_ascii_lowercase();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    for header in [
        "content-type: text/event-stream",
        "cache-control: no-cache",
        "transfer-encoding: chunked",
        "connection: close",
        "date: ",
    ] {
        assert!(lower.contains(header), "no {header:?} in {head}");
    }
    assert!(!lower.contains("content-length"), "{head}");
    subscribers_become(address, 1).await;

    let said = app.say(&project, "on the bare socket").await;
    let mut seen = Vec::new();
    read_until(&mut stream, &mut seen, "on the bare socket").await;
    read_until(&mut stream, &mut seen, "\n\n\r\n").await;
    let text = String::from_utf8(seen).unwrap();
    let (size, rest) = text.split_once("\r\n").unwrap();
    let size = usize::from_str_radix(size, 16).unwrap();
    assert!(
        rest[..size].starts_with(&format!("event: event.new\nid: {said}\ndata: {{")),
        "one chunk, one event: {text:?}"
    );
    assert_eq!(&rest[size..size + 2], "\r\n", "{text:?}");

    drop(stream);
    subscribers_become(address, 0).await;

    // HEAD gets the head alone, from hyper.
    let mut head_only = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "HEAD /api/v1/events/stream?project_id={project} HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {ADMIN_TOKEN}\r\nConnection: close\r\n\r\n"
    );
    head_only.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), head_only.read_to_end(&mut answer))
        .await
        .expect("the answer to HEAD ends")
        .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("\r\n\r\n"), "no body: {answer:?}");
    subscribers_become(address, 0).await;

    // What is pipelined behind a stream is not served: a second stream there
    // would stay a subscriber after the client left.
    let behind = format!(
        "GET /api/v1/events/stream?project_id={project} HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {ADMIN_TOKEN}\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n"
    );
    let (piped, _) = open(address, &project, &behind).await;
    subscribers_become(address, 1).await;
    drop(piped);
    subscribers_become(address, 0).await;

    let (mut stream, _) = open(address, &project, "").await;
    subscribers_become(address, 1).await;
    stop.send(()).unwrap();
    let mut rest = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(ended.is_ok(), "still open after the server stopped");
    assert!(
        String::from_utf8_lossy(&rest).ends_with("0\r\n\r\n"),
        "the body ends with its last chunk: {rest:?}"
    );
    tokio::time::timeout(Duration::from_secs(10), served.task)
        .await
        .expect("the server stops once its streams end")
        .unwrap()
        .unwrap();
}

async fn a_stream_holds_its_slot_of_the_connection_limit_until_it_ends(app: TestApp) {
    let (project, _) = app.project(&app.admin, "SL").await;
    let served = app
        .served_with(
            |config| config.max_client_connections = 1,
            std::future::pending(),
        )
        .await;
    let address = served.address;
    let (stream, _) = open(address, &project, "").await;
    let mut refused = TcpStream::connect(address).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), refused.read_to_string(&mut answer))
        .await
        .expect("refused within 10 s")
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 503"),
        "the stream holds the one slot: {answer}"
    );

    drop(stream);
    for _ in 0..100 {
        let mut next = TcpStream::connect(address).await.unwrap();
        let _ = next
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await;
        let mut answer = String::new();
        let _ = next.read_to_string(&mut answer).await;
        if answer.starts_with("HTTP/1.1 200") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the stream's slot never came back after its client left");
}
