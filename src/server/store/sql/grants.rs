//! Grants: an org's time-boxed permission for support engineers to open sessions.

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::super::chain::ChainHead;
use super::columns::{GRANT_COLUMNS, GRANT_FROM, GRANT_SELECT};
use super::rows::{GrantRow, areas_text, grant_row};
use super::{ID_CHUNK, ListQuery, Store};
use crate::api::{BulkRevokeResult, Grant, GrantStatus, GrantStatusFilter, Page};
use crate::server::domain::grant_status;
use crate::server::domain::policy::Effective;
use crate::server::domain::requests::{approvals_needed, check_approved_lifetime, granted_scope};
use crate::server::ids;
use crate::server::store::values::{
    GrantScope, NewGrant, PageRequest, Principal, RevokeSelection, StoreError, StoreResult,
    WriteMode,
};

/// A break-glass grant no org admin has acknowledged or disputed yet (the condition of the
/// partial index `grants_unacknowledged`).
const UNACKNOWLEDGED: &str = "g.break_glass = 1 AND g.review IS NULL";
/// Added to the keys of an org list's first part, its unacknowledged break-glass grants.
const FIRST_PART: i64 = 1 << 62;

/// What `grant.created` records about a grant.
pub(super) fn grant_created_details(grant: &Grant) -> serde_json::Value {
    let mut details = json!({
        "level": grant.level,
        "areas": grant.areas,
        "engineers": grant.engineers,
        "expires_at": grant.expires_at,
        "reason": grant.reason,
        "ticket": grant.ticket,
    });
    if let Some(request_id) = &grant.request_id {
        details["request_id"] = json!(request_id);
    }
    if let Some(rule) = &grant.approval_rule {
        details["approval_rule"] = json!(rule);
    }
    details
}

/// A store's grants: `store.grants().revoke(…)`.
pub struct Grants<'a>(&'a Store);

