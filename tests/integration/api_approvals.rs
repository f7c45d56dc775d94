//! What approvals bind: a requirement raised after a request was filed, admins disabled since
//! they approved, weakening the policy (a pending change the admins approve), extending a grant
//! several admins approved, grants older than a tightened policy, and what an engineer who may
//! not ask an org learns about it.

use serde_json::{Value, json};

use crate::api_policy::{change as tighten, policy as current_policy, put};
use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, Reply, TestServer};

crate::common::conformance::conformance! {
    a_requirement_raised_after_filing_applies_at_approval,
    an_approval_of_an_admin_disabled_since_does_not_count,
    one_admin_cannot_weaken_what_approvals_guard,
    an_approval_racing_another_change_never_weakens_without_its_approvals,
    one_admin_cannot_extend_a_grant_two_admins_approved,
    a_tightened_policy_binds_sessions_and_extends_of_older_grants,
    an_engineer_learns_nothing_of_an_org_they_may_not_ask,
}

fn file(server: &TestServer, body: Value) -> String {
    let reply = support(server).post("/v1/orgs/acme/requests", body);
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

fn approve(api: &Api, request: &str) -> Reply {
    api.post_empty(&format!("/v1/orgs/acme/requests/{request}/approve"))
}

fn approve_change(api: &Api, id: &str) -> Reply {
    api.post("/v1/orgs/acme/policy/pending/approve", json!({ "id": id }))
}

fn extend(api: &Api, grant: &str, seconds: i64) -> Reply {
    api.post(
        &format!("/v1/orgs/acme/grants/{grant}/extend"),
        json!({ "duration_seconds": seconds }),
    )
}

fn a_requirement_raised_after_filing_applies_at_approval(backend: Backend) {
    let server = TestServer::on(backend);
    let second = create_account(&server, "second@acme.test", "admin", Some(ACME));
    let rq = file(&server, json!({"level": "admin", "reason": "migration"}));
    // Raising the bar is a tightening: it applies at once, and to the request already filed.
    tighten(&server, |p| p["approvals_required"]["admin"] = json!(2));
    let first = approve(&admin(&server), &rq);
    first.assert_ok();
    assert_eq!(first.body["status"], "pending", "{}", first.body);
    assert_eq!(first.body["approvals_required"], 2);
    let listed = admin(&server).get(&format!("/v1/orgs/acme/requests/{rq}"));
    assert_eq!(listed.body["approvals_required"], 2);
    let last = approve(&client(&server, &second.token), &rq);
    assert_eq!(last.body["status"], "approved", "{}", last.body);
}

fn an_approval_of_an_admin_disabled_since_does_not_count(backend: Backend) {
    let server = TestServer::on(backend);
    let second = create_account(&server, "second@acme.test", "admin", Some(ACME));
    let third = create_account(&server, "third@acme.test", "admin", Some(ACME));
    tighten(&server, |p| p["approvals_required"]["admin"] = json!(2));
    let rq = file(&server, json!({"level": "admin", "reason": "migration"}));
    let by_second = approve(&client(&server, &second.token), &rq);
    assert_eq!(by_second.body["status"], "pending");
    operator(&server)
        .post_empty(&format!("/v1/accounts/{}/disable", second.id))
        .assert_ok();
    // The second admin's approval lapsed with their account: one more is still needed.
    let by_admin = approve(&admin(&server), &rq);
    assert_eq!(by_admin.body["status"], "pending", "{}", by_admin.body);
    let events = audit(&admin(&server), ACME);
    let added = with_action(&events, "request.approval_added");
    assert_eq!(added.last().unwrap()["details"]["approvals"], 1);
    let by_third = approve(&client(&server, &third.token), &rq);
    assert_eq!(by_third.body["status"], "approved", "{}", by_third.body);
    let events = audit(&admin(&server), ACME);
    let approved = with_action(&events, "request.approved");
    assert_eq!(
        approved[0]["details"]["approvals"],
        json!([ADMIN_EMAIL, "third@acme.test"])
    );
}

fn one_admin_cannot_weaken_what_approvals_guard(backend: Backend) {
    let server = TestServer::on(backend);
    let second = create_account(&server, "second@acme.test", "admin", Some(ACME));
    let second_api = client(&server, &second.token);
    let mut guarded = tighten(&server, |p| {
        p["approvals_required"]["admin"] = json!(2);
        p["direct_grants"] = json!(false);
    });
    for (weaken, weakens) in [
        (
            json!({"approvals_required": {"read-only": 1, "member": 1, "admin": 1}}),
            "approvals_required.admin",
        ),
        (json!({"direct_grants": true}), "direct_grants"),
    ] {
        let mut document = guarded.clone();
        for (field, value) in weaken.as_object().unwrap() {
            document[field] = value.clone();
        }
        let before = snapshot(&server);
        let dry = crate::api_policy::put_path(
            &admin(&server),
            "/v1/orgs/acme/policy?dry_run=true",
            &document,
        );
        assert_eq!(dry.status, 202, "{}", dry.body);
        assert_eq!(snapshot(&server), before);
        let proposed = put(&admin(&server), ACME, &document);
        assert_eq!(proposed.status, 202, "{}", proposed.body);
        assert_eq!(proposed.body["approvals_required"], 2);
        assert_eq!(proposed.body["weakens"], json!([weakens]));
        assert_eq!(proposed.body["approvals"][0]["by"], ADMIN_EMAIL);
        // Nothing applies yet: one admin alone still cannot grant or approve alone.
        assert_eq!(current_policy(&server), guarded);
        admin(&server)
            .post(
                "/v1/orgs/acme/grants",
                json!({"level": "member", "reason": "alone"}),
            )
            .assert_problem(422, "policy_violation");
        let id = proposed.body["id"].as_str().unwrap().to_owned();
        let pending = admin(&server).get("/v1/orgs/acme/policy/pending");
        pending.assert_ok();
        assert_eq!(pending.body, proposed.body);
        // The proposer counts once; an unknown id is not found; both write nothing.
        let before = snapshot(&server);
        approve_change(&admin(&server), &id).assert_problem(409, "conflict");
        approve_change(&second_api, "pc_unknown").assert_problem(404, "not_found");
        assert_eq!(snapshot(&server), before);
        // A dry run of the approval that would apply it answers the policy, and writes nothing.
        let dry = second_api.post(
            "/v1/orgs/acme/policy/pending/approve?dry_run=true",
            json!({ "id": id }),
        );
        assert_eq!(dry.status, 200, "{}", dry.body);
        assert_eq!(snapshot(&server), before);
        assert_eq!(current_policy(&server), guarded);
        // The second admin's approval applies it, in one transaction with `policy.updated`.
        let applied = approve_change(&second_api, &id);
        assert_eq!(applied.status, 200, "{}", applied.body);
        assert_eq!(
            applied.body["version"],
            guarded["version"].as_i64().unwrap() + 1
        );
        assert_eq!(applied.body["updated_by"], ADMIN_EMAIL);
        admin(&server)
            .get("/v1/orgs/acme/policy/pending")
            .assert_problem(404, "not_found");
        let events = audit(&admin(&server), ACME);
        let updated = with_action(&events, "policy.updated");
        let last = updated.last().unwrap();
        assert_eq!(last["details"]["change_id"], json!(id));
        assert_eq!(
            last["details"]["approved_by"],
            json!([ADMIN_EMAIL, "second@acme.test"])
        );
        let proposals = with_action(&events, "policy.change_proposed");
        assert_eq!(proposals.last().unwrap()["details"]["id"], json!(id));
        // Back to the guarded policy (a tightening: at once) for the next round.
        guarded = tighten(&server, |p| {
            p["approvals_required"]["admin"] = json!(2);
            p["direct_grants"] = json!(false);
        });
    }
    // A change applied while one is pending voids it: its approval then finds nothing.
    let mut document = current_policy(&server);
    document["direct_grants"] = json!(true);
    let proposed = put(&admin(&server), ACME, &document);
    assert_eq!(proposed.status, 202, "{}", proposed.body);
    let id = proposed.body["id"].as_str().unwrap().to_owned();
    tighten(&server, |p| p["require_ticket"] = json!(true));
    approve_change(&second_api, &id).assert_problem(404, "not_found");
    let events = audit(&admin(&server), ACME);
    let updated = with_action(&events, "policy.updated");
    assert_eq!(
        updated.last().unwrap()["details"]["voided_change"],
        json!(id)
    );
}

fn one_admin_cannot_extend_a_grant_two_admins_approved(backend: Backend) {
    let server = TestServer::on(backend);
    let second = create_account(&server, "second@acme.test", "admin", Some(ACME));
    tighten(&server, |p| p["approvals_required"]["admin"] = json!(2));
    let rq = file(
        &server,
        json!({"level": "admin", "duration_seconds": 600, "reason": "ten minutes"}),
    );
    approve(&admin(&server), &rq).assert_ok();
    let approved = approve(&client(&server, &second.token), &rq);
    assert_eq!(approved.body["status"], "approved", "{}", approved.body);
    let grant = approved.body["grant_id"].as_str().unwrap().to_owned();
    let before = snapshot(&server);
    let refused = extend(&admin(&server), &grant, 29 * DAY);
    refused.assert_problem(409, "policy_violation");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains("approved by 2 admins for 600s"), "{detail}");
    extend(&admin(&server), &grant, 60).assert_problem(409, "policy_violation");
    assert_eq!(snapshot(&server), before);
    assert_eq!(
        lifetime_seconds(&get_grant(&admin(&server), ACME, &grant)),
        600
    );
    // A grant one admin approved, one admin may extend (as they could approve it again).
    let member = file(
        &server,
        json!({"level": "member", "duration_seconds": 600, "reason": "x"}),
    );
    let approved = approve(&admin(&server), &member);
    let grant = approved.body["grant_id"].as_str().unwrap().to_owned();
    extend(&admin(&server), &grant, HOUR).assert_ok();
}

