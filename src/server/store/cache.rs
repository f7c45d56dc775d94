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

use super::{AccountAuth, SessionAuth, TokenHash};

/// Entries per map before it is emptied (a crude bound that keeps memory flat).
const CAPACITY: usize = 100_000;

#[derive(Default)]
pub struct AuthCache {
    generation: AtomicU64,
    accounts: RwLock<HashMap<TokenHash, (u64, Arc<AccountAuth>)>>,
    sessions: RwLock<HashMap<TokenHash, (u64, Arc<SessionAuth>)>>,
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

    pub fn account(&self, token: &TokenHash) -> Option<Arc<AccountAuth>> {
        lookup(&self.accounts, token, self.generation())
    }

    pub fn put_account(&self, token: TokenHash, read_at: Generation, value: Arc<AccountAuth>) {
        store(&self.accounts, token, read_at, value);
    }

    pub fn session(&self, token: &TokenHash) -> Option<Arc<SessionAuth>> {
        lookup(&self.sessions, token, self.generation())
    }

    pub fn put_session(&self, token: TokenHash, read_at: Generation, value: Arc<SessionAuth>) {
        store(&self.sessions, token, read_at, value);
    }
}

fn lookup<T: Clone>(
    map: &RwLock<HashMap<TokenHash, (u64, T)>>,
    token: &TokenHash,
    current: Generation,
) -> Option<T> {
    let map = map.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    match map.get(token) {
        Some((generation, value)) if *generation == current.0 => Some(value.clone()),
        _ => None,
    }
}

fn store<T>(
    map: &RwLock<HashMap<TokenHash, (u64, T)>>,
    token: TokenHash,
    read_at: Generation,
    value: T,
) {
    let mut map = map.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    if map.len() >= CAPACITY {
        map.clear();
    }
    map.insert(token, (read_at.0, value));
}
