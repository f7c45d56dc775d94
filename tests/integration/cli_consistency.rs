//! One name for a thing across commands (`--for`, `--org`, `ls`, `rm`), and the smaller points
//! people hit in a real terminal: the login prompt, revoking an unknown id, verifying a filtered
//! export, passing a session token without putting it on the command line.

use serde_json::{Value, json};

use crate::cli_interactive::{finish, keys, on_terminal};
use crate::common::cli::{Cli, std_command};
use crate::common::fixtures::{introspect, lifetime_seconds};
use crate::common::harness::TestServer;
use crate::common::receiver::Receiver;

#[test]
fn for_is_the_duration_everywhere_and_the_old_names_still_work() {
    let server = TestServer::start();
    let id = server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync", "duration_seconds": 3600}));
    server
        .as_admin()
        .args(["grant", "extend", &id, "--for", "1h"])
        .ok();
    server
        .as_admin()
        .args(["grant", "extend", &id, "--by", "30m"])
        .ok();
    let grant = server
        .admin()
        .get(&format!("/v1/orgs/acme/grants/{id}"))
        .body;
    assert_eq!(lifetime_seconds(&grant), 3600 + 3600 + 1800);

    for (flag, seconds) in [("--for", 1200), ("--ttl", 600)] {
        let out = server
            .as_support()
            .args(["session", "open", "acme", flag, &format!("{}s", seconds)])
            .args(["--reason", "Look", "-q"])
            .ok();
        let active = introspect(&server, out.stdout.trim());
        assert_eq!(
            active["exp"].as_i64().unwrap() - active["iat"].as_i64().unwrap(),
            seconds,
            "{flag}"
        );
    }
    // The grant an access request asks for has a name of its own.
    server
        .as_support()
        .args([
            "session",
            "open",
            "acme",
            "--request-for",
            "2h",
            "--reason",
            "x",
        ])
        .fails(2)
        .stderr_has("--request");
    for help in [
        vec!["grant", "create", "--help"],
        vec!["grant", "extend", "--help"],
        vec!["session", "open", "--help"],
        vec!["session", "exec", "--help"],
    ] {
        server
            .as_nobody()
            .args(&help)
            .ok()
            .stdout_has("--for <DURATION>");
    }
}

#[test]
fn sessions_take_the_org_like_every_other_command() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    let open = |run: crate::common::cli::Run| {
        let out = run.ok();
        let token = out.stdout.trim().to_owned();
        assert_eq!(introspect(&server, &token)["org"], "acme", "{out}");
    };
    open(
        server
            .as_support()
            .args(["session", "open", "--org", "acme", "--reason", "x", "-q"]),
    );
    open(
        server
            .as_support()
            .env("SUPPORTCTL_ORG", "acme")
            .args(["session", "open", "--reason", "x", "-q"]),
    );
    open(
        server
            .as_support()
            .args(["session", "open", "acme", "--reason", "x", "-q"]),
    );
    server
        .as_support()
        .env("SUPPORTCTL_ORG", "acme")
        .args(["session", "exec", "--reason", "x", "--", "true"])
        .ok();
    server
        .as_support()
        .args(["session", "exec", "--org", "acme", "--reason", "x", "env"])
        .fails(2)
        .stderr_has("put the command after `--`");
    // Two orgs named: refused, not guessed.
    server
        .as_support()
        .args(["session", "open", "acme", "--org", "other", "--reason", "x"])
        .fails(2);
    // ...also before a `--`, where the command is already in its place: no hint to move it.
    let both = server
        .as_support()
        .args([
            "session", "exec", "acme", "--org", "other", "--reason", "x", "--", "true",
        ])
        .fails(2);
    assert!(
        !both.stderr.contains("put the command after"),
        "{}",
        both.stderr
    );
    // None at all: say how to name it.
    server
        .as_support()
        .args(["session", "open", "--reason", "x"])
        .fails(2)
        .stderr_has("--org");
}

#[test]
fn ls_and_rm_wherever_a_group_lists_and_removes() {
    let server = TestServer::start();
    let receiver = Receiver::start();
    server.as_admin().args(["request", "ls"]).ok();
    server
        .as_admin()
        .args(["webhook", "add", &format!("{}/in", receiver.url), "-q"])
        .ok();
    let listed = server
        .as_admin()
        .args(["webhook", "ls", "-o", "json"])
        .ok()
        .json();
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    server.as_admin().args(["webhook", "rm", &id, "--yes"]).ok();
    assert_eq!(
        server
            .as_admin()
            .args(["webhook", "ls", "-o", "json"])
            .ok()
            .json(),
        json!([])
    );
}

