//! `?dry_run=true`: every change that can preview itself answers what it would do, refuses
//! exactly as the real call would, and leaves no trace: no row, no audit event, no webhook
//! delivery, no move of the chain's head.

use std::rc::Rc;

use serde_json::{Value, json};

use crate::api_policy::{put, put_path};
use crate::api_webhooks::add_webhook;
use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, Reply, TestServer};

crate::common::conformance::conformance! {
    a_dry_run_grant_is_the_grant_that_would_be_created_and_nothing_more,
    dry_run_extend_and_revoke_show_the_grant_as_it_would_be,
    dry_run_bulk_revoke_counts_what_it_would_revoke_and_end,
    dry_run_approve_and_deny_show_the_decision_without_taking_it,
    a_dry_run_policy_is_the_one_that_would_be_in_force,
    refused_dry_runs_answer_exactly_as_the_real_call,
}

/// Everything a dry run must leave as it was, as its readers see it.
#[derive(Debug, PartialEq)]
struct State {
    snapshot: Snapshot,
    requests: Vec<Value>,
    policy: Value,
    deliveries: Vec<String>,
}

fn state(server: &TestServer, webhook: &str) -> State {
    let admin = admin(server);
    let mut deliveries = ids(&admin.all(&format!("/v1/orgs/acme/webhooks/{webhook}/deliveries")));
    deliveries.sort();
    State {
        snapshot: snapshot(server),
        requests: admin.all("/v1/orgs/acme/requests?status=all"),
        policy: admin.get("/v1/orgs/acme/policy").body,
        deliveries,
    }
}

/// A server whose acme org has a webhook for every event (its deliveries are the outbox rows
/// a change would add; the receiver need not exist).
fn server_with_webhook(backend: Backend) -> (TestServer, String) {
    let server = TestServer::on(backend);
    let (webhook, _) = add_webhook(&admin(&server), "http://127.0.0.1:9/hook", json!({}));
    (server, webhook)
}

fn dry(path: &str) -> String {
    format!("{path}?dry_run=true")
}

/// The chain goes on from where it was: the next real change's event follows the newest one
/// there was before the dry runs, so they never moved the head.
fn assert_chain_continues(server: &TestServer, before: &State) {
    let last = before
        .snapshot
        .audit
        .iter()
        .max_by_key(|e| e["seq"].as_i64())
        .unwrap();
    admin(server).grant(json!({"level": "read-only", "reason": "after the dry runs"}));
    let events = audit(&admin(server), ACME);
    let next = events
        .iter()
        .find(|e| e["seq"].as_i64() == Some(last["seq"].as_i64().unwrap() + 1))
        .expect("the next event");
    assert_eq!(next["prev_hash"], last["hash"]);
    assert_eq!(next["action"], "grant.created");
}

fn a_dry_run_grant_is_the_grant_that_would_be_created_and_nothing_more(backend: Backend) {
    let (server, webhook) = server_with_webhook(backend);
    let admin = admin(&server);
    let before = state(&server, &webhook);
    let body = json!({
        "level": "member",
        "areas": ["chats", "issues"],
        "duration_seconds": 4 * 3600,
        "reason": "Ticket 4821",
        "ticket": "SUP-4821",
        "engineers": [SUPPORT_EMAIL],
    });

    let preview = admin.post(&dry("/v1/orgs/acme/grants"), &body);
    assert_eq!(preview.status, 200, "{}", preview.body);
    let grant = &preview.body;
    assert_eq!(grant["level"], "member");
    assert_eq!(grant["areas"], json!(["chats", "issues"]));
    assert_eq!(grant["engineers"], json!([SUPPORT_EMAIL]));
    assert_eq!(grant["status"], "active");
    assert_eq!(grant["created_by"], ADMIN_EMAIL);
    assert_eq!(ts(&grant["expires_at"]), plus(now(&server), 4 * 3600));
    let id = grant["id"].as_str().unwrap();
    assert!(id.starts_with("gr_"), "{id}");
    assert_eq!(state(&server, &webhook), before);
    admin
        .get(&format!("/v1/orgs/acme/grants/{id}"))
        .assert_problem(404, "not_found");
    // `dry_run=false` is the real call.
    let real = admin.post("/v1/orgs/acme/grants?dry_run=false", &body);
    assert_eq!(real.status, 201, "{}", real.body);
    for field in [
        "level",
        "areas",
        "engineers",
        "expires_at",
        "reason",
        "ticket",
        "status",
    ] {
        assert_eq!(real.body[field], grant[field], "{field}");
    }
    let after = state(&server, &webhook);
    assert_eq!(after.snapshot.audit.len(), before.snapshot.audit.len() + 1);
    assert!(after.deliveries.len() > before.deliveries.len());
}

