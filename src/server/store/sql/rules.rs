//! Auto-approval rules: made and removed by an org's admins under the org's lock, with their
//! events in the org's chain; read under the same lock when a request is filed, so that a
//! request and a rule's removal are ordered one way or the other, never both.

use jiff::Timestamp;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::Store;
use super::rows::{areas_text, opt_ts, parse_areas, parse_wire, ts};
use crate::api::{ApprovalRule, Level, RuleStatus};
use crate::server::domain::rules::{Asked, MAX_RULES_PER_ORG, NewRule, covers, rule_status};
use crate::server::ids;
use crate::server::store::values::{Principal, StoreError, StoreResult};

const RULE_SELECT: &str = "SELECT r.pk, r.id, o.slug AS org, r.name, r.max_level, r.areas, \
     r.max_duration_seconds, r.ticket_pattern, r.engineers, r.weekdays, r.hours_start, \
     r.hours_end, r.expires_at, r.created_by, r.created_at, r.removed_at, r.removed_by \
     FROM approval_rules r JOIN orgs o ON o.pk = r.org_pk";

fn json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> StoreResult<Option<T>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| {
        serde_json::from_str(&text)
            .map_err(|e| StoreError::Database(format!("bad rule {column}: {e}")))
    })
    .transpose()
}

fn rule_row(row: &AnyRow, now: Timestamp) -> StoreResult<(i64, ApprovalRule)> {
    let expires_at = ts(row.try_get("expires_at")?)?;
    let removed_at = opt_ts(row.try_get("removed_at")?)?;
    let start: Option<i64> = row.try_get("hours_start")?;
    let end: Option<i64> = row.try_get("hours_end")?;
    Ok((
        row.try_get("pk")?,
        ApprovalRule {
            id: row.try_get("id")?,
            org: row.try_get("org")?,
            name: row.try_get("name")?,
            max_level: parse_wire::<Level>(&row.try_get::<String, _>("max_level")?)?,
            areas: parse_areas(&row.try_get::<String, _>("areas")?)?,
            max_duration_seconds: row.try_get("max_duration_seconds")?,
            ticket_pattern: row.try_get("ticket_pattern")?,
            engineers: json_column(row, "engineers")?,
            weekdays: json_column(row, "weekdays")?,
            hours_utc: start.zip(end).map(|(start, end)| vec![start, end]),
            expires_at,
            created_by: row.try_get("created_by")?,
            created_at: ts(row.try_get("created_at")?)?,
            removed_at,
            removed_by: row.try_get("removed_by")?,
            status: rule_status(expires_at, removed_at, now),
        },
    ))
}

/// What `approval_rule.created` records: the rule as made.
fn rule_details(rule: &ApprovalRule) -> serde_json::Value {
    json!({
        "name": rule.name,
        "max_level": rule.max_level,
        "areas": rule.areas,
        "max_duration_seconds": rule.max_duration_seconds,
        "ticket_pattern": rule.ticket_pattern,
        "engineers": rule.engineers,
        "weekdays": rule.weekdays,
        "hours_utc": rule.hours_utc,
        "expires_at": rule.expires_at,
    })
}

/// A store's approval rules: `store.approval_rules().create(…)`.
pub struct ApprovalRules<'a>(&'a Store);

impl Store {
    pub fn approval_rules(&self) -> ApprovalRules<'_> {
        ApprovalRules(self)
    }
}

