//! Agentry's REST API over poem-openapi: one `#[OpenApi]` struct per resource, in a
//! module per domain context (`workspace`, `tracker`, `log`, `registry`), each with
//! its request and response bodies in `dto.rs`; what they share is in `common`.
//! Combined here with bearer auth, RFC 7807 problems, the generated spec and its UI.
//!
//! Depends on `agentry-domain` only; the composition root hands it the services.

mod common;
pub mod live;
mod log;
mod operations;
mod planning;
mod registry;
mod squads;
mod tracker;
mod workspace;

use std::pin::Pin;
use std::sync::Arc;

use agentry_domain::Services;
use poem::{Endpoint, EndpointExt as _, IntoEndpoint, IntoResponse as _, Route, get, handler};
use poem_openapi::{OpenApiService, Tags};

pub use common::problem::{PROBLEM_JSON, Problem, RETRY_AFTER_SECONDS};

#[derive(Debug, Tags)]
enum Tag {
    /// Users and API tokens.
    Accounts,
    /// Projects, members and labels.
    Projects,
    /// Tasks, their labels and links.
    Tasks,
    /// The event log: chat, comments and every recorded action.
    Events,
    /// Files attached to events.
    Attachments,
    /// Assistants, their tools, sub-assistants and threads.
    Registry,
    /// Plans: a goal and its task graph, run by agents.
    Plans,
    /// Inbound channels: an outside chat (Telegram) bridged into a project's chat.
    Channels,
    /// Squads of assistants, their versioned workflows and the template library.
    Squads,
}

type Apis = (
    workspace::AccountsApi,
    workspace::ProjectsApi,
    tracker::LabelsApi,
    tracker::TasksApi,
    log::EventsApi,
    log::AttachmentsApi,
    registry::AssistantsApi,
    registry::ToolsApi,
    registry::ThreadsApi,
    registry::RegistryApi,
    planning::PlansApi,
    operations::ChannelsApi,
    operations::RetentionApi,
    (
        squads::SquadsApi,
        squads::WorkflowsApi,
        squads::TemplatesApi,
    ),
    live::TicketsApi,
);

pub use common::body_limit::BodyLimits;
pub use common::deadline::Readiness;

/// What `/metrics` answers: the Prometheus text exposition, rendered by the
/// composition root (which also reads the gauges it reports).
pub type MetricsText = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = String> + Send>> + Send + Sync>;

/// HTTP settings the composition root decides.
#[derive(Clone)]
pub struct HttpOptions {
    pub bodies: BodyLimits,
    /// How long an operation may run once its body is read.
    pub request_timeout: std::time::Duration,
    /// What `/readyz` asks.
    pub readiness: Readiness,
    /// Why agent tasks wait, when this server runs no engine (shown on plans).
    pub engine_note: Option<String>,
    /// Live feeds' hub and tickets.
    pub live: live::Live,
    /// What `/metrics` answers.
    pub metrics: MetricsText,
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOptions")
            .field("bodies", &self.bodies)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

fn service(
    services: &Services,
    engine_note: Option<String>,
    tickets: live::Tickets,
) -> OpenApiService<Apis, ()> {
    let services = || services.clone();
    let apis = (
        workspace::AccountsApi {
            services: services(),
        },
        workspace::ProjectsApi {
            services: services(),
        },
        tracker::LabelsApi {
            services: services(),
        },
        tracker::TasksApi {
            services: services(),
        },
        log::EventsApi {
            services: services(),
        },
        log::AttachmentsApi {
            services: services(),
        },
        registry::AssistantsApi {
            services: services(),
        },
        registry::ToolsApi {
            services: services(),
        },
        registry::ThreadsApi {
            services: services(),
        },
        registry::RegistryApi {
            services: services(),
        },
        planning::PlansApi {
            services: services(),
            engine_note,
        },
        operations::ChannelsApi {
            services: services(),
        },
        operations::RetentionApi {
            services: services(),
        },
        (
            squads::SquadsApi {
                services: services(),
            },
            squads::WorkflowsApi {
                services: services(),
            },
            squads::TemplatesApi {
                services: services(),
            },
        ),
        live::TicketsApi { tickets },
    );
    OpenApiService::new(apis, "Agentry", env!("CARGO_PKG_VERSION"))
        .description("Control plane for teams of people and AI agents: projects, tasks and one append-only event log.")
}

/// The OpenAPI document, as committed in `docs/openapi.json`.
#[must_use]
pub fn spec_json(services: &Services) -> String {
    service(services, None, live::Tickets::default()).spec()
}

/// The process is up (liveness); `/readyz` says whether it can serve.
#[handler]
fn healthz() -> &'static str {
    "ok"
}

/// Every route: `/api/v1/…`, the spec at `/api/v1/openapi.json`, its UI at `/docs`,
/// `/healthz` and `/readyz`. Errors raised outside handlers are rendered as
/// problems too.
pub fn routes(services: Services, options: HttpOptions) -> impl Endpoint {
    let api = service(
        &services,
        options.engine_note.clone(),
        options.live.tickets.clone(),
    );
    let spec = api.spec_endpoint();
    let ui = api.swagger_ui();
    let HttpOptions {
        bodies,
        request_timeout,
        readiness,
        engine_note: _,
        live,
        metrics,
    } = options;
    let metrics = poem::endpoint::make(move |_| {
        let metrics = metrics.clone();
        async move {
            metrics()
                .await
                .with_content_type("text/plain; version=0.0.4; charset=utf-8")
        }
    });
    let readyz = poem::endpoint::make(move |_| {
        let readiness = readiness.clone();
        async move { common::deadline::readyz(&readiness).await }
    });
    Route::new()
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics))
        .at("/api/v1/openapi.json", spec)
        .at("/api/v1/events/stream", get(live::stream))
        .at("/api/v1/ws", get(live::socket))
        .nest("/docs", ui)
        .nest("/", api.into_endpoint())
        .around(move |endpoint, request| {
            common::deadline::with_deadline(endpoint, request, request_timeout)
        })
        .around(move |endpoint, request| common::body_limit::limit_body(endpoint, request, bodies))
        .data(services)
        .data(live)
        .catch_all_error(common::problem::render_poem_error)
        .around(common::metrics::record)
}