fn a_tightened_policy_binds_sessions_and_extends_of_older_grants(backend: Backend) {
    let server = TestServer::on(backend);
    let wide = admin(&server).grant(json!({"level": "admin", "reason": "before"}));
    let narrow = admin(&server)
        .grant(json!({"level": "read-only", "areas": ["chats"], "reason": "before, no ticket"}));
    tighten(&server, |p| {
        p["allowed_levels"] = json!(["read-only"]);
        p["allowed_areas"] = json!(["chats"]);
        p["require_ticket"] = json!(true);
    });
    let before = snapshot(&server);
    let engineer = support(&server);
    for (ask, rule) in [
        (
            json!({"level": "admin", "areas": ["issues"]}),
            "allowed_levels",
        ),
        (
            json!({"level": "read-only", "areas": ["issues"]}),
            "allowed_areas",
        ),
    ] {
        let mut body = ask;
        body["grant_id"] = json!(wide);
        body["reason"] = json!("x");
        let refused = engineer.post("/v1/orgs/acme/sessions", body);
        refused.assert_problem(422, "policy_violation");
        assert!(refused.body["detail"].as_str().unwrap().contains(rule));
    }
    for (grant, rule) in [(&wide, "allowed_levels"), (&narrow, "require_ticket")] {
        let refused = extend(&admin(&server), grant, HOUR);
        refused.assert_problem(422, "policy_violation");
        assert!(refused.body["detail"].as_str().unwrap().contains(rule));
    }
    assert_eq!(snapshot(&server), before);
    // Without a level or areas, a session from the older grant gets what the policy allows.
    let (session, _) = engineer.open(json!({"grant_id": wide, "reason": "x"}));
    let opened = engineer.get(&format!("/v1/sessions/{session}")).body;
    assert_eq!(opened["level"], "read-only");
    assert_eq!(opened["areas"], json!(["chats"]));
    // With direct grants off, extending a direct grant would be granting alone.
    let ticketed = admin(&server).grant(json!({"level": "read-only", "areas": ["chats"],
        "ticket": "T-1", "reason": "x"}));
    tighten(&server, |p| p["direct_grants"] = json!(false));
    let refused = extend(&admin(&server), &ticketed, HOUR);
    refused.assert_problem(422, "policy_violation");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("direct_grants")
    );
}

