//! Every kind of event this binary knows, from every context: what the API
//! documents and what a feed's `types` filter accepts. A kind is declared once, in
//! its context's `events.rs`; a new context adds its family here, a new kind
//! changes nothing here.

use crate::event::{KindSpec, Kinds as _};
use crate::log::ChatEvent;
use crate::operations::{ChannelEvent, ProcessEvent, RetentionEvent};
use crate::planning::{AgentEvent, PlanEvent};
use crate::registry::RegistryEvent;
use crate::squads::SquadEvent;
use crate::tracker::TrackerEvent;
use crate::workspace::WorkspaceEvent;

/// Each context's kinds.
pub const FAMILIES: [&[KindSpec]; 10] = [
    ChatEvent::SPECS,
    TrackerEvent::SPECS,
    WorkspaceEvent::SPECS,
    RegistryEvent::SPECS,
    PlanEvent::SPECS,
    AgentEvent::SPECS,
    ProcessEvent::SPECS,
    ChannelEvent::SPECS,
    RetentionEvent::SPECS,
    SquadEvent::SPECS,
];

/// Every known kind, family by family.
pub fn kinds() -> impl Iterator<Item = &'static KindSpec> {
    FAMILIES.into_iter().flatten()
}

/// The known kind of this type name.
#[must_use]
pub fn find(type_name: &str) -> Option<&'static KindSpec> {
    kinds().find(|k| k.type_name == type_name)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::{FAMILIES, kinds};
    use crate::event::{EventKind, Kinds};
    use crate::log::ChatEvent;
    use crate::operations::{ChannelEvent, ProcessEvent, RetentionEvent};
    use crate::planning::{AgentEvent, PlanEvent};
    use crate::registry::RegistryEvent;
    use crate::shape::Shape;
    use crate::squads::SquadEvent;
    use crate::tracker::TrackerEvent;
    use crate::workspace::WorkspaceEvent;

    #[test]
    fn type_names_are_unique_across_contexts() {
        let names: BTreeSet<&str> = kinds().map(|k| k.type_name).collect();
        assert_eq!(names.len(), kinds().count());
        assert_eq!(
            kinds().count(),
            FAMILIES.iter().map(|f| f.len()).sum::<usize>()
        );
    }

    /// What serde writes for a kind's payload, read from `payload`.
    fn round_trip(type_name: &str, payload: &Value) -> Value {
        let kind = EventKind::stored(type_name.to_owned(), payload.clone());
        let encoded = [
            decode_with::<ChatEvent>(&kind),
            decode_with::<TrackerEvent>(&kind),
            decode_with::<WorkspaceEvent>(&kind),
            decode_with::<RegistryEvent>(&kind),
            decode_with::<PlanEvent>(&kind),
            decode_with::<AgentEvent>(&kind),
            decode_with::<ProcessEvent>(&kind),
            decode_with::<ChannelEvent>(&kind),
            decode_with::<RetentionEvent>(&kind),
            decode_with::<SquadEvent>(&kind),
        ];
        let mut found = encoded.into_iter().flatten();
        let payload = found.next().expect("some family decodes its own kind");
        assert!(found.next().is_none(), "two families claim {type_name}");
        payload
    }

    fn decode_with<K: Kinds>(kind: &EventKind) -> Option<Value> {
        let decoded = kind.decode::<K>()?;
        let decoded = decoded.unwrap_or_else(|e| panic!("{}: {e}", kind.type_name()));
        Some(decoded.to_payload().unwrap())
    }

    /// Each described shape is what serde reads and writes: every described field
    /// comes back under its name, and only the required ones must be there.
    #[test]
    fn every_payload_is_what_its_shape_describes() {
        for kind in kinds() {
            let Shape::Object(object) = (kind.payload)() else {
                panic!("{} has no object payload", kind.type_name)
            };
            let full = Shape::Object(object.clone()).example();
            assert_eq!(
                round_trip(kind.type_name, &full),
                full,
                "{}",
                kind.type_name
            );
            let mut required = full.clone();
            if let Value::Object(fields) = &mut required {
                fields.retain(|name, _| {
                    object
                        .fields
                        .iter()
                        .any(|f| f.name == name.as_str() && f.required)
                });
            }
            assert_eq!(
                round_trip(kind.type_name, &required),
                required,
                "{}: an optional field must be absent when unset",
                kind.type_name
            );
        }
    }
}
