//! Retention's storage contract: a batch deletes whole threads whose every
//! event is older than the cutoff, keeps what is still needed (a reply from
//! after the cutoff, an open task's events), takes attachments with their
//! events, lets inbox rows outlive their messages, records `events.pruned`,
//! and is bounded: the next batch starts after its last root; replies racing
//! a batch from another pool never orphan a thread.

use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::id::{ChannelId, EventId};
use agentry_domain::log::Attachment;
use agentry_domain::log::{AttachmentRepo as _, EventFilter, EventRepo as _, NewAttachment};
use agentry_domain::operations::retention::{PruneBatch, Pruned};
use agentry_domain::operations::{Channel, ChannelKind, ChannelRepo as _, RetentionRepo as _};
use agentry_domain::tracker::TaskRepo as _;
use agentry_domain::workspace::Project;
use agentry_store::Store;
use chrono::TimeDelta;

use crate::helpers::{chat, contract, new_task, project};

contract!(
    old_threads_go_whole_and_what_is_still_needed_stays,
    batches_are_bounded_and_resume_after_their_last_root,
    the_setting_is_stored_per_project,
);

fn reply(project: &Project, parent: &Event, text: &str) -> Event {
    let mut event = chat(project, None, text);
    event.parent_id = Some(parent.id);
    event
}

/// A batch whose cutoff is tomorrow: everything written today is old.
fn tomorrow(project: &Project, after: Option<EventId>, limit: u32) -> PruneBatch {
    let now = utc_now();
    PruneBatch {
        project: project.id,
        cutoff: now + TimeDelta::days(1),
        after,
        limit,
        now,
    }
}

