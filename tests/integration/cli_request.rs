//! `supportctl request ...` and `org policy` through the real binary: the exit codes a script
//! relies on (0 approved, 6 refused, 8 still pending), and the review walk on a terminal.

use std::time::{Duration, Instant};

use rexpect::process::WaitStatus;
use rexpect::session::{Options, spawn_with_options};
use serde_json::json;

use crate::common::cli::{Cli, std_command};
use crate::common::harness::TestServer;

fn file(server: &TestServer, areas: &str) -> String {
    let out = server
        .as_support()
        .args(["request", "create", "acme", "--level", "member"])
        .args([
            "--areas", areas, "--for", "2h", "--reason", "Ticket 9", "-q",
        ])
        .ok();
    out.lines()[0].to_owned()
}

#[test]
fn wait_exits_0_when_approved_6_when_denied_and_8_when_still_pending() {
    let server = TestServer::start();
    let pending = file(&server, "chats");
    let started = Instant::now();
    server
        .as_support()
        .args(["request", "wait", &pending, "--timeout", "2s"])
        .fails(8)
        .stderr_has("still pending")
        .stderr_has(&format!("request wait {pending}"));
    assert!(started.elapsed() >= Duration::from_secs(2));

    // Approved while waiting: exit 0, printing the grant.
    let approver = {
        let admin = server.admin();
        let id = pending.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(700));
            admin
                .post(
                    &format!("/v1/orgs/acme/requests/{id}/approve"),
                    json!({"comment": "ok"}),
                )
                .assert_ok();
        })
    };
    let out = server
        .as_support()
        .args([
            "request",
            "wait",
            &pending,
            "--timeout",
            "30s",
            "-o",
            "json",
        ])
        .ok();
    approver.join().unwrap();
    let grant = out.json();
    assert_eq!(grant["engineers"], json!(["support@supportctl.test"]));
    assert_eq!(grant["request_id"], pending.as_str());

    // Denied: exit 6, saying by whom and why.
    let denied = file(&server, "issues");
    server
        .as_admin()
        .args(["request", "deny", &denied, "--comment", "Not this week"])
        .ok();
    server
        .as_support()
        .args(["request", "wait", &denied])
        .fails(6)
        .stderr_has("denied by admin@acme.test: Not this week");
}

#[test]
fn admins_list_pending_requests_and_approve_with_narrowing() {
    let server = TestServer::start();
    let id = file(&server, "chats,issues");
    let out = server.as_admin().args(["request", "list"]).ok();
    let rows = out.rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        &rows[0][..7],
        ["support@supportctl.test", "member", "chats,issues", "2h"]
            .iter()
            .fold(vec![id.as_str(), "acme", "pending"], |mut row, cell| {
                row.push(cell);
                row
            })
            .as_slice()
    );
    // Without a terminal, approving needs --yes.
    server
        .as_admin()
        .args(["request", "approve", &id])
        .fails(2)
        .stderr_has("--yes");
    server
        .as_admin()
        .args([
            "request",
            "approve",
            &id,
            "--areas",
            "chats,documents",
            "--yes",
        ])
        .fails(2)
        .stderr_has("only narrow");
    server
        .as_admin()
        .args(["request", "approve", &id, "--areas", "chats", "--yes"])
        .ok()
        .stderr_has("Approved request");
    server
        .as_admin()
        .args(["request", "approve", &id, "--yes"])
        .fails(6)
        .stderr_has("is approved");
}

#[test]
fn org_policy_set_changes_only_what_it_names() {
    let server = TestServer::start();
    server
        .as_admin()
        .args([
            "org",
            "policy",
            "set",
            "--max-grant",
            "7d",
            "--require-ticket",
        ])
        .ok();
    let policy = server
        .as_admin()
        .args(["org", "policy", "-o", "json"])
        .ok()
        .json();
    assert_eq!(policy["version"], 1);
    assert_eq!(policy["max_grant_duration_seconds"], 7 * 86400);
    assert_eq!(policy["require_ticket"], true);
    assert_eq!(policy["direct_grants"], true);
    server
        .as_admin()
        .args([
            "org",
            "policy",
            "set",
            "--require-ticket=false",
            "--direct-grants=false",
        ])
        .ok();
    let policy = server.admin().get("/v1/orgs/acme/policy").body;
    assert_eq!(policy["require_ticket"], false);
    assert_eq!(policy["direct_grants"], false);
    assert_eq!(policy["max_grant_duration_seconds"], 7 * 86400);
    server
        .as_admin()
        .args(["org", "policy", "set", "--approvals", "admin=2"])
        .fails(6)
        .stderr_has("enabled admin");
    server
        .as_admin()
        .args(["grant", "create", "--level", "member", "--reason", "x"])
        .fails(6)
        .stderr_has("(--direct-grants=false)");
}

