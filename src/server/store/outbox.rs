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

/// An enabled webhook of an org: its pk and the event patterns it subscribes to.
pub(super) struct EnabledWebhook {
    pub pk: i64,
    pub patterns: Vec<String>,
}

impl EnabledWebhook {
    /// From its row: `events` is the stored JSON list of patterns.
    pub fn from_row(pk: i64, events: &str) -> Self {
        EnabledWebhook {
            pk,
            patterns: serde_json::from_str(events).unwrap_or_default(),
        }
    }
}

/// The org's enabled webhooks, read in the transaction that writes the events.
pub(super) async fn enabled_webhooks(
    tx: &mut sqlx::AnyConnection,
    org_pk: i64,
) -> super::values::StoreResult<Vec<EnabledWebhook>> {
    use sqlx::Row;
    let hooks =
        sqlx::query("SELECT pk, events FROM webhooks WHERE org_pk = $1 AND disabled_at IS NULL")
            .bind(org_pk)
            .fetch_all(&mut *tx)
            .await?;
    hooks
        .iter()
        .map(|hook| {
            let events: String = hook.try_get("events")?;
            Ok(EnabledWebhook::from_row(hook.try_get("pk")?, &events))
        })
        .collect()
}

/// Adds one delivery per event per webhook that subscribes to it to `script`, which writes
/// the events.
pub(super) fn enqueue_events(
    script: &mut super::engine::script::Script,
    hooks: &[EnabledWebhook],
    events: &[crate::api::AuditEvent],
) -> super::values::StoreResult<()> {
    let mut rows = Vec::new();
    for hook in hooks {
        for event in events {
            if crate::server::domain::webhooks::delivered(&hook.patterns, &event.action) {
                rows.push(NewDelivery {
                    webhook_pk: hook.pk,
                    msg_id: event.id.clone(),
                    event_type: event.action.clone(),
                    event_seq: Some(event.seq),
                    event_at: event.at.as_second(),
                    payload: serde_json::to_string(event).map_err(|e| {
                        super::values::StoreError::Database(format!("encoding an event: {e}"))
                    })?,
                });
            }
        }
    }
    push_deliveries(
        script,
        &rows,
        events.first().map_or(0, |e| e.at.as_second()),
    );
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

/// Inserts pending deliveries due at `now`; returns their ids.
pub(super) async fn insert_deliveries(
    tx: &mut sqlx::AnyConnection,
    backend: super::engine::Backend,
    rows: &[NewDelivery],
    now: i64,
) -> super::values::StoreResult<Vec<String>> {
    let mut script = super::engine::script::Script::new(backend);
    let ids = push_deliveries(&mut script, rows, now);
    script.send(tx).await?;
    Ok(ids)
}

/// Adds the inserts of pending deliveries due at `now` to `script`, with the wake-up of the
/// delivery workers; returns their ids.
fn push_deliveries(
    script: &mut super::engine::script::Script,
    rows: &[NewDelivery],
    now: i64,
) -> Vec<String> {
    let ids: Vec<String> = rows
        .iter()
        .map(|_| crate::server::ids::new_id(crate::server::ids::DELIVERY))
        .collect();
    let mut inserts = super::engine::script::Rows::new(
        "INSERT INTO webhook_deliveries (id, webhook_pk, msg_id, event_type, event_seq, \
         event_at, payload, created_at, next_attempt_at, status) VALUES"
            .to_owned(),
    );
    for (row, id) in rows.iter().zip(&ids) {
        let columns = [
            script.bind(id.clone()),
            script.bind(row.webhook_pk),
            script.bind(row.msg_id.clone()),
            script.bind(row.event_type.clone()),
            script.bind(row.event_seq),
            script.bind(row.event_at),
            script.bind(row.payload.clone()),
            script.bind(now),
            script.bind(now),
        ];
        let row = format!("({}, 'pending')", columns.join(", "));
        script.add_row(&mut inserts, row);
    }
    script.end_rows(inserts);
    if !rows.is_empty() {
        // PostgreSQL sends the wake-up at commit, and folds repeats within a transaction into
        // one. On SQLite the worker's claim waits for the write connection, so it sees the
        // commit (see the module's comment).
        script.notify(CHANNEL);
        if script.backend().sql().single_process {
            wake();
        }
    }
    ids
}