async fn ids(store: &Store, project: &Project) -> Vec<EventId> {
    let filter = EventFilter {
        project_id: Some(project.id),
        limit: 200,
        ..EventFilter::default()
    };
    store
        .list_events(&filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

async fn old_threads_go_whole_and_what_is_still_needed_stays(store: Store) {
    let (alpha, member, _) = project(&store, "RA").await;
    let (beta, _, _) = project(&store, "RB").await;
    let (old, old_reply) = (chat(&alpha, Some(member.id), "old"), chat(&alpha, None, ""));
    let old_reply = Event {
        parent_id: Some(old.id),
        ..old_reply
    };
    let (alive, mut recent) = (chat(&alpha, None, "alive"), chat(&alpha, None, "recent"));
    recent.parent_id = Some(alive.id);
    recent.created_at = utc_now() + TimeDelta::days(2);
    let elsewhere = chat(&beta, None, "another project");
    store
        .append(&[
            old.clone(),
            old_reply.clone(),
            alive.clone(),
            recent.clone(),
            elsewhere.clone(),
        ])
        .await
        .unwrap();
    let deep = reply(&alpha, &old_reply, "a reply to a reply");
    store.append(std::slice::from_ref(&deep)).await.unwrap();
    let attachment = Attachment::new(
        old_reply.id,
        alpha.id,
        NewAttachment {
            filename: "notes.txt".into(),
            content_type: None,
        },
        3,
        "0".repeat(64),
        utc_now(),
    )
    .unwrap();
    store.create_attachment(&attachment).await.unwrap();
    // An open task's events stay, however old.
    let (task, kinds) = new_task(&alpha, "still open");
    let created: Vec<Event> = kinds
        .into_iter()
        .map(|k| Event::in_project(alpha.id, None, Some(task.id()), k, utc_now()).unwrap())
        .collect();
    store.create_task(&task, &created).await.unwrap();
    // A channel's message goes; its inbox row stays, with the offset.
    let channel = Channel {
        id: ChannelId::generate(),
        project_id: alpha.id,
        name: "tg".into(),
        kind: ChannelKind::Telegram,
        created_at: utc_now(),
    };
    store.create_channel(&channel, &[]).await.unwrap();
    let bridged = chat(&alpha, None, "from outside");
    store.receive(channel.id, 9, &bridged).await.unwrap();

    let before = ids(&store, &alpha).await;
    let pruned = store
        .prune_batch(&tomorrow(&alpha, None, 500))
        .await
        .unwrap();
    let gone = [old.id, old_reply.id, deep.id, bridged.id];
    let kept = 2 + created.len();
    assert_eq!(
        (pruned.events, pruned.attachments, pruned.snapshots),
        (u64::try_from(before.len() - kept).unwrap(), 1, 0),
        "{pruned:?}"
    );
    assert_eq!(
        pruned.orphaned_blobs,
        std::slice::from_ref(&attachment.storage_key)
    );
    assert_eq!(pruned.last_root, None);
    let after = ids(&store, &alpha).await;
    for id in gone {
        assert!(!after.contains(&id), "{id:?} pruned");
        assert!(store.get_event(id).await.unwrap().is_none());
    }
    for kept in [alive.id, recent.id]
        .into_iter()
        .chain(created.iter().map(|e| e.id))
    {
        assert!(after.contains(&kept), "{kept:?} kept");
    }
    assert!(store.get_attachment(attachment.id).await.unwrap().is_none());
    assert!(
        store.get_event(elsewhere.id).await.unwrap().is_some(),
        "another project's log is its own"
    );
    // The batch is in the log, and the kept threads were counted.
    let recorded = store
        .list_events(&EventFilter {
            project_id: Some(alpha.id),
            types: vec!["events.pruned".into()],
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].kind.payload()["events"],
        i64::try_from(pruned.events).unwrap()
    );
    assert!(
        pruned.kept >= 2,
        "the recent thread and the open task's: {pruned:?}"
    );
    // The bridge's offset and redelivery hold without the message.
    assert_eq!(store.offset(channel.id).await.unwrap(), 10);
    let again = store
        .receive(channel.id, 9, &chat(&alpha, None, "from outside"))
        .await
        .unwrap();
    assert!(again.duplicate && again.event.is_none(), "{again:?}");
}

async fn batches_are_bounded_and_resume_after_their_last_root(store: Store) {
    let (alpha, _, _) = project(&store, "RC").await;
    let mut roots = Vec::new();
    for n in 0..10 {
        let root = chat(&alpha, None, &format!("thread {n}"));
        let replies = [reply(&alpha, &root, "one"), reply(&alpha, &root, "two")];
        store.append(std::slice::from_ref(&root)).await.unwrap();
        store.append(&replies).await.unwrap();
        roots.push(root.id);
    }
    let mut after = None;
    let mut batches: Vec<Pruned> = Vec::new();
    loop {
        let pruned = store
            .prune_batch(&tomorrow(&alpha, after, 4))
            .await
            .unwrap();
        // Threads of 3: a batch of 4 events takes two (it stops once it has 4).
        assert!(pruned.events <= 6, "{pruned:?}");
        after = pruned.last_root;
        batches.push(pruned);
        if after.is_none() {
            break;
        }
        assert!(batches.len() < 20, "the cursor moves on");
    }
    let deleted: u64 = batches.iter().map(|b| b.threads).sum();
    // The project's own creation events are threads of their own too.
    assert!(deleted >= 10, "{batches:?}");
    for root in roots {
        assert!(store.get_event(root).await.unwrap().is_none());
    }
    assert!(batches.len() >= 5, "bounded: {} batches", batches.len());
}

async fn the_setting_is_stored_per_project(store: Store) {
    let (alpha, _, _) = project(&store, "RD").await;
    let (beta, _, _) = project(&store, "RE").await;
    assert_eq!(store.retention(alpha.id).await.unwrap(), None);
    store.set_retention(alpha.id, Some(30), &[]).await.unwrap();
    assert_eq!(store.retention(alpha.id).await.unwrap(), Some(30));
    assert_eq!(store.retention(beta.id).await.unwrap(), None);
    assert_eq!(
        store.projects_with_retention().await.unwrap(),
        [(alpha.id, 30)]
    );
    store.set_retention(alpha.id, None, &[]).await.unwrap();
    assert!(store.projects_with_retention().await.unwrap().is_empty());
    let missing = agentry_domain::id::ProjectId::generate();
    assert!(store.retention(missing).await.is_err());
    assert!(store.set_retention(missing, Some(1), &[]).await.is_err());
}

mod racing {
    //! Replies racing retention from another connection pool, as another
    //! replica would write them: a reply lands before its thread's batch
    //! deletes the root (the batch runs again and takes the reply too) or
    //! after (the reply is refused as a conflict); never an orphaned reply,
    //! never an internal error.

    use agentry_domain::Error;
    use agentry_domain::log::EventRepo as _;
    use agentry_domain::operations::RetentionRepo as _;
    use agentry_store::testing::TestDatabase;
    use sea_orm::{ConnectionTrait as _, Statement};

    use super::{reply, tomorrow};
    use crate::helpers::{chat, project, store_on};

    agentry_store::on_each_database!(agentry_store::testing::with_database; replies_racing_a_prune_never_orphan_a_thread);

    const THREADS: usize = 60;

    async fn replies_racing_a_prune_never_orphan_a_thread(db: TestDatabase) {
        let writer = store_on(&db).await;
        let pruner = store_on(&db).await;
        let (alpha, _, _) = project(&writer, "RR").await;
        let mut roots = Vec::new();
        for n in 0..THREADS {
            let root = chat(&alpha, None, &format!("thread {n}"));
            writer.append(std::slice::from_ref(&root)).await.unwrap();
            roots.push(root);
        }
        // The pruner goes from the oldest root, the replies from the newest:
        // they meet in the middle.
        let replying = tokio::spawn({
            let (writer, alpha) = (writer.clone(), alpha.clone());
            async move {
                let (mut landed, mut refused) = (0, 0);
                for root in roots.iter().rev() {
                    match writer.append(&[reply(&alpha, root, "late")]).await {
                        Ok(()) => landed += 1,
                        Err(Error::Conflict(_)) => refused += 1,
                        Err(e) => panic!("a reply to a pruned thread: {e:?}"),
                    }
                }
                (landed, refused)
            }
        });
        let mut after = None;
        for _ in 0..1_000 {
            match pruner.prune_batch(&tomorrow(&alpha, after, 3)).await {
                Ok(pruned) => match pruned.last_root {
                    Some(last) => after = Some(last),
                    None => break,
                },
                // Raced twice in a row: the pass tries the batch again later.
                Err(Error::Unavailable(_)) => {}
                Err(e) => panic!("a batch failed: {e:?}"),
            }
        }
        let (landed, refused) = replying.await.unwrap();
        assert_eq!(landed + refused, THREADS);

        let conn = writer.connection();
        let orphans = conn
            .query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT COUNT(*) AS n FROM events c LEFT JOIN events p ON p.id = c.parent_id \
                 WHERE c.parent_id IS NOT NULL AND p.id IS NULL",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(orphans, 0, "every reply has its root");
        // What the race left, a later pass takes whole.
        let mut after = None;
        loop {
            let pruned = pruner
                .prune_batch(&tomorrow(&alpha, after, 50))
                .await
                .unwrap();
            match pruned.last_root {
                Some(last) => after = Some(last),
                None => break,
            }
        }
        for id in super::ids(&writer, &alpha).await {
            let event = writer.get_event(id).await.unwrap().unwrap();
            assert_eq!(event.kind.type_name(), "events.pruned", "{event:?}");
        }
        pruner.close().await.unwrap();
    }
}
