//! A response that owns its connection (a live feed), written on the bare
//! socket once hyper has given it up: the status line and headers, then the
//! body in HTTP/1.1 chunks until it ends, the client goes or the server
//! stops. What is left of the connection is this task, the socket and the
//! body: an idle subscriber no longer holds hyper's read and write buffers
//! (8 KiB each) nor its connection task.

use std::io::Write as _;
use std::time::Duration;

use agentry_http::live::{ConnectionSlot, WRITE_BATCH, WRITE_DEADLINE};
use bytes::Bytes;
use futures::FutureExt as _;
use http_body_util::BodyExt as _;
use poem::http::Response;
use tokio::io::{AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::Body;

/// The end of a chunked body.
const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// How long the last words of a closing stream may take: its last chunk,
/// and the client's close after it.
const CLOSING: Duration = Duration::from_secs(1);

/// Headers about the connection rather than the response: the head written
/// here says its own.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "content-length",
    "date",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Serves `response` on `socket` until its body ends, the client closes, a
/// write stalls past the deadline, or the server stops; then closes.
pub(super) async fn serve(mut socket: TcpStream, response: Response<Body>, held: ConnectionSlot) {
    let (parts, mut body) = response.into_parts();
    let head = head(&parts);
    // Headers and extensions are not kept for the stream's life.
    drop(parts);
    let (mut from_client, mut to_client) = socket.split();
    // The client has nothing more to say; what it sends anyway is dropped
    // until it closes.
    let gone = async {
        let mut ignored = [0_u8; 64];
        while from_client.read(&mut ignored).await.is_ok_and(|n| n > 0) {}
    };
    let mut gone = std::pin::pin!(gone);
    let mut stop = held.stop.clone();
    let stopping = async move {
        let _ = stop.wait_for(|stopping| *stopping).await;
    };
    let send = async {
        if write(&mut to_client, &head, WRITE_DEADLINE).await {
            send(&mut body, &mut to_client, stopping).await;
        }
        let _ = tokio::time::timeout(CLOSING, to_client.shutdown()).await;
    };
    tokio::select! {
        () = &mut gone => {}
        () = send => {
            // Closing with unread bytes would reset the connection, and the
            // client could lose the end: read until it closes too, briefly.
            let _ = tokio::time::timeout(CLOSING, gone).await;
        }
    }
    // The connection's slot of the server's limit goes back now.
    drop(held);
}

/// The status line and headers; the body is chunked, and the connection
/// closes after it.
fn head(parts: &poem::http::response::Parts) -> Vec<u8> {
    let mut head = Vec::with_capacity(256);
    let reason = parts.status.canonical_reason().unwrap_or("");
    let _ = write!(head, "HTTP/1.1 {} {reason}\r\n", parts.status.as_u16());
    for (name, value) in &parts.headers {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    let now = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
    let _ = write!(
        head,
        "date: {now}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    head
}

/// Writes the body's frames as chunks, what is ready at once in one write,
/// until it ends, a write fails or stalls, or `stopping` completes: then the
/// body ends early with its last chunk, or at once if a write is stalled (a
/// client that stopped reading does not hold the server's stop up).
async fn send(
    body: &mut Body,
    to_client: &mut (impl AsyncWrite + Unpin),
    stopping: impl Future<Output = ()>,
) {
    let mut stopping = std::pin::pin!(stopping);
    loop {
        let first = tokio::select! {
            frame = body.frame() => frame,
            () = &mut stopping => {
                write(to_client, LAST_CHUNK, CLOSING).await;
                return;
            }
        };
        let mut out = Vec::new();
        let mut next = Some(first);
        let mut gathered = 0;
        let mut ended = false;
        while let Some(frame) = next.take() {
            match frame {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        chunk(&mut out, &data);
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "a streamed body failed");
                    write(to_client, &out, CLOSING).await;
                    return;
                }
                None => {
                    out.extend_from_slice(LAST_CHUNK);
                    ended = true;
                    break;
                }
            }
            gathered += 1;
            if gathered < WRITE_BATCH {
                next = body.frame().now_or_never();
            }
        }
        let written = tokio::select! {
            written = write(to_client, &out, WRITE_DEADLINE) => written,
            () = &mut stopping => return,
        };
        if !written || ended {
            return;
        }
    }
}

fn chunk(out: &mut Vec<u8>, data: &Bytes) {
    if data.is_empty() {
        // An empty chunk would end the body.
        return;
    }
    let _ = write!(out, "{:x}\r\n", data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Whether `bytes` went out within `deadline`.
async fn write(
    to_client: &mut (impl AsyncWrite + Unpin),
    bytes: &[u8],
    deadline: Duration,
) -> bool {
    let written = tokio::time::timeout(deadline, to_client.write_all(bytes)).await;
    matches!(written, Ok(Ok(())))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http_body_util::BodyExt as _;
    use poem::http::{Response, StatusCode};

    use super::{Body, head, send};

    fn body(chunks: &[&'static str]) -> Body {
        let frames = chunks
            .iter()
            .map(|c| {
                Ok::<_, std::io::Error>(hyper::body::Frame::data(Bytes::from_static(c.as_bytes())))
            })
            .collect::<Vec<_>>();
        http_body_util::StreamBody::new(futures::stream::iter(frames)).boxed()
    }

    #[test]
    fn the_head_says_chunked_and_close_and_keeps_the_responses_own_headers() {
        let response = Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/event-stream")
            .header("x-request-id", "r1")
            .header("content-length", "0")
            .header("connection", "keep-alive")
            .body(())
            .unwrap();
        let (parts, ()) = response.into_parts();
        let head = String::from_utf8(head(&parts)).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains("content-type: text/event-stream\r\n"),
            "{head}"
        );
        assert!(head.contains("x-request-id: r1\r\n"), "{head}");
        assert!(head.contains("\r\ndate: "), "{head}");
        assert!(head.contains("transfer-encoding: chunked\r\n"), "{head}");
        assert!(head.contains("connection: close\r\n"), "{head}");
        assert!(!head.contains("content-length"), "{head}");
        assert!(!head.contains("keep-alive"), "{head}");
        assert!(head.ends_with("\r\n\r\n"), "{head}");
    }

    #[tokio::test]
    async fn ready_frames_go_out_as_chunks_and_the_body_ends_with_the_last_chunk() {
        let mut out = Vec::new();
        send(
            &mut body(&["data: a\n\n", "", "data: bc\n\n"]),
            &mut out,
            std::future::pending(),
        )
        .await;
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "9\r\ndata: a\n\n\r\na\r\ndata: bc\n\n\r\n0\r\n\r\n"
        );
    }

    #[tokio::test]
    async fn a_stopping_server_does_not_wait_for_a_client_that_reads_nothing() {
        let (mut to_client, _client) = tokio::io::duplex(16);
        let mut body = body(&["data: more than the sixteen bytes the client takes\n\n"]);
        let stop = tokio::time::sleep(std::time::Duration::from_millis(50));
        let sent = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            send(&mut body, &mut to_client, stop),
        )
        .await;
        assert!(sent.is_ok(), "the stop waited for the stalled write");
    }

    #[tokio::test]
    async fn a_stopping_server_ends_a_body_that_would_go_on() {
        let (mut tx, rx) =
            futures::channel::mpsc::channel::<Result<hyper::body::Frame<Bytes>, std::io::Error>>(1);
        tx.try_send(Ok(hyper::body::Frame::data(Bytes::from_static(b"x"))))
            .unwrap();
        let mut body: Body = http_body_util::StreamBody::new(rx).boxed();
        let mut out = Vec::new();
        let stop = tokio::time::sleep(std::time::Duration::from_millis(50));
        send(&mut body, &mut out, stop).await;
        assert_eq!(String::from_utf8(out).unwrap(), "1\r\nx\r\n0\r\n\r\n");
        drop(tx);
    }
}
