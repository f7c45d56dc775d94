//! Waking the delivery worker once deliveries are committed, so that one starts right after
//! its commit instead of at the next poll. On SQLite the enqueuing transaction wakes this
//! process's worker itself: the worker claims on the one write connection, which that
//! transaction holds until it commits, so the claim sees the commit. On PostgreSQL the
//! enqueuing statement sends a `NOTIFY`, which the database delivers at commit to every
//! replica's `LISTEN` (this one's included; see `notify.rs`).

use tokio::sync::Notify;

/// The PostgreSQL channel new deliveries are announced on.
pub const CHANNEL: &str = "supportctl_outbox";

static WAKE: Notify = Notify::const_new();

/// Deliveries were enqueued (or, after a lost listening connection, may have been): the
/// worker looks at the outbox now. Wake-ups that come while it is busy fold into one.
pub fn wake() {
    WAKE.notify_waiters();
}

/// Resolves at the next [`wake`] once enabled (enable it before looking at the outbox, so a
/// wake-up during the look is not lost).
pub fn woken() -> tokio::sync::futures::Notified<'static> {
    WAKE.notified()
}

/// Enqueues one delivery per event per enabled webhook of the org that subscribes to it, in
/// the transaction that writes the events.
pub(super) async fn enqueue_events(
    tx: &mut sqlx::AnyConnection,
    backend: super::backend::Backend,
    org_pk: i64,
    events: &[crate::api::AuditEvent],
) -> super::StoreResult<()> {
    use sqlx::Row;
    let hooks =
        sqlx::query("SELECT pk, events FROM webhooks WHERE org_pk = $1 AND disabled_at IS NULL")
            .bind(org_pk)
            .fetch_all(&mut *tx)
            .await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::new();
    for hook in &hooks {
        let pk: i64 = hook.try_get("pk")?;
        let patterns: String = hook.try_get("events")?;
        let patterns: Vec<String> = serde_json::from_str(&patterns).unwrap_or_default();
        for event in events {
            if crate::server::domain::webhooks::matches(&patterns, &event.action) {
                rows.push(NewDelivery {
                    webhook_pk: pk,
                    msg_id: event.id.clone(),
                    event_type: event.action.clone(),
                    event_seq: Some(event.seq),
                    event_at: event.at.as_second(),
                    payload: serde_json::to_string(event).map_err(|e| {
                        super::StoreError::Database(format!("encoding an event: {e}"))
                    })?,
                });
            }
        }
    }
    insert_deliveries(
        tx,
        backend,
        &rows,
        events.first().map_or(0, |e| e.at.as_second()),
    )
    .await?;
    Ok(())
}

/// A message to enqueue for one webhook.
pub(super) struct NewDelivery {
    pub webhook_pk: i64,
    pub msg_id: String,
    pub event_type: String,
    pub event_seq: Option<i64>,
    pub event_at: i64,
    pub payload: String,
}

const DELIVERY_COLUMNS: usize = 9;
const DELIVERY_CHUNK: usize = 500;

/// Inserts pending deliveries due at `now`; returns their ids.
pub(super) async fn insert_deliveries(
    tx: &mut sqlx::AnyConnection,
    backend: super::backend::Backend,
    rows: &[NewDelivery],
    now: i64,
) -> super::StoreResult<Vec<String>> {
    let ids: Vec<String> = rows
        .iter()
        .map(|_| crate::server::ids::new_id(crate::server::ids::DELIVERY))
        .collect();
    for (chunk, chunk_ids) in rows.chunks(DELIVERY_CHUNK).zip(ids.chunks(DELIVERY_CHUNK)) {
        let mut sql = format!(
            "INSERT INTO webhook_deliveries (id, webhook_pk, msg_id, event_type, event_seq, \
             event_at, payload, created_at, next_attempt_at, status) VALUES {}",
            super::chain::placeholders(backend, chunk.len(), DELIVERY_COLUMNS)
                .replace(')', ", 'pending')")
        );
        // The wake-up, in the same statement (no extra round trip); PostgreSQL sends it at
        // commit, and folds repeats within a transaction into one.
        if backend == super::backend::Backend::Postgres {
            sql = format!(
                "WITH inserted AS ({sql}), notified AS (SELECT pg_notify('{CHANNEL}', '')) \
                 SELECT COUNT(*) FROM notified"
            );
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (row, id) in chunk.iter().zip(chunk_ids) {
            query = query
                .bind(id.clone())
                .bind(row.webhook_pk)
                .bind(row.msg_id.clone())
                .bind(row.event_type.clone())
                .bind(row.event_seq)
                .bind(row.event_at)
                .bind(row.payload.clone())
                .bind(now)
                .bind(now);
        }
        query.execute(&mut *tx).await?;
    }
    if !rows.is_empty() && backend == super::backend::Backend::Sqlite {
        wake();
    }
    Ok(ids)
}
