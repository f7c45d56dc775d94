//! Closing a ticket: every active grant with it is revoked (its sessions end) and every
//! pending request with it cancelled, in one transaction, called by an admin or by a
//! ticketing system's automation with a service token and whatever JSON it sends.

use serde_json::{Value, json};

use crate::api_requests::file;
use crate::common::cli::Cli;
use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};

crate::common::conformance::conformance! {
    closing_a_ticket_ends_its_grants_sessions_and_requests,
    closing_a_ticket_nobody_used_ends_nothing_and_writes_nothing,
    the_cli_closes_a_ticket,
}

fn close_path(org: &str, ticket: &str) -> String {
    format!("/v1/orgs/{org}/tickets/{ticket}/close")
}

fn closing_a_ticket_ends_its_grants_sessions_and_requests(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let engineer = support(&server);
    let grant = |ticket: &str| {
        admin.grant(
            json!({"level": "member", "areas": ["chats"], "reason": "case",
                           "ticket": ticket}),
        )
    };
    let first = grant("INC 7/1");
    let second = grant("INC 7/1");
    let other = grant("INC-8");
    let already = grant("INC 7/1");
    revoke(&admin, ACME, &already).assert_ok();
    let (_, token) = engineer.open(json!({"grant_id": first, "reason": "look"}));
    let (_, other_token) = engineer.open(json!({"grant_id": other, "reason": "look"}));
    let pending = file(
        &engineer,
        ACME,
        json!({"level": "admin", "reason": "need more", "ticket": "INC 7/1"}),
    );
    let unrelated = file(
        &engineer,
        ACME,
        json!({"level": "admin", "areas": ["chats"], "reason": "x", "ticket": "INC-8"}),
    );
    let pending_id = pending["id"].as_str().unwrap();

    // A ticketing system's webhook: a service token and its own JSON, unknown fields and all.
    let closed = service(&server).post(
        &close_path(ACME, "INC%207%2F1"),
        json!({"reason": "resolved", "event": "issue_closed", "issue": {"key": "INC 7/1"}}),
    );
    closed.assert_ok();
    assert_eq!(closed.body["org"], ACME);
    assert_eq!(closed.body["ticket"], "INC 7/1");
    assert_eq!(closed.body["grants_revoked"], 2);
    assert_eq!(closed.body["sessions_ended"], 1);
    assert_eq!(closed.body["requests_cancelled"], 1);
    assert_eq!(
        sorted(strings(&closed.body["grants"])),
        sorted(vec![first.clone(), second.clone()])
    );
    assert_eq!(strings(&closed.body["requests"]), [pending_id]);

    assert_ended(&server, &token);
    assert_active(&server, &other_token);
    for id in [&first, &second] {
        let grant = get_grant(&admin, ACME, id);
        assert_eq!(grant["status"], "revoked");
        assert_eq!(grant["revoke_reason"], "ticket closed");
        assert_eq!(grant["revoked_by"], SERVICE_EMAIL);
        let event = &events_for(&admin, ACME, "grant.revoked", id)[0];
        assert_eq!(event["details"]["reason"], "ticket closed");
        assert_eq!(event["details"]["ticket"], "INC 7/1");
        assert_eq!(event["actor"]["role"], "service");
    }
    assert_eq!(get_grant(&admin, ACME, &other)["status"], "active");
    let cancelled = admin
        .get(&format!("/v1/orgs/acme/requests/{pending_id}"))
        .body;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["decision_comment"], "ticket closed: resolved");
    let unrelated = admin
        .get(&format!(
            "/v1/orgs/acme/requests/{}",
            unrelated["id"].as_str().unwrap()
        ))
        .body;
    assert_eq!(unrelated["status"], "pending");
    assert_eq!(
        events_for(&admin, ACME, "request.cancelled", pending_id).len(),
        1
    );

    // An admin of the org closes the other ticket with no body at all; closing it again
    // finds nothing left.
    let closed = admin.post_empty(&close_path(ACME, "INC-8"));
    closed.assert_ok();
    assert_eq!(
        (
            closed.body["grants_revoked"].clone(),
            closed.body["sessions_ended"].clone(),
            closed.body["requests_cancelled"].clone()
        ),
        (json!(1), json!(1), json!(1))
    );
    assert_ended(&server, &other_token);
    let again = admin.post_empty(&close_path(ACME, "INC-8"));
    again.assert_ok();
    assert_eq!(again.body["grants_revoked"], 0);
}

