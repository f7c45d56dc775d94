//! Sign-in with an identity provider, against a real OpenID Provider (npm `oidc-provider`) and
//! a script playing the person's browser: the browser flow to a usable token, linking by email
//! then by `sub`, provisioning, role rules, and each refusal with its code and nothing written
//! but its `account.login_failed` event.

use serde_json::{Value, json};

use crate::api_expiry::sweep_now;
use crate::api_policy::put as put_policy;
use crate::common::fixtures::*;
use crate::common::harness::{Backend, Reply, TestServer};
use crate::common::oidc::{TestProvider, browse};

crate::common::conformance::conformance! {
    browser_sign_in_links_by_email_then_by_sub,
    provisioning_and_roles_follow_the_connector,
    refusals_have_their_codes_and_write_only_their_event,
    an_org_connector_signs_in_its_own_admins_only,
    device_flow_gives_a_token_and_paces_its_polls,
    approvals_need_a_sign_in_as_recent_as_the_policy_asks,
    the_sweep_deletes_sign_ins_an_hour_after_they_expired,
}

const CLIENT_SECRET: &str = "test-client-secret";

fn provider_for(server: &TestServer, users: Value, extra: Value) -> TestProvider {
    let redirect = format!("{}/v1/auth/callback", server.url);
    TestProvider::start(
        json!([
            {"client_id": "supportctl", "client_secret": CLIENT_SECRET, "redirect_uris": [redirect]},
            {"client_id": "other-app", "client_secret": "other-secret", "redirect_uris": [redirect]},
        ]),
        users,
        extra,
    )
}

fn user(email: &str, groups: &[&str]) -> Value {
    json!({"email": email, "email_verified": true, "groups": groups})
}

