//! Access requests: filed by support engineers, approved (possibly by several admins) or denied
//! by the org's admins, cancelled by their requester, lapsed by the sweeper. Every change holds
//! the org's lock and records its event in the same transaction; the approval that completes a
//! request creates its grant in that transaction too.

use jiff::Timestamp;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::super::notify::CHANNEL;
use super::grants::grant_created_details;
use super::rows::OrgRow;
use super::rows::{areas_text, opt_ts, parse_areas, parse_wire, ts};
use super::{ListQuery, Store};
use crate::api::{
    AccessRequest, Approval, ApprovalRule, EnabledStatus, Level, Page, RequestStatus,
    RequestStatusFilter,
};
use crate::server::domain::requests::{
    MAX_PENDING_PER_ENGINEER, approvals_needed, counted_approvals, granted_scope, not_pending,
    request_status, takes_no_requests,
};
use crate::server::domain::rules::Asked;
use crate::server::ids;
use crate::server::store::values::{
    ApprovalAsk, NewGrant, NewRequest, PageRequest, Principal, RequestRecord, RequestScope,
    StoreError, StoreResult, WriteMode,
};

const REQUEST_SELECT: &str = "SELECT r.pk, r.id, o.slug AS org, a.email AS requester, \
     r.requester_pk, r.level, r.areas, r.duration_seconds, r.reason, r.ticket, r.created_at, \
     r.expires_at, r.approvals_required, r.approvals, r.decision, r.decided_at, r.decided_by, \
     r.decision_comment, r.grant_id, r.approval_rule, r.break_glass FROM access_requests r \
     JOIN orgs o ON o.pk = r.org_pk \
     JOIN accounts a ON a.pk = r.requester_pk";

/// Requests still open: undecided, and not recorded as lapsed (a recorded lapse implies
/// `expires_at` has passed, so this only narrows what `expires_at > now` keeps anyway, and
/// lets the partial indexes serve it).
pub(super) const OPEN: &str = "r.decision IS NULL AND r.expiry_recorded = 0";

pub(super) fn request_row(row: &AnyRow, now: Timestamp) -> StoreResult<(i64, RequestRecord)> {
    let decision: Option<String> = row.try_get("decision")?;
    let decision = decision
        .map(|text| parse_wire::<RequestStatus>(&text))
        .transpose()?;
    let expires_at = ts(row.try_get("expires_at")?)?;
    let approvals: String = row.try_get("approvals")?;
    let request = AccessRequest {
        id: row.try_get("id")?,
        org: row.try_get("org")?,
        requester: row.try_get("requester")?,
        level: parse_wire::<Level>(&row.try_get::<String, _>("level")?)?,
        areas: parse_areas(&row.try_get::<String, _>("areas")?)?,
        duration_seconds: row.try_get("duration_seconds")?,
        reason: row.try_get("reason")?,
        ticket: row.try_get("ticket")?,
        status: request_status(decision, expires_at, now),
        created_at: ts(row.try_get("created_at")?)?,
        expires_at,
        approvals_required: row.try_get("approvals_required")?,
        approvals: serde_json::from_str(&approvals)
            .map_err(|e| StoreError::Database(format!("bad approvals: {e}")))?,
        decided_at: opt_ts(row.try_get("decided_at")?)?,
        decided_by: row.try_get("decided_by")?,
        decision_comment: row.try_get("decision_comment")?,
        grant_id: row.try_get("grant_id")?,
        approval_rule: row.try_get("approval_rule")?,
        break_glass: row.try_get::<i64, _>("break_glass")? == 1,
    };
    Ok((
        row.try_get("pk")?,
        RequestRecord {
            request,
            requester_pk: row.try_get("requester_pk")?,
        },
    ))
}

/// A store's access requests: `store.requests().approve(…)`.
pub struct Requests<'a>(pub(super) &'a Store);

