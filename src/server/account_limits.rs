//! How often one account may file access requests and open sessions. Each that goes through
//! writes an audit event and notifies the org's webhooks, and each refused one still costs the
//! database its reads, so an engineer (or a stolen engineer token) calling in a loop would
//! flood an org's log and chat, or the server, even where it holds no grant. Every attempt by
//! an account of the right role counts, refused ones included; one over the limit is answered
//! 429 with `Retry-After` before the store is asked anything, so it leaves no trace.
//!
//! Each account has a token bucket: a burst of [`BURST_SECONDS`] seconds' worth of calls, then
//! the per-minute rate. The buckets live in the server process (each replica counts on its
//! own). At most [`MAX_TRACKED`] accounts are remembered; a bucket that has filled up again is
//! the same as none, so full ones are swept when the table is full (at most once a second).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::ApiError;
use super::store::Principal;
use crate::api::ErrorCode;

/// Accounts remembered at most.
const MAX_TRACKED: usize = 100_000;
/// How often a full table may be swept of full buckets.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// A bucket holds this many seconds' worth of calls at the per-minute rate (at least one).
pub const BURST_SECONDS: u32 = 10;

/// The per-account limits a server enforces (`--account-requests-per-minute`,
/// `--account-sessions-per-minute`); 0 turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountLimitSettings {
    /// Access requests one account may file per minute.
    pub requests_per_minute: u32,
    /// Sessions one account may try to open per minute.
    pub sessions_per_minute: u32,
}

impl Default for AccountLimitSettings {
    fn default() -> Self {
        AccountLimitSettings {
            requests_per_minute: 30,
            sessions_per_minute: 60,
        }
    }
}

impl AccountLimitSettings {
    /// No per-account limit at all.
    pub const OFF: AccountLimitSettings = AccountLimitSettings {
        requests_per_minute: 0,
        sessions_per_minute: 0,
    };
}

/// The limiters of the calls that are limited per account.
pub struct AccountLimits {
    pub requests: AccountLimiter,
    pub sessions: AccountLimiter,
}

impl AccountLimits {
    pub fn new(settings: AccountLimitSettings) -> Self {
        AccountLimits {
            requests: AccountLimiter::new(settings.requests_per_minute, "access requests"),
            sessions: AccountLimiter::new(settings.sessions_per_minute, "session opens"),
        }
    }
}

/// One kind of call, limited per account.
pub struct AccountLimiter {
    per_minute: u32,
    /// What is counted, as the refusal says it.
    what: &'static str,
    state: Mutex<State>,
}

struct State {
    /// Per account, when its bucket is full again: each call moves it one interval on.
    full_at: HashMap<i64, Instant>,
    last_sweep: Instant,
}

impl AccountLimiter {
    /// `per_minute` calls a minute per account; 0 turns limiting off.
    pub fn new(per_minute: u32, what: &'static str) -> Self {
        AccountLimiter {
            per_minute,
            what,
            state: Mutex::new(State {
                full_at: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        }
    }

    /// The time one call takes to come back.
    fn interval(&self) -> Duration {
        Duration::from_secs(60) / self.per_minute
    }

    /// How far ahead of now a bucket may be full again and still have a call left: a
    /// burst's worth of calls, less the one being made.
    fn tolerance(&self) -> Duration {
        let burst = (u64::from(self.per_minute) * u64::from(BURST_SECONDS))
            .div_ceil(60)
            .max(1);
        self.interval() * u32::try_from(burst - 1).unwrap_or(u32::MAX)
    }

    /// Counts a call by `account`: 429 with the seconds until its next call when its budget is
    /// spent (the refused call is not counted).
    pub fn check(&self, account: &Principal) -> Result<(), ApiError> {
        self.take(account.pk, Instant::now()).map_err(|retry_after| {
            let mut error = ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "too many {} by this account (at most {} a minute); retry in {retry_after}s",
                    self.what, self.per_minute
                ),
            );
            error.retry_after = Some(retry_after);
            error
        })
    }

    /// Takes one call from `account`'s bucket at `now`, or says in how many whole seconds
    /// one is there again (the generic cell rate algorithm: a token bucket kept as one time).
    fn take(&self, account: i64, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.full_at.len() >= MAX_TRACKED && !state.full_at.contains_key(&account) {
            if now.saturating_duration_since(state.last_sweep) >= SWEEP_EVERY {
                state.last_sweep = now;
                state.full_at.retain(|_, full_at| *full_at > now);
            }
            if state.full_at.len() >= MAX_TRACKED {
                // Accounts are made only by operators and admins, so this many calling at
                // once is a deployment far larger than the table; let it through.
                tracing::warn!(
                    tracked = MAX_TRACKED,
                    "too many accounts calling at once to limit them all"
                );
                return Ok(());
            }
        }
        let tolerance = self.tolerance();
        let full_at = state.full_at.entry(account).or_insert(now);
        let from = (*full_at).max(now);
        let ahead = from - now;
        if ahead > tolerance {
            let wait = ahead - tolerance;
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(seconds.max(1));
        }
        *full_at = from + self.interval();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_gets_its_burst_then_its_rate() {
        // 60 a minute: a burst of 10, then one a second.
        let limiter = AccountLimiter::new(60, "session opens");
        let start = Instant::now();
        for _ in 0..10 {
            assert!(limiter.take(1, start).is_ok());
        }
        assert_eq!(limiter.take(1, start), Err(1));
        assert!(limiter.take(2, start).is_ok(), "limits are per account");
        let later = start + Duration::from_millis(1000);
        assert!(
            limiter.take(1, later).is_ok(),
            "one call a second comes back"
        );
        assert_eq!(limiter.take(1, later), Err(1));
        // A refused call is not counted: the next second brings one call again.
        assert!(limiter.take(1, later + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn retry_after_is_the_wait_for_the_next_call() {
        // 6 a minute: a burst of 1, then one every 10 seconds.
        let limiter = AccountLimiter::new(6, "access requests");
        let start = Instant::now();
        assert!(limiter.take(1, start).is_ok());
        assert_eq!(limiter.take(1, start), Err(10));
        assert_eq!(limiter.take(1, start + Duration::from_secs(4)), Err(6));
        assert!(limiter.take(1, start + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn a_limit_of_zero_never_refuses() {
        let limiter = AccountLimiter::new(0, "access requests");
        let now = Instant::now();
        for _ in 0..1000 {
            assert!(limiter.take(1, now).is_ok());
        }
    }

    #[test]
    fn the_table_of_accounts_stays_bounded() {
        let limiter = AccountLimiter::new(6, "access requests");
        let start = Instant::now();
        for account in 0..(MAX_TRACKED as i64 + 5_000) {
            let _ = limiter.take(account, start);
        }
        let tracked = || limiter.state.lock().unwrap().full_at.len();
        assert_eq!(tracked(), MAX_TRACKED);
        // Those already tracked are still limited.
        assert!(limiter.take(7, start).is_err());
        // Once their buckets have filled up again, they make room for others.
        let later = start + Duration::from_secs(60);
        assert!(limiter.take(MAX_TRACKED as i64 + 10_000, later).is_ok());
        assert_eq!(tracked(), 1);
    }
}
