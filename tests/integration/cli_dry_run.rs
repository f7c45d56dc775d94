//! `--dry-run` through the real binary: the server answers what would happen, refuses with the
//! real call's exit code and words, and nothing changes.

use serde_json::json;

use crate::common::cli::{Cli, audit_events, grant_status, grants};
use crate::common::harness::TestServer;

#[test]
fn a_dry_run_grant_over_the_maximum_exits_6_like_the_real_one() {
    let server = TestServer::start();
    let events = audit_events(&server).len();
    server
        .as_admin()
        .args(["grant", "create", "--level", "member", "--reason", "Try"])
        .args(["--for", "45d", "--dry-run"])
        .fails(6)
        .stderr_has("--for 45d is over the 30d maximum");
    assert!(
        server
            .admin()
            .all("/v1/orgs/acme/grants?status=all")
            .is_empty()
    );
    assert_eq!(audit_events(&server).len(), events);
}

#[test]
fn dry_runs_of_extend_revoke_approve_and_policy_change_nothing() {
    let server = TestServer::start();
    let ids = grants(&server, 2);
    server
        .support()
        .open(json!({"grant_id": ids[0], "reason": "work"}));
    let filed = server.support().post(
        "/v1/orgs/acme/requests",
        json!({"level": "member", "areas": ["chats"], "duration_seconds": 7200, "reason": "T9"}),
    );
    let request = filed.body["id"].as_str().unwrap().to_owned();
    let before_grants = server.admin().all("/v1/orgs/acme/grants?status=all");
    let events = audit_events(&server).len();

    let out = server
        .as_admin()
        .args([
            "grant",
            "extend",
            &ids[0],
            "--for",
            "4h",
            "--dry-run",
            "-o",
            "json",
        ])
        .ok();
    out.stderr_has(&format!("Dry run: grant {} would end", ids[0]));
    assert_eq!(out.json()["id"], ids[0].as_str());
    server
        .as_admin()
        .args(["grant", "extend", &ids[0], "--for", "45d", "--dry-run"])
        .fails(6)
        .stderr_has("--for 45d is over the 30d maximum");

    // No --yes needed: nothing is revoked.
    let out = server
        .as_admin()
        .args(["grant", "revoke", &ids[0], "--dry-run"])
        .ok();
    out.stderr_has("would revoke 1 grant, ending 1 active session;");
    assert_eq!(out.rows(), vec![vec![ids[0].as_str(), "would_revoke"]]);
    server
        .as_admin()
        .args(["grant", "revoke", "--all", "--dry-run"])
        .ok()
        .stderr_has("would revoke 2 grants, ending 1 active session;");
    let out = server
        .as_admin()
        .args(["grant", "revoke", "-", "--dry-run"])
        .stdin(format!("{}\n", ids[1]))
        .ok();
    out.stderr_has("would revoke 1 grant, ending no active session;");

    server
        .as_admin()
        .args(["request", "approve", &request, "--dry-run"])
        .ok()
        .stderr_has(&format!("Dry run: would approve request {request}"));
    server
        .as_admin()
        .args(["request", "deny", &request, "--comment", "no", "--dry-run"])
        .ok()
        .stderr_has(&format!("Dry run: would deny request {request}"));

    server
        .as_admin()
        .args(["org", "policy", "set", "--max-grant", "7d", "--dry-run"])
        .ok()
        .stderr_has("policy would become version 1 (changed: max grant)");
    // More approvals than the org has admins: refused (exit 6) in a dry run as for real.
    server
        .as_admin()
        .args([
            "org",
            "policy",
            "set",
            "--approvals",
            "admin=5",
            "--dry-run",
        ])
        .fails(6)
        .stderr_has("only 1 enabled admin");

    assert_eq!(
        server.admin().all("/v1/orgs/acme/grants?status=all"),
        before_grants
    );
    for id in &ids {
        assert_eq!(grant_status(&server, id), "active");
    }
    assert_eq!(
        server
            .admin()
            .get(&format!("/v1/orgs/acme/requests/{request}"))
            .body["status"],
        "pending"
    );
    assert_eq!(
        server.admin().get("/v1/orgs/acme/policy").body["version"],
        0
    );
    assert_eq!(audit_events(&server).len(), events);

    // A request already decided: the dry run refuses it as the real approval would (exit 6).
    server
        .admin()
        .post(
            &format!("/v1/orgs/acme/requests/{request}/deny"),
            json!({"comment": "no"}),
        )
        .assert_ok();
    server
        .as_admin()
        .args(["request", "approve", &request, "--dry-run"])
        .fails(6)
        .stderr_has("denied");
}
