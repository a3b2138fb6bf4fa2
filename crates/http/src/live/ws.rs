//! `GET /api/v1/ws`: a live feed over a WebSocket. The subscription is the
//! query of `/events/stream`; each event comes as a text message
//! `{"type": "event.new", "event": {…}}`, each delta of a running turn as
//! `{"type": "agent.stream.delta", "delta": {…}}`. A subscriber that falls a
//! whole queue behind is closed with code 4008 and resumes with `last_event_id`.

use futures::{FutureExt as _, SinkExt as _, StreamExt as _};
use poem::web::Query;
use poem::web::websocket::{CloseCode, Message, WebSocket, WebSocketConfig};
use poem::{IntoResponse, Request, Response, handler};

use super::feed::{Feed, Next};
use super::{Params, open};

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

/// Messages written before one flush, when several are ready.
const BATCH: usize = 64;

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(CLIENT_MESSAGE_MAX)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(Some(CLIENT_MESSAGE_MAX))
        .max_frame_size(Some(CLIENT_MESSAGE_MAX))
}

/// A feed's next step as a message, and whether the socket closes after it.
fn message(next: Result<Option<Next>, agentry_domain::Error>) -> Option<(Message, bool)> {
    let close = |code: u16, reason: String| Message::Close(Some((CloseCode::from(code), reason)));
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
        Ok(Some(Next::Overflowed)) => (
            close(
                OVERFLOW_CLOSE,
                "too slow: resume with your last event id".into(),
            ),
            true,
        ),
        Ok(None) => return None,
        Err(e) => (close(ERROR_CLOSE, e.to_string()), true),
    })
}

#[handler]
pub async fn socket(request: &Request, Query(params): Query<Params>, ws: WebSocket) -> Response {
    let mut feed: Feed = match open(request, params).await {
        Ok(feed) => feed,
        Err(refused) => return refused,
    };
    ws.config(config())
        .on_upgrade(move |socket| async move {
            let (mut sink, mut incoming) = socket.split();
            loop {
                let next = tokio::select! {
                    next = feed.next() => next,
                    said = incoming.next() => match said {
                        // What a client says is not read; a close or a broken socket ends it.
                        Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                        Some(Ok(_)) => continue,
                    },
                };
                // What is ready already goes out with it, in one write.
                let mut next = Some(next);
                let mut fed = 0;
                while let Some(ready) = next.take() {
                    let Some((message, last)) = message(ready) else {
                        let _ = sink.close().await;
                        return;
                    };
                    if sink.feed(message).await.is_err() {
                        return;
                    }
                    if last {
                        let _ = sink.flush().await;
                        return;
                    }
                    fed += 1;
                    if fed < BATCH {
                        // `next` is cancel-safe: nothing is taken unless it is returned.
                        next = feed.next().now_or_never();
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
        })
        .into_response()
}
