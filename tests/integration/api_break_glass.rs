//! Break-glass access: an engineer's emergency request, confirmed by an operator, starts a grant
//! at once; every webhook of the org is told; the org's admins acknowledge it or dispute it
//! (which revokes it at once). Refusals write nothing; races end with one outcome.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use crate::api_webhooks::add_webhook;
use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, TestServer};

use crate::common::receiver::{Receiver, verify_with_svix};

crate::common::conformance::conformance! {
    a_confirmed_request_starts_a_grant_listed_first_until_acknowledged,
    a_dispute_revokes_the_grant_and_ends_its_sessions_at_once,
    every_bad_input_is_refused_and_writes_nothing,
    turning_break_glass_on_waits_for_the_admins_when_approvals_guard,
    every_webhook_of_the_org_receives_grant_break_glass,
    confirm_racing_cancel_has_one_outcome,
    dispute_racing_acknowledge_has_one_outcome,
}

const WAIT: Duration = Duration::from_secs(10);

/// Turns break-glass on for acme (one approval per level, so it applies at once).
pub fn allow_break_glass(server: &TestServer, max_level: &str, max_seconds: i64) -> Value {
    crate::api_policy::change(server, |p| {
        p["break_glass"] =
            json!({"allowed": true, "max_level": max_level, "max_duration_seconds": max_seconds});
    })
}

/// Files a break-glass request as `engineer`; returns its id.
pub fn file_break_glass(engineer: &Api, body: Value) -> String {
    let mut body = body;
    body["break_glass"] = json!(true);
    let reply = engineer.post("/v1/orgs/acme/requests", body);
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["break_glass"], true);
    assert_eq!(reply.body["status"], "pending");
    reply.body["id"].as_str().unwrap().to_owned()
}

