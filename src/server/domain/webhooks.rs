//! The rules of webhooks, free of I/O: which events a subscription covers, when a failed
//! delivery is tried again, which addresses may be called, how a message is signed, and the
//! sentence a chat channel shows.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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

/// What one claim of due deliveries may take: `total` attempts (the worker's free slots), while
/// attempts in flight over all replicas stay within `per_webhook` for one webhook and
/// `per_org` for one org's webhooks. A quarter and a half of a worker's slots: one slow
/// receiver never holds all of an org's share, and one org's never all of the worker's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimLimits {
    pub total: i64,
    pub per_webhook: i64,
    pub per_org: i64,
}

impl ClaimLimits {
    /// The limits of a worker with `concurrency` slots, `available` of them free.
    pub fn new(concurrency: usize, available: usize) -> ClaimLimits {
        let concurrency = i64::try_from(concurrency).unwrap_or(i64::MAX);
        ClaimLimits {
            total: i64::try_from(available).unwrap_or(i64::MAX),
            per_webhook: (concurrency / 4).max(1),
            per_org: (concurrency / 2).max(1),
        }
    }
}
/// Pending deliveries one webhook may have; beyond them the newest are marked failed.
pub const MAX_PENDING_PER_WEBHOOK: i64 = 10_000;
/// `test` and `redeliver` messages an admin may queue for one webhook at once ...
pub const MANUAL_SEND_BURST: i64 = 5;
/// ... and how often one more comes free.
pub const MANUAL_SEND_EVERY_SECONDS: i64 = 12;

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

/// Events every enabled webhook of the org receives, whatever it subscribes to: a break-glass
/// grant has started before any of the org's admins saw it, and each of the org's channels
/// must tell them.
pub const ALWAYS_DELIVERED: [&str; 1] = ["grant.break_glass"];

/// Whether a webhook subscribed to `patterns` receives `event`: [`ALWAYS_DELIVERED`] events
/// always, any other when [`matches`] says so.
pub fn delivered(patterns: &[String], event: &str) -> bool {
    ALWAYS_DELIVERED.contains(&event) || matches(patterns, event)
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

/// Whether one more `test` or `redeliver` message may be queued for a webhook at `now` (Unix
/// seconds), given when its allowance is next full again (`full_at`, `None` when it never
/// sent one): `Ok` with the new `full_at`, or `Err` with the seconds to wait. Up to
/// [`MANUAL_SEND_BURST`] at once, then one per [`MANUAL_SEND_EVERY_SECONDS`].
pub fn take_manual_send(full_at: Option<i64>, now: i64) -> Result<i64, u64> {
    let next = full_at.unwrap_or(now).max(now) + MANUAL_SEND_EVERY_SECONDS;
    let over = next - now - MANUAL_SEND_BURST * MANUAL_SEND_EVERY_SECONDS;
    if over > 0 {
        Err(over.unsigned_abs())
    } else {
        Ok(next)
    }
}

/// Whether a webhook may reach `address` without `--allow-private-webhooks`: only globally
/// routable unicast addresses. For the IPv6 forms that carry an IPv4 address (IPv4-mapped,
/// IPv4-compatible, IPv4-translated, NAT64 `64:ff9b::/96` and 6to4 `2002::/16`) the IPv4
/// address decides; Teredo, documentation, benchmarking, site-local, multicast and every
/// other special-purpose range is refused.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    let special = a == 0 // "this network"
        || a == 10
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || a == 127
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved (240/4) and broadcast
    !special
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    let bits = u128::from(v6);
    let embedded = |shift: u32| Ipv4Addr::from((bits >> shift) as u32);
    let prefix96 = bits >> 32;
    // IPv4-compatible (`::a.b.c.d`, which also covers `::` and `::1`), IPv4-mapped
    // (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`) and NAT64 (`64:ff9b::a.b.c.d`).
    if prefix96 == 0
        || prefix96 == 0xffff
        || prefix96 == 0xffff_0000
        || prefix96 == 0x0064_ff9b_0000_0000_0000_0000
    {
        return is_public_v4(embedded(0));
    }
    let [first, second, ..] = v6.segments();
    // 6to4: the IPv4 address follows the prefix.
    if first == 0x2002 {
        return is_public_v4(embedded(80));
    }
    // Global unicast is 2000::/3, less its special-purpose blocks: 2001::/23 (Teredo,
    // benchmarking, ORCHID), 2001:db8::/32 and 3fff::/20 (documentation).
    (first & 0xe000) == 0x2000
        && !(first == 0x2001 && second < 0x0200)
        && !(first == 0x2001 && second == 0x0db8)
        && !(first == 0x3fff && second < 0x1000)
}

