//! Operational endpoints and guards around every operation: a handler that
//! outlives the request timeout (a database that neither answers nor refuses)
//! answers 503 instead of holding the client, and `/readyz` says whether the
//! database answers now, for a load balancer to route by.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};

use super::problem::{ApiError, PROBLEM_JSON, Problem, RETRY_AFTER_SECONDS};

/// Whether the service can serve now: the composition root's check of its
/// dependencies (the database), answered within the time given.
pub type Readiness =
    Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// How long `/readyz` waits for its check: a probe must not hang on an outage.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs the operation, or answers 503 once `timeout` has passed. The body was
/// read before (see `body_limit`), so this bounds the work, not the upload.
pub async fn with_deadline<E: Endpoint>(
    endpoint: Arc<E>,
    request: Request,
    timeout: Duration,
) -> poem::Result<Response> {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(timeout, endpoint.call(request)).await {
        Ok(outcome) => outcome.map(IntoResponse::into_response),
        Err(_) => {
            tracing::warn!(%path, ?timeout, "request timed out");
            let detail = format!(
                "the request did not complete within {} s; it may or may not have taken effect",
                timeout.as_secs()
            );
            Ok(ApiError::unavailable(detail).into_response())
        }
    }
}

/// `/readyz`: 200 when the database answers within two seconds, else 503 with
/// `Retry-After`.
pub async fn readyz(readiness: &Readiness) -> Response {
    if readiness(READINESS_TIMEOUT).await {
        return "ready".into_response();
    }
    let problem = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the database does not answer",
    );
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    body.with_status(StatusCode::SERVICE_UNAVAILABLE)
        .with_content_type(PROBLEM_JSON)
        .with_header("Retry-After", RETRY_AFTER_SECONDS)
        .into_response()
}
