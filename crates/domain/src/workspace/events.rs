//! What the workspace records: projects, members, users and tokens.

use serde::{Deserialize, Serialize};

use super::{Handle, MemberKind};
use crate::event::event_kinds;
use crate::id::{MemberId, TokenId, UserId};
use crate::shape::described_struct;

event_kinds! {
    /// The workspace's kinds of event.
    pub enum WorkspaceEvent {
        /// A project was created.
        ProjectCreated(ProjectCreated) = "project_created" in Project,
        /// A human or an agent joined a project.
        MemberAdded(MemberAdded) = "member_added" in Project,
        /// A user was created.
        UserCreated(UserCreated) = "user_created" in Global,
        /// An API token was issued.
        TokenCreated(TokenCreated) = "token_created" in Global,
        /// An API token was revoked.
        TokenRevoked(TokenRevoked) = "token_revoked" in Global,
    }
}

described_struct! {
    /// `project_created`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ProjectCreated as "ProjectCreatedPayload" {
        pub name: String,
        pub key: String,
    }
}

described_struct! {
    /// `member_added`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MemberAdded as "MemberAddedPayload" {
        pub member: MemberId,
        pub handle: Handle,
        pub kind: MemberKind,
    }
}

described_struct! {
    /// `user_created`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct UserCreated as "UserCreatedPayload" {
        pub user: UserId,
        pub name: String,
        pub is_admin: bool,
    }
}

described_struct! {
    /// `token_created`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TokenCreated as "TokenCreatedPayload" {
        pub token: TokenId,
        pub user: UserId,
        pub name: String,
    }
}

described_struct! {
    /// `token_revoked`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TokenRevoked as "TokenRevokedPayload" {
        pub token: TokenId,
        pub user: UserId,
    }
}
