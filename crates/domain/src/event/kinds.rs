//! Families of event kinds: each context declares its own with [`event_kinds!`].

use serde_json::Value;

use crate::shape::Shape;

/// Whether an event kind belongs to a project or to the whole installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Always carries a `project_id`.
    Project,
    /// Never carries one (users, tokens, the registry; later process lifecycle).
    Global,
}

/// What the log and the API know of one kind: its type name, its scope, what it
/// records and its payload's shape.
#[derive(Clone, Copy, Debug)]
pub struct KindSpec {
    pub type_name: &'static str,
    pub scope: Scope,
    /// The kind's doc comment.
    pub description: &'static str,
    pub payload: fn() -> Shape,
}

/// A context's family of kinds: an enum with one variant per kind, each holding
/// its typed payload. Implemented by [`event_kinds!`], never by hand.
pub trait Kinds: Sized {
    /// Every kind of the family, in declaration order.
    const SPECS: &'static [KindSpec];

    fn type_name(&self) -> &'static str;

    fn scope(&self) -> Scope;

    /// The payload alone, as the log stores it.
    ///
    /// # Errors
    /// When the payload does not serialize (it does for every declared type).
    fn to_payload(&self) -> serde_json::Result<Value>;

    /// The kind named `type_name`, read from its payload; `None` when the family has
    /// no kind of that name.
    fn from_parts(type_name: &str, payload: &Value) -> Option<serde_json::Result<Self>>;
}

/// Declares a context's kinds, each once: its variant and payload type, its type
/// name and its scope (stated, never defaulted):
///
/// ```text
/// event_kinds! {
///     /// What happens to tasks.
///     pub enum TrackerEvent {
///         /// A task was created.
///         TaskCreated(TaskCreated) = "task_created" in Project,
///     }
/// }
/// ```
macro_rules! event_kinds {
    (
        $(#[doc = $doc:literal])*
        pub enum $family:ident {
            $(
                $(#[doc = $kind_doc:literal])*
                $variant:ident($payload:ty) = $type_name:literal in $scope:ident,
            )+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum $family {
            $($(#[doc = $kind_doc])* $variant($payload),)+
        }

        impl $crate::event::Kinds for $family {
            const SPECS: &'static [$crate::event::KindSpec] = &[$(
                $crate::event::KindSpec {
                    type_name: $type_name,
                    scope: $crate::event::Scope::$scope,
                    description: concat!($($kind_doc, "\n"),*),
                    payload: <$payload as $crate::shape::Described>::shape,
                },
            )+];

            fn type_name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $type_name,)+
                }
            }

            fn scope(&self) -> $crate::event::Scope {
                match self {
                    $(Self::$variant(_) => $crate::event::Scope::$scope,)+
                }
            }

            fn to_payload(&self) -> serde_json::Result<serde_json::Value> {
                match self {
                    $(Self::$variant(payload) => serde_json::to_value(payload),)+
                }
            }

            fn from_parts(
                type_name: &str,
                payload: &serde_json::Value,
            ) -> Option<serde_json::Result<Self>> {
                match type_name {
                    $($type_name => Some(
                        <$payload as serde::Deserialize>::deserialize(payload).map(Self::$variant),
                    ),)+
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use event_kinds;
