//! What every handler shares: the store, the policy and the clock.

use std::ops::Deref;
use std::sync::Arc;

use jiff::Timestamp;

use super::account_limits::AccountLimits;
use super::clock::Clock;
use super::health::DatabaseHealth;
use super::lifecycle::Lifecycle;
use super::limiter::AuthLimiter;
use super::metrics::Metrics;
use super::policy::Policy;
use super::store::Store;
use super::webhook_settings::{ManualSends, OutboxStats, WebhookSettings};

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub store: Store,
    pub policy: Policy,
    pub clock: Arc<dyn Clock>,
    pub auth_limiter: AuthLimiter,
    pub account_limits: AccountLimits,
    /// The longest a long poll may wait: short of the server's request timeout.
    pub max_wait: std::time::Duration,
    /// The database status `/healthz` reports, refreshed in the background.
    pub health: DatabaseHealth,
    pub webhooks: WebhookSettings,
    pub outbox: OutboxStats,
    /// Whether a shutdown began (`/readyz`).
    pub lifecycle: Lifecycle,
    /// Each webhook's allowance of `test` and `redeliver` messages.
    pub manual_sends: ManualSends,
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
    /// Sign-in with identity providers.
    pub sso: super::sso::Sso,
}

impl AppState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        policy: Policy,
        clock: Arc<dyn Clock>,
        auth_limiter: AuthLimiter,
        account_limits: AccountLimits,
        max_wait: std::time::Duration,
        webhooks: WebhookSettings,
        metrics: Arc<Metrics>,
        sso: super::sso::Sso,
    ) -> Self {
        AppState(Arc::new(Shared {
            store,
            policy,
            clock,
            auth_limiter,
            account_limits,
            max_wait,
            health: DatabaseHealth::default(),
            webhooks,
            outbox: OutboxStats::default(),
            lifecycle: Lifecycle::default(),
            manual_sends: ManualSends::default(),
            metrics,
            sso,
        }))
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