/// An unknown id: not found (exit 3), never "✓ Revoked 0", and on a terminal no question
/// about a grant that is not there.
#[test]
fn revoking_an_unknown_id_says_not_found() {
    let server = TestServer::start();
    let missing = "gr_00000000000000000000000000";
    let out = server
        .as_admin()
        .args(["grant", "revoke", missing, "--yes"])
        .fails(3);
    out.stderr_has(&format!("grant {missing} not found"));
    assert!(!out.stderr.contains("Revoked"), "{out}");

    let session = on_terminal(&server, &["grant", "revoke", missing]);
    let (code, rest) = finish(session);
    assert_eq!(code, 3, "{rest}");
    assert!(rest.contains("not found"), "{rest}");
    assert!(
        !rest.contains("Revoke grant"),
        "asked about nothing: {rest}"
    );
    assert!(!rest.contains("Revoked"), "{rest}");
}

#[test]
fn verifying_a_filtered_export_says_it_looks_filtered() {
    let server = TestServer::start();
    for i in 0..3 {
        let id = server
            .admin()
            .grant(json!({"level": "member", "reason": format!("case {i}")}));
        server
            .as_admin()
            .args(["grant", "revoke", &id, "--yes"])
            .ok();
    }
    let dir = tempfile::tempdir().unwrap();
    let export = |name: &str, args: &[&str]| {
        let out = server
            .as_admin()
            .args(["audit", "list", "--all", "-o", "json"])
            .args(args)
            .ok();
        let path = dir.path().join(name);
        std::fs::write(&path, &out.stdout).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let revoked = export("revoked.json", &["--action", "grant.revoked"]);
    let out = server
        .as_admin()
        .args(["audit", "verify", "--file", &revoked])
        .fails(1);
    out.assert_error_shape()
        .stderr_has("revoked.json looks filtered rather than broken")
        .stderr_has("it starts at seq")
        .stderr_has("--all -o json");

    // The newest events only (as --limit or --since keep them): starts past seq 1.
    let all: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(export("all.json", &[])).unwrap()).unwrap();
    let newest = &all[all.len() - 3..];
    server
        .as_admin()
        .args(["audit", "verify", "--file", "-"])
        .stdin(serde_json::to_vec(newest).unwrap())
        .fails(1)
        .stderr_has("looks filtered")
        .stderr_has(&format!(
            "it starts at seq {}",
            newest[0]["seq"].as_i64().unwrap()
        ));
}

#[test]
fn session_check_reads_the_token_from_stdin_or_the_environment() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    let token = server
        .as_support()
        .args(["session", "open", "acme", "--reason", "x", "-q"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let active = |out: &crate::common::cli::Out| {
        assert_eq!(out.json()["active"], true, "{out}");
    };
    active(
        &server
            .as_nobody()
            .args(["session", "check", "-o", "json"])
            .stdin(format!("{token}\n"))
            .ok(),
    );
    active(
        &server
            .as_nobody()
            .args(["session", "check", "-", "-o", "json"])
            .stdin(format!("{token}\n"))
            .ok(),
    );
    active(
        &server
            .as_nobody()
            .env("SUPPORTCTL_SESSION_TOKEN", &token)
            .args(["session", "check", "-o", "json"])
            .ok(),
    );
    active(
        &server
            .as_nobody()
            .args(["session", "check", "--token", &token, "-o", "json"])
            .ok(),
    );
    server
        .as_nobody()
        .args(["session", "check"])
        .stdin("")
        .fails(2)
        .stderr_has("SUPPORTCTL_SESSION_TOKEN");
    server
        .as_nobody()
        .args(["session", "check", "--help"])
        .ok()
        .stdout_has("supportctl session check - < token.txt");
}

/// The login prompt says where the token goes; without a keyring, login says so before
/// asking for a token that could not be kept.
#[test]
fn login_names_the_server_and_the_missing_keyring_before_asking() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let login = |extra: &[&str], keyring: bool| {
        let mut command = std_command(&server.url, "", dir.path());
        command
            .arg("login")
            .args(extra)
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1");
        if !keyring {
            command
                .env("SUPPORTCTL_KEYRING", "secret-service")
                .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
        }
        rexpect::session::spawn_with_options(
            command,
            rexpect::session::Options::new()
                .timeout_ms(Some(20_000))
                .strip_ansi_escape_codes(true),
        )
        .unwrap()
    };
    let session = login(&[], false);
    let (code, rest) = finish(session);
    assert_eq!(code, 1, "{rest}");
    assert!(!rest.contains("Paste"), "asked first: {rest}");
    for needed in [
        "no usable OS keyring",
        "--insecure-storage",
        "SUPPORTCTL_TOKEN",
    ] {
        assert!(rest.contains(needed), "lacks {needed:?}: {rest}");
    }

    let mut session = login(&["--insecure-storage"], false);
    session
        .exp_string(&format!("Paste your supportctl token for {}", server.url))
        .unwrap();
    keys(&mut session, &format!("{}\r", server.tokens.admin));
    let (code, rest) = finish(session);
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("Logged in to"), "{rest}");
}