/// What the audit log records of a webhook's URL: its scheme, host and port. The path and
/// query of a Slack or Teams URL are its secret, and audit events reach other webhooks.
pub fn url_origin(url: &str) -> String {
    url::Url::parse(url)
        .map(|parsed| parsed.origin().ascii_serialization())
        .unwrap_or_default()
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
/// the event has them, and for a pending request, on a line of its own, the command that
/// approves it. Every value from the event is escaped ([`chat_escape`]); the free texts (ticket,
/// reason) are quoted ([`chat_quote`]), so that none can pose as the tool's own words.
pub fn slack_text(event_type: &str, data: &Value) -> String {
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(chat_escape);
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
        "grant.break_glass" => {
            let engineers: Vec<String> = details
                .get("engineers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(chat_escape)
                .collect();
            format!(
                "BREAK-GLASS: {} has emergency access to {org} (grant {}), confirmed by {who}, \
                 until {}, before any admin of {org} approved it",
                engineers.join(", "),
                target.clone().unwrap_or_default(),
                text(&details, "expires_at").unwrap_or_default()
            )
        }
        _ => {
            let what = chat_escape(&event_type.replace(['.', '_'], " "));
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
        let areas: Vec<String> = areas
            .iter()
            .filter_map(Value::as_str)
            .map(chat_escape)
            .collect();
        if !areas.is_empty() {
            sentence.push_str(&format!(", areas {}", areas.join(", ")));
        }
    }
    let quoted = |key: &str| source.get(key).and_then(Value::as_str).map(chat_quote);
    if let Some(ticket) = quoted("ticket") {
        sentence.push_str(&format!(", ticket {ticket}"));
    }
    if let Some(reason) = quoted("reason") {
        sentence.push_str(&format!(", reason {reason}"));
    }
    if let Some(rule) = text(&details, "by_rule") {
        sentence.push_str(&format!(", approved by the org's rule {rule}"));
    }
    sentence.push('.');
    if event_type == "grant.break_glass"
        && let Some(id) = target.as_ref().filter(|id| id.starts_with("gr_"))
    {
        sentence.push_str(&format!(
            "\nTo acknowledge: `supportctl grant acknowledge {id} --org {org}`; to dispute it \
             (which revokes it at once): `supportctl grant dispute {id} --org {org} --reason …`"
        ));
    }
    if event_type == "request.created"
        && let Some(id) = target.filter(|id| id.starts_with("rq_"))
    {
        sentence.push_str(&format!(
            "\nTo approve: `supportctl request approve {id} --org {org}`"
        ));
    }
    sentence
}

/// Text from a user as Slack (and Teams) shows it literally: `&`, `<` and `>` escaped as Slack
/// requires (else `<!channel>` notifies everyone and `<https://evil.example|bank>` disguises a
/// link), line breaks folded into spaces and other control characters dropped, so that it
/// never starts a line of its own.
pub fn chat_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                escaped.push(' ')
            }
            c if c.is_control() => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// Free text from a user, escaped and between typographic quotes; its own quotes and
/// backticks become apostrophes, so that it can neither close the quote and go on in the
/// tool's voice nor show as a command.
pub fn chat_quote(text: &str) -> String {
    format!("“{}”", chat_escape(text).replace(['"', '“', '”', '`'], "'"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn claim_limits_leave_room_for_other_webhooks_and_orgs() {
        let limits = ClaimLimits::new(64, 10);
        assert_eq!(
            limits,
            ClaimLimits {
                total: 10,
                per_webhook: 16,
                per_org: 32
            }
        );
        let smallest = ClaimLimits::new(1, 1);
        assert_eq!((smallest.per_webhook, smallest.per_org), (1, 1));
        let default_before = ClaimLimits::new(16, 16);
        assert_eq!((default_before.per_webhook, default_before.per_org), (4, 8));
    }

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
    fn only_globally_routable_addresses_are_public() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "192.0.0.170",
            "192.0.2.1",
            "198.18.0.1",
            "198.19.255.254",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "2001:db8::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            // IPv4 inside IPv6: mapped, compatible, translated, NAT64, 6to4.
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "::127.0.0.1",
            "::ffff:0:7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:a00:1::",
        ] {
            assert!(!is_public(address.parse().unwrap()), "{address}");
        }
        for address in [
            "93.184.216.34",
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(address.parse().unwrap()), "{address}");
        }
    }

    #[test]
    fn manual_sends_come_in_a_burst_then_one_per_interval() {
        let mut full_at = None;
        for _ in 0..MANUAL_SEND_BURST {
            full_at = Some(take_manual_send(full_at, 1000).unwrap());
        }
        assert_eq!(
            take_manual_send(full_at, 1000),
            Err(MANUAL_SEND_EVERY_SECONDS.unsigned_abs())
        );
        assert_eq!(take_manual_send(full_at, 1005), Err(7));
        let later = take_manual_send(full_at, 1000 + MANUAL_SEND_EVERY_SECONDS).unwrap();
        assert!(take_manual_send(Some(later), 1000 + MANUAL_SEND_EVERY_SECONDS).is_err());
        // An allowance left alone fills up again.
        assert!(take_manual_send(Some(later), 5000).is_ok());
    }

    #[test]
    fn the_audit_log_keeps_only_a_urls_origin() {
        assert_eq!(
            url_origin("https://hooks.slack.com/services/T0/B0/SECRET?x=1"),
            "https://hooks.slack.com"
        );
        assert_eq!(
            url_origin("http://hooks.example.com:8443/in?token=s"),
            "http://hooks.example.com:8443"
        );
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
        assert!(
            text.contains("level member, areas chats, ticket “T-4”, reason “ticket 4”."),
            "{text}"
        );
        assert!(
            text.ends_with("\nTo approve: `supportctl request approve rq_01abc --org acme`"),
            "{text}"
        );
    }

    #[test]
    fn slack_text_names_the_rule_that_approved_a_request() {
        let event = serde_json::json!({
            "org": "acme", "actor": {"email": "sam@vendor.example"}, "target": "rq_01abc",
            "details": {"level": "read-only", "areas": ["chats"], "by_rule": "weekday-chats"},
        });
        let text = slack_text("request.approved", &event);
        assert!(
            text.ends_with(
                "level read-only, areas chats, approved by the org's rule weekday-chats."
            ),
            "{text}"
        );
    }

    #[test]
    fn slack_text_shows_user_text_literally_and_quoted() {
        let reason = "<!channel> see <https://evil.example|the runbook> & \"done\".\nTo approve: `supportctl request approve rq_evil --org acme`";
        let event = serde_json::json!({
            "org": "acme", "actor": {"email": "sam@vendor.example"}, "target": "rq_01abc",
            "details": {"level": "member", "reason": reason, "ticket": "T-1\r\n<@U123>"},
        });
        let text = slack_text("request.created", &event);
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        assert!(text.contains("&lt;!channel&gt;"), "{text}");
        assert!(
            text.contains("&lt;https://evil.example|the runbook&gt; &amp; 'done'."),
            "{text}"
        );
        assert!(text.contains("ticket “T-1  &lt;@U123&gt;”"), "{text}");
        // The only line break is the tool's, before its own approval line.
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains("'supportctl request approve rq_evil --org acme'"));
        assert_eq!(
            lines[1],
            "To approve: `supportctl request approve rq_01abc --org acme`"
        );
    }

    #[test]
    fn a_break_glass_grant_is_an_alarm_every_webhook_receives_with_its_text_escaped() {
        let nothing = vec!["none.none".to_owned()];
        assert!(delivered(&nothing, "grant.break_glass"));
        assert!(!delivered(&nothing, "grant.created"));
        let event = serde_json::json!({
            "org": "acme", "actor": {"email": "olga@vendor.example"}, "target": "gr_01abc",
            "details": {"level": "member", "areas": ["chats"], "engineers": ["<!here>@vendor.example"],
                "expires_at": "2026-01-02T03:00:00Z",
                "reason": "outage\n<https://evil.example|ack here>", "ticket": "INC-1"},
        });
        let text = slack_text("grant.break_glass", &event);
        assert!(
            text.starts_with(
                "BREAK-GLASS: &lt;!here&gt;@vendor.example has emergency access to acme (grant \
                 gr_01abc), confirmed by olga@vendor.example, until 2026-01-02T03:00:00Z"
            ),
            "{text}"
        );
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        assert!(
            text.contains("reason “outage &lt;https://evil.example|ack here&gt;”."),
            "{text}"
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(
            lines[1],
            "To acknowledge: `supportctl grant acknowledge gr_01abc --org acme`; to dispute it \
             (which revokes it at once): `supportctl grant dispute gr_01abc --org acme --reason …`"
        );
    }
}
