//! The workspace's use cases: accounts (users, tokens, sign-in) and projects
//! (with their members).

mod accounts;
mod projects;

pub use accounts::{Accounts, CONFIGURED_ADMIN_TOKEN};
pub use projects::{NewProject, Projects};

#[cfg(test)]
mod tests;
