//! Access requests: the engineer asks, the org's admins approve (possibly narrowing, possibly
//! two of them) or deny; every refusal writes nothing; races end with one winner.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use supportctl::api::chain::verify_chain;

use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, TestServer};

crate::common::conformance::conformance! {
    a_request_approved_becomes_a_grant_for_its_requester,
    two_admins_are_needed_when_the_policy_says_two,
    every_bad_input_is_refused_and_writes_nothing,
    a_long_poll_returns_as_soon_as_the_request_is_decided,
    requests_lapse_and_are_cancelled_with_their_engineer_or_org,
    two_admins_approving_at_once_make_one_grant,
    approve_racing_deny_has_one_winner,
    the_chain_stays_whole_under_concurrent_requests_approvals_and_revokes,
}

pub fn file(api: &Api, org: &str, body: Value) -> Value {
    let reply = api.post(&format!("/v1/orgs/{org}/requests"), body);
    assert_eq!(reply.status, 201, "request create failed: {}", reply.body);
    reply.body
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

/// Everything a refused request must leave alone, requests included.
fn state(server: &TestServer) -> (Snapshot, Vec<Value>) {
    (
        snapshot(server),
        admin(server).all("/v1/orgs/acme/requests?status=all"),
    )
}

fn set_policy(server: &TestServer, change: impl FnOnce(&mut Value)) -> Value {
    let admin = admin(server);
    let mut policy = admin.get("/v1/orgs/acme/policy").body;
    change(&mut policy);
    let reply = crate::api_policy::put(&admin, "acme", &policy);
    assert_eq!(reply.status, 200, "policy put failed: {}", reply.body);
    reply.body
}

fn a_request_approved_becomes_a_grant_for_its_requester(backend: Backend) {
    let server = TestServer::on(backend);
    let engineer = support(&server);
    let request = file(
        &engineer,
        ACME,
        json!({"level": "member", "areas": ["chats", "issues"], "duration_seconds": 4 * HOUR,
               "reason": "Ticket 4821", "ticket": "4821"}),
    );
    assert_eq!(request["status"], "pending");
    assert_eq!(request["requester"], SUPPORT_EMAIL);
    assert_eq!(request["approvals_required"], 1);
    assert_eq!(
        lifetime_seconds(&request),
        12 * HOUR,
        "pending for the policy's request ttl"
    );
    let rq = id(&request);
    let listed = admin(&server).all("/v1/orgs/acme/requests");
    assert_eq!(ids(&listed), std::slice::from_ref(&rq));
    assert_eq!(
        ids(&engineer.all("/v1/requests")),
        std::slice::from_ref(&rq)
    );

    let approved = admin(&server).post(
        &format!("/v1/orgs/acme/requests/{rq}/approve"),
        json!({"areas": ["chats"], "comment": "chats only"}),
    );
    approved.assert_ok();
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["decided_by"], ADMIN_EMAIL);
    let grant_id = approved.body["grant_id"].as_str().unwrap().to_owned();
    let grant = get_grant(&admin(&server), ACME, &grant_id);
    assert_eq!(grant["engineers"], json!([SUPPORT_EMAIL]));
    assert_eq!(grant["areas"], json!(["chats"]), "narrowed by the approver");
    assert_eq!(grant["level"], "member");
    assert_eq!(grant["request_id"], rq);
    assert_eq!(grant["ticket"], "4821");
    assert_eq!(lifetime_seconds(&grant), 4 * HOUR);

    // The request shows as approved to its engineer; the grant opens a session.
    let mine = engineer.get(&format!("/v1/requests/{rq}"));
    assert_eq!(mine.body["status"], "approved");
    engineer.open(json!({"grant_id": grant_id, "reason": "Ticket 4821"}));

    let events = audit(&admin(&server), ACME);
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("request.") || a.starts_with("grant."))
        .collect();
    assert_eq!(
        actions,
        ["request.created", "request.approved", "grant.created"]
    );
    verify_chain(&events).unwrap();
}

