//! Tasks: creation, changes through the state machine, labels and links.

use chrono::{DateTime, Utc};

use crate::caller::Principal;
use crate::event::Event;
use crate::id::{LabelId, MemberId, ProjectId, TaskId, TaskLinkId};
use crate::optimistic;
use crate::page::{self, Page};
use crate::tracker::{
    Changes, LinkKind, Ports, Task, TaskDraft, TaskLink, TaskPatch, TaskQuery, TrackerEvent,
};
use crate::workspace;
use crate::workspace::access::{self, ProjectAccess};
use crate::{Error, Result};

/// A task's links, split by direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskLinks {
    pub outgoing: Vec<TaskLink>,
    pub incoming: Vec<TaskLink>,
}

/// A task with its human-readable key, such as `TE-4`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskView {
    pub key: String,
    pub task: Task,
}

impl TaskView {
    fn new(scope: &ProjectAccess, task: Task) -> Self {
        Self {
            key: scope.project.task_key(task.record().number),
            task,
        }
    }
}

/// Tasks: creation, changes through the state machine, labels and links.
#[derive(Clone, Debug)]
pub struct Tasks {
    ports: Ports,
    workspace: workspace::Ports,
}

impl Tasks {
    pub(crate) fn new(ports: Ports, workspace: workspace::Ports) -> Self {
        Self { ports, workspace }
    }

    /// Creates a task under the project's next number.
    ///
    /// # Errors
    /// `NotFound` for a project the caller cannot see; `Validation` for bad input,
    /// an assignee or label from another project.
    pub async fn create(
        &self,
        who: &Principal,
        project: ProjectId,
        draft: TaskDraft,
    ) -> Result<TaskView> {
        let scope = access::project(&self.workspace, who, project).await?;
        // Checked first: a label named many times is looked up once.
        let draft = draft.check()?;
        if let Some(assignee) = draft.assignee_id {
            self.check_member(project, assignee).await?;
        }
        for label in &draft.labels {
            self.check_label(project, *label).await?;
        }
        let now = self.ports.clock.now();
        let (task, kinds) = Task::create(project, draft, now)?;
        let events = task_events(&scope, task.record().id, kinds, now)?;
        let task = self.ports.tasks.create_task(&task, &events).await?;
        Ok(TaskView::new(&scope, task))
    }

    /// # Errors
    /// `NotFound` for a task the caller cannot see.
    pub async fn get(&self, who: &Principal, id: TaskId) -> Result<TaskView> {
        let (task, scope) = self.load(who, id).await?;
        Ok(TaskView::new(&scope, task))
    }

    /// A page of the project's tasks by number, filtered by `query`.
    ///
    /// # Errors
    /// `NotFound` for a project the caller cannot see.
    pub async fn list(
        &self,
        who: &Principal,
        project: ProjectId,
        mut query: TaskQuery,
    ) -> Result<Page<TaskView, i64>> {
        let scope = access::project(&self.workspace, who, project).await?;
        query.project_id = Some(project);
        let tasks = page::read(
            query.limit,
            |t: &Task| t.record().number,
            |limit| {
                query.limit = limit;
                async move { self.ports.tasks.list_tasks(&query).await }
            },
        )
        .await?;
        Ok(tasks.map(|t| TaskView::new(&scope, t)))
    }

    /// Applies `patch`. With `expected_version` the write happens only if the task is
    /// still at that version; without it, a lost race is retried on fresh state.
    ///
    /// # Errors
    /// `StaleVersion` for an outdated `expected_version`, `InvalidTransition`,
    /// `Validation` for bad input or an assignee from another project.
    pub async fn update(
        &self,
        who: &Principal,
        id: TaskId,
        patch: TaskPatch,
        expected_version: Option<i64>,
    ) -> Result<TaskView> {
        if let Some(Some(assignee)) = patch.assignee {
            let (task, _) = self.load(who, id).await?;
            self.check_member(task.project_id(), assignee).await?;
        }
        self.change(who, id, expected_version, |task, now| {
            task.apply(patch.clone(), now)
        })
        .await
    }

    /// Adds (`present`) or removes a label; a no-op when it is already so.
    ///
    /// # Errors
    /// `NotFound` for a task the caller cannot see, `Validation` for a label from
    /// another project, `StaleVersion` as for [`Tasks::update`].
    pub async fn set_label(
        &self,
        who: &Principal,
        id: TaskId,
        label: LabelId,
        present: bool,
        expected_version: Option<i64>,
    ) -> Result<TaskView> {
        let (task, _) = self.load(who, id).await?;
        self.check_label(task.project_id(), label).await?;
        self.change(who, id, expected_version, |task, now| {
            task.set_label(label, present, now)
        })
        .await
    }

