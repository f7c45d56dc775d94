//! Who may call what: every route against every kind of caller.
//!
//! 401 for callers that are not an enabled account (or, for `GET /v1/session`, an active
//! session); 403 for roles that may never use the route; 404 for a role that may use it but not
//! for that org or resource, with exactly the answer that a resource that does not exist gets,
//! so that no one learns which other orgs, grants or sessions exist.

use std::collections::BTreeSet;
use std::rc::Rc;

use serde_json::{Value, json};

use crate::api_endpoints::ROUTES;

#[path = "api_authz_requests.rs"]
mod requests;
use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, Reply, TestServer};

crate::common::conformance::conformance! {
    every_route_answers_every_kind_of_caller_as_its_role_allows,
}

/// The kinds of caller, in the order of the expectation arrays below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    NoToken,
    GarbageToken,
    /// A session token where an account token belongs.
    SessionToken,
    Operator,
    Admin,
    /// The admin of another org.
    OtherAdmin,
    /// A support engineer with a usable grant in acme.
    Support,
    /// A support engineer whom acme's grants do not name.
    SupportWithoutGrant,
    Service,
    /// An account the operator disabled (an admin of acme).
    Disabled,
    /// An account token replaced by `rotate-token` (an admin of acme, still enabled).
    Revoked,
    /// A session token whose session has expired.
    ExpiredSession,
}

const CALLERS: [Who; 12] = [
    Who::NoToken,
    Who::GarbageToken,
    Who::SessionToken,
    Who::Operator,
    Who::Admin,
    Who::OtherAdmin,
    Who::Support,
    Who::SupportWithoutGrant,
    Who::Service,
    Who::Disabled,
    Who::Revoked,
    Who::ExpiredSession,
];

/// Routes anyone may call.
const PUBLIC: [u16; 12] = [200; 12];

/// An account route: the unauthenticated kinds get 401; the others, in the order
/// operator, admin, other org's admin, support, support without a grant, service.
pub(crate) fn account_route(expected: [u16; 6]) -> [u16; 12] {
    let [
        operator,
        admin,
        other_admin,
        support,
        support_without,
        service,
    ] = expected;
    [
        401,
        401,
        401,
        operator,
        admin,
        other_admin,
        support,
        support_without,
        service,
        401,
        401,
        401,
    ]
}

pub(crate) struct Route {
    method: &'static str,
    /// The path as the OpenAPI document names it.
    template: &'static str,
    path: String,
    body: Option<Value>,
    expected: [u16; 12],
}

pub(crate) fn route(
    method: &'static str,
    template: &'static str,
    path: String,
    body: Option<Value>,
    expected: [u16; 12],
) -> Route {
    Route {
        method,
        template,
        path,
        body,
        expected,
    }
}

/// The scene: a second org with its admin, two engineers (one named by acme's grant, one
/// not), a disabled account, and spare objects for the routes that change things.
struct World {
    callers: Vec<(Who, Rc<Api>)>,
    grant: String,
    spare_grant: String,
    bulk_grant: String,
    session: String,
    session_token: String,
    spare_session: String,
    account_to_disable: String,
    account_to_rotate: String,
    /// Pending requests of the support engineer: to read, approve, deny and cancel.
    request: String,
    request_to_approve: String,
    request_to_deny: String,
    request_to_cancel: String,
    /// A break-glass request to confirm; break-glass grants to acknowledge and to dispute.
    break_glass_request: String,
    break_glass_grants: (String, String),
    webhook: String,
    spare_webhook: String,
    delivery: String,
    /// acme's pending policy change, and the version of its policy in force.
    policy_change: String,
    policy_version: i64,
}

