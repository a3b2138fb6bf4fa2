//! A finished plan as a script for the offline provider (`--model-script`):
//! the body `GET /plans/{id}/script` answers is a script file as it is.

use std::collections::BTreeMap;

use agentry_domain::planning::{ModelScript, ScriptedReply};
use poem_openapi::Object;
use serde_json::Value;

/// What every model call of a plan answered: the generation's under the
/// secretary's name in `assistants`, each task's under the id its plan gave
/// it in `tasks`, then by assistant (sub-assistants under their own names).
/// The n-th reply of a list answers the n-th turn of that conversation.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ScriptOut {
    /// The goal the plan was generated from, when it was.
    pub goal: Option<String>,
    pub assistants: BTreeMap<String, Vec<ScriptedReplyOut>>,
    pub tasks: BTreeMap<String, BTreeMap<String, Vec<ScriptedReplyOut>>>,
}

/// One model answer.
#[derive(Debug, Object)]
pub struct ScriptedReplyOut {
    pub content: String,
    pub tool_calls: Vec<ScriptedCallOut>,
    pub usage: ScriptedUsageOut,
}

/// A tool call the model asked for.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ScriptedCallOut {
    pub id: Option<String>,
    pub name: String,
    pub arguments: Value,
}

/// The tokens the provider reported.
#[derive(Debug, Object)]
pub struct ScriptedUsageOut {
    pub input_tokens: i64,
    pub output_tokens: i64,
}

impl From<&ScriptedReply> for ScriptedReplyOut {
    fn from(reply: &ScriptedReply) -> Self {
        let usage = reply.usage.unwrap_or_default();
        Self {
            content: reply.content.clone(),
            tool_calls: reply
                .tool_calls
                .iter()
                .map(|c| ScriptedCallOut {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    arguments: c.arguments.clone(),
                })
                .collect(),
            usage: ScriptedUsageOut {
                input_tokens: usage.input_tokens,
                output_tokens: usage.output_tokens,
            },
        }
    }
}

fn replies(list: &[ScriptedReply]) -> Vec<ScriptedReplyOut> {
    list.iter().map(ScriptedReplyOut::from).collect()
}

impl From<ModelScript> for ScriptOut {
    fn from(script: ModelScript) -> Self {
        Self {
            goal: script.goal,
            assistants: script
                .assistants
                .iter()
                .map(|(name, list)| (name.clone(), replies(list)))
                .collect(),
            tasks: script
                .tasks
                .iter()
                .map(|(task, by)| {
                    let by = by
                        .iter()
                        .map(|(name, list)| (name.clone(), replies(list)))
                        .collect();
                    (task.clone(), by)
                })
                .collect(),
        }
    }
}
