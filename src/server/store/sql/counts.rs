//! What `/metrics` reads from the store: counts of what is active, the pools' connections,
//! and where the audit events written are counted.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::Timestamp;
use sqlx::Row;

use super::Store;
use super::rows::OrgRow;
use crate::server::store::chain::ChainHead;
use crate::server::store::values::{DataCounts, PoolConnections, StoreResult, WriteMode};

/// Each count reads the partial index on unrecorded expiries of its table (or the outbox's
/// index on pending deliveries), not the whole table.
const DATA_COUNTS: &str = "SELECT \
     (SELECT COUNT(*) FROM grants WHERE revoked_at IS NULL AND expiry_recorded = 0 \
      AND expires_at > $1) AS active_grants, \
     (SELECT COUNT(*) FROM sessions s JOIN grants g ON g.pk = s.grant_pk \
      WHERE s.closed_at IS NULL AND s.expiry_recorded = 0 AND s.expires_at > $1 \
      AND g.revoked_at IS NULL) AS active_sessions, \
     (SELECT COUNT(*) FROM access_requests WHERE decision IS NULL AND expiry_recorded = 0 \
      AND expires_at > $1) AS pending_requests, \
     (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending') AS pending_deliveries";

impl Store {
    /// Active grants and sessions, pending requests and deliveries at `now`, in one statement.
    pub async fn data_counts(&self, now: Timestamp) -> StoreResult<DataCounts> {
        let row = sqlx::query(DATA_COUNTS)
            .bind(now.as_second())
            .fetch_one(&self.read)
            .await?;
        Ok(DataCounts {
            active_grants: row.try_get("active_grants")?,
            active_sessions: row.try_get("active_sessions")?,
            pending_requests: row.try_get("pending_requests")?,
            pending_deliveries: row.try_get("pending_deliveries")?,
        })
    }

    /// SQLite: its read pool and its one write connection; PostgreSQL: the pool requests
    /// share and the one authorize decisions are written with.
    pub fn pool_connections(&self) -> Vec<PoolConnections> {
        let of = |pool: &'static str, connections: &sqlx::AnyPool| {
            let idle = u32::try_from(connections.num_idle()).unwrap_or(u32::MAX);
            PoolConnections {
                pool,
                in_use: connections.size().saturating_sub(idle),
                idle,
            }
        };
        // On SQLite, `access` is the write pool.
        let [reads, writes] = self.engine.backend().sql().pool_names;
        vec![of(reads, &self.read), of(writes, &self.access)]
    }

    /// Counts the events `head` writes where the server asked (see
    /// [`crate::server::store::Store::count_audit_events`]).
    pub(super) fn count_events_of(&self, head: &mut ChainHead) {
        head.count_on(self.audit_events.get());
    }

    /// The store a change made in `mode` runs on: the events of a dry run, rolled back, are
    /// not counted.
    pub(super) fn counting_for(&self, mode: WriteMode) -> Cow<'_, Store> {
        match mode {
            WriteMode::Commit => Cow::Borrowed(self),
            WriteMode::DryRun => Cow::Owned(Store {
                audit_events: Arc::default(),
                ..self.clone()
            }),
        }
    }

    /// [`Store::count_events_of`] for an org just locked.
    pub(super) fn counting(&self, mut org: OrgRow) -> OrgRow {
        self.count_events_of(&mut org.head);
        org
    }
}
