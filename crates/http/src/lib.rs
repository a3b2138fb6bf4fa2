//! Agentry's REST API over poem-openapi: one `#[OpenApi]` struct per resource,
//! combined here with bearer auth, RFC 7807 problems, the generated spec and its UI.
//!
//! Depends on `agentry-domain` only; the composition root hands it the services.

mod accounts;
mod attachments;
mod auth;
mod common;
mod event_schema;
mod events;
mod json_body;
mod problem;
mod projects;
mod registry;
mod tasks;
mod text;

use agentry_domain::Services;
use poem::http::{StatusCode, header};
use poem::{Endpoint, EndpointExt as _, IntoEndpoint, Request, Route, get, handler};
use poem_openapi::{OpenApiService, Tags};

pub use problem::{PROBLEM_JSON, Problem};

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
    accounts::AccountsApi,
    projects::ProjectsApi,
    tasks::TasksApi,
    events::EventsApi,
    attachments::AttachmentsApi,
    registry::AssistantsApi,
    registry::ToolsApi,
    registry::ThreadsApi,
    registry::RegistryApi,
);

/// HTTP settings the composition root decides.
#[derive(Clone, Copy, Debug)]
pub struct HttpOptions {
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

fn service(services: &Services) -> OpenApiService<Apis, ()> {
    let apis = (
        accounts::AccountsApi {
            services: services.clone(),
        },
        projects::ProjectsApi {
            services: services.clone(),
        },
        tasks::TasksApi {
            services: services.clone(),
        },
        events::EventsApi {
            services: services.clone(),
        },
        attachments::AttachmentsApi {
            services: services.clone(),
        },
        registry::AssistantsApi {
            services: services.clone(),
        },
        registry::ToolsApi {
            services: services.clone(),
        },
        registry::ThreadsApi {
            services: services.clone(),
        },
        registry::RegistryApi {
            services: services.clone(),
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
        .around(move |endpoint, request| limit_body(endpoint, request, options.max_body_bytes))
        .data(services)
        .catch_all_error(problem::render_poem_error)
}

/// Refuses a body larger than `max` before it is read: by its declared length, and a
/// streamed body without one is refused outright (411) since it could be any size.
async fn limit_body<E: Endpoint>(
    endpoint: std::sync::Arc<E>,
    request: Request,
    max: usize,
) -> poem::Result<poem::Response> {
    let declared = request
        .header(header::CONTENT_LENGTH)
        .map(str::parse::<usize>);
    match declared {
        Some(Ok(length)) if length > max => {
            return Err(poem::Error::from_string(
                format!("the body exceeds {max} bytes"),
                StatusCode::PAYLOAD_TOO_LARGE,
            ));
        }
        Some(Err(_)) => {
            return Err(poem::Error::from_string(
                "invalid Content-Length",
                StatusCode::BAD_REQUEST,
            ));
        }
        None if request.header(header::TRANSFER_ENCODING).is_some() => {
            return Err(poem::Error::from_string(
                "send a Content-Length with the body",
                StatusCode::LENGTH_REQUIRED,
            ));
        }
        _ => {}
    }
    endpoint
        .call(request)
        .await
        .map(poem::IntoResponse::into_response)
}