fn world(server: &TestServer) -> World {
    let acme_admin = admin(server);
    let other_admin = create_org_with_admin(server, "beta");
    create_org_with_admin(server, "spare");
    let support_without = create_support(server, "sam@supportctl.test");
    let disabled = create_account(server, "gone@acme.test", "admin", Some(ACME));
    operator(server)
        .post_empty(&format!("/v1/accounts/{}/disable", disabled.id))
        .assert_ok();
    let account_to_disable = create_support(server, "leaving@supportctl.test").id;
    let account_to_rotate = create_support(server, "rotating@supportctl.test").id;
    let rotated = create_account(server, "rotated@acme.test", "admin", Some(ACME));
    operator(server)
        .post_empty(&format!("/v1/accounts/{}/rotate-token", rotated.id))
        .assert_ok();

    let named = json!([SUPPORT_EMAIL]);
    let grant = acme_admin.grant(json!({"level": "admin", "engineers": named, "reason": "matrix"}));
    let spare_grant =
        acme_admin.grant(json!({"level": "member", "engineers": named, "reason": "x"}));
    let bulk_grant =
        acme_admin.grant(json!({"level": "member", "engineers": named, "reason": "y"}));
    let engineer = support(server);
    let (session, session_token) = engineer.open(json!({"grant_id": grant, "reason": "matrix"}));
    let (spare_session, _) = engineer.open(json!({"grant_id": grant, "reason": "spare"}));
    let (_, expired_token) =
        engineer.open(json!({"grant_id": grant, "ttl_seconds": 60, "reason": "short"}));
    server.advance(61);
    let (webhook, spare_webhook, delivery) = crate::api_authz_webhooks::world(&acme_admin);
    crate::api_authz_sso::world(server);

    let file = |area: &str| {
        crate::api_requests::file(
            &engineer,
            ACME,
            json!({"level": "read-only", "areas": [area], "reason": "matrix"}),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (request, request_to_approve, request_to_deny) =
        (file("chats"), file("issues"), file("checklists"));
    let request_to_cancel = file("employee-data");
    let (policy_change, policy_version) = requests::pending_policy_change(server);
    let (break_glass_request, break_glass_grants) = requests::break_glass(server);

    let callers = CALLERS
        .iter()
        .map(|&who| {
            let api = match who {
                Who::NoToken => Rc::new(server.anonymous()),
                Who::GarbageToken => client(server, "sat_not-a-real-token"),
                Who::SessionToken => client(server, &session_token),
                Who::Operator => operator(server),
                Who::Admin => admin(server),
                Who::OtherAdmin => client(server, &other_admin.token),
                Who::Support => support(server),
                Who::SupportWithoutGrant => client(server, &support_without.token),
                Who::Service => service(server),
                Who::Disabled => client(server, &disabled.token),
                Who::Revoked => client(server, &rotated.token),
                Who::ExpiredSession => client(server, &expired_token),
            };
            (who, api)
        })
        .collect();
    World {
        callers,
        grant,
        spare_grant,
        bulk_grant,
        session,
        session_token,
        spare_session,
        account_to_disable,
        account_to_rotate,
        request,
        request_to_approve,
        request_to_deny,
        request_to_cancel,
        break_glass_request,
        break_glass_grants,
        webhook,
        spare_webhook,
        delivery,
        policy_change,
        policy_version,
    }
}

fn routes(w: &World) -> Vec<Route> {
    let mut routes = core_routes(w);
    routes.extend(requests::routes(w));
    routes
}

fn core_routes(w: &World) -> Vec<Route> {
    let session_only = [401, 401, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401];
    let mut routes = vec![
        route("get", "/healthz", "/healthz".into(), None, PUBLIC),
        route("get", "/readyz", "/readyz".into(), None, PUBLIC),
        route(
            "get",
            "/v1/openapi.json",
            "/v1/openapi.json".into(),
            None,
            PUBLIC,
        ),
        route(
            "get",
            "/v1/me",
            "/v1/me".into(),
            None,
            account_route([200, 200, 200, 200, 200, 200]),
        ),
        route(
            "get",
            "/metrics",
            "/metrics".into(),
            None,
            account_route([200, 403, 403, 403, 403, 200]),
        ),
        route(
            "post",
            "/v1/orgs",
            "/v1/orgs".into(),
            Some(json!({"slug": "made-in-matrix", "name": "Matrix"})),
            account_route([201, 403, 403, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs",
            "/v1/orgs".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}",
            "/v1/orgs/acme".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/disable",
            "/v1/orgs/spare/disable".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/accounts",
            "/v1/accounts".into(),
            Some(json!({"email": "matrix@supportctl.test", "role": "support"})),
            account_route([201, 403, 403, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/accounts",
            "/v1/accounts".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/accounts/{id}/disable",
            format!("/v1/accounts/{}/disable", w.account_to_disable),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/accounts/{id}/rotate-token",
            format!("/v1/accounts/{}/rotate-token", w.account_to_rotate),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/grants",
            "/v1/orgs/acme/grants".into(),
            Some(json!({"level": "read-only", "engineers": [SUPPORT_EMAIL], "reason": "matrix"})),
            account_route([403, 201, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/grants",
            "/v1/orgs/acme/grants".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/grants/{id}",
            format!("/v1/orgs/acme/grants/{}", w.grant),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/grants/{id}/report",
            format!("/v1/orgs/acme/grants/{}/report", w.grant),
            None,
            account_route([200, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/grants/{id}/extend",
            format!("/v1/orgs/acme/grants/{}/extend", w.grant),
            Some(json!({"duration_seconds": 60})),
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/grants/{id}/revoke",
            format!("/v1/orgs/acme/grants/{}/revoke", w.spare_grant),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/grants/revoke",
            "/v1/orgs/acme/grants/revoke".into(),
            Some(json!({"ids": [w.bulk_grant]})),
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/grants",
            "/v1/grants".into(),
            None,
            account_route([403, 403, 403, 200, 200, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/sessions",
            "/v1/orgs/acme/sessions".into(),
            Some(json!({"grant_id": w.grant, "reason": "matrix"})),
            account_route([403, 403, 403, 201, 404, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/sessions",
            "/v1/orgs/acme/sessions".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/sessions",
            "/v1/sessions".into(),
            None,
            account_route([403, 200, 200, 200, 200, 403]),
        ),
        route(
            "get",
            "/v1/sessions/{id}",
            format!("/v1/sessions/{}", w.session),
            None,
            account_route([403, 200, 404, 200, 404, 403]),
        ),
        route(
            "post",
            "/v1/sessions/{id}/close",
            format!("/v1/sessions/{}/close", w.spare_session),
            None,
            account_route([403, 200, 404, 200, 404, 403]),
        ),
        route(
            "get",
            "/v1/session",
            "/v1/session".into(),
            None,
            session_only,
        ),
        route(
            "post",
            "/v1/introspect",
            "/v1/introspect".into(),
            Some(json!({"token": w.session_token})),
            account_route([200, 403, 403, 403, 403, 200]),
        ),
        route(
            "post",
            "/v1/authorize",
            "/v1/authorize".into(),
            Some(json!({"token": w.session_token, "area": "chats", "action": "read"})),
            account_route([403, 403, 403, 403, 403, 200]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/audit",
            "/v1/orgs/acme/audit".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/audit/checkpoint",
            "/v1/orgs/acme/audit/checkpoint".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route("get", "/v1/audit/key", "/v1/audit/key".into(), None, PUBLIC),
        route(
            "get",
            "/v1/audit",
            "/v1/audit".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/audit/checkpoint",
            "/v1/audit/checkpoint".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/audit/proof",
            "/v1/orgs/acme/audit/proof?seq=1&size=1".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/audit/consistency",
            "/v1/orgs/acme/audit/consistency?from=1&to=1".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/audit/proof",
            "/v1/audit/proof?seq=1&size=1".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/audit/consistency",
            "/v1/audit/consistency?from=1&to=1".into(),
            None,
            account_route([200, 403, 403, 403, 403, 403]),
        ),
    ];
    // An org's auto-approval rules (the rule the admin makes is the one it removes) and the
    // closing of a ticket, which services may do for any org.
    let expires = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * 30))
        .unwrap();
    routes.extend([
        route(
            "post",
            "/v1/orgs/{org}/approval-rules",
            "/v1/orgs/acme/approval-rules".into(),
            Some(
                json!({"name": "matrix", "max_level": "read-only", "areas": ["chats"],
                        "max_duration_seconds": 3600, "expires_at": expires}),
            ),
            account_route([403, 201, 404, 403, 403, 403]),
        ),
        route(
            "get",
            "/v1/orgs/{org}/approval-rules",
            "/v1/orgs/acme/approval-rules".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "delete",
            "/v1/orgs/{org}/approval-rules/{rule}",
            "/v1/orgs/acme/approval-rules/matrix".into(),
            None,
            account_route([403, 200, 404, 403, 403, 403]),
        ),
        route(
            "post",
            "/v1/orgs/{org}/tickets/{ticket}/close",
            "/v1/orgs/acme/tickets/T-matrix/close".into(),
            None,
            account_route([403, 200, 404, 403, 403, 200]),
        ),
    ]);
    routes.extend(crate::api_authz_sso::routes());
    routes.extend(crate::api_authz_webhooks::routes(
        &w.webhook,
        &w.spare_webhook,
        &w.delivery,
    ));
    routes
}

fn call(api: &Api, method: &str, path: &str, body: Option<&Value>) -> Reply {
    match (method, body) {
        ("get", _) => api.get(path),
        ("post", Some(body)) => api.post(path, body),
        ("post", None) => api.post_empty(path),
        ("put", Some(body)) => crate::api_policy::put_path(api, path, body),
        ("delete", _) => api.delete(path),
        _ => unreachable!("{method}"),
    }
}

/// `text` with every (from, to) pair replaced.
fn substitute(text: &str, pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
}

fn every_route_answers_every_kind_of_caller_as_its_role_allows(backend: Backend) {
    let server = TestServer::on(backend);
    let w = world(&server);
    let routes = routes(&w);

    // The table covers every route the router serves: its OpenAPI document is generated from
    // the same declarations as the routes, so a new route without a row here fails.
    let covered: BTreeSet<(&str, &str)> = routes.iter().map(|r| (r.method, r.template)).collect();
    let document = server.anonymous().get("/v1/openapi.json").body;
    let served: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let covered_owned: BTreeSet<(String, String)> = covered
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        covered_owned, served,
        "the matrix must have a row for every route the router serves"
    );
    let spec: BTreeSet<(&str, &str)> = ROUTES.iter().copied().collect();
    assert_eq!(
        covered, spec,
        "the matrix must cover every route of the API"
    );

    // What a request for things that do not exist looks like: each real org, grant and
    // session swapped for one that was never created.
    let fakes: Vec<(String, String)> = vec![
        (format!("/orgs/{ACME}/"), "/orgs/no-such-org/".to_owned()),
        (w.grant.clone(), unknown_id("gr")),
        (w.spare_grant.clone(), unknown_id("gr")),
        (w.bulk_grant.clone(), unknown_id("gr")),
        (w.session.clone(), unknown_id("ses")),
        (w.spare_session.clone(), unknown_id("ses")),
        (w.request.clone(), unknown_id("rq")),
        (w.request_to_approve.clone(), unknown_id("rq")),
        (w.request_to_deny.clone(), unknown_id("rq")),
        (w.request_to_cancel.clone(), unknown_id("rq")),
        (w.break_glass_request.clone(), unknown_id("rq")),
        (w.break_glass_grants.0.clone(), unknown_id("gr")),
        (w.break_glass_grants.1.clone(), unknown_id("gr")),
        (w.webhook.clone(), unknown_id("wh")),
        (w.spare_webhook.clone(), unknown_id("wh")),
        (w.delivery.clone(), unknown_id("dlv")),
    ];
    let back: Vec<(String, String)> = fakes
        .iter()
        .map(|(real, fake)| (fake.clone(), real.clone()))
        .collect();
    let back_slug = [("'no-such-org'".to_owned(), format!("'{ACME}'"))];

    let mut failures = Vec::new();
    for r in &routes {
        for (i, (who, api)) in w.callers.iter().enumerate() {
            let expected = r.expected[i];
            let reply = call(api, r.method, &r.path, r.body.as_ref());
            let what = format!("{} {} as {who:?}", r.method.to_uppercase(), r.path);
            if reply.status != expected {
                failures.push(format!(
                    "{what}: expected {expected}, got {} {}",
                    reply.status, reply.body
                ));
                continue;
            }
            let code = match expected {
                401 => "unauthenticated",
                403 => "forbidden",
                404 => "not_found",
                _ => continue,
            };
            if reply.code() != code || reply.content_type != "application/problem+json" {
                failures.push(format!(
                    "{what}: expected a {code} problem, got {} {}",
                    reply.content_type, reply.body
                ));
                continue;
            }
            if reply.body["status"] != expected {
                failures.push(format!(
                    "{what}: problem status field {}",
                    reply.body["status"]
                ));
            }
            if expected == 401 && !reply.headers.contains_key("www-authenticate") {
                failures.push(format!("{what}: a 401 without WWW-Authenticate"));
            }
            if expected == 404 {
                // The same caller asking for things that do not exist gets the same answer.
                let twin_path = substitute(&r.path, &fakes);
                let twin_body = r.body.as_ref().map(|body| {
                    serde_json::from_str::<Value>(&substitute(&body.to_string(), &fakes)).unwrap()
                });
                let twin = call(api, r.method, &twin_path, twin_body.as_ref());
                let mut seen = twin.body.clone();
                if let Some(detail) = twin.body["detail"].as_str() {
                    seen["detail"] = json!(substitute(&substitute(detail, &back), &back_slug));
                }
                if twin.status != 404 || seen != reply.body {
                    failures.push(format!(
                        "{what}: 404 {} differs from the answer for a missing resource \
                         ({twin_path}): {} {}",
                        reply.body, twin.status, twin.body
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Allowed, but only their own: nothing of acme's shows through.
    let other_admin = &w.callers[5].1;
    assert_eq!(other_admin.get("/v1/sessions").body["items"], json!([]));
    let support_without = &w.callers[7].1;
    assert_eq!(support_without.get("/v1/grants").body["items"], json!([]));
    assert_eq!(support_without.get("/v1/sessions").body["items"], json!([]));
}
