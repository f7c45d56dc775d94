//! The delivery worker: one task per server that claims due deliveries from the outbox, POSTs
//! them (Standard Webhooks headers, or a Slack/Teams text), and records how each attempt went.
//! Replicas share the outbox; a claim leases a delivery so one attempt is in flight at a time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::domain::webhooks::{
    ClaimLimits, backoff_seconds, is_public, sign, slack_body, standard_body,
};
use super::state::AppState;
use super::store::outbox;
use super::store::{AttemptOutcome, ClaimedDelivery, FinishedAttempt};
pub use super::webhook_settings::{ManualSends, OutboxStats, WebhookSettings};
use crate::api::WebhookFormat;
use crate::api::ocsf::{ocsf_event, ocsf_notification};

/// A receiver gets this long to answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A receiver's host gets this long to be resolved and accept the connection: one that is
/// down holds a slot for this long, not for the whole attempt.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Why an attempt to a refused address failed. It names no address: what an internal host
/// name resolves to is no business of whoever reads the deliveries.
pub const REFUSED_ADDRESS: &str = "the webhook's host is not a public address (the server allows \
     private and special-purpose addresses only with --allow-private-webhooks)";
/// A claimed delivery is leased for this long: well past an attempt's timeout, so that only a
/// worker that died mid-attempt loses it to another.
const LEASE_SECONDS: i64 = 30;
/// How much of a receiver's answer is read to keep its connection for the next attempt.
const DRAIN_LIMIT: usize = 64 * 1024;
/// Attempts whose ends are recorded together: one commit for a burst.
const RECORD_BATCH: usize = 256;
/// How long the recorder waits for more attempts to end before committing what it has.
const RECORD_WINDOW: Duration = Duration::from_millis(5);
/// A webhook whose delivery failed this many times in a row is logged as failing.
const WARN_AFTER_ATTEMPTS: i64 = 3;

/// Resolves webhook hosts and refuses private addresses, at every connection: a name that
/// resolved to a public address when the webhook was added cannot be re-pointed inside.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private && addresses.iter().any(|a| !is_public(a.ip())) {
                return Err(REFUSED_ADDRESS.into());
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

pub fn client(settings: &WebhookSettings) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("supportctl-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: settings.allow_private,
        }))
        .build()
        .expect("the webhook HTTP client builds")
}

/// The request body of one delivery.
pub fn body_of(delivery: &ClaimedDelivery) -> String {
    match delivery.format {
        // The stored payload is the `data` as JSON text already: spliced in, not re-encoded.
        WebhookFormat::Standard
            if serde_json::from_str::<serde::de::IgnoredAny>(&delivery.payload).is_ok() =>
        {
            let text = |s: &str| serde_json::Value::from(s).to_string();
            format!(
                r#"{{"type":{},"timestamp":{},"data":{}}}"#,
                text(&delivery.event_type),
                text(&delivery.event_at.to_string()),
                delivery.payload
            )
        }
        format => {
            let data: serde_json::Value =
                serde_json::from_str(&delivery.payload).unwrap_or(serde_json::Value::Null);
            match format {
                WebhookFormat::Standard => {
                    standard_body(&delivery.event_type, &delivery.event_at.to_string(), &data)
                }
                WebhookFormat::Slack => slack_body(&delivery.event_type, &data),
                WebhookFormat::Ocsf => ocsf_body(delivery, &data),
            }
        }
    }
}

/// The OCSF event of an audit event; of a notification (`grant.expiring`, `webhook.test`),
/// the one built from its data.
fn ocsf_body(delivery: &ClaimedDelivery, data: &serde_json::Value) -> String {
    match serde_json::from_value::<crate::api::AuditEvent>(data.clone()) {
        Ok(event) => ocsf_event(&event).to_string(),
        Err(_) => ocsf_notification(&delivery.event_type, delivery.event_at, data).to_string(),
    }
}

