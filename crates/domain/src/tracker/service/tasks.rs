//! Tasks: creation, changes through the state machine, labels and links.

use crate::caller::Principal;
use crate::event::{Event, FieldChange};
use crate::id::{LabelId, MemberId, ProjectId, TaskId, TaskLinkId};
use crate::tracker::{
    LinkKind, NewTask, Ports, Priority, Task, TaskChange, TaskLabel, TaskLink, TaskPatch,
    TaskQuery, TaskStatus, TrackerEvent,
};
use crate::workspace;
use crate::workspace::access::{self, ProjectAccess};
use crate::{Error, Result};

/// How often an unconditional update re-reads and re-applies after losing a race.
const UNCONDITIONAL_ATTEMPTS: usize = 32;

/// What a caller supplies to create a task.
#[derive(Clone, Debug, Default)]
pub struct CreateTask {
    pub title: String,
    pub description: String,
    pub status: Option<TaskStatus>,
    pub priority: Option<Priority>,
    pub assignee_id: Option<MemberId>,
    pub labels: Vec<LabelId>,
}

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
            key: scope.project.task_key(task.number),
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

    /// # Errors
    /// `NotFound` for a project the caller cannot see; `Validation` for bad input,
    /// an assignee or label from another project.
    pub async fn create(
        &self,
        who: &Principal,
        project: ProjectId,
        input: CreateTask,
    ) -> Result<TaskView> {
        let scope = access::project(&self.workspace, who, project).await?;
        if let Some(assignee) = input.assignee_id {
            self.check_member(project, assignee).await?;
        }
        for label in &input.labels {
            self.check_label(project, *label).await?;
        }
        let now = self.ports.clock.now();
        let (task, created) = NewTask::new(
            project,
            &input.title,
            &input.description,
            input.status.unwrap_or(TaskStatus::Backlog),
            input.priority.unwrap_or_default(),
            input.assignee_id,
            input.labels,
            now,
        )?;
        let mut events = vec![Event::in_project(
            project,
            scope.actor(),
            Some(task.id),
            created,
            now,
        )?];
        for label in &task.labels {
            let kind = TrackerEvent::TaskLabelAdd(TaskLabel { label: *label });
            events.push(Event::in_project(
                project,
                scope.actor(),
                Some(task.id),
                kind,
                now,
            )?);
        }
        let task = self.ports.tasks.create_task(&task, &events).await?;
        Ok(TaskView::new(&scope, task))
    }

    /// # Errors
    /// `NotFound` for a task the caller cannot see.
    pub async fn get(&self, who: &Principal, id: TaskId) -> Result<TaskView> {
        let (task, scope) = self.load(who, id).await?;
        Ok(TaskView::new(&scope, task))
    }

    /// # Errors
    /// `NotFound` for a project the caller cannot see.
    pub async fn list(
        &self,
        who: &Principal,
        project: ProjectId,
        mut query: TaskQuery,
    ) -> Result<Vec<TaskView>> {
        let scope = access::project(&self.workspace, who, project).await?;
        query.project_id = Some(project);
        query.limit = query.limit.clamp(1, 500);
        let tasks = self.ports.tasks.list_tasks(&query).await?;
        Ok(tasks
            .into_iter()
            .map(|t| TaskView::new(&scope, t))
            .collect())
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
            self.check_member(task.project_id, assignee).await?;
        }
        let attempts = if expected_version.is_some() {
            1
        } else {
            UNCONDITIONAL_ATTEMPTS
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (mut task, scope) = self.load(who, id).await?;
            let read_version = task.version;
            check_expected(expected_version, read_version)?;
            let now = self.ports.clock.now();
            let kinds = task.apply(patch.clone(), now)?;
            if kinds.is_empty() {
                return Ok(TaskView::new(&scope, task));
            }
            let events = task_events(&scope, task.id, kinds, now)?;
            match self
                .ports
                .tasks
                .update_task(&task, read_version, &[], &events)
                .await
            {
                Err(Error::StaleVersion { .. }) if attempt < attempts => {}
                Err(Error::StaleVersion { actual, .. }) if expected_version.is_some() => {
                    return Err(Error::StaleVersion {
                        expected: read_version,
                        actual,
                    });
                }
                other => return other.map(|()| TaskView::new(&scope, task)),
            }
        }
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
        self.check_label(task.project_id, label).await?;
        self.change(who, id, expected_version, |task| {
            if task.labels.contains(&label) == present {
                return Ok(None);
            }
            let (change, kind) = if present {
                task.labels.push(label);
                task.labels.sort();
                (
                    TaskChange::AddLabel(label),
                    TrackerEvent::TaskLabelAdd(TaskLabel { label }),
                )
            } else {
                task.labels.retain(|l| *l != label);
                (
                    TaskChange::RemoveLabel(label),
                    TrackerEvent::TaskLabelRemove(TaskLabel { label }),
                )
            };
            Ok(Some((change, kind)))
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
        let target_task = self.ports.tasks.get_task(target).await?;
        if target_task.is_none_or(|t| t.project_id != task.project_id) {
            return Err(Error::validation(
                "target_task_id",
                "no such task in this project",
            ));
        }
        let existing = self.ports.tasks.list_links(id).await?;
        if existing
            .iter()
            .any(|l| l.source_id == id && l.target_id == target && l.kind == kind)
        {
            return Err(Error::Conflict("the tasks are linked so already".into()));
        }
        let link = TaskLink::new(task.project_id, id, target, kind, self.ports.clock.now())?;
        let created = link.clone();
        self.change(who, id, None, move |_| {
            let kind = link_event(None, Some(&link));
            Ok(Some((TaskChange::AddLink(link.clone()), kind)))
        })
        .await?;
        Ok(created)
    }

    /// # Errors
    /// `NotFound` for a link that is not this task's.
    pub async fn unlink(&self, who: &Principal, id: TaskId, link: TaskLinkId) -> Result<()> {
        self.load(who, id).await?;
        let link = self
            .ports
            .tasks
            .get_link(link)
            .await?
            .filter(|l| l.source_id == id || l.target_id == id)
            .ok_or(Error::NotFound { entity: "link" })?;
        self.change(who, id, None, move |_| {
            Ok(Some((
                TaskChange::RemoveLink(link.id),
                link_event(Some(&link), None),
            )))
        })
        .await?;
        Ok(())
    }

    /// # Errors
    /// `NotFound` for a task the caller cannot see.
    pub async fn links(&self, who: &Principal, id: TaskId) -> Result<TaskLinks> {
        self.load(who, id).await?;
        let (outgoing, incoming) = self
            .ports
            .tasks
            .list_links(id)
            .await?
            .into_iter()
            .partition(|l| l.source_id == id);
        Ok(TaskLinks { outgoing, incoming })
    }

    /// Loads a task the caller may see, with the caller's access to its project.
    pub(crate) async fn load(&self, who: &Principal, id: TaskId) -> Result<(Task, ProjectAccess)> {
        let not_found = || Error::NotFound { entity: "task" };
        let task = self.ports.tasks.get_task(id).await?.ok_or_else(not_found)?;
        let scope = access::project(&self.workspace, who, task.project_id)
            .await
            .map_err(|e| {
                if matches!(e, Error::NotFound { .. }) {
                    not_found()
                } else {
                    e
                }
            })?;
        Ok((task, scope))
    }

    /// Runs a satellite change (labels, links) under the task's optimistic lock.
    async fn change<F>(
        &self,
        who: &Principal,
        id: TaskId,
        expected: Option<i64>,
        decide: F,
    ) -> Result<TaskView>
    where
        F: Fn(&mut Task) -> Result<Option<(TaskChange, TrackerEvent)>> + Send,
    {
        let attempts = if expected.is_some() {
            1
        } else {
            UNCONDITIONAL_ATTEMPTS
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (mut task, scope) = self.load(who, id).await?;
            let read_version = task.version;
            check_expected(expected, read_version)?;
            let Some((change, kind)) = decide(&mut task)? else {
                return Ok(TaskView::new(&scope, task));
            };
            let now = self.ports.clock.now();
            task.touch(now);
            let events = task_events(&scope, task.id, vec![kind], now)?;
            match self
                .ports
                .tasks
                .update_task(&task, read_version, &[change], &events)
                .await
            {
                Err(Error::StaleVersion { .. }) if attempt < attempts => {}
                other => return other.map(|()| TaskView::new(&scope, task)),
            }
        }
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

fn check_expected(expected: Option<i64>, actual: i64) -> Result<()> {
    match expected {
        Some(expected) if expected != actual => Err(Error::StaleVersion { expected, actual }),
        _ => Ok(()),
    }
}

fn task_events(
    scope: &ProjectAccess,
    task: TaskId,
    kinds: Vec<TrackerEvent>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Event>> {
    kinds
        .into_iter()
        .map(|kind| Event::in_project(scope.project.id, scope.actor(), Some(task), kind, now))
        .collect()
}

/// Links have no event type of their own in the log's design: they are recorded as a
/// `task_updated` of the `link` field.
fn link_event(from: Option<&TaskLink>, to: Option<&TaskLink>) -> TrackerEvent {
    let describe = |l: &TaskLink| serde_json::json!({ "id": l.id, "kind": l.kind, "source": l.source_id, "target": l.target_id });
    TrackerEvent::TaskUpdated(FieldChange::new(
        "link",
        from.map_or(serde_json::Value::Null, describe),
        to.map_or(serde_json::Value::Null, describe),
    ))
}