fn connector(name: &str, issuer: &str, extra: Value) -> Value {
    let mut body = json!({
        "name": name,
        "issuer": issuer,
        "client_id": "supportctl",
        "client_secret": CLIENT_SECRET,
        "rules": [
            {"claim": "groups", "value": "ops", "role": "operator"},
            {"claim": "groups", "value": "support", "role": "support"},
        ],
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    body
}

/// Starts a browser sign-in through `connector`; returns the flow id and the provider's URL.
fn start(server: &TestServer, connector: &str, org: Option<&str>) -> (String, String) {
    let mut body = json!({"connector": connector});
    if let Some(org) = org {
        body["org"] = json!(org);
    }
    let reply = server.anonymous().post("/v1/auth/login", body);
    assert_eq!(reply.status, 201, "{}", reply.body);
    (
        reply.body["flow_id"].as_str().unwrap().to_owned(),
        reply.body["url"].as_str().unwrap().to_owned(),
    )
}

fn token_reply(server: &TestServer, flow: &str) -> Reply {
    server
        .anonymous()
        .post_empty(&format!("/v1/auth/login/{flow}/token"))
}

/// A whole browser sign-in of `login`; returns the callback page's status and the token
/// endpoint's reply.
fn sign_in(server: &TestServer, connector: &str, org: Option<&str>, login: &str) -> (u16, Reply) {
    let (flow, url) = start(server, connector, org);
    let page = browse(&url, login);
    assert!(
        page.url.starts_with(&server.url),
        "the browser ended at {} ({})",
        page.url,
        page.body
    );
    (page.status, token_reply(server, &flow))
}

fn vendor_actions(server: &TestServer) -> Vec<String> {
    server
        .operator()
        .all("/v1/audit")
        .iter()
        .map(|event| event["action"].as_str().unwrap().to_owned())
        .collect()
}

fn account_count(server: &TestServer) -> usize {
    server.operator().all("/v1/accounts").len()
}

fn browser_sign_in_links_by_email_then_by_sub(backend: Backend) {
    let server = TestServer::on(backend);
    let mut provider = provider_for(
        &server,
        json!({"ann": user("ann@vendor.example", &["support"])}),
        json!({}),
    );
    let operator = server.operator();
    let reply = operator.post(
        "/v1/auth/connectors",
        connector("corp", &provider.issuer, json!({})),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(reply.body.get("client_secret").is_none());
    assert_eq!(
        reply.body["redirect_uri"],
        format!("{}/v1/auth/callback", server.url)
    );
    let listed = operator.get("/v1/auth/connectors");
    assert!(!listed.body.to_string().contains(CLIENT_SECRET));
    let methods = server.anonymous().get("/v1/auth/methods");
    assert_eq!(methods.body[0]["connector"], "corp");

    let ann = create_support(&server, "ann@vendor.example");
    // Before the person is back, the token is pending.
    let (flow, url) = start(&server, "corp", None);
    let pending = token_reply(&server, &flow);
    assert_eq!(pending.status, 202, "{}", pending.body);
    assert_eq!(pending.body["status"], "pending");
    let page = browse(&url, "ann");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Signed in as ann@vendor.example"));
    let done = token_reply(&server, &flow);
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["account"]["id"], ann.id.as_str());
    assert_eq!(done.body["connector"], "corp");
    let token = done.body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("sat_"));
    let me = server.as_token(&token).get("/v1/me");
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "ann@vendor.example");
    assert!(me.body["token_expires_at"].is_string());
    // The token of the account's creation no longer works; the flow's token is handed out once.
    assert_eq!(server.as_token(&ann.token).get("/v1/me").status, 401);
    token_reply(&server, &flow).assert_problem(410, "flow_used");
    // Replaying the provider's redirect is refused, and recorded.
    let replay = reqwest::blocking::get(&page.url).unwrap();
    assert_eq!(replay.status().as_u16(), 422);
    // A redirect without its state is malformed.
    let stateless = page.url.split('?').next().unwrap().to_owned() + "?code=x";
    let stateless = reqwest::blocking::get(&stateless).unwrap();
    assert_eq!(stateless.status().as_u16(), 400);
    assert!(stateless.text().unwrap().contains("carries no state"));
    let actions = vendor_actions(&server);
    for action in ["account.linked", "account.login", "account.login_failed"] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action}: {actions:?}"
        );
    }

    // A new email at the provider: the account is found by (iss, sub) and follows it.
    provider.set_users(json!({"ann": user("ann.new@vendor.example", &["support"])}));
    let (status, reply) = sign_in(&server, "corp", None, "ann");
    assert_eq!(status, 200);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["account"]["id"], ann.id.as_str());
    let second = reply.body["token"].as_str().unwrap();
    assert_eq!(
        server.as_token(second).get("/v1/me").body["email"],
        "ann.new@vendor.example"
    );
    // The earlier sign-in's token ended with the new one.
    assert_eq!(server.as_token(&token).get("/v1/me").status, 401);

    // The provider rotated its keys (a restart makes a new one): the unknown key id makes the
    // server fetch the keys again.
    provider.restart();
    let (status, reply) = sign_in(&server, "corp", None, "ann");
    assert_eq!((status, reply.status), (200, 200), "{}", reply.body);

    // Rotating the account's token ends the sign-in's at once.
    let third = reply.body["token"].as_str().unwrap().to_owned();
    operator
        .post_empty(&format!("/v1/accounts/{}/rotate-token", ann.id))
        .assert_ok();
    assert_eq!(server.as_token(&third).get("/v1/me").status, 401);

    // A connector removed, then every sign-in action as OCSF, checked by the OCSF schema.
    let spare = operator.post(
        "/v1/auth/connectors",
        connector("spare", &provider.issuer, json!({})),
    );
    assert_eq!(spare.status, 201, "{}", spare.body);
    operator.delete("/v1/auth/connectors/spare").assert_ok();
    let sign_in_events: Vec<Value> = operator
        .all("/v1/audit")
        .into_iter()
        .filter(|event| {
            crate::ocsf::THROUGH_AN_IDENTITY_PROVIDER.contains(&event["action"].as_str().unwrap())
        })
        .map(|event| {
            let event: supportctl::api::AuditEvent = serde_json::from_value(event).unwrap();
            supportctl::api::ocsf::ocsf_event(&event)
        })
        .collect();
    let mapped: std::collections::BTreeSet<&str> = sign_in_events
        .iter()
        .map(|event| event["metadata"]["event_code"].as_str().unwrap())
        .collect();
    // All but `account.role_changed`, which maps as `account.email_changed` does.
    let expected: std::collections::BTreeSet<&str> = crate::ocsf::THROUGH_AN_IDENTITY_PROVIDER
        .into_iter()
        .filter(|action| *action != "account.role_changed")
        .collect();
    assert_eq!(mapped, expected, "one of each sign-in action");
    crate::ocsf::validate_ocsf(&sign_in_events);
}