fn two_admins_are_needed_when_the_policy_says_two(backend: Backend) {
    let server = TestServer::on(backend);
    let second = create_account(&server, "second@acme.test", "admin", Some(ACME));
    set_policy(&server, |p| p["approvals_required"]["admin"] = json!(2));
    let rq = id(&file(
        &support(&server),
        ACME,
        json!({"level": "admin", "reason": "migration"}),
    ));
    let first = admin(&server).post_empty(&format!("/v1/orgs/acme/requests/{rq}/approve"));
    assert_eq!(first.body["status"], "pending", "{}", first.body);
    assert_eq!(first.body["approvals"].as_array().unwrap().len(), 1);
    // The same admin cannot approve twice, and that writes nothing.
    let before = state(&server);
    admin(&server)
        .post_empty(&format!("/v1/orgs/acme/requests/{rq}/approve"))
        .assert_problem(409, "conflict");
    assert_eq!(state(&server), before);
    let done = client(&server, &second.token).post(
        &format!("/v1/orgs/acme/requests/{rq}/approve"),
        json!({"duration_seconds": HOUR}),
    );
    done.assert_ok();
    assert_eq!(done.body["status"], "approved");
    let grant = get_grant(
        &admin(&server),
        ACME,
        done.body["grant_id"].as_str().unwrap(),
    );
    assert_eq!(lifetime_seconds(&grant), HOUR, "the narrowest duration");
    let events = audit(&admin(&server), ACME);
    assert_eq!(with_action(&events, "request.approval_added").len(), 1);
    assert_eq!(with_action(&events, "request.approved").len(), 1);
}

fn every_bad_input_is_refused_and_writes_nothing(backend: Backend) {
    let server = TestServer::on(backend);
    let engineer = support(&server);
    let other = create_support(&server, "other@supportctl.test");
    let rq = id(&file(
        &engineer,
        ACME,
        json!({"level": "member", "areas": ["chats"], "reason": "x"}),
    ));
    let decided = id(&file(
        &engineer,
        ACME,
        json!({"level": "read-only", "reason": "y"}),
    ));
    admin(&server)
        .post(
            &format!("/v1/orgs/acme/requests/{decided}/deny"),
            json!({"comment": "no"}),
        )
        .assert_ok();
    set_policy(&server, |p| p["require_ticket"] = json!(true));
    let before = state(&server);
    let approve = |id: &str, body: Value| {
        admin(&server).post(&format!("/v1/orgs/acme/requests/{id}/approve"), body)
    };
    // Widening: level, areas, duration.
    approve(&rq, json!({"level": "admin"})).assert_problem(422, "invalid_request");
    approve(&rq, json!({"areas": ["chats", "issues"]})).assert_problem(422, "invalid_request");
    approve(&rq, json!({"duration_seconds": 9 * HOUR})).assert_problem(422, "invalid_request");
    // A decided request: 409 naming its status.
    let reply = approve(&decided, json!({}));
    reply.assert_problem(409, "conflict");
    assert!(reply.body["detail"].as_str().unwrap().contains("denied"));
    admin(&server)
        .post(
            &format!("/v1/orgs/acme/requests/{decided}/deny"),
            json!({"comment": "again"}),
        )
        .assert_problem(409, "conflict");
    engineer
        .post_empty(&format!("/v1/requests/{decided}/cancel"))
        .assert_problem(409, "conflict");
    // The policy now asks a ticket: approving the ticketless request breaks it; so does a new one.
    approve(&rq, json!({})).assert_problem(422, "policy_violation");
    engineer
        .post(
            "/v1/orgs/acme/requests",
            json!({"level": "member", "reason": "z"}),
        )
        .assert_problem(422, "policy_violation");
    // A deny needs a comment.
    admin(&server)
        .post(
            &format!("/v1/orgs/acme/requests/{rq}/deny"),
            json!({"comment": " "}),
        )
        .assert_problem(400, "invalid_request");
    // Unknown ids, and another engineer's request: 404, worded alike.
    let missing = unknown_id("rq");
    let foreign = client(&server, &other.token).get(&format!("/v1/requests/{rq}"));
    foreign.assert_problem(404, "not_found");
    let unknown = client(&server, &other.token).get(&format!("/v1/requests/{missing}"));
    assert_eq!(
        foreign.body["detail"].as_str().unwrap().replace(&rq, "ID"),
        unknown.body["detail"]
            .as_str()
            .unwrap()
            .replace(&missing, "ID")
    );
    client(&server, &other.token)
        .post_empty(&format!("/v1/requests/{rq}/cancel"))
        .assert_problem(404, "not_found");
    approve(&missing, json!({})).assert_problem(404, "not_found");
    assert_eq!(state(&server), before);

    // Duplicates and more than 5 pending.
    set_policy(&server, |p| p["require_ticket"] = json!(false));
    let before = state(&server);
    let duplicate = engineer.post(
        "/v1/orgs/acme/requests",
        json!({"level": "member", "areas": ["chats"], "reason": "again"}),
    );
    duplicate.assert_problem(409, "conflict");
    assert!(duplicate.body["detail"].as_str().unwrap().contains(&rq));
    assert_eq!(state(&server), before);
    for area in ["issues", "documents", "checklists", "source-code"] {
        file(
            &engineer,
            ACME,
            json!({"level": "member", "areas": [area], "reason": "r"}),
        );
    }
    let before = state(&server);
    engineer
        .post(
            "/v1/orgs/acme/requests",
            json!({"level": "member", "areas": ["employee-data"], "reason": "sixth"}),
        )
        .assert_problem(409, "conflict");
    assert_eq!(state(&server), before);

    // A disabled org takes no requests, and says so as a missing one does.
    create_org_with_admin(&server, "gone");
    operator(&server)
        .post_empty("/v1/orgs/gone/disable")
        .assert_ok();
    let before = state(&server);
    client(&server, &other.token)
        .post(
            "/v1/orgs/gone/requests",
            json!({"level": "member", "reason": "x"}),
        )
        .assert_problem(404, "not_found");
    client(&server, &other.token)
        .post(
            "/v1/orgs/nowhere/requests",
            json!({"level": "member", "reason": "x"}),
        )
        .assert_problem(404, "not_found");
    assert_eq!(state(&server), before);
}

