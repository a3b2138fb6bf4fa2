//! `GET /api/v1/events/stream`: a live feed as server-sent events. Each event
//! is `event: event.new`, `id:` its id (a browser's `EventSource` resumes with
//! it as `Last-Event-ID`), `data:` the event as `GET /events/{id}` shows it. A
//! subscriber that falls a whole queue behind gets `event: overflow` and the
//! stream ends; it reconnects from its last id. A running turn's deltas come
//! as `event: agent.stream.delta`, without an id (they are not stored).
//!
//! An event's frame is encoded once and shared by every subscriber that gets it.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use poem::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use poem::web::Query;
use poem::{Body, Request, Response, handler};
use tokio::time::{Instant, Sleep};

use super::feed::{Feed, Next};
use super::{Params, open};

/// A comment after this long without a message keeps proxies from closing
/// a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A feed being sent, and when it last sent something.
struct Sending {
    feed: Feed,
    quiet: Pin<Box<Sleep>>,
    last: Instant,
}

fn frame(kind: &str, data: &str) -> Bytes {
    format!("event: {kind}\ndata: {data}\n\n").into()
}

#[handler]
pub async fn stream(request: &Request, Query(params): Query<Params>) -> Response {
    let feed = match open(request, params).await {
        Ok(feed) => feed,
        Err(refused) => return refused,
    };
    let sending = Sending {
        feed,
        quiet: Box::pin(tokio::time::sleep(KEEP_ALIVE)),
        last: Instant::now(),
    };
    let frames = futures::stream::unfold(Some(sending), |sending| async move {
        let mut sending = sending?;
        let next = loop {
            tokio::select! {
                next = sending.feed.next() => break next,
                () = sending.quiet.as_mut() => {
                    // The timer is moved only when it fires, not at every message.
                    let due = sending.last + KEEP_ALIVE;
                    if Instant::now() >= due {
                        sending.last = Instant::now();
                        sending.quiet.as_mut().reset(sending.last + KEEP_ALIVE);
                        return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), Some(sending)));
                    }
                    sending.quiet.as_mut().reset(due);
                }
            }
        };
        sending.last = Instant::now();
        let (sent, go_on) = match next {
            Ok(Some(Next::Event(delivery))) => (delivery.sse(), true),
            Ok(Some(Next::Delta(delta))) => (frame(super::DELTA_TYPE, &delta), true),
            Ok(Some(Next::Overflowed)) => (
                frame(
                    "overflow",
                    r#"{"reason": "the subscriber fell behind; reconnect with its last event id"}"#,
                ),
                false,
            ),
            Ok(None) => return None,
            Err(e) => (
                frame(
                    "error",
                    &serde_json::json!({"reason": e.to_string()}).to_string(),
                ),
                false,
            ),
        };
        Some((Ok::<_, std::io::Error>(sent), go_on.then_some(sending)))
    });
    Response::builder()
        .header(CONTENT_TYPE, "text/event-stream")
        .header(CACHE_CONTROL, "no-cache")
        .body(Body::from_bytes_stream(frames))
}
