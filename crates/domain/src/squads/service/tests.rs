//! Use-case tests with mockall doubles: access, sealing and template use.

use chrono::Utc;
use serde_json::json;

use crate::caller::Principal;
use crate::doubles::Doubles;
use crate::id::{AssistantId, UserId};
use crate::registry::Revisioned;
use crate::squads::{
    DefinitionSource, NewWorkflow, Price, Sealed, Squad, SquadDraft, SquadMember, SquadStatus,
    Workflow, WorkflowDraft,
};
use crate::{ErrorKind, Services};

fn user() -> Principal {
    Principal {
        user_id: UserId::generate(),
        is_admin: false,
    }
}

fn squad(owner: &Principal, status: SquadStatus, published: bool) -> Squad {
    let mut squad = Squad::new(
        owner.user_id,
        SquadDraft {
            name: "Writers".into(),
            description: String::new(),
            status,
            price_per_execution: Price::parse("p", "0.5").unwrap(),
        },
        Utc::now(),
    )
    .unwrap();
    if published {
        squad.published_at = Some(Utc::now());
    }
    squad
}

fn services(doubles: Doubles) -> Services {
    Services::new(&doubles.into_ports(), crate::Limits::default())
}

#[tokio::test]
async fn a_squad_others_may_not_see_is_not_found_and_a_public_one_is_read_only() {
    let owner = user();
    let stranger = user();
    for (status, published, visible) in [
        (SquadStatus::Draft, false, false),
        (SquadStatus::Active, false, false),
        (SquadStatus::Inactive, true, false),
        (SquadStatus::Active, true, true),
    ] {
        let found = squad(&owner, status, published);
        let mut doubles = Doubles::default();
        let copy = found.clone();
        doubles
            .squads
            .expect_get_squad()
            .returning(move |_| Ok(Some(copy.clone())));
        let services = services(doubles);
        let read = services.squads.squad(&stranger, found.id()).await;
        assert_eq!(read.is_ok(), visible, "{status} published={published}");
        if !visible {
            assert_eq!(read.unwrap_err().kind(), ErrorKind::NotFound);
        }
        let change = services
            .squads
            .update_squad(&stranger, found.id(), |d| Ok(d.clone()), None)
            .await
            .unwrap_err();
        let wanted = if visible {
            ErrorKind::Forbidden
        } else {
            ErrorKind::NotFound
        };
        assert_eq!(change.kind(), wanted);
        assert!(services.squads.squad(&owner, found.id()).await.is_ok());
    }
}

#[tokio::test]
async fn without_a_key_nothing_is_written_and_the_answer_says_how_to_set_one() {
    let owner = user();
    let found = squad(&owner, SquadStatus::Draft, false);
    let mut doubles = Doubles::default();
    let copy = found.clone();
    doubles
        .squads
        .expect_get_squad()
        .returning(move |_| Ok(Some(copy.clone())));
    let member = SquadMember::new(
        found.id(),
        AssistantId::generate(),
        Some("writer"),
        Utc::now(),
    )
    .unwrap();
    doubles
        .squads
        .expect_members()
        .returning(move |_| Ok(vec![member.clone()]));
    doubles
        .sealer
        .expect_seal()
        .returning(|_, _| Err(crate::Error::Sealing(crate::squads::NO_KEY.into())));
    doubles.workflows.expect_create_workflow().never();
    let services = services(doubles);
    let new = NewWorkflow {
        draft: WorkflowDraft {
            name: "Essay".into(),
            description: String::new(),
            status: SquadStatus::Draft,
        },
        source: DefinitionSource::Definition(json!({
            "nodes": [{"id": "a", "type": "agent", "role": "writer", "instructions": "go"}],
            "edges": []
        })),
    };
    let err = services
        .squads
        .create_workflow(&owner, found.id(), new)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.to_string().contains("AGENTRY_WORKFLOW_KEYS"), "{err}");
}

#[tokio::test]
async fn a_version_is_sealed_bound_to_its_workflow_and_number_and_its_event_names_a_digest() {
    let owner = user();
    let found = squad(&owner, SquadStatus::Active, false);
    let workflow = Workflow {
        record: Revisioned::new(
            crate::id::WorkflowId::generate(),
            WorkflowDraft {
                name: "Essay".into(),
                description: String::new(),
                status: SquadStatus::Active,
            },
            Utc::now(),
        )
        .unwrap(),
        squad_id: found.id(),
        version: 3,
    };
    let mut doubles = Doubles::default();
    let copy = found.clone();
    doubles
        .squads
        .expect_get_squad()
        .returning(move |_| Ok(Some(copy.clone())));
    let member = SquadMember::new(
        found.id(),
        AssistantId::generate(),
        Some("writer"),
        Utc::now(),
    )
    .unwrap();
    doubles
        .squads
        .expect_members()
        .returning(move |_| Ok(vec![member.clone()]));
    let stored = workflow.clone();
    doubles
        .workflows
        .expect_get_workflow()
        .returning(move |_| Ok(Some(stored.clone())));
    let bound = crate::squads::bound_to(workflow.id(), 4);
    doubles
        .sealer
        .expect_seal()
        .withf(move |plain, to| to == bound.as_slice() && !plain.is_empty())
        .returning(|_, _| {
            Ok(Sealed {
                key_id: "k1".into(),
                nonce: vec![0; 12],
                ciphertext: vec![1, 2, 3],
            })
        });
    doubles
        .workflows
        .expect_save_version()
        .withf(|w, v, _, events| {
            let payload = events[0].kind.payload().to_string();
            w.version == 4
                && v.version == 4
                && w.record.revision == 2
                && payload.contains(&v.digest)
                && !payload.contains("marker")
        })
        .returning(|_, _, _, _| Ok(()));
    let services = services(doubles);
    let raw = json!({
        "nodes": [{"id": "a", "type": "agent", "role": "writer", "instructions": "marker"}],
        "edges": []
    });
    let saved = services
        .squads
        .save_version(&owner, workflow.id(), &raw, Some(1))
        .await
        .unwrap();
    assert_eq!(saved.workflow.version, 4);
    let stale = services
        .squads
        .save_version(&owner, workflow.id(), &raw, Some(7))
        .await;
    assert_eq!(stale.unwrap_err().kind(), ErrorKind::StaleVersion);
}
