//! `GET /api/v1/ws`: a live feed over a WebSocket. The subscription is the
//! query of `/events/stream`; each event comes as a text message
//! `{"type": "event.new", "event": {…}}`, each delta of a running turn as
//! `{"type": "agent.stream.delta", "delta": {…}}`. A subscriber that falls a whole
//! queue behind is closed with code 4008 and resumes with `last_event_id`.

use futures::{SinkExt as _, StreamExt as _};
use poem::web::Query;
use poem::web::websocket::{CloseCode, Message, WebSocket};
use poem::{IntoResponse, Request, Response, handler};
use serde_json::json;

use super::feed::Next;
use super::{Params, open};
use crate::log::EventOut;

/// The close code of a subscriber dropped for falling behind.
pub const OVERFLOW_CLOSE: u16 = 4008;

/// The close code of a feed that could not go on (the log is unreadable).
pub const ERROR_CLOSE: u16 = 1011;

#[handler]
pub async fn socket(request: &Request, Query(params): Query<Params>, ws: WebSocket) -> Response {
    let mut feed = match open(request, params).await {
        Ok(feed) => feed,
        Err(refused) => return refused,
    };
    ws.on_upgrade(move |socket| async move {
        let (mut sink, mut incoming) = socket.split();
        loop {
            let next = tokio::select! {
                next = feed.next() => next,
                message = incoming.next() => match message {
                    // What a client says is not read; a close or a broken socket ends it.
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                },
            };
            let close =
                |code: u16, reason: String| Message::Close(Some((CloseCode::from(code), reason)));
            let message = match next {
                Ok(Some(Next::Event(delivery))) => {
                    let event = EventOut::from(delivery.1.clone());
                    Message::Text(json!({"type": "event.new", "event": event}).to_string())
                }
                Ok(Some(Next::Delta(delta))) => {
                    Message::Text(json!({"type": super::DELTA_TYPE, "delta": &*delta}).to_string())
                }
                Ok(Some(Next::Overflowed)) => {
                    let _ = sink
                        .send(close(
                            OVERFLOW_CLOSE,
                            "too slow: resume with your last event id".into(),
                        ))
                        .await;
                    return;
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = sink.send(close(ERROR_CLOSE, e.to_string())).await;
                    return;
                }
            };
            if sink.send(message).await.is_err() {
                return;
            }
        }
    })
    .into_response()
}
