//! Reading an org's audit log, and recording the expiries nobody caused directly.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use super::SqlStore;
use super::rows::audit_from_row;
use crate::api::{AuditEvent, Page};
use crate::server::store::{AuditFilter, Principal, StoreResult, SweepReport};

/// Expiries recorded per sweep and org transaction.
const SWEEP_BATCH: i64 = 1000;

impl SqlStore {
    pub(super) async fn list_audit(
        &self,
        org: &str,
        filter: &AuditFilter,
    ) -> StoreResult<Page<AuditEvent>> {
        let org_pk = self.org_pk(org).await?;
        let action_sql = if filter.action.is_some() {
            "AND action = $5"
        } else {
            "AND $5 = $5"
        };
        let sql = format!(
            "SELECT seq, id, at, actor_id, actor_email, actor_role, action, target, details, \
             prev_hash, hash FROM audit_events WHERE org_pk = $1 AND seq > $2 \
             AND at >= $3 AND at < $4 {action_sql} ORDER BY seq LIMIT $6"
        );
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(filter.after_seq.unwrap_or(0))
            .bind(filter.since.map_or(i64::MIN, Timestamp::as_second))
            .bind(filter.until.map_or(i64::MAX, Timestamp::as_second))
            .bind(filter.action.clone().unwrap_or_default())
            .bind(filter.limit + 1);
        self.fetch_page(query, filter.limit, |row| {
            let event = audit_from_row(row, org)?;
            Ok((event.seq, event))
        })
        .await
    }

    pub(super) async fn sweep_expired(&self, now: Timestamp) -> StoreResult<SweepReport> {
        let mut report = SweepReport::default();
        let grants = sqlx::query(
            "SELECT org_pk, pk, id, expires_at FROM grants WHERE revoked_at IS NULL \
             AND expiry_recorded = 0 AND expires_at <= $1 ORDER BY org_pk, pk LIMIT $2",
        )
        .bind(now.as_second())
        .bind(SWEEP_BATCH)
        .fetch_all(&self.read)
        .await?;
        let sessions = sqlx::query(
            "SELECT s.org_pk, s.pk, s.id, s.expires_at FROM sessions s \
             JOIN grants g ON g.pk = s.grant_pk WHERE s.closed_at IS NULL \
             AND s.expiry_recorded = 0 AND s.expires_at <= $1 \
             AND (g.revoked_at IS NULL OR g.revoked_at >= s.expires_at) \
             ORDER BY s.org_pk, s.pk LIMIT $2",
        )
        .bind(now.as_second())
        .bind(SWEEP_BATCH)
        .fetch_all(&self.read)
        .await?;
        type Expiries = Vec<(i64, String, i64)>;
        let mut by_org: BTreeMap<i64, (Expiries, Expiries)> = BTreeMap::new();
        for row in &grants {
            let entry = by_org.entry(row.try_get(0)?).or_default();
            entry
                .0
                .push((row.try_get(1)?, row.try_get(2)?, row.try_get(3)?));
        }
        for row in &sessions {
            let entry = by_org.entry(row.try_get(0)?).or_default();
            entry
                .1
                .push((row.try_get(1)?, row.try_get(2)?, row.try_get(3)?));
        }
        let system = Principal::system();
        for (org_pk, (grants, sessions)) in by_org {
            let mut tx = self.begin_write().await?;
            let mut org = self.lock_org_pk(&mut tx, org_pk).await?;
            for (table, action, items, count) in [
                (
                    "grants",
                    "grant.expired",
                    &grants,
                    &mut report.grants_expired,
                ),
                (
                    "sessions",
                    "session.expired",
                    &sessions,
                    &mut report.sessions_expired,
                ),
            ] {
                for (pk, id, expires_at) in items {
                    // Conditional, so that a replica sweeping concurrently records it once.
                    let sql = format!(
                        "UPDATE {table} SET expiry_recorded = 1 WHERE pk = $1 AND expiry_recorded = 0"
                    );
                    let updated = sqlx::query(AssertSqlSafe(sql))
                        .bind(*pk)
                        .execute(&mut *tx)
                        .await?;
                    if updated.rows_affected() == 1 {
                        org.head.record(
                            now,
                            &system,
                            action,
                            Some(id),
                            json!({ "expires_at": Timestamp::from_second(*expires_at).ok() }),
                        )?;
                        *count += 1;
                    }
                }
            }
            org.head.save(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(report)
    }
}
