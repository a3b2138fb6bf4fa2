//! What a start does: the first admin and its one-time token, the configured
//! admin token, migrations.

use agentry_app::{ApiConfig, App, Secret};
use agentry_store::testing::TestDatabase;

#[tokio::test]
async fn the_first_start_creates_an_admin_and_shows_its_token_once() {
    let db = TestDatabase::sqlite();
    let first = App::build(ApiConfig::for_database(db.url())).await.unwrap();
    let token = first
        .bootstrap_token
        .clone()
        .expect("a token on the first start");
    first.services.accounts.authenticate(&token).await.unwrap();
    let again = App::build(ApiConfig::for_database(db.url())).await.unwrap();
    assert_eq!(again.bootstrap_token, None);
}

agentry_store::on_each_database!(
    agentry_store::testing::with_database;
    a_rotated_admin_token_replaces_the_previous_one_and_an_earlier_one_may_return,
);

/// Starts the app on `db` with `token` configured and says whether each of
/// `tokens` is a working admin token afterwards.
async fn start_with(db: &TestDatabase, token: &str, tokens: &[&str]) -> Vec<bool> {
    let mut config = ApiConfig::for_database(db.url());
    config.admin_token = Some(Secret(token.into()));
    let app = App::build(config).await.expect("the app starts");
    let mut working = Vec::new();
    for token in tokens {
        let caller = app.services.accounts.authenticate(token).await;
        working.push(caller.is_ok_and(|c| c.is_admin));
    }
    let admin = app.services.accounts.authenticate(token).await.unwrap();
    let users = app
        .services
        .accounts
        .list_users(&admin, agentry_domain::page::PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        users.items.len(),
        1,
        "one admin, however often the token turns"
    );
    working
}

async fn a_rotated_admin_token_replaces_the_previous_one_and_an_earlier_one_may_return(
    db: TestDatabase,
) {
    let (a, b) = ("agt_first-admin-token-000", "agt_second-admin-token-00");
    assert_eq!(start_with(&db, a, &[a]).await, [true]);
    assert_eq!(start_with(&db, b, &[a, b]).await, [false, true]);
    // Back to the first secret, revoked since: it works again, the second stops.
    assert_eq!(start_with(&db, a, &[a, b]).await, [true, false]);
    assert_eq!(start_with(&db, a, &[a, b]).await, [true, false]);
    assert_eq!(start_with(&db, b, &[a, b]).await, [false, true]);
}

#[tokio::test]
async fn an_unreachable_database_fails_the_start_without_leaking_the_password() {
    let error = App::build(ApiConfig::for_database(
        "postgres://agentry:hunter2@127.0.0.1:1/agentry",
    ))
    .await
    .unwrap_err();
    let text = format!("{error:#}");
    assert!(text.contains("connecting to the database"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
