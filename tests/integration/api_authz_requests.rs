//! The authorization matrix's rows for the policy and access-request routes.

use serde_json::{Value, json};

use super::{Route, World, account_route, route};
use crate::common::fixtures::*;
use crate::common::harness::TestServer;

pub(super) fn routes(w: &World) -> Vec<Route> {
    vec![
        route(
            "get",
            "/v1/orgs/{org}/policy",
            "/v1/orgs/acme/policy".into(),
            None,
            account_route([200, 200, 404, 403, 403, 403]),
        ),
        // Before the `PUT`, which voids the pending change.
        route(
            "get",
            "/v1/orgs/{org}/policy/pending",
            "/v1/orgs/acme/policy/pending".into(),
            None,
            account_route([200, 200, 404, 403, 403, 403]),
        ),
        // Its proposer is the admin calling: approving again is a conflict.
        route(
            "post",
            "/v1/orgs/{org}/policy/pending/approve",
            "/v1/orgs/acme/policy/pending/approve".into(),
            Some(json!({ "id": w.policy_change })),
            account_route([403, 409, 404, 403, 403, 403]),
        ),
        route(
            "put",
            "/v1/orgs/{org}/policy",
            "/v1/orgs/acme/policy".into(),
            Some(policy_document(w.policy_version)),
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/requests",
            "/v1/orgs/acme/requests".into(),
            Some(json!({"level": "read-only", "areas": ["documents"], "reason": "matrix"})),
            account_route([403, 403, 403, 201, 201, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/requests",
            "/v1/orgs/acme/requests".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/requests/{id}",
            format!("/v1/orgs/acme/requests/{}", w.request),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/requests/{id}/report",
            format!("/v1/orgs/acme/requests/{}/report", w.request),
            None,
            account_route([200, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/requests/{id}/approve",
            format!("/v1/orgs/acme/requests/{}/approve", w.request_to_approve),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/requests/{id}/deny",
            format!("/v1/orgs/acme/requests/{}/deny", w.request_to_deny),
            Some(json!({"comment": "matrix"})),
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/requests/{id}/confirm",
            format!("/v1/orgs/acme/requests/{}/confirm", w.break_glass_request),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/grants/{id}/acknowledge",
            format!(
                "/v1/orgs/acme/grants/{}/acknowledge",
                w.break_glass_grants.0
            ),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/grants/{id}/dispute",
            format!("/v1/orgs/acme/grants/{}/dispute", w.break_glass_grants.1),
            Some(json!({"reason": "matrix"})),
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/requests",
            "/v1/requests".into(),
            None,
            account_route([403, 403, 403, 200, 200, 403]),
        ),
        route(
            "get",
            "/v1/requests/{id}",
            format!("/v1/requests/{}", w.request),
            None,
            account_route([403, 403, 403, 200, 404, 403]),
        ),
        route(
            "post",
            "/v1/requests/{id}/cancel",
            format!("/v1/requests/{}/cancel", w.request_to_cancel),
            None,
            account_route([403, 403, 403, 200, 404, 403]),
        ),
    ]
}

/// The policy the matrix's world sets up (two approvals for `admin`), as read at `version` (a
/// whole document for `PUT`).
fn policy_document(version: i64) -> Value {
    json!({
        "version": version,
        "max_grant_duration_seconds": MAX_GRANT,
        "default_grant_duration_seconds": DEFAULT_GRANT,
        "max_session_ttl_seconds": MAX_TTL,
        "allowed_levels": ["read-only", "member", "admin"],
        "allowed_areas": ALL_AREAS,
        "require_ticket": false,
        "direct_grants": true,
        "accept_requests": true,
        "approvals_required": {"read-only": 1, "member": 1, "admin": 2},
        "request_ttl_seconds": 12 * HOUR,
        "expiry_warning_seconds": HOUR,
        "break_glass": {"allowed": true, "max_level": "member", "max_duration_seconds": 3600},
    })
}

/// Sets acme's policy to two approvals for `admin`, then proposes lowering it back (a change
/// pending the admins' approvals): its id and the version of the policy in force.
pub(super) fn pending_policy_change(server: &TestServer) -> (String, i64) {
    create_account(server, "second@acme.test", "admin", Some(ACME));
    let acme_admin = admin(server);
    let guarded = crate::api_policy::put(&acme_admin, ACME, &policy_document(0));
    assert_eq!(guarded.status, 200, "{}", guarded.body);
    let mut weaker = policy_document(1);
    weaker["approvals_required"]["admin"] = json!(1);
    let proposed = crate::api_policy::put(&acme_admin, ACME, &weaker);
    assert_eq!(proposed.status, 202, "{}", proposed.body);
    (proposed.body["id"].as_str().unwrap().to_owned(), 1)
}

/// Break-glass in the matrix's world (its policy allows it): a request for an operator to
/// confirm, and two grants already confirmed, one to acknowledge and one to dispute.
pub(super) fn break_glass(server: &TestServer) -> (String, (String, String)) {
    // Another engineer's: the matrix's engineer files as many requests as one may.
    let glass = create_support(server, "glass@supportctl.test");
    let engineer = client(server, &glass.token);
    let operator = operator(server);
    let file = || {
        crate::api_break_glass::file_break_glass(
            &engineer,
            json!({"level": "read-only", "areas": ["documents"], "reason": "matrix"}),
        )
    };
    let to_acknowledge = crate::api_break_glass::confirm(&operator, &file());
    let to_dispute = crate::api_break_glass::confirm(&operator, &file());
    (file(), (to_acknowledge, to_dispute))
}
