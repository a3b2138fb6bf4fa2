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

#[tokio::test]
async fn a_rotated_admin_token_replaces_the_previous_one() {
    let db = TestDatabase::sqlite();
    let start = |token: &str| {
        let mut config = ApiConfig::for_database(db.url());
        config.admin_token = Some(Secret(token.into()));
        App::build(config)
    };
    let first = start("agt_first-admin-token-000").await.unwrap();
    assert!(
        first
            .services
            .accounts
            .authenticate("agt_first-admin-token-000")
            .await
            .unwrap()
            .is_admin
    );
    let second = start("agt_second-admin-token-00").await.unwrap();
    assert!(
        second
            .services
            .accounts
            .authenticate("agt_second-admin-token-00")
            .await
            .unwrap()
            .is_admin
    );
    assert!(
        second
            .services
            .accounts
            .authenticate("agt_first-admin-token-000")
            .await
            .is_err()
    );
    assert_eq!(
        second
            .services
            .accounts
            .list_users(
                &second
                    .services
                    .accounts
                    .authenticate("agt_second-admin-token-00")
                    .await
                    .unwrap()
            )
            .await
            .unwrap()
            .len(),
        1
    );
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
