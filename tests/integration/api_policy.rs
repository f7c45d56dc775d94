//! Each org's own policy: read-modify-write with a version, checked by every grant, extend,
//! request, approval and session after it changes (and by none made before).

use serde_json::{Value, json};

use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, Reply, TestServer};

crate::common::conformance::conformance! {
    the_policy_is_replaced_only_from_the_version_read,
    the_policy_bounds_grants_extends_and_sessions,
    direct_grants_false_leaves_approval_the_only_way_in,
    durations_over_the_servers_flags_are_refused_naming_them,
}

/// `PUT /v1/orgs/{org}/policy`.
pub fn put(api: &Api, org: &str, body: &Value) -> Reply {
    put_path(api, &format!("/v1/orgs/{org}/policy"), body)
}

/// A `PUT` of a JSON body.
pub fn put_path(api: &Api, path: &str, body: &Value) -> Reply {
    let mut request = api.http.put(format!("{}{path}", api.base)).json(body);
    if let Some(token) = &api.token {
        request = request.bearer_auth(token);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        headers,
        body,
    }
}

/// The org acme's policy, as its admin reads it.
pub fn policy(server: &TestServer) -> Value {
    let reply = admin(server).get("/v1/orgs/acme/policy");
    reply.assert_ok();
    reply.body
}

/// Changes acme's policy as its admin; the change must apply at once (200).
pub fn change(server: &TestServer, edit: impl FnOnce(&mut Value)) -> Value {
    let mut document = policy(server);
    edit(&mut document);
    let reply = put(&admin(server), ACME, &document);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn the_policy_is_replaced_only_from_the_version_read(backend: Backend) {
    let server = TestServer::on(backend);
    let first = policy(&server);
    assert_eq!(first["version"], 0);
    assert_eq!(first["max_grant_duration_seconds"], MAX_GRANT);
    assert_eq!(
        first["approvals_required"],
        json!({"read-only": 1, "member": 1, "admin": 1})
    );
    assert_eq!(operator(&server).get("/v1/orgs/acme/policy").status, 200);

    let updated = change(&server, |p| {
        p["max_grant_duration_seconds"] = json!(7 * DAY)
    });
    assert_eq!(updated["version"], 1);
    assert_eq!(updated["updated_by"], ADMIN_EMAIL);
    // A write from the stale version 0 is refused, and changes nothing.
    let before = snapshot(&server);
    let mut stale = first.clone();
    stale["require_ticket"] = json!(true);
    put(&admin(&server), ACME, &stale).assert_problem(409, "conflict");
    // More approvals than the org has enabled admins: 422.
    let mut greedy = updated.clone();
    greedy["approvals_required"]["admin"] = json!(2);
    put(&admin(&server), ACME, &greedy).assert_problem(422, "policy_violation");
    let mut inverted = updated.clone();
    inverted["default_grant_duration_seconds"] = json!(8 * DAY);
    assert_eq!(put(&admin(&server), ACME, &inverted).status, 422);
    let mut unknown = updated.clone();
    unknown["surprise"] = json!(true);
    put(&admin(&server), ACME, &unknown).assert_problem(400, "invalid_request");
    assert_eq!(snapshot(&server), before);
    assert_eq!(policy(&server), updated);

    let events = audit(&admin(&server), ACME);
    let changes = with_action(&events, "policy.updated");
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0]["details"]["changed"],
        json!({"max_grant_duration_seconds": {"before": MAX_GRANT, "after": 7 * DAY}})
    );
    // Other orgs' admins see nothing; support engineers may not look.
    let beta = create_org_with_admin(&server, "beta");
    client(&server, &beta.token)
        .get("/v1/orgs/acme/policy")
        .assert_problem(404, "not_found");
    support(&server)
        .get("/v1/orgs/acme/policy")
        .assert_problem(403, "forbidden");
}

