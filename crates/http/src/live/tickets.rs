//! Single-use tickets for live feeds, for clients that cannot send an
//! `Authorization` header (a browser's WebSocket): a ticket stands for its
//! caller for 30 seconds, once, on the process that issued it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentry_domain::Principal;
use agentry_domain::workspace::TokenSecret;
use chrono::{DateTime, Utc};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::Tag;
use crate::common::auth::Caller;
use crate::common::problem::ApiResult;

/// How long a ticket may wait to be used.
pub const TICKET_TTL: Duration = Duration::from_secs(30);

/// Tickets issued and not yet used.
#[derive(Clone, Debug, Default)]
pub struct Tickets(Arc<Mutex<HashMap<String, (Principal, Instant)>>>);

impl Tickets {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Principal, Instant)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new ticket for `who`: 256 random bits, as a token's.
    ///
    /// # Errors
    /// `Internal` when the operating system has no randomness to give.
    pub fn issue(&self, who: Principal) -> agentry_domain::Result<String> {
        let secret = TokenSecret::generate()?;
        let ticket = secret.expose().replacen("agt_", "tkt_", 1);
        let now = Instant::now();
        let mut tickets = self.lock();
        tickets.retain(|_, (_, issued)| now.duration_since(*issued) < TICKET_TTL);
        tickets.insert(ticket.clone(), (who, now));
        Ok(ticket)
    }

    /// Who `ticket` stands for, once, while it lasts.
    #[must_use]
    pub fn redeem(&self, ticket: &str) -> Option<Principal> {
        let (who, issued) = self.lock().remove(ticket)?;
        (issued.elapsed() < TICKET_TTL).then_some(who)
    }
}

/// A ticket for a live feed.
#[derive(Debug, Object)]
pub struct StreamTicketOut {
    /// Pass as `ticket=` to `/api/v1/ws` or `/api/v1/events/stream`, once.
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
enum TicketIssued {
    #[oai(status = 201)]
    Created(Json<StreamTicketOut>),
}

/// Tickets for live feeds.
#[derive(Debug)]
pub struct TicketsApi {
    pub tickets: Tickets,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Events")]
impl TicketsApi {
    /// A single-use ticket that authenticates one live feed (`ticket=` on
    /// `GET /api/v1/ws` or `/api/v1/events/stream`) as the caller, within 30
    /// seconds, on this server: for clients that cannot send a header.
    #[oai(
        path = "/stream-tickets",
        method = "post",
        operation_id = "create_stream_ticket"
    )]
    async fn create(&self, caller: Caller) -> ApiResult<TicketIssued> {
        let ticket = self.tickets.issue(caller.0)?;
        let expires_at = Utc::now()
            + chrono::Duration::from_std(TICKET_TTL).unwrap_or_else(|_| chrono::Duration::zero());
        Ok(TicketIssued::Created(Json(StreamTicketOut {
            ticket,
            expires_at,
        })))
    }
}
