//! The happy path of every endpoint of the API, as its callers see it: meta, orgs, accounts
//! and grants (sessions, the platform's calls and the audit log are in `api_sessions.rs`).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};

crate::common::conformance::conformance! {
    healthz_reports_status_version_and_database,
    openapi_document_describes_every_route,
    me_shows_the_callers_own_account,
    operator_creates_lists_shows_and_disables_orgs,
    operator_creates_lists_rotates_and_disables_accounts,
    admin_creates_grants_with_given_and_default_values,
    admin_lists_shows_extends_and_revokes_grants,
    support_lists_grants_usable_by_them_across_orgs,
}

fn healthz_reports_status_version_and_database(backend: Backend) {
    let server = TestServer::on(backend);
    // The webhook backlog is for operator and service accounts; anyone gets the rest.
    for api in [server.operator(), server.service()] {
        let reply = api.get("/healthz");
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["webhook_backlog"]["pending"], 0);
    }
    for api in [
        server.anonymous(),
        server.admin(),
        server.as_token("sat_not_a_token"),
    ] {
        let reply = api.get("/healthz");
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            keys(&reply.body),
            key_set(&["status", "version", "database"])
        );
    }
    let reply = server.anonymous().get("/healthz");
    assert_eq!(reply.body["status"], "ok");
    assert_eq!(reply.body["version"], env!("CARGO_PKG_VERSION"));
    let database = reply.body["database"].as_str().unwrap();
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert!(
        database.starts_with("ok") && database.contains(name),
        "database health should say ok and name {name}: {database}"
    );
}

/// Every route of the API, as the OpenAPI document names it.
pub const ROUTES: [(&str, &str); 78] = [
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/v1/openapi.json"),
    ("get", "/v1/me"),
    ("get", "/metrics"),
    ("post", "/v1/orgs"),
    ("get", "/v1/orgs"),
    ("get", "/v1/orgs/{org}"),
    ("post", "/v1/orgs/{org}/disable"),
    ("post", "/v1/accounts"),
    ("get", "/v1/accounts"),
    ("post", "/v1/accounts/{id}/disable"),
    ("post", "/v1/accounts/{id}/rotate-token"),
    ("post", "/v1/orgs/{org}/grants"),
    ("get", "/v1/orgs/{org}/grants"),
    ("get", "/v1/orgs/{org}/grants/{id}"),
    ("get", "/v1/orgs/{org}/grants/{id}/report"),
    ("post", "/v1/orgs/{org}/grants/{id}/extend"),
    ("post", "/v1/orgs/{org}/grants/{id}/revoke"),
    ("post", "/v1/orgs/{org}/grants/revoke"),
    ("post", "/v1/orgs/{org}/grants/{id}/acknowledge"),
    ("post", "/v1/orgs/{org}/grants/{id}/dispute"),
    ("get", "/v1/grants"),
    ("post", "/v1/orgs/{org}/sessions"),
    ("get", "/v1/orgs/{org}/sessions"),
    ("get", "/v1/sessions"),
    ("get", "/v1/sessions/{id}"),
    ("post", "/v1/sessions/{id}/close"),
    ("get", "/v1/session"),
    ("post", "/v1/introspect"),
    ("post", "/v1/authorize"),
    ("get", "/v1/orgs/{org}/audit"),
    ("get", "/v1/orgs/{org}/audit/checkpoint"),
    ("get", "/v1/audit/key"),
    ("get", "/v1/audit"),
    ("get", "/v1/audit/checkpoint"),
    ("get", "/v1/orgs/{org}/audit/proof"),
    ("get", "/v1/orgs/{org}/audit/consistency"),
    ("get", "/v1/audit/proof"),
    ("get", "/v1/audit/consistency"),
    ("get", "/v1/orgs/{org}/policy"),
    ("put", "/v1/orgs/{org}/policy"),
    ("get", "/v1/orgs/{org}/policy/pending"),
    ("post", "/v1/orgs/{org}/policy/pending/approve"),
    ("post", "/v1/orgs/{org}/requests"),
    ("get", "/v1/orgs/{org}/requests"),
    ("get", "/v1/orgs/{org}/requests/{id}"),
    ("get", "/v1/orgs/{org}/requests/{id}/report"),
    ("post", "/v1/orgs/{org}/requests/{id}/approve"),
    ("post", "/v1/orgs/{org}/requests/{id}/deny"),
    ("post", "/v1/orgs/{org}/requests/{id}/confirm"),
    ("get", "/v1/requests"),
    ("get", "/v1/requests/{id}"),
    ("post", "/v1/requests/{id}/cancel"),
    ("post", "/v1/orgs/{org}/approval-rules"),
    ("get", "/v1/orgs/{org}/approval-rules"),
    ("delete", "/v1/orgs/{org}/approval-rules/{rule}"),
    ("post", "/v1/orgs/{org}/tickets/{ticket}/close"),
    ("post", "/v1/orgs/{org}/webhooks"),
    ("get", "/v1/orgs/{org}/webhooks"),
    ("get", "/v1/orgs/{org}/webhooks/{id}"),
    ("delete", "/v1/orgs/{org}/webhooks/{id}"),
    ("post", "/v1/orgs/{org}/webhooks/{id}/rotate-secret"),
    ("post", "/v1/orgs/{org}/webhooks/{id}/test"),
    ("post", "/v1/auth/connectors"),
    ("get", "/v1/auth/connectors"),
    ("get", "/v1/auth/connectors/{name}"),
    ("delete", "/v1/auth/connectors/{name}"),
    ("post", "/v1/orgs/{org}/auth/connectors"),
    ("get", "/v1/orgs/{org}/auth/connectors"),
    ("get", "/v1/orgs/{org}/auth/connectors/{name}"),
    ("delete", "/v1/orgs/{org}/auth/connectors/{name}"),
    ("get", "/v1/auth/methods"),
    ("post", "/v1/auth/login"),
    ("get", "/v1/auth/callback"),
    ("post", "/v1/auth/login/{flow_id}/token"),
    ("get", "/v1/orgs/{org}/webhooks/{id}/deliveries"),
    (
        "post",
        "/v1/orgs/{org}/webhooks/{id}/deliveries/{delivery}/redeliver",
    ),
];