    /// Links this task to `target` in the same project.
    ///
    /// # Errors
    /// `Validation` for a self-link or a target in another project, `Conflict` for a
    /// link that exists.
    pub async fn link(
        &self,
        who: &Principal,
        id: TaskId,
        target: TaskId,
        kind: LinkKind,
    ) -> Result<TaskLink> {
        let (task, _) = self.load(who, id).await?;
        let target_project = self.ports.tasks.task_project(target).await?;
        if target_project != Some(task.project_id()) {
            return Err(Error::validation(
                "target_task_id",
                "no such task in this project",
            ));
        }
        let existing = self.ports.links.list_links(id).await?;
        if existing
            .iter()
            .any(|l| l.source_id == id && l.target_id == target && l.kind == kind)
        {
            return Err(Error::Conflict("the tasks are linked so already".into()));
        }
        let link = TaskLink::new(task.project_id(), id, target, kind, self.ports.clock.now())?;
        self.change(who, id, None, |task, now| Ok(task.link(link.clone(), now)))
            .await?;
        Ok(link)
    }

    /// # Errors
    /// `NotFound` for a link that is not this task's.
    pub async fn unlink(&self, who: &Principal, id: TaskId, link: TaskLinkId) -> Result<()> {
        self.load(who, id).await?;
        let link = self
            .ports
            .links
            .get_link(link)
            .await?
            .filter(|l| l.source_id == id || l.target_id == id)
            .ok_or(Error::NotFound { entity: "link" })?;
        self.change(who, id, None, |task, now| Ok(task.unlink(&link, now)))
            .await?;
        Ok(())
    }

    /// # Errors
    /// `NotFound` for a task the caller cannot see.
    pub async fn links(&self, who: &Principal, id: TaskId) -> Result<TaskLinks> {
        self.load(who, id).await?;
        let (outgoing, incoming) = self
            .ports
            .links
            .list_links(id)
            .await?
            .into_iter()
            .partition(|l| l.source_id == id);
        Ok(TaskLinks { outgoing, incoming })
    }

    /// Loads a task the caller may see, with the caller's access to its project.
    async fn load(&self, who: &Principal, id: TaskId) -> Result<(Task, ProjectAccess)> {
        let not_found = || Error::NotFound { entity: "task" };
        let task = self.ports.tasks.get_task(id).await?.ok_or_else(not_found)?;
        let scope = access::project_of(&self.workspace, who, task.project_id(), "task").await?;
        Ok((task, scope))
    }

    /// Reads the task, lets `decide` change it and writes what it decided, under
    /// the task's optimistic lock (see [`crate::optimistic`]).
    async fn change<F>(
        &self,
        who: &Principal,
        id: TaskId,
        expected: Option<i64>,
        decide: F,
    ) -> Result<TaskView>
    where
        F: Fn(&mut Task, DateTime<Utc>) -> Result<Changes> + Send + Sync,
    {
        let decide = &decide;
        optimistic::retry(expected, move || async move {
            let (mut task, scope) = self.load(who, id).await?;
            let read = task.version();
            optimistic::check(expected, read)?;
            let now = self.ports.clock.now();
            let changes = decide(&mut task, now)?;
            if changes.is_empty() {
                return Ok(TaskView::new(&scope, task));
            }
            let events = task_events(&scope, id, changes.events, now)?;
            self.ports
                .tasks
                .update_task(&task, read, &changes.rows, &events)
                .await?;
            Ok(TaskView::new(&scope, task))
        })
        .await
    }

    async fn check_member(&self, project: ProjectId, member: MemberId) -> Result<()> {
        match self.workspace.projects.get_member(member).await? {
            Some(m) if m.project_id == project => Ok(()),
            _ => Err(Error::validation(
                "assignee_id",
                "no such member in this project",
            )),
        }
    }

    async fn check_label(&self, project: ProjectId, label: LabelId) -> Result<()> {
        match self.ports.labels.get_label(label).await? {
            Some(l) if l.project_id == project => Ok(()),
            _ => Err(Error::validation(
                "label_id",
                "no such label in this project",
            )),
        }
    }
}

fn task_events(
    scope: &ProjectAccess,
    task: TaskId,
    kinds: Vec<TrackerEvent>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>> {
    kinds
        .into_iter()
        .map(|kind| Event::in_project(scope.project.id, scope.actor(), Some(task), kind, now))
        .collect()
}
