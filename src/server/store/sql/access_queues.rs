//! What `authorize`'s writers share through the store: the decisions waiting for their org's
//! writer, and who waits for a connection of theirs (see `authorize`). Apart from the writers,
//! so that [`Store`](super::Store) can hold them without importing the writers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use jiff::Timestamp;
use tokio::sync::oneshot;

use crate::server::store::values::{AccessRequest, StoreResult};

/// Decisions per transaction at most (each batch also reads its sessions in one statement).
const MAX_BATCH: usize = 256;

pub(in crate::server::store) type Answer = StoreResult<Option<String>>;

pub(in crate::server::store) struct Pending {
    pub(in crate::server::store) access: AccessRequest,
    pub(in crate::server::store) now: Timestamp,
    pub(in crate::server::store) reply: oneshot::Sender<Answer>,
}

/// The decisions waiting, per org. An org has an entry exactly while its writer runs.
#[derive(Default)]
pub(crate) struct AccessQueues(pub(super) Mutex<HashMap<i64, Vec<Pending>>>);

impl AccessQueues {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Vec<Pending>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The org's next batch, or `None` once its queue is empty: then the entry is gone, and
    /// the org's writer must end (the next decision starts a new one).
    pub(in crate::server::store) fn next_batch(&self, org_pk: i64) -> Option<Vec<Pending>> {
        let mut queues = self.lock();
        let Some(queue) = queues.get_mut(&org_pk).filter(|queue| !queue.is_empty()) else {
            queues.remove(&org_pk);
            return None;
        };
        let take = queue.len().min(MAX_BATCH);
        Some(queue.drain(..take).collect())
    }
}

/// Answers each caller of `batch`: with its answer, or with the error that failed the batch.
pub(in crate::server::store) fn answer(batch: Vec<Pending>, decided: StoreResult<Vec<Answer>>) {
    match decided {
        Ok(answers) => {
            for (pending, answer) in batch.into_iter().zip(answers) {
                let _ = pending.reply.send(answer);
            }
        }
        Err(error) => {
            for pending in batch {
                let _ = pending.reply.send(Err(error.clone()));
            }
        }
    }
}

/// How many are waiting for a connection of the pool the access writers use.
#[derive(Default)]
pub(crate) struct Waiters(AtomicUsize);

/// Counts its holder as waiting until dropped.
pub(crate) struct Waiting<'a>(&'a Waiters);

impl Waiters {
    pub fn enter(&self) -> Waiting<'_> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Waiting(self)
    }

    pub(in crate::server::store) fn anyone(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::SeqCst);
    }
}
