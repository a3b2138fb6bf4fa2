//! The registry's request and response bodies.

use agentry_domain::id::AssistantId;
use agentry_domain::registry::{
    Assistant, AssistantDraft, AssistantKind, AssistantThread, ResolvedAssistant, ResolvedTool,
    Tool, ToolDraft, ToolKind, ToolLink, ToolName,
};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde_json::Value;
use uuid::Uuid;

use crate::common::text::Text;
use crate::common::wire::Wire;

fn default_true() -> bool {
    true
}

/// An assistant's settable fields (`POST`, `PUT`).
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct AssistantIn {
    pub name: Text,
    /// The one assistant that answers users first; at most one active at a time.
    #[oai(default)]
    pub is_secretary: bool,
    /// The model it runs on, e.g. `gpt-4o`.
    pub model: Text,
    /// Its system prompt.
    #[oai(default)]
    pub instructions: Text,
    pub assistant_type: Wire<AssistantKind>,
    /// Required for `openai_api`, forbidden for `llm`.
    pub openai_assistant_id: Option<Text>,
    #[oai(default = "default_true")]
    pub is_active: bool,
}

impl From<AssistantIn> for AssistantDraft {
    fn from(a: AssistantIn) -> Self {
        Self {
            name: a.name.into(),
            is_secretary: a.is_secretary,
            model: a.model.into(),
            instructions: a.instructions.into(),
            assistant_type: a.assistant_type.0,
            openai_assistant_id: a.openai_assistant_id.map(Into::into),
            is_active: a.is_active,
        }
    }
}

/// The patched value, or the current one.
fn or_current(patched: Option<&Text>, current: &str) -> String {
    patched.map_or(current, |t| t.0.as_str()).to_owned()
}

/// Fields to change (`PATCH`); absent fields stay as they are.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct AssistantPatch {
    pub name: Option<Text>,
    pub is_secretary: Option<bool>,
    pub model: Option<Text>,
    pub instructions: Option<Text>,
    pub assistant_type: Option<Wire<AssistantKind>>,
    pub openai_assistant_id: Option<Text>,
    pub is_active: Option<bool>,
}

