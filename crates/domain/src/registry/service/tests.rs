//! Registry use-case tests over mockall doubles of the ports.

use chrono::Utc;

use crate::ErrorKind;
use crate::doubles::{Doubles, principal};
use crate::id::AssistantId;
use crate::registry::{Assistant, AssistantDraft, AssistantKind, AssistantUsage};
use crate::{Limits, Principal, Services};

fn admin() -> Principal {
    Principal {
        is_admin: true,
        ..principal()
    }
}

fn assistant(name: &str) -> Assistant {
    let draft = AssistantDraft {
        name: name.into(),
        is_secretary: false,
        model: "gpt-4o".into(),
        instructions: String::new(),
        assistant_type: AssistantKind::Llm,
        openai_assistant_id: None,
        is_active: true,
    };
    Assistant::new(AssistantId::generate(), draft, Utc::now()).unwrap()
}

/// Doubles whose registry holds `stored`.
fn storing(stored: &Assistant) -> Doubles {
    let mut doubles = Doubles::default();
    let found = stored.clone();
    doubles
        .assistants
        .expect_get_assistant()
        .returning(move |_| Ok(Some(found.clone())));
    doubles
}

#[tokio::test]
async fn deleting_an_assistant_in_use_says_by_what_and_deletes_nothing() {
    let stored = assistant("Planner");
    let mut doubles = storing(&stored);
    doubles.assistants.expect_assistant_usage().returning(|_| {
        Ok(AssistantUsage {
            tools: vec!["ask_planner".into()],
            links: 2,
            members: vec!["planner".into()],
            threads: 0,
            squads: vec!["'Writers'".into()],
        })
    });
    doubles.assistants.expect_delete_assistant().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());

    let err = services
        .registry
        .delete_assistant(&admin(), stored.id, None, false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let text = err.to_string();
    for what in [
        "ask_planner",
        "2 tool links",
        "@planner",
        "squads 'Writers'",
        "deactivate",
    ] {
        assert!(text.contains(what), "{text}");
    }
}

#[tokio::test]
async fn a_write_from_a_stale_read_is_refused_before_touching_the_store() {
    let stored = assistant("Planner");
    let mut doubles = storing(&stored);
    doubles.assistants.expect_update_assistant().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());

    let mut draft = stored.draft.clone();
    draft.model = "gpt-5".into();
    let err = services
        .registry
        .update_assistant(
            &admin(),
            stored.id,
            move |_| Ok(draft.clone()),
            Some(stored.revision + 1),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StaleVersion);
}

/// A `PATCH` without `If-Match` stated no precondition: losing a race to another
/// writer re-reads and re-applies it, as tasks do, rather than answering 412.
#[tokio::test]
async fn an_unconditional_update_that_loses_a_race_is_applied_again_on_the_winner() {
    let stored = assistant("Planner");
    let mut winner = stored.clone();
    winner.revision += 1;
    winner.draft.instructions = "from the other writer".into();
    let mut doubles = Doubles::default();
    let reads = std::sync::atomic::AtomicUsize::new(0);
    let (first, second) = (stored.clone(), winner.clone());
    doubles
        .assistants
        .expect_get_assistant()
        .times(2)
        .returning(move |_| {
            let read = reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Some(if read == 0 {
                first.clone()
            } else {
                second.clone()
            }))
        });
    let mut seq = mockall::Sequence::new();
    doubles
        .assistants
        .expect_update_assistant()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| {
            Err(crate::Error::StaleVersion {
                expected: 1,
                actual: 2,
            })
        });
    doubles
        .assistants
        .expect_update_assistant()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|next, _| {
            assert_eq!(next.revision, 3);
            assert_eq!(next.draft.instructions, "from the other writer");
            Ok(())
        });
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let next = services
        .registry
        .update_assistant(
            &admin(),
            stored.id,
            |current| {
                let mut draft = current.clone();
                draft.model = "gpt-5".into();
                Ok(draft)
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!((next.revision, next.draft.model.as_str()), (3, "gpt-5"));
}

#[tokio::test]
async fn only_an_admin_changes_the_registry() {
    let mut doubles = Doubles::default();
    doubles.assistants.expect_create_assistant().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let err = services
        .registry
        .create_assistant(&principal(), assistant("X").draft)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
}

#[tokio::test]
async fn an_update_records_each_changed_field_from_and_to() {
    let stored = assistant("Planner");
    let mut doubles = storing(&stored);
    doubles
        .assistants
        .expect_update_assistant()
        .times(1)
        .returning(|next, events| {
            assert_eq!(next.revision, 2);
            let payload = events[0].kind.payload();
            assert_eq!(events[0].kind.type_name(), "assistant_updated");
            assert_eq!(
                payload["changes"],
                serde_json::json!([{"field": "model", "from": "gpt-4o", "to": "gpt-5"}])
            );
            Ok(())
        });
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let mut draft = stored.draft.clone();
    draft.model = "gpt-5".into();
    let next = services
        .registry
        .update_assistant(&admin(), stored.id, move |_| Ok(draft.clone()), Some(1))
        .await
        .unwrap();
    assert_eq!(next.draft.model, "gpt-5");
}

#[tokio::test]
async fn resolution_is_cached_until_the_registry_revision_moves() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    let stored = assistant("Planner");
    let mut doubles = storing(&stored);
    let revision = Arc::new(AtomicI64::new(7));
    let seen = Arc::clone(&revision);
    doubles
        .revisions
        .expect_known_revision()
        .returning(move || seen.load(Ordering::SeqCst));
    // Built once at revision 7, once more after the move to 8.
    doubles
        .links
        .expect_tool_links()
        .times(2)
        .returning(|_| Ok(vec![]));
    let services = Services::new(&doubles.into_ports(), Limits::default());
    for _ in 0..3 {
        services
            .registry
            .resolve(&principal(), stored.id)
            .await
            .unwrap();
    }
    revision.store(8, Ordering::SeqCst);
    for _ in 0..3 {
        services
            .registry
            .resolve(&principal(), stored.id)
            .await
            .unwrap();
    }
}
