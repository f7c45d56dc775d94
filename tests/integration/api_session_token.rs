//! `GET /v1/session` answers only to an active session token.

use serde_json::json;

use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};

crate::common::conformance::conformance! {
    session_token_route_needs_an_active_session_token,
}

fn session_token_route_needs_an_active_session_token(backend: Backend) {
    let server = TestServer::on(backend);
    admin(&server).grant(json!({"level": "member", "reason": "x"}));
    let (id, token) = support(&server).open(json!({"reason": "x"}));
    assert_eq!(client(&server, &token).get("/v1/session").status, 200);
    for bad in [
        format!("sst_{}", "00".repeat(24)),
        "sst_".to_owned(),
        token.replace("sst_", "sat_"),
        server.tokens.support.clone(),
    ] {
        client(&server, &bad)
            .get("/v1/session")
            .assert_problem(401, "unauthenticated");
    }
    // A malformed Authorization header is no better than none.
    let raw = crate::common::harness::http_client()
        .get(format!("{}/v1/session", server.url))
        .header("Authorization", format!("Basic {token}"))
        .send()
        .unwrap();
    assert_eq!(raw.status().as_u16(), 401);
    support(&server)
        .post_empty(&format!("/v1/sessions/{id}/close"))
        .assert_ok();
    client(&server, &token)
        .get("/v1/session")
        .assert_problem(401, "unauthenticated");
}
