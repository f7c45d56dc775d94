//! Failed authentication, limited per client address: after `limit` bad tokens within a
//! window, every further bad token from that address is answered 429 until the window ends.
//! A valid token is never refused, so that bad tokens sent from a shared address (a NAT, a
//! proxy) cannot lock its other users out, an emergency revocation least of all. A missing
//! token is not a guess and does not count.
//!
//! An IPv6 client is counted by its /64 (one host usually owns a whole /64). Memory and time
//! are bounded against an attacker with many addresses: at most [`MAX_TRACKED`] addresses are
//! remembered, expired windows are swept at most once a second, and an address that arrives
//! while the table is full of live windows is not tracked (tokens have 192 random bits: the
//! limit keeps logs quiet and slows scripts, it is not what keeps tokens unguessable).

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderName};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses remembered at most.
const MAX_TRACKED: usize = 100_000;
/// How often a full table may be swept of expired windows.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

pub struct AuthLimiter {
    limit: u32,
    window: Duration,
    /// Where a trusted load balancer puts the client's address (e.g. X-Forwarded-For).
    client_header: Option<HeaderName>,
    state: Mutex<State>,
}

struct State {
    windows: HashMap<IpAddr, Window>,
    last_sweep: Instant,
}

struct Window {
    started: Instant,
    failures: u32,
}

/// The key an address is counted under: IPv4 as is (also when mapped into IPv6), IPv6 by /64.
/// The listener counts unauthenticated connections per address under the same key.
pub(crate) fn counted_as(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

impl AuthLimiter {
    /// `limit` failures per `window`; a limit of 0 turns limiting off.
    pub fn new(limit: u32, window: Duration) -> Self {
        AuthLimiter {
            limit,
            window,
            client_header: None,
            state: Mutex::new(State {
                windows: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        }
    }

    /// Takes the client's address from `header` when a request carries it: for a server behind
    /// a load balancer, whose own address every request would otherwise share.
    pub fn with_client_header(mut self, header: Option<HeaderName>) -> Self {
        self.client_header = header;
        self
    }

    /// The address a request is counted under: the right-most address of the configured
    /// header (the one the balancer added; those left of it are the client's to choose), else
    /// the TCP peer's.
    pub fn client_address(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let from_header = self.client_header.as_ref().and_then(|name| {
            let value = headers.get_all(name).iter().next_back()?.to_str().ok()?;
            value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
        });
        from_header.or(peer)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(seconds until the window ends)` when `address` has used up its failures.
    pub fn check(&self, address: IpAddr) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        match self.state().windows.get(&counted_as(address)) {
            Some(window) if window.failures >= self.limit => {
                let left = self.window.saturating_sub(window.started.elapsed());
                if left.is_zero() {
                    Ok(())
                } else {
                    Err(left.as_secs().max(1))
                }
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, address: IpAddr) {
        if self.limit == 0 {
            return;
        }
        let key = counted_as(address);
        let mut state = self.state();
        if state.windows.len() >= MAX_TRACKED && !state.windows.contains_key(&key) {
            if state.last_sweep.elapsed() < SWEEP_EVERY {
                return;
            }
            state.last_sweep = Instant::now();
            state
                .windows
                .retain(|_, window| window.started.elapsed() < self.window);
            if state.windows.len() >= MAX_TRACKED {
                tracing::warn!(
                    tracked = MAX_TRACKED,
                    "too many addresses failing authentication to track them all"
                );
                return;
            }
        }
        let window = state.windows.entry(key).or_insert(Window {
            started: Instant::now(),
            failures: 0,
        });
        if window.started.elapsed() >= self.window {
            *window = Window {
                started: Instant::now(),
                failures: 0,
            };
        }
        window.failures += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_after_its_failures_until_the_window_ends() {
        let limiter = AuthLimiter::new(3, Duration::from_millis(200));
        let attacker: IpAddr = "10.0.0.1".parse().unwrap();
        let bystander: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(attacker).is_ok());
            limiter.record_failure(attacker);
        }
        assert!(limiter.check(attacker).is_err());
        assert!(limiter.check(bystander).is_ok(), "limits are per address");
        std::thread::sleep(Duration::from_millis(250));
        assert!(limiter.check(attacker).is_ok(), "the window ends");
    }

    #[test]
    fn a_limit_of_zero_never_refuses() {
        let limiter = AuthLimiter::new(0, Duration::from_secs(60));
        let address: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..100 {
            limiter.record_failure(address);
        }
        assert!(limiter.check(address).is_ok());
    }

    #[test]
    fn ipv6_is_counted_by_its_64_and_mapped_ipv4_as_ipv4() {
        let limiter = AuthLimiter::new(2, Duration::from_secs(60));
        let host: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        limiter.record_failure(host);
        limiter.record_failure(same_64);
        assert!(limiter.check(host).is_err());
        assert!(limiter.check(same_64).is_err(), "one /64, one budget");
        assert!(limiter.check(other_64).is_ok());

        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        limiter.record_failure(v4);
        limiter.record_failure(mapped);
        assert!(limiter.check(v4).is_err());
    }

    #[test]
    fn the_table_of_addresses_stays_bounded() {
        let limiter = AuthLimiter::new(1, Duration::from_secs(60));
        for n in 0..(MAX_TRACKED as u32 + 5_000) {
            limiter.record_failure(IpAddr::V4(n.into()));
        }
        assert_eq!(limiter.state().windows.len(), MAX_TRACKED);
        // Those already tracked are still limited.
        assert!(limiter.check(IpAddr::V4(7u32.into())).is_err());
    }

    #[test]
    fn the_client_address_is_the_right_most_of_the_configured_header_else_the_peer() {
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.2.3.4, 203.0.113.9".parse().unwrap());
        let plain = AuthLimiter::new(3, Duration::from_secs(60));
        assert_eq!(plain.client_address(Some(peer), &headers), Some(peer));
        let behind = AuthLimiter::new(3, Duration::from_secs(60))
            .with_client_header(Some(HeaderName::from_static("x-forwarded-for")));
        assert_eq!(
            behind.client_address(Some(peer), &headers),
            Some("203.0.113.9".parse().unwrap())
        );
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(behind.client_address(Some(peer), &headers), Some(peer));
        assert_eq!(
            behind.client_address(Some(peer), &HeaderMap::new()),
            Some(peer)
        );
    }
}