fn a_long_poll_returns_as_soon_as_the_request_is_decided(backend: Backend) {
    let server = TestServer::on(backend);
    let rq = id(&file(
        &support(&server),
        ACME,
        json!({"level": "member", "reason": "x"}),
    ));
    // Still pending: the poll answers after the wait asked.
    let started = Instant::now();
    let reply = support(&server).get(&format!("/v1/requests/{rq}?wait_seconds=1"));
    assert_eq!(reply.body["status"], "pending");
    assert!(started.elapsed() >= Duration::from_millis(900));
    support(&server)
        .get(&format!("/v1/requests/{rq}?wait_seconds=61"))
        .assert_problem(400, "invalid_request");

    let url = server.url.clone();
    let token = server.tokens.support.clone();
    let path = format!("/v1/requests/{rq}?wait_seconds=30");
    let waiter = thread::spawn(move || {
        let api = Api {
            base: url,
            token: Some(token),
            http: crate::common::harness::http_client(),
        };
        let started = Instant::now();
        let reply = api.get(&path);
        (reply.body, started.elapsed())
    });
    thread::sleep(Duration::from_millis(500));
    let decided_at = Instant::now();
    admin(&server)
        .post(
            &format!("/v1/orgs/acme/requests/{rq}/deny"),
            json!({"comment": "not today"}),
        )
        .assert_ok();
    let (body, waited) = waiter.join().unwrap();
    assert_eq!(body["status"], "denied");
    assert_eq!(body["decision_comment"], "not today");
    assert!(
        decided_at.elapsed() < Duration::from_secs(2) && waited < Duration::from_secs(5),
        "the waiter returned {waited:?} after it started"
    );
}

fn requests_lapse_and_are_cancelled_with_their_engineer_or_org(backend: Backend) {
    let server = TestServer::on(backend);
    let engineer = create_support(&server, "leaving@supportctl.test");
    let api = client(&server, &engineer.token);
    let lapsing = id(&file(
        &support(&server),
        ACME,
        json!({"level": "member", "reason": "x"}),
    ));
    let theirs = id(&file(&api, ACME, json!({"level": "member", "reason": "x"})));
    server.advance(6 * HOUR);
    create_org_with_admin(&server, "beta");
    let in_beta = id(&file(
        &support(&server),
        "beta",
        json!({"level": "member", "reason": "x"}),
    ));
    server.advance(6 * HOUR);
    // Status is derived from time: expired at once, recorded by the sweeper shortly after.
    let reply = admin(&server).get(&format!("/v1/orgs/acme/requests/{lapsing}"));
    assert_eq!(reply.body["status"], "expired");
    wait_for_event(&admin(&server), ACME, "request.expired", &lapsing);
    let approve = admin(&server).post_empty(&format!("/v1/orgs/acme/requests/{lapsing}/approve"));
    approve.assert_problem(409, "conflict");
    assert!(approve.body["detail"].as_str().unwrap().contains("expired"));

    let fresh = id(&file(
        &api,
        ACME,
        json!({"level": "read-only", "reason": "x"}),
    ));
    operator(&server)
        .post_empty(&format!("/v1/accounts/{}/disable", engineer.id))
        .assert_ok();
    let cancelled = admin(&server).get(&format!("/v1/orgs/acme/requests/{fresh}"));
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(
        events_for(&admin(&server), ACME, "request.cancelled", &fresh).len(),
        1
    );
    let theirs_now = admin(&server).get(&format!("/v1/orgs/acme/requests/{theirs}"));
    assert_eq!(
        theirs_now.body["status"], "expired",
        "a lapsed request stays lapsed"
    );
    operator(&server)
        .post_empty("/v1/orgs/beta/disable")
        .assert_ok();
    let mine = support(&server).get(&format!("/v1/requests/{in_beta}"));
    assert_eq!(mine.body["status"], "cancelled");
    assert_eq!(mine.body["decision_comment"], "org disabled");
}

