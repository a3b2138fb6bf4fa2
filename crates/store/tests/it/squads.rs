//! The squads' storage contract: exact prices, visibility in listings, member
//! rules, conditional and immutable versions, the template's usage count under
//! concurrent use, re-sealing, and cascades.

use agentry_domain::ErrorKind;
use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::id::{AssistantId, TemplateId, UserId, WorkflowId};
use agentry_domain::log::EventRepo as _;
use agentry_domain::registry::{
    Assistant, AssistantDraft, AssistantKind, AssistantRepo as _, Revisioned,
};
use agentry_domain::squads::{
    Price, Sealed, Squad, SquadChanged, SquadDraft, SquadEvent, SquadMember, SquadQuery,
    SquadRepo as _, SquadStatus, Template, TemplateDraft, TemplateQuery, TemplateRepo as _,
    Workflow, WorkflowDraft, WorkflowRepo as _, WorkflowVersion, builtin_templates,
};
use agentry_domain::workspace::{User, UserRepo as _};
use agentry_store::Store;

use crate::helpers::contract;

mod writes;

contract!(
    a_squad_round_trips_with_an_exact_price_and_its_event,
    listings_show_a_user_their_own_and_the_public_squads,
    members_are_active_assistants_unique_and_bounded,
    versions_are_conditional_immutable_and_the_current_one_is_the_latest,
    concurrent_uses_of_a_template_each_count,
    deleting_a_squad_takes_its_members_workflows_and_versions,
    templates_are_revisioned,
);

async fn user(store: &Store) -> User {
    let user = User::new("squad owner", false, utc_now()).unwrap();
    store.create_user(&user, &[], &[]).await.unwrap();
    user
}

async fn assistant(store: &Store, name: &str, active: bool) -> Assistant {
    let draft = AssistantDraft {
        name: name.into(),
        is_secretary: false,
        model: "gpt-4o".into(),
        instructions: String::new(),
        assistant_type: AssistantKind::Llm,
        openai_assistant_id: None,
        is_active: active,
    };
    let assistant = Assistant::new(AssistantId::generate(), draft, utc_now()).unwrap();
    store.create_assistant(&assistant, &[]).await.unwrap();
    assistant
}

fn squad_of(owner: UserId, name: &str, price: &str) -> Squad {
    Squad::new(
        owner,
        SquadDraft {
            name: name.into(),
            description: "d".into(),
            status: SquadStatus::Draft,
            price_per_execution: Price::parse("price", price).unwrap(),
        },
        utc_now(),
    )
    .unwrap()
}

fn created(squad: &Squad) -> Event {
    Event::global(
        SquadEvent::SquadCreated(SquadChanged {
            squad: squad.id(),
            name: squad.draft().name.clone(),
            by: squad.creator_id,
            changes: vec![],
        }),
        utc_now(),
    )
    .unwrap()
}

fn sealed(tag: u8) -> Sealed {
    Sealed {
        key_id: "k1".into(),
        nonce: vec![tag; 12],
        ciphertext: vec![tag, tag, tag],
    }
}

fn workflow_in(squad: &Squad) -> (Workflow, WorkflowVersion) {
    let workflow = Workflow {
        record: Revisioned::new(
            WorkflowId::generate(),
            WorkflowDraft {
                name: "Essay".into(),
                description: String::new(),
                status: SquadStatus::Draft,
            },
            utc_now(),
        )
        .unwrap(),
        squad_id: squad.id(),
        version: 1,
    };
    let version = version_of(&workflow, 1);
    (workflow, version)
}

fn version_of(workflow: &Workflow, tag: u8) -> WorkflowVersion {
    WorkflowVersion {
        workflow_id: workflow.id(),
        version: workflow.version,
        sealed: sealed(tag),
        digest: format!("sha256:{tag}"),
        created_by: UserId::generate(),
        created_at: utc_now(),
    }
}

/// A stored squad with a stored workflow; versions name a real user.
async fn squad_with_workflow(store: &Store) -> (Squad, Workflow, WorkflowVersion) {
    let owner = user(store).await;
    let squad = squad_of(owner.id, "Writers", "0.5");
    store.create_squad(&squad, &[]).await.unwrap();
    let (workflow, mut version) = workflow_in(&squad);
    version.created_by = owner.id;
    store
        .create_workflow(&workflow, &version, None, &[], &[])
        .await
        .unwrap();
    (squad, workflow, version)
}

/// A squad with a member and a workflow, and a template: a row in each table.
pub async fn fill(store: &Store) {
    let (squad, _, _) = squad_with_workflow(store).await;
    let writer = assistant(store, "Member", true).await;
    store
        .add_member(
            &SquadMember::new(squad.id(), writer.id, None, utc_now()).unwrap(),
            &[],
        )
        .await
        .unwrap();
    store
        .create_template(&builtin_templates(utc_now()).remove(1), &[])
        .await
        .unwrap();
}

