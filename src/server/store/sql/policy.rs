//! Org policies: one row per org once its admins change it, replaced only by a writer that
//! read the current version (under the org's lock, like every change the policy governs).

use jiff::Timestamp;
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};

use super::SqlStore;
use super::rows::ts;
use crate::api::{OrgPolicy, PutOrgPolicy};
use crate::server::domain::policy::{changed_fields, normalized, validate_document};
use crate::server::store::{Principal, StoreError, StoreResult, WriteMode};

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

const SELECT: &str =
    "SELECT version, document, updated_at, updated_by FROM org_policies WHERE org_pk = $1";

impl SqlStore {
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

    pub(super) async fn get_org_policy(&self, org: &str) -> StoreResult<Option<OrgPolicy>> {
        let org_pk = self.org_pk(org).await?;
        let mut conn = self.read.acquire().await?;
        self.policy_of(&mut conn, org_pk).await
    }

    pub(super) async fn put_org_policy(
        &self,
        actor: &Principal,
        org_slug: &str,
        put: &PutOrgPolicy,
        current: &OrgPolicy,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<OrgPolicy> {
        validate_document(put).map_err(StoreError::Invalid)?;
        let mut tx = self.begin_write().await?;
        let mut org = self.lock_enabled_org(&mut tx, org_slug).await?;
        let before = match self.policy_of(&mut tx, org.pk).await? {
            Some(stored) => stored,
            None => current.clone(),
        };
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
        let needed = put.approvals_required.max();
        let admins: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE org_pk = $1 AND role = 'admin' \
             AND disabled_at IS NULL",
        )
        .bind(org.pk)
        .fetch_one(&mut *tx)
        .await?;
        if needed > admins {
            return Err(StoreError::Policy(format!(
                "approvals_required asks for {needed} approvals, but the org has only {admins} \
                 enabled admin{}",
                if admins == 1 { "" } else { "s" }
            )));
        }
        let mut after = normalized(put, before.version + 1);
        after.updated_at = Some(now);
        after.updated_by = Some(actor.email.clone());
        sqlx::query(
            "INSERT INTO org_policies (org_pk, version, document, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_pk) DO UPDATE SET \
             version = excluded.version, document = excluded.document, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(org.pk)
        .bind(after.version)
        .bind(document(&after)?)
        .bind(now.as_second())
        .bind(&actor.email)
        .execute(&mut *tx)
        .await?;
        org.head.record(
            now,
            actor,
            "policy.updated",
            Some(org_slug),
            json!({ "version": after.version, "changed": changed_fields(&before, &after) }),
        )?;
        org.head.save(&mut tx).await?;
        self.finish(tx, mode).await?;
        Ok(after)
    }
}
