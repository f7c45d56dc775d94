//! Reading an org's audit log, and recording the expiries nobody caused directly.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use super::rows::audit_from_row;
use super::{ListQuery, Store};
use crate::api::{AuditEvent, Page};
use crate::server::store::values::{AuditFilter, Principal, StoreResult, SweepReport};

/// Expiries recorded per sweep and org transaction.
const SWEEP_BATCH: i64 = 1000;

impl Store {
    pub async fn list_audit(
        &self,
        org: &str,
        filter: &AuditFilter,
    ) -> StoreResult<Page<AuditEvent>> {
        let org_pk = self.org_pk(org).await?;
        let query = audit_page_query("audit_events", Some(org_pk), filter);
        self.fetch_page(query, filter.limit, |row| {
            let event = audit_from_row(row, org)?;
            Ok((event.seq, event))
        })
        .await
    }

    /// Writes `grant.expired`, `session.expired` and `request.expired` events for expiries not
    /// yet recorded, and deletes the sign-ins that ended long ago.
    pub async fn sweep_expired(&self, now: Timestamp) -> StoreResult<SweepReport> {
        let mut report = self.sweep_grants_and_sessions(now).await?;
        report.requests_expired = self.sweep_requests(now).await?;
        self.sign_ins().delete_ended_flows(now).await?;
        Ok(report)
    }

    async fn sweep_grants_and_sessions(&self, now: Timestamp) -> StoreResult<SweepReport> {
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

/// A value bound to an audit list's query.
enum AuditBind {
    Int(i64),
    Text(String),
}

/// The query of one page of `table` (an org's events when `org_pk` is given, else the vendor
/// chain's) and its values: each filter is an equality or range that one of the table's
/// indexes serves, and the page runs along `seq` either way.
pub(super) fn audit_page_query(
    table: &str,
    org_pk: Option<i64>,
    filter: &AuditFilter,
) -> ListQuery {
    let mut conditions = Vec::new();
    let mut binds = Vec::new();
    let mut condition = |sql: &str, bind: AuditBind| {
        binds.push(bind);
        conditions.push(format!("{sql} ${}", binds.len()));
    };
    if let Some(org_pk) = org_pk {
        condition("org_pk =", AuditBind::Int(org_pk));
    }
    let text_filters = [
        ("action =", &filter.action),
        ("grant_id =", &filter.grant),
        ("session_id =", &filter.session),
        ("request_id =", &filter.request),
        ("actor_email =", &filter.actor),
    ];
    for (sql, value) in text_filters {
        if let Some(value) = value {
            condition(sql, AuditBind::Text(value.clone()));
        }
    }
    if let Some(after_seq) = filter.after_seq {
        condition("seq >", AuditBind::Int(after_seq));
    }
    if let Some(before_seq) = filter.before_seq {
        condition("seq <", AuditBind::Int(before_seq));
    }
    // A chain's times never go back (see `ChainHead::record`), so the first event at or after
    // a time, found through the time index, bounds `seq` too: the page then runs along `seq`
    // from there rather than through the log.
    let of_org = if org_pk.is_some() {
        "org_pk = $1 AND "
    } else {
        ""
    };
    let first_at = |n: usize| {
        format!("(SELECT seq FROM {table} WHERE {of_org}at >= ${n} ORDER BY at, seq LIMIT 1)")
    };
    if let Some(since) = filter.since {
        binds.push(AuditBind::Int(since.as_second()));
        let n = binds.len();
        // None at or after `since`: NULL, and no event matches.
        conditions.push(format!("at >= ${n} AND seq >= {}", first_at(n)));
    }
    if let Some(until) = filter.until {
        binds.push(AuditBind::Int(until.as_second()));
        let n = binds.len();
        conditions.push(format!(
            "at < ${n} AND seq < COALESCE({}, {})",
            first_at(n),
            i64::MAX
        ));
    }
    let direction = if filter.descending { "DESC" } else { "ASC" };
    binds.push(AuditBind::Int(filter.limit + 1));
    let sql = format!(
        "SELECT seq, id, at, actor_id, actor_email, actor_role, action, target, details, \
         prev_hash, hash FROM {table} WHERE {} ORDER BY seq {direction} LIMIT ${}",
        if conditions.is_empty() {
            "TRUE".to_owned()
        } else {
            conditions.join(" AND ")
        },
        binds.len()
    );
    binds
        .into_iter()
        .fold(sqlx::query(AssertSqlSafe(sql)), |query, bind| match bind {
            AuditBind::Int(value) => query.bind(value),
            AuditBind::Text(value) => query.bind(value),
        })
}
