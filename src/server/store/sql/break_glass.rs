//! Break-glass access: an engineer's emergency request that an operator, a second vendor
//! person, confirms; its grant starts at once and stays unacknowledged until an org admin
//! acknowledges it or disputes it (which revokes it at once). Each step holds the org's lock
//! and records its events in the same transaction, so a confirmation races a cancellation, and
//! a dispute an acknowledgement, to exactly one outcome.

use jiff::Timestamp;
use serde_json::json;
use sqlx::Row;

use super::Store;
use super::grants::grant_created_details;
use crate::api::{AccessRequest, Grant, GrantReview, GrantStatus, RequestStatus, ReviewOutcome};
use crate::server::domain::policy::Effective;
use crate::server::domain::requests::not_pending;
use crate::server::store::values::{NewGrant, Principal, StoreError, StoreResult};

/// An org admin's answer to a break-glass grant.
#[derive(Debug, Clone, Copy)]
pub enum Review<'a> {
    Acknowledge,
    /// With the admin's reason.
    Dispute(&'a str),
}

/// A store's break-glass access: `store.break_glass().confirm_request(…)`.
pub struct BreakGlass<'a>(&'a Store);

impl Store {
    pub fn break_glass(&self) -> BreakGlass<'_> {
        BreakGlass(self)
    }
}

