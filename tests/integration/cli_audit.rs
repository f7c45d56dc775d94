//! `supportctl audit list` and `audit verify`, on a real log and on tampered exports.

use std::process::Stdio;

use serde_json::{Value, json};

use crate::common::cli::{Cli, JsonLines, assert_rfc3339, audit_events, std_command};
use crate::common::harness::TestServer;

/// A log with grants, sessions, an access check and a revocation.
fn busy_log(server: &TestServer) {
    let grant = server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync", "ticket": "SUP-9"}));
    let (id, token) = server
        .support()
        .open(json!({"reason": "Look", "areas": ["chats"]}));
    server
        .service()
        .post(
            "/v1/authorize",
            json!({"token": token, "area": "issues", "action": "read"}),
        )
        .assert_ok();
    server
        .admin()
        .post_empty(&format!("/v1/sessions/{id}/close"))
        .assert_ok();
    server
        .admin()
        .post(
            &format!("/v1/orgs/acme/grants/{grant}/revoke"),
            json!({"reason": "Done"}),
        )
        .assert_ok();
}

#[test]
fn list_prints_the_api_events_in_every_format() {
    let server = TestServer::start();
    busy_log(&server);
    let api = audit_events(&server);
    assert!(api.len() >= 6);

    let listed = server
        .as_admin()
        .args(["audit", "list", "--all", "-o", "json"])
        .ok()
        .json();
    assert_eq!(listed, Value::Array(api.clone()));

    let out = server.as_admin().args(["audit", "list"]).ok();
    let rows = out.rows();
    assert_eq!(rows.len(), api.len(), "{out}");
    for (row, event) in rows.iter().zip(&api) {
        assert_eq!(row.len(), 6, "{out}");
        assert_eq!(row[0], event["seq"].to_string());
        assert_eq!(row[1], event["at"]);
        assert_rfc3339(row[1]);
        assert_eq!(row[2], event["action"]);
        assert_eq!(row[3], event["actor"]["email"]);
    }

    let out = server
        .as_admin()
        .args(["audit", "list", "--action", "access.denied", "-o", "json"])
        .ok();
    let denied = out.json();
    assert_eq!(denied.as_array().unwrap().len(), 1, "{out}");
    assert_eq!(denied[0]["details"]["area"], "issues");

    let out = server
        .as_admin()
        .args(["audit", "list", "--limit", "2", "-q"])
        .ok();
    assert_eq!(out.lines().len(), 2);

    let out = server
        .as_admin()
        .args(["audit", "list", "--since", "1h", "--all", "-o", "json"])
        .ok();
    assert_eq!(out.json().as_array().unwrap().len(), api.len());
}

