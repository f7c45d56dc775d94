//! Webhooks: an org's subscriptions, managed by its admins. Their secrets are written here and
//! read only by the delivery worker (`deliveries.rs`): no `Webhook` carries one.

use jiff::Timestamp;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::Store;
use crate::api::{Webhook, WebhookFormat};
use crate::server::domain::webhooks::{MAX_PER_ORG, url_origin};
use crate::server::ids;
use crate::server::store::values::{Principal, StoreError, StoreResult};
use crate::server::store::webhook_rows::NewWebhook;

pub(super) const WEBHOOK_SELECT: &str = "SELECT w.pk, w.id, o.slug, w.url, w.events, w.format, \
     w.description, w.created_by, w.created_at, w.disabled_at, w.disabled_reason \
     FROM webhooks w JOIN orgs o ON o.pk = w.org_pk";

pub(super) fn webhook_row(row: &AnyRow) -> StoreResult<(i64, Webhook)> {
    let time = |column: &str| -> StoreResult<Option<Timestamp>> {
        let value: Option<i64> = row.try_get(column)?;
        value
            .map(|s| {
                Timestamp::from_second(s)
                    .map_err(|e| StoreError::Database(format!("bad {column}: {e}")))
            })
            .transpose()
    };
    let events: String = row.try_get("events")?;
    let format: String = row.try_get("format")?;
    Ok((
        row.try_get("pk")?,
        Webhook {
            id: row.try_get("id")?,
            org: row.try_get("slug")?,
            url: row.try_get("url")?,
            events: serde_json::from_str(&events)
                .map_err(|e| StoreError::Database(format!("bad webhook events: {e}")))?,
            format: WebhookFormat::from_stored(&format),
            description: row.try_get("description")?,
            created_by: row.try_get("created_by")?,
            created_at: time("created_at")?.unwrap_or_default(),
            disabled_at: time("disabled_at")?,
            disabled_reason: row.try_get("disabled_reason")?,
        },
    ))
}

impl Store {
    pub(super) async fn webhook_in_org(
        &self,
        conn: &mut AnyConnection,
        org_pk: i64,
        id: &str,
    ) -> StoreResult<(i64, Webhook)> {
        let sql = format!("{WEBHOOK_SELECT} WHERE w.org_pk = $1 AND w.id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no webhook '{id}' in this org")))?;
        webhook_row(&row)
    }

    pub async fn create_webhook(
        &self,
        actor: &Principal,
        org_slug: &str,
        webhook: &NewWebhook,
        now: Timestamp,
    ) -> StoreResult<Webhook> {
        let mut tx = self.begin_write().await?;
        let mut org = self.lock_enabled_org(&mut tx, org_slug).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE org_pk = $1")
            .bind(org.pk)
            .fetch_one(&mut *tx)
            .await?;
        if count >= MAX_PER_ORG {
            return Err(StoreError::Policy(format!(
                "org '{org_slug}' already has {MAX_PER_ORG} webhooks, the most allowed; remove one first"
            )));
        }
        let id = ids::new_id(ids::WEBHOOK);
        sqlx::query(
            "INSERT INTO webhooks (id, org_pk, url, events, format, description, secret, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(org.pk)
        .bind(&webhook.url)
        .bind(serde_json::to_string(&webhook.events).unwrap_or_default())
        .bind(webhook.format.as_str())
        .bind(&webhook.description)
        .bind(&webhook.secret)
        .bind(&actor.email)
        .bind(now.as_second())
        .execute(&mut *tx)
        .await?;
        org.head.record(
            now,
            actor,
            "webhook.created",
            Some(&id),
            // The origin only: a Slack or Teams URL's path is its secret.
            json!({"origin": url_origin(&webhook.url), "events": webhook.events, "format": webhook.format}),
        )?;
        org.head.save(&mut tx).await?;
        let (_, created) = self.webhook_in_org(&mut tx, org.pk, &id).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn list_webhooks(&self, org: &str) -> StoreResult<Vec<Webhook>> {
        let org_pk = self.org_pk(org).await?;
        let sql = format!("{WEBHOOK_SELECT} WHERE w.org_pk = $1 ORDER BY w.pk");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| webhook_row(row).map(|(_, webhook)| webhook))
            .collect()
    }

    pub async fn get_webhook(&self, org: &str, id: &str) -> StoreResult<Option<Webhook>> {
        let org_pk = self.org_pk(org).await?;
        let mut conn = self.read.acquire().await?;
        match self.webhook_in_org(&mut conn, org_pk, id).await {
            Ok((_, webhook)) => Ok(Some(webhook)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Locks webhook `pk`, if it is still there, for the rest of the transaction: what a
    /// transaction that locks several of its deliveries locks first (see `delete_webhook`).
    pub(super) async fn lock_webhook(&self, tx: &mut AnyConnection, pk: i64) -> StoreResult<()> {
        let for_update = self.engine.backend().sql().for_update;
        sqlx::query(AssertSqlSafe(format!(
            "SELECT pk FROM webhooks WHERE pk = $1 {for_update}"
        )))
        .bind(pk)
        .fetch_optional(&mut *tx)
        .await?;
        Ok(())
    }

    pub async fn delete_webhook(
        &self,
        actor: &Principal,
        org_slug: &str,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Webhook> {
        let mut tx = self.begin_write().await?;
        let mut org = self.lock_existing_org(&mut tx, org_slug).await?;
        let (pk, webhook) = self.webhook_in_org(&mut tx, org.pk, id).await?;
        // Locked in the order a worker finishing attempts locks them (the webhook, then its
        // deliveries by pk): a DELETE locks rows in whatever order it finds them, and met a
        // worker's transaction holding one row and waiting for another in a deadlock.
        self.lock_webhook(&mut tx, pk).await?;
        let for_update = self.engine.backend().sql().for_update;
        sqlx::query(AssertSqlSafe(format!(
            "SELECT pk FROM webhook_deliveries WHERE webhook_pk = $1 ORDER BY pk {for_update}"
        )))
        .bind(pk)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM webhooks WHERE pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        org.head.record(
            now,
            actor,
            "webhook.removed",
            Some(id),
            json!({"origin": url_origin(&webhook.url)}),
        )?;
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        Ok(webhook)
    }

    /// Replaces the secret; the previous one keeps signing until `previous_until`, or, when
    /// `None`, is dropped at once.
    pub async fn rotate_webhook_secret(
        &self,
        actor: &Principal,
        org_slug: &str,
        id: &str,
        secret: &str,
        previous_until: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<Webhook> {
        let mut tx = self.begin_write().await?;
        let mut org = self.lock_existing_org(&mut tx, org_slug).await?;
        let (pk, webhook) = self.webhook_in_org(&mut tx, org.pk, id).await?;
        // Without an overlap the previous secret is not kept at all: it may have leaked.
        let previous = match previous_until {
            Some(_) => "secret",
            None => "NULL",
        };
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE webhooks SET previous_secret = {previous}, previous_secret_until = $1, \
             secret = $2 WHERE pk = $3"
        )))
        .bind(previous_until.map(Timestamp::as_second))
        .bind(secret)
        .bind(pk)
        .execute(&mut *tx)
        .await?;
        org.head.record(
            now,
            actor,
            "webhook.secret_rotated",
            Some(id),
            json!({
                "previous_secret_signs_until": previous_until,
                "previous_secret_expired": previous_until.is_none(),
            }),
        )?;
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        Ok(webhook)
    }
}