#[test]
fn a_weakening_policy_change_waits_for_another_admins_approval() {
    let server = TestServer::start();
    let second =
        crate::common::fixtures::create_account(&server, "second@acme.test", "admin", Some("acme"));
    server
        .as_admin()
        .args(["org", "policy", "set", "--approvals", "admin=2"])
        .ok();
    server
        .as_admin()
        .args(["org", "policy", "set", "--approvals", "admin=1"])
        .ok()
        .stderr_has("Proposed policy change pc_")
        .stderr_has("approvals_required.admin");
    let policy = server.admin().get("/v1/orgs/acme/policy").body;
    assert_eq!(policy["approvals_required"]["admin"], 2);
    let pending = server
        .run_with(&second.token)
        .args(["org", "policy", "pending", "-o", "json"])
        .ok()
        .json();
    assert_eq!(pending["weakens"], json!(["approvals_required.admin"]));
    // The proposer cannot approve alone; without a terminal, approving needs --yes.
    server
        .as_admin()
        .args(["org", "policy", "approve", "--yes"])
        .fails(6);
    server
        .run_with(&second.token)
        .args(["org", "policy", "approve"])
        .fails(2);
    server
        .run_with(&second.token)
        .args(["org", "policy", "approve", "--yes"])
        .ok()
        .stderr_has("policy is now version 2");
    let policy = server.admin().get("/v1/orgs/acme/policy").body;
    assert_eq!(policy["approvals_required"]["admin"], 1);
    server
        .run_with(&second.token)
        .args(["org", "policy", "pending"])
        .fails(3);
}

#[test]
fn review_walks_the_pending_requests_on_a_terminal() {
    let server = TestServer::start();
    let first = file(&server, "chats");
    let second = file(&server, "issues");
    let third = file(&server, "documents");
    let mut command = std_command(
        &server.url,
        &server.tokens.admin,
        &server.dir.path().join("config"),
    );
    command
        .args(["request", "review"])
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1");
    let mut session = spawn_with_options(
        command,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    // Newest first: the third, then the second, then the first.
    session.exp_string(&third).unwrap();
    session.exp_string("Decision").unwrap();
    session.send("\x1b[A\x1b[A\r").unwrap(); // up twice from skip: approve
    session.flush().unwrap();
    // The question wraps to the terminal's width; it is answered with Enter.
    session
        .exp_regex(r"for\s+member\s+on\s+documents\s+for\s+2h\?")
        .unwrap();
    session.send("y\r").unwrap();
    session.flush().unwrap();
    session.exp_string("Comment").unwrap();
    session.send("fine\r").unwrap();
    session.flush().unwrap();
    session.exp_string("Approved request").unwrap();
    session.exp_string(&second).unwrap();
    session.exp_string("Decision").unwrap();
    session.send("\x1b[A\r").unwrap(); // deny
    session.flush().unwrap();
    session.exp_string("Why").unwrap();
    session.send("not needed\r").unwrap();
    session.flush().unwrap();
    session.exp_string("Denied request").unwrap();
    session.exp_string(&first).unwrap();
    session.exp_string("Decision").unwrap();
    session.send("\r").unwrap(); // skip
    session.flush().unwrap();
    session
        .exp_string("1 approved, 1 denied, 1 skipped")
        .unwrap();
    let rest = session.exp_eof().unwrap_or_default();
    match session.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => assert_eq!(code, 0, "{rest}"),
        other => panic!("{other:?}"),
    }
    let status = |id: &str| {
        server
            .admin()
            .get(&format!("/v1/orgs/acme/requests/{id}"))
            .body["status"]
            .clone()
    };
    assert_eq!(status(&third), "approved");
    assert_eq!(status(&second), "denied");
    assert_eq!(status(&first), "pending");
    // Without a terminal it says what to use instead.
    server
        .as_admin()
        .args(["request", "review"])
        .fails(2)
        .stderr_has("request approve");
}

#[test]
fn session_open_with_request_asks_waits_and_opens() {
    let server = TestServer::start();
    let admin = server.admin();
    let approver = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let pending = admin.get("/v1/orgs/acme/requests").body["items"].clone();
            if let Some(id) = pending[0]["id"].as_str() {
                admin
                    .post_empty(&format!("/v1/orgs/acme/requests/{id}/approve"))
                    .assert_ok();
                return;
            }
            assert!(Instant::now() < deadline, "no request was filed");
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let out = server
        .as_support()
        .args([
            "session",
            "open",
            "acme",
            "--level",
            "read-only",
            "--areas",
            "chats",
        ])
        .args([
            "--reason",
            "Ticket 7",
            "--request",
            "--request-for",
            "1h",
            "-q",
        ])
        .ok();
    approver.join().unwrap();
    assert!(out.lines()[0].starts_with("sst_"));
    // Without --request and without a terminal: the refusal, with the way out.
    server
        .as_support()
        .args([
            "session", "open", "acme", "--level", "admin", "--reason", "x",
        ])
        .fails(6)
        .stderr_has("--request");
}
