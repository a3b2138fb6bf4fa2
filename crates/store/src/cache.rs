//! Read-through caches for the lookups nearly every request makes: who holds this
//! token, which project this is, through which member a user acts in it. A database
//! round trip costs far more than the answer, and the answers rarely change.
//!
//! A change written through this store clears the affected cache at once. A change
//! written by another process (a second API replica, the migrator) is seen within
//! [`TTL`], after which every entry is looked up again.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use agentry_domain::id::{ProjectId, TaskId, UserId};
use agentry_domain::workspace::{Member, Project, User};

/// How long an entry is trusted without asking the database again.
pub const TTL: Duration = Duration::from_secs(1);

/// Entries per cache; past it, expired entries go, or all of them.
const CAPACITY: usize = 10_000;

/// The caches of one store (shared by its clones).
#[derive(Debug)]
pub(crate) struct Caches {
    /// Token digest → the user holding that unrevoked token.
    pub tokens: Ttl<String, User>,
    pub projects: Ttl<ProjectId, Project>,
    /// Only memberships that exist: a stranger's lookup always asks the database.
    pub members: Ttl<(ProjectId, UserId), Member>,
    /// Only tasks that exist. A task never moves nor goes, so entries never expire.
    pub task_projects: Ttl<TaskId, ProjectId>,
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            tokens: Ttl::default(),
            projects: Ttl::default(),
            members: Ttl::default(),
            task_projects: Ttl::lasting(Duration::MAX),
        }
    }
}

/// Entries that expire a fixed time ([`TTL`] unless told) after they were looked up.
#[derive(Debug)]
pub(crate) struct Ttl<K, V> {
    state: Mutex<State<K, V>>,
    ttl: Duration,
}

#[derive(Debug)]
struct State<K, V> {
    entries: HashMap<K, (Instant, V)>,
    /// Bumped by every invalidation, so a lookup that raced one is not cached.
    generation: u64,
}

/// Where a cache stood when a lookup began.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Generation(u64);

impl<K, V> Default for Ttl<K, V> {
    fn default() -> Self {
        Self::lasting(TTL)
    }
}

impl<K, V> Ttl<K, V> {
    /// A cache whose entries are trusted for `ttl`.
    pub fn lasting(ttl: Duration) -> Self {
        Self {
            state: Mutex::new(State {
                entries: HashMap::new(),
                generation: 0,
            }),
            ttl,
        }
    }
}

impl<K: Eq + Hash, V: Clone> Ttl<K, V> {
    /// A fresh entry, or the generation to hand to [`Ttl::put`] after looking it up.
    pub fn get(&self, key: &K) -> Result<V, Generation> {
        let state = self.lock();
        match state.entries.get(key) {
            Some((at, value)) if at.elapsed() < self.ttl => Ok(value.clone()),
            _ => Err(Generation(state.generation)),
        }
    }

    /// Caches a looked-up value unless the cache was invalidated since `seen`: the
    /// value may predate that change.
    pub fn put(&self, seen: Generation, key: K, value: V) {
        let mut state = self.lock();
        if state.generation != seen.0 {
            return;
        }
        if state.entries.len() >= CAPACITY {
            let ttl = self.ttl;
            state.entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if state.entries.len() >= CAPACITY {
                state.entries.clear();
            }
        }
        state.entries.insert(key, (Instant::now(), value));
    }

    /// Forgets everything; lookups in flight will not be cached either.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.entries.clear();
        state.generation += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<K, V>> {
        // The state is consistent after any panic in these short critical sections.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::{Generation, Ttl};

    #[test]
    fn a_lookup_that_raced_an_invalidation_is_not_cached() {
        let cache: Ttl<u8, &str> = Ttl::default();
        let Err(seen) = cache.get(&1) else {
            panic!("empty cache")
        };
        cache.clear();
        cache.put(seen, 1, "stale");
        assert!(cache.get(&1).is_err());
        let Err(now) = cache.get(&1) else {
            panic!("empty cache")
        };
        cache.put(now, 1, "fresh");
        assert_eq!(cache.get(&1).ok(), Some("fresh"));
    }

    #[test]
    fn entries_of_a_lasting_cache_outlive_the_default_ttl() {
        let cache: Ttl<u8, u8> = Ttl::lasting(std::time::Duration::MAX);
        cache.put(Generation(0), 1, 1);
        std::thread::sleep(super::TTL + std::time::Duration::from_millis(20));
        assert_eq!(cache.get(&1).ok(), Some(1));
    }

    #[test]
    fn entries_expire() {
        let cache: Ttl<u8, u8> = Ttl::default();
        cache.put(Generation(0), 1, 1);
        assert_eq!(cache.get(&1).ok(), Some(1));
        std::thread::sleep(super::TTL + std::time::Duration::from_millis(20));
        assert!(cache.get(&1).is_err());
    }
}
