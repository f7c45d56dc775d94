//! `grant.expiring` fires at the org policy's `expiry_warning_seconds`, or at the server's
//! `--expiry-warning` for an org without a policy; once per grant, re-armed by `extend`.
//! The clock is the test's: "not yet" is checked by running a sweep here and finding nothing
//! to send, "now" by the server's own sweeper delivering it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::api_policy::put_path;
use crate::api_webhooks::add_webhook;
use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, ServerOptions, TestServer};
use crate::common::receiver::Receiver;

crate::common::conformance::conformance! {
    the_org_policy_decides_when_grant_expiring_fires,
    an_org_without_a_policy_gets_the_server_default,
}

const WAIT: Duration = Duration::from_secs(10);
const HOUR: i64 = 3600;

/// Runs one `grant.expiring` sweep as the server's sweeper would (default: the server's
/// flag); returns how many grants it warned.
fn sweep(server: &TestServer, default_warning: i64) -> usize {
    let store = server.store.clone();
    let now = now(server);
    server
        .runtime
        .block_on(async move { store.enqueue_expiring(now, default_warning).await })
        .unwrap()
}

fn deliveries(admin: &Api, webhook: &str) -> Vec<Value> {
    admin.all(&format!("/v1/orgs/acme/webhooks/{webhook}/deliveries"))
}

fn expires_at(reply: &Value) -> i64 {
    ts(&reply["expires_at"]).as_second()
}

fn the_org_policy_decides_when_grant_expiring_fires(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    let (webhook, _) = add_webhook(&admin, &receiver.url, json!({"events": ["grant.expiring"]}));
    let grant =
        admin.grant(json!({"level": "member", "reason": "x", "duration_seconds": 3 * HOUR}));
    // Changed after the grant was made: it applies to grants not yet warned.
    let mut policy = admin.get("/v1/orgs/acme/policy").body;
    assert_eq!(policy["expiry_warning_seconds"], HOUR, "the server default");
    policy["expiry_warning_seconds"] = json!(2 * HOUR);
    put_path(&admin, "/v1/orgs/acme/policy", &policy).assert_ok();

    // 2 h and a second left: not yet.
    server.advance(HOUR - 1);
    assert_eq!(sweep(&server, HOUR), 0);
    assert!(deliveries(&admin, &webhook).is_empty());
    // Just under 2 h left: the policy's warning, an hour before the server default's.
    server.advance(2);
    let first = receiver.wait_for(WAIT, |r| !r.is_empty());
    assert_eq!(first[0].json()["type"], "grant.expiring");
    assert_eq!(first[0].json()["data"]["id"], grant.as_str());
    // Once.
    assert_eq!(sweep(&server, HOUR), 0);
    assert_eq!(deliveries(&admin, &webhook).len(), 1);

    // Extend re-arms it, at the policy's warning before the new expiry.
    let extended = admin.post(
        &format!("/v1/orgs/acme/grants/{grant}/extend"),
        json!({"duration_seconds": 4 * HOUR}),
    );
    extended.assert_ok();
    let until = expires_at(&extended.body) - now(&server).as_second();
    assert!(until > 2 * HOUR, "{}", extended.body);
    server.advance(until - 2 * HOUR - 1);
    assert_eq!(sweep(&server, HOUR), 0);
    assert_eq!(deliveries(&admin, &webhook).len(), 1);
    server.advance(2);
    receiver.wait_for(WAIT, |r| r.len() == 2);
    assert_eq!(deliveries(&admin, &webhook).len(), 2);

    // A warning of 0: none at all.
    let mut policy = admin.get("/v1/orgs/acme/policy").body;
    policy["expiry_warning_seconds"] = json!(0);
    put_path(&admin, "/v1/orgs/acme/policy", &policy).assert_ok();
    let short = admin.grant(json!({"level": "member", "reason": "y", "duration_seconds": 60}));
    server.advance(59);
    assert_eq!(sweep(&server, HOUR), 0, "no warning for {short}");
    assert_eq!(deliveries(&admin, &webhook).len(), 2);
}

fn an_org_without_a_policy_gets_the_server_default(backend: Backend) {
    let server = TestServer::with(ServerOptions {
        backend,
        policy: supportctl::server::policy::Policy {
            expiry_warning: Duration::from_secs(30 * 60),
            ..Default::default()
        },
        ..ServerOptions::default()
    });
    let receiver = Receiver::start();
    let admin = admin(&server);
    let (webhook, _) = add_webhook(&admin, &receiver.url, json!({"events": ["grant.expiring"]}));
    // The one default: what the policy shows is what the sweeper uses.
    let policy = admin.get("/v1/orgs/acme/policy").body;
    assert_eq!(policy["version"], 0);
    assert_eq!(policy["expiry_warning_seconds"], 30 * 60);
    let grant = admin.grant(json!({"level": "member", "reason": "x", "duration_seconds": HOUR}));
    server.advance(30 * 60 - 1);
    assert_eq!(sweep(&server, 30 * 60), 0);
    assert!(deliveries(&admin, &webhook).is_empty());
    server.advance(2);
    let first = receiver.wait_for(WAIT, |r| !r.is_empty());
    assert_eq!(first[0].json()["data"]["id"], grant.as_str());
}
