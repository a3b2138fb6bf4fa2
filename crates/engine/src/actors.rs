//! Which member a project's runs of an assistant act as, remembered briefly:
//! every run needs it and it rarely changes. An agent member added or removed
//! is seen within [`TTL`], as the store's caches of memberships are.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use agentry_domain::id::{AssistantId, MemberId, ProjectId};

/// How long an answer is trusted.
const TTL: Duration = Duration::from_secs(1);

/// Entries kept; past it, the map starts over.
const CAPACITY: usize = 10_000;

type Key = (ProjectId, AssistantId);

#[derive(Debug, Default)]
pub(crate) struct Actors {
    entries: Mutex<HashMap<Key, (Instant, MemberId)>>,
}

impl Actors {
    /// The member remembered for `key`, if still fresh.
    pub(crate) fn get(&self, key: &Key) -> Option<MemberId> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, actor)| *actor)
    }

    pub(crate) fn put(&self, key: Key, actor: MemberId) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), actor));
    }
}