fn provisioning_and_roles_follow_the_connector(backend: Backend) {
    let server = TestServer::on(backend);
    let provider = provider_for(
        &server,
        json!({
            "bob": user("bob@vendor.example", &["support"]),
            "olga": user("olga@vendor.example", &["ops", "support"]),
        }),
        json!({}),
    );
    let operator = server.operator();
    operator
        .post(
            "/v1/auth/connectors",
            connector("closed", &provider.issuer, json!({})),
        )
        .assert_ok();
    operator
        .post(
            "/v1/auth/connectors",
            connector("open", &provider.issuer, json!({"provision": true})),
        )
        .assert_ok();
    let before = account_count(&server);

    // Without provisioning, no account: refused, nothing created.
    let (status, reply) = sign_in(&server, "closed", None, "bob");
    assert_eq!(status, 403);
    reply.assert_problem(403, "no_account");
    assert_eq!(account_count(&server), before);

    // With it, a support engineer is created with the rule's role.
    let (status, reply) = sign_in(&server, "open", None, "bob");
    assert_eq!((status, reply.status), (200, 200), "{}", reply.body);
    assert_eq!(reply.body["account"]["role"], "support");
    assert_eq!(account_count(&server), before + 1);
    let created = server.operator().all("/v1/audit?action=account.created");
    assert_eq!(created.last().unwrap()["details"]["via"], "sso");

    // The first matching rule gives operator; operators are never created by a sign-in.
    let (_, reply) = sign_in(&server, "open", None, "olga");
    reply.assert_problem(403, "no_account");
    assert_eq!(account_count(&server), before + 1);
    // An existing operator is linked, with the operator role.
    let olga = create_account(&server, "olga@vendor.example", "operator", None);
    let (_, reply) = sign_in(&server, "closed", None, "olga");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["account"]["id"], olga.id.as_str());
    assert_eq!(reply.body["account"]["role"], "operator");
}

/// Refused sign-ins: each with its status and code, the account untouched, one
/// `account.login_failed` event more and nothing else.
fn refusals_have_their_codes_and_write_only_their_event(backend: Backend) {
    let server = TestServer::on(backend);
    let mut provider = provider_for(
        &server,
        json!({
            "unverified": {"email": "u@vendor.example", "email_verified": false, "groups": ["support"]},
            "outsider": user("x@elsewhere.example", &["support"]),
            "marketing": user("m@vendor.example", &["marketing"]),
            "gone": user("gone@vendor.example", &["support"]),
            "ann": user("ann@vendor.example", &["support"]),
        }),
        json!({}),
    );
    server
        .operator()
        .post(
            "/v1/auth/connectors",
            connector(
                "corp",
                &provider.issuer,
                json!({"email_domains": ["vendor.example"], "provision": true}),
            ),
        )
        .assert_ok();
    let gone = create_support(&server, "gone@vendor.example");
    server
        .operator()
        .post_empty(&format!("/v1/accounts/{}/disable", gone.id))
        .assert_ok();
    let ann = create_support(&server, "ann@vendor.example");

    let refused = |connector: &str, login: &str, status: u16, code: &str| {
        let accounts = account_count(&server);
        let events = vendor_actions(&server);
        let (page, reply) = sign_in(&server, connector, None, login);
        assert_eq!(page, status, "{login}");
        reply.assert_problem(status, code);
        assert_eq!(account_count(&server), accounts, "{login}");
        let after = vendor_actions(&server);
        assert_eq!(
            after[events.len()..],
            ["account.login_failed".to_owned()],
            "{login}"
        );
        reply.body["detail"].as_str().unwrap().to_owned()
    };
    let _ = refused("corp", "unverified", 401, "email_unverified");
    let _ = refused("corp", "outsider", 403, "email_domain_not_allowed");
    let _ = refused("corp", "marketing", 403, "no_matching_rule");
    let _ = refused("corp", "gone", 403, "account_disabled");

    // A nonce other than the one sent (the authorization request tampered with).
    let (flow, url) = start(&server, "corp", None);
    let tampered = url::Url::parse_with_params(
        url.split('?').next().unwrap(),
        url::Url::parse(&url).unwrap().query_pairs().map(|(k, v)| {
            let v = if k == "nonce" {
                "another-nonce".into()
            } else {
                v
            };
            (k.into_owned(), v.into_owned())
        }),
    )
    .unwrap();
    let page = browse(tampered.as_str(), "ann");
    assert_eq!(page.status, 401, "{}", page.body);
    token_reply(&server, &flow).assert_problem(401, "sign_in_failed");

    // A code issued to another client of the provider (another audience).
    let (flow, url) = start(&server, "corp", None);
    let other = url.replace("client_id=supportctl", "client_id=other-app");
    let page = browse(&other, "ann");
    assert_eq!(page.status, 401, "{}", page.body);
    token_reply(&server, &flow).assert_problem(401, "sign_in_failed");

    // An ID token that expired before it arrived: a provider whose clock is two hours behind.
    let late = provider_for(
        &server,
        json!({"ann": user("ann@vendor.example", &["support"])}),
        json!({"skew": -7200}),
    );
    server
        .operator()
        .post(
            "/v1/auth/connectors",
            connector("late", &late.issuer, json!({})),
        )
        .assert_ok();
    let detail = refused("late", "ann", 401, "sign_in_failed");
    assert!(detail.contains("Expired:"), "{detail}");

    // None of these touched ann's account: her token still works.
    assert_eq!(server.as_token(&ann.token).get("/v1/me").status, 200);

    // Another provider at the connector's address, naming another issuer: in its redirect
    // (RFC 9207)...
    provider.restart_with(json!({"host": "localhost"}));
    let detail = refused("corp", "ann", 401, "sign_in_failed");
    assert!(detail.contains("not the connector's"), "{detail}");
    // ...or, without that, only in its ID token's `iss` (signed by a key the server fetches
    // then, its key id being unknown).
    provider.restart_with(json!({"host": "localhost", "iss_param": false}));
    let detail = refused("corp", "ann", 401, "sign_in_failed");
    assert!(detail.contains("Invalid issuer"), "{detail}");
}

