//! A tool: its function name, kind, input schema and whom it delegates to, and an
//! assistant's link to it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Draft, Revisioned};
use crate::id::{AssistantId, ToolId, ToolLinkId};
use crate::vocabulary::vocabulary;
use crate::{Error, Result};

vocabulary! {
    /// What a tool does. `sub_assistant` delegates to another assistant.
    pub enum ToolKind("tool_type") {
        Calendar = "calendar",
        Reminder = "reminder",
        Time = "time",
        Weather = "weather",
        SubAssistant = "sub_assistant",
    }
}

/// A tool's name as a model calls it: 1–64 ASCII letters, digits, `_` or `-`
/// (what OpenAI-compatible function calling accepts). Unique across tools.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ToolName(String);

impl ToolName {
    /// # Errors
    /// `Validation` when the name is not a valid function name.
    pub fn parse(raw: &str) -> Result<Self> {
        let valid = (1..=64).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Error::validation(
                "name",
                "must be 1-64 ASCII letters, digits, '_' or '-' (a function name a model can call)",
            ))
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Tool lists page by name, with cursors of their own kind.
impl crate::page::Key for ToolName {
    const TAG: u8 = b't';

    fn to_bytes(&self) -> Vec<u8> {
        self.0.as_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| Self::parse(s).ok())
    }
}

impl TryFrom<String> for ToolName {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        Self::parse(&value)
    }
}

impl From<ToolName> for String {
    fn from(value: ToolName) -> Self {
        value.0
    }
}

/// What a caller may set on a tool; checked by [`ToolDraft::check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolDraft {
    pub name: ToolName,
    pub tool_type: ToolKind,
    pub description: String,
    /// A JSON Schema of the tool's arguments (an object schema).
    pub input_schema: Value,
    /// The assistant a `sub_assistant` tool delegates to; none for other kinds.
    pub assistant_id: Option<AssistantId>,
    pub is_active: bool,
}

impl ToolDraft {
    const DESCRIPTION_MAX: usize = 4_096;
}

impl Draft for ToolDraft {
    /// Checks the description, the schema, and that `assistant_id` is given exactly
    /// for `sub_assistant` tools (that it exists is the use case's business).
    fn check(self) -> Result<Self> {
        match (self.tool_type, self.assistant_id) {
            (ToolKind::SubAssistant, None) => {
                return Err(Error::validation(
                    "assistant_id",
                    "is required for a sub_assistant tool",
                ));
            }
            (kind, Some(_)) if kind != ToolKind::SubAssistant => {
                return Err(Error::validation(
                    "assistant_id",
                    "is only allowed for a sub_assistant tool",
                ));
            }
            _ => {}
        }
        super::check_input_schema(&self.input_schema)?;
        Ok(Self {
            description: crate::text::bounded(
                "description",
                self.description.trim(),
                Self::DESCRIPTION_MAX,
            )?,
            ..self
        })
    }
}

/// A tool assistants can be given.
pub type Tool = Revisioned<ToolId, ToolDraft>;

/// An assistant may use a tool. For a `sub_assistant` tool the link records the
/// assistant delegated to, as the tool names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolLink {
    pub id: ToolLinkId,
    pub assistant_id: AssistantId,
    pub tool_id: ToolId,
    pub sub_assistant_id: Option<AssistantId>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ToolLink {
    #[must_use]
    pub fn new(assistant: AssistantId, tool: &Tool, now: DateTime<Utc>) -> Self {
        Self {
            id: ToolLinkId::generate(),
            assistant_id: assistant,
            tool_id: tool.id,
            sub_assistant_id: tool.draft.assistant_id,
            is_active: true,
            created_at: now,
            updated_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{ToolDraft, ToolKind, ToolName};
    use crate::id::AssistantId;
    use crate::registry::Draft as _;

    fn draft(kind: ToolKind, assistant: Option<AssistantId>) -> ToolDraft {
        ToolDraft {
            name: ToolName::parse("get_weather").unwrap(),
            tool_type: kind,
            description: "Weather for a city".into(),
            input_schema: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            assistant_id: assistant,
            is_active: true,
        }
    }

    #[test]
    fn names_are_function_names() {
        for good in ["get_weather", "a", "x-1", &"n".repeat(64)] {
            assert!(ToolName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "get weather", "погода", "a.b", &"n".repeat(65)] {
            assert!(ToolName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_a_sub_assistant_tool_names_an_assistant() {
        let someone = Some(AssistantId::generate());
        assert!(draft(ToolKind::SubAssistant, someone).check().is_ok());
        assert!(draft(ToolKind::Weather, None).check().is_ok());
        assert!(draft(ToolKind::SubAssistant, None).check().is_err());
        assert!(draft(ToolKind::Weather, someone).check().is_err());
    }
}
