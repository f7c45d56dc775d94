//! Bad requests about orgs, accounts and sessions: each gets the right status and problem
//! `code`, and changes nothing.

use serde_json::{Value, json};

use crate::common::bad_requests::*;
use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};

crate::common::conformance::conformance! {
    org_and_account_requests_with_bad_values_are_refused_and_change_nothing,
    session_requests_with_bad_values_are_refused_and_change_nothing,
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
