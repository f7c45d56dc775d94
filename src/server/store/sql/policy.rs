//! Org policies: one row per org once its admins change it, replaced only by a writer that
//! read the current version (under the org's lock, like every change the policy governs). A
//! change that weakens what approvals guard, while the policy asks two or more approvals for
//! some level, waits in `policy_changes` until that many admins approved it.

use jiff::Timestamp;
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};

use super::Store;
use super::rows::{OrgRow, ts};
use crate::api::{
    OrgPolicy, PendingPolicyChange, PolicyChangeApproval, PolicyChangeOutcome, PutOrgPolicy,
};
use crate::server::domain::policy::{changed_fields, normalized, validate_document, weakenings};
use crate::server::ids;
use crate::server::store::values::{Principal, StoreError, StoreResult, WriteMode};

/// The fields kept in `document` (the rest have columns of their own).
fn document(policy: &OrgPolicy) -> StoreResult<String> {
    let mut value = serde_json::to_value(policy)
        .map_err(|e| StoreError::Database(format!("encoding policy: {e}")))?;
    if let Value::Object(map) = &mut value {
        for column in ["version", "updated_at", "updated_by"] {
            map.remove(column);
        }
    }
    Ok(value.to_string())
}

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<OrgPolicy> {
    let text: String = row.try_get("document")?;
    let mut value: Value = serde_json::from_str(&text)
        .map_err(|e| StoreError::Database(format!("bad policy document: {e}")))?;
    if let Value::Object(map) = &mut value {
        map.insert("version".into(), json!(row.try_get::<i64, _>("version")?));
        map.insert("updated_at".into(), json!(ts(row.try_get("updated_at")?)?));
        map.insert(
            "updated_by".into(),
            json!(row.try_get::<String, _>("updated_by")?),
        );
    }
    serde_json::from_value(value)
        .map_err(|e| StoreError::Database(format!("bad policy document: {e}")))
}

