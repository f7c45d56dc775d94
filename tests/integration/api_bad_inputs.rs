//! A catalogue of bad requests: each gets the right status and problem `code`, and changes
//! nothing (every grant, session, audit event, org and account reads the same afterwards).
//! Grants and bodies refused at the door here; orgs, accounts and sessions in
//! `api_bad_inputs_accounts_sessions.rs`.

use serde_json::{Value, json};

use crate::common::bad_requests::*;
use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, TestServer};

crate::common::conformance::conformance! {
    grant_requests_with_bad_values_are_refused_and_change_nothing,
    bodies_refused_at_the_door_change_nothing,
}

fn grant_requests_with_bad_values_are_refused_and_change_nothing(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let active = admin.grant(json!({"level": "member", "reason": "active"}));
    let revoked = admin.grant(json!({"level": "member", "reason": "revoked"}));
    revoke(&admin, ACME, &revoked);
    let gone = create_support(&server, "gone@supportctl.test");
    operator(&server)
        .post_empty(&format!("/v1/accounts/{}/disable", gone.id))
        .assert_ok();
    let at = |seconds: i64| plus(now(&server), seconds).to_string();

    let base = json!({"level": "member", "reason": "valid otherwise"});
    let create = "/v1/orgs/acme/grants";
    let bad = |what: &str, changes: Value, status: u16, code: &'static str| {
        case(
            what,
            &admin,
            create,
            Body::Json(with(&base, changes)),
            status,
            code,
        )
    };
    let invalid = |what: &str, changes: Value| bad(what, changes, 400, "invalid_request");
    // Well-formed by the schema, impossible as asked: 422.
    let unprocessable = |what: &str, changes: Value| bad(what, changes, 422, "invalid_request");
    let extend = format!("/v1/orgs/acme/grants/{active}/extend");
    let mut cases = vec![
        invalid("unknown level", json!({"level": "superuser"})),
        invalid("missing level", json!({"level": null})),
        invalid("unknown area", json!({"areas": ["chats", "payroll"]})),
        invalid("areas not a list", json!({"areas": "chats"})),
        invalid("empty areas", json!({"areas": []})),
        invalid("negative duration", json!({"duration_seconds": -3600})),
        invalid("zero duration", json!({"duration_seconds": 0})),
        bad(
            "duration over the maximum",
            json!({"duration_seconds": MAX_GRANT + 1}),
            422,
            "policy_violation",
        ),
        invalid("duration as text", json!({"duration_seconds": "8h"})),
        invalid("fractional duration", json!({"duration_seconds": 1.5})),
        unprocessable(
            "duration and expires_at",
            json!({"duration_seconds": 60, "expires_at": at(60)}),
        ),
        unprocessable("expires_at in the past", json!({"expires_at": at(-60)})),
        unprocessable("expires_at now", json!({"expires_at": at(0)})),
        bad(
            "expires_at past the maximum",
            json!({"expires_at": at(MAX_GRANT + 1)}),
            422,
            "policy_violation",
        ),
        invalid("expires_at not a time", json!({"expires_at": "tomorrow"})),
        invalid("missing reason", json!({"reason": null})),
        invalid("blank reason", json!({"reason": "   \n\t "})),
        invalid(
            "reason over 1000 characters",
            json!({"reason": "r".repeat(1001)}),
        ),
        invalid(
            "reason with control characters",
            json!({"reason": "red \u{1b}[31m alert"}),
        ),
        unprocessable(
            "engineer who is an admin",
            json!({"engineers": [ADMIN_EMAIL]}),
        ),
        unprocessable(
            "engineer who is a service",
            json!({"engineers": [SERVICE_EMAIL]}),
        ),
        unprocessable(
            "engineer with no account",
            json!({"engineers": ["nobody@supportctl.test"]}),
        ),
        unprocessable(
            "engineer who is disabled",
            json!({"engineers": [gone.email]}),
        ),
        unprocessable(
            "engineer not an email",
            json!({"engineers": [SUPPORT_EMAIL, "not an email"]}),
        ),
        invalid("unknown field", json!({"levle": "admin"})),
        // Extend.
        case(
            "extend by a negative duration",
            &admin,
            &extend,
            Body::Json(json!({"duration_seconds": -1})),
            400,
            "invalid_request",
        ),
        case(
            "extend by zero",
            &admin,
            &extend,
            Body::Json(json!({"duration_seconds": 0})),
            400,
            "invalid_request",
        ),
        case(
            "extend without a duration",
            &admin,
            &extend,
            Body::Json(json!({})),
            400,
            "invalid_request",
        ),
        case(
            "extend past the maximum",
            &admin,
            &extend,
            Body::Json(json!({"duration_seconds": MAX_GRANT})),
            422,
            "policy_violation",
        ),
        case(
            "extend with an unknown field",
            &admin,
            &extend,
            Body::Json(json!({"duration_seconds": 60, "until": "x"})),
            400,
            "invalid_request",
        ),
        case(
            "extend a revoked grant",
            &admin,
            format!("/v1/orgs/acme/grants/{revoked}/extend"),
            Body::Json(json!({"duration_seconds": 60})),
            409,
            "conflict",
        ),
        case(
            "extend an unknown grant",
            &admin,
            format!("/v1/orgs/acme/grants/{}/extend", unknown_id("gr")),
            Body::Json(json!({"duration_seconds": 60})),
            404,
            "not_found",
        ),
        // Revoke.
        case(
            "revoke with an unknown field",
            &admin,
            format!("/v1/orgs/acme/grants/{active}/revoke"),
            Body::Json(json!({"reason": "x", "force": true})),
            400,
            "invalid_request",
        ),
        case(
            "revoke with an overlong reason",
            &admin,
            format!("/v1/orgs/acme/grants/{active}/revoke"),
            Body::Json(json!({"reason": "r".repeat(1001)})),
            400,
            "invalid_request",
        ),
        case(
            "revoke an unknown grant",
            &admin,
            format!("/v1/orgs/acme/grants/{}/revoke", unknown_id("gr")),
            Body::Empty,
            404,
            "not_found",
        ),
    ];
    let bulk = "/v1/orgs/acme/grants/revoke";
    for (what, body, status) in [
        ("bulk revoke of nothing", json!({}), 422),
        ("bulk revoke of no ids", json!({"ids": []}), 400),
        (
            "bulk revoke with ids and all",
            json!({"ids": [active], "all": true}),
            422,
        ),
        ("bulk revoke with all false", json!({"all": false}), 422),
        (
            "bulk revoke with ids not a list",
            json!({"ids": active}),
            400,
        ),
        (
            "bulk revoke with an unknown field",
            json!({"ids": [active], "everything": true}),
            400,
        ),
    ] {
        cases.push(case(
            what,
            &admin,
            bulk,
            Body::Json(body),
            status,
            "invalid_request",
        ));
    }
    run(&server, cases);
}

