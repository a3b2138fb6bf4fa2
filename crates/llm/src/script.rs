//! The offline provider: replies read from a JSON script, per assistant and
//! per turn.
//!
//! ```json
//! {
//!   "assistants": {
//!     "Writer": [
//!       {"tool_calls": [{"name": "report_progress", "arguments": {"progress": 50}}],
//!        "usage": {"input_tokens": 120, "output_tokens": 12}},
//!       {"content": "Draft written.", "usage": {"input_tokens": 180, "output_tokens": 40}}
//!     ],
//!     "*": [{"content": "Done."}]
//!   }
//! }
//! ```
//!
//! An assistant's `n`-th turn in a conversation (counted by the assistant
//! messages already in it) gets its `n`-th reply; `"*"` serves assistants the
//! script does not name. Past its last reply a conversation gets a plain
//! "Done." with no tool calls, so every run ends. A reply may say
//! `"fail_times": k`: its first `k` uses answer as an unavailable provider
//! would (with `"error"` as the message), for testing retries. Usage, when a
//! reply gives none, is estimated as one token per four characters. A
//! `"delay_ms"` makes the turn take that long (a slow model, for aborts).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use agentry_domain::planning::{
    ModelClient, ModelReply, ModelRequest, OnDelta, Role, ToolCall, Usage,
};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;

/// A script that could not be read or parsed.
#[derive(Debug)]
pub struct ScriptError(pub String);

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScriptError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    assistants: HashMap<String, Vec<Reply>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reply {
    #[serde(default)]
    content: String,
    #[serde(default)]
    tool_calls: Vec<ScriptedCall>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    fail_times: u32,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    delay_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptedCall {
    name: String,
    #[serde(default = "empty_object")]
    arguments: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// The offline model provider (see the module's documentation for the format).
#[derive(Debug)]
pub struct Script {
    assistants: HashMap<String, Vec<Reply>>,
    /// Failures served so far, per (assistant, turn).
    failed: Mutex<HashMap<(String, usize), u32>>,
}

impl Script {
    /// # Errors
    /// When the file cannot be read or is not a script.
    pub fn load(path: &Path) -> std::result::Result<Self, ScriptError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ScriptError(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text).map_err(|e| ScriptError(format!("{}: {e}", path.display())))
    }

    /// # Errors
    /// When `text` is not a script.
    pub fn parse(text: &str) -> std::result::Result<Self, ScriptError> {
        let file: File =
            serde_json::from_str(text).map_err(|e| ScriptError(format!("not a script: {e}")))?;
        Ok(Self {
            assistants: file.assistants,
            failed: Mutex::new(HashMap::new()),
        })
    }

    fn reply_for(&self, request: &ModelRequest) -> Option<(String, usize, Reply)> {
        let turn = request
            .messages
            .iter()
            .filter(|m| m.role == Role::Assistant)
            .count();
        let (name, replies) = self
            .assistants
            .get_key_value(&request.assistant)
            .or_else(|| self.assistants.get_key_value("*"))?;
        replies.get(turn).map(|r| (name.clone(), turn, r.clone()))
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
        let Some((name, turn, reply)) = self.reply_for(request) else {
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
            let count = failed.entry((name, turn)).or_default();
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
                    id: format!("call_{turn}_{i}"),
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
            tools: Vec::new(),
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
        assert_eq!(first.tool_calls[0].id, "call_0_0");
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

    #[test]
    fn a_malformed_script_is_refused_with_its_reason() {
        let err = Script::parse(r#"{"assistants": {"A": [{"contents": "typo"}]}}"#).unwrap_err();
        assert!(err.0.contains("contents"), "{err}");
    }
}
