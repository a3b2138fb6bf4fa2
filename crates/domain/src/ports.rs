//! Ports: the domain's needs from the outside world, one small trait per capability.
//!
//! Every mutating method takes the events its change implies and must commit the
//! change and the events in one transaction, or nothing at all.

use std::sync::Arc;

mod registry;

#[cfg(any(test, feature = "mock"))]
pub use registry::MockRegistryRepo;
pub use registry::{AssistantQuery, AssistantUsage, RegistryRepo, ToolQuery};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::clock::Clock;
use crate::event::Event;
use crate::id::{
    AttachmentId, EventId, LabelId, MemberId, ProjectId, TaskId, TaskLinkId, TokenId, UserId,
};
use crate::log::EventFilter;
use crate::tracker::{Attachment, Label, NewTask, Task, TaskLink, TaskStatus};
use crate::workspace::{ApiToken, Handle, Member, Project, TokenDigest, User};

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
    /// All users, oldest first.
    async fn list_users(&self) -> Result<Vec<User>>;
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
}

/// Projects, their members and labels.
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
    async fn list_members(&self, project: ProjectId) -> Result<Vec<Member>>;
    /// # Errors
    /// `Conflict` when the name is taken in the project.
    async fn create_label(&self, label: &Label, events: &[Event]) -> Result<()>;
    async fn get_label(&self, id: LabelId) -> Result<Option<Label>>;
    async fn list_labels(&self, project: ProjectId) -> Result<Vec<Label>>;
}

/// A change to a task's satellite rows, committed with the task's version bump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskChange {
    AddLabel(LabelId),
    RemoveLabel(LabelId),
    AddLink(TaskLink),
    RemoveLink(TaskLinkId),
}

/// Which tasks a listing shows, by number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskQuery {
    pub project_id: Option<ProjectId>,
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<MemberId>,
    pub label_id: Option<LabelId>,
    /// Only tasks with a number greater than this.
    pub after_number: Option<i64>,
    pub limit: u32,
}

/// Tasks, their labels and links.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TaskRepo: Send + Sync {
    /// Stores a task under the project's next number and returns it (version 1).
    async fn create_task(&self, task: &NewTask, events: &[Event]) -> Result<Task>;
    async fn get_task(&self, id: TaskId) -> Result<Option<Task>>;
    /// The project of a task, `None` for an unknown task. A task never moves and is
    /// never deleted, so an answer stays true: implementations may cache it.
    async fn task_project(&self, id: TaskId) -> Result<Option<ProjectId>>;
    async fn get_task_by_number(&self, project: ProjectId, number: i64) -> Result<Option<Task>>;
    async fn list_tasks(&self, query: &TaskQuery) -> Result<Vec<Task>>;
    /// Writes `task` (already at its new version) if the stored one is still at
    /// `expected_version`, with the satellite `changes` and `events`.
    ///
    /// # Errors
    /// `StaleVersion` when someone else changed the task first; nothing is written.
    async fn update_task(
        &self,
        task: &Task,
        expected_version: i64,
        changes: &[TaskChange],
        events: &[Event],
    ) -> Result<()>;
    /// Links in which the task is source or target.
    async fn list_links(&self, task: TaskId) -> Result<Vec<TaskLink>>;
    async fn get_link(&self, id: TaskLinkId) -> Result<Option<TaskLink>>;
}

/// The event log.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventRepo: Send + Sync {
    /// Appends events that are themselves the whole change (messages, comments).
    async fn append(&self, events: &[Event]) -> Result<()>;
    async fn get_event(&self, id: EventId) -> Result<Option<Event>>;
    /// Up to `filter.limit` matching events, newest first.
    async fn list_events(&self, filter: &EventFilter) -> Result<Vec<Event>>;
}

/// Attachment records (their bytes are in the [`BlobStore`]).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AttachmentRepo: Send + Sync {
    async fn create_attachment(&self, attachment: &Attachment) -> Result<()>;
    async fn get_attachment(&self, id: AttachmentId) -> Result<Option<Attachment>>;
    async fn list_attachments(&self, event: EventId) -> Result<Vec<Attachment>>;
}

/// Opaque bytes under string keys.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait BlobStore: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    async fn delete(&self, key: &str) -> Result<()>;
}

/// Every port a use case may need, bundled for wiring.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepo>,
    pub projects: Arc<dyn ProjectRepo>,
    pub tasks: Arc<dyn TaskRepo>,
    pub events: Arc<dyn EventRepo>,
    pub attachments: Arc<dyn AttachmentRepo>,
    pub blobs: Arc<dyn BlobStore>,
    pub registry: Arc<dyn RegistryRepo>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