fn dry_run_extend_and_revoke_show_the_grant_as_it_would_be(backend: Backend) {
    let (server, webhook) = server_with_webhook(backend);
    let admin = admin(&server);
    // Longer than the expiry warning (1 h): no `grant.expiring` delivery comes meanwhile.
    let id = admin.grant(json!({"level": "member", "duration_seconds": 4 * 3600, "reason": "r"}));
    let (_, token) = support(&server).open(json!({"grant_id": id, "reason": "work"}));
    let original = get_grant(&admin, ACME, &id);
    let before = state(&server, &webhook);

    let extended = admin.post(
        &dry(&format!("/v1/orgs/acme/grants/{id}/extend")),
        json!({"duration_seconds": 7200}),
    );
    assert_eq!(extended.status, 200, "{}", extended.body);
    assert_eq!(
        ts(&extended.body["expires_at"]),
        plus(ts(&original["expires_at"]), 7200)
    );

    let revoked = admin.post(
        &dry(&format!("/v1/orgs/acme/grants/{id}/revoke")),
        json!({"reason": "done"}),
    );
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["status"], "revoked");
    assert_eq!(revoked.body["revoked_by"], ADMIN_EMAIL);
    assert_eq!(revoked.body["revoke_reason"], "done");
    assert_eq!(ts(&revoked.body["revoked_at"]), now(&server));

    assert_eq!(state(&server, &webhook), before);
    assert_eq!(get_grant(&admin, ACME, &id), original);
    assert_chain_continues(&server, &before);
    assert_active(&server, &token);
}

fn dry_run_bulk_revoke_counts_what_it_would_revoke_and_end(backend: Backend) {
    let (server, webhook) = server_with_webhook(backend);
    let admin = admin(&server);
    let support = support(&server);
    let used = admin.grant(json!({"level": "member", "reason": "used"}));
    let (_, first) = support.open(json!({"grant_id": used, "reason": "one"}));
    let (_, second) = support.open(json!({"grant_id": used, "reason": "two"}));
    let idle = admin.grant(json!({"level": "member", "reason": "idle"}));
    let gone = admin.grant(json!({"level": "member", "reason": "gone"}));
    revoke(&admin, ACME, &gone).assert_ok();
    let unknown = unknown_id("gr");
    let before = state(&server, &webhook);

    let by_ids = admin.post(
        &dry("/v1/orgs/acme/grants/revoke"),
        json!({"ids": [used, gone, unknown], "reason": "incident"}),
    );
    assert_eq!(by_ids.status, 200, "{}", by_ids.body);
    assert_eq!(strings(&by_ids.body["revoked"]), vec![used.clone()]);
    assert_eq!(
        strings(&by_ids.body["already_inactive"]),
        vec![gone.clone()]
    );
    assert_eq!(strings(&by_ids.body["not_found"]), vec![unknown.clone()]);
    assert_eq!(by_ids.body["sessions_ended"], 2);

    let all = admin.post(&dry("/v1/orgs/acme/grants/revoke"), json!({"all": true}));
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(
        sorted(strings(&all.body["revoked"])),
        sorted(vec![used.clone(), idle])
    );
    assert_eq!(all.body["sessions_ended"], 2);

    assert_eq!(state(&server, &webhook), before);
    assert_chain_continues(&server, &before);
    assert_active(&server, &first);
    assert_active(&server, &second);

    // The real call ends what the dry run said it would.
    let real = admin.post(
        "/v1/orgs/acme/grants/revoke",
        json!({"ids": [used, gone, unknown], "reason": "incident"}),
    );
    assert_eq!(real.body, by_ids.body);
    assert_ended(&server, &first);
}

