//! The workspace's resources: users and API tokens, projects and their members.

mod accounts;
mod dto;
mod projects;

pub use accounts::AccountsApi;
pub use projects::ProjectsApi;