/// Confirms request `id` as `operator`; returns its grant's id.
pub fn confirm(operator: &Api, id: &str) -> String {
    let reply = operator.post(
        &format!("/v1/orgs/acme/requests/{id}/confirm"),
        json!({"comment": "INC-1 verified"}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "approved");
    reply.body["grant_id"].as_str().unwrap().to_owned()
}

fn a_confirmed_request_starts_a_grant_listed_first_until_acknowledged(backend: Backend) {
    let server = TestServer::on(backend);
    let (admin, engineer, operator) = (admin(&server), support(&server), operator(&server));
    allow_break_glass(&server, "member", 2 * HOUR);
    let request = file_break_glass(
        &engineer,
        json!({"level": "member", "areas": ["chats"], "reason": "INC-1: outage", "ticket": "INC-1"}),
    );
    // Without a duration, the longest the policy allows a break-glass grant.
    assert_eq!(
        admin.get(&format!("/v1/orgs/acme/requests/{request}")).body["duration_seconds"],
        2 * HOUR
    );
    let grant_id = confirm(&operator, &request);
    // A normal grant made afterwards is newer, yet listed after the unacknowledged one.
    let normal = admin.grant(json!({"level": "read-only", "reason": "routine"}));
    let grant = get_grant(&admin, ACME, &grant_id);
    assert_eq!(grant["break_glass"], true);
    assert_eq!(grant["acknowledged"], false);
    assert_eq!(grant["review"], Value::Null);
    assert_eq!(grant["status"], "active");
    assert_eq!(grant["engineers"], json!([SUPPORT_EMAIL]));
    assert_eq!(grant["created_by"], OPERATOR_EMAIL);
    assert_eq!(grant["request_id"], request.as_str());
    assert_eq!(lifetime_seconds(&grant), 2 * HOUR);
    let normal_grant = get_grant(&admin, ACME, &normal);
    assert_eq!(normal_grant["break_glass"], false);
    assert_eq!(normal_grant["acknowledged"], Value::Null);
    let listed = ids(&admin.all("/v1/orgs/acme/grants?status=all"));
    assert_eq!(listed, [grant_id.clone(), normal.clone()]);
    // Pages of one keep the order, the cursor crossing from the first part to the rest.
    let first = admin.get("/v1/orgs/acme/grants?limit=1&count=true");
    assert_eq!(
        ids(first.body["items"].as_array().unwrap()),
        [grant_id.as_str()]
    );
    assert_eq!(first.body["total"]["count"], 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = admin.get(&format!("/v1/orgs/acme/grants?limit=1&cursor={cursor}"));
    assert_eq!(
        ids(second.body["items"].as_array().unwrap()),
        [normal.as_str()]
    );
    assert_eq!(second.body["next_cursor"], Value::Null);
    // The engineer uses it like any grant.
    let (_, token) = engineer.open(json!({"grant_id": grant_id, "reason": "fix"}));
    assert_active(&server, &token);

    let acknowledged = admin.post_empty(&format!("/v1/orgs/acme/grants/{grant_id}/acknowledge"));
    acknowledged.assert_ok();
    assert_eq!(acknowledged.body["acknowledged"], true);
    assert_eq!(acknowledged.body["review"]["outcome"], "acknowledged");
    assert_eq!(acknowledged.body["review"]["by"], ADMIN_EMAIL);
    assert_eq!(acknowledged.body["status"], "active");
    assert_eq!(get_grant(&admin, ACME, &grant_id), acknowledged.body);
    assert_active(&server, &token);
    let listed = ids(&admin.all("/v1/orgs/acme/grants?status=all"));
    assert_eq!(listed, [normal, grant_id.clone()]);

    let events = audit(&admin, ACME);
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("request.") || a.starts_with("grant."))
        .collect();
    assert_eq!(
        actions,
        [
            "request.created",
            "request.confirmed",
            "grant.break_glass",
            "grant.created",
            "grant.acknowledged"
        ]
    );
    let created = &with_action(&events, "request.created")[0];
    assert_eq!(created["details"]["break_glass"], true);
    let confirmed = &with_action(&events, "request.confirmed")[0];
    assert_eq!(confirmed["actor"]["email"], OPERATOR_EMAIL);
    assert_eq!(confirmed["details"]["grant_id"], grant_id.as_str());
    assert_eq!(confirmed["details"]["comment"], "INC-1 verified");
    let started = &with_action(&events, "grant.break_glass")[0];
    assert_eq!(started["target"], grant_id.as_str());
    assert_eq!(started["details"]["requested_by"], SUPPORT_EMAIL);
    assert_eq!(started["details"]["request_id"], request.as_str());
    assert_eq!(started["details"]["level"], "member");
    // The events are found by the grant, the confirmation by the request too.
    let by_grant = admin.all(&format!("/v1/orgs/acme/audit?grant={grant_id}"));
    let by_grant: Vec<&str> = by_grant
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(by_grant.contains(&"grant.break_glass") && by_grant.contains(&"grant.acknowledged"));
    supportctl::api::chain::verify_chain(&events).unwrap();
}

fn a_dispute_revokes_the_grant_and_ends_its_sessions_at_once(backend: Backend) {
    let server = TestServer::on(backend);
    let (admin, engineer, operator) = (admin(&server), support(&server), operator(&server));
    allow_break_glass(&server, "admin", HOUR);
    let request = file_break_glass(
        &engineer,
        json!({"level": "admin", "duration_seconds": 1800, "reason": "INC-2"}),
    );
    let grant = confirm(&operator, &request);
    let (session, token) = engineer.open(json!({"grant_id": grant, "reason": "fix"}));
    assert_active(&server, &token);
    let disputed = admin.post(
        &format!("/v1/orgs/acme/grants/{grant}/dispute"),
        json!({"reason": "we had no outage"}),
    );
    disputed.assert_ok();
    assert_eq!(disputed.body["status"], "revoked");
    assert_eq!(disputed.body["revoked_by"], ADMIN_EMAIL);
    assert_eq!(disputed.body["revoke_reason"], "we had no outage");
    assert_eq!(disputed.body["acknowledged"], true);
    assert_eq!(disputed.body["review"]["outcome"], "disputed");
    assert_eq!(disputed.body["review"]["reason"], "we had no outage");
    assert_eq!(get_grant(&admin, ACME, &grant), disputed.body);
    // Once the dispute answered, nothing of it is active.
    assert_ended(&server, &token);
    assert_eq!(
        admin.get(&format!("/v1/sessions/{session}")).body["status"],
        "revoked"
    );
    let extended = admin.post(
        &format!("/v1/orgs/acme/grants/{grant}/extend"),
        json!({"duration_seconds": 60}),
    );
    extended.assert_problem(409, "conflict");

    let events = events_for(&admin, ACME, "grant.disputed", &grant);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["details"]["reason"], "we had no outage");
    let revoked = events_for(&admin, ACME, "grant.revoked", &grant);
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["details"]["disputed"], true);
    assert_eq!(revoked[0]["details"]["sessions_ended"], 1);
}

