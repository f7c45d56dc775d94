//! Work on every chain at once, beside or instead of a server: verifying them all from the
//! database (`server verify`, `server restore`), and recording a restore in each.

use jiff::Timestamp;
use serde_json::json;

use super::Store;
use super::vendor::record_vendor_event;
use crate::api::chain::{ChainBreak, ChainVerifier};
use crate::api::checkpoint::ChainId;
use crate::api::{AuditEvent, Page};
use crate::server::store::values::{AuditFilter, Principal, StoreError, StoreResult};

/// Events read per query while verifying.
const VERIFY_PAGE: i64 = 1000;

/// What verifying one chain found.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    pub chain: ChainId,
    /// Events that verified, from seq 1.
    pub events: usize,
    /// The head `(seq, hash)` the database keeps for the chain.
    pub head: (i64, String),
    /// Where the chain stops holding, if it does.
    pub broken: Option<ChainBreak>,
}

impl Store {
    /// Every chain: each org's, oldest first, then the vendor's.
    pub async fn chains(&self) -> StoreResult<Vec<ChainId>> {
        let orgs: Vec<String> = sqlx::query_scalar("SELECT slug FROM orgs ORDER BY pk")
            .fetch_all(&self.read)
            .await?;
        let mut chains: Vec<ChainId> = orgs.into_iter().map(ChainId::Org).collect();
        chains.push(ChainId::Vendor);
        Ok(chains)
    }

    /// Verifies `chain` from its first event to the head the database keeps for it, with the
    /// same verifier the client uses on the API's events.
    pub async fn verify_chain(&self, chain: &ChainId) -> StoreResult<ChainCheck> {
        let head = self
            .audit_head(chain)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no {chain}")))?;
        let mut verifier = ChainVerifier::default();
        let mut after_seq = 0;
        let mut broken = None;
        'pages: loop {
            let filter = AuditFilter {
                after_seq: Some(after_seq),
                limit: VERIFY_PAGE,
                ..AuditFilter::default()
            };
            let page: Page<AuditEvent> = match chain {
                ChainId::Org(org) => self.list_audit(org, &filter).await?,
                ChainId::Vendor => self.list_vendor_audit(&filter).await?,
            };
            for event in &page.items {
                let value = serde_json::to_value(event)
                    .map_err(|e| StoreError::Database(format!("event as JSON: {e}")))?;
                if let Err(found) = verifier.push(&value) {
                    broken = Some(found);
                    break 'pages;
                }
                after_seq = event.seq;
            }
            if page.next_cursor.is_none() {
                break;
            }
        }
        let summary = verifier.summary();
        if broken.is_none() && (summary.last_seq, summary.last_hash.as_str()) != (head.0, &head.1) {
            // The newest events are gone (or the head was moved): the chain holds up to its
            // last event, and the first one missing is the break.
            broken = Some(ChainBreak {
                index: summary.events,
                seq: Some(summary.last_seq + 1),
                problem: format!(
                    "the chain's head is seq {} but its events end at seq {} (events missing)",
                    head.0, summary.last_seq
                ),
            });
        }
        Ok(ChainCheck {
            chain: chain.clone(),
            events: summary.events,
            head,
            broken,
        })
    }

    /// Appends `audit.restored` with `from_backup_at` to every chain (each org's and the
    /// vendor's), in one transaction, as the system: a checkpoint taken after the backup no
    /// longer matches, and the chain says why.
    pub async fn record_restored(
        &self,
        from_backup_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<usize> {
        // The store keeps whole seconds: an event hashed with more would not verify once read.
        let whole = |at: Timestamp| Timestamp::from_second(at.as_second()).unwrap_or(at);
        let now = whole(now);
        let details = json!({ "from_backup_at": whole(from_backup_at).to_string() });
        let actor = Principal::system();
        let mut tx = self.begin_write().await?;
        let orgs: Vec<String> = sqlx::query_scalar("SELECT slug FROM orgs ORDER BY pk")
            .fetch_all(&mut *tx)
            .await?;
        for slug in &orgs {
            let mut org = self.lock_existing_org(&mut tx, slug).await?;
            org.head
                .record(now, &actor, "audit.restored", None, details.clone())?;
            org.head.save(&mut tx).await?;
        }
        record_vendor_event(self, &mut tx, now, &actor, "audit.restored", None, details).await?;
        tx.commit().await?;
        Ok(orgs.len() + 1)
    }
}