fn the_policy_bounds_grants_extends_and_sessions(backend: Backend) {
    let server = TestServer::on(backend);
    let admin_api = admin(&server);
    let old = admin_api
        .grant(json!({"level": "admin", "duration_seconds": 10 * DAY, "reason": "before"}));
    change(&server, |p| {
        p["max_grant_duration_seconds"] = json!(DAY);
        p["default_grant_duration_seconds"] = json!(2 * HOUR);
        p["max_session_ttl_seconds"] = json!(30 * 60);
        p["allowed_levels"] = json!(["read-only", "member"]);
        p["allowed_areas"] = json!(["chats", "issues"]);
    });
    // Never retroactive: the earlier grant keeps its expiry and level.
    assert_eq!(
        lifetime_seconds(&get_grant(&admin_api, ACME, &old)),
        10 * DAY
    );
    let before = snapshot(&server);
    for body in [
        json!({"level": "member", "duration_seconds": DAY + 1, "reason": "x"}),
        json!({"level": "admin", "reason": "x"}),
        json!({"level": "member", "areas": ["source-code"], "reason": "x"}),
    ] {
        admin_api
            .post("/v1/orgs/acme/grants", body)
            .assert_problem(422, "policy_violation");
    }
    admin_api
        .post(
            &format!("/v1/orgs/acme/grants/{old}/extend"),
            json!({"duration_seconds": 2 * DAY}),
        )
        .assert_problem(422, "policy_violation");
    assert_eq!(snapshot(&server), before);
    let grant = admin_api.grant(json!({"level": "member", "reason": "defaults"}));
    let grant_value = get_grant(&admin_api, ACME, &grant);
    assert_eq!(lifetime_seconds(&grant_value), 2 * HOUR);
    assert_eq!(grant_value["areas"], json!(["chats", "issues"]));
    support(&server)
        .post(
            "/v1/orgs/acme/sessions",
            json!({"grant_id": grant, "ttl_seconds": 31 * 60, "reason": "x"}),
        )
        .assert_problem(422, "policy_violation");
    let (session, _) = support(&server).open(json!({"grant_id": grant, "reason": "x"}));
    let opened = support(&server)
        .get(&format!("/v1/sessions/{session}"))
        .body;
    assert_eq!(
        ts(&opened["expires_at"]).as_second() - ts(&opened["opened_at"]).as_second(),
        30 * 60
    );
}

fn direct_grants_false_leaves_approval_the_only_way_in(backend: Backend) {
    let server = TestServer::on(backend);
    change(&server, |p| {
        p["direct_grants"] = json!(false);
        p["require_ticket"] = json!(true);
    });
    let before = snapshot(&server);
    let refused = admin(&server).post(
        "/v1/orgs/acme/grants",
        json!({"level": "member", "reason": "x", "ticket": "T-1"}),
    );
    refused.assert_problem(422, "policy_violation");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("direct_grants")
    );
    assert_eq!(snapshot(&server), before);
    let rq = crate::api_requests::file(
        &support(&server),
        ACME,
        json!({"level": "member", "reason": "x", "ticket": "T-1"}),
    );
    let approved = admin(&server).post_empty(&format!(
        "/v1/orgs/acme/requests/{}/approve",
        rq["id"].as_str().unwrap()
    ));
    approved.assert_ok();
    assert_eq!(approved.body["status"], "approved");
}

fn durations_over_the_servers_flags_are_refused_naming_them(backend: Backend) {
    let server = TestServer::on(backend);
    let before = policy(&server);
    for (field, value, limit) in [
        ("max_grant_duration_seconds", 40 * DAY, MAX_GRANT),
        ("default_grant_duration_seconds", 31 * DAY, MAX_GRANT),
        ("max_session_ttl_seconds", 9 * HOUR, MAX_TTL),
    ] {
        let mut document = before.clone();
        document[field] = json!(value);
        let reply = put(&admin(&server), ACME, &document);
        reply.assert_problem(422, "policy_violation");
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(&format!(
                "{field} of {value}s exceeds the server's maximum of {limit}s"
            )),
            "{detail}"
        );
    }
    // Nothing was stored; the server's limits themselves are accepted.
    assert_eq!(policy(&server)["version"], 0);
    let after = change(&server, |document| {
        document["max_grant_duration_seconds"] = json!(MAX_GRANT);
        document["max_session_ttl_seconds"] = json!(MAX_TTL);
    });
    assert_eq!(after["version"], 1);
}
