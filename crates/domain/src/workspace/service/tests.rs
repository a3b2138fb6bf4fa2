//! Workspace use-case tests over mockall doubles of the ports.

use crate::doubles::{Doubles, principal, project};
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
