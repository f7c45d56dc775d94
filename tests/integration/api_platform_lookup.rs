//! The platform calls read the caller's account and the asked-about session together (one
//! statement on PostgreSQL): the caller is still judged first, and each half still counts.

use serde_json::json;

use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};

crate::common::conformance::conformance! {
    the_caller_is_judged_before_the_session_it_asks_about,
}

fn the_caller_is_judged_before_the_session_it_asks_about(backend: Backend) {
    let server = TestServer::on(backend);
    admin(&server).grant(json!({"level": "member", "reason": "x"}));
    let (_, session) = support(&server).open(json!({"reason": "x"}));
    let asks = |token: &str| json!({"token": token, "area": "chats", "action": "read"});
    let unknown_session = format!("sst_{}", "00".repeat(24));
    let unknown_caller = format!("sat_{}", "00".repeat(24));

    // A caller that is not one: 401 whether or not the session exists, and whatever the body.
    for path in ["/v1/introspect", "/v1/authorize"] {
        for asked in [&session, &unknown_session] {
            client(&server, &unknown_caller)
                .post(path, asks(asked))
                .assert_problem(401, "unauthenticated");
        }
        client(&server, &unknown_caller)
            .post_raw(path, "application/json", "{not json")
            .assert_problem(401, "unauthenticated");
        // A known caller with a body that does not parse hears about the body.
        let bad_body = service(&server).post_raw(path, "application/json", "{not json");
        assert!(
            (400..500).contains(&bad_body.status) && bad_body.status != 401,
            "{path}: {} {}",
            bad_body.status,
            bad_body.body
        );
        // The wrong role is refused even though its session lookup found one.
        support(&server)
            .post(path, asks(&session))
            .assert_problem(403, "forbidden");
    }

    // An unknown session for a known caller: inactive, and denied.
    assert_eq!(
        introspect(&server, &unknown_session),
        json!({ "active": false })
    );
    let denied = authorize(&server, &unknown_session, "chats", "read");
    assert_eq!(denied["allow"], false, "{denied}");
    // The known session, as JSON and as a form.
    assert_active(&server, &session);
    let form = service(&server).post_raw(
        "/v1/introspect",
        "application/x-www-form-urlencoded",
        format!("token={session}"),
    );
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.body["active"], true, "{}", form.body);

    // A disabled caller is refused, with its session lookup discarded.
    let platform = create_account(&server, "platform2@example.test", "service", None);
    assert_eq!(
        client(&server, &platform.token)
            .post("/v1/introspect", asks(&session))
            .body["active"],
        true
    );
    operator(&server)
        .post_empty(&format!("/v1/accounts/{}/disable", platform.id))
        .assert_ok();
    for path in ["/v1/introspect", "/v1/authorize"] {
        let refused = client(&server, &platform.token).post(path, asks(&session));
        refused.assert_problem(401, "unauthenticated");
        assert!(
            refused.body.to_string().contains("disabled"),
            "{}",
            refused.body
        );
    }
}
