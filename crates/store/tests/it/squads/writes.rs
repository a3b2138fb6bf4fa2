//! The squads' writes that must see what others wrote meanwhile: re-sealing
//! only what is still as read, the workflow limit, and definition writes and
//! member removals checked against what changed since their check.

use agentry_domain::ErrorKind;
use agentry_domain::clock::utc_now;
use agentry_domain::squads::{
    SealedRepo as _, SquadMember, SquadRepo as _, Workflow, WorkflowRepo as _,
};
use agentry_store::Store;

use super::{assistant, sealed, squad_of, squad_with_workflow, user, version_of, workflow_in};
use crate::helpers::contract;

contract!(
    resealing_replaces_only_what_is_still_as_read,
    a_squad_holds_a_hundred_workflows_and_no_more,
    a_write_checked_against_members_or_versions_that_changed_is_refused,
);

async fn resealing_replaces_only_what_is_still_as_read(store: Store) {
    let (_, workflow, first) = squad_with_workflow(&store).await;
    let pending = store.sealed_elsewhere("k2", None, 10).await.unwrap();
    assert!(
        store
            .sealed_elsewhere("k2", Some((workflow.id(), 1)), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(pending, std::slice::from_ref(&first));
    let mut under_k2 = sealed(9);
    under_k2.key_id = "k2".into();
    // A stale read (another nonce) moves nothing.
    let mut stale = first.clone();
    stale.sealed.nonce = vec![7; 12];
    assert_eq!(
        store
            .reseal(&[(stale, under_k2.clone())], &[])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .reseal(&[(first, under_k2.clone())], &[])
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .sealed_elsewhere("k2", None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let (_, current) = store.current(workflow.id()).await.unwrap().unwrap();
    assert_eq!(current.sealed, under_k2);
}

async fn a_squad_holds_a_hundred_workflows_and_no_more(store: Store) {
    let owner = user(&store).await;
    let squad = squad_of(owner.id, "Busy", "0");
    store.create_squad(&squad, &[]).await.unwrap();
    let make = || {
        let (workflow, mut version) = workflow_in(&squad);
        version.created_by = owner.id;
        (workflow, version)
    };
    for _ in 0..Workflow::PER_SQUAD_MAX {
        let (workflow, version) = make();
        store
            .create_workflow(&workflow, &version, None, &[], &[])
            .await
            .unwrap();
    }
    let (workflow, version) = make();
    let err = store
        .create_workflow(&workflow, &version, None, &[], &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(store.get_workflow(workflow.id()).await.unwrap(), None);
}

async fn a_write_checked_against_members_or_versions_that_changed_is_refused(store: Store) {
    let (squad, workflow, first) = squad_with_workflow(&store).await;
    let writer = assistant(&store, "Writer", true).await;
    let member = SquadMember::new(squad.id(), writer.id, Some("writer"), utc_now()).unwrap();
    store.add_member(&member, &[]).await.unwrap();
    // The member is checked absent from version 1, then version 2 is saved.
    let checked = [(workflow.id(), 1)];
    let next = workflow.next_version(utc_now());
    let mut second = version_of(&next, 2);
    second.created_by = first.created_by;
    store
        .save_version(&next, &second, std::slice::from_ref(&member), &[])
        .await
        .unwrap();
    let err = store
        .remove_member(squad.id(), writer.id, &checked, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(store.members(squad.id()).await.unwrap().len(), 1);
    store
        .remove_member(squad.id(), writer.id, &[(workflow.id(), 2)], &[])
        .await
        .unwrap();
    // A save checked against the member it names, now gone, writes nothing.
    let third_of = next.next_version(utc_now());
    let mut third = version_of(&third_of, 3);
    third.created_by = first.created_by;
    let err = store
        .save_version(&third_of, &third, std::slice::from_ref(&member), &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(store.get_version(workflow.id(), 3).await.unwrap(), None);
}