impl BreakGlass<'_> {
    /// An operator confirms a pending break-glass request: its grant starts in the same
    /// transaction, flagged break-glass and unacknowledged.
    pub async fn confirm_request(
        &self,
        operator: &Principal,
        org_slug: &str,
        id: &str,
        comment: Option<&str>,
        policy: &Effective,
        now: Timestamp,
    ) -> StoreResult<AccessRequest> {
        let mut tx = self.0.begin_write().await?;
        let mut org = self.0.lock_existing_org(&mut tx, org_slug).await?;
        let (pk, record) = self
            .0
            .request_where(&mut tx, "r.org_pk = $1 AND r.id = $2", org.pk, id, now)
            .await?
            .ok_or_else(|| {
                StoreError::NotFound(format!("no request '{id}' in org '{org_slug}'"))
            })?;
        let mut request = record.request;
        if !request.break_glass {
            return Err(StoreError::Conflict(format!(
                "request '{id}' is not a break-glass request: the org's admins approve it"
            )));
        }
        if request.status != RequestStatus::Pending {
            return Err(StoreError::Conflict(not_pending(&request)));
        }
        // Roles already keep them apart (engineers file, operators confirm); the account is
        // compared too, so that no change of roles ever lets one account do both.
        if record.requester_pk == operator.pk || request.requester == operator.email {
            return Err(StoreError::Conflict(format!(
                "request '{id}' was filed by you: a different person must confirm it"
            )));
        }
        self.0
            .require_policy_version(&mut tx, org.pk, policy.version)
            .await?;
        // The policy may have changed since the request was filed.
        policy
            .check_scope(request.level, &request.areas, request.ticket.as_deref())
            .map_err(StoreError::Policy)?;
        policy
            .check_break_glass(request.level, request.duration_seconds)
            .map_err(StoreError::Policy)?;
        let expires_at =
            Timestamp::from_second(now.as_second().saturating_add(request.duration_seconds))
                .map_err(|_| StoreError::Invalid("expiry out of range".into()))?;
        let mut grant = self
            .0
            .insert_grant(
                &mut tx,
                org.pk,
                org_slug,
                operator,
                &NewGrant {
                    level: request.level,
                    areas: request.areas.clone(),
                    engineers: vec![request.requester.clone()],
                    expires_at,
                    reason: request.reason.clone(),
                    ticket: request.ticket.clone(),
                    policy_version: policy.version,
                    approval_rule: None,
                },
                Some(id),
                now,
            )
            .await?;
        sqlx::query("UPDATE grants SET break_glass = 1 WHERE id = $1")
            .bind(&grant.id)
            .execute(&mut *tx)
            .await?;
        grant.break_glass = true;
        grant.acknowledged = Some(false);
        sqlx::query(
            "UPDATE access_requests SET decision = 'approved', decided_at = $1, decided_by = $2, \
             decision_comment = $3, grant_id = $4 WHERE pk = $5",
        )
        .bind(now.as_second())
        .bind(&operator.email)
        .bind(comment)
        .bind(&grant.id)
        .bind(pk)
        .execute(&mut *tx)
        .await?;
        org.head.record(
            now,
            operator,
            "request.confirmed",
            Some(id),
            json!({
                "grant_id": grant.id,
                "comment": comment,
                "level": grant.level,
                "areas": grant.areas,
                "duration_seconds": request.duration_seconds,
            }),
        )?;
        // The grant's creation, under a name of its own: every webhook of the org gets it.
        let mut details = grant_created_details(&grant);
        details["break_glass"] = json!(true);
        details["requested_by"] = json!(request.requester);
        org.head
            .record(now, operator, "grant.break_glass", Some(&grant.id), details)?;
        org.head.save(&mut tx).await?;
        self.0.notify(&mut tx, &[id.to_owned()]).await?;
        tx.commit().await?;
        self.0.announce(&[id.to_owned()]);
        request.status = RequestStatus::Approved;
        request.decided_at = Some(now);
        request.decided_by = Some(operator.email.clone());
        request.decision_comment = comment.map(str::to_owned);
        request.grant_id = Some(grant.id);
        Ok(request)
    }

    /// Acknowledges or disputes a break-glass grant of the org; a dispute revokes it (and ends
    /// its sessions) in the same transaction when it is still active.
    pub async fn review_grant(
        &self,
        admin: &Principal,
        org_slug: &str,
        id: &str,
        review: Review<'_>,
        now: Timestamp,
    ) -> StoreResult<Grant> {
        let mut tx = self.0.begin_write().await?;
        let mut org = self.0.lock_existing_org(&mut tx, org_slug).await?;
        let mut row = self
            .0
            .grant_in_org(&mut tx, org.pk, id, now)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no grant '{id}' in org '{org_slug}'")))?;
        if !row.grant.break_glass {
            return Err(StoreError::Conflict(format!(
                "grant '{id}' is not a break-glass grant: there is nothing to acknowledge or \
                 dispute (revoke it to end it)"
            )));
        }
        if let Some(done) = &row.grant.review {
            return Err(StoreError::Conflict(format!(
                "grant '{id}' was already {} by {} at {}",
                done.outcome, done.by, done.at
            )));
        }
        let (outcome, reason) = match review {
            Review::Acknowledge => (ReviewOutcome::Acknowledged, None),
            Review::Dispute(reason) => (ReviewOutcome::Disputed, Some(reason)),
        };
        sqlx::query(
            "UPDATE grants SET review = $1, reviewed_by = $2, reviewed_at = $3, \
             review_reason = $4 WHERE pk = $5",
        )
        .bind(outcome.to_string())
        .bind(&admin.email)
        .bind(now.as_second())
        .bind(reason)
        .bind(row.pk)
        .execute(&mut *tx)
        .await?;
        let action = match outcome {
            ReviewOutcome::Acknowledged => "grant.acknowledged",
            ReviewOutcome::Disputed => "grant.disputed",
        };
        org.head
            .record(now, admin, action, Some(id), json!({ "reason": reason }))?;
        let revoke = outcome == ReviewOutcome::Disputed && row.grant.status == GrantStatus::Active;
        if revoke {
            let sessions_ended: i64 = sqlx::query(
                "SELECT COUNT(*) FROM sessions WHERE grant_pk = $1 AND closed_at IS NULL \
                 AND expires_at > $2",
            )
            .bind(row.pk)
            .bind(now.as_second())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            sqlx::query(
                "UPDATE grants SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 \
                 WHERE pk = $4",
            )
            .bind(now.as_second())
            .bind(&admin.email)
            .bind(reason)
            .bind(row.pk)
            .execute(&mut *tx)
            .await?;
            // As a revocation does: the end of the sessions it cuts short is recorded here.
            sqlx::query(
                "UPDATE sessions SET expiry_recorded = 1 WHERE grant_pk = $1 \
                 AND closed_at IS NULL AND expiry_recorded = 0 AND expires_at > $2",
            )
            .bind(row.pk)
            .bind(now.as_second())
            .execute(&mut *tx)
            .await?;
            org.head.record(
                now,
                admin,
                "grant.revoked",
                Some(id),
                json!({
                    "reason": reason,
                    "disputed": true,
                    "sessions_ended": sessions_ended,
                }),
            )?;
            row.grant.revoked_at = Some(now);
            row.grant.revoked_by = Some(admin.email.clone());
            row.grant.revoke_reason = reason.map(str::to_owned);
            row.grant.status = GrantStatus::Revoked;
        }
        org.head.save(&mut tx).await?;
        if revoke {
            self.0.commit_ending_access(tx).await?;
        } else {
            tx.commit().await?;
        }
        row.grant.acknowledged = Some(true);
        row.grant.review = Some(GrantReview {
            outcome,
            by: admin.email.clone(),
            at: now,
            reason: reason.map(str::to_owned),
        });
        Ok(row.grant)
    }
}