#[test]
fn areas_all_is_what_leaving_areas_out_means() {
    let server = TestServer::start();
    let all = |value: &Value| {
        let mut areas: Vec<String> = crate::common::fixtures::strings(value);
        areas.sort();
        areas
    };
    let mut every: Vec<String> = crate::common::fixtures::ALL_AREAS
        .iter()
        .map(|area| area.to_string())
        .collect();
    every.sort();
    let grant = server
        .as_admin()
        .args(["grant", "create", "--level", "member", "--areas", "all"])
        .args(["--reason", "Sync", "-o", "json"])
        .ok()
        .json();
    assert_eq!(all(&grant["areas"]), every);
    let session = server
        .as_support()
        .args(["session", "open", "acme", "--areas", "all", "--reason", "x"])
        .args(["-o", "json"])
        .ok()
        .json();
    assert_eq!(all(&session["session"]["areas"]), every);
    let request = server
        .as_support()
        .args(["request", "create", "acme", "--level", "read-only"])
        .args(["--areas", "chats,all", "--reason", "x", "-o", "json"])
        .ok()
        .json();
    assert_eq!(all(&request["areas"]), every);
    server
        .as_admin()
        .args(["org", "policy", "set", "--areas", "chats"])
        .ok();
    server
        .as_admin()
        .args(["org", "policy", "set", "--areas", "all"])
        .ok();
    let policy = server.admin().get("/v1/orgs/acme/policy").body;
    assert_eq!(all(&policy["allowed_areas"]), every);
    // A misspelt area is still refused, naming the values, `all` among them.
    server
        .as_admin()
        .args(["grant", "create", "--level", "member", "--areas", "chat"])
        .args(["--reason", "Sync"])
        .fails(2)
        .stderr_has("all");
}

#[test]
fn grant_extend_takes_until_like_grant_create() {
    let server = TestServer::start();
    let id = server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync", "duration_seconds": 3600}));
    let grant = server
        .admin()
        .get(&format!("/v1/orgs/acme/grants/{id}"))
        .body;
    let ends = crate::common::fixtures::ts(&grant["expires_at"]);
    let until = crate::common::fixtures::plus(ends, 2 * 3600);
    let extended = server
        .as_admin()
        .args([
            "grant",
            "extend",
            &id,
            "--until",
            &until.to_string(),
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(extended["expires_at"], until.to_string());
    // Not after its end: refused, and the grant stays as it is.
    server
        .as_admin()
        .args(["grant", "extend", &id, "--until", &ends.to_string()])
        .fails(2)
        .stderr_has("not after the grant's end");
    server
        .as_admin()
        .args(["grant", "extend", &id])
        .fails(2)
        .stderr_has("--until");
    let grant = server
        .admin()
        .get(&format!("/v1/orgs/acme/grants/{id}"))
        .body;
    assert_eq!(grant["expires_at"], until.to_string());
}

#[test]
fn org_goes_before_the_subcommand_too() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    let out = server
        .as_admin()
        .args(["--org", "acme", "grant", "list", "-q"])
        .ok();
    assert_eq!(out.stdout.lines().count(), 1, "{out}");
    // The org given first is the one used: another org is refused.
    server
        .as_admin()
        .args(["--org", "other", "grant", "list"])
        .fails(3);
    let token = server
        .as_support()
        .args(["--org", "acme", "session", "open", "--reason", "x", "-q"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    assert_eq!(introspect(&server, &token)["org"], "acme");
    // `request create` takes the org like `session open`: ORG, or --org before or after.
    for (args, areas) in [
        (vec!["--org", "acme", "request", "create"], "chats"),
        (vec!["request", "create", "--org", "acme"], "issues"),
        (vec!["request", "create", "acme"], "documents"),
    ] {
        let request = server
            .as_support()
            .args(args)
            .args(["--level", "read-only", "--areas", areas, "--reason", "x"])
            .args(["-o", "json"])
            .ok()
            .json();
        assert_eq!(request["org"], "acme");
    }
    server
        .as_support()
        .args(["request", "create", "--level", "read-only", "--reason", "x"])
        .fails(2)
        .stderr_has("no org to ask");
    server
        .as_admin()
        .args(["--org=acme", "org", "policy", "set", "--require-ticket"])
        .ok();
}

#[test]
fn errors_name_flags_and_commands_not_json_fields_or_endpoints() {
    let server = TestServer::start();
    server
        .as_admin()
        .args(["org", "policy", "set", "--require-ticket"])
        .ok();
    let out = server
        .as_admin()
        .args(["grant", "create", "--level", "member", "--reason", "Sync"])
        .fails(6);
    assert_eq!(
        out.error_line(),
        "error: the org's policy requires a ticket (--ticket)"
    );
    let out = server
        .as_support()
        .args(["org", "policy", "--org", "acme"])
        .fails(5);
    out.stderr_has("this command is for admin accounts");
    assert!(!out.stderr.contains("endpoint"), "{out}");
    let out = server
        .as_admin()
        .args(["org", "policy", "set", "--approvals", "admin=2"])
        .fails(6);
    out.stderr_has("--approvals asks for 2 approvals");
    assert!(!out.stderr.contains("approvals_required"), "{out}");
}