impl Store {
    pub fn grants(&self) -> Grants<'_> {
        Grants(self)
    }

    pub(super) async fn grant_in_org(
        &self,
        conn: &mut AnyConnection,
        org_pk: i64,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<GrantRow>> {
        let sql = format!("{GRANT_SELECT} WHERE g.org_pk = $1 AND g.id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|row| grant_row(&row, now)).transpose()
    }

    /// Writes a new grant's rows (the caller records `grant.created`).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn insert_grant(
        &self,
        tx: &mut AnyConnection,
        org_pk: i64,
        org_slug: &str,
        actor: &Principal,
        grant: &NewGrant,
        request_id: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Grant> {
        let engineer_pks = self.engineer_pks(&mut *tx, &grant.engineers).await?;
        let id = ids::new_id(ids::GRANT);
        let created_by = match &grant.approval_rule {
            Some(rule) => format!("rule:{rule}"),
            None => actor.email.clone(),
        };
        let grant_pk: i64 = sqlx::query_scalar(
            "INSERT INTO grants (id, org_pk, level, areas, engineers, all_engineers, reason, \
             ticket, created_by, created_at, expires_at, request_id, approval_rule) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING pk",
        )
        .bind(&id)
        .bind(org_pk)
        .bind(grant.level.to_string())
        .bind(areas_text(&grant.areas))
        .bind(serde_json::to_string(&grant.engineers).unwrap_or_default())
        .bind(i64::from(grant.engineers.is_empty()))
        .bind(&grant.reason)
        .bind(&grant.ticket)
        .bind(&created_by)
        .bind(now.as_second())
        .bind(grant.expires_at.as_second())
        .bind(request_id)
        .bind(&grant.approval_rule)
        .fetch_one(&mut *tx)
        .await?;
        for engineer_pk in engineer_pks {
            sqlx::query(
                "INSERT INTO grant_engineers (grant_pk, account_pk) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(grant_pk)
            .bind(engineer_pk)
            .execute(&mut *tx)
            .await?;
        }
        Ok(Grant {
            id,
            org: org_slug.to_owned(),
            level: grant.level,
            areas: grant.areas.clone(),
            engineers: grant.engineers.clone(),
            reason: grant.reason.clone(),
            ticket: grant.ticket.clone(),
            created_by,
            created_at: now,
            expires_at: grant.expires_at,
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
            request_id: request_id.map(str::to_owned),
            approval_rule: grant.approval_rule.clone(),
            status: grant_status(grant.expires_at, None, now),
            break_glass: false,
            acknowledged: None,
            review: None,
        })
    }

    /// Revokes the given active grants `(pk, id)` of the org of `head` and ends their
    /// sessions, recording `grant.revoked` for each (with `ticket` when a ticket's closing
    /// revokes them); returns how many sessions ended. The caller saves the head and commits
    /// with [`Store::finish_ending_access`].
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn revoke_selected(
        &self,
        tx: &mut AnyConnection,
        head: &mut ChainHead,
        actor: &Principal,
        to_revoke: &[(i64, String)],
        reason: Option<&str>,
        ticket: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<i64> {
        let sessions_per_grant: HashMap<i64, i64> = if to_revoke.is_empty() {
            HashMap::new()
        } else {
            let rows = sqlx::query(
                "SELECT grant_pk, COUNT(*) FROM sessions WHERE org_pk = $1 \
                 AND closed_at IS NULL AND expires_at > $2 GROUP BY grant_pk",
            )
            .bind(head.org_pk)
            .bind(now.as_second())
            .fetch_all(&mut *tx)
            .await?;
            rows.iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect::<StoreResult<_>>()?
        };
        for chunk in to_revoke.chunks(ID_CHUNK) {
            let sql = format!(
                "UPDATE grants SET revoked_at = {}, revoked_by = {}, revoke_reason = {} \
                 WHERE pk IN ({})",
                self.engine.backend().params(1, 1),
                self.engine.backend().params(2, 1),
                self.engine.backend().params(3, 1),
                self.engine.backend().params(4, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .bind(now.as_second())
                .bind(&actor.email)
                .bind(reason);
            for (pk, _) in chunk {
                query = query.bind(*pk);
            }
            query.execute(&mut *tx).await?;
            // The revocation is the recorded end of the sessions it cuts short: the sweeper has
            // nothing to add for them. Sessions that had already expired (but were not swept
            // yet) ended by expiry, and the sweeper must still record that.
            let sql = format!(
                "UPDATE sessions SET expiry_recorded = 1 WHERE closed_at IS NULL \
                 AND expiry_recorded = 0 AND expires_at > {} AND grant_pk IN ({})",
                self.engine.backend().params(1, 1),
                self.engine.backend().params(2, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(now.as_second());
            for (pk, _) in chunk {
                query = query.bind(*pk);
            }
            query.execute(&mut *tx).await?;
        }
        for (pk, id) in to_revoke {
            let mut details = json!({
                "reason": reason,
                "sessions_ended": sessions_per_grant.get(pk).copied().unwrap_or(0),
            });
            if let Some(ticket) = ticket {
                details["ticket"] = json!(ticket);
            }
            head.record(now, actor, "grant.revoked", Some(id), details)?;
        }
        Ok(to_revoke
            .iter()
            .map(|(pk, _)| sessions_per_grant.get(pk).copied().unwrap_or(0))
            .sum())
    }
}

impl Grants<'_> {
    pub async fn create(
        &self,
        actor: &Principal,
        org: &str,
        grant: &NewGrant,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<Grant> {
        let store = self.0.counting_for(mode);
        Grants(&store)
            .create_counted(actor, org, grant, now, mode)
            .await
    }

    /// [`Grants::create`], with its audit events counted by this store.
    async fn create_counted(
        &self,
        actor: &Principal,
        org_slug: &str,
        grant: &NewGrant,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<Grant> {
        let mut tx = self.0.begin_write().await?;
        let mut org = self.0.lock_enabled_org(&mut tx, org_slug).await?;
        self.0
            .require_policy_version(&mut tx, org.pk, grant.policy_version)
            .await?;
        let created = self
            .0
            .insert_grant(&mut tx, org.pk, org_slug, actor, grant, None, now)
            .await?;
        org.head.record(
            now,
            actor,
            "grant.created",
            Some(&created.id),
            grant_created_details(&created),
        )?;
        org.head.save(&mut tx).await?;
        self.0.finish(tx, mode).await?;
        Ok(created)
    }

    pub async fn list(
        &self,
        scope: GrantScope<'_>,
        status: GrantStatusFilter,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<Grant>> {
        let status_sql = match status {
            GrantStatusFilter::Active => "AND g.revoked_at IS NULL AND g.expires_at > $2",
            GrantStatusFilter::Expired => "AND g.revoked_at IS NULL AND g.expires_at <= $2",
            GrantStatusFilter::Revoked => "AND g.revoked_at IS NOT NULL AND $2 = $2",
            GrantStatusFilter::All => "AND $2 = $2",
        };
        let (scope_sql, scope_value): (&str, i64) = match scope {
            GrantScope::Org(slug) => {
                let org_pk = self.0.org_pk(slug).await?;
                return self.list_org(org_pk, status_sql, page, now).await;
            }
            GrantScope::UsableBy(engineer) => (
                "o.disabled_at IS NULL AND (g.all_engineers = 1 OR EXISTS (SELECT 1 FROM \
                 grant_engineers ge WHERE ge.grant_pk = g.pk AND ge.account_pk = $1))",
                engineer.pk,
            ),
        };
        let sql = format!(
            "{GRANT_SELECT} WHERE {scope_sql} {status_sql} AND g.pk < $3 ORDER BY g.pk DESC LIMIT $4"
        );
        let bind = |query: ListQuery, after: Option<i64>, limit: i64| {
            query
                .bind(scope_value)
                .bind(now.as_second())
                .bind(after.unwrap_or(i64::MAX))
                .bind(limit)
        };
        self.0
            .fetch_list(sql, bind, page, |row| {
                let grant = grant_row(row, now)?;
                Ok((grant.pk, grant.grant))
            })
            .await
    }

    /// An org's grants: its unacknowledged break-glass grants first, then the others, each
    /// part newest first. One keyset orders both: a grant of the first part has its pk plus
    /// [`FIRST_PART`] as its key, so that every cursor of the first part is above every pk.
    async fn list_org(
        &self,
        org_pk: i64,
        status_sql: &str,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<Grant>> {
        let sql = format!(
            "SELECT * FROM (SELECT {GRANT_COLUMNS}, g.pk + {FIRST_PART} AS sort_key {GRANT_FROM} \
             WHERE g.org_pk = $1 {status_sql} AND {UNACKNOWLEDGED} AND g.pk + {FIRST_PART} < $3 \
             ORDER BY g.pk DESC LIMIT $4) AS unacknowledged \
             UNION ALL SELECT * FROM (SELECT {GRANT_COLUMNS}, g.pk AS sort_key {GRANT_FROM} \
             WHERE g.org_pk = $1 {status_sql} AND NOT ({UNACKNOWLEDGED}) AND g.pk < $3 \
             ORDER BY g.pk DESC LIMIT $4) AS others ORDER BY sort_key DESC LIMIT $4"
        );
        let bind = |query: ListQuery, after: Option<i64>, limit: i64| {
            query
                .bind(org_pk)
                .bind(now.as_second())
                .bind(after.unwrap_or(i64::MAX))
                .bind(limit)
        };
        self.0
            .fetch_list(sql, bind, page, |row| {
                let grant = grant_row(row, now)?;
                Ok((row.try_get("sort_key")?, grant.grant))
            })
            .await
    }

    pub async fn get(&self, org: &str, id: &str, now: Timestamp) -> StoreResult<Option<Grant>> {
        let sql = format!("{GRANT_SELECT} WHERE o.slug = $1 AND g.id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org)
            .bind(id)
            .fetch_optional(&self.0.read)
            .await?;
        row.map(|row| Ok(grant_row(&row, now)?.grant)).transpose()
    }

    /// Moves an active grant's expiry `by_seconds` later, checked against the org's policy now:
    /// its maximum duration, the grant's level, areas and ticket, and who may extend it (see
    /// [`Grants::check_extend_allowed`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn extend(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        by_seconds: i64,
        policy: &Effective,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<Grant> {
        let store = self.0.counting_for(mode);
        Grants(&store)
            .extend_counted(actor, org, id, by_seconds, policy, now, mode)
            .await
    }

    /// [`Grants::extend`], with its audit events counted by this store.
    #[allow(clippy::too_many_arguments)]
    async fn extend_counted(
        &self,
        actor: &Principal,
        org_slug: &str,
        id: &str,
        by_seconds: i64,
        policy: &Effective,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<Grant> {
        let latest = Timestamp::from_second(now.as_second().saturating_add(policy.max_grant))
            .map_err(|_| StoreError::Invalid("expiry out of range".into()))?;
        let mut tx = self.0.begin_write().await?;
        let mut org = self.0.lock_existing_org(&mut tx, org_slug).await?;
        self.0
            .require_policy_version(&mut tx, org.pk, policy.version)
            .await?;
        let mut row = self
            .0
            .grant_in_org(&mut tx, org.pk, id, now)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no grant '{id}' in org '{org_slug}'")))?;
        match row.grant.status {
            GrantStatus::Active => {}
            GrantStatus::Revoked => {
                return Err(StoreError::Conflict(format!(
                    "grant '{id}' is revoked; create a new grant instead"
                )));
            }
            GrantStatus::Expired => {
                return Err(StoreError::Conflict(format!(
                    "grant '{id}' has expired; create a new grant instead"
                )));
            }
        }
        let previous = row.grant.expires_at;
        let extended = Timestamp::from_second(previous.as_second().saturating_add(by_seconds))
            .map_err(|_| StoreError::Invalid("duration out of range".into()))?;
        if extended > latest {
            return Err(StoreError::Policy(format!(
                "extending by {by_seconds}s would end the grant at {extended}, past the latest \
                 allowed expiry {latest} (now + the maximum grant duration of the org's policy or the \
                 server, whichever is shorter)"
            )));
        }
        self.check_extend_allowed(&mut tx, org.pk, &row.grant, extended, policy, now)
            .await?;
        sqlx::query("UPDATE grants SET expires_at = $1 WHERE pk = $2")
            .bind(extended.as_second())
            .bind(row.pk)
            .execute(&mut *tx)
            .await?;
        org.head.record(
            now,
            actor,
            "grant.extended",
            Some(id),
            json!({
                "previous_expires_at": previous,
                "expires_at": extended,
                "by_seconds": by_seconds,
            }),
        )?;
        org.head.save(&mut tx).await?;
        self.0.finish_ending_access(tx, mode).await?;
        row.grant.expires_at = extended;
        Ok(row.grant)
    }

    /// Why `grant` may not be extended to `extended` under the org's policy now: a level, area
    /// or missing ticket the policy no longer allows; a grant no request made while
    /// `direct_grants` is off (extending it is granting alone); or, for a grant several admins
    /// approved, a lifetime past the duration they approved.
    async fn check_extend_allowed(
        &self,
        tx: &mut AnyConnection,
        org_pk: i64,
        grant: &Grant,
        extended: Timestamp,
        policy: &Effective,
        now: Timestamp,
    ) -> StoreResult<()> {
        policy
            .check_scope(grant.level, &grant.areas, grant.ticket.as_deref())
            .map_err(StoreError::Policy)?;
        let Some(request_id) = &grant.request_id else {
            return if policy.direct_grants {
                Ok(())
            } else {
                Err(StoreError::Policy(format!(
                    "the org's policy (direct_grants: false) lets no admin extend grant '{}' \
                     alone: it was granted directly, not by approving a request",
                    grant.id
                )))
            };
        };
        let (_, record) = self
            .0
            .request_where(tx, "r.org_pk = $1 AND r.id = $2", org_pk, request_id, now)
            .await?
            .ok_or_else(|| {
                StoreError::Database(format!("grant '{}' names no request", grant.id))
            })?;
        let request = record.request;
        let approvals = approvals_needed(
            request.approvals_required,
            &policy.approvals_required,
            request.level,
            grant.level,
        );
        if approvals < 2 {
            // One admin could approve the same again: one admin may extend it.
            return Ok(());
        }
        let (_, _, approved_seconds) =
            granted_scope(&request, &request.approvals).map_err(StoreError::Database)?;
        check_approved_lifetime(
            &grant.id,
            grant.created_at,
            extended,
            approved_seconds,
            approvals,
        )
        .map_err(StoreError::PolicyConflict)
    }

    /// Revokes in one transaction; inactive grants are left as they are.
    pub async fn revoke(
        &self,
        actor: &Principal,
        org: &str,
        selection: &RevokeSelection,
        reason: Option<&str>,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<BulkRevokeResult> {
        let store = self.0.counting_for(mode);
        Grants(&store)
            .revoke_counted(actor, org, selection, reason, now, mode)
            .await
    }

    /// [`Grants::revoke`], with its audit events counted by this store.
    async fn revoke_counted(
        &self,
        actor: &Principal,
        org_slug: &str,
        selection: &RevokeSelection,
        reason: Option<&str>,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<BulkRevokeResult> {
        let mut tx = self.0.begin_write().await?;
        let mut org = self.0.lock_existing_org(&mut tx, org_slug).await?;
        let mut result = BulkRevokeResult::default();
        // (pk, id) of the grants this call revokes, in the order asked.
        let mut to_revoke: Vec<(i64, String)> = Vec::new();
        match selection {
            RevokeSelection::AllActive => {
                let rows = sqlx::query(
                    "SELECT pk, id FROM grants WHERE org_pk = $1 AND revoked_at IS NULL \
                     AND expires_at > $2 ORDER BY pk",
                )
                .bind(org.pk)
                .bind(now.as_second())
                .fetch_all(&mut *tx)
                .await?;
                for row in rows {
                    to_revoke.push((row.try_get(0)?, row.try_get(1)?));
                }
            }
            RevokeSelection::Ids(requested) => {
                let mut seen = BTreeSet::new();
                let unique: Vec<&String> = requested
                    .iter()
                    .filter(|id| seen.insert(id.as_str()))
                    .collect();
                let mut found: HashMap<String, (i64, bool)> = HashMap::new();
                for chunk in unique.chunks(ID_CHUNK) {
                    let sql = format!(
                        "SELECT pk, id, revoked_at, expires_at FROM grants \
                         WHERE org_pk = {} AND id IN ({})",
                        self.0.engine.backend().params(1, 1),
                        self.0.engine.backend().params(2, chunk.len())
                    );
                    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(org.pk);
                    for id in chunk {
                        query = query.bind(id.as_str());
                    }
                    for row in query.fetch_all(&mut *tx).await? {
                        let revoked: Option<i64> = row.try_get(2)?;
                        let expires: i64 = row.try_get(3)?;
                        let active = revoked.is_none() && expires > now.as_second();
                        found.insert(row.try_get(1)?, (row.try_get(0)?, active));
                    }
                }
                for id in unique {
                    match found.get(id.as_str()) {
                        None => result.not_found.push(id.clone()),
                        Some((_, false)) => result.already_inactive.push(id.clone()),
                        Some((pk, true)) => to_revoke.push((*pk, id.clone())),
                    }
                }
            }
        }
        result.sessions_ended = self
            .0
            .revoke_selected(&mut tx, &mut org.head, actor, &to_revoke, reason, None, now)
            .await?;
        org.head.save(&mut tx).await?;
        self.0.finish_ending_access(tx, mode).await?;
        result.revoked = to_revoke.into_iter().map(|(_, id)| id).collect();
        Ok(result)
    }
}
