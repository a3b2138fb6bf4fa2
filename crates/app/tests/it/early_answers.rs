//! An answer given before the request's body is read (413 for a body over the
//! limit) reaches a client that sends its whole body before it reads, as
//! Python's `urllib` and `requests` do: the server reads and drops the rest
//! of the body for a while before it closes, rather than resetting the
//! connection under the client's feet.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::{ADMIN_TOKEN, TestApp, api_test};

api_test!(a_client_that_sends_its_whole_body_before_reading_gets_the_413);

/// The JSON limit the server is given.
const LIMIT: usize = 1024;

/// More than the sockets' buffers hold between client and server, so that
/// the client is still writing when the server answers.
const SENT: usize = 12 * 1024 * 1024;

async fn a_client_that_sends_its_whole_body_before_reading_gets_the_413(app: TestApp) {
    let served = app
        .served_with(
            |config| config.max_json_bytes = LIMIT,
            std::future::pending(),
        )
        .await;
    let address = served.address;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/projects HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {SENT}\r\n\r\n"
    );
    let mut request = head.into_bytes();
    request.resize(request.len() + SENT, b' ');
    let sent = tokio::time::timeout(Duration::from_secs(10), stream.write_all(&request))
        .await
        .expect("the body is taken within 10 s");
    assert!(
        sent.is_ok(),
        "the connection broke while the body was sent: {sent:?}"
    );
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the answer ends within 10 s")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}
