//! Query parameters: every route refuses one it does not declare in the OpenAPI document, so
//! that `?dry_run=true` on a change without dry runs cannot be taken for a preview while the
//! change is made for real. The walk covers every route the document lists, so a new route is
//! covered the day it is added.

use serde_json::{Value, json};

use crate::common::fixtures::*;
use crate::common::harness::{Backend, Reply, TestServer};

crate::common::conformance::conformance! {
    every_route_refuses_a_query_parameter_it_does_not_declare,
    every_declared_query_parameter_is_read_by_its_route,
    changes_without_dry_runs_refuse_dry_run_and_change_nothing,
}

/// Every operation of the served OpenAPI document: method, path with its parameters filled in,
/// and the query parameters it declares.
fn operations(server: &TestServer) -> Vec<(String, String, Vec<String>)> {
    let document = server.anonymous().get("/v1/openapi.json");
    document.assert_ok();
    let mut operations = Vec::new();
    for (template, item) in document.body["paths"].as_object().unwrap() {
        let path = fill(template);
        for (method, operation) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let declared = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|parameter| parameter["in"] == "query")
                .map(|parameter| parameter["name"].as_str().unwrap().to_owned())
                .collect();
            operations.push((method.to_uppercase(), path.clone(), declared));
        }
    }
    assert!(operations.len() > 40, "the document lists every route");
    operations
}

/// A path template with its parameters filled: org `acme`, any other id made up.
fn fill(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{org}" => ACME.to_owned(),
            s if s.starts_with('{') => unknown_id("xx"),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `method` on `path_and_query` as the org's admin, with an empty JSON object as the body of
/// the methods that take one.
fn send(server: &TestServer, method: &str, path_and_query: &str) -> Reply {
    let admin = admin(server);
    let url = format!("{}{path_and_query}", admin.base);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let takes_body = method == reqwest::Method::POST || method == reqwest::Method::PUT;
    let mut request = admin
        .http
        .request(method, url)
        .bearer_auth(admin.token.as_deref().unwrap());
    if takes_body {
        request = request.json(&json!({}));
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json::<Value>().unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        headers,
        body,
    }
}

fn every_route_refuses_a_query_parameter_it_does_not_declare(backend: Backend) {
    let server = TestServer::on(backend);
    let before = snapshot(&server);
    let mut failures = Vec::new();
    for (method, path, declared) in operations(&server) {
        // An identity provider's redirect carries parameters of the provider's own (Google's
        // `authuser`, `hd`): the callback takes any.
        if path == "/v1/auth/callback" {
            continue;
        }
        // Alone, and next to a parameter the route does take (with a value it would refuse:
        // the unknown name must be what is refused).
        let mut queries = vec!["?not_a_parameter=1".to_owned()];
        if let Some(first) = declared.first() {
            queries.push(format!("?{first}=1&not_a_parameter=1"));
        }
        for query in queries {
            let reply = send(&server, &method, &format!("{path}{query}"));
            let detail = reply.body["detail"].as_str().unwrap_or_default();
            if (reply.status, reply.code()) != (400, "invalid_request")
                || reply.content_type != "application/problem+json"
                || !detail.contains("\"not_a_parameter\"")
            {
                failures.push(format!(
                    "{method} {path}{query}: {} {}",
                    reply.status, reply.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "accepted:\n{}", failures.join("\n"));
    assert_eq!(
        snapshot(&server),
        before,
        "a refused request changed nothing"
    );
}

/// The document lists no parameter its route refuses as unknown.
fn every_declared_query_parameter_is_read_by_its_route(backend: Backend) {
    let server = TestServer::on(backend);
    let before = snapshot(&server);
    let mut failures = Vec::new();
    for (method, path, declared) in operations(&server) {
        for name in declared {
            // A value no parameter takes: refused, if at all, for its value.
            let reply = send(&server, &method, &format!("{path}?{name}=%20junk"));
            let detail = reply.body["detail"].as_str().unwrap_or_default();
            if detail.contains("unknown query parameter") || detail.contains("unknown field") {
                failures.push(format!("{method} {path}?{name}: {}", reply.body));
            }
        }
    }
    assert!(failures.is_empty(), "refused:\n{}", failures.join("\n"));
    assert_eq!(snapshot(&server), before);
}

fn changes_without_dry_runs_refuse_dry_run_and_change_nothing(backend: Backend) {
    let server = TestServer::on(backend);
    let (admin, support, operator) = (admin(&server), support(&server), operator(&server));
    let grant = admin.grant(json!({"level": "member", "reason": "incident"}));
    let (session, token) = support.open(json!({"grant_id": grant, "reason": "look"}));
    let filed = support.post(
        "/v1/orgs/acme/requests",
        json!({"level": "read-only", "reason": "audit"}),
    );
    filed.assert_ok();
    let request = filed.body["id"].as_str().unwrap().to_owned();
    let state = || {
        (
            snapshot(&server),
            admin.all("/v1/orgs/acme/requests?status=all"),
            admin.get("/v1/orgs/acme/webhooks").body,
        )
    };
    let before = state();
    let dry = "?dry_run=true";
    let refusals = [
        support.post(
            &format!("/v1/orgs/acme/sessions{dry}"),
            json!({"grant_id": grant, "reason": "look again"}),
        ),
        support.post_empty(&format!("/v1/sessions/{session}/close{dry}")),
        admin.post_empty(&format!("/v1/sessions/{session}/close{dry}")),
        support.post(
            &format!("/v1/orgs/acme/requests{dry}"),
            json!({"level": "member", "reason": "more"}),
        ),
        support.post_empty(&format!("/v1/requests/{request}/cancel{dry}")),
        admin.post(
            &format!("/v1/orgs/acme/webhooks{dry}"),
            json!({"url": "http://127.0.0.1:9/hook"}),
        ),
        operator.post(
            &format!("/v1/orgs{dry}"),
            json!({"slug": "globex", "name": "Globex"}),
        ),
        admin.post(
            &format!("/v1/orgs/acme/grants/{grant}/revoke?dryrun=true"),
            json!({"reason": "typo in the parameter"}),
        ),
    ];
    for reply in &refusals {
        reply.assert_problem(400, "invalid_request");
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("\"dry_run\"") || detail.contains("\"dryrun\""),
            "{detail}"
        );
    }
    assert!(
        refusals[0].body["detail"]
            .as_str()
            .unwrap()
            .ends_with("this endpoint takes no query parameters"),
        "{}",
        refusals[0].body
    );
    assert_eq!(state(), before, "nothing was changed");
    assert_active(&server, &token);

    // RFC 7662 clients send form bodies; the query string is still the route's to declare.
    let form = format!("token={token}");
    service(&server)
        .post_raw(
            "/v1/introspect?token_type_hint=access_token",
            "application/x-www-form-urlencoded",
            form.clone(),
        )
        .assert_problem(400, "invalid_request");
    let introspected =
        service(&server).post_raw("/v1/introspect", "application/x-www-form-urlencoded", form);
    introspected.assert_ok();
    assert_eq!(introspected.body["active"], true, "{}", introspected.body);
}
