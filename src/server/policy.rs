//! The server's limits on grant durations and session lifetimes (the policy flags).

use std::time::Duration;

/// The longest a policy may allow: 100 years (grants "forever" are not a support-access thing,
/// and expiries must stay far inside the timestamp range).
const MAX_POLICY_DURATION: Duration = Duration::from_secs(36_525 * 24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_grant: Duration,
    pub default_grant: Duration,
    pub max_session_ttl: Duration,
    pub default_session_ttl: Duration,
    /// Sessions one support engineer may have active at once, across orgs: a stolen
    /// engineer token cannot flood an org with sessions.
    pub max_sessions_per_engineer: u32,
    /// How long before a grant's expiry `grant.expiring` goes out, for orgs whose policy does
    /// not say (`--expiry-warning`).
    pub expiry_warning: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_grant: Duration::from_secs(30 * 24 * 3600),
            default_grant: Duration::from_secs(8 * 3600),
            max_session_ttl: Duration::from_secs(8 * 3600),
            default_session_ttl: Duration::from_secs(3600),
            max_sessions_per_engineer: 1000,
            expiry_warning: Duration::from_secs(3600),
        }
    }
}

impl Policy {
    /// Refuses a policy whose defaults exceed its maximums, or that allows nothing.
    pub fn validate(&self) -> Result<(), String> {
        let fmt = |d: Duration| humantime::format_duration(d).to_string();
        if self.max_grant.as_secs() == 0 || self.max_session_ttl.as_secs() == 0 {
            return Err("maximum durations must be at least one second".into());
        }
        if self.max_sessions_per_engineer == 0 {
            return Err("--max-sessions-per-engineer must be at least 1".into());
        }
        // Expiries are computed as now + duration: keep them well inside the time range.
        for (flag, duration) in [
            ("--max-grant-duration", self.max_grant),
            ("--max-session-ttl", self.max_session_ttl),
            ("--expiry-warning", self.expiry_warning),
        ] {
            if duration > MAX_POLICY_DURATION {
                return Err(format!(
                    "{flag} ({}) exceeds the longest supported, {}",
                    fmt(duration),
                    fmt(MAX_POLICY_DURATION)
                ));
            }
        }
        if self.default_grant > self.max_grant {
            return Err(format!(
                "--default-grant-duration ({}) exceeds --max-grant-duration ({})",
                fmt(self.default_grant),
                fmt(self.max_grant)
            ));
        }
        if self.default_session_ttl > self.max_session_ttl {
            return Err(format!(
                "--default-session-ttl ({}) exceeds --max-session-ttl ({})",
                fmt(self.default_session_ttl),
                fmt(self.max_session_ttl)
            ));
        }
        Ok(())
    }

    pub fn expiry_warning_seconds(&self) -> i64 {
        seconds(self.expiry_warning)
    }

    pub fn max_grant_seconds(&self) -> i64 {
        seconds(self.max_grant)
    }

    pub fn default_grant_seconds(&self) -> i64 {
        seconds(self.default_grant)
    }

    pub fn max_session_seconds(&self) -> i64 {
        seconds(self.max_session_ttl)
    }

    pub fn default_session_seconds(&self) -> i64 {
        seconds(self.default_session_ttl)
    }
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_is_refused_when_its_defaults_exceed_its_maximums_or_it_overflows_time() {
        assert_eq!(Policy::default().validate(), Ok(()));
        let long_default = Policy {
            default_grant: Duration::from_secs(31 * 24 * 3600),
            ..Policy::default()
        };
        assert!(
            long_default
                .validate()
                .unwrap_err()
                .contains("--default-grant-duration")
        );
        let endless = Policy {
            max_grant: Duration::from_secs(u64::MAX / 2),
            ..Policy::default()
        };
        assert!(
            endless
                .validate()
                .unwrap_err()
                .contains("--max-grant-duration")
        );
        let zero = Policy {
            max_session_ttl: Duration::ZERO,
            default_session_ttl: Duration::ZERO,
            ..Policy::default()
        };
        assert!(zero.validate().is_err());
    }
}
