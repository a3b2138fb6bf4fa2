//! The envelope's rules, on a family of kinds declared for these tests.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Event, EventKind, Kinds as _, Scope, event_kinds};
use crate::Error;
use crate::id::ProjectId;
use crate::shape::described_struct;

described_struct! {
    /// A note.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Note as "NotePayload" {
        pub text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub extra: Option<serde_json::Value>,
    }
}

event_kinds! {
    /// Kinds for these tests.
    pub enum TestEvent {
        /// A note in a project.
        Noted(Note) = "noted" in Project,
        /// A note about the installation.
        Announced(Note) = "announced" in Global,
    }
}

fn note(text: &str) -> Note {
    Note {
        text: text.into(),
        extra: None,
    }
}

#[test]
fn a_kind_splits_into_type_and_payload_and_decodes_back() {
    let event = Event::in_project(
        ProjectId::generate(),
        None,
        None,
        TestEvent::Noted(note("hi")),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(event.kind.type_name(), "noted");
    assert_eq!(event.kind.payload(), &json!({"text": "hi"}));
    assert_eq!(
        event.kind.decode::<TestEvent>().unwrap().unwrap(),
        TestEvent::Noted(note("hi"))
    );
    assert_eq!(TestEvent::SPECS[1].scope, Scope::Global);
}

#[test]
fn a_kind_of_another_family_or_of_no_family_decodes_to_none() {
    let unknown = EventKind::stored("plan_created".into(), json!({"goal": "ship"}));
    assert!(unknown.decode::<TestEvent>().is_none());
    assert_eq!(unknown.type_name(), "plan_created");
}

#[test]
fn a_payload_that_does_not_fit_its_type_is_a_validation_error() {
    let misfit = EventKind::stored("noted".into(), json!({"text": 5}));
    let err = misfit.decode::<TestEvent>().unwrap().unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
}

#[test]
fn a_project_kind_needs_a_project_and_a_global_kind_has_none() {
    let err = Event::build(
        None,
        None,
        None,
        None,
        TestEvent::Noted(note("hi")),
        Utc::now(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Validation { field, .. } if field == "project_id"));
    assert!(Event::global(TestEvent::Announced(note("hi")), Utc::now()).is_ok());
    let err = Event::in_project(
        ProjectId::generate(),
        None,
        None,
        TestEvent::Announced(note("hi")),
        Utc::now(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }));
}

#[test]
fn nul_characters_anywhere_in_the_payload_are_refused() {
    let kind = TestEvent::Noted(Note {
        text: "ok".into(),
        extra: Some(json!({"calls": [{"out": "a\u{0}b"}]})),
    });
    let err = Event::in_project(ProjectId::generate(), None, None, kind, Utc::now()).unwrap_err();
    assert!(matches!(err, Error::Validation { .. }));
}

#[test]
fn an_oversized_payload_is_refused() {
    let big = "x".repeat(Event::MAX_PAYLOAD_BYTES);
    let err = Event::in_project(
        ProjectId::generate(),
        None,
        None,
        TestEvent::Noted(note(&big)),
        Utc::now(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }));
}

#[test]
fn optional_fields_are_left_out_of_the_payload() {
    let payload = TestEvent::Noted(note("hi")).to_payload().unwrap();
    assert!(payload.get("extra").is_none());
}
