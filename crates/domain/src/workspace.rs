//! Workspace context: users and their API tokens, projects and their members.

mod events;
mod handle;
mod member;
mod project;
mod token;
mod user;

pub use events::{
    MemberAdded, ProjectCreated, TokenCreated, TokenRevoked, UserCreated, WorkspaceEvent,
};
pub use handle::Handle;
pub use member::{Member, MemberKind, NewMember};
pub use project::{Project, ProjectKey};
pub use token::{ApiToken, TokenDigest, TokenSecret};
pub use user::{Principal, User};
