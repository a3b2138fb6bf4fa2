//! Conversions between registry rows and domain records.

use agentry_domain::Result;
use agentry_domain::id::{AssistantId, AssistantThreadId, ToolId, ToolLinkId, UserId};
use agentry_domain::registry::{
    Assistant, AssistantDraft, AssistantKind, AssistantThread, Tool, ToolDraft, ToolKind, ToolLink,
    ToolName,
};
use sea_orm::ActiveValue::Set;

use crate::entity::{assistant_tool_link, assistants, tools, user_assistant_threads};
use crate::error::corrupt;

pub(super) fn assistant_row(a: &Assistant) -> assistants::ActiveModel {
    assistants::ActiveModel {
        id: Set(a.id.0),
        name: Set(a.draft.name.clone()),
        is_secretary: Set(a.draft.is_secretary),
        model: Set(a.draft.model.clone()),
        instructions: Set(a.draft.instructions.clone()),
        assistant_type: Set(a.draft.assistant_type.as_str().to_owned()),
        openai_assistant_id: Set(a.draft.openai_assistant_id.clone()),
        is_active: Set(a.draft.is_active),
        revision: Set(a.revision),
        created_at: Set(a.created_at),
        updated_at: Set(a.updated_at),
    }
}

pub(super) fn assistant_from(row: assistants::Model) -> Result<Assistant> {
    Ok(Assistant {
        id: AssistantId(row.id),
        draft: AssistantDraft {
            name: row.name,
            is_secretary: row.is_secretary,
            model: row.model,
            instructions: row.instructions,
            assistant_type: AssistantKind::parse(&row.assistant_type)
                .map_err(|e| corrupt("assistant", e))?,
            openai_assistant_id: row.openai_assistant_id,
            is_active: row.is_active,
        },
        revision: row.revision,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn tool_row(t: &Tool) -> tools::ActiveModel {
    tools::ActiveModel {
        id: Set(t.id.0),
        name: Set(t.draft.name.as_str().to_owned()),
        tool_type: Set(t.draft.tool_type.as_str().to_owned()),
        description: Set(t.draft.description.clone()),
        input_schema: Set(t.draft.input_schema.clone()),
        assistant_id: Set(t.draft.assistant_id.map(|a| a.0)),
        is_active: Set(t.draft.is_active),
        revision: Set(t.revision),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
    }
}

pub(super) fn tool_from(row: tools::Model) -> Result<Tool> {
    Ok(Tool {
        id: ToolId(row.id),
        draft: ToolDraft {
            name: ToolName::parse(&row.name).map_err(|e| corrupt("tool", e))?,
            tool_type: ToolKind::parse(&row.tool_type).map_err(|e| corrupt("tool", e))?,
            description: row.description,
            input_schema: row.input_schema,
            assistant_id: row.assistant_id.map(AssistantId),
            is_active: row.is_active,
        },
        revision: row.revision,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn link_row(l: &ToolLink) -> assistant_tool_link::ActiveModel {
    assistant_tool_link::ActiveModel {
        id: Set(l.id.0),
        assistant_id: Set(l.assistant_id.0),
        tool_id: Set(l.tool_id.0),
        sub_assistant_id: Set(l.sub_assistant_id.map(|a| a.0)),
        is_active: Set(l.is_active),
        created_at: Set(l.created_at),
        updated_at: Set(l.updated_at),
    }
}

pub(super) fn link_from(row: assistant_tool_link::Model) -> ToolLink {
    ToolLink {
        id: ToolLinkId(row.id),
        assistant_id: AssistantId(row.assistant_id),
        tool_id: ToolId(row.tool_id),
        sub_assistant_id: row.sub_assistant_id.map(AssistantId),
        is_active: row.is_active,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub(super) fn thread_row(t: &AssistantThread) -> user_assistant_threads::ActiveModel {
    user_assistant_threads::ActiveModel {
        id: Set(t.id.0),
        user_id: Set(t.user_id.0),
        assistant_id: Set(t.assistant_id.0),
        thread_id: Set(t.thread_id.clone()),
        last_used: Set(t.last_used),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
    }
}

pub(super) fn thread_from(row: user_assistant_threads::Model) -> AssistantThread {
    AssistantThread {
        id: AssistantThreadId(row.id),
        user_id: UserId(row.user_id),
        assistant_id: AssistantId(row.assistant_id),
        thread_id: row.thread_id,
        last_used: row.last_used,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}
