use std::sync::{Arc, Mutex};

use chrono::Utc;

use super::ProcessLog;
use crate::clock::Clock;
use crate::event::Event;
use crate::log::{MockAttachmentRepo, MockBlobStore, MockEventRepo, Ports};
use crate::operations::{ProcessEvent, RevisionPromoted, WorkerSpawned};

struct Fixed;

impl Clock for Fixed {
    fn now(&self) -> chrono::DateTime<Utc> {
        chrono::DateTime::UNIX_EPOCH
    }
}

/// A log over a mock that keeps what is appended and answers a filtered read
/// with the newest match, as the store does.
fn log_over(kept: Arc<Mutex<Vec<Event>>>) -> ProcessLog {
    let mut events = MockEventRepo::new();
    let appended = kept.clone();
    events.expect_append().returning(move |new| {
        appended.lock().unwrap().extend_from_slice(new);
        Ok(())
    });
    events.expect_list_events().returning(move |filter| {
        assert_eq!(filter.limit, 1, "derived state reads one event");
        let all = kept.lock().unwrap();
        Ok(all
            .iter()
            .rev()
            .filter(|e| filter.matches(e))
            .take(1)
            .cloned()
            .collect())
    });
    ProcessLog::new(&Ports {
        events: Arc::new(events),
        attachments: Arc::new(MockAttachmentRepo::new()),
        blobs: Arc::new(MockBlobStore::new()),
        clock: Arc::new(Fixed),
    })
}

fn spawned(seq: u32) -> ProcessEvent {
    ProcessEvent::WorkerSpawned(WorkerSpawned {
        pid: 100 + seq,
        seq,
        revision: "r1".into(),
    })
}

#[tokio::test]
async fn worker_sequence_numbers_follow_each_supervisors_own_spawns() {
    let log = log_over(Arc::default());
    let promoted = ProcessEvent::RevisionPromoted(RevisionPromoted {
        revision: "x".into(),
    });
    let (one, two) = (
        log.record(None, promoted.clone()).await.unwrap(),
        log.record(None, promoted).await.unwrap(),
    );
    assert_eq!(log.next_worker_seq(one).await.unwrap(), 1);
    log.record(Some(one), spawned(1)).await.unwrap();
    log.record(Some(one), spawned(2)).await.unwrap();
    log.record(Some(two), spawned(1)).await.unwrap();
    assert_eq!(log.next_worker_seq(one).await.unwrap(), 3);
    assert_eq!(log.next_worker_seq(two).await.unwrap(), 2);
}

#[tokio::test]
async fn the_good_revision_is_the_newest_promoted_one() {
    let kept = Arc::default();
    let log = log_over(Arc::clone(&kept));
    assert_eq!(log.current_good_revision().await.unwrap(), None);
    for revision in ["a1", "b2"] {
        let promoted = RevisionPromoted {
            revision: revision.into(),
        };
        log.record(None, ProcessEvent::RevisionPromoted(promoted))
            .await
            .unwrap();
        log.record(None, spawned(1)).await.unwrap();
    }
    assert_eq!(
        log.current_good_revision().await.unwrap().as_deref(),
        Some("b2")
    );
    let recorded = kept.lock().unwrap();
    assert!(
        recorded.iter().all(|e| e.project_id.is_none()),
        "installation-wide"
    );
}
