//! Bearer-token authentication: the token is resolved to its caller before the
//! operation runs; a missing or bad token answers 401.

use agentry_domain::{Error, Principal, Services};
use poem::http::StatusCode;
use poem::{IntoResponse as _, Request};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

use super::problem::ApiError;

/// `Authorization: Bearer <token>`, as issued by `POST /api/v1/tokens`.
#[derive(Debug, SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "agt_…", checker = "authenticate")]
pub struct Caller(pub Principal);

async fn authenticate(request: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let services = request
        .data::<Services>()
        .ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    match services.accounts.authenticate(&bearer.token).await {
        Ok(principal) => Ok(principal),
        // An outage is not a bad token: the client should retry, not log in again.
        Err(e @ (Error::Unavailable(_) | Error::Internal(_))) => Err(poem::Error::from_response(
            ApiError::from(e).into_response(),
        )),
        Err(_) => Err(poem::Error::from_string(
            "invalid or revoked token",
            StatusCode::UNAUTHORIZED,
        )),
    }
}
