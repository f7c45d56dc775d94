//! An in-memory cache of token lookups, for a store that one process serves alone (SQLite).
//!
//! Why it never answers "active" after a revocation: every entry carries the generation that
//! was current *before* its database read, and is valid only while the generation is
//! unchanged. A change that can end access (revoke, close, disable, rotate, extend) bumps the
//! generation after its commit and before its response. So a lookup that starts after the
//! response sees the new generation, misses, and reads the committed state; a read that began
//! before the commit caches under the old generation, which no later lookup accepts.
//! PostgreSQL replicas cannot see each other's bumps, so they run without this cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::{AccountAuth, SessionAuth, StoreResult, TokenHash};

/// Entries per map before it is emptied (a crude bound that keeps memory flat).
const CAPACITY: usize = 100_000;

/// Token hash to (generation read at, lookup result).
pub type Entries<T> = RwLock<HashMap<TokenHash, (u64, Arc<T>)>>;

#[derive(Default)]
pub struct AuthCache {
    generation: AtomicU64,
    pub accounts: Entries<AccountAuth>,
    pub sessions: Entries<SessionAuth>,
}

/// A generation observed before a database read.
#[derive(Clone, Copy)]
pub struct Generation(u64);

impl AuthCache {
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::SeqCst))
    }

    /// Ends every entry; call after committing a change that can end access.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The entry for `token`, if it was read in the current generation.
    pub fn get<T>(&self, entries: &Entries<T>, token: &TokenHash) -> Option<Arc<T>> {
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