fn openapi_document_describes_every_route(backend: Backend) {
    let server = TestServer::on(backend);
    let reply = server.anonymous().get("/v1/openapi.json");
    assert_eq!(reply.status, 200);
    assert!(
        reply.content_type.starts_with("application/json"),
        "{}",
        reply.content_type
    );
    let document = &reply.body;
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "not an OpenAPI 3 document: {}",
        document["openapi"]
    );
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|method| {
                    ["get", "post", "put", "patch", "delete"].contains(&method.as_str())
                })
                .map(|method| (method.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let spec: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(documented, spec, "the document and the route list disagree");
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"]
            .as_str()
            .map(str::to_lowercase),
        Some("bearer".to_owned())
    );
}

fn me_shows_the_callers_own_account(backend: Backend) {
    let server = TestServer::on(backend);
    for (api, email, role, org) in [
        (operator(&server), OPERATOR_EMAIL, "operator", Value::Null),
        (admin(&server), ADMIN_EMAIL, "admin", json!(ACME)),
        (support(&server), SUPPORT_EMAIL, "support", Value::Null),
        (service(&server), SERVICE_EMAIL, "service", Value::Null),
    ] {
        let reply = api.get("/v1/me");
        assert_eq!(reply.status, 200, "{}", reply.body);
        let me = &reply.body;
        assert!(me["id"].as_str().unwrap().starts_with("acc_"), "{me}");
        assert_eq!(me["email"], email);
        assert_eq!(me["role"], role);
        assert_eq!(me["org"], org);
        assert_eq!(me["status"], "enabled");
        assert!(
            me.get("token").is_none(),
            "a token is never shown again: {me}"
        );
    }
}

