//! Typed identifiers: UUID v7 (time-ordered) newtypes, one per entity.

/// Declares a `Copy` newtype over [`uuid::Uuid`] with v7 generation and parsing.
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered id: later ids sort after earlier ones in this process.
            #[must_use]
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            #[must_use]
            pub const fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(value: uuid::Uuid) -> Self {
                Self(value)
            }
        }

        impl $crate::shape::Described for $name {
            fn shape() -> $crate::shape::Shape {
                $crate::shape::Shape::Uuid
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// A person or service account that calls the API.
    UserId
);
typed_id!(
    /// An API token (not its secret).
    TokenId
);
typed_id!(ProjectId);
typed_id!(
    /// A project member: a human user or an agent.
    MemberId
);
typed_id!(LabelId);
typed_id!(TaskId);
typed_id!(TaskLinkId);
typed_id!(EventId);
typed_id!(AttachmentId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_sort_in_creation_order() {
        let ids: Vec<EventId> = (0..1000).map(|_| EventId::generate()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }
}
typed_id!(
    /// A configured assistant of the registry.
    AssistantId
);
typed_id!(ToolId);
typed_id!(
    /// A link between an assistant and a tool it may use.
    ToolLinkId
);
typed_id!(AssistantThreadId);
typed_id!(
    /// A plan: a goal and the graph of tasks that reaches it.
    PlanId
);
typed_id!(
    /// An inbound channel: a bridge (Telegram, say) that posts into a project's chat.
    ChannelId
);
typed_id!(
    /// A squad: assistants assembled to run workflows.
    SquadId
);
typed_id!(
    /// A squad's workflow: a graph of steps, versioned.
    WorkflowId
);
typed_id!(
    /// A workflow template of the library.
    TemplateId
);
