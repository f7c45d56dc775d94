//! Time: grant and session expiry, `extend`, and the sweeper's audit events, driven by the
//! server's injectable clock (no sleeping for expiry itself; only short polls of the audit log
//! for what the background sweeper writes).

use std::time::Duration;

use serde_json::json;

use crate::common::fixtures::*;
use crate::common::harness::{Backend, ServerOptions, TestServer};

crate::common::conformance::conformance! {
    a_session_ends_when_its_grant_expires,
    a_session_ends_at_its_ttl_before_its_grant,
    session_expiry_is_the_earlier_of_grant_expiry_and_ttl,
    extend_never_goes_past_now_plus_the_maximum,
    extend_is_refused_for_expired_and_revoked_grants,
    sweeper_records_each_expiry_once,
    an_expiry_not_yet_swept_is_still_recorded_after_a_revoke,
}

fn a_session_ends_when_its_grant_expires(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let grant = admin.grant(json!({"level": "member", "duration_seconds": 600, "reason": "x"}));
    let (id, token) = support(&server).open(json!({"reason": "look"}));

    server.advance(599);
    assert_active(&server, &token);
    server.advance(1);
    assert_ended(&server, &token);
    assert_eq!(get_grant(&admin, ACME, &grant)["status"], "expired");
    assert_eq!(
        admin.get(&format!("/v1/sessions/{id}")).body["status"],
        "expired"
    );
    // The expired grant is no longer usable.
    assert!(support(&server).all("/v1/grants").is_empty());
    support(&server)
        .post("/v1/orgs/acme/sessions", json!({"reason": "again"}))
        .assert_problem(404, "not_found");
    support(&server)
        .post(
            "/v1/orgs/acme/sessions",
            json!({"grant_id": grant, "reason": "again"}),
        )
        .assert_problem(409, "conflict");
}

fn a_session_ends_at_its_ttl_before_its_grant(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let grant = admin.grant(json!({"level": "member", "reason": "x"}));
    let (id, token) = support(&server).open(json!({"ttl_seconds": 300, "reason": "brief"}));
    let (_, default_ttl) = support(&server).open(json!({"reason": "default ttl"}));

    server.advance(299);
    assert_active(&server, &token);
    server.advance(1);
    assert_ended(&server, &token);
    assert_eq!(
        admin.get(&format!("/v1/sessions/{id}")).body["status"],
        "expired"
    );
    // The grant and the other session go on.
    assert_eq!(get_grant(&admin, ACME, &grant)["status"], "active");
    assert_active(&server, &default_ttl);
    server.advance(DEFAULT_TTL - 300 - 1);
    assert_active(&server, &default_ttl);
    server.advance(1);
    assert_ended(&server, &default_ttl);
    // A new session can still be opened.
    support(&server).open(json!({"reason": "again"}));
}

fn session_expiry_is_the_earlier_of_grant_expiry_and_ttl(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let start = now(&server);
    let grant =
        admin.grant(json!({"level": "member", "duration_seconds": 2 * HOUR, "reason": "x"}));
    let support = support(&server);
    for (ttl, expected) in [
        (Some(300), plus(start, 300)),
        (None, plus(start, DEFAULT_TTL)),
        (Some(2 * HOUR - 1), plus(start, 2 * HOUR - 1)),
        (Some(2 * HOUR), plus(start, 2 * HOUR)),
        (Some(MAX_TTL), plus(start, 2 * HOUR)),
    ] {
        let mut body = json!({"grant_id": grant, "reason": "ttl"});
        if let Some(ttl) = ttl {
            body["ttl_seconds"] = json!(ttl);
        }
        let reply = support.post("/v1/orgs/acme/sessions", body);
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(
            ts(&reply.body["session"]["expires_at"]),
            expected,
            "ttl {ttl:?}"
        );
        let introspection = introspect(&server, reply.body["token"].as_str().unwrap());
        assert_eq!(introspection["exp"], expected.as_second());
    }
    // Later in the grant's life the grant's end comes sooner.
    server.advance(HOUR + 1800);
    let reply = support.post("/v1/orgs/acme/sessions", json!({"reason": "late"}));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(
        ts(&reply.body["session"]["expires_at"]),
        plus(start, 2 * HOUR)
    );
}

fn extend_never_goes_past_now_plus_the_maximum(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let grant = admin.grant(json!({
        "level": "member", "duration_seconds": MAX_GRANT - DAY, "reason": "long project"
    }));
    let extend = |seconds: i64| {
        admin.post(
            &format!("/v1/orgs/acme/grants/{grant}/extend"),
            json!({ "duration_seconds": seconds }),
        )
    };
    let before = get_grant(&admin, ACME, &grant);

    extend(2 * DAY).assert_problem(422, "policy_violation");
    extend(DAY + 1).assert_problem(422, "policy_violation");
    extend(MAX_GRANT + 1).assert_problem(422, "policy_violation");
    assert_eq!(get_grant(&admin, ACME, &grant), before);

    // Up to now + maximum exactly.
    let reply = extend(DAY);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(ts(&reply.body["expires_at"]), plus(now(&server), MAX_GRANT));
    extend(1).assert_problem(422, "policy_violation");

    // The limit moves with the clock.
    server.advance(DAY);
    let reply = extend(DAY);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(ts(&reply.body["expires_at"]), plus(now(&server), MAX_GRANT));

    let extended = events_for(&admin, ACME, "grant.extended", &grant);
    assert_eq!(extended.len(), 2, "refused extensions are not events");
}