fn every_bad_input_is_refused_and_writes_nothing(backend: Backend) {
    let server = TestServer::on(backend);
    let (admin, engineer, operator) = (admin(&server), support(&server), operator(&server));
    let ask = |body: Value| engineer.post("/v1/orgs/acme/requests", body);

    // Off unless the policy allows it.
    let before = snapshot(&server);
    let refused = ask(json!({"level": "read-only", "reason": "x", "break_glass": true}));
    refused.assert_problem(422, "policy_violation");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("break_glass.allowed: false"),
        "{}",
        refused.body
    );
    assert_eq!(snapshot(&server), before);

    allow_break_glass(&server, "member", HOUR);
    let before = snapshot(&server);
    for (body, rule) in [
        (
            json!({"level": "admin", "reason": "x", "break_glass": true}),
            "break_glass.max_level",
        ),
        (
            json!({"level": "member", "duration_seconds": 3601, "reason": "x", "break_glass": true}),
            "break_glass.max_duration_seconds",
        ),
    ] {
        let refused = ask(body);
        refused.assert_problem(422, "policy_violation");
        assert!(
            refused.body["detail"].as_str().unwrap().contains(rule),
            "{}",
            refused.body
        );
    }
    // A policy may not allow break-glass grants longer than 4 hours.
    let mut document = crate::api_policy::policy(&server);
    document["break_glass"]["max_duration_seconds"] = json!(4 * HOUR + 1);
    crate::api_policy::put(&admin, ACME, &document).assert_problem(422, "invalid_request");
    assert_eq!(snapshot(&server), before);

    let request = file_break_glass(&engineer, json!({"level": "member", "reason": "INC-3"}));
    let confirm_path = format!("/v1/orgs/acme/requests/{request}/confirm");
    let beta = create_org_with_admin(&server, "beta");
    let before = snapshot(&server);
    // Only an operator confirms: never the engineer who filed it, nor an org admin.
    engineer
        .post_empty(&confirm_path)
        .assert_problem(403, "forbidden");
    admin
        .post_empty(&confirm_path)
        .assert_problem(403, "forbidden");
    // Other orgs' requests and grants are not found.
    operator
        .post_empty(&format!("/v1/orgs/beta/requests/{request}/confirm"))
        .assert_problem(404, "not_found");
    operator
        .post_empty(&format!(
            "/v1/orgs/acme/requests/{}/confirm",
            unknown_id("rq_")
        ))
        .assert_problem(404, "not_found");
    assert_eq!(snapshot(&server), before);
    // A normal request is the admins' to approve.
    let normal = ask(json!({"level": "read-only", "reason": "routine"}));
    assert_eq!(normal.status, 201);
    let normal_id = normal.body["id"].as_str().unwrap();
    let before = snapshot(&server);
    operator
        .post_empty(&format!("/v1/orgs/acme/requests/{normal_id}/confirm"))
        .assert_problem(409, "conflict");
    let long = operator.post(&confirm_path, json!({"comment": "x".repeat(1001)}));
    long.assert_problem(400, "invalid_request");
    assert_eq!(snapshot(&server), before);

    // Confirmed twice: the second is refused.
    let grant = confirm(&operator, &request);
    let before = snapshot(&server);
    let twice = operator.post_empty(&confirm_path);
    twice.assert_problem(409, "conflict");
    assert!(
        twice.body["detail"].as_str().unwrap().contains("approved"),
        "{}",
        twice.body
    );
    // Acknowledging a normal grant; an unknown grant; another org's grant.
    let direct = admin.grant(json!({"level": "read-only", "reason": "r"}));
    let before_direct = snapshot(&server);
    admin
        .post_empty(&format!("/v1/orgs/acme/grants/{direct}/acknowledge"))
        .assert_problem(409, "conflict");
    admin
        .post(
            &format!("/v1/orgs/acme/grants/{direct}/dispute"),
            json!({"reason": "x"}),
        )
        .assert_problem(409, "conflict");
    admin
        .post_empty(&format!(
            "/v1/orgs/acme/grants/{}/acknowledge",
            unknown_id("gr_")
        ))
        .assert_problem(404, "not_found");
    let beta_admin = client(&server, &beta.token);
    beta_admin
        .post_empty(&format!("/v1/orgs/acme/grants/{grant}/acknowledge"))
        .assert_problem(404, "not_found");
    beta_admin
        .post(
            &format!("/v1/orgs/acme/grants/{grant}/dispute"),
            json!({"reason": "x"}),
        )
        .assert_problem(404, "not_found");
    beta_admin
        .post(
            &format!("/v1/orgs/beta/grants/{grant}/dispute"),
            json!({"reason": "x"}),
        )
        .assert_problem(404, "not_found");
    // Only org admins answer: not the engineer, not the operator.
    engineer
        .post_empty(&format!("/v1/orgs/acme/grants/{grant}/acknowledge"))
        .assert_problem(403, "forbidden");
    operator
        .post_empty(&format!("/v1/orgs/acme/grants/{grant}/acknowledge"))
        .assert_problem(403, "forbidden");
    // A dispute needs a reason.
    for body in [
        json!({}),
        json!({"reason": "  "}),
        json!({"reason": "x", "y": 1}),
    ] {
        let reply = admin.post(&format!("/v1/orgs/acme/grants/{grant}/dispute"), body);
        assert!(
            [400, 422].contains(&reply.status),
            "{} {}",
            reply.status,
            reply.body
        );
    }
    assert_eq!(snapshot(&server), before_direct);
    drop(before);

    // Disputed twice: the second is refused, and so is an acknowledgement after it.
    let dispute = format!("/v1/orgs/acme/grants/{grant}/dispute");
    admin.post(&dispute, json!({"reason": "no"})).assert_ok();
    let before = snapshot(&server);
    let again = admin.post(&dispute, json!({"reason": "no"}));
    again.assert_problem(409, "conflict");
    assert!(
        again.body["detail"]
            .as_str()
            .unwrap()
            .contains("already disputed"),
        "{}",
        again.body
    );
    admin
        .post_empty(&format!("/v1/orgs/acme/grants/{grant}/acknowledge"))
        .assert_problem(409, "conflict");
    assert_eq!(snapshot(&server), before);

    // Confirmed after its request expired.
    let lapsing = file_break_glass(&engineer, json!({"level": "read-only", "reason": "INC-4"}));
    server.advance(12 * HOUR + 1);
    // The expiry sweep records what lapsed in the background: let it finish before comparing.
    let lapsed = |server: &TestServer| {
        server
            .admin()
            .all("/v1/orgs/acme/audit")
            .iter()
            .filter(|event| {
                event["action"] == "request.expired"
                    && [lapsing.as_str(), normal_id].contains(&event["target"].as_str().unwrap())
            })
            .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while lapsed(&server) < 2 {
        assert!(std::time::Instant::now() < deadline, "the sweep never ran");
        thread::sleep(Duration::from_millis(50));
    }
    let before = snapshot(&server);
    let late = operator.post_empty(&format!("/v1/orgs/acme/requests/{lapsing}/confirm"));
    late.assert_problem(409, "conflict");
    assert!(
        late.body["detail"].as_str().unwrap().contains("expired"),
        "{}",
        late.body
    );
    // Break-glass turned off after filing: the confirmation is refused by the policy.
    let filed = file_break_glass(&engineer, json!({"level": "read-only", "reason": "INC-5"}));
    crate::api_policy::change(&server, |p| p["break_glass"]["allowed"] = json!(false));
    let before_off = snapshot(&server);
    operator
        .post_empty(&format!("/v1/orgs/acme/requests/{filed}/confirm"))
        .assert_problem(422, "policy_violation");
    assert_eq!(snapshot(&server), before_off);
    drop(before);
}