impl AssistantPatch {
    pub fn apply(&self, current: &AssistantDraft) -> AssistantDraft {
        let assistant_type = self.assistant_type.map_or(current.assistant_type, |t| t.0);
        AssistantDraft {
            name: or_current(self.name.as_ref(), &current.name),
            is_secretary: self.is_secretary.unwrap_or(current.is_secretary),
            model: or_current(self.model.as_ref(), &current.model),
            instructions: or_current(self.instructions.as_ref(), &current.instructions),
            // Switching to `llm` drops the OpenAI id unless one is given (and refused).
            openai_assistant_id: match (&self.openai_assistant_id, assistant_type) {
                (Some(id), _) => Some(id.0.clone()),
                (None, AssistantKind::Llm) => None,
                (None, AssistantKind::OpenaiApi) => current.openai_assistant_id.clone(),
            },
            assistant_type,
            is_active: self.is_active.unwrap_or(current.is_active),
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AssistantOut {
    pub id: Uuid,
    pub name: String,
    pub is_secretary: bool,
    pub model: String,
    pub instructions: String,
    pub assistant_type: Wire<AssistantKind>,
    pub openai_assistant_id: Option<String>,
    pub is_active: bool,
    /// Counts changes; send it back as `If-Match: "<revision>"`.
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Assistant> for AssistantOut {
    fn from(a: &Assistant) -> Self {
        Self {
            id: a.id.0,
            name: a.draft.name.clone(),
            is_secretary: a.draft.is_secretary,
            model: a.draft.model.clone(),
            instructions: a.draft.instructions.clone(),
            assistant_type: a.draft.assistant_type.into(),
            openai_assistant_id: a.draft.openai_assistant_id.clone(),
            is_active: a.draft.is_active,
            revision: a.revision,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A tool's settable fields (`POST`, `PUT`).
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ToolIn {
    /// The function name a model calls: 1-64 of `A-Z a-z 0-9 _ -`, unique.
    pub name: Text,
    pub tool_type: Wire<ToolKind>,
    #[oai(default)]
    pub description: Text,
    /// A JSON Schema (an object schema) of the tool's arguments.
    pub input_schema: Value,
    /// The assistant a `sub_assistant` tool delegates to; forbidden otherwise.
    pub assistant_id: Option<Uuid>,
    #[oai(default = "default_true")]
    pub is_active: bool,
}

impl ToolIn {
    /// # Errors
    /// `Validation` for a name a model could not call.
    pub fn draft(self) -> agentry_domain::Result<ToolDraft> {
        Ok(ToolDraft {
            name: ToolName::parse(&self.name.0)?,
            tool_type: self.tool_type.0,
            description: self.description.into(),
            input_schema: self.input_schema,
            assistant_id: self.assistant_id.map(AssistantId),
            is_active: self.is_active,
        })
    }
}

/// Fields to change (`PATCH`); absent fields stay as they are. `assistant_id: null`
/// is not accepted: switch the tool's type instead.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ToolPatch {
    pub name: Option<Text>,
    pub tool_type: Option<Wire<ToolKind>>,
    pub description: Option<Text>,
    pub input_schema: Option<Value>,
    pub assistant_id: Option<Uuid>,
    pub is_active: Option<bool>,
}

impl ToolPatch {
    /// # Errors
    /// `Validation` for a name a model could not call.
    pub fn apply(&self, current: &ToolDraft) -> agentry_domain::Result<ToolDraft> {
        let tool_type = self.tool_type.map_or(current.tool_type, |t| t.0);
        Ok(ToolDraft {
            name: match &self.name {
                Some(name) => ToolName::parse(&name.0)?,
                None => current.name.clone(),
            },
            description: self
                .description
                .as_ref()
                .map_or_else(|| current.description.clone(), |d| d.0.clone()),
            input_schema: self
                .input_schema
                .clone()
                .unwrap_or_else(|| current.input_schema.clone()),
            assistant_id: match (self.assistant_id, tool_type) {
                (Some(id), _) => Some(AssistantId(id)),
                (None, ToolKind::SubAssistant) => current.assistant_id,
                (None, _) => None,
            },
            tool_type,
            is_active: self.is_active.unwrap_or(current.is_active),
        })
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ToolOut {
    pub id: Uuid,
    pub name: String,
    pub tool_type: Wire<ToolKind>,
    pub description: String,
    pub input_schema: Value,
    pub assistant_id: Option<Uuid>,
    pub is_active: bool,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Tool> for ToolOut {
    fn from(t: &Tool) -> Self {
        Self {
            id: t.id.0,
            name: t.draft.name.as_str().to_owned(),
            tool_type: t.draft.tool_type.into(),
            description: t.draft.description.clone(),
            input_schema: t.draft.input_schema.clone(),
            assistant_id: t.draft.assistant_id.map(|a| a.0),
            is_active: t.draft.is_active,
            revision: t.revision,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// An assistant's use of a tool.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ToolLinkOut {
    pub id: Uuid,
    pub assistant_id: Uuid,
    pub tool_id: Uuid,
    /// For a `sub_assistant` tool, the assistant it delegates to.
    pub sub_assistant_id: Option<Uuid>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&ToolLink> for ToolLinkOut {
    fn from(l: &ToolLink) -> Self {
        Self {
            id: l.id.0,
            assistant_id: l.assistant_id.0,
            tool_id: l.tool_id.0,
            sub_assistant_id: l.sub_assistant_id.map(|a| a.0),
            is_active: l.is_active,
            created_at: l.created_at,
        }
    }
}

/// A tool an assistant has, with the link's own state.
#[derive(Debug, Clone, Object)]
pub struct LinkedToolOut {
    pub link: ToolLinkOut,
    pub tool: ToolOut,
}

/// An assistant with its active tools and, for sub-assistant tools, the
/// sub-assistant resolved the same way.
#[derive(Debug, Clone, Object)]
pub struct ResolvedOut {
    pub assistant: AssistantOut,
    pub tools: Vec<ResolvedToolOut>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ResolvedToolOut {
    pub tool: ToolOut,
    pub sub_assistant: Option<Box<ResolvedOut>>,
}

impl From<&ResolvedAssistant> for ResolvedOut {
    fn from(r: &ResolvedAssistant) -> Self {
        Self {
            assistant: (&r.assistant).into(),
            tools: r.tools.iter().map(ResolvedToolOut::from).collect(),
        }
    }
}

impl From<&ResolvedTool> for ResolvedToolOut {
    fn from(t: &ResolvedTool) -> Self {
        Self {
            tool: (&t.tool).into(),
            sub_assistant: t
                .sub_assistant
                .as_ref()
                .map(|s| Box::new(ResolvedOut::from(s.as_ref()))),
        }
    }
}

/// The tool list in the OpenAI function-calling format, ready for a model request.
#[derive(Debug, Clone, Object)]
pub struct OpenAiToolsOut {
    pub tools: Vec<Value>,
}

#[derive(Debug, Clone, Object)]
pub struct ThreadOut {
    pub id: Uuid,
    pub user_id: Uuid,
    pub assistant_id: Uuid,
    /// What the assistant's runtime keys the conversation by.
    pub thread_id: String,
    pub last_used: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<&AssistantThread> for ThreadOut {
    fn from(t: &AssistantThread) -> Self {
        Self {
            id: t.id.0,
            user_id: t.user_id.0,
            assistant_id: t.assistant_id.0,
            thread_id: t.thread_id.clone(),
            last_used: t.last_used,
            created_at: t.created_at,
        }
    }
}

/// One page of assistants, by name.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AssistantPageOut {
    pub assistants: Vec<AssistantOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// One page of tools, by name.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ToolPageOut {
    pub tools: Vec<ToolOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct RevisionOut {
    /// Bumped by every registry change.
    pub revision: i64,
}
