//! Ending access at once: once the answer to a revoke, a disable or a close has
//! been sent, no introspect or authorize call says the session is active. Each test first asks
//! while the session is active (so that any cached answer would be the stale one), then ends it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};

crate::common::conformance::conformance! {
    revoking_the_grant_ends_its_session_for_introspect_and_authorize_at_once,
    disabling_the_engineer_ends_their_sessions_at_once,
    disabling_the_org_ends_its_sessions_at_once,
    closing_the_session_ends_it_at_once,
    authorize_racing_a_revoke_never_allows_after_it,
    disabling_an_engineer_while_they_open_sessions_leaves_none_open,
}

fn revoking_the_grant_ends_its_session_for_introspect_and_authorize_at_once(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let grant = admin.grant(json!({"level": "member", "reason": "investigate"}));
    let other_grant = admin.grant(json!({"level": "member", "reason": "other"}));
    let (id, token) = support(&server).open(json!({"grant_id": grant, "reason": "look"}));
    let (_, bystander) = support(&server).open(json!({"grant_id": other_grant, "reason": "look"}));
    assert_active(&server, &token);
    assert_active(&server, &bystander);

    revoke(&admin, ACME, &grant);

    assert_ended(&server, &token);
    assert_active(&server, &bystander);
    let session = admin.get(&format!("/v1/sessions/{id}"));
    assert_eq!(session.body["status"], "revoked", "{}", session.body);
    // The denial is on the record.
    let denied = events_for(&admin, ACME, "access.denied", &id);
    assert_eq!(denied.len(), 1);
    assert!(
        denied[0]["details"]["reason"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
}

fn disabling_the_engineer_ends_their_sessions_at_once(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let beta = client(&server, &create_org_with_admin(&server, "beta").token);
    admin.grant(json!({"level": "member", "reason": "team"}));
    grant_in(&beta, "beta", json!({"level": "member", "reason": "team"}));
    let sam = create_support(&server, "sam@supportctl.test");
    let sam_api = client(&server, &sam.token);
    let (acme_id, acme_token) = sam_api.open(json!({"reason": "acme"}));
    let (_, beta_token) = open_in(&sam_api, "beta", json!({"reason": "beta"}));
    let (_, colleague) = support(&server).open(json!({"reason": "colleague"}));
    for token in [&acme_token, &beta_token, &colleague] {
        assert_active(&server, token);
    }

    operator(&server)
        .post_empty(&format!("/v1/accounts/{}/disable", sam.id))
        .assert_ok();

    assert_ended(&server, &acme_token);
    assert_ended(&server, &beta_token);
    assert_active(&server, &colleague);
    assert_eq!(
        admin.get(&format!("/v1/sessions/{acme_id}")).body["status"],
        "closed"
    );
    let closed = events_for(&admin, ACME, "session.closed", &acme_id);
    assert_eq!(closed.len(), 1, "{closed:?}");
    // The disabled engineer can no longer open anything.
    sam_api
        .post("/v1/orgs/acme/sessions", json!({"reason": "again"}))
        .assert_problem(401, "unauthenticated");
}

fn disabling_the_org_ends_its_sessions_at_once(backend: Backend) {
    let server = TestServer::on(backend);
    let beta_admin = create_org_with_admin(&server, "beta");
    let beta = client(&server, &beta_admin.token);
    grant_in(&beta, "beta", json!({"level": "member", "reason": "beta"}));
    admin(&server).grant(json!({"level": "member", "reason": "acme"}));
    let support = support(&server);
    let (beta_id, beta_token) = open_in(&support, "beta", json!({"reason": "beta"}));
    let (acme_id, acme_token) = support.open(json!({"reason": "acme"}));
    assert_active(&server, &beta_token);
    assert_active(&server, &acme_token);

    operator(&server)
        .post_empty("/v1/orgs/beta/disable")
        .assert_ok();

    assert_ended(&server, &beta_token);
    assert_active(&server, &acme_token);
    // The engineer sees it ended, not merely unusable.
    let session = support.get(&format!("/v1/sessions/{beta_id}"));
    assert_eq!(session.body["status"], "closed", "{}", session.body);
    assert_eq!(ids(&support.all("/v1/sessions")), vec![acme_id]);
    // Its admins are locked out, and its grants are no longer usable.
    beta.get("/v1/orgs/beta/grants")
        .assert_problem(401, "unauthenticated");
    let usable = support.all("/v1/grants");
    assert_eq!(usable.len(), 1, "{usable:?}");
    assert_eq!(usable[0]["org"], "acme");
    support
        .post("/v1/orgs/beta/sessions", json!({"reason": "again"}))
        .assert_problem(404, "not_found");
}

fn closing_the_session_ends_it_at_once(backend: Backend) {
    let server = TestServer::on(backend);
    admin(&server).grant(json!({"level": "member", "reason": "team"}));
    let support = support(&server);
    let (id, token) = support.open(json!({"reason": "one"}));
    let (_, other) = support.open(json!({"reason": "two"}));
    assert_active(&server, &token);
    assert_active(&server, &other);

    support
        .post_empty(&format!("/v1/sessions/{id}/close"))
        .assert_ok();

    assert_ended(&server, &token);
    assert_active(&server, &other);
}

/// Authorize calls in flight while the grant is revoked: each is decided either wholly before
/// the revoke or after it. None that started after the revoke's answer allows, and none is
/// logged as allowed after the revocation in the chain.
fn authorize_racing_a_revoke_never_allows_after_it(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let grant = admin.grant(json!({"level": "member", "reason": "investigate"}));
    let (id, token) = support(&server).open(json!({"grant_id": grant, "reason": "look"}));
    let stop = AtomicBool::new(false);
    let answered = std::sync::atomic::AtomicUsize::new(0);
    // Waits (on the answers, not the clock: a loaded machine is slow) for `more` answers.
    let wait_for_answers = |more: usize| {
        let target = answered.load(Ordering::Relaxed) + more;
        let deadline = Instant::now() + Duration::from_secs(30);
        while answered.load(Ordering::Relaxed) < target && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let (url, service_token) = (server.url.clone(), server.tokens.service.clone());
    std::thread::scope(|scope| {
        let callers: Vec<_> = (0..6)
            .map(|_| {
                let (url, service_token, token, stop, answered) =
                    (&url, &service_token, &token, &stop, &answered);
                scope.spawn(move || {
                    let service = crate::common::harness::Api {
                        base: url.clone(),
                        token: Some(service_token.clone()),
                        http: crate::common::harness::http_client(),
                    };
                    let mut answers = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let started = Instant::now();
                        let reply = service.post(
                            "/v1/authorize",
                            json!({"token": token, "area": "chats", "action": "read"}),
                        );
                        reply.assert_ok();
                        answers.push((started, reply.body["allow"] == true));
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    answers
                })
            })
            .collect();
        wait_for_answers(12);
        revoke(&admin, ACME, &grant);
        let revoked_at = Instant::now();
        wait_for_answers(12);
        stop.store(true, Ordering::Relaxed);
        let answers: Vec<_> = callers
            .into_iter()
            .flat_map(|caller| caller.join().unwrap())
            .collect();
        assert!(
            answers.iter().any(|(_, allowed)| *allowed),
            "no authorize call ran before the revoke; the race was not exercised"
        );
        let late = answers
            .iter()
            .filter(|(started, allowed)| *started > revoked_at && *allowed)
            .count();
        assert_eq!(
            late, 0,
            "calls started after the revoke's answer were allowed"
        );
    });

    let log = audit(&admin, ACME);
    let revoked_seq = log
        .iter()
        .find(|event| event["action"] == "grant.revoked" && event["target"] == grant)
        .expect("the revocation is logged")["seq"]
        .as_i64()
        .unwrap();
    let allowed_after: Vec<_> = log
        .iter()
        .filter(|event| {
            event["action"] == "access.allowed"
                && event["target"] == id
                && event["seq"].as_i64().unwrap() > revoked_seq
        })
        .map(|event| event["seq"].clone())
        .collect();
    assert!(
        allowed_after.is_empty(),
        "access.allowed logged after grant.revoked (seq {revoked_seq}): {allowed_after:?}"
    );
}

/// Sessions being opened in another org while the engineer is disabled: each one either fails
/// or is closed by the disable, with its event; none is left open.
fn disabling_an_engineer_while_they_open_sessions_leaves_none_open(backend: Backend) {
    let server = TestServer::on(backend);
    let beta = client(&server, &create_org_with_admin(&server, "beta").token);
    admin(&server).grant(json!({"level": "member", "reason": "team"}));
    grant_in(&beta, "beta", json!({"level": "member", "reason": "team"}));
    let sam = create_support(&server, "sam@supportctl.test");
    open_in(
        &client(&server, &sam.token),
        ACME,
        json!({"reason": "acme"}),
    );
    let url = server.url.clone();
    let opened = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let (url, token, opened) = (&url, &sam.token, &opened);
            scope.spawn(move || {
                let sam = crate::common::harness::Api {
                    base: url.clone(),
                    token: Some(token.clone()),
                    http: crate::common::harness::http_client(),
                };
                // Until the disable shuts the door (401 once it is committed); the time limit
                // turns a disable that never gets through into a failure, not a hang.
                let give_up = Instant::now() + Duration::from_secs(60);
                while Instant::now() < give_up
                    && sam
                        .post("/v1/orgs/beta/sessions", json!({"reason": "race"}))
                        .status
                        == 201
                {
                    opened.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // Disable in the thick of it: once sessions are being opened.
        let deadline = Instant::now() + Duration::from_secs(20);
        while opened.load(Ordering::Relaxed) < 4 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        operator(&server)
            .post_empty(&format!("/v1/accounts/{}/disable", sam.id))
            .assert_ok();
    });

    let sessions = beta.all("/v1/orgs/beta/sessions?status=all");
    assert!(!sessions.is_empty(), "no session was opened in the race");
    let closed = events_for_action(&beta, "beta", "session.closed");
    for session in &sessions {
        assert_eq!(session["status"], "closed", "left open: {session}");
        assert!(
            closed.iter().any(|event| event["target"] == session["id"]),
            "closed without its event: {session}"
        );
    }
}

fn events_for_action(
    admin: &crate::common::harness::Api,
    org: &str,
    action: &str,
) -> Vec<serde_json::Value> {
    audit(admin, org)
        .into_iter()
        .filter(|event| event["action"] == action)
        .collect()
}