fn turning_break_glass_on_waits_for_the_admins_when_approvals_guard(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let second = create_account(&server, "second@acme.test", "admin", Some(ACME));
    let guarded =
        crate::api_policy::change(&server, |p| p["approvals_required"]["admin"] = json!(2));
    let mut on = guarded.clone();
    on["break_glass"] =
        json!({"allowed": true, "max_level": "read-only", "max_duration_seconds": 600});
    let proposed = crate::api_policy::put(&admin, ACME, &on);
    assert_eq!(proposed.status, 202, "{}", proposed.body);
    assert_eq!(proposed.body["weakens"], json!(["break_glass.allowed"]));
    // Still off until the second admin approves.
    let engineer = support(&server);
    engineer
        .post(
            "/v1/orgs/acme/requests",
            json!({"level": "read-only", "reason": "x", "break_glass": true}),
        )
        .assert_problem(422, "policy_violation");
    client(&server, &second.token)
        .post(
            "/v1/orgs/acme/policy/pending/approve",
            json!({"id": proposed.body["id"]}),
        )
        .assert_ok();
    let policy = crate::api_policy::policy(&server);
    assert_eq!(policy["break_glass"]["allowed"], true);
    file_break_glass(&engineer, json!({"level": "read-only", "reason": "INC-6"}));
    // Raising its level is a weakening too; lowering it, or turning it off, is not.
    let mut wider = policy.clone();
    wider["break_glass"]["max_level"] = json!("member");
    let proposed = crate::api_policy::put(&admin, ACME, &wider);
    assert_eq!(proposed.status, 202, "{}", proposed.body);
    assert_eq!(proposed.body["weakens"], json!(["break_glass.max_level"]));
    let mut off = policy;
    off["break_glass"]["allowed"] = json!(false);
    let applied = crate::api_policy::put(&admin, ACME, &off);
    assert_eq!(applied.status, 200, "{}", applied.body);
    let updated = with_action(&audit(&admin, ACME), "policy.updated")
        .last()
        .map(|e| (*e).clone())
        .unwrap();
    assert_eq!(
        updated["details"]["changed"]["break_glass"]["after"]["allowed"], false,
        "{updated}"
    );
}

