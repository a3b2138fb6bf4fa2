//! What the tracker needs from storage: tasks with their satellite rows (labels,
//! links), and each project's labels. Every write takes the events it implies and
//! commits them with the change, or nothing.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Label, NewTask, Task, TaskChange, TaskLink, TaskStatus};
use crate::Result;
use crate::clock::Clock;
use crate::event::Event;
use crate::id::{LabelId, MemberId, ProjectId, TaskId, TaskLinkId};

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

/// Tasks, with the rows beside them (labels, links).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TaskRepo: Send + Sync {
    /// Stores a task under the project's next number and returns it, with its
    /// events.
    async fn create_task(&self, task: &NewTask, events: &[Event]) -> Result<Task>;
    async fn get_task(&self, id: TaskId) -> Result<Option<Task>>;
    /// The project of a task, `None` for an unknown task. A task never moves and is
    /// never deleted, so an answer stays true: implementations may cache it.
    async fn task_project(&self, id: TaskId) -> Result<Option<ProjectId>>;
    async fn get_task_by_number(&self, project: ProjectId, number: i64) -> Result<Option<Task>>;
    async fn list_tasks(&self, query: &TaskQuery) -> Result<Vec<Task>>;
    /// Writes `task` as its methods left it (at its next version) if the stored one
    /// is still at `expected_version`, with the rows beside it and the events that
    /// those methods decided.
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
}

/// Links between tasks. They are written with the task's version bump
/// ([`TaskRepo::update_task`]); this reads them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TaskLinkRepo: Send + Sync {
    /// Links in which the task is source or target.
    async fn list_links(&self, task: TaskId) -> Result<Vec<TaskLink>>;
    async fn get_link(&self, id: TaskLinkId) -> Result<Option<TaskLink>>;
}

/// Each project's labels.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait LabelRepo: Send + Sync {
    /// # Errors
    /// `Conflict` when the name is taken in the project.
    async fn create_label(&self, label: &Label, events: &[Event]) -> Result<()>;
    async fn get_label(&self, id: LabelId) -> Result<Option<Label>>;
    async fn list_labels(&self, project: ProjectId) -> Result<Vec<Label>>;
}

/// The tracker's ports, for wiring.
#[derive(Clone)]
pub struct Ports {
    pub tasks: Arc<dyn TaskRepo>,
    pub links: Arc<dyn TaskLinkRepo>,
    pub labels: Arc<dyn LabelRepo>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
