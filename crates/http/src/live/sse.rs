//! `GET /api/v1/events/stream`: a live feed as server-sent events. Each event
//! is `event: event.new`, `id:` its id (a browser's `EventSource` resumes with
//! it as `Last-Event-ID`), `data:` the event as `GET /events/{id}` shows it. A
//! subscriber that falls a whole queue behind gets `event: overflow` and the
//! stream ends; it reconnects from its last id. A running turn's deltas come
//! as `event: agent.stream.delta`, without an id (they are not stored).

use std::time::Duration;

use poem::web::Query;
use poem::web::sse::{Event as SseEvent, SSE};
use poem::{IntoResponse, Request, Response, handler};

use super::feed::{Feed, Next};
use super::{Params, open};
use crate::log::EventOut;

/// A comment this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[handler]
pub async fn stream(request: &Request, Query(params): Query<Params>) -> Response {
    let feed = match open(request, params).await {
        Ok(feed) => feed,
        Err(refused) => return refused,
    };
    let events = futures::stream::unfold(Some(feed), |feed| async move {
        let mut feed: Feed = feed?;
        match feed.next().await {
            Ok(Some(Next::Event(delivery))) => {
                let (_, event) = &*delivery;
                let id = event.id.0.to_string();
                let data =
                    serde_json::to_string(&EventOut::from(event.clone())).unwrap_or_default();
                let sent = SseEvent::message(data).event_type("event.new").id(id);
                Some((sent, Some(feed)))
            }
            Ok(Some(Next::Delta(delta))) => {
                let data = serde_json::to_string(&*delta).unwrap_or_default();
                Some((
                    SseEvent::message(data).event_type(super::DELTA_TYPE),
                    Some(feed),
                ))
            }
            Ok(Some(Next::Overflowed)) => {
                let said = SseEvent::message(
                    r#"{"reason": "the subscriber fell behind; reconnect with its last event id"}"#,
                )
                .event_type("overflow");
                Some((said, None))
            }
            Ok(None) => None,
            Err(e) => {
                let said =
                    SseEvent::message(serde_json::json!({"reason": e.to_string()}).to_string())
                        .event_type("error");
                Some((said, None))
            }
        }
    });
    SSE::new(events).keep_alive(KEEP_ALIVE).into_response()
}