fn an_org_connector_signs_in_its_own_admins_only(backend: Backend) {
    let server = TestServer::on(backend);
    let provider = provider_for(
        &server,
        json!({
            "acme-admin": user("admin@acme.test", &["acme-admins"]),
            "beta-admin": user("admin@beta.test", &["acme-admins"]),
        }),
        json!({}),
    );
    create_org_with_admin(&server, "beta");
    let admin = server.admin();
    let mut body = connector("acme-sso", &provider.issuer, json!({}));
    body["rules"] = json!([{"claim": "groups", "value": "acme-admins", "role": "admin"}]);
    let reply = admin.post("/v1/orgs/acme/auth/connectors", body.clone());
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["org"], "acme");
    // Another org's admin cannot see it; an org connector gives no other role.
    let beta =
        server.as_token(&create_account(&server, "b2@beta.test", "admin", Some("beta")).token);
    assert_eq!(beta.get("/v1/orgs/acme/auth/connectors").status, 404);
    let mut support_rule = body.clone();
    support_rule["name"] = json!("other");
    support_rule["rules"] = json!([{"claim": "groups", "value": "x", "role": "support"}]);
    admin
        .post("/v1/orgs/acme/auth/connectors", support_rule)
        .assert_problem(422, "invalid_request");

    let (status, reply) = sign_in(&server, "acme-sso", Some("acme"), "acme-admin");
    assert_eq!((status, reply.status), (200, 200), "{}", reply.body);
    assert_eq!(reply.body["account"]["org"], "acme");
    // The sign-in's token replaced the admin's.
    let admin = server.as_token(reply.body["token"].as_str().unwrap());
    let acme_events: Vec<String> = admin
        .all("/v1/orgs/acme/audit")
        .iter()
        .map(|event| event["action"].as_str().unwrap().to_owned())
        .collect();
    assert!(acme_events.contains(&"account.login".to_owned()));
    assert!(acme_events.contains(&"auth.connector.created".to_owned()));

    // beta's admin through acme's connector: refused, recorded in acme's chain.
    let (status, reply) = sign_in(&server, "acme-sso", Some("acme"), "beta-admin");
    assert_eq!(status, 403);
    reply.assert_problem(403, "wrong_org");
    let last = admin.all("/v1/orgs/acme/audit");
    assert_eq!(last.last().unwrap()["action"], "account.login_failed");
    assert_eq!(last.last().unwrap()["details"]["reason"], "wrong_org");
}

