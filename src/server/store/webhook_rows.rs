//! What the store takes and gives about webhooks and their deliveries.

use jiff::Timestamp;

use crate::api::WebhookFormat;

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub format: WebhookFormat,
    pub description: Option<String>,
    pub secret: String,
}

/// A delivery claimed by a worker, with what it needs to make the attempt.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub pk: i64,
    pub id: String,
    pub webhook_pk: i64,
    pub webhook_id: String,
    pub url: String,
    pub format: WebhookFormat,
    /// The secrets that sign this attempt: the current one, and the previous during a rotation.
    pub secrets: Vec<String>,
    pub msg_id: String,
    pub event_type: String,
    pub event_at: Timestamp,
    /// The message's `data`, as JSON text.
    pub payload: String,
    /// Attempts made, this one included.
    pub attempts: i64,
    pub created_at: Timestamp,
}

/// An attempt that ended, to be recorded.
#[derive(Debug, Clone)]
pub struct FinishedAttempt {
    pub delivery: ClaimedDelivery,
    pub outcome: AttemptOutcome,
    /// When it ended.
    pub at: Timestamp,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered {
        status: u16,
    },
    /// Retried at `retry_at` if still within the retry window, else `failed`.
    Failed {
        status: Option<u16>,
        error: Option<String>,
        retry_at: Timestamp,
    },
    /// 410 Gone: the delivery fails and the webhook is disabled.
    Gone,
}
