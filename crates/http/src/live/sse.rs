//! `GET /api/v1/events/stream`: a live feed as server-sent events. Each event
//! is `event: event.new`, `id:` its id (a browser's `EventSource` resumes with
//! it as `Last-Event-ID`), `data:` the event as `GET /events/{id}` shows it. A
//! subscriber that falls a whole queue behind gets `event: overflow` and the
//! stream ends; it reconnects from its last id. A running turn's deltas come
//! as `event: agent.stream.delta`, without an id (they are not stored).
//!
//! An event's frame is encoded once and shared by every subscriber that gets it.
//! The body goes on for as long as the feed does: the server ends it when the
//! client closes or the server stops, knowing it by its `text/event-stream`
//! type.

use bytes::Bytes;
use poem::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use poem::web::Query;
use poem::{Body, Request, Response, handler};

use super::feed::{Feed, Next};
use super::{Params, open};

fn frame(kind: &str, data: &str) -> Bytes {
    format!("event: {kind}\ndata: {data}\n\n").into()
}

#[handler]
pub async fn stream(request: &Request, Query(params): Query<Params>) -> Response {
    let feed = match open(request, params).await {
        Ok(feed) => feed,
        Err(refused) => return refused,
    };
    let frames = futures::stream::unfold(Some(feed), |feed| async move {
        let mut feed: Feed = feed?;
        let next = feed.next().await;
        let (sent, go_on) = match next {
            Ok(Some(Next::Event(delivery))) => (delivery.sse(), true),
            // Keeps proxies, and the server's idle timer, from closing a quiet stream.
            Ok(Some(Next::KeepAlive)) => (Bytes::from_static(b": keep-alive\n\n"), true),
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
        Some((Ok::<_, std::io::Error>(sent), go_on.then_some(feed)))
    });
    Response::builder()
        .header(CONTENT_TYPE, "text/event-stream")
        .header(CACHE_CONTROL, "no-cache")
        // nginx would otherwise hold the stream back in its buffers.
        .header("x-accel-buffering", "no")
        .body(Body::from_bytes_stream(frames))
}
