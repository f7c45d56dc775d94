//! The webhook outbox: deliveries listed and redelivered by admins, claimed and finished by
//! the delivery worker, and the `grant.expiring` notifications the sweeper enqueues.
//!
//! A claim leases rows (`locked_until`) and counts the attempt in one statement; on PostgreSQL
//! the rows are picked `FOR UPDATE SKIP LOCKED`, so replicas claiming at once never take the
//! same row, and a lease keeps it from a second claim while its attempt is in flight.
//!
//! Claims are fair between orgs: the leased rows are the attempts in flight, over all
//! replicas, and a claim leaves out webhooks and orgs that have their most in flight
//! ([`ClaimLimits`]), and takes each org's oldest due delivery before any org's second: one
//! org's slow receivers never hold every slot.

use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{ListQuery, Store};
use crate::api::{Delivery, DeliveryStatus, Page, WebhookFormat};
use crate::server::domain::webhooks::{ClaimLimits, within_retry_window};
use crate::server::ids;
use crate::server::store::outbox::{NewDelivery, insert_deliveries};
use crate::server::store::values::{PageRequest, StoreError, StoreResult};
use crate::server::store::webhook_rows::{AttemptOutcome, ClaimedDelivery, FinishedAttempt};

const DELIVERY_SELECT: &str = "SELECT d.pk, d.id, w.id AS webhook_id, d.msg_id, d.event_type, \
     d.event_seq, d.status, d.attempts, d.created_at, d.next_attempt_at, d.delivered_at, \
     d.last_status, d.last_error FROM webhook_deliveries d JOIN webhooks w ON w.pk = d.webhook_pk";

/// Grants per `grant.expiring` sweep.
const EXPIRING_BATCH: i64 = 500;

fn time(row: &AnyRow, column: &str) -> StoreResult<Option<Timestamp>> {
    let value: Option<i64> = row.try_get(column)?;
    value
        .map(|s| {
            Timestamp::from_second(s)
                .map_err(|e| StoreError::Database(format!("bad {column}: {e}")))
        })
        .transpose()
}

fn delivery_row(row: &AnyRow) -> StoreResult<(i64, Delivery)> {
    let status: String = row.try_get("status")?;
    let status = DeliveryStatus::parse(&status)
        .ok_or_else(|| StoreError::Database(format!("bad delivery status '{status}'")))?;
    Ok((
        row.try_get("pk")?,
        Delivery {
            id: row.try_get("id")?,
            webhook_id: row.try_get("webhook_id")?,
            message_id: row.try_get("msg_id")?,
            event_type: row.try_get("event_type")?,
            event_seq: row.try_get("event_seq")?,
            status,
            attempts: row.try_get("attempts")?,
            created_at: time(row, "created_at")?.unwrap_or_default(),
            next_attempt_at: if status == DeliveryStatus::Pending {
                time(row, "next_attempt_at")?
            } else {
                None
            },
            delivered_at: time(row, "delivered_at")?,
            last_status: row.try_get("last_status")?,
            last_error: row.try_get("last_error")?,
        },
    ))
}

