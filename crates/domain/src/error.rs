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
    /// Several inputs break rules at once; each problem names its field.
    #[error("invalid input: {}", FieldProblem::list(.0))]
    Invalid(Vec<FieldProblem>),
    /// A sealed secret cannot be sealed or opened: no key is configured, the
    /// key it names is missing or wrong, or the sealed bytes were altered. The
    /// message names the key, never the secret.
    #[error("{0}")]
    Sealing(String),
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

/// One thing wrong with an input: the field (`definition.nodes[2].type`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    fn list(problems: &[Self]) -> String {
        problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
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
            Self::Invalid(problems) => Self::Invalid(
                problems
                    .into_iter()
                    .map(|p| FieldProblem::new(format!("{prefix}.{}", p.field), p.message))
                    .collect(),
            ),
            other => other,
        }
    }

    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Unauthenticated => ErrorKind::Unauthenticated,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Validation { .. } | Self::Invalid(_) => ErrorKind::Validation,
            Self::Sealing(_) => ErrorKind::Unavailable,
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

    /// Every problem of an input, in the order found; `Invalid` with one
    /// problem is the same as [`Error::validation`].
    #[must_use]
    pub fn problems(&self) -> Vec<FieldProblem> {
        match self {
            Self::Validation { field, message } => vec![FieldProblem {
                field: field.clone(),
                message: message.clone(),
            }],
            Self::Invalid(problems) => problems.clone(),
            _ => Vec::new(),
        }
    }

    pub fn unavailable(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Unavailable(source.into())
    }

    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(source.into())
    }
}
