//! Requests counted by route, method and status, with their latency, for
//! `/metrics`. A route is the path with its ids as `{id}`; a path nothing
//! serves counts as `unmatched`, so a scanner cannot grow the label set.

use std::sync::Arc;
use std::time::Instant;

use poem::{Endpoint, IntoResponse, Request, Response};

/// Records the request's outcome around `endpoint`.
pub async fn record<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let outcome = endpoint
        .call(request)
        .await
        .map(IntoResponse::into_response);
    let status = match &outcome {
        Ok(response) => response.status(),
        Err(error) => error.status(),
    };
    let route = if status == poem::http::StatusCode::NOT_FOUND && !is_known(&path) {
        "unmatched".to_owned()
    } else {
        route_of(&path)
    };
    metrics::counter!("agentry_http_requests_total",
        "method" => method.clone(), "route" => route.clone(), "status" => status.as_u16().to_string())
    .increment(1);
    metrics::histogram!("agentry_http_request_duration_seconds",
        "method" => method, "route" => route)
    .record(started.elapsed().as_secs_f64());
    outcome
}

/// Whether `path` is under a root this server serves.
fn is_known(path: &str) -> bool {
    ["/api/v1/", "/healthz", "/readyz", "/metrics", "/docs"]
        .iter()
        .any(|root| path.starts_with(root))
}

/// The path with every id as `{id}`, at most 8 segments.
fn route_of(path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .take(8)
        .map(|s| {
            if uuid::Uuid::parse_str(s).is_ok() {
                "{id}"
            } else {
                s
            }
        })
        .collect();
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_placeholders() {
        assert_eq!(
            route_of("/api/v1/plans/01a2300d-52f3-72c4-8cb7-8de941002ff5/usage"),
            "/api/v1/plans/{id}/usage"
        );
        assert_eq!(route_of("/healthz"), "/healthz");
        assert!(!is_known("/wp-admin/setup.php"));
    }
}
