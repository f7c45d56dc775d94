//! Failed authentication is limited per client address: 429 with Retry-After.

use crate::common::harness::{ServerOptions, TestServer};

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
