//! `GET /api/v1/ws`: a live feed over a WebSocket. The subscription is the
//! query of `/events/stream`; each event comes as a text message
//! `{"type": "event.new", "event": {…}}`, each delta of a running turn as
//! `{"type": "agent.stream.delta", "delta": {…}}`. A subscriber that falls a
//! whole queue behind is closed with code 4008 and resumes with `last_event_id`.

use futures::{SinkExt as _, StreamExt as _};
use poem::web::Query;
use poem::web::websocket::{CloseCode, Message, WebSocket, WebSocketConfig};
use poem::{IntoResponse, Request, Response, handler};

use super::feed::{Feed, Next};
use super::{ConnectionSlot, Params, WRITE_BATCH, WRITE_DEADLINE, open};

/// The close code of a subscriber dropped for falling behind.
pub const OVERFLOW_CLOSE: u16 = 4008;

/// The close code of a feed that could not go on (the log is unreadable).
pub const ERROR_CLOSE: u16 = 1011;

/// What a client may send at most, in bytes: it is not read (a close or a
/// ping is all it needs to say), so small buffers keep an idle socket cheap.
const CLIENT_MESSAGE_MAX: usize = 4096;

/// Bytes of messages gathered before a write, when several are ready (the
/// buffer is allocated once something is sent).
const WRITE_BUFFER: usize = 16 * 1024;

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(CLIENT_MESSAGE_MAX)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(Some(CLIENT_MESSAGE_MAX))
        .max_frame_size(Some(CLIENT_MESSAGE_MAX))
}

/// The close code when the server stops.
const GOING_AWAY: u16 = 1001;

/// A close frame; its reason cut to what a control frame holds (123 bytes).
fn close(code: u16, reason: &str) -> Message {
    let mut cut = reason.len().min(123);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    Message::Close(Some((CloseCode::from(code), reason[..cut].to_owned())))
}

/// A feed's next step as a message, and whether the socket closes after it.
fn message(next: Result<Option<Next>, agentry_domain::Error>) -> Option<(Message, bool)> {
    Some(match next {
        Ok(Some(Next::Event(delivery))) => (
            Message::Text(format!(
                r#"{{"type":"event.new","event":{}}}"#,
                delivery.json()
            )),
            false,
        ),
        Ok(Some(Next::Delta(delta))) => (
            Message::Text(format!(
                r#"{{"type":"{}","delta":{delta}}}"#,
                super::DELTA_TYPE
            )),
            false,
        ),
        Ok(Some(Next::KeepAlive)) => (Message::Ping(Vec::new()), false),
        Ok(Some(Next::Overflowed)) => (
            close(OVERFLOW_CLOSE, "too slow: resume with your last event id"),
            true,
        ),
        Ok(None) => return None,
        Err(e) => (close(ERROR_CLOSE, &e.to_string()), true),
    })
}

#[handler]
pub async fn socket(request: &Request, Query(params): Query<Params>, ws: WebSocket) -> Response {
    let feed: Feed = match open(request, params).await {
        Ok(feed) => feed,
        Err(refused) => return refused,
    };
    let held = request.extensions().get::<ConnectionSlot>().cloned();
    ws.config(config())
        .on_upgrade(move |socket| async move {
            let (sink, mut incoming) = socket.split();
            // What a client says is not read; a close or a broken socket ends it.
            let mut closed = tokio::spawn(async move {
                while let Some(Ok(said)) = incoming.next().await {
                    if matches!(said, Message::Close(_)) {
                        break;
                    }
                }
            });
            let stop = held.as_ref().map(|h| h.stop.clone());
            tokio::select! {
                _ = &mut closed => {}
                () = send(feed, sink, stop) => {}
            }
            closed.abort();
            // The connection's slot goes back now.
            drop(held);
        })
        .into_response()
}

/// Sends the feed until it ends, the client stops reading, or the server stops.
async fn send(
    mut feed: Feed,
    mut sink: impl futures::Sink<Message> + Unpin,
    stop: Option<tokio_util::sync::CancellationToken>,
) {
    let stopping = async |stop: &Option<tokio_util::sync::CancellationToken>| match stop {
        Some(stop) => stop.cancelled().await,
        None => std::future::pending().await,
    };
    loop {
        let next = tokio::select! {
            next = feed.next() => next,
            () = stopping(&stop) => {
                let _ = tokio::time::timeout(WRITE_DEADLINE, sink.send(close(GOING_AWAY, "the server is stopping"))).await;
                return;
            }
        };
        // What is ready already goes out with it, in one write.
        let written = tokio::time::timeout(WRITE_DEADLINE, async {
            let mut next = Some(next);
            let mut fed = 0;
            while let Some(ready) = next.take() {
                let Some((message, last)) = message(ready) else {
                    let _ = sink.close().await;
                    return false;
                };
                if sink.feed(message).await.is_err() {
                    return false;
                }
                if last {
                    let _ = sink.flush().await;
                    return false;
                }
                fed += 1;
                if fed < WRITE_BATCH {
                    next = feed.try_next().map(|n| Ok(Some(n)));
                }
            }
            sink.flush().await.is_ok()
        })
        .await;
        if written != Ok(true) {
            return;
        }
    }
}