impl Store {
    async fn delivery_by_id(&self, id: &str) -> StoreResult<Delivery> {
        let sql = format!("{DELIVERY_SELECT} WHERE d.id = $1");
        let _waiting = self.wait_for_write();
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&self.write)
            .await?;
        Ok(delivery_row(&row)?.1)
    }

    /// Enqueues one message to one webhook (by pk) in a transaction of its own.
    async fn enqueue_one(&self, delivery: NewDelivery, now: Timestamp) -> StoreResult<Delivery> {
        let mut tx = self.begin_write().await?;
        let ids =
            insert_deliveries(&mut tx, self.engine.backend(), &[delivery], now.as_second()).await?;
        tx.commit().await?;
        self.delivery_by_id(&ids[0]).await
    }

    async fn webhook_pk(&self, org: &str, id: &str) -> StoreResult<i64> {
        let org_pk = self.org_pk(org).await?;
        let mut conn = self.read.acquire().await?;
        Ok(self.webhook_in_org(&mut conn, org_pk, id).await?.0)
    }

    /// Enqueues a `webhook.test` message to one webhook.
    pub async fn enqueue_test_delivery(
        &self,
        org: &str,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Delivery> {
        let webhook_pk = self.webhook_pk(org, id).await?;
        let payload = json!({
            "org": org,
            "webhook_id": id,
            "message": "a test message from supportctl",
            "at": now,
        });
        let delivery = NewDelivery {
            webhook_pk,
            msg_id: ids::new_id(ids::MESSAGE),
            event_type: "webhook.test".into(),
            event_seq: None,
            event_at: now.as_second(),
            payload: payload.to_string(),
        };
        self.enqueue_one(delivery, now).await
    }

    pub async fn list_deliveries(
        &self,
        org: &str,
        webhook_id: &str,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>> {
        let webhook_pk = self.webhook_pk(org, webhook_id).await?;
        let status_sql = if status.is_some() {
            "d.status = $3"
        } else {
            "$3 = $3"
        };
        // Newest first: the delivery just sent (a test, a redelivery) heads the list.
        let sql = format!(
            "{DELIVERY_SELECT} WHERE d.webhook_pk = $1 AND d.pk < $2 AND {status_sql} \
             ORDER BY d.pk DESC LIMIT $4"
        );
        let bind = |query: ListQuery, after: Option<i64>, limit: i64| {
            query
                .bind(webhook_pk)
                .bind(after.unwrap_or(i64::MAX))
                .bind(status.map_or("", DeliveryStatus::as_str))
                .bind(limit)
        };
        self.fetch_list(sql, bind, page, delivery_row).await
    }

    /// Enqueues the message of a delivery again (same `webhook-id`), as a new delivery.
    pub async fn redeliver(
        &self,
        org: &str,
        webhook_id: &str,
        delivery_id: &str,
        now: Timestamp,
    ) -> StoreResult<Delivery> {
        let webhook_pk = self.webhook_pk(org, webhook_id).await?;
        let row = sqlx::query(
            "SELECT msg_id, event_type, event_seq, event_at, payload FROM webhook_deliveries \
             WHERE webhook_pk = $1 AND id = $2",
        )
        .bind(webhook_pk)
        .bind(delivery_id)
        .fetch_optional(&self.read)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "no delivery '{delivery_id}' of webhook '{webhook_id}'"
            ))
        })?;
        let delivery = NewDelivery {
            webhook_pk,
            msg_id: row.try_get("msg_id")?,
            event_type: row.try_get("event_type")?,
            event_seq: row.try_get("event_seq")?,
            event_at: row.try_get("event_at")?,
            payload: row.try_get("payload")?,
        };
        self.enqueue_one(delivery, now).await
    }

    /// Leases up to `limit` due deliveries until `lease_until`: no other worker, on any
    /// replica, claims them before then.
    pub async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limits: ClaimLimits,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        // Each enabled webhook's oldest due deliveries, no more than it could take: one index
        // lookup per webhook, whatever the backlog (a ranking of every due row made each claim
        // cost as much as the backlog); and the leased rows, by their own index (SQLite's
        // planner would rather scan every pending row in webhook order to group them).
        let sql = self.engine.backend().sql();
        let (due, leased, lock) = (sql.due_deliveries, sql.leased_deliveries, sql.claim_lock);
        // `busy`: attempts in flight (leased rows), per webhook, then per org. `hook_rank`: a
        // due delivery's place in its webhook's queue, `org_rank` in its org's (of those within
        // the webhook's limit), each counted on from what is in flight: the claim takes ranks
        // 1, 2, ... of every org in turn, up to the limits. The conditions are checked again on
        // each row as it is when locked. Replicas claiming at the same moment do not see each
        // other's leases yet, so the limits hold per claim, not exactly over all replicas.
        let sql = format!(
            "UPDATE webhook_deliveries SET locked_until = $2, attempts = attempts + 1 \
             WHERE pk IN (SELECT c.pk FROM webhook_deliveries c WHERE c.status = 'pending' \
             AND c.locked_until <= $1 AND c.pk IN ( \
             WITH due AS ({due}), \
             busy AS (SELECT l.webhook_pk, COUNT(*) AS n FROM {leased} \
             WHERE l.status = 'pending' AND l.locked_until > $1 GROUP BY l.webhook_pk), \
             org_busy AS (SELECT bw.org_pk, SUM(busy.n) AS n FROM busy \
             JOIN webhooks bw ON bw.pk = busy.webhook_pk GROUP BY bw.org_pk), \
             hooked AS (SELECT due.pk, due.org_pk, due.next_attempt_at, \
             COALESCE(busy.n, 0) + ROW_NUMBER() OVER \
             (PARTITION BY due.webhook_pk ORDER BY due.next_attempt_at, due.pk) AS hook_rank \
             FROM due LEFT JOIN busy ON busy.webhook_pk = due.webhook_pk), \
             ranked AS (SELECT h.pk, h.next_attempt_at, COALESCE(ob.n, 0) + ROW_NUMBER() OVER \
             (PARTITION BY h.org_pk ORDER BY h.next_attempt_at, h.pk) AS org_rank \
             FROM hooked h LEFT JOIN org_busy ob ON ob.org_pk = h.org_pk \
             WHERE h.hook_rank <= $4) \
             SELECT ranked.pk FROM ranked WHERE ranked.org_rank <= $5 \
             ORDER BY ranked.org_rank, ranked.next_attempt_at, ranked.pk LIMIT $3) {lock}) \
             RETURNING pk, id, webhook_pk, msg_id, event_type, event_at, payload, attempts, created_at"
        );
        let _waiting = self.wait_for_write();
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(now.as_second())
            .bind(lease_until.as_second())
            .bind(limits.total)
            .bind(limits.per_webhook)
            .bind(limits.per_org)
            .fetch_all(&self.write)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // The webhooks of the claimed rows, in one query.
        let mut pks: Vec<i64> = Vec::with_capacity(rows.len());
        for row in &rows {
            let pk: i64 = row.try_get("webhook_pk")?;
            if !pks.contains(&pk) {
                pks.push(pk);
            }
        }
        let sql = format!(
            "SELECT pk, id, url, format, secret, previous_secret, previous_secret_until \
             FROM webhooks WHERE pk IN ({})",
            (1..=pks.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for pk in &pks {
            query = query.bind(*pk);
        }
        let mut hooks: HashMap<i64, (String, String, WebhookFormat, Vec<String>)> = HashMap::new();
        for hook in query.fetch_all(&self.read).await? {
            let mut secrets = vec![hook.try_get::<String, _>("secret")?];
            let previous: Option<String> = hook.try_get("previous_secret")?;
            let until: Option<i64> = hook.try_get("previous_secret_until")?;
            if let (Some(previous), Some(until)) = (previous, until)
                && until > now.as_second()
            {
                secrets.push(previous);
            }
            let format: String = hook.try_get("format")?;
            let format = WebhookFormat::from_stored(&format);
            hooks.insert(
                hook.try_get("pk")?,
                (hook.try_get("id")?, hook.try_get("url")?, format, secrets),
            );
        }
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let webhook_pk: i64 = row.try_get("webhook_pk")?;
            let (webhook_id, url, format, secrets) = hooks
                .get(&webhook_pk)
                .cloned()
                .ok_or_else(|| StoreError::Database(format!("no webhook {webhook_pk}")))?;
            claimed.push(ClaimedDelivery {
                pk: row.try_get("pk")?,
                id: row.try_get("id")?,
                webhook_pk,
                webhook_id,
                url,
                format,
                secrets,
                msg_id: row.try_get("msg_id")?,
                event_type: row.try_get("event_type")?,
                event_at: time(&row, "event_at")?.unwrap_or_default(),
                payload: row.try_get("payload")?,
                attempts: row.try_get("attempts")?,
                created_at: time(&row, "created_at")?.unwrap_or_default(),
            });
        }
        Ok(claimed)
    }

    /// Records how attempts ended. The worker hands over the attempts that ended together: the
    /// delivered ones (nearly all) cost one statement per status code, not one each; the rest
    /// share a transaction.
    pub async fn finish_deliveries(&self, finished: &[FinishedAttempt]) -> StoreResult<()> {
        let mut delivered: HashMap<u16, Vec<&FinishedAttempt>> = HashMap::new();
        let mut others = Vec::new();
        for attempt in finished {
            match attempt.outcome {
                AttemptOutcome::Delivered { status } => {
                    delivered.entry(status).or_default().push(attempt)
                }
                _ => others.push(attempt),
            }
        }
        for (status, attempts) in delivered {
            // `attempts` guards against a late finish of an attempt whose lease ran out and
            // whose delivery another worker has claimed since.
            let guards = (0..attempts.len())
                .map(|i| format!("(pk = ${} AND attempts = ${})", 3 + 2 * i, 4 + 2 * i))
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!(
                "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $1, \
                 last_status = $2, last_error = NULL, locked_until = 0 WHERE {guards}"
            );
            let at = attempts.iter().map(|a| a.at).max().unwrap_or_default();
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .bind(at.as_second())
                .bind(i64::from(status));
            for attempt in attempts {
                query = query
                    .bind(attempt.delivery.pk)
                    .bind(attempt.delivery.attempts);
            }
            let _waiting = self.wait_for_write();
            query.execute(&self.write).await?;
        }
        if !others.is_empty() {
            // Rows locked in one order by every transaction that locks several (the webhooks
            // a 410 disables, then deliveries by pk; deleting a webhook does the same), so that
            // none waits in a cycle.
            others.sort_by_key(|attempt| attempt.delivery.pk);
            let mut gone: Vec<i64> = others
                .iter()
                .filter(|attempt| attempt.outcome == AttemptOutcome::Gone)
                .map(|attempt| attempt.delivery.webhook_pk)
                .collect();
            gone.sort_unstable();
            gone.dedup();
            let mut tx = self.begin_write().await?;
            for webhook_pk in gone {
                self.lock_webhook(&mut tx, webhook_pk).await?;
            }
            for attempt in others {
                finish_one(&mut tx, attempt).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Ends every lease (a SQLite server at start: no other process can hold one).
    pub async fn release_delivery_leases(&self) -> StoreResult<()> {
        let _waiting = self.wait_for_write();
        sqlx::query("UPDATE webhook_deliveries SET locked_until = 0 WHERE status = 'pending' AND locked_until <> 0")
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Marks failed the newest pending deliveries of each webhook beyond its first `limit`
    /// (those in flight excepted): a receiver that is down, or an org that floods its webhooks,
    /// cannot grow the outbox without bound, and the events' transactions never wait for it.
    /// Returns how many.
    pub async fn fail_excess_deliveries(&self, limit: i64, now: Timestamp) -> StoreResult<u64> {
        let error = format!(
            "not sent: the webhook had {limit} deliveries pending (the most allowed); redeliver it once the receiver keeps up"
        );
        // Looked for first on a reader: nearly always no webhook is over, and ranking every
        // pending delivery would hold the writer for as long as the backlog is long.
        let over: Option<i64> = sqlx::query_scalar(
            "SELECT webhook_pk FROM webhook_deliveries WHERE status = 'pending' \
             GROUP BY webhook_pk HAVING COUNT(*) > $1 LIMIT 1",
        )
        .bind(limit)
        .fetch_optional(&self.read)
        .await?;
        if over.is_none() {
            return Ok(0);
        }
        let _waiting = self.wait_for_write();
        let failed = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', last_error = $2, locked_until = 0 \
             WHERE status = 'pending' AND locked_until <= $3 AND pk IN ( \
             SELECT queued.pk FROM (SELECT pk, locked_until, ROW_NUMBER() OVER \
             (PARTITION BY webhook_pk ORDER BY pk) AS place FROM webhook_deliveries \
             WHERE status = 'pending') queued \
             WHERE queued.place > $1 AND queued.locked_until <= $3)",
        )
        .bind(limit)
        .bind(error)
        .bind(now.as_second())
        .execute(&self.write)
        .await?;
        Ok(failed.rows_affected())
    }

    /// Marks failed the pending deliveries of disabled webhooks, which no claim takes: a
    /// webhook disabled (410 Gone) fails those it has, but on PostgreSQL an event committing
    /// at the same moment may add one after. Returns how many.
    pub async fn fail_deliveries_of_disabled_webhooks(&self, now: Timestamp) -> StoreResult<u64> {
        let _waiting = self.wait_for_write();
        let failed = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', locked_until = 0, \
             last_error = COALESCE(last_error, 'webhook disabled: ' || COALESCE( \
             (SELECT w.disabled_reason FROM webhooks w WHERE w.pk = webhook_deliveries.webhook_pk), \
             'disabled')) \
             WHERE status = 'pending' AND locked_until <= $1 \
             AND webhook_pk IN (SELECT pk FROM webhooks WHERE disabled_at IS NOT NULL)",
        )
        .bind(now.as_second())
        .execute(&self.write)
        .await?;
        Ok(failed.rows_affected())
    }

    /// Pending deliveries, and the oldest one's creation time.
    pub async fn delivery_backlog(&self) -> StoreResult<(i64, Option<Timestamp>)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM webhook_deliveries \
             WHERE status = 'pending'",
        )
        .fetch_one(&self.read)
        .await?;
        Ok((row.try_get("pending")?, time(&row, "oldest")?))
    }

    /// Enqueues `grant.expiring` for active grants expiring within their org policy's expiry
    /// warning (`default_warning_seconds` for orgs without a policy) that have not had one for
    /// their current expiry; returns how many grants.
    pub async fn enqueue_expiring(
        &self,
        now: Timestamp,
        default_warning_seconds: i64,
    ) -> StoreResult<usize> {
        // The org's policy decides when, read at each sweep: a policy change applies to every
        // grant not yet warned. The policy document is JSON text (see sql/policy.rs).
        let warning = self.engine.backend().sql().policy_expiry_warning;
        let sql = format!(
            "SELECT g.pk, g.id, o.slug, g.level, g.areas, g.reason, g.ticket, g.expires_at \
             FROM grants g JOIN orgs o ON o.pk = g.org_pk \
             LEFT JOIN org_policies p ON p.org_pk = g.org_pk \
             WHERE g.revoked_at IS NULL AND g.expires_at > $1 \
             AND g.expires_at <= $1 + COALESCE({warning}, $2) \
             AND (g.expiring_sent_for IS NULL OR g.expiring_sent_for <> g.expires_at) \
             AND EXISTS (SELECT 1 FROM webhooks w WHERE w.org_pk = g.org_pk AND w.disabled_at IS NULL) \
             ORDER BY g.pk LIMIT $3"
        );
        let grants = sqlx::query(AssertSqlSafe(sql))
            .bind(now.as_second())
            .bind(default_warning_seconds)
            .bind(EXPIRING_BATCH)
            .fetch_all(&self.read)
            .await?;
        if grants.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let mut sent = 0;
        for grant in &grants {
            let pk: i64 = grant.try_get("pk")?;
            let expires_at: i64 = grant.try_get("expires_at")?;
            // Claims the notice: on another replica, or after a concurrent extend, this
            // matches nothing and no second notice goes out.
            let claimed = sqlx::query(
                "UPDATE grants SET expiring_sent_for = $1 WHERE pk = $2 AND expires_at = $1 \
                 AND revoked_at IS NULL AND (expiring_sent_for IS NULL OR expiring_sent_for <> $1)",
            )
            .bind(expires_at)
            .bind(pk)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() != 1 {
                continue;
            }
            let slug: String = grant.try_get("slug")?;
            let areas: String = grant.try_get("areas")?;
            let data = json!({
                "id": grant.try_get::<String, _>("id")?,
                "org": slug,
                "level": grant.try_get::<String, _>("level")?,
                "areas": areas.split(',').filter(|a| !a.is_empty()).collect::<Vec<_>>(),
                "reason": grant.try_get::<String, _>("reason")?,
                "ticket": grant.try_get::<Option<String>, _>("ticket")?,
                "expires_at": Timestamp::from_second(expires_at).unwrap_or_default(),
            });
            let hooks = sqlx::query(
                "SELECT w.pk, w.events FROM webhooks w JOIN grants g ON g.org_pk = w.org_pk \
                 WHERE g.pk = $1 AND w.disabled_at IS NULL",
            )
            .bind(pk)
            .fetch_all(&mut *tx)
            .await?;
            let mut rows = Vec::new();
            for hook in hooks {
                let events: String = hook.try_get("events")?;
                let events: Vec<String> = serde_json::from_str(&events).unwrap_or_default();
                if crate::server::domain::webhooks::matches(&events, "grant.expiring") {
                    rows.push(NewDelivery {
                        webhook_pk: hook.try_get("pk")?,
                        msg_id: ids::new_id(ids::MESSAGE),
                        event_type: "grant.expiring".into(),
                        event_seq: None,
                        event_at: now.as_second(),
                        payload: data.to_string(),
                    });
                }
            }
            insert_deliveries(&mut tx, self.engine.backend(), &rows, now.as_second()).await?;
            sent += 1;
        }
        tx.commit().await?;
        Ok(sent)
    }
}

