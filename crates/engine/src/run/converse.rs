//! A conversation, turn by turn: the model's answer, then each tool call
//! it asked for (a built-in, a sub-assistant as a nested conversation, or the
//! tool executor), every step appended to the log under its `agent.started`,
//! until the model answers without tool calls or `complete_task` was called.

use std::time::Instant;

use agentry_domain::id::EventId;
use agentry_domain::planning::{
    AgentCompleted, AgentEvent, AgentStarted, ModelMessage, ModelRequest, Role, ToolCalled,
    ToolResult, ToolSpec, TurnCompleted, TurnStarted, bounded_json, recorded_text,
};
use agentry_domain::registry::ResolvedAssistant;
use agentry_domain::tracker::TaskResult;
use serde_json::{Value, json};

use super::{Attempt, Conversation, ToolAnswer, Unfinished, record_turn};
use crate::builtin;

impl Attempt<'_> {
    /// A conversation of `resolved`: turns until the model answers without
    /// tool calls or `complete_task` was called; the last answer.
    pub(crate) async fn converse(
        &mut self,
        resolved: &ResolvedAssistant,
        conversation: Conversation,
        mut messages: Vec<ModelMessage>,
    ) -> Result<String, Unfinished> {
        let main = conversation == Conversation::Task;
        let parent = match conversation {
            Conversation::Task => None,
            Conversation::Delegated { tool_call } => Some(tool_call),
        };
        let assistant = &resolved.assistant;
        let started = self.event(
            parent,
            AgentEvent::AgentStarted(AgentStarted {
                assistant: assistant.id,
                assistant_name: assistant.draft.name.clone(),
                attempt: self.attempt,
                fence: self.fence,
                worker: self.context.config.worker.clone(),
            }),
        )?;
        let agent = started.id;
        let mut pending = vec![started];
        let mut tools: Vec<ToolSpec> = builtin::specs(conversation);
        tools.extend(resolved.tools.iter().map(|t| ToolSpec {
            name: t.tool.draft.name.as_str().to_owned(),
            description: t.tool.draft.description.clone(),
            parameters: t.tool.draft.input_schema.clone(),
        }));
        tools.dedup_by(|a, b| a.name == b.name);
        let hosted = self.hosted(assistant).await?;
        let task_key = self.task.execution().map(|e| e.client_id.clone());
        for turn in 1..=self.context.config.max_turns {
            pending.push(self.event(
                Some(agent),
                AgentEvent::TurnStarted(TurnStarted {
                    turn,
                    model: assistant.draft.model.clone(),
                }),
            )?);
            // Written with the next write: every write takes what is unwritten first.
            self.unwritten.append(&mut pending);
            if main {
                self.agent = Some(agent);
            }
            let request = ModelRequest {
                assistant: assistant.draft.name.clone(),
                model: assistant.draft.model.clone(),
                messages: messages.clone(),
                tools: tools.clone(),
                output: None,
                task: task_key.clone(),
                hosted: hosted.clone(),
            };
            let began = Instant::now();
            let reply = self.ask(&request, turn, agent).await?;
            let latency_ms = i64::try_from(began.elapsed().as_millis()).unwrap_or(i64::MAX);
            record_turn(&request.model, &reply, began.elapsed());
            let calls: Vec<Value> = reply
                .tool_calls
                .iter()
                .map(|c| {
                    bounded_json(json!({"id": c.id, "name": c.name, "arguments": c.arguments}))
                })
                .collect();
            let completed = self.event(
                Some(agent),
                AgentEvent::TurnCompleted(TurnCompleted {
                    turn,
                    model: assistant.draft.model.clone(),
                    assistant: assistant.id,
                    assistant_name: assistant.draft.name.clone(),
                    latency_ms,
                    input_tokens: reply.usage.input_tokens,
                    output_tokens: reply.usage.output_tokens,
                    content: recorded_text(&reply.content),
                    tool_calls: calls,
                }),
            )?;
            if main && reply.tool_calls.is_empty() {
                self.last_turn = Some(completed);
                return Ok(reply.content);
            }
            self.append(&[completed]).await?;
            if reply.tool_calls.is_empty() {
                if !main {
                    self.append(&[self.event(
                        Some(agent),
                        AgentEvent::AgentCompleted(AgentCompleted {
                            result: TaskResult {
                                summary: Some(recorded_text(&reply.content)),
                                ..TaskResult::default()
                            },
                        }),
                    )?])
                    .await?;
                }
                return Ok(reply.content);
            }
            let mut assistant_message = ModelMessage::new(Role::Assistant, reply.content.clone());
            assistant_message.tool_calls = reply.tool_calls.clone();
            messages.push(assistant_message);
            for call in &reply.tool_calls {
                let called = self.event(
                    Some(agent),
                    AgentEvent::ToolCalled(ToolCalled {
                        tool_name: call.name.clone(),
                        call_id: call.id.clone(),
                        input: bounded_json(call.arguments.clone()),
                    }),
                )?;
                let called_id = called.id;
                self.append(&[called]).await?;
                let answer = self
                    .call_tool(
                        resolved,
                        called_id,
                        &call.name,
                        &call.arguments,
                        conversation,
                    )
                    .await?;
                let (output, is_error) = match answer {
                    ToolAnswer::Output(output) => (output, false),
                    ToolAnswer::Error(message) => (json!({"error": message}), true),
                };
                self.append(&[self.event(
                    Some(called_id),
                    AgentEvent::ToolResult(ToolResult {
                        tool_name: call.name.clone(),
                        call_id: call.id.clone(),
                        input: bounded_json(call.arguments.clone()),
                        output: bounded_json(output.clone()),
                        is_error,
                    }),
                )?])
                .await?;
                let mut tool_message = ModelMessage::new(Role::Tool, output.to_string());
                tool_message.tool_call_id = Some(call.id.clone());
                messages.push(tool_message);
            }
            if main && self.result.is_some() {
                return Ok(reply.content);
            }
        }
        Err(Unfinished::Failed(format!(
            "the assistant did not finish within {} turns",
            self.context.config.max_turns
        )))
    }

    /// One tool call: a built-in, a sub-assistant (a nested conversation), or
    /// the tool executor.
    async fn call_tool(
        &mut self,
        resolved: &ResolvedAssistant,
        called: EventId,
        name: &str,
        input: &Value,
        conversation: Conversation,
    ) -> Result<ToolAnswer, Unfinished> {
        if let Some(answer) = self.builtin(name, input, called, conversation).await? {
            return Ok(answer);
        }
        let Some(tool) = resolved
            .tools
            .iter()
            .find(|t| t.tool.draft.name.as_str() == name)
        else {
            return Ok(ToolAnswer::Error(format!("no tool is named '{name}'")));
        };
        if let Some(sub) = &tool.sub_assistant {
            let messages = vec![
                ModelMessage::new(Role::System, sub.assistant.draft.instructions.clone()),
                ModelMessage::new(Role::User, input.to_string()),
            ];
            let delegated = Conversation::Delegated { tool_call: called };
            let reply = Box::pin(self.converse(sub, delegated, messages)).await?;
            return Ok(ToolAnswer::Output(json!({"reply": reply})));
        }
        tokio::select! {
            answer = self.context.tools.call(name, input) => Ok(answer.into()),
            stop = self.stopped() => Err(stop),
        }
    }
}
