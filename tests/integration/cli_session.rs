//! `supportctl session ...` through the real binary; outcomes checked through the API.

use serde_json::{Value, json};

use crate::common::cli::{Cli, audit_events};
use crate::common::fixtures::introspect;
use crate::common::harness::TestServer;

fn session(server: &TestServer, id: &str) -> Value {
    let reply = server.admin().get(&format!("/v1/sessions/{id}"));
    reply.assert_ok();
    reply.body
}

#[test]
fn open_prints_the_token_once_in_every_format() {
    let server = TestServer::start();
    let grant = server
        .admin()
        .grant(json!({"level": "member", "areas": ["chats", "issues"], "reason": "Sync"}));

    // -q: only the token, ready for $(...).
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
        .args(["--ttl", "30m", "--reason", "Look", "-q"])
        .ok();
    assert_eq!(out.lines().len(), 1, "{out}");
    let token = out.stdout.trim();
    assert!(token.starts_with("sst_"), "{out}");
    let active = introspect(&server, token);
    assert_eq!(active["active"], true);
    assert_eq!(active["level"], "read-only");
    assert_eq!(active["areas"], json!(["chats"]));
    assert_eq!(active["grant_id"], grant.as_str());
    assert_eq!(
        active["exp"].as_i64().unwrap() - active["iat"].as_i64().unwrap(),
        1800
    );

    // JSON: {session, token}, the API's answer.
    let opened = server
        .as_support()
        .args(["session", "open", "acme", "--reason", "Look", "-o", "json"])
        .ok()
        .json();
    let id = opened["session"]["id"].as_str().unwrap();
    assert_eq!(opened["session"], session(&server, id));
    assert_eq!(
        introspect(&server, opened["token"].as_str().unwrap())["active"],
        true
    );

    // TSV: the session's columns in table order, then the token.
    let out = server
        .as_support()
        .args(["session", "open", "acme", "--reason", "Look"])
        .ok();
    let rows = out.rows();
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0].len(), 11, "{out}");
    assert!(rows[0][0].starts_with("ses_"));
    assert_eq!(&rows[0][1..3], ["acme", "active"]);
    assert!(rows[0][10].starts_with("sst_"));

    // A reason is required; without a usable grant the server refuses.
    server
        .as_support()
        .args(["session", "open", "acme"])
        .fails(2)
        .stderr_has("--reason");
    server
        .as_support()
        .args([
            "session", "open", "acme", "--level", "admin", "--reason", "More",
        ])
        .fails(6);
}

#[test]
fn list_show_check_and_close() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    let (id, token) = server
        .support()
        .open(json!({"reason": "Look", "areas": ["chats"]}));

    // Both the engineer and the org admin see it.
    let mine = server
        .as_support()
        .args(["session", "list", "-o", "json"])
        .ok()
        .json();
    assert_eq!(mine, Value::Array(server.support().all("/v1/sessions")));
    let out = server
        .as_support()
        .args(["session", "list", "--org", "acme", "-q"])
        .ok();
    assert_eq!(out.lines(), [id.as_str()]);
    let out = server.as_admin().args(["session", "list", "-q"]).ok();
    assert_eq!(out.lines(), [id.as_str()]);
    let out = server.as_admin().args(["session", "show", &id]).ok();
    assert_eq!(out.rows()[0][0], id);
    server
        .as_admin()
        .args(["session", "show", "ses_00000000000000000000000000"])
        .fails(3);

    // check: active, and what it may do.
    let check = server
        .as_nobody()
        .args(["session", "check", "--token", &token, "-o", "json"])
        .ok()
        .json();
    assert_eq!(check["active"], true);
    assert_eq!(check["allowed"], json!(["chats:read", "chats:write"]));
    server
        .as_nobody()
        .args(["session", "check"])
        .env("SUPPORTCTL_SESSION_TOKEN", &token)
        .ok()
        .stderr_has("is active");

    // close: needs --yes without a terminal; then closed; then a note, not an error.
    server
        .as_admin()
        .args(["session", "close", &id])
        .fails(2)
        .stderr_has("--yes");
    assert_eq!(session(&server, &id)["status"], "active");
    server
        .as_admin()
        .args(["session", "close", &id, "--reason", "Done", "--yes"])
        .ok()
        .stderr_has("Closed session");
    let closed = session(&server, &id);
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["close_reason"], "Done");
    server
        .as_admin()
        .args(["session", "close", &id, "--yes"])
        .ok()
        .stderr_has("already ended");
    assert_eq!(session(&server, &id)["close_reason"], "Done");

    // Closing your own session asks nothing, terminal or not.
    let (own_id, _) = server.support().open(json!({"reason": "Mine"}));
    server
        .as_support()
        .args(["session", "close", &own_id])
        .ok()
        .stderr_has("Closed session");

    // The token is dead: check exits 4.
    server
        .as_nobody()
        .args(["session", "check", "--token", &token])
        .fails(4);
    let check = server
        .as_nobody()
        .args(["session", "check", "--token", &token, "-o", "json"])
        .fails(4)
        .json();
    assert_eq!(check["active"], false);
    server
        .as_nobody()
        .args(["session", "check", "--token", "sat_not_a_session_token"])
        .fails(2);
}

