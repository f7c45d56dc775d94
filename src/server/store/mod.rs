//! Storage: the concrete [`Store`] (its methods, by entity, in `sql/`), the values it takes
//! and returns (`values`), and how it is opened (`engine::open`). It serves SQLite and
//! PostgreSQL (see `engine/` for what differs); on a SQLite file one process serves alone,
//! [`cache`] keeps token lookups in memory. This file only puts the store's modules together:
//! none of them imports it, so the store has no import cycle (see `module_cycles`).

pub mod cache;
mod chain;
pub mod cursor;
pub mod engine;
pub mod notify;
pub mod outbox;
pub mod sign_in;
mod sql;
pub mod values;
mod webhook_rows;

pub use engine::redact_url;
pub use sql::Store;
pub use sql::break_glass::Review;
pub use sql::grants::Grants;
pub use sql::maintenance::ChainCheck;
pub use sql::report::{ReportBatch, ReportPlan, ReportScope};
pub use sql::requests::Requests;
pub use sql::tree::{StoredHashes, TreeHead};
pub use values::*;
pub use webhook_rows::{AttemptOutcome, ClaimedDelivery, FinishedAttempt, NewWebhook};

/// Opens the store that `url` names to serve it, migrated. A SQLite file is served by this
/// process alone: the returned lock holds it for as long as it lives, and lets the store
/// cache token lookups. PostgreSQL is shared by replicas: no lock, no cache.
pub async fn open(
    url: &str,
    pool: &PoolSettings,
) -> anyhow::Result<(Store, Option<engine::sqlite::ExclusiveServe>)> {
    let store = engine::open::migrated(url, pool).await?;
    if url.starts_with("sqlite:") {
        let lock = engine::sqlite::ExclusiveServe::acquire(&engine::sqlite::path_of(url)?)?;
        let store = engine::open::with_cache(store, &lock);
        Ok((store, Some(lock)))
    } else {
        Ok((store, None))
    }
}

/// Opens the store that `url` names (`sqlite://PATH` or `postgres://...`) and migrates it,
/// beside any server that serves it (as `server init` does).
pub async fn open_shared(url: &str, pool: &PoolSettings) -> anyhow::Result<Store> {
    engine::open::migrated(url, pool).await
}
