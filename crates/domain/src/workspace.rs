//! Workspace context: users and their API tokens, projects and their members.

mod handle;
mod member;
mod project;
mod token;
mod user;

pub use handle::Handle;
pub use member::{Member, MemberKind, NewMember};
pub use project::{Project, ProjectKey};
pub use token::{ApiToken, TokenDigest, TokenSecret};
pub use user::{Principal, User};