fn operator_creates_lists_shows_and_disables_orgs(backend: Backend) {
    let server = TestServer::on(backend);
    let operator = operator(&server);
    let created = operator.post("/v1/orgs", json!({"slug": "beta", "name": "Beta Ltd"}));
    assert_eq!(created.status, 201, "{}", created.body);
    let org = &created.body;
    assert_eq!(org["slug"], "beta");
    assert_eq!(org["name"], "Beta Ltd");
    assert_eq!(org["status"], "enabled");
    assert_eq!(ts(&org["created_at"]), now(&server));
    assert_eq!(org["disabled_at"], Value::Null);

    let slugs: Vec<Value> = operator
        .all("/v1/orgs")
        .iter()
        .map(|org| org["slug"].clone())
        .collect();
    assert_eq!(slugs, vec![json!("acme"), json!("beta")]);

    let shown = operator.get("/v1/orgs/beta");
    assert_eq!(shown.status, 200);
    assert_eq!(&shown.body, org);
    operator
        .get("/v1/orgs/nope")
        .assert_problem(404, "not_found");

    server.advance(60);
    let disabled = operator.post_empty("/v1/orgs/beta/disable");
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(disabled.body["status"], "disabled");
    assert_eq!(ts(&disabled.body["disabled_at"]), now(&server));
    assert_eq!(operator.get("/v1/orgs/beta").body, disabled.body);
    // acme is untouched.
    assert_eq!(operator.get("/v1/orgs/acme").body["status"], "enabled");
}

