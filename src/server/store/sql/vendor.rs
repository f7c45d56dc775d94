//! The vendor's own audit chain, chain heads for checkpoints, and the stored signing key.
//!
//! The vendor chain records events about accounts that belong to no org (support engineers,
//! services, operators) and about orgs themselves, in the same event format and hash chain as
//! an org's log. It is kept beside the org chains rather than as a pretend org: its head is the
//! single row of `vendor_audit_head` (writers serialize on it, locked after any org row, so that
//! lock order stays orgs first), its events are in `vendor_audit_events`, and their `org` is the
//! empty string, which no org's slug can be.

use jiff::Timestamp;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use super::super::chain::ChainHead;
use super::columns::VENDOR_HEAD_SQLITE;
use super::rows::audit_from_row;
use super::{Store, paginate};
use crate::api::checkpoint::ChainId;
use crate::api::{AuditEvent, Page};
use crate::server::store::values::{AuditFilter, Principal, StoreError, StoreResult};

/// The `org` of every vendor chain event.
pub const VENDOR_ORG: &str = "";

/// Records one event in the vendor chain, in the caller's write transaction. Call it after
/// locking any org rows the transaction needs.
pub(super) async fn record_vendor_event(
    store: &Store,
    tx: &mut AnyConnection,
    at: Timestamp,
    actor: &Principal,
    action: &str,
    target: Option<&str>,
    details: Value,
) -> StoreResult<()> {
    let backend = store.engine.backend();
    let row = sqlx::query(backend.sql().vendor_head)
        .fetch_one(&mut *tx)
        .await?;
    let last_at = row
        .try_get::<Option<i64>, _>(2)?
        .map(Timestamp::from_second)
        .transpose()
        .map_err(|e| StoreError::Database(format!("bad event time: {e}")))?;
    let mut head = ChainHead::vendor(
        backend,
        (row.try_get(0)?, row.try_get(1)?),
        last_at,
        (row.try_get(3)?, row.try_get(4)?),
    );
    store.count_events_of(&mut head);
    head.record(at, actor, action, target, details)?;
    head.save(tx).await
}

impl Store {
    /// The vendor chain's events, filtered like an org's.
    pub async fn list_vendor_audit(&self, filter: &AuditFilter) -> StoreResult<Page<AuditEvent>> {
        // The vendor chain's events are about accounts and orgs, never a grant, session or
        // access request.
        if filter.grant.is_some() || filter.session.is_some() || filter.request.is_some() {
            return Ok(paginate(Vec::new(), filter.limit));
        }
        let rows = super::audit::audit_page_query("vendor_audit_events", None, filter)
            .fetch_all(&self.read)
            .await?;
        let items = rows
            .iter()
            .map(|row| {
                let event = audit_from_row(row, VENDOR_ORG)?;
                Ok((event.seq, event))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(items, filter.limit))
    }

    /// The committed head `(seq, hash)` of a chain; `None` for an org that does not exist.
    pub async fn audit_head(&self, chain: &ChainId) -> StoreResult<Option<(i64, String)>> {
        let store = self;
        let row = match chain {
            ChainId::Org(slug) => {
                sqlx::query("SELECT audit_seq, audit_hash FROM orgs WHERE slug = $1")
                    .bind(slug.as_str())
                    .fetch_optional(&store.read)
                    .await?
            }
            ChainId::Vendor => Some(
                sqlx::query(VENDOR_HEAD_SQLITE)
                    .fetch_one(&store.read)
                    .await?,
            ),
        };
        row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .transpose()
    }

    /// Keeps `candidate` as the signing key unless one is stored already, and returns the stored
    /// one: replicas starting at once each offer a key, and all end up with the first.
    pub async fn signing_key(&self, candidate: &str, now: Timestamp) -> StoreResult<String> {
        let store = self;
        let _waiting = self.wait_for_write();
        sqlx::query(
            "INSERT INTO signing_key (id, signer_key, created_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
        )
        .bind(candidate)
        .bind(now.as_second())
        .execute(&store.write)
        .await?;
        sqlx::query_scalar("SELECT signer_key FROM signing_key WHERE id = 1")
            .fetch_optional(&store.write)
            .await?
            .ok_or_else(|| StoreError::Database("the signing key row vanished".into()))
    }
}