async fn a_squad_round_trips_with_an_exact_price_and_its_event(store: Store) {
    let owner = user(&store).await;
    for price in ["0", "0.000001", "0.1", "1234.567891", "9999.999999"] {
        let squad = squad_of(owner.id, price, price);
        let event = created(&squad);
        store
            .create_squad(&squad, std::slice::from_ref(&event))
            .await
            .unwrap();
        let read = store.get_squad(squad.id()).await.unwrap().unwrap();
        assert_eq!(
            read.draft().price_per_execution,
            squad.draft().price_per_execution,
            "{price}"
        );
        assert_eq!(read.draft(), squad.draft());
        assert!(store.get_event(event.id).await.unwrap().is_some());
    }
    let squad = squad_of(owner.id, "Later", "1.5");
    store.create_squad(&squad, &[]).await.unwrap();
    let mut draft = squad.draft().clone();
    draft.price_per_execution = Price::parse("p", "2.25").unwrap();
    draft.status = SquadStatus::Active;
    let (next, changes) = squad.revise(draft, utc_now()).unwrap();
    assert_eq!(changes.len(), 2);
    store.update_squad(&next, &[]).await.unwrap();
    let published = next.publish(utc_now()).unwrap();
    store.update_squad(&published, &[]).await.unwrap();
    let read = store.get_squad(squad.id()).await.unwrap().unwrap();
    assert_eq!(read.draft().price_per_execution.to_string(), "2.250000");
    assert!(read.published_at.is_some());
    assert_eq!(read.record.revision, 3);
    // A write from the revision before is refused, and changes nothing.
    let err = store.update_squad(&next, &[]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StaleVersion);
}

async fn listings_show_a_user_their_own_and_the_public_squads(store: Store) {
    let (ada, bob) = (user(&store).await, user(&store).await);
    let mine = squad_of(ada.id, "mine", "0");
    let theirs = squad_of(bob.id, "theirs", "0");
    let mut public = squad_of(bob.id, "public", "0");
    public.record.draft.status = SquadStatus::Active;
    public.published_at = Some(utc_now());
    let mut stopped = squad_of(bob.id, "published but inactive", "0");
    stopped.record.draft.status = SquadStatus::Inactive;
    stopped.published_at = Some(utc_now());
    for squad in [&mine, &theirs, &public, &stopped] {
        store.create_squad(squad, &[]).await.unwrap();
    }
    let names = |found: Vec<Squad>| {
        found
            .into_iter()
            .map(|s| s.draft().name.clone())
            .collect::<Vec<_>>()
    };
    let query = |visible_to| SquadQuery {
        visible_to,
        limit: 10,
        ..SquadQuery::default()
    };
    assert_eq!(
        names(store.list_squads(&query(Some(ada.id))).await.unwrap()),
        ["mine", "public"]
    );
    assert_eq!(
        names(store.list_squads(&query(None)).await.unwrap()).len(),
        4
    );
    let page = SquadQuery {
        after: Some(mine.id()),
        limit: 1,
        ..query(None)
    };
    assert_eq!(names(store.list_squads(&page).await.unwrap()), ["theirs"]);
}

