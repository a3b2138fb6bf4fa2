//! Every event type as the `type` field of an event names it, so generated
//! clients get an enum. The match is exhaustive: a new kind in the domain does not
//! compile until the spec knows it too.

use agentry_domain::log::EventKind;
use poem_openapi::Enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EventTypeOut {
    ChatMessage,
    TaskComment,
    TaskCreated,
    TaskStatus,
    TaskAssigned,
    TaskUnassigned,
    TaskUpdated,
    TaskLabelAdd,
    TaskLabelRemove,
    ProjectCreated,
    MemberAdded,
    LabelCreated,
    UserCreated,
    TokenCreated,
    TokenRevoked,
    AssistantCreated,
    AssistantUpdated,
    AssistantDeleted,
    ToolCreated,
    ToolUpdated,
    ToolDeleted,
    ToolLinked,
    ToolUnlinked,
}

impl From<&EventKind> for EventTypeOut {
    fn from(kind: &EventKind) -> Self {
        match kind {
            EventKind::ChatMessage(_) => Self::ChatMessage,
            EventKind::TaskComment(_) => Self::TaskComment,
            EventKind::TaskCreated(_) => Self::TaskCreated,
            EventKind::TaskStatus(_) => Self::TaskStatus,
            EventKind::TaskAssigned(_) => Self::TaskAssigned,
            EventKind::TaskUnassigned(_) => Self::TaskUnassigned,
            EventKind::TaskUpdated(_) => Self::TaskUpdated,
            EventKind::TaskLabelAdd(_) => Self::TaskLabelAdd,
            EventKind::TaskLabelRemove(_) => Self::TaskLabelRemove,
            EventKind::ProjectCreated(_) => Self::ProjectCreated,
            EventKind::MemberAdded(_) => Self::MemberAdded,
            EventKind::LabelCreated(_) => Self::LabelCreated,
            EventKind::UserCreated(_) => Self::UserCreated,
            EventKind::TokenCreated(_) => Self::TokenCreated,
            EventKind::TokenRevoked(_) => Self::TokenRevoked,
            EventKind::AssistantCreated(_) => Self::AssistantCreated,
            EventKind::AssistantUpdated(_) => Self::AssistantUpdated,
            EventKind::AssistantDeleted(_) => Self::AssistantDeleted,
            EventKind::ToolCreated(_) => Self::ToolCreated,
            EventKind::ToolUpdated(_) => Self::ToolUpdated,
            EventKind::ToolDeleted(_) => Self::ToolDeleted,
            EventKind::ToolLinked(_) => Self::ToolLinked,
            EventKind::ToolUnlinked(_) => Self::ToolUnlinked,
        }
    }
}

#[cfg(test)]
mod tests {
    use agentry_domain::log::EventKind;
    use poem_openapi::registry::Registry;
    use poem_openapi::types::Type as _;

    use super::EventTypeOut;

    #[test]
    fn every_spec_name_is_the_domain_type_name() {
        let mut registry = Registry::new();
        EventTypeOut::register(&mut registry);
        let names: Vec<&str> = registry.schemas["EventTypeOut"]
            .enum_items
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
        assert_eq!(names, EventKind::TYPE_NAMES);
    }
}
