//! The tools every agent has (docs/engine.md, "Built-in tools"):
//! `send_message` (a comment on its task, as its agent member),
//! `list_messages` (its task's feed), `report_progress` and, for the task's
//! own assistant, `complete_task`. A registry tool of the same name is
//! shadowed by these.

use agentry_domain::event::Event;
use agentry_domain::id::EventId;
use agentry_domain::log::{ChatEvent, EventFilter, TaskComment};
use agentry_domain::planning::{AgentEvent, AgentProgress, ToolSpec, bounded_json};
use agentry_domain::tracker::TaskResult;
use serde_json::{Value, json};

use crate::run::{Attempt, Conversation, ToolAnswer, Unfinished};

const SEND_MESSAGE: &str = "send_message";
const LIST_MESSAGES: &str = "list_messages";
const REPORT_PROGRESS: &str = "report_progress";
const COMPLETE_TASK: &str = "complete_task";
/// The longest message an agent may send (as a person's comment).
const MESSAGE_MAX: usize = 32_000;
const LIST_MAX: u64 = 50;

/// The built-in tools' descriptions, as the model sees them.
pub(crate) fn specs(conversation: Conversation) -> Vec<ToolSpec> {
    let mut specs = vec![
        ToolSpec {
            name: SEND_MESSAGE.into(),
            description: "Post a comment on the task, visible to the team.".into(),
            parameters: json!({
                "type": "object",
                "properties": {"content": {"type": "string", "maxLength": MESSAGE_MAX}},
                "required": ["content"]
            }),
        },
        ToolSpec {
            name: LIST_MESSAGES.into(),
            description: "Read the task's latest events (comments, status changes, agent steps), newest first.".into(),
            parameters: json!({
                "type": "object",
                "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": LIST_MAX}}
            }),
        },
        ToolSpec {
            name: REPORT_PROGRESS.into(),
            description: "Report how far the task is, 0 to 100.".into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                    "message": {"type": "string"}
                },
                "required": ["progress"]
            }),
        },
    ];
    if conversation == Conversation::Task {
        specs.push(ToolSpec {
            name: COMPLETE_TASK.into(),
            description: "Finish the task with its result.".into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "summary": {"type": "string"},
                    "output_file": {"type": "string"},
                    "preview_url": {"type": "string"}
                }
            }),
        });
    }
    specs
}

impl Attempt<'_> {
    /// Runs `name` if it is a built-in; `None` otherwise.
    pub(crate) async fn builtin(
        &mut self,
        name: &str,
        input: &Value,
        called: EventId,
        conversation: Conversation,
    ) -> Result<Option<ToolAnswer>, Unfinished> {
        let answer = match name {
            SEND_MESSAGE => self.send_message(input).await?,
            LIST_MESSAGES => self.list_messages(input).await?,
            REPORT_PROGRESS => self.report_progress(input, called).await?,
            COMPLETE_TASK if conversation == Conversation::Task => self.complete_task(input),
            _ => return Ok(None),
        };
        Ok(Some(answer.into()))
    }

    async fn send_message(&mut self, input: &Value) -> Result<Result<Value, String>, Unfinished> {
        let Some(content) = input.get("content").and_then(Value::as_str) else {
            return Ok(Err("send_message needs a string 'content'".into()));
        };
        let content = content.trim();
        if content.is_empty() || content.chars().count() > MESSAGE_MAX || content.contains('\0') {
            return Ok(Err(format!(
                "'content' must be 1-{MESSAGE_MAX} characters without NUL"
            )));
        }
        let event = Event::in_project(
            self.task.project_id(),
            self.actor,
            Some(self.task.id()),
            ChatEvent::TaskComment(TaskComment {
                content: content.to_owned(),
                mentions: Vec::new(),
                thinking: None,
                tool_log: None,
            }),
            self.context.ports.planning.clock.now(),
        )?;
        let id = event.id;
        self.append(&[event]).await?;
        Ok(Ok(json!({"event_id": id.0})))
    }

    async fn list_messages(&mut self, input: &Value) -> Result<Result<Value, String>, Unfinished> {
        let limit = input
            .get("limit")
            .and_then(Value::as_u64)
            .unwrap_or(20)
            .clamp(1, LIST_MAX);
        let filter = EventFilter {
            task_id: Some(self.task.id()),
            limit: u32::try_from(limit).unwrap_or(20),
            ..EventFilter::default()
        };
        let events = self.context.ports.log.events.list_events(&filter).await?;
        let listed: Vec<Value> = events
            .iter()
            .map(|e| {
                json!({
                    "id": e.id.0,
                    "type": e.kind.type_name(),
                    "actor_id": e.actor_id.map(|a| a.0),
                    "created_at": e.created_at,
                    "payload": e.kind.payload(),
                })
            })
            .collect();
        Ok(Ok(bounded_json(Value::Array(listed))))
    }

    async fn report_progress(
        &mut self,
        input: &Value,
        called: EventId,
    ) -> Result<Result<Value, String>, Unfinished> {
        let Some(progress) = input.get("progress").and_then(Value::as_i64) else {
            return Ok(Err("report_progress needs an integer 'progress'".into()));
        };
        let message = input
            .get("message")
            .and_then(Value::as_str)
            .map(agentry_domain::planning::recorded_text);
        let now = self.context.ports.planning.clock.now();
        let before = self.task.clone();
        if let Err(e) = self.task.report_progress(progress, now) {
            return Ok(Err(e.to_string()));
        }
        let progress = i64::from(self.task.execution().map_or(0, |e| e.progress));
        let event = self.event(
            Some(called),
            AgentEvent::AgentProgress(AgentProgress { progress, message }),
        )?;
        if self.settle(vec![event], None).await.is_err() {
            self.task = before;
            return Err(Unfinished::LeaseLost);
        }
        Ok(Ok(json!({"progress": progress})))
    }

    fn complete_task(&mut self, input: &Value) -> Result<Value, String> {
        let result: TaskResult =
            serde_json::from_value(input.clone()).map_err(|e| format!("bad result: {e}"))?;
        let result = result.check().map_err(|e| e.to_string())?;
        self.result = Some(result);
        Ok(json!({"completed": true}))
    }
}
