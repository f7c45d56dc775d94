//! The curl walk-through of the README, as a test: grant, open, introspect, authorize, revoke.

use serde_json::json;

use crate::common::harness::TestServer;

#[test]
fn grant_session_introspect_revoke_then_inactive_at_once() {
    let server = TestServer::start();
    let grant = server
        .admin()
        .grant(json!({"level": "member", "reason": "ticket 1"}));
    let (_, token) = server
        .support()
        .open(json!({"reason": "look", "areas": ["chats"]}));
    let active = server
        .service()
        .post("/v1/introspect", json!({"token": token}));
    assert_eq!(active.body["active"], true);
    assert_eq!(active.body["scope"], "chats:read chats:write");
    server
        .admin()
        .post_empty(&format!("/v1/orgs/acme/grants/{grant}/revoke"))
        .assert_ok();
    let inactive = server
        .service()
        .post("/v1/introspect", json!({"token": token}));
    assert_eq!(inactive.body, json!({"active": false}));
}
