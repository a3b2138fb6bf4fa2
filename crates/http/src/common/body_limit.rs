//! Request bodies are read here, before any handler, up to a limit that depends on
//! the route: an upload (`POST …/attachments`) up to the attachment limit, any
//! other body up to the JSON limit. A declared `Content-Length` over the limit is
//! refused before a byte is read; a body without one (chunked, or HTTP/2) is read
//! up to the limit and refused past it; a body that does not arrive whole within
//! the body timeout is refused too. A handler never sees more.

use std::sync::Arc;
use std::time::Duration;

use poem::error::ReadBodyError;
use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, IntoResponse as _, Request, Response};

/// What a request body may be.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// Any body but an upload, in bytes.
    pub json: usize,
    /// An attachment's bytes.
    pub upload: usize,
    /// How long a body may take to arrive.
    pub timeout: Duration,
}

impl BodyLimits {
    /// The limit of this request's route.
    fn of(&self, request: &Request) -> usize {
        let path = request.uri().path();
        if request.method() == Method::POST
            && path.starts_with("/api/v1/events/")
            && path.ends_with("/attachments")
        {
            self.upload
        } else {
            self.json
        }
    }
}

fn refuse(status: StatusCode, detail: String) -> poem::Error {
    poem::Error::from_string(detail, status)
}

/// Reads the body within its limits, then hands the request on.
pub async fn limit_body<E: Endpoint>(
    endpoint: Arc<E>,
    mut request: Request,
    limits: BodyLimits,
) -> poem::Result<Response> {
    let max = limits.of(&request);
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body exceeds {max} bytes"),
        )
    };
    match request
        .header(header::CONTENT_LENGTH)
        .map(str::parse::<usize>)
    {
        Some(Ok(length)) if length > max => return Err(too_large()),
        Some(Err(_)) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "invalid Content-Length".into(),
            ));
        }
        _ => {}
    }
    let body = request.take_body();
    let bytes = match tokio::time::timeout(limits.timeout, body.into_bytes_limit(max)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(ReadBodyError::PayloadTooLarge)) => return Err(too_large()),
        Ok(Err(error)) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {error}"),
            ));
        }
        Err(_) => {
            return Err(refuse(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the body did not arrive within {} s",
                    limits.timeout.as_secs()
                ),
            ));
        }
    };
    request.set_body(bytes);
    endpoint.call(request).await.map(|r| r.into_response())
}