impl Store {
    pub fn requests(&self) -> Requests<'_> {
        Requests(self)
    }

    pub(super) async fn request_where(
        &self,
        conn: &mut AnyConnection,
        condition: &str,
        org_pk: i64,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(i64, RequestRecord)>> {
        let sql = format!("{REQUEST_SELECT} WHERE {condition}");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|row| request_row(&row, now)).transpose()
    }

    /// A request of the org, read under the org's lock.
    pub(super) async fn request_in_org(
        &self,
        conn: &mut AnyConnection,
        org_pk: i64,
        org_slug: &str,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<(i64, AccessRequest)> {
        self.request_where(conn, "r.org_pk = $1 AND r.id = $2", org_pk, id, now)
            .await?
            .map(|(pk, record)| (pk, record.request))
            .ok_or_else(|| StoreError::NotFound(format!("no request '{id}' in org '{org_slug}'")))
    }

    /// Announces decisions to every replica's waiters: `NOTIFY` in the transaction (PostgreSQL
    /// delivers it at commit). [`Store::announce`] wakes this process's waiters after it.
    pub(super) async fn notify(&self, tx: &mut AnyConnection, ids: &[String]) -> StoreResult<()> {
        // One process alone tells its own waiters (see `announce`).
        if !self.engine.backend().sql().single_process {
            for id in ids {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Wakes this process's waiters on `ids`; call after the commit, or they re-read too early.
    pub(super) fn announce(&self, ids: &[String]) {
        for id in ids {
            self.events.publish(id);
        }
    }
}

impl Requests<'_> {
    pub async fn create(
        &self,
        engineer: &Principal,
        org_slug: &str,
        new: &NewRequest,
        now: Timestamp,
    ) -> StoreResult<AccessRequest> {
        let mut tx = self.0.begin_write().await?;
        self.0.lock_enabled_engineer(&mut tx, engineer.pk).await?;
        // A missing or disabled org answers like one that takes no requests (see the route).
        let mut org = match self.0.lock_org(&mut tx, org_slug).await? {
            Some(org) if org.org.status == EnabledStatus::Enabled => org,
            _ => return Err(StoreError::NotFound(takes_no_requests(org_slug))),
        };
        self.0
            .require_policy_version(&mut tx, org.pk, new.policy_version)
            .await?;
        // Under the org's lock, which removing a rule takes too: a rule removed meanwhile has
        // either approved this request before its removal committed, or approves nothing.
        // Break-glass requests are for an operator to confirm, never for a rule.
        let rule = if new.approvals_required == 1 && !new.break_glass {
            let asked = Asked {
                requester: &engineer.email,
                level: new.level,
                areas: &new.areas,
                duration_seconds: new.duration_seconds,
                ticket: new.ticket.as_deref(),
            };
            self.0.matching_rule(&mut tx, org.pk, &asked, now).await?
        } else {
            None
        };
        // A request a rule approves adds nothing pending: only one that waits is held to them.
        let areas = areas_text(&new.areas);
        if rule.is_none() {
            let sql = format!(
                "SELECT r.id, r.level, r.areas, r.expires_at, r.break_glass FROM access_requests r \
                 WHERE r.requester_pk = $1 AND r.org_pk = $2 AND {OPEN} AND r.expires_at > $3 \
                 ORDER BY r.pk"
            );
            let pending = sqlx::query(AssertSqlSafe(sql))
                .bind(engineer.pk)
                .bind(org.pk)
                .bind(now.as_second())
                .fetch_all(&mut *tx)
                .await?;
            for row in &pending {
                let level: String = row.try_get(1)?;
                let their_areas: String = row.try_get(2)?;
                let break_glass = row.try_get::<i64, _>(4)? == 1;
                if level == new.level.to_string()
                    && their_areas == areas
                    && break_glass == new.break_glass
                {
                    let id: String = row.try_get(0)?;
                    return Err(StoreError::Conflict(format!(
                        "you already have pending request '{id}' in org '{org_slug}' for level {} \
                         on {}; wait for it, or cancel it first",
                        new.level, areas
                    )));
                }
            }
            if pending.len() as i64 >= MAX_PENDING_PER_ENGINEER {
                return Err(StoreError::Conflict(format!(
                    "you have {} pending requests in org '{org_slug}', the most allowed; cancel one \
                     or wait for a decision",
                    pending.len()
                )));
            }
        }
        let mut request = AccessRequest {
            id: ids::new_id(ids::REQUEST),
            org: org_slug.to_owned(),
            requester: engineer.email.clone(),
            level: new.level,
            areas: new.areas.clone(),
            duration_seconds: new.duration_seconds,
            reason: new.reason.clone(),
            ticket: new.ticket.clone(),
            status: request_status(None, new.expires_at, now),
            created_at: now,
            expires_at: new.expires_at,
            approvals_required: new.approvals_required,
            approvals: Vec::new(),
            decided_at: None,
            decided_by: None,
            decision_comment: None,
            grant_id: None,
            approval_rule: None,
            break_glass: new.break_glass,
        };
        sqlx::query(
            "INSERT INTO access_requests (id, org_pk, requester_pk, level, areas, \
             duration_seconds, reason, ticket, created_at, expires_at, approvals_required, \
             break_glass) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&request.id)
        .bind(org.pk)
        .bind(engineer.pk)
        .bind(request.level.to_string())
        .bind(&areas)
        .bind(request.duration_seconds)
        .bind(&request.reason)
        .bind(&request.ticket)
        .bind(now.as_second())
        .bind(request.expires_at.as_second())
        .bind(request.approvals_required)
        .bind(i64::from(request.break_glass))
        .execute(&mut *tx)
        .await?;
        let mut details = json!({
                "requester": request.requester,
                "level": request.level,
                "areas": request.areas,
                "duration_seconds": request.duration_seconds,
                "reason": request.reason,
                "ticket": request.ticket,
                "expires_at": request.expires_at,
                "approvals_required": request.approvals_required,
        });
        if request.break_glass {
            details["break_glass"] = json!(true);
        }
        org.head
            .record(now, engineer, "request.created", Some(&request.id), details)?;
        if let Some(rule) = rule {
            self.approve_by_rule(&mut tx, &mut org, engineer, &mut request, &rule, new, now)
                .await?;
        }
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        Ok(request)
    }

    /// Approves the request being filed by `rule`, in the transaction that files it: the
    /// grant for the requester alone, `request.approved` naming the rule and no approver, then
    /// `grant.created`.
    #[allow(clippy::too_many_arguments)]
    async fn approve_by_rule(
        &self,
        tx: &mut AnyConnection,
        org: &mut OrgRow,
        engineer: &Principal,
        request: &mut AccessRequest,
        rule: &ApprovalRule,
        new: &NewRequest,
        now: Timestamp,
    ) -> StoreResult<()> {
        let expires_at =
            Timestamp::from_second(now.as_second().saturating_add(request.duration_seconds))
                .map_err(|_| StoreError::Invalid("expiry out of range".into()))?;
        let grant = self
            .0
            .insert_grant(
                tx,
                org.pk,
                &request.org,
                engineer,
                &NewGrant {
                    level: request.level,
                    areas: request.areas.clone(),
                    engineers: vec![request.requester.clone()],
                    expires_at,
                    reason: request.reason.clone(),
                    ticket: request.ticket.clone(),
                    policy_version: new.policy_version,
                    approval_rule: Some(rule.name.clone()),
                },
                Some(&request.id),
                now,
            )
            .await?;
        sqlx::query(
            "UPDATE access_requests SET decision = 'approved', decided_at = $1, grant_id = $2, \
             approval_rule = $3 WHERE id = $4",
        )
        .bind(now.as_second())
        .bind(&grant.id)
        .bind(&rule.name)
        .bind(&request.id)
        .execute(&mut *tx)
        .await?;
        org.head.record(
            now,
            engineer,
            "request.approved",
            Some(&request.id),
            json!({
                "grant_id": grant.id,
                "by_rule": rule.name,
                "rule_id": rule.id,
                "approvals": [],
                "level": grant.level,
                "areas": grant.areas,
                "duration_seconds": request.duration_seconds,
            }),
        )?;
        org.head.record(
            now,
            engineer,
            "grant.created",
            Some(&grant.id),
            grant_created_details(&grant),
        )?;
        request.status = RequestStatus::Approved;
        request.decided_at = Some(now);
        request.grant_id = Some(grant.id);
        request.approval_rule = Some(rule.name.clone());
        Ok(())
    }

    pub async fn list(
        &self,
        scope: RequestScope<'_>,
        status: RequestStatusFilter,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<AccessRequest>> {
        let status_sql = match status {
            RequestStatusFilter::Pending => format!("AND {OPEN} AND r.expires_at > $2"),
            RequestStatusFilter::Expired => {
                "AND r.decision IS NULL AND r.expires_at <= $2".to_owned()
            }
            RequestStatusFilter::Approved => "AND r.decision = 'approved' AND $2 = $2".to_owned(),
            RequestStatusFilter::Denied => "AND r.decision = 'denied' AND $2 = $2".to_owned(),
            RequestStatusFilter::Cancelled => "AND r.decision = 'cancelled' AND $2 = $2".to_owned(),
            RequestStatusFilter::All => "AND $2 = $2".to_owned(),
        };
        let (scope_sql, scope_value) = match scope {
            RequestScope::Org(slug) => ("r.org_pk = $1", self.0.org_pk(slug).await?),
            RequestScope::Requester(engineer) => ("r.requester_pk = $1", engineer.pk),
        };
        let sql = format!(
            "{REQUEST_SELECT} WHERE {scope_sql} {status_sql} AND r.pk < $3 \
             ORDER BY r.pk DESC LIMIT $4"
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
                request_row(row, now).map(|(pk, record)| (pk, record.request))
            })
            .await
    }

    pub async fn get(&self, id: &str, now: Timestamp) -> StoreResult<Option<RequestRecord>> {
        let mut conn = self.0.read.acquire().await?;
        Ok(self
            .0
            .request_where(&mut conn, "$1 = $1 AND r.id = $2", 0, id, now)
            .await?
            .map(|(_, record)| record))
    }

    /// Adds an approval; the last one needed creates the grant in the same transaction.
    pub async fn approve(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        approval: &ApprovalAsk,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<AccessRequest> {
        let store = self.0.counting_for(mode);
        Requests(&store)
            .approve_counted(actor, org, id, approval, now, mode)
            .await
    }

    /// [`Requests::approve`], with its audit events counted by this store.
    async fn approve_counted(
        &self,
        actor: &Principal,
        org_slug: &str,
        id: &str,
        ask: &ApprovalAsk,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<AccessRequest> {
        let mut tx = self.0.begin_write().await?;
        let mut org = self.0.lock_existing_org(&mut tx, org_slug).await?;
        let (pk, mut request) = self
            .0
            .request_in_org(&mut tx, org.pk, org_slug, id, now)
            .await?;
        if request.status != RequestStatus::Pending {
            return Err(StoreError::Conflict(not_pending(&request)));
        }
        // Read under the org's lock, which disabling an admin takes too: an approval counts
        // only while its admin is still an enabled admin of the org.
        let admins = self.0.enabled_admin_emails(&mut tx, org.pk).await?;
        if !admins.contains(&actor.email) {
            return Err(StoreError::Conflict(format!(
                "your account is no longer an enabled admin of org '{org_slug}'"
            )));
        }
        if request.approvals.iter().any(|a| a.by == actor.email) {
            return Err(StoreError::Conflict(format!(
                "you have already approved request '{id}'; it needs approvals from other admins"
            )));
        }
        self.0
            .require_policy_version(&mut tx, org.pk, ask.policy.version)
            .await?;
        let narrowing = ask
            .narrowing
            .clone()
            .against(&request)
            .map_err(StoreError::Invalid)?;
        request.approvals.push(Approval {
            by: actor.email.clone(),
            at: now,
            comment: ask.comment.clone(),
            level: narrowing.level,
            areas: narrowing.areas,
            duration_seconds: narrowing.duration_seconds,
        });
        let (level, areas, seconds) =
            granted_scope(&request, &request.approvals).map_err(StoreError::Invalid)?;
        // The policy may have changed since the request was filed: check what would be granted.
        ask.policy
            .check_scope(level, &areas, request.ticket.as_deref())
            .map_err(StoreError::Policy)?;
        ask.policy
            .grant_seconds("the approved duration", Some(seconds))
            .map_err(StoreError::Policy)?;
        let approvals = serde_json::to_string(&request.approvals)
            .map_err(|e| StoreError::Database(format!("encoding approvals: {e}")))?;
        request.approvals_required = approvals_needed(
            request.approvals_required,
            &ask.policy.approvals_required,
            request.level,
            level,
        );
        let counted = counted_approvals(&request.approvals, &admins);
        if (counted as i64) < request.approvals_required {
            sqlx::query(
                "UPDATE access_requests SET approvals = $1, approvals_required = $2 WHERE pk = $3",
            )
            .bind(&approvals)
            .bind(request.approvals_required)
            .bind(pk)
            .execute(&mut *tx)
            .await?;
            org.head.record(
                now,
                actor,
                "request.approval_added",
                Some(id),
                json!({
                    "approvals": counted,
                    "approvals_required": request.approvals_required,
                    "comment": ask.comment,
                    "level": narrowing.level,
                    "areas": request.approvals.last().and_then(|a| a.areas.clone()),
                    "duration_seconds": narrowing.duration_seconds,
                }),
            )?;
            org.head.save(&mut tx).await?;
            self.0.finish(tx, mode).await?;
            return Ok(request);
        }
        let expires_at = Timestamp::from_second(now.as_second().saturating_add(seconds))
            .map_err(|_| StoreError::Invalid("expiry out of range".into()))?;
        let grant = self
            .0
            .insert_grant(
                &mut tx,
                org.pk,
                org_slug,
                actor,
                &NewGrant {
                    level,
                    areas,
                    engineers: vec![request.requester.clone()],
                    expires_at,
                    reason: request.reason.clone(),
                    ticket: request.ticket.clone(),
                    policy_version: ask.policy.version,
                    approval_rule: None,
                },
                Some(id),
                now,
            )
            .await?;
        sqlx::query(
            "UPDATE access_requests SET approvals = $1, decision = 'approved', decided_at = $2, \
             decided_by = $3, decision_comment = $4, grant_id = $5, approvals_required = $7 \
             WHERE pk = $6",
        )
        .bind(&approvals)
        .bind(now.as_second())
        .bind(&actor.email)
        .bind(&ask.comment)
        .bind(&grant.id)
        .bind(pk)
        .bind(request.approvals_required)
        .execute(&mut *tx)
        .await?;
        org.head.record(
            now,
            actor,
            "request.approved",
            Some(id),
            json!({
                "grant_id": grant.id,
                "approvals": request
                    .approvals
                    .iter()
                    .filter(|a| admins.contains(&a.by))
                    .map(|a| &a.by)
                    .collect::<Vec<_>>(),
                "comment": ask.comment,
                "level": grant.level,
                "areas": grant.areas,
                "duration_seconds": seconds,
            }),
        )?;
        org.head.record(
            now,
            actor,
            "grant.created",
            Some(&grant.id),
            grant_created_details(&grant),
        )?;
        org.head.save(&mut tx).await?;
        self.0.notify(&mut tx, &[id.to_owned()]).await?;
        self.0.finish(tx, mode).await?;
        if mode == WriteMode::Commit {
            self.0.announce(&[id.to_owned()]);
        }
        request.status = RequestStatus::Approved;
        request.decided_at = Some(now);
        request.decided_by = Some(actor.email.clone());
        request.decision_comment = ask.comment.clone();
        request.grant_id = Some(grant.id);
        Ok(request)
    }
}

/// `request` after a denial or cancellation by `actor`.
pub(super) fn decided(
    mut request: AccessRequest,
    decision: RequestStatus,
    actor: &Principal,
    comment: &str,
    now: Timestamp,
) -> AccessRequest {
    request.status = decision;
    request.decided_at = Some(now);
    request.decided_by = Some(actor.email.clone());
    request.decision_comment = Some(comment.to_owned());
    request
}
