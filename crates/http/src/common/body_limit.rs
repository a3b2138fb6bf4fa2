//! The request body limit, enforced before a body is read.

use poem::http::{StatusCode, header};
use poem::{Endpoint, Request};

/// Refuses a body larger than `max` before it is read: by its declared length, and a
/// streamed body without one is refused outright (411) since it could be any size.
pub async fn limit_body<E: Endpoint>(
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
