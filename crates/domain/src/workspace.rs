//! Workspace context: users and their API tokens, projects and their members, and
//! who may see which project.
//!
//! Depends on the kernel and on the registry (an agent member is an assistant).

pub(crate) mod access;
mod events;
mod handle;
mod member;
mod ports;
mod project;
mod service;
mod token;
mod user;

pub use events::{
    MemberAdded, ProjectCreated, TokenCreated, TokenRevoked, UserCreated, WorkspaceEvent,
};
pub use handle::Handle;
pub use member::{Member, MemberKind, NewMember};
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockProjectRepo, MockUserRepo};
pub use ports::{Ports, ProjectRepo, UserRepo};
pub use project::{Project, ProjectKey};
pub use service::{Accounts, CONFIGURED_ADMIN_TOKEN, NewProject, Projects};
pub use token::{ApiToken, TokenDigest, TokenSecret};
pub use user::User;