fn closing_a_ticket_nobody_used_ends_nothing_and_writes_nothing(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    admin.grant(json!({"level": "member", "reason": "case", "ticket": "T-1"}));
    let before = snapshot(&server);
    let requests = admin.all("/v1/orgs/acme/requests?status=all");
    let nothing = service(&server).post_empty(&close_path(ACME, "T-404"));
    nothing.assert_ok();
    assert_eq!(
        nothing.body,
        json!({"org": "acme", "ticket": "T-404", "grants_revoked": 0, "sessions_ended": 0,
               "requests_cancelled": 0, "grants": [], "requests": []})
    );
    let with_json = admin.post(&close_path(ACME, "T-405"), json!({}));
    with_json.assert_ok();

    // Control characters in the ticket, a blank one, other orgs, roles that may not close.
    for ticket in ["T%0A1", "T%1B%5B31m", "%09", "%20%20", "T%E2%80%AE1"] {
        let reply = admin.post_empty(&close_path(ACME, ticket));
        reply.assert_problem(400, "invalid_request");
    }
    admin
        .post(&close_path(ACME, "T-1"), json!({"reason": "bad\u{1b}[2J"}))
        .assert_problem(400, "invalid_request");
    admin
        .post_raw(&close_path(ACME, "T-1"), "application/json", "[1, 2]")
        .assert_problem(400, "invalid_request");
    let beta = create_org_with_admin(&server, "beta");
    client(&server, &beta.token)
        .post_empty(&close_path(ACME, "T-1"))
        .assert_problem(404, "not_found");
    service(&server)
        .post_empty(&close_path("no-such-org", "T-1"))
        .assert_problem(404, "not_found");
    support(&server)
        .post_empty(&close_path(ACME, "T-1"))
        .assert_problem(403, "forbidden");
    operator(&server)
        .post_empty(&close_path(ACME, "T-1"))
        .assert_problem(403, "forbidden");

    let mut after = snapshot(&server);
    // Made by this test since: the second org, its admin and their events.
    after.orgs.retain(|org| org["slug"] != "beta");
    after
        .accounts
        .retain(|account| account["email"] != json!(beta.email));
    assert_eq!(before.grants, after.grants);
    assert_eq!(before.sessions, after.sessions);
    assert_eq!(before.audit, after.audit);
    assert_eq!(before.orgs, after.orgs);
    assert_eq!(before.accounts, after.accounts);
    assert_eq!(requests, admin.all("/v1/orgs/acme/requests?status=all"));
}

fn the_cli_closes_a_ticket(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let grant = admin.grant(json!({"level": "member", "reason": "case", "ticket": "SUP-9"}));
    server
        .as_admin()
        .args(["ticket", "close", "SUP-9"])
        .fails(2)
        .stderr_has("--yes");
    assert_eq!(get_grant(&admin, ACME, &grant)["status"], "active");
    let out = server
        .as_admin()
        .args(["ticket", "close", "SUP-9", "--yes", "-o", "json"])
        .ok();
    let closed: Value = out.json();
    assert_eq!(closed["grants"], json!([grant]));
    assert_eq!(get_grant(&admin, ACME, &grant)["status"], "revoked");
    let out = server
        .as_admin()
        .args(["ticket", "close", "SUP-9", "--yes"])
        .ok();
    out.stdout_empty();
}
