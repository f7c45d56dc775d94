//! The server's limits on grant durations and session lifetimes (the policy flags).

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_grant: Duration,
    pub default_grant: Duration,
    pub max_session_ttl: Duration,
    pub default_session_ttl: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_grant: Duration::from_secs(30 * 24 * 3600),
            default_grant: Duration::from_secs(8 * 3600),
            max_session_ttl: Duration::from_secs(8 * 3600),
            default_session_ttl: Duration::from_secs(3600),
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