fn an_engineer_learns_nothing_of_an_org_they_may_not_ask(backend: Backend) {
    let server = TestServer::on(backend);
    create_org_with_admin(&server, "gone");
    operator(&server)
        .post_empty("/v1/orgs/gone/disable")
        .assert_ok();
    let closed = create_org_with_admin(&server, "closed");
    let closed_api = client(&server, &closed.token);
    let mut document = closed_api.get("/v1/orgs/closed/policy").body;
    document["accept_requests"] = json!(false);
    document["allowed_levels"] = json!(["read-only"]);
    assert_eq!(put(&closed_api, "closed", &document).status, 200);
    let engineer = support(&server);
    let before = snapshot(&server);
    let answers: Vec<(u16, Value)> = ["nowhere", "gone", "closed"]
        .iter()
        .flat_map(|org| {
            [
                json!({"level": "member", "reason": "x"}),
                json!({"level": "admin", "duration_seconds": 99 * DAY, "reason": "x"}),
            ]
            .into_iter()
            .map(|body| {
                let reply = engineer.post(&format!("/v1/orgs/{org}/requests"), body);
                let detail = reply.body["detail"].as_str().unwrap_or_default();
                (reply.status, json!(detail.replace(org, "ORG")))
            })
            .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(answers[0].0, 404, "{answers:?}");
    assert!(
        answers.iter().all(|answer| answer == &answers[0]),
        "{answers:?}"
    );
    assert_eq!(snapshot(&server), before);
    // An org that takes requests tells its rules.
    engineer
        .post(
            "/v1/orgs/acme/requests",
            json!({"level": "admin", "duration_seconds": 99 * DAY, "reason": "x"}),
        )
        .assert_problem(422, "policy_violation");
}

fn an_approval_racing_another_change_never_weakens_without_its_approvals(backend: Backend) {
    let server = TestServer::on(backend);
    let second = create_account(&server, "second@acme.test", "admin", Some(ACME));
    let mut guarded = tighten(&server, |p| p["approvals_required"]["admin"] = json!(2));
    for round in 0..4 {
        let mut weaker = guarded.clone();
        weaker["approvals_required"]["admin"] = json!(1);
        let proposed = put(&admin(&server), ACME, &weaker);
        assert_eq!(proposed.status, 202, "{}", proposed.body);
        let id = proposed.body["id"].as_str().unwrap().to_owned();
        // The proposer changes something else while the second admin approves: whichever
        // comes first under the org's lock, the other sees it.
        let mut other = guarded.clone();
        other["max_session_ttl_seconds"] = json!(HOUR + round);
        let (proposer, approver) = (
            server.as_token(&server.tokens.admin),
            server.as_token(&second.token),
        );
        let replies = crate::api_requests::at_once(vec![
            Box::new(move || put(&proposer, ACME, &other)),
            Box::new(move || approve_change(&approver, &id)),
        ]);
        let admin_approvals = current_policy(&server)["approvals_required"]["admin"].clone();
        match (replies[0].status, replies[1].status) {
            // The other change applied first and voided the proposal.
            (200, 404) => assert_eq!(admin_approvals, 2),
            // The approval applied the proposal first; the other change read a stale version.
            (409, 200) => assert_eq!(admin_approvals, 1),
            statuses => panic!("{statuses:?}: {replies:?}"),
        }
        guarded = tighten(&server, |p| p["approvals_required"]["admin"] = json!(2));
    }
}
