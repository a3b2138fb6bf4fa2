//! What the workspace needs from storage: users with their tokens, projects with
//! their members. Every write takes the events it implies and commits them with
//! the change, or nothing.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{ApiToken, Handle, Member, Project, TokenDigest, User};
use crate::Result;
use crate::clock::Clock;
use crate::event::Event;
use crate::id::{MemberId, ProjectId, TokenId, UserId};

/// Users and their API tokens.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Creates the first user with its token, but only while there is no user at all.
    /// Returns `false`, writing nothing, when a user exists already.
    async fn create_first_user(
        &self,
        user: &User,
        token: &ApiToken,
        events: &[Event],
    ) -> Result<bool>;
    /// Creates a user with its first tokens (possibly none).
    async fn create_user(&self, user: &User, tokens: &[ApiToken], events: &[Event]) -> Result<()>;
    async fn get_user(&self, id: UserId) -> Result<Option<User>>;
    /// All users, oldest first: for finding the admin where the server starts.
    async fn list_users(&self) -> Result<Vec<User>>;
    /// Up to `limit` users after `after`, by id (creation order).
    async fn page_users(&self, after: Option<UserId>, limit: u32) -> Result<Vec<User>>;
    /// The user owning the unrevoked token with this digest.
    async fn authenticate(&self, digest: &TokenDigest) -> Result<Option<User>>;
    /// # Errors
    /// `Conflict` when a token with the same digest exists.
    async fn create_token(&self, token: &ApiToken, events: &[Event]) -> Result<()>;
    async fn get_token(&self, id: TokenId) -> Result<Option<ApiToken>>;
    /// A user's tokens, revoked ones included, newest first.
    async fn list_tokens(&self, user_id: UserId) -> Result<Vec<ApiToken>>;
    /// Marks the token revoked at `at` unless it is already.
    async fn revoke_token(&self, id: TokenId, at: DateTime<Utc>, events: &[Event]) -> Result<()>;
    /// Issues `token` and revokes `replaced` at its creation time, all or nothing,
    /// so that a user always holds one of them. A revoked token with the same
    /// digest gives its digest up first: a secret revoked once may be issued again.
    ///
    /// # Errors
    /// `Conflict` when an unrevoked token has the same digest.
    async fn replace_tokens(
        &self,
        token: &ApiToken,
        replaced: &[TokenId],
        events: &[Event],
    ) -> Result<()>;
}

/// Projects and their members.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ProjectRepo: Send + Sync {
    /// Creates a project with its first members.
    ///
    /// # Errors
    /// `Conflict` when the key is taken.
    async fn create_project(
        &self,
        project: &Project,
        members: &[Member],
        events: &[Event],
    ) -> Result<()>;
    async fn get_project(&self, id: ProjectId) -> Result<Option<Project>>;
    /// The projects `user` is a member of, or every project for `None`; oldest first.
    async fn list_projects(&self, member_user: Option<UserId>) -> Result<Vec<Project>>;
    /// Up to `limit` of those projects after `after`, by id (creation order).
    async fn page_projects(
        &self,
        member_user: Option<UserId>,
        after: Option<ProjectId>,
        limit: u32,
    ) -> Result<Vec<Project>>;
    /// # Errors
    /// `Conflict` when the handle is taken in the project, or the user is a member already.
    async fn add_member(&self, member: &Member, events: &[Event]) -> Result<()>;
    async fn get_member(&self, id: MemberId) -> Result<Option<Member>>;
    /// The member through which `user` acts in `project`.
    async fn member_for_user(&self, project: ProjectId, user: UserId) -> Result<Option<Member>>;
    async fn members_by_handle(
        &self,
        project: ProjectId,
        handles: &[Handle],
    ) -> Result<Vec<Member>>;
    /// Every member of the project, oldest first.
    async fn list_members(&self, project: ProjectId) -> Result<Vec<Member>>;
    /// Up to `limit` members of the project after `after`, by id (creation order).
    async fn page_members(
        &self,
        project: ProjectId,
        after: Option<MemberId>,
        limit: u32,
    ) -> Result<Vec<Member>>;
}

/// The workspace's ports, for wiring.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepo>,
    pub projects: Arc<dyn ProjectRepo>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
