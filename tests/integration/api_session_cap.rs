//! One support engineer may have only so many active sessions at once (a stolen engineer token
//! cannot flood an org), counted under the engineer's lock so that a burst cannot slip past.

use serde_json::json;

use crate::common::fixtures::*;
use crate::common::harness::{Backend, ServerOptions, TestServer};

crate::common::conformance::conformance! {
    an_engineer_past_the_session_cap_is_refused_until_one_ends,
    a_burst_of_opens_never_exceeds_the_cap,
}

fn capped(backend: Backend, cap: u32) -> TestServer {
    TestServer::with(ServerOptions {
        backend,
        policy: supportctl::server::policy::Policy {
            max_sessions_per_engineer: cap,
            ..Default::default()
        },
        ..ServerOptions::default()
    })
}

fn an_engineer_past_the_session_cap_is_refused_until_one_ends(backend: Backend) {
    let server = capped(backend, 3);
    admin(&server).grant(json!({"level": "member", "reason": "team"}));
    let support = support(&server);
    let opened: Vec<(String, String)> = (0..3)
        .map(|i| support.open(json!({"reason": format!("look {i}")})))
        .collect();
    let before = snapshot(&server);
    let refused = support.post("/v1/orgs/acme/sessions", json!({"reason": "one more"}));
    refused.assert_problem(422, "policy_violation");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("3 active sessions"),
        "{}",
        refused.body
    );
    assert_eq!(snapshot(&server), before, "a refused open changes nothing");

    // Another engineer is not affected by this one's sessions.
    let colleague = create_support(&server, "sam@supportctl.test");
    client(&server, &colleague.token).open(json!({"reason": "colleague"}));

    // Closing one makes room.
    support
        .post_empty(&format!("/v1/sessions/{}/close", opened[0].0))
        .assert_ok();
    support.open(json!({"reason": "room again"}));
}

fn a_burst_of_opens_never_exceeds_the_cap(backend: Backend) {
    let server = capped(backend, 4);
    admin(&server).grant(json!({"level": "member", "reason": "team"}));
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let api = server.support();
                scope.spawn(move || {
                    api.post(
                        "/v1/orgs/acme/sessions",
                        json!({"reason": format!("burst {i}")}),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        8,
        "{statuses:?}"
    );
    let active = server.support().all("/v1/sessions?status=active");
    assert_eq!(active.len(), 4);
}
