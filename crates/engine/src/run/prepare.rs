//! What a run starts from: the assistant that runs the task, the member it
//! acts as, and the task as the model is told it.

use std::collections::HashMap;

use agentry_domain::Error;
use agentry_domain::id::{AssistantId, MemberId};
use agentry_domain::planning::Hosted;
use agentry_domain::registry::{Assistant, AssistantKind, AssistantQuery, AssistantThread};
use agentry_domain::workspace::{Handle, MemberKind, NewMember};
use serde_json::{Value, json};

use super::{AssistantNames, Attempt, Unfinished};

/// Handles tried (`name`, `name-2`, …) before a join gives up.
const JOIN_TRIES: u32 = 20;

impl Attempt<'_> {
    /// For an assistant of type `openai_api`: its stored prompt, and the
    /// thread of the plan the task belongs to, if it came from one.
    pub(super) async fn hosted(&self, assistant: &Assistant) -> Result<Option<Hosted>, Error> {
        let (AssistantKind::OpenaiApi, Some(prompt)) = (
            assistant.draft.assistant_type,
            assistant.draft.openai_assistant_id.clone(),
        ) else {
            return Ok(None);
        };
        let thread = match self.task.execution() {
            Some(execution) => self
                .context
                .ports
                .planning
                .plans
                .get_plan(execution.plan_id)
                .await?
                .and_then(|plan| plan.thread_id)
                .map(AssistantThread::runtime_id),
            None => None,
        };
        Ok(Some(Hosted { prompt, thread }))
    }

    /// The assistant that runs the task and the member it acts as: its agent
    /// assignee's assistant, else the one its `agent_type` names.
    pub(super) async fn runner(&self) -> Result<(AssistantId, MemberId), Unfinished> {
        let projects = &self.context.ports.workspace.projects;
        if let Some(assignee) = self.task.record().assignee_id
            && let Some(member) = projects.get_member(assignee).await?
            && member.kind == MemberKind::Agent
            && let Some(assistant) = member.assistant_id
        {
            return Ok((assistant, member.id));
        }
        let Some(name) = self.task.execution().and_then(|e| e.agent_type.clone()) else {
            return Err(Unfinished::Failed("the task has no agent to run it".into()));
        };
        let assistant = self.assistant_named(&name).await?.ok_or_else(|| {
            Unfinished::Failed(format!(
                "no assistant is named '{name}' (the task's agent_type)"
            ))
        })?;
        let key = (self.task.project_id(), assistant);
        if let Some(actor) = self.context.actors.get(&key) {
            return Ok((assistant, actor));
        }
        let actor = self.agent_member(assistant).await?;
        self.context.actors.put(key, actor);
        Ok((assistant, actor))
    }

    /// The agent member `assistant` acts as in the task's project: an
    /// assistant that acts in a project is one of its members, joined on its
    /// first run there with a handle made from its name (numbered when the
    /// name's handle is taken), so every event it writes names who acted.
    async fn agent_member(&self, assistant: AssistantId) -> Result<MemberId, Unfinished> {
        let project = self.task.project_id();
        let projects = &self.context.ports.workspace.projects;
        // The members, and the agent among them that is this assistant.
        let read = || async {
            let members = projects.list_members(project).await?;
            let agent = members
                .iter()
                .find(|m| m.kind == MemberKind::Agent && m.assistant_id == Some(assistant))
                .map(|m| m.id);
            Ok::<_, Error>((members, agent))
        };
        let (mut members, agent) = read().await?;
        if let Some(member) = agent {
            return Ok(member);
        }
        let Some(found) = self
            .context
            .ports
            .registry
            .assistants
            .get_assistant(assistant)
            .await?
        else {
            return Err(Unfinished::Failed("the task's assistant is gone".into()));
        };
        let name = found.draft.name;
        for suffix in 1..=JOIN_TRIES {
            let handle = Handle::from_name(&name, suffix);
            if members.iter().any(|m| m.handle == handle) {
                continue;
            }
            let joined = self
                .context
                .services
                .projects
                .add_member(
                    &super::engine_principal(),
                    project,
                    NewMember {
                        kind: MemberKind::Agent,
                        user_id: None,
                        handle: handle.as_str().to_owned(),
                        display_name: Some(name.clone()),
                        assistant_id: Some(assistant),
                    },
                )
                .await;
            match joined {
                Ok(member) => return Ok(member.id),
                // Taken since the members were read: by another worker
                // joining the same assistant at the same moment, or by a
                // member added meanwhile.
                Err(Error::Conflict(_)) => {
                    let (now, agent) = read().await?;
                    if let Some(member) = agent {
                        return Ok(member);
                    }
                    members = now;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Unfinished::Failed(format!(
            "could not join '{name}' to the project: its handles up to -{JOIN_TRIES} are taken"
        )))
    }

    async fn assistant_named(&self, name: &str) -> Result<Option<AssistantId>, Error> {
        let revision = self.context.ports.registry.revisions.known_revision();
        {
            let cached = self
                .context
                .assistant_names
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cached.revision == revision && !cached.ids.is_empty() {
                return Ok(cached.ids.get(name).copied());
            }
        }
        let mut names = HashMap::new();
        let mut after = None;
        loop {
            let page = self
                .context
                .ports
                .registry
                .assistants
                .list_assistants(&AssistantQuery {
                    is_active: Some(true),
                    after_name: after.clone(),
                    limit: 200,
                    ..AssistantQuery::default()
                })
                .await?;
            let full = page.len() == 200;
            after = page.last().map(|a| a.draft.name.clone());
            names.extend(page.into_iter().map(|a| (a.draft.name.clone(), a.id)));
            if !full {
                break;
            }
        }
        let found = names.get(name).copied();
        *self
            .context
            .assistant_names
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = AssistantNames {
            revision,
            ids: names,
        };
        Ok(found)
    }

    /// The task as the model reads it: title, description, and what the tasks
    /// it depends on produced.
    pub(super) async fn brief(&self) -> Result<String, Error> {
        let record = self.task.record();
        let mut brief = format!("Task: {}\n", record.title);
        if !record.description.is_empty() {
            brief.push_str(&format!("\n{}\n", record.description));
        }
        let waits_on = self
            .task
            .execution()
            .is_some_and(|e| !e.depends_on.is_empty());
        if waits_on {
            let results = self
                .context
                .ports
                .planning
                .plans
                .dependency_results(self.task.id())
                .await?;
            brief.push_str("\nResults of the tasks this one depends on:\n");
            for (title, result) in results {
                let result = result.map(|r| json!(r)).unwrap_or(Value::Null);
                brief.push_str(&format!("- {title}: {result}\n"));
            }
        }
        Ok(brief)
    }
}