fn operator_creates_lists_rotates_and_disables_accounts(backend: Backend) {
    let server = TestServer::on(backend);
    let operator = operator(&server);

    let created = operator.post(
        "/v1/accounts",
        json!({"email": "sam@supportctl.test", "role": "support"}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let account = &created.body["account"];
    let token = created.body["token"].as_str().unwrap().to_owned();
    assert_eq!(account["email"], "sam@supportctl.test");
    assert_eq!(account["role"], "support");
    assert_eq!(account["org"], Value::Null);
    assert_eq!(account["status"], "enabled");
    assert_eq!(ts(&account["created_at"]), now(&server));
    // sat_ plus at least 128 bits of randomness.
    assert!(
        token.starts_with("sat_") && token.len() >= 4 + 32,
        "{token}"
    );
    let me = client(&server, &token).get("/v1/me");
    assert_eq!(me.status, 200);
    assert_eq!(&me.body, account);

    let admin = operator.post(
        "/v1/accounts",
        json!({"email": "ada@acme.test", "role": "admin", "org": "acme"}),
    );
    assert_eq!(admin.status, 201, "{}", admin.body);
    assert_eq!(admin.body["account"]["org"], "acme");
    let ada = admin.body["token"].as_str().unwrap();
    assert_eq!(client(&server, ada).get("/v1/orgs/acme/grants").status, 200);

    let listed = operator.all("/v1/accounts");
    let emails: BTreeSet<&str> = listed
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        [
            OPERATOR_EMAIL,
            ADMIN_EMAIL,
            SUPPORT_EMAIL,
            SERVICE_EMAIL,
            "sam@supportctl.test",
            "ada@acme.test"
        ]
        .into_iter()
        .collect()
    );
    let listed_sam = listed.iter().find(|a| a["id"] == account["id"]).unwrap();
    assert_eq!(listed_sam, account);
    assert!(
        !serde_json::to_string(&listed).unwrap().contains("sat_"),
        "a list never shows tokens"
    );

    let id = account["id"].as_str().unwrap();
    let rotated = operator.post_empty(&format!("/v1/accounts/{id}/rotate-token"));
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert_eq!(&rotated.body["account"], account);
    let new_token = rotated.body["token"].as_str().unwrap().to_owned();
    assert!(new_token.starts_with("sat_") && new_token != token);
    client(&server, &token)
        .get("/v1/me")
        .assert_problem(401, "unauthenticated");
    assert_eq!(client(&server, &new_token).get("/v1/me").status, 200);

    server.advance(30);
    let disabled = operator.post_empty(&format!("/v1/accounts/{id}/disable"));
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(disabled.body["status"], "disabled");
    assert_eq!(ts(&disabled.body["disabled_at"]), now(&server));
    client(&server, &new_token)
        .get("/v1/me")
        .assert_problem(401, "unauthenticated");
    let listed = operator.all("/v1/accounts");
    let listed_sam = listed.iter().find(|a| a["id"] == account["id"]).unwrap();
    assert_eq!(listed_sam["status"], "disabled");
}

fn admin_creates_grants_with_given_and_default_values(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let start = now(&server);

    let reply = admin.post(
        "/v1/orgs/acme/grants",
        json!({
            "level": "member",
            "areas": ["issues", "chats", "chats"],
            "engineers": [SUPPORT_EMAIL],
            "duration_seconds": 7200,
            "reason": "customer cannot see their chats",
            "ticket": "CASE-42",
        }),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let grant = &reply.body;
    assert!(grant["id"].as_str().unwrap().starts_with("gr_"), "{grant}");
    assert_eq!(grant["org"], "acme");
    assert_eq!(grant["level"], "member");
    assert_eq!(
        sorted(strings(&grant["areas"])),
        owned(&["chats", "issues"])
    );
    assert_eq!(strings(&grant["engineers"]), owned(&[SUPPORT_EMAIL]));
    assert_eq!(grant["reason"], "customer cannot see their chats");
    assert_eq!(grant["ticket"], "CASE-42");
    assert_eq!(grant["created_by"], ADMIN_EMAIL);
    assert_eq!(ts(&grant["created_at"]), start);
    assert_eq!(ts(&grant["expires_at"]), plus(start, 7200));
    assert_eq!(grant["revoked_at"], Value::Null);
    assert_eq!(grant["revoked_by"], Value::Null);
    assert_eq!(grant["revoke_reason"], Value::Null);
    assert_eq!(grant["status"], "active");

    // Defaults: every area, the whole team, 8 hours, no ticket.
    let defaults = admin.post(
        "/v1/orgs/acme/grants",
        json!({"level": "read-only", "reason": "look around"}),
    );
    assert_eq!(defaults.status, 201, "{}", defaults.body);
    assert_eq!(sorted(strings(&defaults.body["areas"])), all_areas());
    assert_eq!(defaults.body["engineers"], json!([]));
    assert_eq!(defaults.body["ticket"], Value::Null);
    assert_eq!(ts(&defaults.body["expires_at"]), plus(start, DEFAULT_GRANT));

    // An explicit end instead of a duration.
    let until = plus(start, 3 * DAY);
    let until_reply = admin.post(
        "/v1/orgs/acme/grants",
        json!({"level": "admin", "expires_at": until.to_string(), "reason": "migration"}),
    );
    assert_eq!(until_reply.status, 201, "{}", until_reply.body);
    assert_eq!(ts(&until_reply.body["expires_at"]), until);
    assert_eq!(until_reply.body["level"], "admin");

    // What was answered is what is stored.
    for created in [grant, &defaults.body, &until_reply.body] {
        let id = created["id"].as_str().unwrap();
        assert_eq!(&get_grant(&admin, ACME, id), created);
    }
    let events = audit(&admin, ACME);
    let created_events = with_action(&events, "grant.created");
    assert_eq!(created_events.len(), 3);
    assert_eq!(created_events[0]["target"], grant["id"]);
    assert_eq!(created_events[0]["actor"]["email"], ADMIN_EMAIL);
    assert_eq!(created_events[0]["details"]["ticket"], "CASE-42");
}

fn admin_lists_shows_extends_and_revokes_grants(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let to_revoke = admin.grant(json!({"level": "member", "reason": "done soon"}));
    let short = admin.grant(json!({"level": "member", "duration_seconds": 600, "reason": "short"}));
    let long = admin.grant(json!({"level": "member", "reason": "long"}));

    // Default list: active, newest first.
    let active = admin.get("/v1/orgs/acme/grants");
    assert_eq!(active.status, 200);
    assert_eq!(
        ids(active.body["items"].as_array().unwrap()),
        vec![long.clone(), short.clone(), to_revoke.clone()]
    );
    assert_eq!(active.body["next_cursor"], Value::Null);

    // Extend moves expires_at by exactly the duration asked.
    let before = ts(&get_grant(&admin, ACME, &long)["expires_at"]);
    let extended = admin.post(
        &format!("/v1/orgs/acme/grants/{long}/extend"),
        json!({"duration_seconds": 4 * HOUR}),
    );
    assert_eq!(extended.status, 200, "{}", extended.body);
    assert_eq!(ts(&extended.body["expires_at"]), plus(before, 4 * HOUR));
    assert_eq!(extended.body["status"], "active");
    assert_eq!(get_grant(&admin, ACME, &long), extended.body);

    server.advance(10);
    let revoked = admin.post(
        &format!("/v1/orgs/acme/grants/{to_revoke}/revoke"),
        json!({"reason": "issue solved"}),
    );
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["status"], "revoked");
    assert_eq!(ts(&revoked.body["revoked_at"]), now(&server));
    assert_eq!(revoked.body["revoked_by"], ADMIN_EMAIL);
    assert_eq!(revoked.body["revoke_reason"], "issue solved");
    assert_eq!(get_grant(&admin, ACME, &to_revoke), revoked.body);

    // Status is derived when asked, never stale.
    server.advance(600);
    assert_eq!(get_grant(&admin, ACME, &short)["status"], "expired");
    let list = |status: &str| -> Vec<String> {
        ids(&admin.all(&format!("/v1/orgs/acme/grants?status={status}")))
    };
    assert_eq!(list("active"), vec![long.clone()]);
    assert_eq!(ids(&admin.all("/v1/orgs/acme/grants")), vec![long.clone()]);
    assert_eq!(list("expired"), vec![short.clone()]);
    assert_eq!(list("revoked"), vec![to_revoke.clone()]);
    assert_eq!(list("all"), vec![long.clone(), short, to_revoke.clone()]);

    let events = audit(&admin, ACME);
    let extended_events = with_action(&events, "grant.extended");
    assert_eq!(extended_events.len(), 1);
    assert_eq!(extended_events[0]["target"], long.as_str());
    assert_eq!(extended_events[0]["details"]["by_seconds"], 4 * HOUR);
    let revoked_events = with_action(&events, "grant.revoked");
    assert_eq!(revoked_events.len(), 1);
    assert_eq!(revoked_events[0]["target"], to_revoke.as_str());
    assert_eq!(revoked_events[0]["details"]["reason"], "issue solved");
}

fn support_lists_grants_usable_by_them_across_orgs(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let beta = client(&server, &create_org_with_admin(&server, "beta").token);
    let gamma = client(&server, &create_org_with_admin(&server, "gamma").token);
    let sam = create_support(&server, "sam@supportctl.test");

    let acme_team = admin.grant(json!({"level": "read-only", "reason": "team"}));
    let acme_sam = admin.grant(json!({
        "level": "member", "engineers": ["sam@supportctl.test"], "reason": "sam only"
    }));
    let beta_team = grant_in(
        &beta,
        "beta",
        json!({"level": "admin", "reason": "beta team"}),
    );
    let acme_revoked = admin.grant(json!({"level": "admin", "reason": "revoked"}));
    revoke(&admin, ACME, &acme_revoked);
    let _gamma_team = grant_in(
        &gamma,
        "gamma",
        json!({"level": "admin", "reason": "gamma"}),
    );
    operator(&server)
        .post_empty("/v1/orgs/gamma/disable")
        .assert_ok();

    let support = support(&server).get("/v1/grants");
    assert_eq!(support.status, 200, "{}", support.body);
    assert_eq!(
        ids(support.body["items"].as_array().unwrap()),
        vec![beta_team.clone(), acme_team.clone()]
    );
    let sam_grants = client(&server, &sam.token).all("/v1/grants");
    assert_eq!(ids(&sam_grants), vec![beta_team, acme_sam, acme_team]);
    assert_eq!(sam_grants[1]["org"], "acme");
    assert_eq!(sam_grants[0]["org"], "beta");
}
