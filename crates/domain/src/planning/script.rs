//! The offline provider's script: model replies per assistant and turn, and,
//! for a replayed plan, per task. A finished plan exports as one
//! ([`ModelScript::record`]), so running it again offline replays what the
//! models answered.
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
//!   },
//!   "tasks": {"draft": {"Writer": [{"content": "Drafted."}]}}
//! }
//! ```
//!
//! A conversation's `n`-th turn (counted by the assistant messages already in
//! it) gets the `n`-th reply of its task's list for its assistant, else of its
//! assistant's list, else of `"*"`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{TurnCompleted, Usage};

/// A script (see the module's documentation).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelScript {
    /// The goal the plan was generated from, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub assistants: BTreeMap<String, Vec<ScriptedReply>>,
    /// By the plan task's id as its author gave it, then by assistant.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tasks: BTreeMap<String, BTreeMap<String, Vec<ScriptedReply>>>,
}

/// One scripted answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedReply {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ScriptedCall>,
    /// Estimated as a token per four characters when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The first uses answer as an unavailable provider would (for testing retries).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fail_times: u32,
    /// What those failures say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long the turn takes (a slow model, for aborts).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub delay_ms: u64,
}

/// A scripted tool call; without an id it gets `call_{turn}_{index}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedCall {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default = "empty_object")]
    pub arguments: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

const fn is_zero(n: &u32) -> bool {
    *n == 0
}

const fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

impl ScriptedReply {
    /// What a recorded turn answered.
    #[must_use]
    pub fn recorded(turn: &TurnCompleted) -> Self {
        Self {
            content: turn.content.clone(),
            tool_calls: turn
                .tool_calls
                .iter()
                .map(|call| ScriptedCall {
                    id: call["id"].as_str().map(str::to_owned),
                    name: call["name"].as_str().unwrap_or_default().to_owned(),
                    arguments: call["arguments"].clone(),
                })
                .collect(),
            usage: Some(Usage {
                input_tokens: turn.input_tokens,
                output_tokens: turn.output_tokens,
            }),
            ..Self::default()
        }
    }
}

impl ModelScript {
    /// Puts a recorded turn at its place: its turn number in the list of its
    /// task (or, outside a task, of its assistant). A later attempt's turn
    /// replaces an earlier one's: the replay follows the attempt that counted.
    pub fn record(&mut self, task: Option<&str>, turn: &TurnCompleted) {
        let list = match task {
            Some(task) => self
                .tasks
                .entry(task.to_owned())
                .or_default()
                .entry(turn.assistant_name.clone())
                .or_default(),
            None => self
                .assistants
                .entry(turn.assistant_name.clone())
                .or_default(),
        };
        let at = usize::try_from(turn.turn.saturating_sub(1)).unwrap_or(usize::MAX);
        if at >= list.len() {
            list.resize(at + 1, ScriptedReply::default());
        }
        list[at] = ScriptedReply::recorded(turn);
    }

    /// The replies for a turn of `assistant` in `task`.
    #[must_use]
    pub fn replies(&self, task: Option<&str>, assistant: &str) -> Option<(&str, &[ScriptedReply])> {
        task.and_then(|t| self.tasks.get(t))
            .and_then(|by| by.get_key_value(assistant))
            .or_else(|| self.assistants.get_key_value(assistant))
            .or_else(|| self.assistants.get_key_value("*"))
            .map(|(name, replies)| (name.as_str(), replies.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::id::AssistantId;

    fn turn(n: u32, content: &str) -> TurnCompleted {
        TurnCompleted {
            turn: n,
            model: "m".into(),
            assistant: AssistantId::generate(),
            assistant_name: "Writer".into(),
            latency_ms: 5,
            input_tokens: 10,
            output_tokens: 2,
            content: content.into(),
            tool_calls: vec![json!({"id": "call_1", "name": "lookup", "arguments": {"q": 1}})],
        }
    }

    #[test]
    fn a_recorded_turn_takes_its_place_and_a_later_attempt_replaces_it() {
        let mut script = ModelScript::default();
        script.record(Some("draft"), &turn(2, "second"));
        script.record(Some("draft"), &turn(1, "first, attempt 1"));
        script.record(Some("draft"), &turn(1, "first, attempt 2"));
        script.record(None, &turn(1, "planned"));
        let replies = &script.tasks["draft"]["Writer"];
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0].content, "first, attempt 2");
        assert_eq!(replies[1].tool_calls[0].id.as_deref(), Some("call_1"));
        assert_eq!(replies[1].usage.unwrap().input_tokens, 10);
        assert_eq!(script.assistants["Writer"][0].content, "planned");
        let (_, found) = script.replies(Some("draft"), "Writer").unwrap();
        assert_eq!(found[1].content, "second");
        let (_, fallback) = script.replies(Some("other"), "Writer").unwrap();
        assert_eq!(fallback[0].content, "planned");
        let text = serde_json::to_string(&script).unwrap();
        assert_eq!(serde_json::from_str::<ModelScript>(&text).unwrap(), script);
    }
}