/// Makes one attempt and says how it went.
pub async fn attempt(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    delivery: &ClaimedDelivery,
    now: Timestamp,
) -> AttemptOutcome {
    let retry = |status: Option<u16>, error: Option<String>| {
        let mut jitter = [0u8; 2];
        let _ = getrandom::fill(&mut jitter);
        let jitter = f64::from(u16::from_le_bytes(jitter)) / 65536.0;
        let delay = backoff_seconds(delivery.attempts, jitter);
        AttemptOutcome::Failed {
            status,
            error,
            retry_at: Timestamp::from_second(now.as_second() + delay).unwrap_or(now),
        }
    };
    // Literal addresses never reach the resolver: check them here.
    if !settings.allow_private
        && let Ok(url) = url::Url::parse(&delivery.url)
    {
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if literal.is_some_and(|ip| !is_public(ip)) {
            return retry(None, Some(REFUSED_ADDRESS.to_owned()));
        }
    }
    let body = body_of(delivery);
    let timestamp = now.as_second();
    let signatures = delivery
        .secrets
        .iter()
        .filter_map(|secret| sign(secret, &delivery.msg_id, timestamp, &body).ok())
        .collect::<Vec<_>>()
        .join(" ");
    let sent = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures)
        .body(body)
        .send()
        .await;
    let status = match sent {
        Ok(mut response) => {
            let status = response.status();
            // Read what little the receiver answered, so its connection is kept for the next
            // attempt; a long answer closes it instead.
            let mut read = 0;
            while let Ok(Some(chunk)) = response.chunk().await {
                read += chunk.len();
                if read > DRAIN_LIMIT {
                    break;
                }
            }
            Ok(status)
        }
        Err(error) => Err(error),
    };
    match status {
        Ok(status) if status.is_success() => AttemptOutcome::Delivered {
            status: status.as_u16(),
        },
        Ok(reqwest::StatusCode::GONE) => AttemptOutcome::Gone,
        Ok(status) => retry(Some(status.as_u16()), None),
        // Without the URL: a Slack or Teams URL is itself a secret.
        Err(error) => retry(None, Some(describe(&error.without_url()))),
    }
}

fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn deliver(
    state: AppState,
    client: reqwest::Client,
    delivery: ClaimedDelivery,
    recorder: mpsc::UnboundedSender<FinishedAttempt>,
) {
    let outcome = attempt(&client, &state.webhooks, &delivery, state.now()).await;
    state.metrics.delivery_attempted(&delivery, &outcome);
    match &outcome {
        AttemptOutcome::Gone => tracing::warn!(
            webhook = %delivery.webhook_id,
            "the receiver answered 410 Gone: webhook disabled"
        ),
        AttemptOutcome::Failed { status, error, .. }
            if delivery.attempts >= WARN_AFTER_ATTEMPTS =>
        {
            tracing::warn!(
                webhook = %delivery.webhook_id,
                delivery = %delivery.id,
                attempts = delivery.attempts,
                status = ?status,
                error = error.as_deref().unwrap_or(""),
                "webhook keeps failing"
            );
        }
        _ => {}
    }
    let _ = recorder.send(FinishedAttempt {
        delivery,
        outcome,
        at: state.now(),
    });
}

/// Records the attempts that end, a batch per transaction, until every sender is gone; each
/// batch recorded ends its leases, which `recorded` announces (the claim may take more then).
async fn record(
    state: AppState,
    mut ended: mpsc::UnboundedReceiver<FinishedAttempt>,
    recorded: Arc<tokio::sync::Notify>,
) {
    let mut batch = Vec::new();
    while let Some(first) = ended.recv().await {
        batch.push(first);
        // Attempts started together end together: wait a moment for the rest.
        let window = tokio::time::sleep(RECORD_WINDOW);
        tokio::pin!(window);
        while batch.len() < RECORD_BATCH {
            tokio::select! {
                next = ended.recv() => match next {
                    Some(next) => batch.push(next),
                    None => break,
                },
                _ = &mut window => break,
            }
        }
        if let Err(error) = state.store.finish_deliveries(&batch).await {
            // The leases run out and other attempts follow: at least once.
            tracing::warn!(%error, attempts = batch.len(), "recording delivery attempts failed");
        }
        batch.clear();
        recorded.notify_one();
    }
}