fn file_request(server: &TestServer) -> String {
    let reply = support(server).post(
        "/v1/orgs/acme/requests",
        json!({"level": "member", "areas": ["chats"], "duration_seconds": 7200, "reason": "Ticket 9"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

fn dry_run_approve_and_deny_show_the_decision_without_taking_it(backend: Backend) {
    let (server, webhook) = server_with_webhook(backend);
    let admin = admin(&server);
    let id = file_request(&server);
    let before = state(&server, &webhook);

    let approved = admin.post(
        &dry(&format!("/v1/orgs/acme/requests/{id}/approve")),
        json!({"comment": "ok", "duration_seconds": 3600}),
    );
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["decided_by"], ADMIN_EMAIL);
    let grant = approved.body["grant_id"].as_str().unwrap();
    admin
        .get(&format!("/v1/orgs/acme/grants/{grant}"))
        .assert_problem(404, "not_found");

    let denied = admin.post(
        &dry(&format!("/v1/orgs/acme/requests/{id}/deny")),
        json!({"comment": "not now"}),
    );
    assert_eq!(denied.status, 200, "{}", denied.body);
    assert_eq!(denied.body["status"], "denied");
    assert_eq!(denied.body["decision_comment"], "not now");

    assert_eq!(state(&server, &webhook), before);
    let request = admin.get(&format!("/v1/orgs/acme/requests/{id}"));
    assert_eq!(request.body["status"], "pending");
    assert_chain_continues(&server, &before);
    // Still pending, so the real approval goes through.
    admin
        .post(&format!("/v1/orgs/acme/requests/{id}/approve"), json!({}))
        .assert_ok();
}

fn a_dry_run_policy_is_the_one_that_would_be_in_force(backend: Backend) {
    let (server, webhook) = server_with_webhook(backend);
    let admin = admin(&server);
    let mut document = admin.get("/v1/orgs/acme/policy").body;
    document["max_grant_duration_seconds"] = json!(7 * 86_400);
    let before = state(&server, &webhook);

    let preview = put_path(&admin, &dry("/v1/orgs/acme/policy"), &document);
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.body["version"], 1);
    assert_eq!(preview.body["max_grant_duration_seconds"], 7 * 86_400);
    assert_eq!(preview.body["updated_by"], ADMIN_EMAIL);

    assert_eq!(state(&server, &webhook), before);
    assert_eq!(before.policy["version"], 0);
    // Nothing moved: the version read before the dry run is still the one to write from.
    let real = put(&admin, ACME, &document);
    assert_eq!(real.status, 200, "{}", real.body);
    assert_eq!(real.body["version"], 1);
}

/// A dry run of a call the server refuses gets the real call's answer (the real one, refused,
/// changes nothing either), and neither leaves a trace.
fn assert_refused_alike(server: &TestServer, webhook: &str, send: impl Fn(bool) -> Reply) {
    let before = state(server, webhook);
    let dry = send(true);
    let real = send(false);
    assert!(
        real.status >= 400,
        "the real call was not refused: {}",
        real.body
    );
    assert_eq!((dry.status, &dry.body), (real.status, &real.body));
    assert_eq!(dry.content_type, "application/problem+json");
    assert_eq!(state(server, webhook), before);
}

fn with_dry_run(path: &str, dry_run: bool) -> String {
    format!("{path}?dry_run={dry_run}")
}

fn refused_dry_runs_answer_exactly_as_the_real_call(backend: Backend) {
    let (server, webhook) = server_with_webhook(backend);
    let admin = admin(&server);
    let post = |api: &Rc<Api>, path: &str, body: Value| {
        let api = Rc::clone(api);
        let path = path.to_owned();
        move |dry_run: bool| api.post(&with_dry_run(&path, dry_run), &body)
    };
    let grants = "/v1/orgs/acme/grants";

    // Over the maximum (30 days), an engineer who does not exist, a role that may not grant.
    let over = json!({"level": "member", "duration_seconds": 45 * 86_400, "reason": "r"});
    assert_refused_alike(&server, &webhook, post(&admin, grants, over.clone()));
    assert_refused_alike(
        &server,
        &webhook,
        post(
            &admin,
            grants,
            json!({"level": "member", "reason": "r", "engineers": ["nobody@vendor.example"]}),
        ),
    );
    assert_refused_alike(&server, &webhook, post(&support(&server), grants, over));

    // A revoked grant cannot be extended; an unknown one cannot be revoked.
    let gone = admin.grant(json!({"level": "member", "reason": "gone"}));
    revoke(&admin, ACME, &gone).assert_ok();
    assert_refused_alike(
        &server,
        &webhook,
        post(
            &admin,
            &format!("{grants}/{gone}/extend"),
            json!({"duration_seconds": 60}),
        ),
    );
    let live = admin.grant(json!({"level": "member", "reason": "live"}));
    assert_refused_alike(
        &server,
        &webhook,
        post(
            &admin,
            &format!("{grants}/{live}/extend"),
            json!({"duration_seconds": 45 * 86_400}),
        ),
    );
    assert_refused_alike(
        &server,
        &webhook,
        post(
            &admin,
            &format!("{grants}/{}/revoke", unknown_id("gr")),
            json!({}),
        ),
    );
    assert_refused_alike(
        &server,
        &webhook,
        post(
            &admin,
            &format!("{grants}/revoke"),
            json!({"ids": [live], "all": true}),
        ),
    );

    // A request already decided can be neither approved nor denied.
    let decided = file_request(&server);
    admin
        .post(
            &format!("/v1/orgs/acme/requests/{decided}/deny"),
            json!({"comment": "no"}),
        )
        .assert_ok();
    let request = format!("/v1/orgs/acme/requests/{decided}");
    assert_refused_alike(
        &server,
        &webhook,
        post(&admin, &format!("{request}/approve"), json!({})),
    );
    assert_refused_alike(
        &server,
        &webhook,
        post(
            &admin,
            &format!("{request}/deny"),
            json!({"comment": "again"}),
        ),
    );
    // Approving wider than asked.
    let pending = file_request(&server);
    assert_refused_alike(
        &server,
        &webhook,
        post(
            &admin,
            &format!("/v1/orgs/acme/requests/{pending}/approve"),
            json!({"level": "admin"}),
        ),
    );

    // Policies that cannot be: a default over the maximum, more approvals than admins, and a
    // version that is no longer current.
    let document = admin.get("/v1/orgs/acme/policy").body;
    let policy_put = |edit: fn(&mut Value)| {
        let mut body = document.clone();
        edit(&mut body);
        let admin = Rc::clone(&admin);
        move |dry_run: bool| {
            put_path(
                &admin,
                &with_dry_run("/v1/orgs/acme/policy", dry_run),
                &body,
            )
        }
    };
    assert_refused_alike(
        &server,
        &webhook,
        policy_put(|p| {
            p["default_grant_duration_seconds"] = p["max_grant_duration_seconds"]
                .as_i64()
                .map(|m| m + 1)
                .into()
        }),
    );
    assert_refused_alike(
        &server,
        &webhook,
        policy_put(|p| p["approvals_required"]["admin"] = json!(5)),
    );
    assert_refused_alike(&server, &webhook, policy_put(|p| p["version"] = json!(7)));
}
