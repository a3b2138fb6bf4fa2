//! The domain error: business variants the adapters map to statuses, plus one
//! opaque `Internal` for infrastructure failures whose detail must not leak.

/// Shorthand used by every port and use case.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller presented no credentials, or ones that are not valid.
    #[error("authentication required")]
    Unauthenticated,
    /// The caller is known but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The entity does not exist, or the caller may not know that it does.
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The input breaks a rule; `field` names the offending input.
    #[error("invalid {field}: {message}")]
    Validation { field: String, message: String },
    /// The request clashes with the current state (a duplicate, a dangling reference).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A status change the task state machine does not allow.
    #[error("a task cannot go from {from} to {to}")]
    InvalidTransition { from: String, to: String },
    /// An optimistic-concurrency check failed: someone changed the entity first.
    #[error("stale version: expected {expected}, current is {actual}")]
    StaleVersion { expected: i64, actual: i64 },
    /// The payload is larger than allowed.
    #[error("{what} exceeds {limit} bytes")]
    TooLarge { what: &'static str, limit: usize },
    /// A dependency (the database) cannot be reached now; the same request may
    /// succeed later. Its source is logged, never shown to callers.
    #[error("the service is unavailable; retry shortly")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An infrastructure failure; its source is logged, never shown to callers.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The category of an [`Error`], stable for callers that map it to a protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Unauthenticated,
    Forbidden,
    NotFound,
    Validation,
    Conflict,
    InvalidTransition,
    StaleVersion,
    TooLarge,
    Unavailable,
    Internal,
}

impl Error {
    /// A validation error about a part of something larger: `field` becomes
    /// `prefix.field`; other errors stay as they are.
    #[must_use]
    pub fn within(self, prefix: &str) -> Self {
        match self {
            Self::Validation { field, message } => Self::Validation {
                field: format!("{prefix}.{field}"),
                message,
            },
            other => other,
        }
    }

    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Unauthenticated => ErrorKind::Unauthenticated,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Validation { .. } => ErrorKind::Validation,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::InvalidTransition { .. } => ErrorKind::InvalidTransition,
            Self::StaleVersion { .. } => ErrorKind::StaleVersion,
            Self::TooLarge { .. } => ErrorKind::TooLarge,
            Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::Internal(_) => ErrorKind::Internal,
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn unavailable(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Unavailable(source.into())
    }

    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(source.into())
    }
}
