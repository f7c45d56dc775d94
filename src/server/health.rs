//! The database status `/healthz` reports, without a query per call.
//!
//! A background task pings the database every [`REFRESH`] (started by the first `/healthz`),
//! and `/healthz` answers from its latest result while that is fresh. It pings inline instead
//! when there is no fresh result, or when any store of this process has seen a connection-level
//! failure since the cached ping began ([`UNAVAILABLE_ERRORS`]): a request that just failed for
//! want of a database is never followed by a cached "ok".

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::store::{Store, UNAVAILABLE_ERRORS};

/// How often the background task pings.
const REFRESH: Duration = Duration::from_millis(250);
/// A cached result older than this is not used (the background task fell behind, or its ping
/// hangs on a database that does not answer): `/healthz` then pings, as every request would.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// A ping's result, when it started, and the failure count when it started.
type Checked = (Instant, u64, Result<(), String>);

#[derive(Default)]
pub struct DatabaseHealth(Arc<Latest>);

#[derive(Default)]
struct Latest {
    checked: Mutex<Option<Checked>>,
    refreshing: AtomicBool,
}

impl Latest {
    fn set(&self, checked: Checked) {
        *self.checked.lock().unwrap_or_else(PoisonError::into_inner) = Some(checked);
    }

    fn fresh(&self) -> Option<Result<(), String>> {
        let checked = self.checked.lock().unwrap_or_else(PoisonError::into_inner);
        let (at, failures, result) = checked.as_ref()?;
        (at.elapsed() < FRESH_FOR && *failures == UNAVAILABLE_ERRORS.load(Ordering::Acquire))
            .then(|| result.clone())
    }
}

impl DatabaseHealth {
    /// `Ok` when the database answers; otherwise why not.
    pub async fn status(&self, store: &Store) -> Result<(), String> {
        if !self.0.refreshing.swap(true, Ordering::AcqRel) {
            tokio::spawn(refresh(Arc::downgrade(&self.0), store.clone()));
        }
        if let Some(result) = self.0.fresh() {
            return result;
        }
        let checked = ping(store).await;
        let result = checked.2.clone();
        self.0.set(checked);
        result
    }
}

/// Pings until the state that owns `latest` is gone.
async fn refresh(latest: Weak<Latest>, store: Store) {
    loop {
        let checked = ping(&store).await;
        let Some(latest) = latest.upgrade() else {
            return;
        };
        latest.set(checked);
        drop(latest);
        tokio::time::sleep(REFRESH).await;
    }
}

async fn ping(store: &Store) -> Checked {
    let started = Instant::now();
    let failures = UNAVAILABLE_ERRORS.load(Ordering::Acquire);
    // No timeout of its own: the pool's acquire timeout bounds it, as it bounds every request.
    let result = store.ping().await.map_err(|error| error.to_string());
    (started, failures, result)
}
