//! Translation of database errors into domain errors.

use agentry_domain::Error;
use sea_orm::{DbErr, SqlErr};

/// Any database failure without a business meaning.
pub(crate) fn internal(err: DbErr) -> Error {
    Error::internal(err)
}

/// A unique violation becomes `Conflict(message)`; anything else is internal.
pub(crate) fn unique(message: &'static str) -> impl Fn(DbErr) -> Error {
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::Conflict(message.to_owned()),
        _ => Error::internal(err),
    }
}

/// Stored data that the domain refuses: a bug or a foreign write, never user input.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::internal(format!("stored {what} is invalid: {detail}"))
}
