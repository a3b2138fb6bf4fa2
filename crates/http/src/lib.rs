//! Agentry's REST API over poem-openapi: one `#[OpenApi]` struct per resource, in a
//! module per domain context (`workspace`, `tracker`, `log`, `registry`), each with
//! its request and response bodies in `dto.rs`; what they share is in `common`.
//! Combined here with bearer auth, RFC 7807 problems, the generated spec and its UI.
//!
//! Depends on `agentry-domain` only; the composition root hands it the services.

mod common;
mod log;
mod registry;
mod tracker;
mod workspace;

use agentry_domain::Services;
use poem::{Endpoint, EndpointExt as _, IntoEndpoint, Route, get, handler};
use poem_openapi::{OpenApiService, Tags};

pub use common::problem::{PROBLEM_JSON, Problem};

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
);

pub use common::body_limit::BodyLimits;

/// HTTP settings the composition root decides.
#[derive(Clone, Copy, Debug)]
pub struct HttpOptions {
    pub bodies: BodyLimits,
}

fn service(services: &Services) -> OpenApiService<Apis, ()> {
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
    );
    OpenApiService::new(apis, "Agentry", env!("CARGO_PKG_VERSION"))
        .description("Control plane for teams of people and AI agents: projects, tasks and one append-only event log.")
}

/// The OpenAPI document, as committed in `docs/openapi.json`.
#[must_use]
pub fn spec_json(services: &Services) -> String {
    service(services).spec()
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

/// Every route: `/api/v1/…`, the spec at `/api/v1/openapi.json`, its UI at `/docs`,
/// and `/healthz`. Errors raised outside handlers are rendered as problems too.
pub fn routes(services: Services, options: HttpOptions) -> impl Endpoint {
    let api = service(&services);
    let spec = api.spec_endpoint();
    let ui = api.swagger_ui();
    Route::new()
        .at("/healthz", get(healthz))
        .at("/api/v1/openapi.json", spec)
        .nest("/docs", ui)
        .nest("/", api.into_endpoint())
        .around(move |endpoint, request| {
            common::body_limit::limit_body(endpoint, request, options.bodies)
        })
        .data(services)
        .catch_all_error(common::problem::render_poem_error)
}