fn bodies_refused_at_the_door_change_nothing(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let support = support(&server);
    let operator = operator(&server);
    let service = service(&server);
    let grant = admin.grant(json!({"level": "member", "reason": "x"}));
    let (session, token) = support.open(json!({"reason": "x"}));

    // Each endpoint that takes a body, with a body it would accept.
    let endpoints: Vec<(&Api, String, Value)> = vec![
        (
            &admin,
            "/v1/orgs/acme/grants".into(),
            json!({"level": "member", "reason": "x"}),
        ),
        (
            &admin,
            format!("/v1/orgs/acme/grants/{grant}/extend"),
            json!({"duration_seconds": 60}),
        ),
        (
            &admin,
            format!("/v1/orgs/acme/grants/{grant}/revoke"),
            json!({"reason": "x"}),
        ),
        (
            &admin,
            "/v1/orgs/acme/grants/revoke".into(),
            json!({"ids": [grant]}),
        ),
        (
            &support,
            "/v1/orgs/acme/sessions".into(),
            json!({"reason": "x"}),
        ),
        (
            &support,
            format!("/v1/sessions/{session}/close"),
            json!({"reason": "x"}),
        ),
        (
            &operator,
            "/v1/orgs".into(),
            json!({"slug": "new-org", "name": "New"}),
        ),
        (
            &operator,
            "/v1/accounts".into(),
            json!({"email": "new@supportctl.test", "role": "support"}),
        ),
        (&service, "/v1/introspect".into(), json!({"token": token})),
        (
            &service,
            "/v1/authorize".into(),
            json!({"token": token, "area": "chats", "action": "read"}),
        ),
    ];
    let mut cases = Vec::new();
    for (api, path, valid) in &endpoints {
        let json_type = "application/json";
        cases.push(case(
            format!("{path}: malformed JSON"),
            api,
            path,
            Body::Raw(json_type, br#"{"reason": "x","#.to_vec()),
            400,
            "invalid_request",
        ));
        cases.push(case(
            format!("{path}: JSON that is not an object"),
            api,
            path,
            Body::Raw(json_type, b"[1, 2]".to_vec()),
            400,
            "invalid_request",
        ));
        cases.push(case(
            format!("{path}: text/plain"),
            api,
            path,
            Body::Raw("text/plain", valid.to_string().into_bytes()),
            415,
            "invalid_request",
        ));
        // A bulk revoke takes up to 10,000 ids: its limit is 512 KiB.
        let limit = if path.ends_with("/grants/revoke") {
            8 * LIMIT
        } else {
            LIMIT
        };
        let mut huge = valid.clone();
        huge["padding"] = json!("p".repeat(limit + 1));
        cases.push(case(
            format!("{path}: body over {} KiB", limit / 1024),
            api,
            path,
            Body::Raw(json_type, huge.to_string().into_bytes()),
            413,
            "invalid_request",
        ));
        if !path.ends_with("/introspect") {
            // RFC 7662 lets introspection take extra parameters; every other body is strict.
            let mut unknown = valid.clone();
            unknown["surprise"] = json!(1);
            cases.push(case(
                format!("{path}: unknown field"),
                api,
                path,
                Body::Json(unknown),
                400,
                "invalid_request",
            ));
        }
    }
    let form = "application/x-www-form-urlencoded";
    cases.extend([
        case(
            "introspect without a token",
            &service,
            "/v1/introspect",
            Body::Json(json!({})),
            400,
            "invalid_request",
        ),
        case(
            "introspect form without a token",
            &service,
            "/v1/introspect",
            Body::Raw(form, b"token_type_hint=x".to_vec()),
            400,
            "invalid_request",
        ),
        case(
            "introspect form over 64 KiB",
            &service,
            "/v1/introspect",
            Body::Raw(
                form,
                format!("token={}", "t".repeat(LIMIT + 1)).into_bytes(),
            ),
            413,
            "invalid_request",
        ),
        case(
            "authorize an unknown area",
            &service,
            "/v1/authorize",
            Body::Json(json!({"token": token, "area": "payroll", "action": "read"})),
            400,
            "invalid_request",
        ),
        case(
            "authorize an unknown action",
            &service,
            "/v1/authorize",
            Body::Json(json!({"token": token, "area": "chats", "action": "delete"})),
            400,
            "invalid_request",
        ),
        case(
            "authorize without a token",
            &service,
            "/v1/authorize",
            Body::Json(json!({"area": "chats", "action": "read"})),
            400,
            "invalid_request",
        ),
    ]);
    run(&server, cases);
}