#[test]
fn exec_returns_the_commands_exit_code_and_closes_the_session() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));

    let out = server
        .as_support()
        .args([
            "session", "exec", "acme", "--areas", "chats", "--reason", "Export",
        ])
        .args(["--", "sh", "-c"])
        .arg(r#"printf '%s %s\n' "$SUPPORTCTL_SESSION_ID" "$SUPPORTCTL_SESSION_TOKEN"; exit 42"#)
        .code(42);
    let printed: Vec<&str> = out.stdout.split_whitespace().collect();
    let [id, token] = printed.as_slice() else {
        panic!("the command did not see its session: {out}");
    };
    assert!(id.starts_with("ses_") && token.starts_with("sst_"), "{out}");
    assert!(
        !out.stderr.contains("error:"),
        "the command's own exit code is not an error of supportctl's: {out}"
    );

    // Closed afterwards: the API says so, the token is dead, and the audit log has both ends.
    let closed = session(&server, id);
    assert_eq!(closed["status"], "closed");
    assert_eq!(introspect(&server, token), json!({"active": false}));
    let events = audit_events(&server);
    let about: Vec<&str> = events
        .iter()
        .filter(|e| e["target"] == *id)
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(about, ["session.opened", "session.closed"]);

    // Success passes through as 0; a missing program is 127, found before any session opens.
    server
        .as_support()
        .args(["session", "exec", "acme", "--reason", "Ok", "--", "true"])
        .ok();
    server
        .as_support()
        .args(["session", "exec", "acme", "--reason", "Typo", "--"])
        .arg("supportctl-test-no-such-program")
        .code(127)
        .stderr_has("cannot run")
        .stderr_has("no session was opened");
    let sessions = server.support().all("/v1/sessions?status=all");
    assert_eq!(sessions.len(), 2, "a missing program opens no session");
    assert!(
        sessions.iter().all(|s| s["status"] == "closed"),
        "every exec session is closed: {sessions:?}"
    );
}

#[test]
fn exec_gives_the_command_the_session_and_never_an_account_token() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    let out = server
        .as_support()
        .env("SUPPORTCTL_ADMIN_TOKEN", &server.tokens.admin)
        .args([
            "session",
            "exec",
            "acme",
            "--areas",
            "chats,issues",
            "--level",
            "read-only",
        ])
        .args(["--reason", "Env", "--", "sh", "-c"])
        .arg("env | grep -e '^SUPPORTCTL_' -e 'sat_' || true")
        .ok();
    let vars: std::collections::HashMap<&str, &str> = out
        .stdout
        .lines()
        .filter_map(|line| line.split_once('='))
        .collect();
    assert!(
        !out.stdout.contains("sat_"),
        "an account token reached the command: {out}"
    );
    assert!(!vars.contains_key("SUPPORTCTL_TOKEN"), "{out}");
    assert!(!vars.contains_key("SUPPORTCTL_ADMIN_TOKEN"), "{out}");
    assert!(
        vars["SUPPORTCTL_SESSION_TOKEN"].starts_with("sst_"),
        "{out}"
    );
    assert!(vars["SUPPORTCTL_SESSION_ID"].starts_with("ses_"), "{out}");
    assert_eq!(vars["SUPPORTCTL_SESSION_ORG"], "acme");
    assert_eq!(vars["SUPPORTCTL_SESSION_LEVEL"], "read-only");
    assert_eq!(vars["SUPPORTCTL_SESSION_AREAS"], "chats,issues");
    assert!(vars.contains_key("SUPPORTCTL_SESSION_EXPIRES_AT"), "{out}");
}