/// Claims and delivers until `stop` changes.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    if state.webhooks.concurrency == 0 {
        return;
    }
    if state.store.single_process()
        && let Err(error) = state.store.release_delivery_leases().await
    {
        tracing::warn!(%error, "releasing webhook delivery leases failed");
    }
    let client = client(&state.webhooks);
    let permits = Arc::new(Semaphore::new(state.webhooks.concurrency));
    let (ended, to_record) = mpsc::unbounded_channel();
    let recorded = Arc::new(tokio::sync::Notify::new());
    let recorder = tokio::spawn(record(state.clone(), to_record, recorded.clone()));
    let mut tasks = JoinSet::new();
    let mut last_stats = std::time::Instant::now() - Duration::from_secs(60);
    loop {
        while tasks.try_join_next().is_some() {}
        if last_stats.elapsed() >= Duration::from_secs(1) {
            last_stats = std::time::Instant::now();
            match state
                .store
                .fail_excess_deliveries(state.webhooks.max_pending_per_webhook, state.now())
                .await
            {
                Ok(0) => {}
                Ok(failed) => tracing::warn!(
                    failed,
                    limit = state.webhooks.max_pending_per_webhook,
                    "webhooks over their limit of pending deliveries: the newest were marked failed"
                ),
                Err(error) => {
                    tracing::warn!(%error, "failing the deliveries over the pending limit failed")
                }
            }
            if let Err(error) = state
                .store
                .fail_deliveries_of_disabled_webhooks(state.now())
                .await
            {
                tracing::warn!(%error, "failing the deliveries of disabled webhooks failed");
            }
            if let Ok((pending, oldest)) = state.store.delivery_backlog().await {
                state.outbox.pending.store(pending, Ordering::Relaxed);
                state
                    .outbox
                    .oldest
                    .store(oldest.map_or(0, Timestamp::as_second), Ordering::Relaxed);
            }
        }
        // Enabled before the claim: a commit that wakes us while we claim is not missed.
        let woken = outbox::woken();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let available = permits.available_permits();
        if available == 0 {
            tokio::select! {
                permit = permits.clone().acquire_owned() => drop(permit),
                _ = stop.changed() => break,
            }
            continue;
        }
        let now = state.now();
        let lease = Timestamp::from_second(now.as_second() + LEASE_SECONDS).unwrap_or(now);
        let claimed = match state
            .store
            .claim_deliveries(
                now,
                lease,
                ClaimLimits::new(state.webhooks.concurrency, available),
            )
            .await
        {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "claiming webhook deliveries failed; will retry");
                Vec::new()
            }
        };
        let full = claimed.len() == available;
        for delivery in claimed {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let (state, client, ended) = (state.clone(), client.clone(), ended.clone());
            tasks.spawn(async move {
                deliver(state, client, delivery, ended).await;
                drop(permit);
            });
        }
        // A full claim may have left due rows behind; otherwise everything due is in hand
        // until a commit wakes us, attempts in flight end (a claim held back by the limits on
        // attempts in flight per webhook and per org may take more then), or retries come due
        // (the poll).
        if full {
            continue;
        }
        tokio::select! {
            _ = &mut woken => {}
            _ = recorded.notified() => {}
            _ = tokio::time::sleep(state.webhooks.poll_interval) => {}
            _ = stop.changed() => break,
        }
    }
    // Attempts in flight are abandoned: their leases run out and they are tried again. Those
    // that ended are recorded first.
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    drop(ended);
    let _ = recorder.await;
}