/// The device flow (RFC 8628): the code entered on "another device" (the browser script), the
/// client's polls paced (`slow_down` when too soon), the token handed out once; an unfinished
/// sign-in expires (`expired_token`).
fn device_flow_gives_a_token_and_paces_its_polls(backend: Backend) {
    let server = TestServer::on(backend);
    let provider = provider_for(
        &server,
        json!({"ann": user("ann@vendor.example", &["support"])}),
        json!({}),
    );
    server
        .operator()
        .post(
            "/v1/auth/connectors",
            connector(
                "corp",
                &provider.issuer,
                json!({"flows": ["browser", "device"]}),
            ),
        )
        .assert_ok();
    let ann = create_support(&server, "ann@vendor.example");
    let anonymous = server.anonymous();
    let start = || {
        let reply = anonymous.post(
            "/v1/auth/login",
            json!({"connector": "corp", "flow": "device"}),
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body
    };
    let started = start();
    let flow = started["flow_id"].as_str().unwrap().to_owned();
    assert!(started["user_code"].is_string());
    assert!(started.get("url").is_none());
    let first = token_reply(&server, &flow);
    assert_eq!(first.status, 202, "{}", first.body);
    // At once again: too soon.
    token_reply(&server, &flow).assert_problem(429, "slow_down");

    let page = browse(
        started["verification_uri_complete"].as_str().unwrap(),
        "ann",
    );
    assert_eq!(page.status, 200, "{}", page.body);
    // Poll at the pace asked until the token comes (the provider paces its own polls too).
    let mut interval = started["interval"].as_i64().unwrap() + 5;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let token = loop {
        assert!(std::time::Instant::now() < deadline, "no token");
        server.advance(interval + 1);
        std::thread::sleep(std::time::Duration::from_secs(1));
        let reply = token_reply(&server, &flow);
        match reply.status {
            202 => interval = reply.body["interval"].as_i64().unwrap(),
            200 => break reply.body["token"].as_str().unwrap().to_owned(),
            _ => panic!("{}", reply.body),
        }
    };
    let me = server.as_token(&token).get("/v1/me");
    assert_eq!(me.body["id"], ann.id.as_str());
    token_reply(&server, &flow).assert_problem(410, "flow_used");

    // A sign-in nobody completes expires.
    let started = start();
    let flow = started["flow_id"].as_str().unwrap().to_owned();
    server.advance(601);
    token_reply(&server, &flow).assert_problem(410, "expired_token");
    token_reply(&server, &flow).assert_problem(410, "expired_token");
    let failed = vendor_actions(&server)
        .iter()
        .filter(|action| *action == "account.login_failed")
        .count();
    assert_eq!(failed, 1, "one event for the expiry");
}

/// `approval_max_auth_age_seconds`: unset, a static token approves; once set, approving,
/// extending and changing the policy need a sign-in at the provider at most that old (403
/// `reauthentication_required`, nothing written), measured by the server's clock; dropping it
/// is a weakening that needs as many admins as the policy asks.
fn approvals_need_a_sign_in_as_recent_as_the_policy_asks(backend: Backend) {
    let server = TestServer::on(backend);
    let provider = provider_for(
        &server,
        json!({
            "first": user("first@acme.test", &["acme-admins"]),
            "second": user("second@acme.test", &["acme-admins"]),
        }),
        json!({}),
    );
    let mut body = connector("acme-sso", &provider.issuer, json!({}));
    body["rules"] = json!([{"claim": "groups", "value": "acme-admins", "role": "admin"}]);
    server
        .admin()
        .post("/v1/orgs/acme/auth/connectors", body)
        .assert_ok();
    create_account(&server, "first@acme.test", "admin", Some(ACME));
    let second =
        server.as_token(&create_account(&server, "second@acme.test", "admin", Some(ACME)).token);
    let support = server.support();
    let file = |reason: &str| {
        let reply = support.post(
            "/v1/orgs/acme/requests",
            json!({"level": "read-only", "reason": reason}),
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    };
    let approve = |api: &crate::common::harness::Api, id: &str| {
        api.post(&format!("/v1/orgs/acme/requests/{id}/approve"), json!({}))
    };
    let extend = |api: &crate::common::harness::Api, grant: &str| {
        api.post(
            &format!("/v1/orgs/acme/grants/{grant}/extend"),
            json!({"duration_seconds": 600}),
        )
    };
    let policy = || server.admin().get("/v1/orgs/acme/policy").body;

    // Unset: a static token approves.
    let first_request = file("unset");
    let approved = approve(&second, &first_request);
    assert_eq!(approved.body["status"], "approved", "{}", approved.body);
    let grant = approved.body["grant_id"].as_str().unwrap().to_owned();
    let mut document = policy();
    document["approval_max_auth_age_seconds"] = json!(300);
    document["approvals_required"]["admin"] = json!(2);
    let set = put_policy(&second, ACME, &document);
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["approval_max_auth_age_seconds"], 300);
    let updated = with_action(&audit(&server.admin(), ACME), "policy.updated")
        .last()
        .map(|event| event["details"]["changed"]["approval_max_auth_age_seconds"].clone());
    assert_eq!(updated, Some(json!({"before": null, "after": 300})));

    // Set: the static token is refused everywhere it guards, and nothing is written.
    let pending = file("set");
    let before = snapshot(&server);
    approve(&second, &pending).assert_problem(403, "reauthentication_required");
    extend(&second, &grant).assert_problem(403, "reauthentication_required");
    let mut tighter = policy();
    tighter["require_ticket"] = json!(true);
    put_policy(&second, ACME, &tighter).assert_problem(403, "reauthentication_required");
    assert_eq!(snapshot(&server), before);

    // Fresh sign-ins approve, extend and propose.
    let signed_in = |login: &str| {
        let (status, reply) = sign_in(&server, "acme-sso", Some(ACME), login);
        assert_eq!((status, reply.status), (200, 200), "{}", reply.body);
        server.as_token(reply.body["token"].as_str().unwrap())
    };
    let (first, second) = (signed_in("first"), signed_in("second"));
    assert_eq!(approve(&first, &pending).body["status"], "approved");
    extend(&first, &grant).assert_ok();
    // Dropping the requirement weakens it: with two approvals asked for admin, it waits for a
    // second admin.
    let mut dropped = policy();
    dropped["approval_max_auth_age_seconds"] = Value::Null;
    let proposed = put_policy(&first, ACME, &dropped);
    assert_eq!(proposed.status, 202, "{}", proposed.body);
    assert_eq!(
        proposed.body["weakens"],
        json!(["approval_max_auth_age_seconds"])
    );
    assert_eq!(policy()["approval_max_auth_age_seconds"], 300);

    // The same sign-ins, once older than the policy allows on the server's clock (which stood
    // still while the provider's went on: the sign-ins happened up to `behind` after it).
    let behind = jiff::Timestamp::now().as_second() - now(&server).as_second();
    server.advance(behind.max(0) + 301);
    let late = file("late");
    let before = snapshot(&server);
    approve(&first, &late).assert_problem(403, "reauthentication_required");
    extend(&first, &grant).assert_problem(403, "reauthentication_required");
    second
        .post(
            "/v1/orgs/acme/policy/pending/approve",
            json!({"id": proposed.body["id"]}),
        )
        .assert_problem(403, "reauthentication_required");
    assert_eq!(snapshot(&server), before);
}

/// Sign-ins are kept an hour past their expiry (a late poll still hears that the sign-in
/// expired), then the sweep deletes them; starting one writes only its own row.
fn the_sweep_deletes_sign_ins_an_hour_after_they_expired(backend: Backend) {
    let server = TestServer::on(backend);
    let provider = provider_for(&server, json!({}), json!({}));
    server
        .operator()
        .post(
            "/v1/auth/connectors",
            connector("corp", &provider.issuer, json!({})),
        )
        .assert_ok();
    // A browser sign-in expires 10 minutes after it started.
    let (oldest, _) = start(&server, "corp", None);
    server.advance(1800);
    let (older, _) = start(&server, "corp", None);
    server.advance(600 + 3600 - 1800 + 1);
    let (recent, _) = start(&server, "corp", None);
    sweep_now(&server);
    // Expired over an hour ago: gone.
    token_reply(&server, &oldest).assert_problem(404, "not_found");
    // Expired, not an hour ago yet: still answers that it expired.
    token_reply(&server, &older).assert_problem(410, "expired_token");
    assert_eq!(token_reply(&server, &recent).status, 202);
}