async fn members_are_active_assistants_unique_and_bounded(store: Store) {
    let owner = user(&store).await;
    let squad = squad_of(owner.id, "Crew", "0");
    store.create_squad(&squad, &[]).await.unwrap();
    let writer = assistant(&store, "Writer", true).await;
    let member = |a: AssistantId, role: &str| {
        SquadMember::new(squad.id(), a, Some(role), utc_now()).unwrap()
    };
    store
        .add_member(&member(writer.id, "writer"), &[])
        .await
        .unwrap();
    let again = store
        .add_member(&member(writer.id, "editor"), &[])
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict);
    let idle = assistant(&store, "Idle", false).await;
    let err = store
        .add_member(&member(idle.id, "member"), &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    let err = store
        .add_member(&member(AssistantId::generate(), "member"), &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    // Full at the limit: one more is refused.
    for i in 1..SquadMember::PER_SQUAD_MAX {
        let a = assistant(&store, &format!("A{i}"), true).await;
        store
            .add_member(&member(a.id, "member"), &[])
            .await
            .unwrap();
    }
    let extra = assistant(&store, "Extra", true).await;
    let err = store
        .add_member(&member(extra.id, "member"), &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(
        store.members(squad.id()).await.unwrap().len(),
        SquadMember::PER_SQUAD_MAX
    );
    // A member assistant cannot be deleted, and its usage names the squad.
    let usage = store.assistant_usage(writer.id).await.unwrap();
    assert_eq!(usage.squads, ["'Crew'"]);
    let err = store
        .delete_assistant(writer.id, writer.revision, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    store
        .remove_member(squad.id(), writer.id, &[], &[])
        .await
        .unwrap();
    let err = store
        .remove_member(squad.id(), writer.id, &[], &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    store
        .delete_assistant(writer.id, writer.revision, &[])
        .await
        .unwrap();
}

async fn versions_are_conditional_immutable_and_the_current_one_is_the_latest(store: Store) {
    let (_, workflow, first) = squad_with_workflow(&store).await;
    let next = workflow.next_version(utc_now());
    let mut second = version_of(&next, 2);
    second.created_by = first.created_by;
    store.save_version(&next, &second, &[], &[]).await.unwrap();
    let (current, version) = store.current(workflow.id()).await.unwrap().unwrap();
    assert_eq!((current.version, version.clone()), (2, second.clone()));
    assert_eq!(
        store.get_version(workflow.id(), 1).await.unwrap(),
        Some(first.clone())
    );
    // A save from the revision before is refused.
    let err = store
        .save_version(&next, &second, &[], &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StaleVersion);
    let listed = store.list_versions(workflow.id(), None, 10).await.unwrap();
    assert_eq!(listed.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    let older = store
        .list_versions(workflow.id(), Some(2), 10)
        .await
        .unwrap();
    assert_eq!(older, [first]);
}

async fn concurrent_uses_of_a_template_each_count(store: Store) {
    let owner = user(&store).await;
    let squad = squad_of(owner.id, "Crew", "0");
    store.create_squad(&squad, &[]).await.unwrap();
    let template = builtin_templates(utc_now()).remove(0);
    store.create_template(&template, &[]).await.unwrap();
    let template_id = template.id();
    let uses = (0..4).map(|_| {
        let store = store.clone();
        let (workflow, mut version) = workflow_in(&squad);
        version.created_by = owner.id;
        tokio::spawn(async move {
            store
                .create_workflow(&workflow, &version, Some(template_id), &[], &[])
                .await
                .unwrap();
        })
    });
    for task in uses.collect::<Vec<_>>() {
        task.await.unwrap();
    }
    let read = store.get_template(template.id()).await.unwrap().unwrap();
    assert_eq!(read.usage_count, 4);
    // A template that is gone: nothing is written.
    let (workflow, mut version) = workflow_in(&squad);
    version.created_by = owner.id;
    let err = store
        .create_workflow(&workflow, &version, Some(TemplateId::generate()), &[], &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(store.get_workflow(workflow.id()).await.unwrap(), None);
}

async fn deleting_a_squad_takes_its_members_workflows_and_versions(store: Store) {
    let (squad, workflow, _) = squad_with_workflow(&store).await;
    let writer = assistant(&store, "Writer", true).await;
    store
        .add_member(
            &SquadMember::new(squad.id(), writer.id, None, utc_now()).unwrap(),
            &[],
        )
        .await
        .unwrap();
    let err = store
        .delete_squad(squad.id(), squad.record.revision + 1, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StaleVersion);
    store
        .delete_squad(squad.id(), squad.record.revision, &[])
        .await
        .unwrap();
    assert_eq!(store.get_squad(squad.id()).await.unwrap(), None);
    assert_eq!(store.get_workflow(workflow.id()).await.unwrap(), None);
    assert_eq!(store.get_version(workflow.id(), 1).await.unwrap(), None);
    assert!(store.members(squad.id()).await.unwrap().is_empty());
    store
        .delete_assistant(writer.id, writer.revision, &[])
        .await
        .unwrap();
}

async fn templates_are_revisioned(store: Store) {
    let owner = user(&store).await;
    let template = Template {
        record: Revisioned::new(
            TemplateId::generate(),
            TemplateDraft {
                name: "Mine".into(),
                description: String::new(),
                category: "misc".into(),
                definition: builtin_templates(utc_now())[2]
                    .record
                    .draft
                    .definition
                    .clone(),
            },
            utc_now(),
        )
        .unwrap(),
        is_builtin: false,
        creator_id: Some(owner.id),
        usage_count: 0,
        shipped: None,
    };
    store.create_template(&template, &[]).await.unwrap();
    let mut draft = template.record.draft.clone();
    draft.category = "support".into();
    let (record, _) = template.record.revise(draft, utc_now()).unwrap();
    let next = Template {
        record,
        ..template.clone()
    };
    store.update_template(&next, &[]).await.unwrap();
    assert_eq!(
        store.update_template(&next, &[]).await.unwrap_err().kind(),
        ErrorKind::StaleVersion
    );
    let query = TemplateQuery {
        category: Some("support".into()),
        limit: 10,
        ..TemplateQuery::default()
    };
    assert_eq!(
        store.list_templates(&query).await.unwrap(),
        std::slice::from_ref(&next)
    );
    store
        .delete_template(next.id(), next.record.revision, &[])
        .await
        .unwrap();
    assert_eq!(store.get_template(next.id()).await.unwrap(), None);
}
