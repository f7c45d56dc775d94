//! The happy path of sessions, introspection, authorization and the audit log, as their callers
//! see it.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};

crate::common::conformance::conformance! {
    session_opens_from_the_named_grant,
    session_without_grant_id_uses_the_least_privileged_covering_grant,
    sessions_are_listed_for_the_org_and_for_their_engineer,
    session_show_and_idempotent_close,
    session_token_shows_its_own_session_until_it_ends,
    introspect_answers_rfc7662_for_json_and_form_bodies,
    authorize_allows_within_scope_and_denies_with_each_reason,
    audit_list_filters_by_seq_time_and_action,
}

fn session_opens_from_the_named_grant(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let broad = admin.grant(json!({"level": "admin", "reason": "broad"}));
    let _narrow =
        admin.grant(json!({"level": "read-only", "areas": ["chats"], "reason": "narrow"}));
    let start = now(&server);

    let reply = support(&server).post(
        "/v1/orgs/acme/sessions",
        json!({"grant_id": broad, "reason": "debug import"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let session = &reply.body["session"];
    let token = reply.body["token"].as_str().unwrap();
    assert!(
        token.starts_with("sst_") && token.len() >= 4 + 32,
        "{token}"
    );
    assert!(session["id"].as_str().unwrap().starts_with("ses_"));
    assert_eq!(session["org"], "acme");
    assert_eq!(session["grant_id"], broad.as_str());
    assert_eq!(session["engineer"], SUPPORT_EMAIL);
    // Defaults: the grant's level and areas, the default ttl.
    assert_eq!(session["level"], "admin");
    assert_eq!(sorted(strings(&session["areas"])), all_areas());
    assert_eq!(session["reason"], "debug import");
    assert_eq!(ts(&session["opened_at"]), start);
    assert_eq!(ts(&session["expires_at"]), plus(start, DEFAULT_TTL));
    assert_eq!(session["closed_at"], Value::Null);
    assert_eq!(session["close_reason"], Value::Null);
    assert_eq!(session["status"], "active");

    // Narrower than the grant, with its own ttl.
    let reply = support(&server).post(
        "/v1/orgs/acme/sessions",
        json!({
            "grant_id": broad, "level": "member", "areas": ["documents", "chats"],
            "ttl_seconds": 900, "reason": "narrower"
        }),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let session = &reply.body["session"];
    assert_eq!(session["grant_id"], broad.as_str());
    assert_eq!(session["level"], "member");
    assert_eq!(
        sorted(strings(&session["areas"])),
        owned(&["chats", "documents"])
    );
    assert_eq!(ts(&session["expires_at"]), plus(start, 900));

    let events = audit(&admin, ACME);
    let opened = with_action(&events, "session.opened");
    assert_eq!(opened.len(), 2);
    assert_eq!(opened[1]["target"], session["id"]);
    assert_eq!(opened[1]["actor"]["email"], SUPPORT_EMAIL);
    assert_eq!(opened[1]["details"]["grant_id"], broad.as_str());
}

fn session_without_grant_id_uses_the_least_privileged_covering_grant(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let broad = admin.grant(json!({"level": "admin", "reason": "broad"}));
    let read_all = admin.grant(json!({"level": "read-only", "reason": "read everything"}));
    let member = admin.grant(json!({
        "level": "member", "areas": ["chats", "issues"], "reason": "member"
    }));
    let read_chats = admin.grant(json!({
        "level": "read-only", "areas": ["chats"], "reason": "read chats"
    }));
    // Not usable by this engineer, however narrow.
    let sam = create_support(&server, "sam@supportctl.test");
    let _sams = admin.grant(json!({
        "level": "read-only", "areas": ["documents"], "engineers": [sam.email], "reason": "sam"
    }));

    let support = support(&server);
    for (request, expected, level) in [
        (json!({}), &read_chats, "read-only"),
        (json!({"areas": ["chats"]}), &read_chats, "read-only"),
        (
            json!({"level": "read-only", "areas": ["chats"]}),
            &read_chats,
            "read-only",
        ),
        (json!({"areas": ["documents"]}), &read_all, "read-only"),
        (
            json!({"level": "member", "areas": ["chats"]}),
            &member,
            "member",
        ),
        (
            json!({"level": "member", "areas": ["issues", "chats"]}),
            &member,
            "member",
        ),
        (
            json!({"level": "member", "areas": ["documents"]}),
            &broad,
            "member",
        ),
        (
            json!({"level": "admin", "areas": ["chats"]}),
            &broad,
            "admin",
        ),
    ] {
        let mut body = request.clone();
        body["reason"] = json!("pick for me");
        let reply = support.post("/v1/orgs/acme/sessions", body);
        assert_eq!(reply.status, 201, "{request}: {}", reply.body);
        assert_eq!(
            reply.body["session"]["grant_id"],
            expected.as_str(),
            "{request} should use the narrowest covering grant"
        );
        assert_eq!(reply.body["session"]["level"], level, "{request}");
    }
}

fn sessions_are_listed_for_the_org_and_for_their_engineer(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let beta = client(&server, &create_org_with_admin(&server, "beta").token);
    let sam = create_support(&server, "sam@supportctl.test");
    let sam_api = client(&server, &sam.token);
    admin.grant(json!({"level": "member", "reason": "team"}));
    grant_in(
        &beta,
        "beta",
        json!({"level": "member", "reason": "beta team"}),
    );

    let support = support(&server);
    let (s1, _) = support.open(json!({"reason": "one"}));
    let (s2, _) = support.open(json!({"reason": "two"}));
    let (s3, _) = sam_api.open(json!({"reason": "three"}));
    let (b1, _) = open_in(&support, "beta", json!({"reason": "beta"}));

    let org_list = admin.get("/v1/orgs/acme/sessions");
    assert_eq!(org_list.status, 200, "{}", org_list.body);
    assert_eq!(
        ids(org_list.body["items"].as_array().unwrap()),
        vec![s3.clone(), s2.clone(), s1.clone()]
    );
    assert_eq!(org_list.body["next_cursor"], Value::Null);
    // An admin's GET /v1/sessions is their org's list.
    assert_eq!(
        ids(&admin.all("/v1/sessions")),
        vec![s3.clone(), s2.clone(), s1.clone()]
    );
    assert_eq!(ids(&beta.all("/v1/sessions")), vec![b1.clone()]);
    // An engineer's is their own, across orgs.
    assert_eq!(
        ids(&support.all("/v1/sessions")),
        vec![b1, s2.clone(), s1.clone()]
    );
    assert_eq!(ids(&sam_api.all("/v1/sessions")), vec![s3.clone()]);

    support
        .post_empty(&format!("/v1/sessions/{s1}/close"))
        .assert_ok();
    assert_eq!(
        ids(&admin.all("/v1/orgs/acme/sessions")),
        vec![s3.clone(), s2.clone()]
    );
    assert_eq!(
        ids(&admin.all("/v1/orgs/acme/sessions?status=closed")),
        vec![s1.clone()]
    );
    assert_eq!(
        ids(&admin.all("/v1/orgs/acme/sessions?status=all")),
        vec![s3, s2, s1.clone()]
    );
    assert_eq!(ids(&support.all("/v1/sessions?status=closed")), vec![s1]);
}

fn session_show_and_idempotent_close(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let support = support(&server);
    admin.grant(json!({"level": "member", "reason": "team"}));
    let (id, _) = support.open(json!({"reason": "look"}));

    let by_engineer = support.get(&format!("/v1/sessions/{id}"));
    assert_eq!(by_engineer.status, 200, "{}", by_engineer.body);
    assert_eq!(by_engineer.body["id"], id.as_str());
    assert_eq!(by_engineer.body["status"], "active");
    let by_admin = admin.get(&format!("/v1/sessions/{id}"));
    assert_eq!(by_admin.body, by_engineer.body);

    server.advance(60);
    let closed = support.post(
        &format!("/v1/sessions/{id}/close"),
        json!({"reason": "fixed"}),
    );
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(closed.body["status"], "closed");
    assert_eq!(ts(&closed.body["closed_at"]), now(&server));
    assert_eq!(closed.body["close_reason"], "fixed");
    assert_eq!(admin.get(&format!("/v1/sessions/{id}")).body, closed.body);

    // Closing again (by the org's admin this time) changes nothing.
    server.advance(60);
    let again = admin.post_empty(&format!("/v1/sessions/{id}/close"));
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, closed.body);
    let events = audit(&admin, ACME);
    let closes = with_action(&events, "session.closed");
    assert_eq!(closes.len(), 1, "{closes:?}");
    assert_eq!(closes[0]["target"], id.as_str());
    assert_eq!(closes[0]["details"]["reason"], "fixed");
}

fn session_token_shows_its_own_session_until_it_ends(backend: Backend) {
    let server = TestServer::on(backend);
    admin(&server).grant(json!({"level": "member", "reason": "team"}));
    let (id, token) = support(&server).open(json!({"reason": "look"}));
    let (_, other) = support(&server).open(json!({"reason": "another"}));

    let current = client(&server, &token).get("/v1/session");
    assert_eq!(current.status, 200, "{}", current.body);
    assert_eq!(current.body["id"], id.as_str());
    assert_eq!(current.body["status"], "active");
    assert_eq!(
        current.body,
        admin(&server).get(&format!("/v1/sessions/{id}")).body
    );
    assert!(current.body.get("token").is_none());

    support(&server)
        .post_empty(&format!("/v1/sessions/{id}/close"))
        .assert_ok();
    client(&server, &token)
        .get("/v1/session")
        .assert_problem(401, "unauthenticated");
    assert_eq!(client(&server, &other).get("/v1/session").status, 200);
}

fn introspect_answers_rfc7662_for_json_and_form_bodies(backend: Backend) {
    let server = TestServer::on(backend);
    let grant = admin(&server).grant(json!({
        "level": "member", "areas": ["chats", "issues"], "reason": "team"
    }));
    let reply = support(&server).post("/v1/orgs/acme/sessions", json!({"reason": "look"}));
    assert_eq!(reply.status, 201);
    let session = reply.body["session"].clone();
    let token = reply.body["token"].as_str().unwrap().to_owned();

    let active = introspect(&server, &token);
    assert_eq!(active["active"], true);
    let scope: BTreeSet<&str> = active["scope"].as_str().unwrap().split(' ').collect();
    assert_eq!(
        scope,
        ["chats:read", "chats:write", "issues:read", "issues:write"]
            .into_iter()
            .collect()
    );
    assert_eq!(active["exp"], ts(&session["expires_at"]).as_second());
    assert_eq!(active["iat"], ts(&session["opened_at"]).as_second());
    assert_eq!(active["sub"], "org:acme");
    assert_eq!(active["org"], "acme");
    assert_eq!(active["level"], "member");
    assert_eq!(
        sorted(strings(&active["areas"])),
        owned(&["chats", "issues"])
    );
    assert_eq!(active["session_id"], session["id"]);
    assert_eq!(active["grant_id"], grant.as_str());
    assert_eq!(active["act"], json!({"sub": SUPPORT_EMAIL}));

    // The same answer for a form body (RFC 7662's own encoding), and for an operator.
    let form = service(&server).post_raw(
        "/v1/introspect",
        "application/x-www-form-urlencoded",
        format!("token={token}&token_type_hint=access_token"),
    );
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.body, active);
    let by_operator = operator(&server).post("/v1/introspect", json!({"token": token}));
    assert_eq!(by_operator.body, active);

    // Unknown and inactive tokens: exactly {"active": false}, in both encodings.
    let (closed_id, closed) = support(&server).open(json!({"reason": "short"}));
    support(&server)
        .post_empty(&format!("/v1/sessions/{closed_id}/close"))
        .assert_ok();
    let unknown = format!("sst_{}", "ab".repeat(24));
    let account_token = server.tokens.admin.clone();
    for candidate in [
        unknown.as_str(),
        "garbage",
        "",
        account_token.as_str(),
        closed.as_str(),
    ] {
        assert_eq!(
            introspect(&server, candidate),
            json!({"active": false}),
            "JSON body, token {candidate:?}"
        );
        let form = service(&server).post_raw(
            "/v1/introspect",
            "application/x-www-form-urlencoded",
            format!("token={candidate}"),
        );
        assert_eq!(form.status, 200, "{}", form.body);
        assert_eq!(
            form.body,
            json!({"active": false}),
            "form body, token {candidate:?}"
        );
    }
}

fn authorize_allows_within_scope_and_denies_with_each_reason(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let support = support(&server);
    let service = service(&server);
    admin.grant(json!({"level": "member", "areas": ["chats", "issues"], "reason": "team"}));
    let (member_id, member) = support.open(json!({"areas": ["chats"], "reason": "member"}));
    let (reader_id, reader) = support.open(json!({
        "level": "read-only", "areas": ["chats", "issues"], "reason": "reader"
    }));

    let allowed = service.post(
        "/v1/authorize",
        json!({"token": member, "area": "chats", "action": "write", "resource": "chat/17"}),
    );
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(
        allowed.body,
        json!({"allow": true, "session_id": member_id, "org": "acme"})
    );
    assert_eq!(authorize(&server, &member, "chats", "read")["allow"], true);
    assert_eq!(authorize(&server, &reader, "issues", "read")["allow"], true);

    let denied = |token: &str, area: &str, action: &str, session: Option<&str>| -> String {
        let answer = authorize(&server, token, area, action);
        assert_eq!(
            answer["allow"], false,
            "{area}:{action} should be denied: {answer}"
        );
        match session {
            Some(id) => {
                assert_eq!(answer["session_id"], id);
                assert_eq!(answer["org"], "acme");
            }
            None => {
                assert!(answer.get("session_id").is_none() && answer.get("org").is_none());
            }
        }
        answer["reason"].as_str().unwrap().to_owned()
    };
    // Outside the session's areas (though inside the grant's).
    let reason = denied(&member, "issues", "read", Some(&member_id));
    assert!(reason.contains("issues"), "{reason}");
    // Above the session's level.
    let reason = denied(&member, "chats", "administer", Some(&member_id));
    assert!(reason.contains("administer"), "{reason}");
    let reason = denied(&reader, "chats", "write", Some(&reader_id));
    assert!(reason.contains("write"), "{reason}");
    // Unknown token: nothing to log against, nothing about any session.
    denied(&format!("sst_{}", "cd".repeat(24)), "chats", "read", None);
    // Closed session.
    support
        .post_empty(&format!("/v1/sessions/{reader_id}/close"))
        .assert_ok();
    let reason = denied(&reader, "chats", "read", Some(&reader_id));
    assert!(reason.contains("closed"), "{reason}");
    // Revoked grant.
    let revoked_grant =
        admin.grant(json!({"level": "admin", "areas": ["documents"], "reason": "r"}));
    let (revoked_id, revoked) = support.open(json!({"grant_id": revoked_grant, "reason": "r"}));
    revoke(&admin, ACME, &revoked_grant);
    let reason = denied(&revoked, "documents", "read", Some(&revoked_id));
    assert!(reason.contains("revoked"), "{reason}");
    // Expired session.
    let (expired_id, expired) = support.open(json!({"ttl_seconds": 60, "reason": "brief"}));
    server.advance(60);
    let reason = denied(&expired, "chats", "read", Some(&expired_id));
    assert!(reason.contains("expired"), "{reason}");

    let events = audit(&admin, ACME);
    let allowed_events = with_action(&events, "access.allowed");
    assert_eq!(allowed_events.len(), 3);
    let first = allowed_events[0];
    assert_eq!(first["target"], member_id.as_str());
    assert_eq!(first["actor"]["email"], SUPPORT_EMAIL);
    assert_eq!(first["details"]["area"], "chats");
    assert_eq!(first["details"]["action"], "write");
    assert_eq!(first["details"]["resource"], "chat/17");
    assert_eq!(first["details"]["reported_by"], SERVICE_EMAIL);
    let denied_targets: Vec<&Value> = with_action(&events, "access.denied")
        .iter()
        .map(|event| &event["target"])
        .collect();
    assert_eq!(
        denied_targets,
        vec![
            &json!(member_id),
            &json!(member_id),
            &json!(reader_id),
            &json!(reader_id),
            &json!(revoked_id),
            &json!(expired_id),
        ]
    );
    let level_denial = with_action(&events, "access.denied")[1];
    assert_eq!(level_denial["details"]["action"], "administer");
    assert!(level_denial["details"]["reason"].as_str().is_some());
}

fn audit_list_filters_by_seq_time_and_action(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let t0 = now(&server);
    let first = admin.grant(json!({"level": "member", "reason": "first"}));
    server.advance(100);
    let t1 = now(&server);
    let second = admin.grant(json!({"level": "member", "reason": "second"}));
    admin
        .post(
            &format!("/v1/orgs/acme/grants/{second}/extend"),
            json!({"duration_seconds": 60}),
        )
        .assert_ok();
    server.advance(100);
    let t2 = now(&server);
    revoke(&admin, ACME, &first);

    let all = audit(&admin, ACME);
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=all.len() as i64).collect::<Vec<_>>(),
        "seq order"
    );
    let summary = |events: &[Value]| -> Vec<(String, String)> {
        events
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["target"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let ours = |action: &str, target: &str| (action.to_owned(), target.to_owned());
    let tail = all.len() - 4;
    assert_eq!(
        summary(&all[tail..]),
        vec![
            ours("grant.created", &first),
            ours("grant.created", &second),
            ours("grant.extended", &second),
            ours("grant.revoked", &first),
        ]
    );
    assert!(all[..tail].iter().all(|e| ts(&e["at"]) <= t0));

    let get = |query: &str| -> Vec<Value> {
        let reply = admin.get(&format!("/v1/orgs/acme/audit?{query}"));
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        reply.body["items"].as_array().unwrap().clone()
    };
    let after = all[tail]["seq"].as_i64().unwrap();
    assert_eq!(get(&format!("after_seq={after}")), all[tail + 1..].to_vec());
    assert_eq!(get(&format!("since={t1}")), all[tail + 1..].to_vec());
    assert_eq!(get(&format!("until={t2}")), all[..tail + 3].to_vec());
    assert_eq!(
        get(&format!("since={t1}&until={t2}")),
        all[tail + 1..tail + 3].to_vec()
    );
    assert_eq!(
        summary(&get("action=grant.created")),
        vec![
            ours("grant.created", &first),
            ours("grant.created", &second)
        ]
    );
    assert_eq!(
        summary(&get(&format!("action=grant.created&after_seq={after}"))),
        vec![ours("grant.created", &second)]
    );
    assert!(get("action=no.such.action").is_empty());

    // Pages in seq order.
    let page = admin.get("/v1/orgs/acme/audit?limit=2");
    assert_eq!(
        page.body["items"].as_array().unwrap().to_vec(),
        all[..2].to_vec()
    );
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = admin.get(&format!("/v1/orgs/acme/audit?limit=2&cursor={cursor}"));
    assert_eq!(
        next.body["items"].as_array().unwrap().to_vec(),
        all[2..4].to_vec()
    );
}
