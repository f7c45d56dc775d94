//! Webhooks shared fairly between orgs: one org's slow receivers and bursts of `test`s never
//! delay another org's deliveries, `test` and `redeliver` are rate-limited per webhook, and a
//! webhook's pending deliveries are capped.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::api_webhooks::add_webhook;
use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, ServerOptions, TestServer};
use crate::common::receiver::Receiver;

crate::common::conformance::conformance! {
    a_slow_org_never_delays_another_orgs_delivery,
    test_and_redeliver_are_rate_limited_per_webhook,
    pending_deliveries_beyond_the_limit_are_marked_failed,
}

/// How long org A's receiver takes to answer: far longer than org B may wait.
const STALL: Duration = Duration::from_secs(5);

fn deliveries(admin: &Api, org: &str, webhook: &str) -> Vec<Value> {
    admin.all(&format!("/v1/orgs/{org}/webhooks/{webhook}/deliveries"))
}

fn a_slow_org_never_delays_another_orgs_delivery(backend: Backend) {
    // Receivers first: dropped after the server, whose attempts in flight end with it.
    let stalled = Receiver::start();
    let fast = Receiver::start();
    stalled.slow(STALL);
    // 16 delivery slots: org A's receivers would hold every one of them without the limits
    // (4 per webhook, 8 per org).
    let server = TestServer::with(ServerOptions {
        backend,
        webhooks: supportctl::server::webhooks::WebhookSettings {
            concurrency: 16,
            ..ServerOptions::default().webhooks
        },
        ..ServerOptions::default()
    });
    let acme = admin(&server);
    let other = create_org_with_admin(&server, "globex");
    let globex = client(&server, &other.token);
    let reply = globex.post(
        "/v1/orgs/globex/webhooks",
        json!({"url": format!("{}/globex", fast.url), "events": ["grant.*"]}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    // Org A: 10 webhooks to a receiver that stalls, each with its `webhook.created` and as
    // many `test`s as it is allowed.
    let hooks: Vec<String> = (0..10)
        .map(|n| add_webhook(&acme, &format!("{}/acme/{n}", stalled.url), json!({})).0)
        .collect();
    let mut refused = 0;
    for hook in &hooks {
        for _ in 0..8 {
            let reply = acme.post_empty(&format!("/v1/orgs/acme/webhooks/{hook}/test"));
            match reply.status {
                202 => {}
                429 => refused += 1,
                other => panic!("unexpected {other}: {}", reply.body),
            }
        }
    }
    assert!(refused > 0, "the burst of tests was rate-limited");
    // Let org A's attempts fill the worker.
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    grant_in(
        &globex,
        "globex",
        json!({"level": "member", "reason": "fair"}),
    );
    fast.wait_for(Duration::from_secs(10), |r| !r.is_empty());
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(1),
        "org B's grant.created waited {waited:?} behind org A's slow receivers"
    );
    // Org A's attempts in flight stay within its limit.
    let leased: usize = hooks
        .iter()
        .map(|hook| {
            deliveries(&acme, "acme", hook)
                .iter()
                .filter(|d| {
                    d["status"] == "pending"
                        && d["attempts"].as_i64() > Some(0)
                        && d["last_status"].is_null()
                        && d["last_error"].is_null()
                })
                .count()
        })
        .sum();
    assert!(
        leased <= 8,
        "{leased} of org A's attempts are in flight at once"
    );
}

fn test_and_redeliver_are_rate_limited_per_webhook(backend: Backend) {
    let receiver = Receiver::start();
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let (busy, _) = add_webhook(&admin, &format!("{}/busy", receiver.url), json!({}));
    let (quiet, _) = add_webhook(&admin, &format!("{}/quiet", receiver.url), json!({}));
    let test = |hook: &str| admin.post_empty(&format!("/v1/orgs/acme/webhooks/{hook}/test"));
    for _ in 0..5 {
        assert_eq!(test(&busy).status, 202);
    }
    let refused = test(&busy);
    refused.assert_problem(429, "rate_limited");
    let retry_after: i64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&retry_after), "Retry-After {retry_after}");
    assert!(
        refused.body["detail"].as_str().unwrap().contains(&busy),
        "{}",
        refused.body
    );
    // Redelivering counts against the same allowance; another webhook has its own.
    receiver.wait_for(Duration::from_secs(10), |r| r.len() >= 8);
    let delivered = deliveries(&admin, "acme", &busy);
    let first = delivered[0]["id"].as_str().unwrap();
    admin
        .post_empty(&format!(
            "/v1/orgs/acme/webhooks/{busy}/deliveries/{first}/redeliver"
        ))
        .assert_problem(429, "rate_limited");
    assert_eq!(test(&quiet).status, 202);
    // Nothing was enqueued by the refused calls.
    assert_eq!(
        deliveries(&admin, "acme", &busy).len(),
        7,
        "both webhooks' webhook.created and 5 tests"
    );
    server.advance(retry_after);
    assert_eq!(test(&busy).status, 202);
    assert_eq!(test(&busy).status, 429);
    server.advance(60);
    admin
        .post_empty(&format!(
            "/v1/orgs/acme/webhooks/{busy}/deliveries/{first}/redeliver"
        ))
        .assert_ok();
}

fn pending_deliveries_beyond_the_limit_are_marked_failed(backend: Backend) {
    let receiver = Receiver::start();
    let server = TestServer::with(ServerOptions {
        backend,
        webhooks: supportctl::server::webhooks::WebhookSettings {
            max_pending_per_webhook: 3,
            ..ServerOptions::default().webhooks
        },
        ..ServerOptions::default()
    });
    let admin = admin(&server);
    // The receiver is down: every delivery stays pending, for its next attempt.
    receiver.script(&[503; 100]);
    let (webhook, _) = add_webhook(&admin, &receiver.url, json!({"events": ["*"]}));
    // Each event's own transaction is never refused for it.
    for n in 0..5 {
        grant_in(
            &admin,
            ACME,
            json!({"level": "member", "reason": format!("g{n}")}),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let listed = loop {
        let listed = deliveries(&admin, "acme", &webhook);
        if listed.iter().filter(|d| d["status"] == "failed").count() == 3 {
            break listed;
        }
        assert!(Instant::now() < deadline, "never capped: {listed:#?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(listed.len(), 6, "webhook.created and 5 grants");
    // The newest are the ones failed (the list is newest first), saying why.
    for (n, delivery) in listed.iter().enumerate() {
        let expected = if n < 3 { "failed" } else { "pending" };
        assert_eq!(delivery["status"], expected, "{delivery}");
    }
    let error = listed[0]["last_error"].as_str().unwrap();
    assert!(error.contains("3 deliveries pending"), "{error}");
    // Still three pending a while later.
    std::thread::sleep(Duration::from_millis(1200));
    let later = deliveries(&admin, "acme", &webhook);
    assert_eq!(
        later.iter().filter(|d| d["status"] == "pending").count(),
        3,
        "{later:#?}"
    );
}
