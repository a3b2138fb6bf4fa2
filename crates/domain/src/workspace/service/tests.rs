//! Workspace use-case tests over mockall doubles of the ports.

use crate::doubles::{Doubles, principal, project};
use crate::page::{Cursor, PageRequest};
use crate::{Error, Limits, Services};

#[tokio::test]
async fn a_stranger_is_told_the_project_does_not_exist() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    let known = project.clone();
    doubles
        .projects
        .expect_get_project()
        .returning(move |_| Ok(Some(known.clone())));
    doubles
        .projects
        .expect_member_for_user()
        .returning(|_, _| Ok(None));
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let err = services.projects.get(&who, project.id).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { entity: "project" }));
}

#[tokio::test]
async fn an_unknown_or_malformed_token_is_unauthenticated() {
    let mut doubles = Doubles::default();
    doubles.users.expect_authenticate().returning(|_| Ok(None));
    let services = Services::new(&doubles.into_ports(), Limits::default());
    for presented in ["agt_0123456789abcdefgh", "short"] {
        assert!(matches!(
            services.accounts.authenticate(presented).await,
            Err(Error::Unauthenticated)
        ));
    }
}

#[tokio::test]
async fn a_page_of_members_reads_one_more_than_asked_to_know_another_follows() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    let me = doubles.member_of(&project, &who);
    let (after, project_id) = (me.id, project.id);
    let others: Vec<_> = (0..3)
        .map(|_| crate::workspace::Member {
            id: crate::id::MemberId::generate(),
            ..me.clone()
        })
        .collect();
    let read = others.clone();
    doubles
        .projects
        .expect_page_members()
        .withf(move |p, a, limit| (*p, *a, *limit) == (project_id, Some(after), 3))
        .returning(move |_, _, _| Ok(read.clone()));
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let request = PageRequest {
        after: Some(after),
        limit: 2,
    };
    let page = services
        .projects
        .members(&who, project.id, request)
        .await
        .unwrap();
    assert_eq!(page.items, others[..2]);
    assert_eq!(page.next, Some(Cursor(others[1].id)));
}

#[tokio::test]
async fn only_an_admin_lists_users() {
    let services = Services::new(&Doubles::default().into_ports(), Limits::default());
    let err = services
        .accounts
        .list_users(&principal(), PageRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
}