fn extend_is_refused_for_expired_and_revoked_grants(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let expiring = admin.grant(json!({"level": "member", "duration_seconds": 60, "reason": "x"}));
    let revoked = admin.grant(json!({"level": "member", "reason": "x"}));
    revoke(&admin, ACME, &revoked);
    server.advance(60);
    let before = snapshot(&server);

    for grant in [&expiring, &revoked] {
        admin
            .post(
                &format!("/v1/orgs/acme/grants/{grant}/extend"),
                json!({"duration_seconds": HOUR}),
            )
            .assert_problem(409, "conflict");
    }
    admin
        .post(
            &format!("/v1/orgs/acme/grants/{}/extend", unknown_id("gr")),
            json!({"duration_seconds": HOUR}),
        )
        .assert_problem(404, "not_found");
    assert_eq!(get_grant(&admin, ACME, &expiring)["status"], "expired");
    assert_eq!(get_grant(&admin, ACME, &revoked)["status"], "revoked");
    let after = snapshot(&server);
    // The sweeper may have recorded the expiry meanwhile; nothing else may change.
    let without_expiry = |events: &[serde_json::Value]| -> Vec<serde_json::Value> {
        events
            .iter()
            .filter(|e| e["action"] != "grant.expired")
            .cloned()
            .collect()
    };
    assert_eq!(without_expiry(&after.audit), without_expiry(&before.audit));
    assert_eq!(after.grants, before.grants);
}

fn sweeper_records_each_expiry_once(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let support = support(&server);
    let start = now(&server);
    let short_grant =
        admin.grant(json!({"level": "member", "duration_seconds": 600, "reason": "x"}));
    let long_grant = admin.grant(json!({"level": "member", "reason": "x"}));
    let revoked_grant =
        admin.grant(json!({"level": "member", "duration_seconds": 600, "reason": "x"}));
    let (capped, _) = support.open(json!({"grant_id": short_grant, "reason": "capped"}));
    let (brief, _) =
        support.open(json!({"grant_id": long_grant, "ttl_seconds": 300, "reason": "b"}));
    let (closed, _) =
        support.open(json!({"grant_id": long_grant, "ttl_seconds": 300, "reason": "c"}));
    let (cut_short, _) = support.open(json!({"grant_id": revoked_grant, "reason": "r"}));
    support
        .post_empty(&format!("/v1/sessions/{closed}/close"))
        .assert_ok();
    revoke(&admin, ACME, &revoked_grant);

    server.advance(300);
    let event = wait_for_event(&admin, ACME, "session.expired", &brief);
    assert_eq!(event["actor"]["role"], "system");
    assert_eq!(ts(&event["details"]["expires_at"]), plus(start, 300));

    server.advance(300);
    let event = wait_for_event(&admin, ACME, "grant.expired", &short_grant);
    assert_eq!(event["actor"]["role"], "system");
    assert_eq!(ts(&event["details"]["expires_at"]), plus(start, 600));
    wait_for_event(&admin, ACME, "session.expired", &capped);

    // A later expiry shows that the sweeper has run again since: nothing was recorded twice.
    let marker = admin.grant(json!({"level": "member", "duration_seconds": 1, "reason": "x"}));
    server.advance(1);
    wait_for_event(&admin, ACME, "grant.expired", &marker);

    let events = audit(&admin, ACME);
    let targets = |action: &str| -> Vec<String> {
        sorted(
            with_action(&events, action)
                .iter()
                .map(|e| e["target"].as_str().unwrap().to_owned())
                .collect(),
        )
    };
    assert_eq!(targets("grant.expired"), sorted(vec![short_grant, marker]));
    assert_eq!(targets("session.expired"), sorted(vec![brief, capped]));
    // A closed session and a revoked grant's session ended otherwise.
    assert!(!targets("session.expired").contains(&cut_short));
    assert!(!targets("session.expired").contains(&closed));
}

/// A session that expired before its grant was revoked, while the sweeper had not yet come
/// round, ended by expiry: the log must say so once the sweeper runs.
fn an_expiry_not_yet_swept_is_still_recorded_after_a_revoke(backend: Backend) {
    let server = TestServer::with(ServerOptions {
        backend,
        // The sweeper runs once at start and then not again during the test: it is run by hand.
        sweep_interval: Duration::from_secs(3600),
        ..ServerOptions::default()
    });
    let admin = admin(&server);
    let grant = admin.grant(json!({"level": "member", "reason": "x"}));
    let (brief, _) = support(&server).open(json!({"ttl_seconds": 60, "reason": "brief"}));
    let (open, _) = support(&server).open(json!({"reason": "still open"}));
    server.advance(120);
    revoke(&admin, ACME, &grant);
    assert_eq!(
        admin.get(&format!("/v1/sessions/{brief}")).body["status"],
        "expired"
    );
    assert_eq!(
        admin.get(&format!("/v1/sessions/{open}")).body["status"],
        "revoked"
    );
    let revoked = events_for(&admin, ACME, "grant.revoked", &grant);
    assert_eq!(revoked[0]["details"]["sessions_ended"], 1);

    let report = sweep_now(&server);
    assert_eq!(report.sessions_expired, 1, "{report:?}");
    assert_eq!(events_for(&admin, ACME, "session.expired", &brief).len(), 1);
    assert!(events_for(&admin, ACME, "session.expired", &open).is_empty());
}

/// One sweep, run directly on the server's store at the server's time.
pub(crate) fn sweep_now(server: &TestServer) -> supportctl::server::store::SweepReport {
    let store = server.store.clone();
    let at = now(server);
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(store.sweep_expired(at))
            .unwrap()
    })
    .join()
    .unwrap()
}
