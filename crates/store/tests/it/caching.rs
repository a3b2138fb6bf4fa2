//! A store answers the lookups of every request from an in-process cache; a change
//! written by another process must still reach it within the cache's TTL.

use std::time::Duration;

use agentry_domain::clock::utc_now;
use agentry_domain::workspace::UserRepo as _;
use agentry_domain::workspace::{ApiToken, User};
use agentry_store::testing::TestDatabase;
use agentry_store::{CACHE_TTL, Options, Store};

use crate::helpers::{on_each_database, store_on};

on_each_database!(agentry_store::testing::with_database; a_token_revoked_by_another_process_stops_working_within_the_ttl);

async fn a_token_revoked_by_another_process_stops_working_within_the_ttl(db: TestDatabase) {
    let here = store_on(&db).await;
    let elsewhere = Store::connect(db.url(), &Options::default()).await.unwrap();
    let now = utc_now();
    let user = User::new("ada", false, now).unwrap();
    let (token, secret) = ApiToken::issue(user.id, "laptop", now).unwrap();
    here.create_user(&user, std::slice::from_ref(&token), &[])
        .await
        .unwrap();
    // Both stores now hold the answer in their caches.
    assert!(here.authenticate(&secret.digest()).await.unwrap().is_some());
    assert!(
        elsewhere
            .authenticate(&secret.digest())
            .await
            .unwrap()
            .is_some()
    );

    elsewhere.revoke_token(token.id, now, &[]).await.unwrap();
    assert_eq!(
        elsewhere.authenticate(&secret.digest()).await.unwrap(),
        None,
        "the revoking store forgets at once"
    );
    tokio::time::sleep(CACHE_TTL + Duration::from_millis(50)).await;
    assert_eq!(
        here.authenticate(&secret.digest()).await.unwrap(),
        None,
        "another store forgets within the TTL"
    );
}
