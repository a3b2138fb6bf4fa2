//! RFC 7807 problem responses: one envelope for every error, one function that
//! maps a domain error kind to a status, and a catch-all for errors that poem
//! raises before a handler runs (bad JSON, bad parameters, unknown routes).

use agentry_domain::{Error, ErrorKind};
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 7807 problem.
#[derive(Clone, Debug, Object, serde::Serialize)]
pub struct Problem {
    /// A stable URI naming the kind of problem, e.g. `urn:agentry:problem:not-found`.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    pub status: u16,
    /// What happened in this occurrence.
    pub detail: String,
    /// The input at fault, for validation problems (the first, when there are
    /// several).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem of the input, when one check found several (a workflow
    /// definition's): each names its field.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Box<Vec<FieldProblem>>>,
}

/// One thing wrong with an input.
#[derive(Clone, Debug, Object, serde::Serialize)]
pub struct FieldProblem {
    /// Where, as a path: `definition.nodes[2].type`.
    pub field: String,
    pub message: String,
}

impl Problem {
    #[must_use]
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:agentry:problem:{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            problems: None,
        }
    }
}

/// Every error an operation may answer with.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed: unparsable JSON, a bad parameter.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No valid bearer token was presented.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// The caller may not do this.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// The resource does not exist, or the caller may not see it.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request clashes with the current state: a duplicate, a dangling
    /// reference, or a status change the state machine forbids.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The body did not arrive whole within the body timeout.
    #[oai(status = 408, content_type = "application/problem+json")]
    RequestTimeout(Json<Problem>),
    /// `If-Match` named a version that is no longer current: someone changed the
    /// record since it was read. Nothing was written.
    #[oai(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Json<Problem>),
    /// The body is larger than the route allows, or a payload than its type allows.
    #[oai(status = 413, content_type = "application/problem+json")]
    TooLarge(Json<Problem>),
    /// The body's `Content-Type` is not the one the operation takes (operations
    /// with a body).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// The request is well-formed but breaks a rule.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Something failed on our side; the details are in the server log.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// The database cannot be reached now, or the request outlived the request
    /// timeout; nothing is known to have been written. Retry after `Retry-After`
    /// seconds.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(
        Json<Problem>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u32,
    ),
}

/// Seconds a client is asked to wait after a 503: a database restart takes a
/// few, and clients retrying together should not all come back at once.
pub const RETRY_AFTER_SECONDS: u32 = 2;

impl ApiError {
    /// A 503 with `Retry-After`, saying `detail`.
    #[must_use]
    pub fn unavailable(detail: impl Into<String>) -> Self {
        let problem = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail);
        Self::Unavailable(Json(problem), RETRY_AFTER_SECONDS)
    }

    /// A 500 that says nothing of the cause; the caller logs it.
    #[must_use]
    pub fn internal() -> Self {
        Self::Internal(Json(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            INTERNAL_DETAIL,
        )))
    }
}

const INTERNAL_DETAIL: &str = "an internal error occurred; it has been logged";

/// The result of every operation.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let detail = error.to_string();
        let problem = |status, slug| Json(Problem::new(status, slug, detail.clone()));
        match error.kind() {
            ErrorKind::Unauthenticated => {
                Self::Unauthorized(problem(StatusCode::UNAUTHORIZED, "unauthenticated"))
            }
            ErrorKind::Forbidden => Self::Forbidden(problem(StatusCode::FORBIDDEN, "forbidden")),
            ErrorKind::NotFound => Self::NotFound(problem(StatusCode::NOT_FOUND, "not-found")),
            ErrorKind::Conflict => Self::Conflict(problem(StatusCode::CONFLICT, "conflict")),
            ErrorKind::InvalidTransition => {
                Self::Conflict(problem(StatusCode::CONFLICT, "invalid-transition"))
            }
            ErrorKind::StaleVersion => Self::PreconditionFailed(Json(Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-version",
                format!("{detail}; read it again and retry"),
            ))),
            ErrorKind::TooLarge => {
                Self::TooLarge(problem(StatusCode::PAYLOAD_TOO_LARGE, "too-large"))
            }
            ErrorKind::Validation => {
                let mut body = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    detail.clone(),
                );
                let problems = error.problems();
                body.field = problems.first().map(|p| p.field.clone());
                if let Error::Invalid(_) = &error {
                    body.problems = Some(Box::new(
                        problems
                            .into_iter()
                            .map(|p| FieldProblem {
                                field: p.field,
                                message: p.message,
                            })
                            .collect(),
                    ));
                }
                Self::Unprocessable(Json(body))
            }
            ErrorKind::Unavailable if matches!(error, Error::Sealing(_)) => {
                // A key missing or wrong, or sealed bytes altered: not a passing
                // outage, someone must act.
                tracing::error!(error = %error, "a workflow definition cannot be sealed or opened");
                Self::unavailable(detail)
            }
            ErrorKind::Unavailable => {
                tracing::warn!(error = ?error, "request failed: the database is unavailable");
                Self::unavailable(detail)
            }
            ErrorKind::Internal => {
                tracing::error!(error = ?error, "request failed");
                Self::internal()
            }
        }
    }
}

/// A bad-request problem for input the HTTP layer itself rejects.
#[must_use]
pub fn bad_request(field: &str, detail: impl Into<String>) -> ApiError {
    let mut problem = Problem::new(StatusCode::BAD_REQUEST, "bad-request", detail);
    problem.field = Some(field.to_owned());
    ApiError::BadRequest(Json(problem))
}

/// Turns any error poem raised outside a handler into a problem response.
pub async fn render_poem_error(error: poem::Error) -> Response {
    // An operation's own problem response, carried through poem as an error.
    if error.is_from_response() {
        return error.into_response();
    }
    // poem-openapi names path parameters `param0`, `param1`… internally, and its
    // message would show that; every path parameter here is an id (a UUID) or
    // a version number.
    if let Some(path) = error.downcast_ref::<poem_openapi::error::ParsePathError>() {
        let mut problem = Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            format!(
                "a value in the path is not an id (a UUID) or a number where the operation \
                 takes one: {}",
                path.reason
            ),
        );
        problem.field = Some("path".to_owned());
        return ApiError::BadRequest(Json(problem)).into_response();
    }
    let status = error.status();
    let slug = match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::REQUEST_TIMEOUT => "request-timeout",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        s if s.is_server_error() => "internal",
        _ => "error",
    };
    let detail = if status.is_server_error() {
        tracing::error!(error = %error, "request failed outside a handler");
        INTERNAL_DETAIL.to_owned()
    } else {
        error.to_string()
    };
    let body = serde_json::to_vec(&Problem::new(status, slug, detail)).unwrap_or_default();
    let mut response = body
        .with_status(status)
        .with_content_type(PROBLEM_JSON)
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            "WWW-Authenticate",
            poem::http::HeaderValue::from_static("Bearer"),
        );
    }
    response
}
