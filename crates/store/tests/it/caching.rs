//! A store answers the lookups of every request from an in-process cache; a change
//! written by another process must still reach it within the cache's TTL.

use std::time::Duration;

use agentry_domain::clock::utc_now;
use agentry_domain::registry::RevisionRepo as _;
use agentry_domain::workspace::UserRepo as _;
use agentry_domain::workspace::{ApiToken, User};
use agentry_store::testing::TestDatabase;
use agentry_store::{CACHE_TTL, Options, Store};
use sea_orm::ConnectionTrait as _;

use crate::helpers::{on_each_database, store_on};

on_each_database!(
    agentry_store::testing::with_database;
    a_token_revoked_by_another_process_stops_working_within_the_ttl,
    the_registry_generation_moves_on_when_the_database_goes_back_to_an_earlier_revision,
);

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

/// Waits (up to twice the slowest poll) for the store's registry generation to
/// leave `from`, and returns the new one.
async fn next_generation(store: &Store, from: i64) -> i64 {
    for _ in 0..200 {
        let now = store.known_revision();
        if now != from {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the registry generation stayed at {from}");
}

/// A database restored from a backup counts its revisions up again through
/// numbers already seen; cached resolutions tagged with them must not come back.
async fn the_registry_generation_moves_on_when_the_database_goes_back_to_an_earlier_revision(
    db: TestDatabase,
) {
    let here = store_on(&db).await;
    let elsewhere = Store::connect(db.url(), &Options::default()).await.unwrap();
    // As a registry write does, announced on PostgreSQL; a restore announces nothing.
    let set = async |revision: i64, announced: bool| {
        let conn = elsewhere.connection();
        let sql = format!("UPDATE registry_revision SET revision = {revision} WHERE id = 1");
        conn.execute_unprepared(&sql).await.unwrap();
        if announced && db.url().starts_with("postgres") {
            let notify = format!("SELECT pg_notify('agentry_registry', '{revision}')");
            conn.execute_unprepared(&notify).await.unwrap();
        }
    };
    let start = here.known_revision();
    set(3, true).await;
    let after_changes = next_generation(&here, start).await;
    set(1, false).await;
    let after_restore = next_generation(&here, after_changes).await;
    assert!(after_restore > after_changes, "a generation never returns");
    set(3, true).await;
    let counted_up_again = next_generation(&here, after_restore).await;
    assert!(![start, after_changes, after_restore].contains(&counted_up_again));
}
