//! The workspace's storage contract: users, tokens, projects, members, handles.

use agentry_domain::Error;
use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::log::EventFilter;
use agentry_domain::log::EventRepo as _;
use agentry_domain::workspace::{
    ApiToken, Handle, Member, MemberKind, NewMember, Project, TokenSecret, User,
};
use agentry_domain::workspace::{ProjectRepo as _, UserRepo as _};
use agentry_domain::workspace::{UserCreated, WorkspaceEvent};
use agentry_store::Store;

use crate::helpers::{contract, project};

contract!(
    only_the_first_user_is_created_by_bootstrap,
    a_revoked_token_no_longer_authenticates,
    a_replaced_token_stays_until_its_successor_is_written_and_a_revoked_secret_may_return,
    a_duplicate_project_key_conflicts_and_writes_no_event,
    a_handle_is_unique_per_project_but_not_across_projects,
    projects_are_listed_for_their_members_only,
    users_projects_and_members_page_by_id_from_where_the_last_page_ended,
    mentions_resolve_by_handle,
);

async fn only_the_first_user_is_created_by_bootstrap(store: Store) {
    let now = utc_now();
    let first = User::new("admin", true, now).unwrap();
    let (token, secret) = ApiToken::issue(first.id, "bootstrap", now).unwrap();
    let event = Event::global(
        WorkspaceEvent::UserCreated(UserCreated {
            user: first.id,
            name: "admin".into(),
            is_admin: true,
        }),
        now,
    )
    .unwrap();
    assert!(
        store
            .create_first_user(&first, &token, std::slice::from_ref(&event))
            .await
            .unwrap()
    );

    let second = User::new("admin", true, now).unwrap();
    let (token2, _) = ApiToken::issue(second.id, "bootstrap", now).unwrap();
    assert!(
        !store
            .create_first_user(&second, &token2, &[])
            .await
            .unwrap()
    );

    assert_eq!(
        store.list_users().await.unwrap(),
        std::slice::from_ref(&first)
    );
    assert_eq!(
        store.authenticate(&secret.digest()).await.unwrap(),
        Some(first)
    );
    assert_eq!(store.get_event(event.id).await.unwrap(), Some(event));
}

async fn a_revoked_token_no_longer_authenticates(store: Store) {
    let now = utc_now();
    let user = User::new("ada", false, now).unwrap();
    let (token, secret) = ApiToken::issue(user.id, "laptop", now).unwrap();
    store
        .create_user(&user, std::slice::from_ref(&token), &[])
        .await
        .unwrap();
    assert_eq!(
        store.authenticate(&secret.digest()).await.unwrap(),
        Some(user.clone())
    );

    store.revoke_token(token.id, now, &[]).await.unwrap();
    assert_eq!(store.authenticate(&secret.digest()).await.unwrap(), None);
    let listed = store.list_tokens(user.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].revoked_at.is_some());
}

async fn a_replaced_token_stays_until_its_successor_is_written_and_a_revoked_secret_may_return(
    store: Store,
) {
    let now = utc_now();
    let admin = User::new("admin", true, now).unwrap();
    let secret = |raw: &str| TokenSecret::from_presented(raw).unwrap();
    let (a, b) = (
        secret("agt_secret-a-0123456789"),
        secret("agt_secret-b-0123456789"),
    );
    let first = ApiToken::with_secret(admin.id, "configured", &a, now).unwrap();
    store
        .create_user(&admin, std::slice::from_ref(&first), &[])
        .await
        .unwrap();
    let works = async |s: &TokenSecret| store.authenticate(&s.digest()).await.unwrap().is_some();

    // A successor that cannot be written leaves its predecessor working.
    let clash = ApiToken::with_secret(admin.id, "configured", &a, now).unwrap();
    let event = Event::global(
        WorkspaceEvent::UserCreated(UserCreated {
            user: admin.id,
            name: "never written".into(),
            is_admin: true,
        }),
        now,
    )
    .unwrap();
    let err = store
        .replace_tokens(&clash, &[first.id], std::slice::from_ref(&event))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert!(works(&a).await);
    assert_eq!(store.get_event(event.id).await.unwrap(), None);

    let second = ApiToken::with_secret(admin.id, "configured", &b, now).unwrap();
    store
        .replace_tokens(&second, &[first.id], &[])
        .await
        .unwrap();
    assert!(!works(&a).await && works(&b).await);
    let third = ApiToken::with_secret(admin.id, "configured", &a, now).unwrap();
    store
        .replace_tokens(&third, &[second.id], &[])
        .await
        .unwrap();
    assert!(works(&a).await && !works(&b).await);
    let tokens = store.list_tokens(admin.id).await.unwrap();
    let revoked = tokens.iter().filter(|t| t.revoked_at.is_some()).count();
    assert_eq!((tokens.len(), revoked), (3, 2), "history is kept");
}