async fn finish_one(tx: &mut sqlx::AnyConnection, attempt: &FinishedAttempt) -> StoreResult<()> {
    let FinishedAttempt {
        delivery,
        outcome,
        at: now,
    } = attempt;
    let now = *now;
    // `attempts` guards against a late finish of an attempt whose lease ran out and whose
    // delivery another worker has claimed since.
    let guard = "WHERE pk = $1 AND attempts = $2";
    let run = |sql: String| {
        sqlx::query(AssertSqlSafe(sql))
            .bind(delivery.pk)
            .bind(delivery.attempts)
    };
    match outcome {
        AttemptOutcome::Delivered { status } => {
            run(format!(
                "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $3, \
                     last_status = $4, last_error = NULL, locked_until = 0 {guard}"
            ))
            .bind(now.as_second())
            .bind(i64::from(*status))
            .execute(&mut *tx)
            .await?;
        }
        AttemptOutcome::Failed {
            status,
            error,
            retry_at,
        } => {
            let status_text =
                if within_retry_window(delivery.created_at.as_second(), retry_at.as_second()) {
                    "pending"
                } else {
                    "failed"
                };
            run(format!(
                "UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4, \
                     last_status = $5, last_error = $6, locked_until = 0 {guard}"
            ))
            .bind(status_text)
            .bind(retry_at.as_second())
            .bind(status.map(i64::from))
            .bind(error.clone())
            .execute(&mut *tx)
            .await?;
        }
        AttemptOutcome::Gone => {
            sqlx::query(
                "UPDATE webhooks SET disabled_at = $1, disabled_reason = $2 \
                     WHERE pk = $3 AND disabled_at IS NULL",
            )
            .bind(now.as_second())
            .bind("the receiver answered 410 Gone")
            .bind(delivery.webhook_pk)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'failed', locked_until = 0, \
                     last_error = COALESCE(last_error, 'webhook disabled: the receiver answered 410 Gone') \
                     WHERE webhook_pk = $1 AND status = 'pending'",
                )
                .bind(delivery.webhook_pk)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE webhook_deliveries SET last_status = 410 WHERE pk = $1")
                .bind(delivery.pk)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}
