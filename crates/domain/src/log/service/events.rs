//! Posting to the log and reading its feeds.

use serde::Deserialize;
use serde_json::Value;

use crate::caller::Principal;
use crate::event::{Event, Kinds as _};
use crate::id::{EventId, MemberId, ProjectId, TaskId};
use crate::log::Ports;
use crate::log::mention;
use crate::log::{
    ChatEvent, ChatMessage, EventFilter, EventPage, MAX_MENTIONS, Mention, TaskComment,
    parse_mentions,
};
use crate::page;
use crate::tracker;
use crate::workspace::{self, Handle, access};
use crate::{Error, Result};

/// The longest message or comment, in characters.
pub const CONTENT_MAX: usize = 32_000;
const URL_MAX: usize = 2_048;

/// What a client posts to the log: a chat message or a task comment.
#[derive(Clone, Debug)]
pub struct PostEvent {
    pub project_id: ProjectId,
    pub task_id: Option<TaskId>,
    pub parent_id: Option<EventId>,
    pub type_name: String,
    pub payload: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatInput {
    content: String,
    #[serde(default)]
    mentions: Vec<MemberId>,
    thinking: Option<String>,
    voice_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentInput {
    content: String,
    #[serde(default)]
    mentions: Vec<MemberId>,
    thinking: Option<String>,
    tool_log: Option<Value>,
}

/// Posting to and reading the event log.
#[derive(Clone, Debug)]
pub struct Events {
    ports: Ports,
    tracker: tracker::Ports,
    workspace: workspace::Ports,
    /// Whether this binary knows an event type (the catalog): a feed filters on
    /// known types only, though it serves every stored kind.
    is_known: fn(&str) -> bool,
}

impl Events {
    pub(crate) fn new(
        ports: Ports,
        tracker: tracker::Ports,
        workspace: workspace::Ports,
        is_known: fn(&str) -> bool,
    ) -> Self {
        Self {
            ports,
            tracker,
            workspace,
            is_known,
        }
    }

    /// Posts a chat message or task comment, resolving `@handle` mentions.
    ///
    /// # Errors
    /// `Validation` for a type a client may not post, a payload of the wrong shape, a
    /// comment without a task, or a task, parent or mention from elsewhere;
    /// `NotFound` for a project the caller cannot see.
    pub async fn post(&self, who: &Principal, input: PostEvent) -> Result<Event> {
        let scope = access::project(&self.workspace, who, input.project_id).await?;
        let project = input.project_id;
        if let Some(task) = input.task_id
            && self.tracker.tasks.task_project(task).await? != Some(project)
        {
            return Err(Error::validation("task_id", "no such task in this project"));
        }
        if let Some(parent) = input.parent_id {
            let parent = self.ports.events.get_event(parent).await?;
            let Some(parent) = parent.filter(|p| p.project_id == Some(project)) else {
                return Err(Error::validation(
                    "parent_id",
                    "no such event in this project",
                ));
            };
            if input.task_id.is_some()
                && parent.task_id.is_some()
                && parent.task_id != input.task_id
            {
                return Err(Error::validation(
                    "parent_id",
                    "the parent belongs to another task",
                ));
            }
        }
        let kind = match input.type_name.as_str() {
            "chat_message" => {
                let body: ChatInput = parse_payload(input.payload)?;
                // Bounded first: everything after is proportional to the content.
                let content = crate::text::required("payload.content", &body.content, CONTENT_MAX)?;
                if let Some(url) = &body.voice_url {
                    check_url(url)?;
                }
                ChatEvent::ChatMessage(ChatMessage {
                    mentions: self.mentions(project, &content, &body.mentions).await?,
                    content,
                    thinking: body.thinking,
                    voice_url: body.voice_url,
                    via: None,
                })
            }
            "task_comment" => {
                if input.task_id.is_none() {
                    return Err(Error::validation("task_id", "a task_comment needs a task"));
                }
                let body: CommentInput = parse_payload(input.payload)?;
                let content = crate::text::required("payload.content", &body.content, CONTENT_MAX)?;
                ChatEvent::TaskComment(TaskComment {
                    mentions: self.mentions(project, &content, &body.mentions).await?,
                    content,
                    thinking: body.thinking,
                    tool_log: body.tool_log,
                })
            }
            other => {
                return Err(Error::validation(
                    "type",
                    format!(
                        "{other:?} cannot be posted; clients post {}",
                        ChatEvent::SPECS
                            .iter()
                            .map(|k| k.type_name)
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                ));
            }
        };
        let now = self.ports.clock.now();
        let event = Event::build(
            Some(project),
            scope.actor(),
            input.task_id,
            input.parent_id,
            kind,
            now,
        )?;
        self.ports
            .events
            .append(std::slice::from_ref(&event))
            .await?;
        Ok(event)
    }

    /// # Errors
    /// `NotFound` for an event the caller cannot see.
    pub async fn get(&self, who: &Principal, id: EventId) -> Result<Event> {
        let not_found = || Error::NotFound { entity: "event" };
        let event = self
            .ports
            .events
            .get_event(id)
            .await?
            .ok_or_else(not_found)?;
        match event.project_id {
            Some(project) => {
                access::project_of(&self.workspace, who, project, "event").await?;
            }
            None if who.is_admin => {}
            None => return Err(not_found()),
        }
        Ok(event)
    }

    /// A page of a feed, newest first. A caller who is not an admin names a
    /// project, task or parent event; an admin may read the whole log.
    ///
    /// # Errors
    /// `NotFound` for a project, task or parent the caller cannot see or that is
    /// outside the named project; `Validation` for an unknown type or a missing
    /// scope.
    pub async fn list(&self, who: &Principal, mut filter: EventFilter) -> Result<EventPage> {
        if let Some(unknown) = filter.types.iter().find(|t| !(self.is_known)(t)) {
            return Err(Error::validation(
                "types",
                format!("unknown event type {unknown:?}"),
            ));
        }
        if let Some(task_id) = filter.task_id {
            let not_found = || Error::NotFound { entity: "task" };
            let task_project = self
                .tracker
                .tasks
                .task_project(task_id)
                .await?
                .ok_or_else(not_found)?;
            // A task under another project is not there, whoever asks: an
            // outsider must not learn from the answer that the id exists.
            if filter.project_id.is_some_and(|p| p != task_project) {
                return Err(not_found());
            }
            access::project_of(&self.workspace, who, task_project, "task").await?;
            filter.project_id = Some(task_project);
        } else if let Some(parent) = filter.parent_id {
            let parent = self.get(who, parent).await?;
            if filter
                .project_id
                .is_some_and(|p| Some(p) != parent.project_id)
            {
                return Err(Error::NotFound { entity: "event" });
            }
        } else if let Some(project) = filter.project_id {
            access::project(&self.workspace, who, project).await?;
        } else if !who.is_admin {
            return Err(Error::validation(
                "project_id",
                "project_id, task_id or parent_id is required",
            ));
        }
        page::read(
            filter.limit,
            |e: &Event| e.id,
            |limit| {
                filter.limit = limit;
                async move { self.ports.events.list_events(&filter).await }
            },
        )
        .await
    }

    /// Mentions from `@handle`s in the content plus explicitly named members (the
    /// explicit ones must be members of the project), at most [`MAX_MENTIONS`].
    async fn mentions(
        &self,
        project: ProjectId,
        content: &str,
        explicit: &[MemberId],
    ) -> Result<Vec<Mention>> {
        if explicit.len() > MAX_MENTIONS {
            return Err(mention::too_many());
        }
        let handles: Vec<Handle> = parse_mentions(content)?;
        let mut mentions: Vec<Mention> = self
            .workspace
            .projects
            .members_by_handle(project, &handles)
            .await?
            .into_iter()
            .map(|m| Mention {
                member_id: m.id,
                handle: m.handle,
            })
            .collect();
        for id in explicit {
            if mentions.iter().any(|m| m.member_id == *id) {
                continue;
            }
            match self.workspace.projects.get_member(*id).await? {
                Some(m) if m.project_id == project => mentions.push(Mention {
                    member_id: m.id,
                    handle: m.handle,
                }),
                _ => {
                    return Err(Error::validation(
                        "payload.mentions",
                        format!("{id} is not a member of this project"),
                    ));
                }
            }
        }
        if mentions.len() > MAX_MENTIONS {
            return Err(mention::too_many());
        }
        Ok(mentions)
    }
}

fn parse_payload<T: for<'de> Deserialize<'de>>(payload: Value) -> Result<T> {
    if !payload.is_object() {
        return Err(Error::validation("payload", "must be a JSON object"));
    }
    serde_json::from_value(payload).map_err(|e| Error::validation("payload", e.to_string()))
}

fn check_url(url: &str) -> Result<()> {
    let ok = url.len() <= URL_MAX
        && (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            "payload.voice_url",
            "must be an http(s) URL of at most 2048 characters",
        ))
    }
}
