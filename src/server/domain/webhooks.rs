//! The rules of webhooks, free of I/O: which events a subscription covers, when a failed
//! delivery is tried again, which addresses may be called, how a message is signed, and the
//! sentence a chat channel shows.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{KeyInit, Mac};
use serde_json::Value;

/// Most webhooks one org may have.
pub const MAX_PER_ORG: i64 = 10;
/// A failing delivery is tried again for this long after it was enqueued, then `failed`.
pub const RETRY_WINDOW_SECONDS: i64 = 24 * 3600;
/// After a rotation the previous secret also signs for this long.
pub const ROTATION_OVERLAP_SECONDS: i64 = 24 * 3600;
/// The prefix of a webhook secret (Standard Webhooks' convention).
pub const SECRET_PREFIX: &str = "whsec_";

/// Delays before the 2nd, 3rd, ... attempt; after the last, every 2 hours.
const BACKOFF: [i64; 6] = [5, 30, 120, 600, 1800, 3600];
const BACKOFF_AFTER: i64 = 7200;

/// Whether `event` (an audit action such as `grant.created`, or a notification such as
/// `grant.expiring`) is covered by `patterns`: `*`, an exact name, or `prefix.*`.
pub fn matches(patterns: &[String], event: &str) -> bool {
    patterns.iter().any(|pattern| {
        pattern == "*"
            || pattern == event
            || pattern.strip_suffix(".*").is_some_and(|prefix| {
                event
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
    })
}

/// A subscription pattern is `*`, `word.*` or `word.word`, in lowercase letters, digits, `_`, `-`.
pub fn valid_pattern(pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    };
    match pattern.split_once('.') {
        Some((kind, rest)) => word(kind) && (rest == "*" || word(rest)),
        None => false,
    }
}

/// Seconds to wait before the next attempt, after `attempts` failed ones (1 = the first),
/// with up to ±20 % jitter from `jitter` in `[0, 1)`.
pub fn backoff_seconds(attempts: i64, jitter: f64) -> i64 {
    let base = usize::try_from(attempts - 1)
        .ok()
        .and_then(|index| BACKOFF.get(index).copied())
        .unwrap_or(BACKOFF_AFTER);
    let spread = (base as f64) * 0.2 * (2.0 * jitter.clamp(0.0, 1.0) - 1.0);
    (base + spread.round() as i64).max(1)
}

/// Whether a delivery enqueued at `created_at` may still be tried at `next`.
pub fn within_retry_window(created_at: i64, next: i64) -> bool {
    next <= created_at + RETRY_WINDOW_SECONDS
}

/// Whether an address is one a webhook may not reach without `--allow-private-webhooks`:
/// loopback, private (RFC 1918), link-local, unique-local (fc00::/7), unspecified, CGNAT,
/// and IPv4 behind IPv6 mapping.
pub fn is_private(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Why a webhook URL is refused, if it is: it must be absolute `https://` (or `http://` when
/// allowed), with a host, no credentials and no fragment.
pub fn check_url(url: &str, allow_http: bool) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => {
            return Err(
                "webhook URLs must be https:// (this server was not started with --allow-http-webhooks)"
                    .into(),
            );
        }
        other => return Err(format!("webhook URLs must be https://, not {other}://")),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("the webhook URL has no host".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the webhook URL may not carry credentials".into());
    }
    if parsed.fragment().is_some() {
        return Err("the webhook URL may not have a #fragment".into());
    }
    if url.len() > 2048 {
        return Err("the webhook URL is longer than 2048 characters".into());
    }
    Ok(parsed)
}

/// A new secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the OS has randomness");
    format!("{SECRET_PREFIX}{}", B64.encode(key))
}

/// The `webhook-signature` value for one secret: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}`, keyed with the base64-decoded secret.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = B64
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .map_err(|_| "a stored webhook secret is not base64".to_owned())?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key)
        .map_err(|_| "bad webhook key length".to_owned())?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// The body of a `standard` message: `{"type", "timestamp", "data"}`.
pub fn standard_body(event_type: &str, timestamp: &str, data: &Value) -> String {
    serde_json::json!({"type": event_type, "timestamp": timestamp, "data": data}).to_string()
}

/// The body of a `slack` message: `{"text": ...}`, one sentence about the event.
pub fn slack_body(event_type: &str, data: &Value) -> String {
    serde_json::json!({"text": slack_text(event_type, data)}).to_string()
}

