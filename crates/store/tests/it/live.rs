//! The log in commit order: concurrent writers' events are each handed out
//! once, in increasing positions; on PostgreSQL an event whose transaction
//! commits late (begun first, committed after another) holds back the events
//! after it until it commits, then comes first: none is skipped.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use agentry_domain::event::Event;
use agentry_domain::log::{EventRepo as _, LiveLog as _, LogPosition};
use agentry_store::Store;
use agentry_store::testing::TestDatabase;
use sea_orm::{ConnectionTrait as _, Statement, TransactionTrait as _};

use crate::helpers::{chat, contract, project, store_on};

contract!(concurrent_writers_events_are_each_handed_out_once_in_increasing_positions,);

/// Where the log stands once everything written so far can be handed out: a
/// marker is appended and read up to. (Transaction ids are server-wide on
/// PostgreSQL, so other databases' writers — other tests — may hold events
/// back for a moment; the head read at once could precede them.)
async fn settled(store: &Store, project: &agentry_domain::workspace::Project) -> LogPosition {
    let marker = chat(project, None, "marker");
    store.append(std::slice::from_ref(&marker)).await.unwrap();
    let mut at = LogPosition::START;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "the marker was never handed out");
        let batch = store.committed_after(at, 1000).await.unwrap();
        for (position, event) in batch {
            at = position;
            if event.id == marker.id {
                return at;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn concurrent_writers_events_are_each_handed_out_once_in_increasing_positions(store: Store) {
    let (alpha, member, _) = project(&store, "LV").await;
    let mut at = settled(&store, &alpha).await;
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            let alpha = alpha.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..40 {
                    let batch: Vec<Event> = (0..=(i % 3))
                        .map(|k| chat(&alpha, Some(member.id), &format!("{w}-{i}-{k}")))
                        .collect();
                    ids.extend(batch.iter().map(|e| e.id));
                    store.append(&batch).await.unwrap();
                }
                ids
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut commits = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    // Batches of 1, 2, 3, 1, … events: 14 of one, 13 of two, 13 of three per writer.
    let expected = 8 * (14 + 13 * 2 + 13 * 3);
    while seen.len() < expected {
        assert!(
            Instant::now() < deadline,
            "{} of {expected} seen",
            seen.len()
        );
        commits = store.changed(commits, Duration::from_millis(50)).await;
        for (position, event) in store.committed_after(at, 100).await.unwrap() {
            assert!(position > at, "{position:?} after {at:?}");
            at = position;
            assert!(seen.insert(event.id), "{:?} handed out twice", event.id);
        }
    }
    let mut written = HashSet::new();
    for writer in writers {
        written.extend(writer.await.unwrap());
    }
    assert_eq!(seen, written);
    assert!(store.committed_after(at, 100).await.unwrap().is_empty());
    let position = store
        .position(*written.iter().next().unwrap())
        .await
        .unwrap();
    assert!(position.is_some_and(|p| p > LogPosition::START && p <= at));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set AGENTRY_TEST_PG_URL and pass --include-ignored"]
async fn an_event_committed_late_is_handed_out_before_later_ones_not_skipped() {
    let db = TestDatabase::required_postgres().await;
    let store = store_on(&db).await;
    let (alpha, member, _) = project(&store, "LT").await;
    let at = settled(&store, &alpha).await;

    // A transaction that takes its id first and commits last.
    let late = chat(&alpha, Some(member.id), "late");
    let txn = store.connection().begin().await.unwrap();
    txn.execute_raw(Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "INSERT INTO events (id, project_id, \"type\", payload, created_at, updated_at) \
         VALUES ($1, $2, 'chat_message', '{\"content\": \"late\", \"mentions\": []}'::jsonb, \
         now(), now())",
        [late.id.0.into(), alpha.id.0.into()],
    ))
    .await
    .unwrap();
    let early = chat(&alpha, Some(member.id), "early");
    store.append(std::slice::from_ref(&early)).await.unwrap();
    assert!(
        store.get_event(early.id).await.unwrap().is_some(),
        "committed"
    );
    assert!(
        store.committed_after(at, 100).await.unwrap().is_empty(),
        "nothing is handed out while a transaction that began before may still commit"
    );
    assert_eq!(store.head().await.unwrap(), at);

    txn.commit().await.unwrap();
    // Transaction ids are server-wide: other databases' writers (other tests)
    // may hold the horizon a moment longer.
    let deadline = Instant::now() + Duration::from_secs(10);
    let handed: Vec<_> = loop {
        let handed = store.committed_after(at, 100).await.unwrap();
        if !handed.is_empty() || Instant::now() > deadline {
            break handed.into_iter().map(|(_, e)| e.id).collect();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(
        handed,
        [late.id, early.id],
        "in position order: the transaction that began first comes first"
    );
}
