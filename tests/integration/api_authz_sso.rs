//! The authorization matrix's rows for the sign-in routes (see `api_authz.rs`): the vendor's
//! connectors are the operators', an org's its admins' (other orgs' admins get the answer a
//! missing one gets); starting a sign-in, the callback and the token poll take no token.

use serde_json::json;

use crate::api_authz::{Route, account_route, route};
use crate::common::harness::TestServer;
use supportctl::api::Role;
use supportctl::server::store::Principal;
use supportctl::server::store::sign_in::NewConnector;

/// Connectors to read and delete, stored directly (creating one through the API discovers its
/// provider, which the matrix has none of).
pub fn world(server: &TestServer) {
    let connector = |name: &str, role: Role| NewConnector {
        name: name.into(),
        issuer: "https://idp.invalid".into(),
        client_id: "matrix".into(),
        client_secret: "matrix-secret".into(),
        scopes: vec!["openid".into()],
        flows: vec![supportctl::api::SsoFlowKind::Browser],
        email_domains: Vec::new(),
        rules: vec![supportctl::api::ConnectorRule {
            claim: "groups".into(),
            value: "x".into(),
            role,
        }],
        provision: false,
    };
    let now = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap();
    for (org, name, role) in [
        (None, "matrix", Role::Support),
        (None, "matrix-spare", Role::Support),
        (Some("acme"), "matrix", Role::Admin),
        (Some("acme"), "matrix-spare", Role::Admin),
    ] {
        server
            .runtime
            .block_on(server.store.sign_ins().create_connector(
                &Principal::system(),
                org,
                &connector(name, role),
                now,
            ))
            .unwrap();
    }
}

pub fn routes() -> Vec<Route> {
    let body = json!({
        "name": "new", "issuer": "https://idp.invalid", "client_id": "c", "client_secret": "s",
        "rules": [{"claim": "groups", "value": "x", "role": "support"}],
    });
    let mut org_body = body.clone();
    org_body["rules"][0]["role"] = json!("admin");
    vec![
        // The operator's request is well-formed; its provider cannot be discovered: 422.
        route(
            "post",
            "/v1/auth/connectors",
            "/v1/auth/connectors".into(),
            Some(body),
            account_route([422, 403, 403, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/auth/connectors",
            "/v1/auth/connectors".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/auth/connectors/{name}",
            "/v1/auth/connectors/matrix".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "delete",
            "/v1/auth/connectors/{name}",
            "/v1/auth/connectors/matrix-spare".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/auth/connectors",
            "/v1/orgs/acme/auth/connectors".into(),
            Some(org_body),
            account_route([403, 422, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/auth/connectors",
            "/v1/orgs/acme/auth/connectors".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/auth/connectors/{name}",
            "/v1/orgs/acme/auth/connectors/matrix".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "delete",
            "/v1/orgs/{org}/auth/connectors/{name}",
            "/v1/orgs/acme/auth/connectors/matrix-spare".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        // No token is read: every caller gets the same answer.
        route(
            "get",
            "/v1/auth/methods",
            "/v1/auth/methods".into(),
            None,
            [200; 12],
        ),
        route(
            "post",
            "/v1/auth/login",
            "/v1/auth/login".into(),
            Some(json!({"connector": "no-such-connector"})),
            [404; 12],
        ),
        route(
            "get",
            "/v1/auth/callback",
            "/v1/auth/callback".into(),
            None,
            [400; 12],
        ),
        route(
            "post",
            "/v1/auth/login/{flow_id}/token",
            "/v1/auth/login/sfl_unknown/token".into(),
            None,
            [404; 12],
        ),
    ]
}