/// One human sentence: who did what, in which org, with level, areas, ticket and reason when
/// the event has them, and for a pending request the command that approves it.
pub fn slack_text(event_type: &str, data: &Value) -> String {
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let details = data.get("details").cloned().unwrap_or(Value::Null);
    let who = data
        .get("actor")
        .and_then(|actor| text(actor, "email"))
        .unwrap_or_else(|| "someone".into());
    let org = text(data, "org").unwrap_or_default();
    let target = text(data, "target");
    let mut sentence = match event_type {
        "webhook.test" => format!("Test message from supportctl for org {org}"),
        "grant.expiring" => format!(
            "Support access grant {} in {org} expires at {}",
            text(data, "id").unwrap_or_default(),
            text(data, "expires_at").unwrap_or_default()
        ),
        _ => {
            let what = event_type.replace(['.', '_'], " ");
            match &target {
                Some(target) => format!("{who} — {what} {target} in {org}"),
                None => format!("{who} — {what} in {org}"),
            }
        }
    };
    let source = if event_type == "grant.expiring" {
        data
    } else {
        &details
    };
    if let Some(level) = text(source, "level") {
        sentence.push_str(&format!(", level {level}"));
    }
    if let Some(areas) = source.get("areas").and_then(Value::as_array) {
        let areas: Vec<&str> = areas.iter().filter_map(Value::as_str).collect();
        if !areas.is_empty() {
            sentence.push_str(&format!(", areas {}", areas.join(", ")));
        }
    }
    if let Some(ticket) = text(source, "ticket") {
        sentence.push_str(&format!(", ticket {ticket}"));
    }
    if let Some(reason) = text(source, "reason") {
        sentence.push_str(&format!(", reason: \"{reason}\""));
    }
    sentence.push('.');
    if event_type == "request.created"
        && let Some(id) = target.filter(|id| id.starts_with("rq_"))
    {
        sentence.push_str(&format!(
            " To approve: `supportctl request approve {id} --org {org}`"
        ));
    }
    sentence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_cover_exact_names_prefixes_and_everything() {
        let p = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches(&p(&["*"]), "grant.created"));
        assert!(matches(&p(&["grant.*"]), "grant.expiring"));
        assert!(!matches(&p(&["grant.*"]), "grants.created"));
        assert!(!matches(&p(&["grant.*"]), "session.opened"));
        assert!(matches(
            &p(&["session.opened", "request.created"]),
            "request.created"
        ));
        assert!(!matches(&p(&[]), "grant.created"));
        assert!(valid_pattern("grant.*") && valid_pattern("*") && valid_pattern("request.created"));
        assert!(
            !valid_pattern("grant") && !valid_pattern("*.created") && !valid_pattern("Grant.x")
        );
    }

    #[test]
    fn backoff_follows_the_schedule_within_its_jitter() {
        let schedule: Vec<i64> = (1..=8).map(|n| backoff_seconds(n, 0.5)).collect();
        assert_eq!(schedule, [5, 30, 120, 600, 1800, 3600, 7200, 7200]);
        assert_eq!(backoff_seconds(2, 0.0), 24);
        assert_eq!(backoff_seconds(2, 1.0), 36);
        assert!(within_retry_window(0, RETRY_WINDOW_SECONDS));
        assert!(!within_retry_window(0, RETRY_WINDOW_SECONDS + 1));
    }

    #[test]
    fn private_loopback_link_local_and_unique_local_addresses_are_refused() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(is_private(address.parse().unwrap()), "{address}");
        }
        for address in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_private(address.parse().unwrap()), "{address}");
        }
    }

    #[test]
    fn urls_must_be_https_unless_http_is_allowed() {
        assert!(check_url("https://hooks.example.com/x", false).is_ok());
        assert!(check_url("http://hooks.example.com/x", false).is_err());
        assert!(check_url("http://hooks.example.com/x", true).is_ok());
        assert!(check_url("ftp://hooks.example.com/x", true).is_err());
        assert!(check_url("https://user:pw@hooks.example.com/x", false).is_err());
        assert!(check_url("not a url", true).is_err());
    }

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        // The Standard Webhooks specification's example.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn slack_text_names_who_what_and_how_to_approve() {
        let event = serde_json::json!({
            "org": "acme", "actor": {"email": "sam@vendor.example"}, "target": "rq_01abc",
            "details": {"level": "member", "areas": ["chats"], "reason": "ticket 4", "ticket": "T-4"},
        });
        let text = slack_text("request.created", &event);
        assert!(
            text.starts_with("sam@vendor.example — request created rq_01abc in acme"),
            "{text}"
        );
        assert!(text.contains("level member, areas chats, ticket T-4, reason: \"ticket 4\""));
        assert!(
            text.contains("supportctl request approve rq_01abc"),
            "{text}"
        );
    }
}
