//! The offline provider: replies read from a JSON script (the format is the
//! domain's [`ModelScript`]: per assistant and turn, and per plan task).
//!
//! Past its last reply a conversation gets a plain "Done." with no tool calls,
//! so every run ends. A reply may say `"fail_times": k`: its first `k` uses
//! answer as an unavailable provider would (with `"error"` as the message), for
//! testing retries. Usage, when a reply gives none, is estimated as one token
//! per four characters. A `"delay_ms"` makes the turn take that long (a slow
//! model, for aborts).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use agentry_domain::planning::{
    ModelClient, ModelReply, ModelRequest, ModelScript, OnDelta, Role, ScriptedReply, ToolCall,
    Usage,
};
use agentry_domain::{Error, Result};
use async_trait::async_trait;

use crate::LoadError;

/// The offline model provider (see the module's documentation).
#[derive(Debug)]
pub struct Script {
    script: ModelScript,
    /// Failures served so far, per (task, assistant, turn).
    failed: Mutex<HashMap<(String, String, usize), u32>>,
}

impl Script {
    /// # Errors
    /// When the file cannot be read or is not a script.
    pub fn load(path: &Path) -> std::result::Result<Self, LoadError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoadError(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text).map_err(|e| LoadError(format!("{}: {e}", path.display())))
    }

    /// # Errors
    /// When `text` is not a script.
    pub fn parse(text: &str) -> std::result::Result<Self, LoadError> {
        let script: ModelScript =
            serde_json::from_str(text).map_err(|e| LoadError(format!("not a script: {e}")))?;
        Ok(Self::new(script))
    }

    #[must_use]
    pub fn new(script: ModelScript) -> Self {
        Self {
            script,
            failed: Mutex::new(HashMap::new()),
        }
    }

    fn reply_for(
        &self,
        request: &ModelRequest,
    ) -> Option<((String, String, usize), ScriptedReply)> {
        let turn = request
            .messages
            .iter()
            .filter(|m| m.role == Role::Assistant)
            .count();
        let task = request.task.as_deref();
        let (name, replies) = self.script.replies(task, &request.assistant)?;
        let key = (task.unwrap_or_default().to_owned(), name.to_owned(), turn);
        replies.get(turn).map(|r| (key, r.clone()))
    }
}

fn estimate(text: usize) -> i64 {
    i64::try_from(text.div_ceil(4)).unwrap_or(i64::MAX)
}

#[async_trait]
impl ModelClient for Script {
    async fn complete(
        &self,
        request: &ModelRequest,
        on_delta: Option<&OnDelta>,
    ) -> Result<ModelReply> {
        let Some((key, reply)) = self.reply_for(request) else {
            return Ok(ModelReply {
                content: "Done.".into(),
                tool_calls: Vec::new(),
                usage: Usage {
                    input_tokens: estimate(request.messages.iter().map(|m| m.content.len()).sum()),
                    output_tokens: 1,
                },
            });
        };
        if reply.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(reply.delay_ms)).await;
        }
        if reply.fail_times > 0 {
            let mut failed = self
                .failed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let count = failed.entry(key.clone()).or_default();
            if *count < reply.fail_times {
                *count += 1;
                let message = reply
                    .error
                    .unwrap_or_else(|| "the scripted model is unavailable".into());
                return Err(Error::unavailable(message));
            }
        }
        if let Some(on_delta) = on_delta {
            for word in reply.content.split_inclusive(' ') {
                on_delta(word);
            }
        }
        let usage = reply.usage.unwrap_or_else(|| Usage {
            input_tokens: estimate(request.messages.iter().map(|m| m.content.len()).sum()),
            output_tokens: estimate(reply.content.len()).max(1),
        });
        Ok(ModelReply {
            content: reply.content,
            tool_calls: reply
                .tool_calls
                .into_iter()
                .enumerate()
                .map(|(i, c)| ToolCall {
                    id: c.id.unwrap_or_else(|| format!("call_{}_{i}", key.2 + 1)),
                    name: c.name,
                    arguments: c.arguments,
                })
                .collect(),
            usage,
        })
    }
}

