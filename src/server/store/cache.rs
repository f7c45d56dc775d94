//! An in-memory cache of token lookups, for a store that one process serves alone (SQLite).
//!
//! Why it never answers "active" after a revocation: every entry carries the generation that
//! was current *before* its database read, and is valid only while the generation is
//! unchanged. A change that can end access (revoke, close, disable, rotate, extend) marks
//! itself in flight before its commit, and bumps the generation after the commit (before its
//! response), then unmarks itself. While any such commit is in flight the cache answers
//! nothing, so no lookup can see the committed change in the database and still get an entry
//! from before it from the cache, even one made before anybody was told (a client that hung
//! up is never told). A lookup that starts after the bump misses and reads the committed
//! state; a read that began before it caches under the old generation, which no later lookup
//! accepts. PostgreSQL replicas cannot see each other's bumps, so they run without this cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::values::{AccountAuth, SessionAuth, StoreResult, TokenHash};

/// Entries per map before it is emptied (a crude bound that keeps memory flat).
const CAPACITY: usize = 100_000;

/// Token hash to (generation read at, lookup result).
pub type Entries<T> = RwLock<HashMap<TokenHash, (u64, Arc<T>)>>;

#[derive(Default)]
pub struct AuthCache {
    generation: AtomicU64,
    /// Commits of changes that can end access, begun and not yet followed by their bump.
    ending: AtomicU64,
    pub accounts: Entries<AccountAuth>,
    pub sessions: Entries<SessionAuth>,
}

/// A change that can end access, committing: see [`AuthCache::ending`].
pub struct EndingAccess<'a> {
    cache: &'a AuthCache,
}

impl Drop for EndingAccess<'_> {
    fn drop(&mut self) {
        // The bump first: once this change no longer holds the cache off, no entry from
        // before its commit is current.
        self.cache.generation.fetch_add(1, Ordering::SeqCst);
        self.cache.ending.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A generation observed before a database read.
#[derive(Clone, Copy)]
pub struct Generation(u64);

impl AuthCache {
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::SeqCst))
    }

    /// Marks a change that can end access as about to commit: until the guard is dropped
    /// (after the commit), the cache answers nothing; dropping it ends every entry.
    pub fn ending(&self) -> EndingAccess<'_> {
        self.ending.fetch_add(1, Ordering::SeqCst);
        EndingAccess { cache: self }
    }

    /// The entry for `token`, if it was read in the current generation and no change that can
    /// end access is committing.
    pub fn get<T>(&self, entries: &Entries<T>, token: &TokenHash) -> Option<Arc<T>> {
        if self.ending.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let current = self.generation();
        let entries = entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match entries.get(token) {
            Some((generation, value)) if *generation == current.0 => Some(Arc::clone(value)),
            _ => None,
        }
    }

    /// Remembers a lookup under the generation observed before it read the database.
    pub fn put<T>(
        &self,
        entries: &Entries<T>,
        token: TokenHash,
        read_at: Generation,
        value: Arc<T>,
    ) {
        let mut entries = entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(token, (read_at.0, value));
    }
}

/// A token lookup through the cache, when there is one: a hit of the current generation, or
/// a read whose result is remembered under the generation observed before it.
pub(super) async fn through_cache<T, F, Fut>(
    cache: Option<&AuthCache>,
    entries: impl Fn(&AuthCache) -> &Entries<T>,
    token: &TokenHash,
    read: F,
) -> StoreResult<Option<Arc<T>>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = StoreResult<Option<Arc<T>>>>,
{
    let Some(cache) = cache else {
        return read().await;
    };
    if let Some(hit) = cache.get(entries(cache), token) {
        return Ok(Some(hit));
    }
    let read_at = cache.generation();
    let found = read().await?;
    if let Some(found) = &found {
        cache.put(entries(cache), *token, read_at, Arc::clone(found));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_answered_while_an_ending_change_commits_nor_from_before_it_after() {
        let cache = AuthCache::default();
        // Any map will do: the rules do not depend on what is cached.
        let entries: Entries<u8> = Entries::default();
        let token = [7; 32];
        cache.put(&entries, token, cache.generation(), Arc::new(1));
        assert!(cache.get(&entries, &token).is_some());
        let committing = cache.ending();
        assert!(
            cache.get(&entries, &token).is_none(),
            "a commit is in flight"
        );
        // A read made during the commit is remembered under the old generation...
        let read_at = cache.generation();
        drop(committing);
        cache.put(&entries, token, read_at, Arc::new(1));
        // ... which no lookup accepts once the commit is over.
        assert!(cache.get(&entries, &token).is_none());
        cache.put(&entries, token, cache.generation(), Arc::new(1));
        assert!(cache.get(&entries, &token).is_some());
    }
}
