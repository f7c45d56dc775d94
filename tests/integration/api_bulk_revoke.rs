//! Revoking: in bulk by ids or `all`, idempotently one at a time, and always with the grant's
//! sessions.

use serde_json::{Value, json};

use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};

crate::common::conformance::conformance! {
    bulk_revoke_sorts_each_id_into_revoked_already_inactive_or_not_found,
    bulk_revoke_all_revokes_every_active_grant_of_the_org_and_nothing_else,
    single_revoke_is_idempotent,
    revoking_a_grant_ends_every_one_of_its_sessions,
}

fn bulk_revoke_sorts_each_id_into_revoked_already_inactive_or_not_found(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let beta = client(&server, &create_org_with_admin(&server, "beta").token);
    let beta_grant = grant_in(&beta, "beta", json!({"level": "member", "reason": "beta"}));
    let active_1 = admin.grant(json!({"level": "member", "reason": "a1"}));
    let active_2 = admin.grant(json!({"level": "member", "reason": "a2"}));
    let (_, token) = support(&server).open(json!({"grant_id": active_2, "reason": "work"}));
    let revoked = admin.grant(json!({"level": "member", "reason": "r"}));
    let revoked_before = revoke(&admin, ACME, &revoked).body.clone();
    let expired = admin.grant(json!({"level": "member", "duration_seconds": 60, "reason": "e"}));
    server.advance(60);
    let unknown = unknown_id("gr");
    let before_expired = get_grant(&admin, ACME, &expired);

    let reply = admin.post(
        "/v1/orgs/acme/grants/revoke",
        json!({
            "ids": [active_1, revoked, unknown, beta_grant, expired, active_2, active_1],
            "reason": "incident 7",
        }),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let result = &reply.body;
    assert_eq!(
        sorted(strings(&result["revoked"])),
        sorted(vec![active_1.clone(), active_2.clone()])
    );
    assert_eq!(
        sorted(strings(&result["already_inactive"])),
        sorted(vec![revoked.clone(), expired.clone()])
    );
    // Another org's grant is, to this admin, a grant that does not exist.
    assert_eq!(
        sorted(strings(&result["not_found"])),
        sorted(vec![unknown, beta_grant.clone()])
    );

    for id in [&active_1, &active_2] {
        let grant = get_grant(&admin, ACME, id);
        assert_eq!(grant["status"], "revoked");
        assert_eq!(grant["revoked_by"], ADMIN_EMAIL);
        assert_eq!(grant["revoke_reason"], "incident 7");
        assert_eq!(ts(&grant["revoked_at"]), now(&server));
    }
    // The inactive ones stay exactly as they were.
    assert_eq!(get_grant(&admin, ACME, &revoked), revoked_before);
    assert_eq!(get_grant(&admin, ACME, &expired), before_expired);
    assert_eq!(get_grant(&beta, "beta", &beta_grant)["status"], "active");
    assert_ended(&server, &token);

    let events = audit(&admin, ACME);
    let revocations: Vec<&Value> = with_action(&events, "grant.revoked")
        .into_iter()
        .filter(|e| e["details"]["reason"] == "incident 7")
        .collect();
    assert_eq!(
        sorted(
            revocations
                .iter()
                .map(|e| e["target"].as_str().unwrap().to_owned())
                .collect()
        ),
        sorted(vec![active_1, active_2])
    );
    assert!(with_action(&audit(&beta, "beta"), "grant.revoked").is_empty());
}

fn bulk_revoke_all_revokes_every_active_grant_of_the_org_and_nothing_else(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let beta = client(&server, &create_org_with_admin(&server, "beta").token);
    let beta_grant = grant_in(&beta, "beta", json!({"level": "member", "reason": "beta"}));
    let (_, beta_token) = open_in(&support(&server), "beta", json!({"reason": "beta"}));
    let expired = admin.grant(json!({"level": "member", "duration_seconds": 60, "reason": "e"}));
    let revoked = admin.grant(json!({"level": "member", "reason": "r"}));
    revoke(&admin, ACME, &revoked);
    server.advance(60);
    let mut active = Vec::new();
    let mut tokens = Vec::new();
    for n in 0..3 {
        let grant = admin.grant(json!({"level": "member", "reason": format!("g{n}")}));
        let (_, token) = support(&server).open(json!({"grant_id": grant, "reason": "work"}));
        active.push(grant);
        tokens.push(token);
    }

    let reply = admin.post(
        "/v1/orgs/acme/grants/revoke",
        json!({"all": true, "reason": "all out"}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        sorted(strings(&reply.body["revoked"])),
        sorted(active.clone())
    );
    assert_eq!(reply.body["already_inactive"], json!([]));
    assert_eq!(reply.body["not_found"], json!([]));
    assert_eq!(reply.body["sessions_ended"], 3);

    assert!(admin.all("/v1/orgs/acme/grants").is_empty());
    assert_eq!(
        sorted(ids(&admin.all("/v1/orgs/acme/grants?status=revoked"))),
        sorted([active.clone(), vec![revoked]].concat())
    );
    assert_eq!(get_grant(&admin, ACME, &expired)["status"], "expired");
    for token in &tokens {
        assert_ended(&server, token);
    }
    assert_eq!(get_grant(&beta, "beta", &beta_grant)["status"], "active");
    assert_active(&server, &beta_token);

    // Nothing left to revoke.
    let again = admin.post("/v1/orgs/acme/grants/revoke", json!({"all": true}));
    assert_eq!(
        again.body,
        json!({"revoked": [], "already_inactive": [], "not_found": [], "sessions_ended": 0})
    );
}

fn single_revoke_is_idempotent(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let beta = client(&server, &create_org_with_admin(&server, "beta").token);
    let beta_grant = grant_in(&beta, "beta", json!({"level": "member", "reason": "beta"}));
    let grant = admin.grant(json!({"level": "member", "reason": "x"}));
    let expired = admin.grant(json!({"level": "member", "duration_seconds": 60, "reason": "e"}));

    let first = admin.post(
        &format!("/v1/orgs/acme/grants/{grant}/revoke"),
        json!({"reason": "first"}),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["status"], "revoked");
    server.advance(60);
    let second = admin.post(
        &format!("/v1/orgs/acme/grants/{grant}/revoke"),
        json!({"reason": "second"}),
    );
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body, first.body, "the grant as it is, unchanged");

    let expired_reply = admin.post_empty(&format!("/v1/orgs/acme/grants/{expired}/revoke"));
    assert_eq!(expired_reply.status, 200, "{}", expired_reply.body);
    assert_eq!(expired_reply.body["status"], "expired");
    assert_eq!(expired_reply.body["revoked_at"], Value::Null);

    assert_eq!(events_for(&admin, ACME, "grant.revoked", &grant).len(), 1);
    assert!(events_for(&admin, ACME, "grant.revoked", &expired).is_empty());

    // Unknown, and another org's: the same 404.
    let unknown = unknown_id("gr");
    let missing = admin.post_empty(&format!("/v1/orgs/acme/grants/{unknown}/revoke"));
    missing.assert_problem(404, "not_found");
    let foreign = admin.post_empty(&format!("/v1/orgs/acme/grants/{beta_grant}/revoke"));
    foreign.assert_problem(404, "not_found");
    assert_eq!(
        foreign.body["detail"]
            .as_str()
            .unwrap()
            .replace(&beta_grant, &unknown),
        missing.body["detail"].as_str().unwrap()
    );
    // So it is for every other way of naming another org's grant under one's own org.
    for (suffix, body) in [
        ("", None),
        ("/extend", Some(json!({"duration_seconds": 60}))),
    ] {
        let ask = |id: &str| {
            let path = format!("/v1/orgs/acme/grants/{id}{suffix}");
            match &body {
                Some(body) => admin.post(&path, body),
                None => admin.get(&path),
            }
        };
        let foreign = ask(&beta_grant);
        foreign.assert_problem(404, "not_found");
        let missing = ask(&unknown);
        assert_eq!(
            foreign.body["detail"]
                .as_str()
                .unwrap()
                .replace(&beta_grant, &unknown),
            missing.body["detail"].as_str().unwrap(),
            "{suffix}"
        );
    }
    let untouched = get_grant(&beta, "beta", &beta_grant);
    assert_eq!(untouched["status"], "active");
    assert!(events_for(&beta, "beta", "grant.extended", &beta_grant).is_empty());
}

fn revoking_a_grant_ends_every_one_of_its_sessions(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let grant = admin.grant(json!({"level": "member", "reason": "x"}));
    let other = admin.grant(json!({"level": "member", "reason": "y"}));
    let sam = client(
        &server,
        &create_support(&server, "sam@supportctl.test").token,
    );
    let support = support(&server);
    let mut ended = Vec::new();
    for api in [&support, &support, &sam] {
        ended.push(api.open(json!({"grant_id": grant, "reason": "work"})));
    }
    let (_, kept) = support.open(json!({"grant_id": other, "reason": "other"}));
    for (_, token) in &ended {
        assert_active(&server, token);
    }

    revoke(&admin, ACME, &grant);

    for (id, token) in &ended {
        assert_ended(&server, token);
        assert_eq!(
            admin.get(&format!("/v1/sessions/{id}")).body["status"],
            "revoked"
        );
    }
    assert_active(&server, &kept);
    assert_eq!(
        sorted(ids(&admin.all("/v1/orgs/acme/sessions?status=revoked"))),
        sorted(ended.iter().map(|(id, _)| id.clone()).collect())
    );
    let revoked = events_for(&admin, ACME, "grant.revoked", &grant);
    assert_eq!(revoked[0]["details"]["sessions_ended"], 3);
}
