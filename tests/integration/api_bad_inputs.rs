//! A catalogue of bad requests: each gets the right status and problem `code`, and changes
//! nothing (every grant, session, audit event, org and account reads the same afterwards).

use serde_json::{Value, json};

use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, Reply, TestServer};

crate::common::conformance::conformance! {
    grant_requests_with_bad_values_are_refused_and_change_nothing,
    bodies_refused_at_the_door_change_nothing,
    org_and_account_requests_with_bad_values_are_refused_and_change_nothing,
    session_requests_with_bad_values_are_refused_and_change_nothing,
}

/// The request body limit: 64 KiB.
const LIMIT: usize = 64 * 1024;
/// A bulk revoke takes up to 10,000 ids in one body.
const BULK_LIMIT: usize = 512 * 1024;

enum Body {
    Json(Value),
    Raw(&'static str, Vec<u8>),
    Empty,
}

struct Case<'a> {
    what: String,
    api: &'a Api,
    path: String,
    body: Body,
    status: u16,
    code: &'static str,
}

fn case<'a>(
    what: impl Into<String>,
    api: &'a Api,
    path: impl Into<String>,
    body: Body,
    status: u16,
    code: &'static str,
) -> Case<'a> {
    Case {
        what: what.into(),
        api,
        path: path.into(),
        body,
        status,
        code,
    }
}

fn send(case: &Case<'_>) -> Reply {
    match &case.body {
        Body::Json(body) => case.api.post(&case.path, body),
        Body::Raw(content_type, bytes) => {
            case.api.post_raw(&case.path, content_type, bytes.clone())
        }
        Body::Empty => case.api.post_empty(&case.path),
    }
}

