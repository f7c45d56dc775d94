//! Failed authentication, limited per client address: after `limit` bad tokens within a
//! window, every token from that address is refused with 429 until the window ends, without
//! being looked at, so that guessing learns nothing. A missing token is not a guess and does
//! not count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses remembered before expired windows are swept out.
const SWEEP_ABOVE: usize = 10_000;

pub struct AuthLimiter {
    limit: u32,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, Window>>,
}

struct Window {
    started: Instant,
    failures: u32,
}

impl AuthLimiter {
    /// `limit` failures per `window`; a limit of 0 turns limiting off.
    pub fn new(limit: u32, window: Duration) -> Self {
        AuthLimiter {
            limit,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds until the window ends)` when `address` has used up its failures.
    pub fn check(&self, address: IpAddr) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match failures.get(&address) {
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
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, window| window.started.elapsed() < self.window);
        }
        let window = failures.entry(address).or_insert(Window {
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
}