fn json_text<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(format!("encoding: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Database(format!("bad pending policy change: {e}")))
}

fn pending_from_row(row: &sqlx::any::AnyRow, org: &str) -> StoreResult<PendingPolicyChange> {
    let base_version: i64 = row.try_get("base_version")?;
    let mut document: Value = from_json(&row.try_get::<String, _>("document")?)?;
    if let Value::Object(map) = &mut document {
        map.insert("version".into(), json!(base_version + 1));
        map.insert("updated_at".into(), Value::Null);
        map.insert("updated_by".into(), Value::Null);
    }
    Ok(PendingPolicyChange {
        id: row.try_get("id")?,
        org: org.to_owned(),
        base_version,
        policy: serde_json::from_value(document)
            .map_err(|e| StoreError::Database(format!("bad pending policy change: {e}")))?,
        weakens: from_json(&row.try_get::<String, _>("weakens")?)?,
        proposed_by: row.try_get("proposed_by")?,
        proposed_at: ts(row.try_get("proposed_at")?)?,
        approvals_required: row.try_get("approvals_required")?,
        approvals: from_json(&row.try_get::<String, _>("approvals")?)?,
    })
}

const SELECT: &str =
    "SELECT version, document, updated_at, updated_by FROM org_policies WHERE org_pk = $1";

impl Store {
    pub(super) async fn policy_of(
        &self,
        conn: &mut AnyConnection,
        org_pk: i64,
    ) -> StoreResult<Option<OrgPolicy>> {
        let row = sqlx::query(SELECT)
            .bind(org_pk)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|row| from_row(&row)).transpose()
    }

    /// Refuses a change checked against a policy that is no longer the org's (call with the
    /// org locked: policy changes take the same lock, so it cannot change after this).
    pub(super) async fn require_policy_version(
        &self,
        conn: &mut AnyConnection,
        org_pk: i64,
        version: i64,
    ) -> StoreResult<()> {
        let current: Option<i64> =
            sqlx::query_scalar("SELECT version FROM org_policies WHERE org_pk = $1")
                .bind(org_pk)
                .fetch_optional(&mut *conn)
                .await?;
        if current.unwrap_or(0) == version {
            Ok(())
        } else {
            Err(StoreError::Conflict(
                "the org's policy changed while this was being checked against it; try again"
                    .into(),
            ))
        }
    }

    /// The org's own policy; `None` while its admins never changed it; not found without org.
    pub async fn get_org_policy(&self, org: &str) -> StoreResult<Option<OrgPolicy>> {
        let org_pk = self.org_pk(org).await?;
        let mut conn = self.read.acquire().await?;
        self.policy_of(&mut conn, org_pk).await
    }

    async fn pending_change_of(
        &self,
        conn: &mut AnyConnection,
        org_pk: i64,
        org_slug: &str,
    ) -> StoreResult<Option<PendingPolicyChange>> {
        let row = sqlx::query(
            "SELECT id, base_version, document, weakens, proposed_by, proposed_at, \
             approvals_required, approvals FROM policy_changes WHERE org_pk = $1",
        )
        .bind(org_pk)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|row| pending_from_row(&row, org_slug)).transpose()
    }

    pub async fn get_pending_policy_change(
        &self,
        org: &str,
    ) -> StoreResult<Option<PendingPolicyChange>> {
        let org_pk = self.org_pk(org).await?;
        let mut conn = self.read.acquire().await?;
        self.pending_change_of(&mut conn, org_pk, org).await
    }

    /// The org's policy as its admins last set it, else `current` (the server's defaults).
    async fn policy_in_force(
        &self,
        conn: &mut AnyConnection,
        org_pk: i64,
        current: &OrgPolicy,
    ) -> StoreResult<OrgPolicy> {
        Ok(match self.policy_of(conn, org_pk).await? {
            Some(stored) => stored,
            None => current.clone(),
        })
    }

    /// Refuses a policy that asks more approvals than the org has enabled admins.
    fn check_admins_suffice(policy: &OrgPolicy, admins: &[String]) -> StoreResult<()> {
        let needed = policy.approvals_required.max();
        let admins = admins.len() as i64;
        if needed > admins {
            return Err(StoreError::Policy(format!(
                "approvals_required asks for {needed} approvals, but the org has only {admins} \
                 enabled admin{}",
                if admins == 1 { "" } else { "s" }
            )));
        }
        Ok(())
    }

    /// Replaces the org's policy if `put.version` is still current (else conflict), recording
    /// `policy.updated`; `current` is what the org has now when it has no policy of its own.
    pub async fn put_org_policy(
        &self,
        actor: &Principal,
        org: &str,
        put: &PutOrgPolicy,
        current: &OrgPolicy,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<PolicyChangeOutcome> {
        let store = self.counting_for(mode);
        store
            .put_org_policy_counted(actor, org, put, current, now, mode)
            .await
    }

    /// [`Self::put_org_policy`], with its audit events counted by this store.
    async fn put_org_policy_counted(
        &self,
        actor: &Principal,
        org_slug: &str,
        put: &PutOrgPolicy,
        current: &OrgPolicy,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<PolicyChangeOutcome> {
        validate_document(put).map_err(StoreError::Invalid)?;
        let mut tx = self.begin_write().await?;
        let mut org = self.lock_enabled_org(&mut tx, org_slug).await?;
        let before = self.policy_in_force(&mut tx, org.pk, current).await?;
        if put.version != before.version {
            return Err(StoreError::Conflict(format!(
                "the policy changed since version {} was read (it is now version {}{}); \
                 read it again and reapply your change",
                put.version,
                before.version,
                before
                    .updated_by
                    .as_deref()
                    .map(|by| format!(", changed by {by}"))
                    .unwrap_or_default()
            )));
        }
        let admins = self.enabled_admin_emails(&mut tx, org.pk).await?;
        let mut after = normalized(put, before.version + 1);
        Self::check_admins_suffice(&after, &admins)?;
        let weakens = weakenings(&before, &after);
        let guard = before.approvals_required.max();
        if weakens.is_empty() || guard < 2 {
            after.updated_at = Some(now);
            after.updated_by = Some(actor.email.clone());
            self.apply_policy(&mut tx, &mut org, actor, &before, &after, json!({}), now)
                .await?;
            org.head.save(&mut tx).await?;
            self.finish(tx, mode).await?;
            return Ok(PolicyChangeOutcome::Applied(after));
        }
        // Weaker where approvals guard access: as many admins as the policy in force asks
        // must agree, or one admin could lower the bar, act alone, and raise it again.
        let replaced = self.pending_change_of(&mut tx, org.pk, org_slug).await?;
        let change = PendingPolicyChange {
            id: ids::new_id(ids::POLICY_CHANGE),
            org: org_slug.to_owned(),
            base_version: before.version,
            policy: after,
            weakens,
            proposed_by: actor.email.clone(),
            proposed_at: now,
            approvals_required: guard,
            approvals: vec![PolicyChangeApproval {
                by: actor.email.clone(),
                at: now,
            }],
        };
        sqlx::query("DELETE FROM policy_changes WHERE org_pk = $1")
            .bind(org.pk)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO policy_changes (org_pk, id, base_version, document, weakens, \
             proposed_by, proposed_at, approvals_required, approvals) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(org.pk)
        .bind(&change.id)
        .bind(change.base_version)
        .bind(document(&change.policy)?)
        .bind(json_text(&change.weakens)?)
        .bind(&change.proposed_by)
        .bind(now.as_second())
        .bind(change.approvals_required)
        .bind(json_text(&change.approvals)?)
        .execute(&mut *tx)
        .await?;
        org.head.record(
            now,
            actor,
            "policy.change_proposed",
            Some(org_slug),
            json!({
                "id": change.id,
                "base_version": change.base_version,
                "changed": changed_fields(&before, &change.policy),
                "weakens": change.weakens,
                "approvals_required": change.approvals_required,
                "replaces": replaced.map(|old| old.id),
            }),
        )?;
        org.head.save(&mut tx).await?;
        self.finish(tx, mode).await?;
        Ok(PolicyChangeOutcome::Pending(change))
    }

    /// Adds `actor`'s approval to the org's pending change `id`; the approval that brings the
    /// approvals of enabled admins to the number required applies it, in this transaction.
    pub async fn approve_policy_change(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        current: &OrgPolicy,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<PolicyChangeOutcome> {
        let store = self.counting_for(mode);
        store
            .approve_policy_change_counted(actor, org, id, current, now, mode)
            .await
    }

    /// [`Self::approve_policy_change`], with its audit events counted by this store.
    async fn approve_policy_change_counted(
        &self,
        actor: &Principal,
        org_slug: &str,
        id: &str,
        current: &OrgPolicy,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<PolicyChangeOutcome> {
        let mut tx = self.begin_write().await?;
        let mut org = self.lock_enabled_org(&mut tx, org_slug).await?;
        let mut change = self
            .pending_change_of(&mut tx, org.pk, org_slug)
            .await?
            .filter(|change| change.id == id)
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "no pending policy change '{id}' in org '{org_slug}' (it was applied, \
                     replaced, or voided by another change)"
                ))
            })?;
        let before = self.policy_in_force(&mut tx, org.pk, current).await?;
        if before.version != change.base_version {
            return Err(StoreError::Conflict(format!(
                "policy change '{id}' was proposed against version {}, but the policy is now \
                 version {}; propose it again",
                change.base_version, before.version
            )));
        }
        // Under the org's lock, which disabling an admin takes too.
        let admins = self.enabled_admin_emails(&mut tx, org.pk).await?;
        if !admins.contains(&actor.email) {
            return Err(StoreError::Conflict(format!(
                "your account is no longer an enabled admin of org '{org_slug}'"
            )));
        }
        if change.approvals.iter().any(|a| a.by == actor.email) {
            return Err(StoreError::Conflict(format!(
                "you have already approved policy change '{id}'; it needs approvals from other \
                 admins"
            )));
        }
        change.approvals.push(PolicyChangeApproval {
            by: actor.email.clone(),
            at: now,
        });
        change.approvals_required = change
            .approvals_required
            .max(before.approvals_required.max());
        let counted: Vec<&String> = change
            .approvals
            .iter()
            .map(|a| &a.by)
            .filter(|by| admins.contains(by))
            .collect();
        if (counted.len() as i64) < change.approvals_required {
            sqlx::query(
                "UPDATE policy_changes SET approvals = $1, approvals_required = $2 \
                 WHERE org_pk = $3",
            )
            .bind(json_text(&change.approvals)?)
            .bind(change.approvals_required)
            .bind(org.pk)
            .execute(&mut *tx)
            .await?;
            org.head.record(
                now,
                actor,
                "policy.change_approval_added",
                Some(org_slug),
                json!({
                    "id": change.id,
                    "approvals": counted.len(),
                    "approvals_required": change.approvals_required,
                }),
            )?;
            org.head.save(&mut tx).await?;
            self.finish(tx, mode).await?;
            return Ok(PolicyChangeOutcome::Pending(change));
        }
        let mut after = change.policy.clone();
        Self::check_admins_suffice(&after, &admins)?;
        after.version = before.version + 1;
        after.updated_at = Some(now);
        after.updated_by = Some(change.proposed_by.clone());
        let approval = json!({
            "change_id": change.id,
            "proposed_by": change.proposed_by,
            "approved_by": counted,
        });
        self.apply_policy(&mut tx, &mut org, actor, &before, &after, approval, now)
            .await?;
        org.head.save(&mut tx).await?;
        self.finish(tx, mode).await?;
        Ok(PolicyChangeOutcome::Applied(after))
    }

    /// Writes `after` as the org's policy, drops any pending change (it was proposed against
    /// the policy this replaces), and records `policy.updated` with `details` added.
    #[allow(clippy::too_many_arguments)]
    async fn apply_policy(
        &self,
        tx: &mut AnyConnection,
        org: &mut OrgRow,
        actor: &Principal,
        before: &OrgPolicy,
        after: &OrgPolicy,
        mut details: Value,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO org_policies (org_pk, version, document, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_pk) DO UPDATE SET \
             version = excluded.version, document = excluded.document, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(org.pk)
        .bind(after.version)
        .bind(document(after)?)
        .bind(now.as_second())
        .bind(after.updated_by.as_deref().unwrap_or(&actor.email))
        .execute(&mut *tx)
        .await?;
        let voided: Option<String> =
            sqlx::query_scalar("DELETE FROM policy_changes WHERE org_pk = $1 RETURNING id")
                .bind(org.pk)
                .fetch_optional(&mut *tx)
                .await?;
        details["version"] = json!(after.version);
        details["changed"] = changed_fields(before, after);
        if let Some(voided) = voided
            && details.get("change_id") != Some(&json!(voided))
        {
            details["voided_change"] = json!(voided);
        }
        org.head
            .record(now, actor, "policy.updated", Some(&org.org.slug), details)?;
        Ok(())
    }
}
