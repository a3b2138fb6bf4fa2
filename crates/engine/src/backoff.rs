//! The retries of a failed attempt wait by the domain's one backoff policy.

pub use agentry_domain::retry::Backoff;
