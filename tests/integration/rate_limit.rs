//! Failed authentication is limited per client address, access requests and session opens per
//! account: 429 with Retry-After.

use serde_json::json;
use supportctl::server::account_limits::AccountLimitSettings;

use crate::common::fixtures::*;
use crate::common::harness::{Reply, ServerOptions, TestServer};

fn limited_server(limit: u32) -> TestServer {
    TestServer::with(ServerOptions {
        auth_failures_per_minute: limit,
        ..ServerOptions::default()
    })
}

#[test]
fn bad_tokens_past_the_limit_get_429_with_retry_after() {
    let server = limited_server(5);
    let guesser = server.as_token("sat_000000000000000000000000000000000000000000000000");
    for _ in 0..5 {
        guesser.get("/v1/me").assert_problem(401, "unauthenticated");
    }
    let refused = guesser.get("/v1/me");
    refused.assert_problem(429, "rate_limited");
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // Session tokens presented as bearer count against the same address too.
    server
        .as_token("sst_000000000000000000000000000000000000000000000000")
        .get("/v1/session")
        .assert_problem(429, "rate_limited");
}

#[test]
fn garbage_tokens_from_an_address_never_lock_out_its_valid_callers() {
    let server = limited_server(20);
    let admin = server.admin();
    let grant = admin.grant(serde_json::json!({"level": "member", "reason": "incident"}));
    let (_, session) = server
        .support()
        .open(serde_json::json!({"grant_id": grant, "reason": "look"}));
    // Someone else behind the same address (a NAT, a proxy) floods it with bad tokens.
    let guesser = server.as_token("sat_000000000000000000000000000000000000000000000000");
    for _ in 0..25 {
        guesser.get("/v1/me");
    }
    guesser.get("/v1/me").assert_problem(429, "rate_limited");
    // The platform's introspection, a session's own call and the admin's emergency revoke
    // from that address still go through.
    let introspected = server
        .service()
        .post("/v1/introspect", serde_json::json!({ "token": session }));
    introspected.assert_ok();
    assert_eq!(introspected.body["active"], true, "{}", introspected.body);
    server.as_token(&session).get("/v1/session").assert_ok();
    admin
        .post(
            "/v1/orgs/acme/grants/revoke",
            serde_json::json!({"all": true, "reason": "incident over"}),
        )
        .assert_ok();
    // And the bad tokens are still refused.
    guesser.get("/v1/me").assert_problem(429, "rate_limited");
}

#[test]
fn requests_without_a_token_are_not_counted_as_guesses() {
    let server = limited_server(3);
    for _ in 0..10 {
        server
            .anonymous()
            .get("/v1/me")
            .assert_problem(401, "unauthenticated");
    }
    server.admin().get("/v1/me").assert_ok();
    // Public routes never need a token and are never limited.
    assert_eq!(server.anonymous().get("/healthz").status, 200);
}

