//! The authorization matrix's rows for the webhook routes (see `api_authz.rs`): org admins
//! only, and other orgs' admins get the answer a missing webhook gets.

use serde_json::json;

use crate::api_authz::{Route, account_route, route};
use crate::common::harness::Api;

/// Two webhooks of acme and a delivery of the first: `(webhook, spare, delivery)`.
pub fn world(acme_admin: &Api) -> (String, String, String) {
    let add = || {
        let reply = acme_admin.post(
            "/v1/orgs/acme/webhooks",
            json!({"url": "http://127.0.0.1:9/hook"}),
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["webhook"]["id"].as_str().unwrap().to_owned()
    };
    let webhook = add();
    let spare = add();
    let delivery = acme_admin
        .get(&format!("/v1/orgs/acme/webhooks/{webhook}/deliveries"))
        .body["items"][0]["id"]
        .as_str()
        .expect("the webhook.created event has a delivery")
        .to_owned();
    (webhook, spare, delivery)
}

pub fn routes(webhook: &str, spare: &str, delivery: &str) -> Vec<Route> {
    vec![
        route(
            "post",
            "/v1/orgs/{org}/webhooks",
            "/v1/orgs/acme/webhooks".into(),
            Some(json!({"url": "http://127.0.0.1:9/matrix"})),
            account_route([403, 201, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/webhooks",
            "/v1/orgs/acme/webhooks".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/webhooks/{id}",
            format!("/v1/orgs/acme/webhooks/{}", webhook),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "delete",
            "/v1/orgs/{org}/webhooks/{id}",
            format!("/v1/orgs/acme/webhooks/{}", spare),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/webhooks/{id}/rotate-secret",
            format!("/v1/orgs/acme/webhooks/{}/rotate-secret", webhook),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/webhooks/{id}/test",
            format!("/v1/orgs/acme/webhooks/{}/test", webhook),
            None,
            account_route([403, 202, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/webhooks/{id}/deliveries",
            format!("/v1/orgs/acme/webhooks/{}/deliveries", webhook),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/webhooks/{id}/deliveries/{delivery}/redeliver",
            format!(
                "/v1/orgs/acme/webhooks/{}/deliveries/{}/redeliver",
                webhook, delivery
            ),
            None,
            account_route([403, 202, 404, 403, 403, 403]),
        ),
    ]
}
