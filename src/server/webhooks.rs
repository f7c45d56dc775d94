//! The delivery worker: one task per server that claims due deliveries from the outbox, POSTs
//! them (Standard Webhooks headers, or a Slack/Teams text), and records how each attempt went.
//! Replicas share the outbox; a claim leases a delivery so one attempt is in flight at a time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::domain::webhooks::{backoff_seconds, is_private, sign, slack_body, standard_body};
use super::state::AppState;
use super::store::outbox;
use super::store::{AttemptOutcome, ClaimedDelivery};
use crate::api::WebhookFormat;

/// A receiver gets this long to answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A claimed delivery is leased for this long: well past an attempt's timeout, so that only a
/// worker that died mid-attempt loses it to another.
const LEASE_SECONDS: i64 = 30;
/// A webhook whose delivery failed this many times in a row is logged as failing.
const WARN_AFTER_ATTEMPTS: i64 = 3;

/// The server's webhook flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookSettings {
    /// `http://` URLs (`--allow-http-webhooks`).
    pub allow_http: bool,
    /// Loopback, private, link-local and unique-local addresses (`--allow-private-webhooks`).
    pub allow_private: bool,
    /// How often the outbox is looked at when nothing woke the worker (deliveries enqueued by
    /// another replica, retries coming due).
    pub poll_interval: Duration,
    /// Attempts in flight at once on this server (`--webhook-concurrency`); 0: this replica
    /// makes none and leaves the outbox to the others.
    pub concurrency: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_http: false,
            allow_private: false,
            poll_interval: Duration::from_millis(250),
            concurrency: 64,
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
            if !allow_private && let Some(refused) = addresses.iter().find(|a| is_private(a.ip())) {
                return Err(format!(
                    "{host} resolves to {}, a private address (the server allows those only with --allow-private-webhooks)",
                    refused.ip()
                )
                .into());
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

pub fn client(settings: &WebhookSettings) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
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
    let data: serde_json::Value =
        serde_json::from_str(&delivery.payload).unwrap_or(serde_json::Value::Null);
    match delivery.format {
        WebhookFormat::Standard => {
            standard_body(&delivery.event_type, &delivery.event_at.to_string(), &data)
        }
        WebhookFormat::Slack => slack_body(&delivery.event_type, &data),
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
        if let Some(ip) = literal.filter(|ip| is_private(*ip)) {
            return retry(
                None,
                Some(format!(
                    "{ip} is a private address (the server allows those only with --allow-private-webhooks)"
                )),
            );
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
    match sent {
        Ok(response) if response.status().is_success() => AttemptOutcome::Delivered {
            status: response.status().as_u16(),
        },
        Ok(response) if response.status() == reqwest::StatusCode::GONE => AttemptOutcome::Gone,
        Ok(response) => retry(Some(response.status().as_u16()), None),
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

async fn deliver(state: AppState, client: reqwest::Client, delivery: ClaimedDelivery) {
    let outcome = attempt(&client, &state.webhooks, &delivery, state.now()).await;
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
    if let Err(error) = state
        .store
        .finish_delivery(&delivery, &outcome, state.now())
        .await
    {
        // The lease runs out and another attempt follows: at least once.
        tracing::warn!(%error, delivery = %delivery.id, "recording a delivery attempt failed");
    }
}

/// Claims and delivers until `stop` changes.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    if state.store.backend() == "sqlite"
        && let Err(error) = state.store.release_delivery_leases().await
    {
        tracing::warn!(%error, "releasing webhook delivery leases failed");
    }
    if state.webhooks.concurrency == 0 {
        return;
    }
    let client = client(&state.webhooks);
    let permits = Arc::new(Semaphore::new(state.webhooks.concurrency));
    let mut tasks = JoinSet::new();
    let mut eager = 0u32;
    let mut last_stats = std::time::Instant::now() - Duration::from_secs(60);
    loop {
        while tasks.try_join_next().is_some() {}
        if last_stats.elapsed() >= Duration::from_secs(1) {
            last_stats = std::time::Instant::now();
            if let Ok((pending, oldest)) = state.store.delivery_backlog().await {
                state.outbox.pending.store(pending, Ordering::Relaxed);
                state
                    .outbox
                    .oldest
                    .store(oldest.map_or(0, Timestamp::as_second), Ordering::Relaxed);
            }
        }
        let seen = outbox::generation();
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
            .claim_deliveries(now, lease, available as i64)
            .await
        {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "claiming webhook deliveries failed; will retry");
                Vec::new()
            }
        };
        let got = claimed.len();
        for delivery in claimed {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let state = state.clone();
            let client = client.clone();
            tasks.spawn(async move {
                deliver(state, client, delivery).await;
                drop(permit);
            });
        }
        if got > 0 {
            continue;
        }
        // Enqueued in this process, perhaps not committed yet: look again shortly.
        if outbox::generation() != seen {
            eager = 10;
        }
        if eager > 0 {
            eager -= 1;
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
                _ = stop.changed() => break,
            }
            continue;
        }
        tokio::select! {
            _ = &mut woken => {}
            _ = tokio::time::sleep(state.webhooks.poll_interval) => {}
            _ = stop.changed() => break,
        }
    }
    // Attempts in flight are abandoned: their leases run out and they are tried again.
    tasks.abort_all();
}