/// Runs every case, checking its answer and that the server's state did not move.
fn run(server: &TestServer, cases: Vec<Case<'_>>) {
    let before = snapshot(server);
    let mut failures = Vec::new();
    for case in &cases {
        let reply = send(case);
        if reply.status != case.status
            || reply.code() != case.code
            || reply.content_type != "application/problem+json"
        {
            failures.push(format!(
                "{}: expected {} {}, got {} {} {}",
                case.what, case.status, case.code, reply.status, reply.content_type, reply.body
            ));
            continue;
        }
        // A body left unread makes the connection unusable: the client must be told.
        if reply.status == 413
            && reply
                .headers
                .get("connection")
                .is_none_or(|value| value != "close")
        {
            failures.push(format!(
                "{}: 413 without Connection: close; the client would reuse the connection",
                case.what
            ));
        }
        if reply.body["detail"].as_str().is_none_or(str::is_empty) {
            failures.push(format!(
                "{}: a problem without detail: {}",
                case.what, reply.body
            ));
        }
        let after = snapshot(server);
        if after != before {
            panic!(
                "{}: a refused request changed the server's state\nbefore: {before:#?}\nafter: {after:#?}",
                case.what
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// `base` with `changes` applied (a `null` change removes the field).
fn with(base: &Value, changes: Value) -> Value {
    let mut body = base.clone();
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
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
        let limit = if path.ends_with("/grants/revoke") {
            BULK_LIMIT
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

fn org_and_account_requests_with_bad_values_are_refused_and_change_nothing(backend: Backend) {
    let server = TestServer::on(backend);
    let operator = operator(&server);
    let me = operator.get("/v1/me").body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut cases = Vec::new();
    for slug in [
        "",
        "a",
        "Acme2",
        "-acme2",
        "acme2-",
        "has space",
        "under_score",
        "ünï",
        &"a".repeat(64),
    ] {
        cases.push(case(
            format!("org slug {slug:?}"),
            &operator,
            "/v1/orgs",
            Body::Json(json!({"slug": slug, "name": "Name"})),
            400,
            "invalid_request",
        ));
    }
    let org = |what: &str, body: Value, status: u16, code: &'static str| {
        case(what, &operator, "/v1/orgs", Body::Json(body), status, code)
    };
    let account = |what: &str, body: Value, status: u16, code: &'static str| {
        case(
            what,
            &operator,
            "/v1/accounts",
            Body::Json(body),
            status,
            code,
        )
    };
    cases.extend([
        org(
            "org without a name",
            json!({"slug": "beta"}),
            400,
            "invalid_request",
        ),
        org(
            "org with a blank name",
            json!({"slug": "beta", "name": "  "}),
            400,
            "invalid_request",
        ),
        org(
            "org without a slug",
            json!({"name": "Beta"}),
            400,
            "invalid_request",
        ),
        org(
            "org with an unknown field",
            json!({"slug": "beta", "name": "Beta", "plan": "gold"}),
            400,
            "invalid_request",
        ),
        org(
            "duplicate org slug",
            json!({"slug": "acme", "name": "Acme again"}),
            409,
            "conflict",
        ),
        account(
            "account email not an email",
            json!({"email": "nope", "role": "support"}),
            400,
            "invalid_request",
        ),
        account(
            "account email empty",
            json!({"email": "", "role": "support"}),
            400,
            "invalid_request",
        ),
        account(
            "account with an unknown role",
            json!({"email": "x@supportctl.test", "role": "root"}),
            400,
            "invalid_request",
        ),
        account(
            "account without a role",
            json!({"email": "x@supportctl.test"}),
            400,
            "invalid_request",
        ),
        account(
            "admin account without an org",
            json!({"email": "x@acme.test", "role": "admin"}),
            422,
            "invalid_request",
        ),
        account(
            "support account with an org",
            json!({"email": "x@supportctl.test", "role": "support", "org": "acme"}),
            422,
            "invalid_request",
        ),
        account(
            "service account with an org",
            json!({"email": "x@supportctl.test", "role": "service", "org": "acme"}),
            422,
            "invalid_request",
        ),
        account(
            "operator account with an org",
            json!({"email": "x@supportctl.test", "role": "operator", "org": "acme"}),
            422,
            "invalid_request",
        ),
        account(
            "admin of a bad slug",
            json!({"email": "x@acme.test", "role": "admin", "org": "Not A Slug"}),
            400,
            "invalid_request",
        ),
        account(
            "admin of an org that does not exist",
            json!({"email": "x@acme.test", "role": "admin", "org": "nowhere"}),
            404,
            "not_found",
        ),
        account(
            "duplicate account email",
            json!({"email": ADMIN_EMAIL, "role": "admin", "org": "acme"}),
            409,
            "conflict",
        ),
        account(
            "duplicate email, other role",
            json!({"email": SUPPORT_EMAIL, "role": "service"}),
            409,
            "conflict",
        ),
        account(
            "account with an unknown field",
            json!({"email": "x@supportctl.test", "role": "support", "name": "X"}),
            400,
            "invalid_request",
        ),
        case(
            "disable an unknown org",
            &operator,
            "/v1/orgs/nowhere/disable",
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            "disable an unknown account",
            &operator,
            format!("/v1/accounts/{}/disable", unknown_id("acc")),
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            "rotate an unknown account's token",
            &operator,
            format!("/v1/accounts/{}/rotate-token", unknown_id("acc")),
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            "disable yourself",
            &operator,
            format!("/v1/accounts/{me}/disable"),
            Body::Empty,
            409,
            "conflict",
        ),
    ]);
    run(&server, cases);
}

fn session_requests_with_bad_values_are_refused_and_change_nothing(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let support = support(&server);
    let beta = client(&server, &create_org_with_admin(&server, "beta").token);
    let sam = create_support(&server, "sam@supportctl.test");
    let grant = admin.grant(json!({
        "level": "member", "areas": ["chats", "issues"], "reason": "member"
    }));
    let sams = admin.grant(json!({
        "level": "admin", "engineers": [sam.email], "reason": "sam only"
    }));
    let revoked = admin.grant(json!({"level": "member", "reason": "revoked"}));
    revoke(&admin, ACME, &revoked);
    let beta_grant = grant_in(&beta, "beta", json!({"level": "admin", "reason": "beta"}));
    let (sams_session, _) =
        client(&server, &sam.token).open(json!({"grant_id": sams, "reason": "sam"}));
    let (own_session, _) = support.open(json!({"grant_id": grant, "reason": "own"}));

    let open = "/v1/orgs/acme/sessions";
    let base = json!({"reason": "valid otherwise"});
    let bad = |what: &str, changes: Value, status: u16, code: &'static str| {
        case(
            what,
            &support,
            open,
            Body::Json(with(&base, changes)),
            status,
            code,
        )
    };
    let policy = |what: &str, changes: Value| bad(what, changes, 422, "policy_violation");
    let invalid = |what: &str, changes: Value| bad(what, changes, 400, "invalid_request");
    let cases = vec![
        policy(
            "level above the grant",
            json!({"grant_id": grant, "level": "admin"}),
        ),
        policy("level above every usable grant", json!({"level": "admin"})),
        policy(
            "areas outside the grant",
            json!({"grant_id": grant, "areas": ["documents"]}),
        ),
        policy(
            "areas partly outside the grant",
            json!({"grant_id": grant, "areas": ["chats", "documents"]}),
        ),
        policy(
            "areas outside every usable grant",
            json!({"areas": ["source-code"]}),
        ),
        policy("ttl over the maximum", json!({"ttl_seconds": MAX_TTL + 1})),
        invalid("zero ttl", json!({"ttl_seconds": 0})),
        invalid("negative ttl", json!({"ttl_seconds": -60})),
        invalid("empty areas", json!({"areas": []})),
        invalid("unknown area", json!({"areas": ["payroll"]})),
        invalid("unknown level", json!({"level": "root"})),
        invalid("missing reason", json!({"reason": null})),
        invalid("blank reason", json!({"reason": " "})),
        invalid("unknown field", json!({"grant": grant})),
        bad(
            "unknown grant",
            json!({"grant_id": unknown_id("gr")}),
            404,
            "not_found",
        ),
        bad(
            "another engineer's grant",
            json!({"grant_id": sams}),
            404,
            "not_found",
        ),
        bad(
            "another org's grant",
            json!({"grant_id": beta_grant}),
            404,
            "not_found",
        ),
        bad(
            "a revoked grant",
            json!({"grant_id": revoked}),
            409,
            "conflict",
        ),
        case(
            "an org that does not exist",
            &support,
            "/v1/orgs/nowhere/sessions",
            Body::Json(base.clone()),
            404,
            "not_found",
        ),
        case(
            "close an unknown session",
            &support,
            format!("/v1/sessions/{}/close", unknown_id("ses")),
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            "close another engineer's session",
            &support,
            format!("/v1/sessions/{sams_session}/close"),
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            "close with an unknown field",
            &support,
            format!("/v1/sessions/{own_session}/close"),
            Body::Json(json!({"why": "x"})),
            400,
            "invalid_request",
        ),
    ];
    run(&server, cases);
}
