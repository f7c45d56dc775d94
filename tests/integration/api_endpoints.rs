//! The happy path of every endpoint of SPEC section 4, as its callers see it.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::api_fixtures::*;
use crate::harness::{Backend, TestServer};

crate::conformance::conformance! {
    healthz_reports_status_version_and_database,
    openapi_document_describes_every_route,
    me_shows_the_callers_own_account,
    operator_creates_lists_shows_and_disables_orgs,
    operator_creates_lists_rotates_and_disables_accounts,
    admin_creates_grants_with_given_and_default_values,
    admin_lists_shows_extends_and_revokes_grants,
    support_lists_grants_usable_by_them_across_orgs,
    session_opens_from_the_named_grant,
    session_without_grant_id_uses_the_least_privileged_covering_grant,
    sessions_are_listed_for_the_org_and_for_their_engineer,
    session_show_and_idempotent_close,
    session_token_shows_its_own_session_until_it_ends,
    introspect_answers_rfc7662_for_json_and_form_bodies,
    authorize_allows_within_scope_and_denies_with_each_reason,
    audit_list_filters_by_seq_time_and_action,
}

/// Every one of the six areas, sorted, as the API spells them.
fn all_areas() -> Vec<String> {
    sorted(owned(&ALL_AREAS))
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

fn key_set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn healthz_reports_status_version_and_database(backend: Backend) {
    let server = TestServer::on(backend);
    let reply = server.anonymous().get("/healthz");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        keys(&reply.body),
        key_set(&["status", "version", "database"])
    );
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

/// Every route of SPEC section 4, as the OpenAPI document names it.
pub const SPEC_ROUTES: [(&str, &str); 31] = [
    ("get", "/healthz"),
    ("get", "/v1/openapi.json"),
    ("get", "/v1/me"),
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
    ("post", "/v1/orgs/{org}/grants/{id}/extend"),
    ("post", "/v1/orgs/{org}/grants/{id}/revoke"),
    ("post", "/v1/orgs/{org}/grants/revoke"),
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
    let spec: BTreeSet<(String, String)> = SPEC_ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(documented, spec, "the document and SPEC section 4 disagree");
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

fn session_opens_from_the_named_grant(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let broad = admin.grant(json!({"level": "admin", "reason": "broad"}));
    let _narrow =
        admin.grant(json!({"level": "read-only", "areas": ["chats"], "reason": "narrow"}));
    let start = now(&server);

    let reply = support(&server).post(
        "/v1/orgs/acme/sessions",
        json!({"grant_id": broad, "reason": "debug import"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let session = &reply.body["session"];
    let token = reply.body["token"].as_str().unwrap();
    assert!(
        token.starts_with("sst_") && token.len() >= 4 + 32,
        "{token}"
    );
    assert!(session["id"].as_str().unwrap().starts_with("ses_"));
    assert_eq!(session["org"], "acme");
    assert_eq!(session["grant_id"], broad.as_str());
    assert_eq!(session["engineer"], SUPPORT_EMAIL);
    // Defaults: the grant's level and areas, the default ttl.
    assert_eq!(session["level"], "admin");
    assert_eq!(sorted(strings(&session["areas"])), all_areas());
    assert_eq!(session["reason"], "debug import");
    assert_eq!(ts(&session["opened_at"]), start);
    assert_eq!(ts(&session["expires_at"]), plus(start, DEFAULT_TTL));
    assert_eq!(session["closed_at"], Value::Null);
    assert_eq!(session["close_reason"], Value::Null);
    assert_eq!(session["status"], "active");

    // Narrower than the grant, with its own ttl.
    let reply = support(&server).post(
        "/v1/orgs/acme/sessions",
        json!({
            "grant_id": broad, "level": "member", "areas": ["documents", "chats"],
            "ttl_seconds": 900, "reason": "narrower"
        }),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let session = &reply.body["session"];
    assert_eq!(session["grant_id"], broad.as_str());
    assert_eq!(session["level"], "member");
    assert_eq!(
        sorted(strings(&session["areas"])),
        owned(&["chats", "documents"])
    );
    assert_eq!(ts(&session["expires_at"]), plus(start, 900));

    let events = audit(&admin, ACME);
    let opened = with_action(&events, "session.opened");
    assert_eq!(opened.len(), 2);
    assert_eq!(opened[1]["target"], session["id"]);
    assert_eq!(opened[1]["actor"]["email"], SUPPORT_EMAIL);
    assert_eq!(opened[1]["details"]["grant_id"], broad.as_str());
}

fn session_without_grant_id_uses_the_least_privileged_covering_grant(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let broad = admin.grant(json!({"level": "admin", "reason": "broad"}));
    let read_all = admin.grant(json!({"level": "read-only", "reason": "read everything"}));
    let member = admin.grant(json!({
        "level": "member", "areas": ["chats", "issues"], "reason": "member"
    }));
    let read_chats = admin.grant(json!({
        "level": "read-only", "areas": ["chats"], "reason": "read chats"
    }));
    // Not usable by this engineer, however narrow.
    let sam = create_support(&server, "sam@supportctl.test");
    let _sams = admin.grant(json!({
        "level": "read-only", "areas": ["documents"], "engineers": [sam.email], "reason": "sam"
    }));

    let support = support(&server);
    for (request, expected, level) in [
        (json!({}), &read_chats, "read-only"),
        (json!({"areas": ["chats"]}), &read_chats, "read-only"),
        (
            json!({"level": "read-only", "areas": ["chats"]}),
            &read_chats,
            "read-only",
        ),
        (json!({"areas": ["documents"]}), &read_all, "read-only"),
        (
            json!({"level": "member", "areas": ["chats"]}),
            &member,
            "member",
        ),
        (
            json!({"level": "member", "areas": ["issues", "chats"]}),
            &member,
            "member",
        ),
        (
            json!({"level": "member", "areas": ["documents"]}),
            &broad,
            "member",
        ),
        (
            json!({"level": "admin", "areas": ["chats"]}),
            &broad,
            "admin",
        ),
    ] {
        let mut body = request.clone();
        body["reason"] = json!("pick for me");
        let reply = support.post("/v1/orgs/acme/sessions", body);
        assert_eq!(reply.status, 201, "{request}: {}", reply.body);
        assert_eq!(
            reply.body["session"]["grant_id"],
            expected.as_str(),
            "{request} should use the narrowest covering grant"
        );
        assert_eq!(reply.body["session"]["level"], level, "{request}");
    }
}

fn sessions_are_listed_for_the_org_and_for_their_engineer(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let beta = client(&server, &create_org_with_admin(&server, "beta").token);
    let sam = create_support(&server, "sam@supportctl.test");
    let sam_api = client(&server, &sam.token);
    admin.grant(json!({"level": "member", "reason": "team"}));
    grant_in(
        &beta,
        "beta",
        json!({"level": "member", "reason": "beta team"}),
    );

    let support = support(&server);
    let (s1, _) = support.open(json!({"reason": "one"}));
    let (s2, _) = support.open(json!({"reason": "two"}));
    let (s3, _) = sam_api.open(json!({"reason": "three"}));
    let (b1, _) = open_in(&support, "beta", json!({"reason": "beta"}));

    let org_list = admin.get("/v1/orgs/acme/sessions");
    assert_eq!(org_list.status, 200, "{}", org_list.body);
    assert_eq!(
        ids(org_list.body["items"].as_array().unwrap()),
        vec![s3.clone(), s2.clone(), s1.clone()]
    );
    assert_eq!(org_list.body["next_cursor"], Value::Null);
    // An admin's GET /v1/sessions is their org's list.
    assert_eq!(
        ids(&admin.all("/v1/sessions")),
        vec![s3.clone(), s2.clone(), s1.clone()]
    );
    assert_eq!(ids(&beta.all("/v1/sessions")), vec![b1.clone()]);
    // An engineer's is their own, across orgs.
    assert_eq!(
        ids(&support.all("/v1/sessions")),
        vec![b1, s2.clone(), s1.clone()]
    );
    assert_eq!(ids(&sam_api.all("/v1/sessions")), vec![s3.clone()]);

    support
        .post_empty(&format!("/v1/sessions/{s1}/close"))
        .assert_ok();
    assert_eq!(
        ids(&admin.all("/v1/orgs/acme/sessions")),
        vec![s3.clone(), s2.clone()]
    );
    assert_eq!(
        ids(&admin.all("/v1/orgs/acme/sessions?status=closed")),
        vec![s1.clone()]
    );
    assert_eq!(
        ids(&admin.all("/v1/orgs/acme/sessions?status=all")),
        vec![s3, s2, s1.clone()]
    );
    assert_eq!(ids(&support.all("/v1/sessions?status=closed")), vec![s1]);
}

fn session_show_and_idempotent_close(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let support = support(&server);
    admin.grant(json!({"level": "member", "reason": "team"}));
    let (id, _) = support.open(json!({"reason": "look"}));

    let by_engineer = support.get(&format!("/v1/sessions/{id}"));
    assert_eq!(by_engineer.status, 200, "{}", by_engineer.body);
    assert_eq!(by_engineer.body["id"], id.as_str());
    assert_eq!(by_engineer.body["status"], "active");
    let by_admin = admin.get(&format!("/v1/sessions/{id}"));
    assert_eq!(by_admin.body, by_engineer.body);

    server.advance(60);
    let closed = support.post(
        &format!("/v1/sessions/{id}/close"),
        json!({"reason": "fixed"}),
    );
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(closed.body["status"], "closed");
    assert_eq!(ts(&closed.body["closed_at"]), now(&server));
    assert_eq!(closed.body["close_reason"], "fixed");
    assert_eq!(admin.get(&format!("/v1/sessions/{id}")).body, closed.body);

    // Closing again (by the org's admin this time) changes nothing.
    server.advance(60);
    let again = admin.post_empty(&format!("/v1/sessions/{id}/close"));
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, closed.body);
    let events = audit(&admin, ACME);
    let closes = with_action(&events, "session.closed");
    assert_eq!(closes.len(), 1, "{closes:?}");
    assert_eq!(closes[0]["target"], id.as_str());
    assert_eq!(closes[0]["details"]["reason"], "fixed");
}

fn session_token_shows_its_own_session_until_it_ends(backend: Backend) {
    let server = TestServer::on(backend);
    admin(&server).grant(json!({"level": "member", "reason": "team"}));
    let (id, token) = support(&server).open(json!({"reason": "look"}));
    let (_, other) = support(&server).open(json!({"reason": "another"}));

    let current = client(&server, &token).get("/v1/session");
    assert_eq!(current.status, 200, "{}", current.body);
    assert_eq!(current.body["id"], id.as_str());
    assert_eq!(current.body["status"], "active");
    assert_eq!(
        current.body,
        admin(&server).get(&format!("/v1/sessions/{id}")).body
    );
    assert!(current.body.get("token").is_none());

    support(&server)
        .post_empty(&format!("/v1/sessions/{id}/close"))
        .assert_ok();
    client(&server, &token)
        .get("/v1/session")
        .assert_problem(401, "unauthenticated");
    assert_eq!(client(&server, &other).get("/v1/session").status, 200);
}

fn introspect_answers_rfc7662_for_json_and_form_bodies(backend: Backend) {
    let server = TestServer::on(backend);
    let grant = admin(&server).grant(json!({
        "level": "member", "areas": ["chats", "issues"], "reason": "team"
    }));
    let reply = support(&server).post("/v1/orgs/acme/sessions", json!({"reason": "look"}));
    assert_eq!(reply.status, 201);
    let session = reply.body["session"].clone();
    let token = reply.body["token"].as_str().unwrap().to_owned();

    let active = introspect(&server, &token);
    assert_eq!(active["active"], true);
    let scope: BTreeSet<&str> = active["scope"].as_str().unwrap().split(' ').collect();
    assert_eq!(
        scope,
        ["chats:read", "chats:write", "issues:read", "issues:write"]
            .into_iter()
            .collect()
    );
    assert_eq!(active["exp"], ts(&session["expires_at"]).as_second());
    assert_eq!(active["iat"], ts(&session["opened_at"]).as_second());
    assert_eq!(active["sub"], "org:acme");
    assert_eq!(active["org"], "acme");
    assert_eq!(active["level"], "member");
    assert_eq!(
        sorted(strings(&active["areas"])),
        owned(&["chats", "issues"])
    );
    assert_eq!(active["session_id"], session["id"]);
    assert_eq!(active["grant_id"], grant.as_str());
    assert_eq!(active["act"], json!({"sub": SUPPORT_EMAIL}));

    // The same answer for a form body (RFC 7662's own encoding), and for an operator.
    let form = service(&server).post_raw(
        "/v1/introspect",
        "application/x-www-form-urlencoded",
        format!("token={token}&token_type_hint=access_token"),
    );
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.body, active);
    let by_operator = operator(&server).post("/v1/introspect", json!({"token": token}));
    assert_eq!(by_operator.body, active);

    // Unknown and inactive tokens: exactly {"active": false}, in both encodings.
    let (closed_id, closed) = support(&server).open(json!({"reason": "short"}));
    support(&server)
        .post_empty(&format!("/v1/sessions/{closed_id}/close"))
        .assert_ok();
    let unknown = format!("sst_{}", "ab".repeat(24));
    let account_token = server.tokens.admin.clone();
    for candidate in [
        unknown.as_str(),
        "garbage",
        "",
        account_token.as_str(),
        closed.as_str(),
    ] {
        assert_eq!(
            introspect(&server, candidate),
            json!({"active": false}),
            "JSON body, token {candidate:?}"
        );
        let form = service(&server).post_raw(
            "/v1/introspect",
            "application/x-www-form-urlencoded",
            format!("token={candidate}"),
        );
        assert_eq!(form.status, 200, "{}", form.body);
        assert_eq!(
            form.body,
            json!({"active": false}),
            "form body, token {candidate:?}"
        );
    }
}

fn authorize_allows_within_scope_and_denies_with_each_reason(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let support = support(&server);
    let service = service(&server);
    admin.grant(json!({"level": "member", "areas": ["chats", "issues"], "reason": "team"}));
    let (member_id, member) = support.open(json!({"areas": ["chats"], "reason": "member"}));
    let (reader_id, reader) = support.open(json!({
        "level": "read-only", "areas": ["chats", "issues"], "reason": "reader"
    }));

    let allowed = service.post(
        "/v1/authorize",
        json!({"token": member, "area": "chats", "action": "write", "resource": "chat/17"}),
    );
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(
        allowed.body,
        json!({"allow": true, "session_id": member_id, "org": "acme"})
    );
    assert_eq!(authorize(&server, &member, "chats", "read")["allow"], true);
    assert_eq!(authorize(&server, &reader, "issues", "read")["allow"], true);

    let denied = |token: &str, area: &str, action: &str, session: Option<&str>| -> String {
        let answer = authorize(&server, token, area, action);
        assert_eq!(
            answer["allow"], false,
            "{area}:{action} should be denied: {answer}"
        );
        match session {
            Some(id) => {
                assert_eq!(answer["session_id"], id);
                assert_eq!(answer["org"], "acme");
            }
            None => {
                assert!(answer.get("session_id").is_none() && answer.get("org").is_none());
            }
        }
        answer["reason"].as_str().unwrap().to_owned()
    };
    // Outside the session's areas (though inside the grant's).
    let reason = denied(&member, "issues", "read", Some(&member_id));
    assert!(reason.contains("issues"), "{reason}");
    // Above the session's level.
    let reason = denied(&member, "chats", "administer", Some(&member_id));
    assert!(reason.contains("administer"), "{reason}");
    let reason = denied(&reader, "chats", "write", Some(&reader_id));
    assert!(reason.contains("write"), "{reason}");
    // Unknown token: nothing to log against, nothing about any session.
    denied(&format!("sst_{}", "cd".repeat(24)), "chats", "read", None);
    // Closed session.
    support
        .post_empty(&format!("/v1/sessions/{reader_id}/close"))
        .assert_ok();
    let reason = denied(&reader, "chats", "read", Some(&reader_id));
    assert!(reason.contains("closed"), "{reason}");
    // Revoked grant.
    let revoked_grant =
        admin.grant(json!({"level": "admin", "areas": ["documents"], "reason": "r"}));
    let (revoked_id, revoked) = support.open(json!({"grant_id": revoked_grant, "reason": "r"}));
    revoke(&admin, ACME, &revoked_grant);
    let reason = denied(&revoked, "documents", "read", Some(&revoked_id));
    assert!(reason.contains("revoked"), "{reason}");
    // Expired session.
    let (expired_id, expired) = support.open(json!({"ttl_seconds": 60, "reason": "brief"}));
    server.advance(60);
    let reason = denied(&expired, "chats", "read", Some(&expired_id));
    assert!(reason.contains("expired"), "{reason}");

    let events = audit(&admin, ACME);
    let allowed_events = with_action(&events, "access.allowed");
    assert_eq!(allowed_events.len(), 3);
    let first = allowed_events[0];
    assert_eq!(first["target"], member_id.as_str());
    assert_eq!(first["actor"]["email"], SUPPORT_EMAIL);
    assert_eq!(first["details"]["area"], "chats");
    assert_eq!(first["details"]["action"], "write");
    assert_eq!(first["details"]["resource"], "chat/17");
    assert_eq!(first["details"]["reported_by"], SERVICE_EMAIL);
    let denied_targets: Vec<&Value> = with_action(&events, "access.denied")
        .iter()
        .map(|event| &event["target"])
        .collect();
    assert_eq!(
        denied_targets,
        vec![
            &json!(member_id),
            &json!(member_id),
            &json!(reader_id),
            &json!(reader_id),
            &json!(revoked_id),
            &json!(expired_id),
        ]
    );
    let level_denial = with_action(&events, "access.denied")[1];
    assert_eq!(level_denial["details"]["action"], "administer");
    assert!(level_denial["details"]["reason"].as_str().is_some());
}

fn audit_list_filters_by_seq_time_and_action(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let t0 = now(&server);
    let first = admin.grant(json!({"level": "member", "reason": "first"}));
    server.advance(100);
    let t1 = now(&server);
    let second = admin.grant(json!({"level": "member", "reason": "second"}));
    admin
        .post(
            &format!("/v1/orgs/acme/grants/{second}/extend"),
            json!({"duration_seconds": 60}),
        )
        .assert_ok();
    server.advance(100);
    let t2 = now(&server);
    revoke(&admin, ACME, &first);

    let all = audit(&admin, ACME);
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=all.len() as i64).collect::<Vec<_>>(),
        "seq order"
    );
    let summary = |events: &[Value]| -> Vec<(String, String)> {
        events
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["target"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let ours = |action: &str, target: &str| (action.to_owned(), target.to_owned());
    let tail = all.len() - 4;
    assert_eq!(
        summary(&all[tail..]),
        vec![
            ours("grant.created", &first),
            ours("grant.created", &second),
            ours("grant.extended", &second),
            ours("grant.revoked", &first),
        ]
    );
    assert!(all[..tail].iter().all(|e| ts(&e["at"]) <= t0));

    let get = |query: &str| -> Vec<Value> {
        let reply = admin.get(&format!("/v1/orgs/acme/audit?{query}"));
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        reply.body["items"].as_array().unwrap().clone()
    };
    let after = all[tail]["seq"].as_i64().unwrap();
    assert_eq!(get(&format!("after_seq={after}")), all[tail + 1..].to_vec());
    assert_eq!(get(&format!("since={t1}")), all[tail + 1..].to_vec());
    assert_eq!(get(&format!("until={t2}")), all[..tail + 3].to_vec());
    assert_eq!(
        get(&format!("since={t1}&until={t2}")),
        all[tail + 1..tail + 3].to_vec()
    );
    assert_eq!(
        summary(&get("action=grant.created")),
        vec![
            ours("grant.created", &first),
            ours("grant.created", &second)
        ]
    );
    assert_eq!(
        summary(&get(&format!("action=grant.created&after_seq={after}"))),
        vec![ours("grant.created", &second)]
    );
    assert!(get("action=no.such.action").is_empty());

    // Pages in seq order.
    let page = admin.get("/v1/orgs/acme/audit?limit=2");
    assert_eq!(
        page.body["items"].as_array().unwrap().to_vec(),
        all[..2].to_vec()
    );
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = admin.get(&format!("/v1/orgs/acme/audit?limit=2&cursor={cursor}"));
    assert_eq!(
        next.body["items"].as_array().unwrap().to_vec(),
        all[2..4].to_vec()
    );
}
