//! Live feeds: `GET /api/v1/events/stream` (server-sent
//! events) and `GET /api/v1/ws` (WebSocket) send `event.new` for every new
//! event of a project, a task or a thread that passes the subscriber's
//! `types`, in commit order, resuming after the client's last event id, and
//! `agent.stream.delta` for each piece of a running turn's answer of a task
//! watched (its own feed or its project's).
//! Authenticated as the rest of the API, or, where a client cannot set a
//! header (a browser's WebSocket), with a single-use ticket from
//! `POST /api/v1/stream-tickets`.

mod feed;
mod hub;
mod sse;
mod tickets;
mod ws;

use std::sync::Arc;

use agentry_domain::id::{EventId, ProjectId, TaskId};
use agentry_domain::log::{DeltaBus, EventFilter, LiveLog};
use agentry_domain::{Error, Principal, Services};
use poem::{IntoResponse as _, Request, Response};
use serde::Deserialize;
use uuid::Uuid;

pub use hub::{Hub, QUEUE, Wants};

/// What a stream delta is called on a live feed, and in `types=`.
pub const DELTA_TYPE: &str = "agent.stream.delta";

/// How long a write to a subscriber may take before the client is given up
/// on: a WebSocket's here; the server holds every write, an SSE stream's
/// too, to the same deadline.
pub const WRITE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Messages gathered into one write to a subscriber, when several are ready.
pub const WRITE_BATCH: usize = 64;
pub use sse::stream;
pub use tickets::{TICKET_TTL, Tickets, TicketsApi};
pub use ws::socket;

use crate::common::problem::ApiError;

/// What the server puts in each request's extensions about its connection:
/// a WebSocket takes the connection over, and keeps its `slot` of the
/// server's connection limit while it lives, and closes once `stop` says
/// the server is stopping.
#[derive(Clone)]
pub struct ConnectionSlot {
    pub slot: Arc<dyn std::any::Any + Send + Sync>,
    pub stop: tokio_util::sync::CancellationToken,
}

impl std::fmt::Debug for ConnectionSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionSlot").finish_non_exhaustive()
    }
}

/// What live feeds share in a process: the hub and the tickets it issued.
#[derive(Clone, Debug)]
pub struct Live {
    pub hub: Hub,
    pub tickets: Tickets,
}

impl Live {
    #[must_use]
    pub fn new(log: Arc<dyn LiveLog>, deltas: Arc<dyn DeltaBus>) -> Self {
        Self {
            hub: Hub::new(log, deltas),
            tickets: Tickets::default(),
        }
    }
}

/// A subscription's query: what to watch (one of `project_id`, `task_id`,
/// `thread_id`), which `types`, from after which event, and a ticket when
/// there is no `Authorization` header.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    project_id: Option<Uuid>,
    task_id: Option<Uuid>,
    thread_id: Option<Uuid>,
    #[serde(default)]
    types: Option<String>,
    last_event_id: Option<Uuid>,
    ticket: Option<String>,
}

/// Who asks: the bearer token's caller, or the ticket's.
async fn caller(request: &Request, live: &Live, ticket: Option<&str>) -> Result<Principal, Error> {
    if let Some(ticket) = ticket {
        return live.tickets.redeem(ticket).ok_or(Error::Unauthenticated);
    }
    let token = request
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(Error::Unauthenticated)?;
    let services = request
        .data::<Services>()
        .ok_or_else(|| Error::internal("no services"))?;
    services
        .accounts
        .authenticate(token.trim())
        .await
        .map_err(|e| match e {
            Error::Unavailable(_) | Error::Internal(_) => e,
            _ => Error::Unauthenticated,
        })
}

/// The stored types `types=` names, and whether it asks for stored events
/// and for deltas: without `types`, both; `agent.stream.delta` alone, deltas only.
fn wanted(types: Option<&str>) -> (Vec<String>, Wants) {
    let named: Vec<&str> = types
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if named.is_empty() {
        let both = Wants {
            events: true,
            deltas: true,
        };
        return (Vec::new(), both);
    }
    let (deltas, stored): (Vec<&str>, Vec<&str>) =
        named.into_iter().partition(|t| *t == DELTA_TYPE);
    let wants = Wants {
        events: deltas.is_empty() || !stored.is_empty(),
        deltas: !deltas.is_empty(),
    };
    (stored.into_iter().map(str::to_owned).collect(), wants)
}

/// Checks who asks and what for, and opens the feed.
async fn open(request: &Request, params: Params) -> Result<feed::Feed, Response> {
    let refuse = |e: Error| ApiError::from(e).into_response();
    let live = request
        .data::<Live>()
        .ok_or_else(|| refuse(Error::internal("no live hub")))?;
    let services = request
        .data::<Services>()
        .ok_or_else(|| refuse(Error::internal("no services")))?;
    let who = caller(request, live, params.ticket.as_deref())
        .await
        .map_err(refuse)?;
    let watched = [params.project_id, params.task_id, params.thread_id]
        .iter()
        .filter(|w| w.is_some())
        .count();
    if watched != 1 {
        return Err(refuse(Error::validation(
            "project_id",
            "name exactly one of project_id, task_id and thread_id",
        )));
    }
    let (types, wants) = wanted(params.types.as_deref());
    if !wants.events && params.thread_id.is_some() {
        return Err(refuse(Error::validation(
            "types",
            "a thread's feed has no stream deltas: watch its task or project",
        )));
    }
    let mut filter = EventFilter::parse(
        params.project_id.map(ProjectId),
        params.task_id.map(TaskId),
        params.thread_id.map(EventId),
        &types,
        None,
        Some(1),
    )
    .map_err(refuse)?;
    // The feed's own checks: who may see what, which types exist.
    services
        .events
        .list(&who, filter.clone())
        .await
        .map_err(refuse)?;
    filter.limit = u32::MAX;
    let last = params.last_event_id.or_else(|| {
        request
            .headers()
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    });
    feed::Feed::open(&live.hub, filter, wants, last.map(EventId))
        .await
        .map_err(refuse)
}

#[cfg(test)]
mod tests {
    use super::{DELTA_TYPE, Wants, wanted};

    #[test]
    fn types_choose_stored_events_deltas_or_both() {
        let both = Wants {
            events: true,
            deltas: true,
        };
        assert_eq!(wanted(None), (Vec::new(), both));
        assert_eq!(wanted(Some(" , ")), (Vec::new(), both));
        let (types, wants) = wanted(Some(&format!("{DELTA_TYPE},")));
        assert!(types.is_empty());
        assert_eq!(
            wants,
            Wants {
                events: false,
                deltas: true
            }
        );
        let (types, wants) = wanted(Some(&format!("chat_message,{DELTA_TYPE}")));
        assert_eq!((types, wants), (vec!["chat_message".to_owned()], both));
        let (types, wants) = wanted(Some("chat_message"));
        assert_eq!(types, vec!["chat_message".to_owned()]);
        assert!(wants.events && !wants.deltas);
    }
}