#[test]
fn verify_accepts_the_real_log_and_catches_a_tampered_export() {
    let server = TestServer::start();
    busy_log(&server);

    // The live log.
    let out = server.as_admin().args(["audit", "verify"]).ok();
    out.stderr_has("verifies");
    let verified = server
        .as_admin()
        .args(["audit", "verify", "-o", "json"])
        .ok()
        .json();
    let events = audit_events(&server);
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["events"], events.len());
    assert_eq!(verified["last_hash"], events.last().unwrap()["hash"]);

    // An export, verified without the server.
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("audit.json");
    let out = server
        .as_admin()
        .args(["audit", "list", "--all", "-o", "json"])
        .ok();
    std::fs::write(&export, &out.stdout).unwrap();
    server
        .run_with("")
        .env("SUPPORTCTL_SERVER", crate::common::cli::dead_server_url())
        .args(["audit", "verify", "--file"])
        .arg(export.to_str().unwrap())
        .ok()
        .stderr_has("verifies");

    // Edit one event's details: exit 1 naming that seq.
    let mut tampered: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let victim = tampered
        .iter()
        .position(|e| e["action"] == "grant.created")
        .unwrap();
    let seq = tampered[victim]["seq"].as_i64().unwrap();
    tampered[victim]["details"]["reason"] = json!("Nothing to see here");
    let edited = dir.path().join("edited.json");
    std::fs::write(&edited, serde_json::to_vec_pretty(&tampered).unwrap()).unwrap();
    server
        .as_admin()
        .args(["audit", "verify", "--file"])
        .arg(edited.to_str().unwrap())
        .fails(1)
        .assert_error_shape()
        .stderr_has(&format!("seq {seq}"));

    // Drop an event: the gap is caught at the next one.
    let mut gapped: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let removed = gapped.remove(2);
    let next = removed["seq"].as_i64().unwrap() + 1;
    server
        .as_admin()
        .args(["audit", "verify", "--file", "-"])
        .stdin(serde_json::to_vec(&gapped).unwrap())
        .fails(1)
        .stderr_has(&format!("seq {next}"));
    // In JSON too, for scripts: the verdict on stdout, still exit 1.
    let verdict = server
        .as_admin()
        .args(["audit", "verify", "--file", "-", "-o", "json"])
        .stdin(serde_json::to_vec(&gapped).unwrap())
        .fails(1)
        .json();
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["broken_at_seq"], next);
    assert_eq!(verdict["events"], 2, "the events before the break verified");

    // Not an export at all.
    server
        .as_admin()
        .args(["audit", "verify", "--file", "-"])
        .stdin("{\"not\": \"an array\"}")
        .fails(1);
}

#[test]
fn only_admins_read_the_audit_log() {
    let server = TestServer::start();
    server
        .as_support()
        .args(["audit", "list", "--org", "acme"])
        .fails(5);
    // Without --org, a non-admin is told the command is not for their role (not "no org").
    server
        .as_support()
        .args(["audit", "list"])
        .fails(5)
        .assert_error_shape()
        .stderr_has("for org admins; you are signed in as support");
    server
        .as_operator()
        .args(["grant", "revoke", "--all", "--yes"])
        .fails(5)
        .stderr_has("for org admins");
    server
        .as_admin()
        .args(["audit", "list", "--org", "globex"])
        .fails(3);
}