fn every_webhook_of_the_org_receives_grant_break_glass(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let (admin, engineer, operator) = (admin(&server), support(&server), operator(&server));
    // One webhook takes only requests, another nothing at all, a third posts to a chat.
    let (_, requests_secret) = add_webhook(
        &admin,
        &format!("{}/requests", receiver.url),
        json!({"events": ["request.*"]}),
    );
    add_webhook(
        &admin,
        &format!("{}/nothing", receiver.url),
        json!({"events": ["none.none"]}),
    );
    add_webhook(
        &admin,
        &format!("{}/chat", receiver.url),
        json!({"format": "slack", "events": ["session.*"]}),
    );
    allow_break_glass(&server, "member", HOUR);
    let request = file_break_glass(
        &engineer,
        json!({"level": "member", "reason": "<!channel> ack at <https://evil.example|here>"}),
    );
    let grant = confirm(&operator, &request);
    let received = receiver.wait_for(WAIT, |r| {
        ["/requests", "/nothing", "/chat"].iter().all(|path| {
            r.iter().any(|r| {
                r.path == *path
                    && (r.json()["type"] == "grant.break_glass"
                        || r.json()["text"]
                            .as_str()
                            .is_some_and(|t| t.starts_with("BREAK-GLASS")))
            })
        })
    });
    for path in ["/requests", "/nothing"] {
        let alarm: Vec<_> = received
            .iter()
            .filter(|r| r.path == path && r.json()["type"] == "grant.break_glass")
            .cloned()
            .collect();
        assert_eq!(alarm.len(), 1, "{path}");
        let data = &alarm[0].json()["data"];
        assert_eq!(data["target"], grant.as_str());
        assert_eq!(data["action"], "grant.break_glass");
        assert_eq!(
            data,
            &events_for(&admin, ACME, "grant.break_glass", &grant)[0]
        );
        if path == "/requests" {
            assert_eq!(verify_with_svix(&alarm, &[&requests_secret], &[]), 1);
        }
    }
    // The webhook that takes nothing got the alarm and nothing else.
    assert!(
        received
            .iter()
            .filter(|r| r.path == "/nothing")
            .all(|r| r.json()["type"] == "grant.break_glass")
    );
    let chat: Vec<String> = received
        .iter()
        .filter(|r| r.path == "/chat")
        .map(|r| r.json()["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(chat.len(), 1, "{chat:?}");
    let text = &chat[0];
    assert!(!text.contains('<') && !text.contains('>'), "{text}");
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
    assert!(
        text.contains(&format!("supportctl grant dispute {grant} --org acme")),
        "{text}"
    );
}

/// The engineer cancels while an operator confirms, on as many threads: exactly one wins;
/// a grant exists if and only if the confirmation did.
fn confirm_racing_cancel_has_one_outcome(backend: Backend) {
    let server = TestServer::on(backend);
    let (admin, engineer) = (admin(&server), support(&server));
    allow_break_glass(&server, "member", HOUR);
    for round in 0..4 {
        let request = file_break_glass(
            &engineer,
            json!({"level": "read-only", "reason": format!("race {round}")}),
        );
        let (by_operator, by_engineer) = (server.operator(), server.support());
        let confirm_path = format!("/v1/orgs/acme/requests/{request}/confirm");
        let cancel_path = format!("/v1/requests/{request}/cancel");
        let (confirmed, cancelled) = race(
            move || by_operator.post_empty(&confirm_path).status,
            move || by_engineer.post_empty(&cancel_path).status,
        );
        let outcome = admin.get(&format!("/v1/orgs/acme/requests/{request}")).body;
        match (confirmed, cancelled) {
            (200, 409) => {
                assert_eq!(outcome["status"], "approved");
                let grant = outcome["grant_id"].as_str().unwrap();
                assert_eq!(get_grant(&admin, ACME, grant)["status"], "active");
            }
            (409, 200) => {
                assert_eq!(outcome["status"], "cancelled");
                assert_eq!(outcome["grant_id"], Value::Null);
            }
            other => panic!("not exactly one outcome: {other:?}"),
        }
    }
    let grants = admin.all("/v1/orgs/acme/grants?status=all");
    let approved = admin.all("/v1/orgs/acme/requests?status=approved");
    assert_eq!(grants.len(), approved.len());
}

/// Two admins answer one break-glass grant at once, one acknowledging, one disputing: exactly
/// one answer stands, and after a committed dispute nothing of the grant is active.
fn dispute_racing_acknowledge_has_one_outcome(backend: Backend) {
    let server = TestServer::on(backend);
    let (admin, engineer, operator) = (admin(&server), support(&server), operator(&server));
    let second = create_account(&server, "second@acme.test", "admin", Some(ACME));
    allow_break_glass(&server, "member", HOUR);
    for round in 0..4 {
        let request = file_break_glass(
            &engineer,
            json!({"level": "read-only", "reason": format!("race {round}")}),
        );
        let grant = confirm(&operator, &request);
        let (_, token) = engineer.open(json!({"grant_id": grant, "reason": "fix"}));
        let (first, other) = (server.admin(), server.as_token(&second.token));
        let acknowledge = format!("/v1/orgs/acme/grants/{grant}/acknowledge");
        let dispute = format!("/v1/orgs/acme/grants/{grant}/dispute");
        let (acknowledged, disputed) = race(
            move || first.post_empty(&acknowledge).status,
            move || other.post(&dispute, json!({"reason": "no"})).status,
        );
        let answered = get_grant(&admin, ACME, &grant);
        match (acknowledged, disputed) {
            (200, 409) => {
                assert_eq!(answered["review"]["outcome"], "acknowledged");
                assert_eq!(answered["status"], "active");
                assert_active(&server, &token);
            }
            (409, 200) => {
                assert_eq!(answered["review"]["outcome"], "disputed");
                assert_eq!(answered["status"], "revoked");
                assert_ended(&server, &token);
            }
            other => panic!("not exactly one outcome: {other:?}"),
        }
        let answers = ["grant.acknowledged", "grant.disputed"]
            .iter()
            .map(|action| events_for(&admin, ACME, action, &grant).len())
            .sum::<usize>();
        assert_eq!(answers, 1);
    }
}

/// Runs `a` and `b` on two threads released together; their results.
fn race<A: Send + 'static, B: Send + 'static>(
    a: impl FnOnce() -> A + Send + 'static,
    b: impl FnOnce() -> B + Send + 'static,
) -> (A, B) {
    let barrier = Arc::new(Barrier::new(2));
    let first = {
        let barrier = barrier.clone();
        thread::spawn(move || {
            barrier.wait();
            a()
        })
    };
    let second = thread::spawn(move || {
        barrier.wait();
        b()
    });
    (first.join().unwrap(), second.join().unwrap())
}