/// Runs `calls` at the same moment, one thread each; their replies in order.
pub(crate) fn at_once(
    calls: Vec<Box<dyn FnOnce() -> crate::common::harness::Reply + Send>>,
) -> Vec<crate::common::harness::Reply> {
    let barrier = Arc::new(Barrier::new(calls.len()));
    let handles: Vec<_> = calls
        .into_iter()
        .map(|call| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                call()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn api_for(server: &TestServer, token: &str) -> Api {
    server.as_token(token)
}

fn two_admins_approving_at_once_make_one_grant(backend: Backend) {
    let server = TestServer::on(backend);
    let second = create_account(&server, "second@acme.test", "admin", Some(ACME));
    for area in ALL_AREAS.iter().take(3) {
        let rq = id(&file(
            &support(&server),
            ACME,
            json!({"level": "member", "areas": [area], "reason": "race"}),
        ));
        let path = format!("/v1/orgs/acme/requests/{rq}/approve");
        let (a, b) = (
            api_for(&server, &server.tokens.admin),
            api_for(&server, &second.token),
        );
        let (pa, pb) = (path.clone(), path);
        let replies = at_once(vec![
            Box::new(move || a.post_empty(&pa)),
            Box::new(move || b.post_empty(&pb)),
        ]);
        let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{:?}", replies);
        let events = audit(&admin(&server), ACME);
        let approved = events_for(&admin(&server), ACME, "request.approved", &rq);
        assert_eq!(approved.len(), 1);
        let grants: Vec<&Value> = with_action(&events, "grant.created")
            .into_iter()
            .filter(|e| e["details"]["request_id"] == rq)
            .collect();
        assert_eq!(grants.len(), 1);
    }
}

fn approve_racing_deny_has_one_winner(backend: Backend) {
    let server = TestServer::on(backend);
    for area in ALL_AREAS.iter().take(3) {
        let rq = id(&file(
            &support(&server),
            ACME,
            json!({"level": "member", "areas": [area], "reason": "race"}),
        ));
        let (a, b) = (server.admin(), server.admin());
        let approve = format!("/v1/orgs/acme/requests/{rq}/approve");
        let deny = format!("/v1/orgs/acme/requests/{rq}/deny");
        let replies = at_once(vec![
            Box::new(move || a.post_empty(&approve)),
            Box::new(move || b.post(&deny, json!({"comment": "no"}))),
        ]);
        let winners: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
        assert_eq!(winners.len(), 1, "{replies:?}");
        let loser = replies.iter().find(|r| r.status != 200).unwrap();
        loser.assert_problem(409, "conflict");
        let status = &winners[0].body["status"];
        assert!(
            loser.body["detail"]
                .as_str()
                .unwrap()
                .contains(status.as_str().unwrap())
        );
    }
}

fn the_chain_stays_whole_under_concurrent_requests_approvals_and_revokes(backend: Backend) {
    let server = TestServer::on(backend);
    let engineers: Vec<Account> = (0..3)
        .map(|n| create_support(&server, &format!("eng{n}@supportctl.test")))
        .collect();
    let mut calls: Vec<Box<dyn FnOnce() -> crate::common::harness::Reply + Send>> = Vec::new();
    for engineer in &engineers {
        let api = api_for(&server, &engineer.token);
        let admin = server.admin();
        calls.push(Box::new(move || {
            let mut last = None;
            for area in ALL_AREAS.iter().take(4) {
                let reply = api.post(
                    "/v1/orgs/acme/requests",
                    json!({"level": "read-only", "areas": [area], "reason": "load"}),
                );
                let rq = reply.body["id"].as_str().unwrap().to_owned();
                let approved = admin.post_empty(&format!("/v1/orgs/acme/requests/{rq}/approve"));
                let grant = approved.body["grant_id"].as_str().unwrap().to_owned();
                last = Some(admin.post_empty(&format!("/v1/orgs/acme/grants/{grant}/revoke")));
            }
            last.unwrap()
        }));
    }
    for reply in at_once(calls) {
        reply.assert_ok();
    }
    let events = audit(&admin(&server), ACME);
    verify_chain(&events).unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>());
    assert_eq!(with_action(&events, "request.approved").len(), 12);
    assert_eq!(with_action(&events, "grant.revoked").len(), 12);
}