impl ApprovalRules<'_> {
    pub async fn create(
        &self,
        actor: &Principal,
        org_slug: &str,
        new: &NewRule,
        now: Timestamp,
    ) -> StoreResult<ApprovalRule> {
        let mut tx = self.0.begin_write().await?;
        let mut org = self.0.lock_enabled_org(&mut tx, org_slug).await?;
        // Checked against the policy in force: a change since would let it be wider.
        self.0
            .require_policy_version(&mut tx, org.pk, new.policy_version)
            .await?;
        if let Some(engineers) = &new.engineers {
            self.0.engineer_pks(&mut tx, engineers).await?;
        }
        let live: Vec<(String, i64)> = sqlx::query(
            "SELECT name, expires_at FROM approval_rules WHERE org_pk = $1 AND removed_at IS NULL",
        )
        .bind(org.pk)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<StoreResult<_>>()?;
        if let Some((_, expires_at)) = live.iter().find(|(name, _)| *name == new.name) {
            let state = if *expires_at > now.as_second() {
                "in force"
            } else {
                "expired"
            };
            return Err(StoreError::Conflict(format!(
                "org '{org_slug}' has a rule named '{}' ({state}); remove it first, or choose \
                 another name",
                new.name
            )));
        }
        let active = live
            .iter()
            .filter(|(_, expires_at)| *expires_at > now.as_second())
            .count() as i64;
        if active >= MAX_RULES_PER_ORG {
            return Err(StoreError::Conflict(format!(
                "org '{org_slug}' has {active} rules in force, the most allowed; remove one first"
            )));
        }
        let rule = ApprovalRule {
            id: ids::new_id(ids::APPROVAL_RULE),
            org: org_slug.to_owned(),
            name: new.name.clone(),
            max_level: new.max_level,
            areas: new.areas.clone(),
            max_duration_seconds: new.max_duration_seconds,
            ticket_pattern: new.ticket_pattern.clone(),
            engineers: new.engineers.clone(),
            weekdays: new.weekdays.clone(),
            hours_utc: new.hours_utc.map(|(start, end)| vec![start, end]),
            expires_at: new.expires_at,
            created_by: actor.email.clone(),
            created_at: now,
            removed_at: None,
            removed_by: None,
            status: RuleStatus::Active,
        };
        let to_json = |value: &Option<Vec<String>>| value.as_ref().map(|v| json!(v).to_string());
        sqlx::query(
            "INSERT INTO approval_rules (id, org_pk, name, max_level, areas, \
             max_duration_seconds, ticket_pattern, engineers, weekdays, hours_start, hours_end, \
             expires_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&rule.id)
        .bind(org.pk)
        .bind(&rule.name)
        .bind(rule.max_level.to_string())
        .bind(areas_text(&rule.areas))
        .bind(rule.max_duration_seconds)
        .bind(&rule.ticket_pattern)
        .bind(to_json(&rule.engineers))
        .bind(rule.weekdays.as_ref().map(|days| json!(days).to_string()))
        .bind(new.hours_utc.map(|(start, _)| start))
        .bind(new.hours_utc.map(|(_, end)| end))
        .bind(rule.expires_at.as_second())
        .bind(&rule.created_by)
        .bind(now.as_second())
        .execute(&mut *tx)
        .await?;
        org.head.record(
            now,
            actor,
            "approval_rule.created",
            Some(&rule.id),
            rule_details(&rule),
        )?;
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        Ok(rule)
    }

    /// The org's rules not removed (in force or expired), oldest first.
    pub async fn list(&self, org_slug: &str, now: Timestamp) -> StoreResult<Vec<ApprovalRule>> {
        let org_pk = self.0.org_pk(org_slug).await?;
        let sql =
            format!("{RULE_SELECT} WHERE r.org_pk = $1 AND r.removed_at IS NULL ORDER BY r.pk");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .fetch_all(&self.0.read)
            .await?;
        rows.iter()
            .map(|row| rule_row(row, now).map(|(_, rule)| rule))
            .collect()
    }

    /// Removes the org's rule named by id or name; from its commit on it approves nothing.
    pub async fn remove(
        &self,
        actor: &Principal,
        org_slug: &str,
        rule: &str,
        now: Timestamp,
    ) -> StoreResult<ApprovalRule> {
        let mut tx = self.0.begin_write().await?;
        let mut org = self.0.lock_existing_org(&mut tx, org_slug).await?;
        let sql = format!(
            "{RULE_SELECT} WHERE r.org_pk = $1 AND r.removed_at IS NULL \
             AND (r.id = $2 OR r.name = $2)"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.pk)
            .bind(rule)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no rule '{rule}' in org '{org_slug}'")))?;
        let (pk, mut removed) = rule_row(&row, now)?;
        sqlx::query("UPDATE approval_rules SET removed_at = $1, removed_by = $2 WHERE pk = $3")
            .bind(now.as_second())
            .bind(&actor.email)
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        org.head.record(
            now,
            actor,
            "approval_rule.removed",
            Some(&removed.id),
            json!({"name": removed.name}),
        )?;
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        removed.removed_at = Some(now);
        removed.removed_by = Some(actor.email.clone());
        removed.status = RuleStatus::Removed;
        Ok(removed)
    }
}

impl Store {
    /// The oldest rule in force that `asked` is entirely inside; read in the transaction that
    /// holds the org's lock, which a removal takes too.
    pub(super) async fn matching_rule(
        &self,
        tx: &mut AnyConnection,
        org_pk: i64,
        asked: &Asked<'_>,
        now: Timestamp,
    ) -> StoreResult<Option<ApprovalRule>> {
        let sql = format!(
            "{RULE_SELECT} WHERE r.org_pk = $1 AND r.removed_at IS NULL AND r.expires_at > $2 \
             ORDER BY r.pk"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(now.as_second())
            .fetch_all(&mut *tx)
            .await?;
        for row in &rows {
            let (_, rule) = rule_row(row, now)?;
            if covers(&rule, asked, now) {
                return Ok(Some(rule));
            }
        }
        Ok(None)
    }
}
