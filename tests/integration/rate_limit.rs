//! Failed authentication is limited per client address: 429 with Retry-After.

use crate::harness::{ServerOptions, TestServer};

fn limited_server(limit: u32) -> TestServer {
    TestServer::with(ServerOptions {
        auth_failures_per_minute: limit,
        ..ServerOptions::default()
    })
}

#[test]
fn bad_tokens_past_the_limit_get_429_with_retry_after_even_for_a_good_token() {
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
    // From the same address, even a valid token is not looked at: guessing learns nothing.
    server
        .admin()
        .get("/v1/me")
        .assert_problem(429, "rate_limited");
    // Session tokens presented as bearer count against the same address too.
    server
        .as_token("sst_000000000000000000000000000000000000000000000000")
        .get("/v1/session")
        .assert_problem(429, "rate_limited");
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