#[test]
fn follow_starts_at_the_end_with_tail_n_then_prints_each_new_event() {
    let server = TestServer::start();
    busy_log(&server);
    let existing = audit_events(&server);
    let mut child = std_command(
        &server.url,
        &server.tokens.admin,
        &server.dir.path().join("config"),
    )
    .args([
        "audit",
        "list",
        "--follow",
        "-o",
        "json",
        "--interval",
        "50ms",
        "--tail",
        "2",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let lines = JsonLines::of(child.stdout.take().unwrap());
    let next_event = || lines.next_event();

    // The last two events for context, one a line, exactly as the API has it (not the
    // whole history)...
    for event in &existing[existing.len() - 2..] {
        assert_eq!(&next_event(), event);
    }
    // ...then a change made elsewhere shows up without restarting.
    let grant = server
        .admin()
        .grant(json!({"level": "read-only", "reason": "Watch me"}));
    let created = next_event();
    assert_eq!(created["action"], "grant.created");
    assert_eq!(created["target"], grant);
    assert_eq!(created["seq"], existing.len() as i64 + 1);
    assert!(
        child.try_wait().unwrap().is_none(),
        "--follow must keep running"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn list_shows_the_newest_events_and_says_how_many_there_are() {
    let server = TestServer::start();
    busy_log(&server);
    let existing = audit_events(&server);
    assert!(existing.len() > 3);
    let out = server
        .as_admin()
        .args(["audit", "list", "--limit", "3", "-o", "json"])
        .ok();
    let shown = out.json();
    assert_eq!(
        shown.as_array().unwrap().as_slice(),
        &existing[existing.len() - 3..]
    );
    out.stderr_has(&format!(
        "showing the newest 3 of {} events",
        existing.len()
    ))
    .stderr_has("--all");
    let all = server
        .as_admin()
        .args(["audit", "list", "--all", "-o", "json"])
        .ok();
    assert_eq!(all.json().as_array().unwrap().len(), existing.len());
    assert!(!all.stderr.contains("showing"), "{all}");
}

#[test]
fn list_limit_prints_the_newest_oldest_first_in_every_format() {
    let server = TestServer::start();
    busy_log(&server);
    let existing = audit_events(&server);
    let all = server.as_admin().args(["audit", "list", "--all"]).ok();
    let limited = server
        .as_admin()
        .args(["audit", "list", "--limit", "3"])
        .ok();
    let all_rows = all.rows();
    assert_eq!(limited.rows(), all_rows[all_rows.len() - 3..], "{limited}");
    limited.stderr_has(&format!(
        "showing the newest 3 of {} events",
        existing.len()
    ));
    let quiet = server
        .as_admin()
        .args(["audit", "list", "--limit", "3", "-q"])
        .ok();
    let all_quiet = server.as_admin().args(["audit", "list", "-q"]).ok();
    assert_eq!(
        quiet.lines(),
        all_quiet.lines()[all_quiet.lines().len() - 3..]
    );
    // More asked than there are: all of them, and no note.
    let out = server
        .as_admin()
        .args(["audit", "list", "--limit", "1000", "-o", "json"])
        .ok();
    assert_eq!(out.json(), Value::Array(existing));
    assert!(!out.stderr.contains("showing"), "{out}");
}

#[test]
fn list_limit_asks_the_server_for_just_those_events() {
    let server = TestServer::start();
    busy_log(&server);
    let existing = audit_events(&server);
    let out = server
        .as_admin()
        .args(["audit", "list", "--limit", "2", "-v", "-o", "json"])
        .ok();
    assert_eq!(
        out.json().as_array().unwrap().as_slice(),
        &existing[existing.len() - 2..]
    );
    let asked: Vec<&str> = out
        .stderr
        .lines()
        .filter(|line| line.starts_with("> GET") && line.contains("/audit"))
        .collect();
    assert_eq!(asked.len(), 1, "{out}");
    assert!(
        asked[0].contains("order=desc") && asked[0].contains("limit=2"),
        "{out}"
    );
}

#[test]
fn list_filters_by_grant_session_request_actor_and_before_seq() {
    let server = TestServer::start();
    busy_log(&server);
    let api = audit_events(&server);
    let grant = api.iter().find(|e| e["action"] == "grant.created").unwrap()["target"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = api
        .iter()
        .find(|e| e["action"] == "session.opened")
        .unwrap()["target"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = |args: &[&str]| {
        let out = server
            .as_admin()
            .args(["audit", "list", "-o", "json"])
            .args(args)
            .ok();
        out.json().as_array().unwrap().clone()
    };
    let actions = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        actions(&listed(&["--grant", &grant])),
        ["grant.created", "session.opened", "grant.revoked"]
    );
    assert_eq!(
        actions(&listed(&["--session", &session])),
        ["session.opened", "access.denied", "session.closed"]
    );
    assert!(listed(&["--request", "rq_none"]).is_empty());
    let by_engineer = listed(&["--actor", "support@supportctl.test"]);
    assert_eq!(
        by_engineer,
        api.iter()
            .filter(|e| e["actor"]["email"] == "support@supportctl.test")
            .cloned()
            .collect::<Vec<_>>()
    );
    // The newest 2 before the 4th event.
    let before = listed(&["--before-seq", "4", "--limit", "2"]);
    assert_eq!(before.as_slice(), &api[1..3]);
    let out = server
        .as_admin()
        .args(["audit", "list", "--before-seq", "4", "--limit", "2"])
        .ok();
    out.stderr_has("showing the newest 2 matching events");
    server
        .as_admin()
        .args(["audit", "list", "--before-seq", "-1"])
        .fails(2);
}