#[test]
fn behind_a_load_balancer_clients_are_told_apart_by_the_configured_header() {
    let server = TestServer::with(ServerOptions {
        auth_failures_per_minute: 3,
        client_address_header: Some("x-forwarded-for"),
        ..ServerOptions::default()
    });
    let http = crate::common::harness::http_client();
    let me = |token: &str, forwarded_for: &str| {
        http.get(format!("{}/v1/me", server.url))
            .bearer_auth(token)
            .header("X-Forwarded-For", forwarded_for)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let bad = "sat_000000000000000000000000000000000000000000000000";
    // The guesser varies the part of the header it controls; the balancer's entry is last.
    for n in 0..3 {
        assert_eq!(me(bad, &format!("10.9.9.{n}, 198.51.100.7")), 401);
    }
    assert_eq!(me(bad, "203.0.113.1, 198.51.100.7"), 429);
    // Another client through the same balancer is not locked out.
    assert_eq!(me(&server.tokens.admin, "198.51.100.8"), 200);
}

/// A server that lets each account file one access request and try one session open every
/// 10 seconds (6 a minute: a burst of one), slow enough that no call of the test refills it.
fn account_limited_server() -> TestServer {
    TestServer::with(ServerOptions {
        account_limits: AccountLimitSettings {
            requests_per_minute: 6,
            sessions_per_minute: 6,
        },
        ..ServerOptions::default()
    })
}

fn retry_after(reply: &Reply) -> u64 {
    let seconds = reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((5..=10).contains(&seconds), "{seconds}: {}", reply.body);
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(
        detail.ends_with(&format!("retry in {seconds}s")),
        "{detail}"
    );
    seconds
}

#[test]
fn session_opens_past_the_account_limit_get_429_and_leave_no_trace() {
    let server = account_limited_server();
    let admin = server.admin();
    let support = server.support();
    let grant = admin.grant(json!({"level": "member", "reason": "incident"}));
    // A refused attempt counts too: a flood of refusals is work for the database all the same.
    support
        .post(
            "/v1/orgs/acme/sessions",
            json!({"level": "admin", "reason": "too much"}),
        )
        .assert_problem(422, "policy_violation");
    let before = snapshot(&server);
    let refused = support.post(
        "/v1/orgs/acme/sessions",
        json!({"grant_id": grant, "reason": "one too many"}),
    );
    refused.assert_problem(429, "rate_limited");
    let wait = retry_after(&refused);
    assert_eq!(snapshot(&server), before, "a refused open writes nothing");
    // Other engineers have budgets of their own, and other calls are not limited.
    let other = create_support(&server, "other@supportctl.test");
    open_in(
        &server.as_token(&other.token),
        ACME,
        json!({"grant_id": grant, "reason": "mine"}),
    );
    support.get("/v1/sessions").assert_ok();
    // The budget comes back at the rate.
    std::thread::sleep(std::time::Duration::from_secs(wait));
    // A new client: the server may just be closing the old one's connection as idle.
    server
        .support()
        .open(json!({"grant_id": grant, "reason": "later"}));
}

#[test]
fn access_requests_past_the_account_limit_get_429_and_leave_no_trace() {
    let server = account_limited_server();
    let support = server.support();
    let filed = support.post(
        "/v1/orgs/acme/requests",
        json!({"level": "read-only", "reason": "first"}),
    );
    assert_eq!(filed.status, 201, "{}", filed.body);
    // Cancelling is not limited: filing again is.
    let id = filed.body["id"].as_str().unwrap();
    support
        .post_empty(&format!("/v1/requests/{id}/cancel"))
        .assert_ok();
    let state = || {
        (
            snapshot(&server),
            server.admin().all("/v1/orgs/acme/requests?status=all"),
        )
    };
    let before = state();
    let refused = support.post(
        "/v1/orgs/acme/requests",
        json!({"level": "read-only", "reason": "one too many"}),
    );
    refused.assert_problem(429, "rate_limited");
    let wait = retry_after(&refused);
    // Whatever it asks, before the org and its policy are read.
    support
        .post(
            "/v1/orgs/no-such-org/requests",
            json!({"level": "admin", "reason": "elsewhere"}),
        )
        .assert_problem(429, "rate_limited");
    // The CLI says when to try again, and exits as for an unavailable server.
    let cli = server
        .cli(&server.tokens.support)
        .args([
            "request",
            "create",
            "acme",
            "--level",
            "read-only",
            "--reason",
            "cli",
        ])
        .assert()
        .code(7);
    let stderr = String::from_utf8_lossy(&cli.get_output().stderr).into_owned();
    assert!(stderr.contains("retry in"), "{stderr}");
    assert_eq!(state(), before, "a refused request writes nothing");
    std::thread::sleep(std::time::Duration::from_secs(wait));
    // A new client: the server may just be closing the old one's connection as idle.
    let filed = server.support().post(
        "/v1/orgs/acme/requests",
        json!({"level": "read-only", "reason": "later"}),
    );
    assert_eq!(filed.status, 201, "{}", filed.body);
}

#[test]
fn a_per_account_limit_of_zero_is_no_limit() {
    let server = TestServer::with(ServerOptions {
        account_limits: AccountLimitSettings {
            requests_per_minute: 0,
            sessions_per_minute: 0,
        },
        ..ServerOptions::default()
    });
    let support = server.support();
    for _ in 0..25 {
        support
            .post("/v1/orgs/acme/sessions", json!({"reason": "no grant"}))
            .assert_problem(404, "not_found");
    }
}

#[test]
fn the_default_per_account_limits_allow_a_burst_then_refuse() {
    // 60 session opens a minute: a burst of 10 seconds' worth.
    let server = TestServer::with(ServerOptions {
        account_limits: AccountLimitSettings::default(),
        ..ServerOptions::default()
    });
    let support = server.support();
    let started = std::time::Instant::now();
    let mut allowed = 0;
    loop {
        let reply = support.post("/v1/orgs/acme/sessions", json!({"reason": "no grant"}));
        if reply.status == 429 {
            break;
        }
        reply.assert_problem(404, "not_found");
        allowed += 1;
        assert!(allowed < 100, "never limited");
    }
    // One more call comes back each second it took.
    let refilled = started.elapsed().as_secs() + 1;
    assert!(
        (10..=10 + refilled).contains(&allowed),
        "{allowed} in {refilled}s"
    );
}
