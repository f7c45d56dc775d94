//! The authorization matrix's rows for the policy and access-request routes.

use serde_json::{Value, json};

use super::{Route, World, account_route, route};
use crate::common::fixtures::*;

pub(super) fn routes(w: &World) -> Vec<Route> {
    vec![
        route(
            "get",
            "/v1/orgs/{org}/policy",
            "/v1/orgs/acme/policy".into(),
            None,
            account_route([200, 200, 404, 403, 403, 403]),
        ),
        route(
            "put",
            "/v1/orgs/{org}/policy",
            "/v1/orgs/acme/policy".into(),
            Some(policy_document()),
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

/// The default policy of an org, as read at version 0 (a whole document for `PUT`).
fn policy_document() -> Value {
    json!({
        "version": 0,
        "max_grant_duration_seconds": MAX_GRANT,
        "default_grant_duration_seconds": DEFAULT_GRANT,
        "max_session_ttl_seconds": MAX_TTL,
        "allowed_levels": ["read-only", "member", "admin"],
        "allowed_areas": ALL_AREAS,
        "require_ticket": false,
        "direct_grants": true,
        "accept_requests": true,
        "approvals_required": {"read-only": 1, "member": 1, "admin": 1},
        "request_ttl_seconds": 12 * HOUR,
        "expiry_warning_seconds": HOUR,
    })
}
