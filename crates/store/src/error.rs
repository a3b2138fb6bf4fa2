//! Translation of database errors into domain errors.

use agentry_domain::Error;
use sea_orm::sqlx;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, SqlErr};

/// A database failure without a business meaning: `Unavailable` when the
/// database could not be reached or went away (a retry may succeed), else
/// `Internal`.
pub(crate) fn db_error(err: DbErr) -> Error {
    if unreachable(&err) {
        Error::unavailable(err)
    } else {
        Error::internal(err)
    }
}

/// A unique violation becomes `Conflict(message)`; anything else as [`db_error`].
pub(crate) fn unique(message: &'static str) -> impl Fn(DbErr) -> Error {
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::Conflict(message.to_owned()),
        _ => db_error(err),
    }
}

/// A foreign-key violation becomes `Validation` on `field`; anything else as
/// [`db_error`].
pub(crate) fn foreign(field: &'static str, message: &'static str) -> impl Fn(DbErr) -> Error {
    move |err| match err.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => Error::validation(field, message),
        _ => db_error(err),
    }
}

fn unreachable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            true
        }
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|code| is_transient(&code)),
            _ => false,
        },
        _ => false,
    }
}

/// PostgreSQL's connection exceptions (class 08), a server shutting down or
/// starting (57P01–57P03), too many connections (53300), a deadlock or a
/// serialization failure the server broke (40P01, 40001: the same request
/// succeeds when tried again); SQLite's busy and locked.
fn is_transient(code: &str) -> bool {
    code.starts_with("08")
        || ["57P01", "57P02", "57P03", "53300", "40P01", "40001"].contains(&code)
        || ["5", "6", "517", "262"].contains(&code)
}

/// Stored data that the domain refuses: a bug or a foreign write, never user input.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::internal(format!("stored {what} is invalid: {detail}"))
}
