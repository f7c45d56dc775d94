//! The webhook worker's flags, and what it shares with the handlers through the server's state
//! (the outbox's counters, the allowance of manual sends): apart from the worker
//! (`webhooks`), which takes that state.

use std::sync::atomic::AtomicI64;
use std::time::Duration;

use super::domain::webhooks::{MAX_PENDING_PER_WEBHOOK, take_manual_send};

/// The server's webhook flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookSettings {
    /// `http://` URLs (`--allow-http-webhooks`).
    pub allow_http: bool,
    /// Addresses that are not globally routable: loopback, private, link-local, ...
    /// (`--allow-private-webhooks`).
    pub allow_private: bool,
    /// How often the outbox is looked at when nothing woke the worker (deliveries enqueued by
    /// another replica, retries coming due).
    pub poll_interval: Duration,
    /// Attempts in flight at once on this server (`--webhook-concurrency`); 0: this replica
    /// makes none and leaves the outbox to the others.
    pub concurrency: usize,
    /// Pending deliveries a webhook may have; the newest beyond them are marked failed.
    pub max_pending_per_webhook: i64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_http: false,
            allow_private: false,
            poll_interval: Duration::from_millis(250),
            concurrency: 64,
            max_pending_per_webhook: MAX_PENDING_PER_WEBHOOK,
        }
    }
}

/// What `/healthz` says about the outbox, as of the worker's last look.
#[derive(Debug, Default)]
pub struct OutboxStats {
    pub pending: AtomicI64,
    /// Unix seconds of the oldest pending delivery; 0 when none.
    pub oldest: AtomicI64,
}

/// When each webhook's allowance of `test` and `redeliver` messages is full again, on this
/// server: an admin's burst of them cannot fill the outbox.
#[derive(Debug, Default)]
pub struct ManualSends {
    full_at: std::sync::Mutex<std::collections::HashMap<String, i64>>,
}

impl ManualSends {
    /// Takes one message for `webhook` at `now` (Unix seconds), or says how many seconds
    /// until one is allowed.
    pub fn take(&self, webhook: &str, now: i64) -> Result<(), u64> {
        let mut full_at = self.full_at.lock().unwrap_or_else(|e| e.into_inner());
        // Allowances that are full again need no entry.
        if full_at.len() >= 10_000 {
            full_at.retain(|_, at| *at > now);
        }
        let next = take_manual_send(full_at.get(webhook).copied(), now)?;
        full_at.insert(webhook.to_owned(), next);
        Ok(())
    }
}