async fn a_duplicate_project_key_conflicts_and_writes_no_event(store: Store) {
    let (first, member, _) = project(&store, "TE").await;
    let clash = Project::new("Another", "te", "", utc_now()).unwrap();
    let event = crate::helpers::chat(&clash, None, "never written");
    let err = store
        .create_project(&clash, &[], std::slice::from_ref(&event))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(store.get_event(event.id).await.unwrap(), None);
    assert_eq!(store.get_project(clash.id).await.unwrap(), None);
    assert_eq!(
        store.get_project(first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.get_member(member.id).await.unwrap(), Some(member));
}

async fn a_handle_is_unique_per_project_but_not_across_projects(store: Store) {
    let (alpha, _, _) = project(&store, "AL").await;
    let (beta, _, _) = project(&store, "BE").await;
    let agent = |project: &Project| {
        Member::new(
            project.id,
            NewMember {
                kind: MemberKind::Agent,
                user_id: None,
                handle: "@coder".into(),
                display_name: None,
                assistant_id: None,
            },
            utc_now(),
        )
        .unwrap()
    };
    store.add_member(&agent(&alpha), &[]).await.unwrap();
    store.add_member(&agent(&beta), &[]).await.unwrap();
    let err = store.add_member(&agent(&alpha), &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Conflict(m) if m.contains("handle")),
        "{err:?}"
    );
    assert_eq!(store.list_members(alpha.id).await.unwrap().len(), 2);
}

async fn projects_are_listed_for_their_members_only(store: Store) {
    let (alpha, _, ada) = project(&store, "AL").await;
    let (beta, _, _) = project(&store, "BE").await;
    assert_eq!(
        store.list_projects(Some(ada.id)).await.unwrap(),
        std::slice::from_ref(&alpha)
    );
    assert_eq!(store.list_projects(None).await.unwrap(), [alpha, beta]);
}

async fn users_projects_and_members_page_by_id_from_where_the_last_page_ended(store: Store) {
    let (alpha, owner, ada) = project(&store, "AL").await;
    let (beta, _, bob) = project(&store, "BE").await;
    let (gamma, gamma_owner, carol) = project(&store, "GA").await;
    let join = |project: &Project, user: &User, handle: &str| {
        Member::new(
            project.id,
            NewMember {
                kind: MemberKind::Human,
                user_id: Some(user.id),
                handle: handle.into(),
                display_name: None,
                assistant_id: None,
            },
            utc_now(),
        )
        .unwrap()
    };
    let (bob_in_alpha, ada_in_gamma) = (join(&alpha, &bob, "bob"), join(&gamma, &ada, "ada"));
    for member in [&bob_in_alpha, &ada_in_gamma] {
        store.add_member(member, &[]).await.unwrap();
    }
    let carol_in_alpha = join(&alpha, &carol, "carol");
    store.add_member(&carol_in_alpha, &[]).await.unwrap();

    let users = [ada.clone(), bob, carol];
    assert_eq!(store.page_users(None, 2).await.unwrap(), users[..2]);
    assert_eq!(
        store.page_users(Some(users[1].id), 2).await.unwrap(),
        users[2..]
    );
    assert!(
        store
            .page_users(Some(users[2].id), 2)
            .await
            .unwrap()
            .is_empty()
    );

    let all = [alpha.clone(), beta, gamma.clone()];
    assert_eq!(store.page_projects(None, None, 2).await.unwrap(), all[..2]);
    assert_eq!(
        store.page_projects(None, Some(alpha.id), 5).await.unwrap(),
        all[1..]
    );
    // Ada is in alpha and gamma: her next page skips beta, which is not hers.
    assert_eq!(
        store.page_projects(Some(ada.id), None, 1).await.unwrap(),
        std::slice::from_ref(&alpha)
    );
    assert_eq!(
        store
            .page_projects(Some(ada.id), Some(alpha.id), 1)
            .await
            .unwrap(),
        std::slice::from_ref(&gamma)
    );

    // Members of other projects, added in between, are not in alpha's pages.
    let alphas = [owner, bob_in_alpha.clone(), carol_in_alpha];
    assert_eq!(
        store.page_members(alpha.id, None, 2).await.unwrap(),
        alphas[..2]
    );
    assert_eq!(
        store
            .page_members(alpha.id, Some(bob_in_alpha.id), 2)
            .await
            .unwrap(),
        alphas[2..]
    );
    assert_eq!(
        store.page_members(gamma.id, None, 5).await.unwrap(),
        [gamma_owner, ada_in_gamma]
    );
}

async fn mentions_resolve_by_handle(store: Store) {
    let (alpha, owner, _) = project(&store, "AL").await;
    let found = store
        .members_by_handle(
            alpha.id,
            &[Handle::parse("nobody").unwrap(), owner.handle.clone()],
        )
        .await
        .unwrap();
    assert_eq!(found, [owner]);
    assert!(
        store
            .list_events(&EventFilter {
                limit: 10,
                ..EventFilter::default()
            })
            .await
            .unwrap()
            .is_empty()
    );
}