#[cfg(test)]
mod tests {
    use agentry_domain::planning::ModelMessage;

    use super::*;

    fn request(assistant: &str, turns_so_far: usize) -> ModelRequest {
        let mut messages = vec![ModelMessage::new(Role::User, "do it")];
        messages.extend((0..turns_so_far).map(|_| ModelMessage::new(Role::Assistant, "")));
        ModelRequest {
            assistant: assistant.into(),
            model: "m".into(),
            messages,
            ..ModelRequest::default()
        }
    }

    #[tokio::test]
    async fn replies_follow_the_turn_and_fall_back_to_the_wildcard() {
        let script = Script::parse(
            r#"{"assistants": {
                "Writer": [
                    {"tool_calls": [{"name": "report_progress", "arguments": {"progress": 50}}],
                     "usage": {"input_tokens": 7, "output_tokens": 3}},
                    {"content": "written"}
                ],
                "*": [{"content": "any"}]
            }}"#,
        )
        .unwrap();
        let first = script.complete(&request("Writer", 0), None).await.unwrap();
        assert_eq!(first.tool_calls[0].name, "report_progress");
        // Turns count from 1, as the docs say.
        assert_eq!(first.tool_calls[0].id, "call_1_0");
        assert_eq!(
            first.usage,
            Usage {
                input_tokens: 7,
                output_tokens: 3
            }
        );
        let second = script.complete(&request("Writer", 1), None).await.unwrap();
        assert_eq!(second.content, "written");
        assert!(second.usage.output_tokens > 0);
        let past = script.complete(&request("Writer", 2), None).await.unwrap();
        assert_eq!(past.content, "Done.");
        let other = script
            .complete(&request("Reviewer", 0), None)
            .await
            .unwrap();
        assert_eq!(other.content, "any");
    }

    #[tokio::test]
    async fn a_failing_reply_fails_its_first_uses_then_answers() {
        let script = Script::parse(
            r#"{"assistants": {"*": [{"content": "ok", "fail_times": 2, "error": "overloaded"}]}}"#,
        )
        .unwrap();
        for _ in 0..2 {
            let err = script.complete(&request("A", 0), None).await.unwrap_err();
            assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
        }
        let streamed = std::sync::Arc::new(Mutex::new(String::new()));
        let sink = streamed.clone();
        let on_delta = move |d: &str| sink.lock().unwrap().push_str(d);
        let reply = script
            .complete(&request("A", 0), Some(&on_delta))
            .await
            .unwrap();
        assert_eq!(reply.content, "ok");
        assert_eq!(*streamed.lock().unwrap(), "ok");
    }

    #[tokio::test]
    async fn a_tasks_own_replies_come_first_with_their_call_ids() {
        let script = Script::parse(
            r#"{"assistants": {"Writer": [{"content": "generic"}]},
                "tasks": {"draft": {"Writer": [
                    {"tool_calls": [{"id": "call_recorded", "name": "report_progress"}]},
                    {"content": "drafted"}
                ]}}}"#,
        )
        .unwrap();
        let mut first = request("Writer", 0);
        first.task = Some("draft".into());
        let reply = script.complete(&first, None).await.unwrap();
        assert_eq!(reply.tool_calls[0].id, "call_recorded");
        let mut second = request("Writer", 1);
        second.task = Some("draft".into());
        assert_eq!(
            script.complete(&second, None).await.unwrap().content,
            "drafted"
        );
        let mut other = request("Writer", 0);
        other.task = Some("review".into());
        assert_eq!(
            script.complete(&other, None).await.unwrap().content,
            "generic"
        );
    }

    #[test]
    fn a_malformed_script_is_refused_with_its_reason() {
        let err = Script::parse(r#"{"assistants": {"A": [{"contents": "typo"}]}}"#).unwrap_err();
        assert!(err.0.contains("contents"), "{err}");
    }
}
