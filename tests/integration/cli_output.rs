//! What every command shares: exit codes, the shape of errors, transport safety, colour.

use serde_json::json;

use crate::common::cli::{Cli, Run, dead_server_url};
use crate::common::harness::TestServer;

#[test]
fn each_documented_exit_code() {
    let server = TestServer::start();
    let grant = server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));

    // 0 success
    server.as_admin().args(["grant", "show", &grant]).ok();
    // 1 error (a broken export)
    server
        .as_admin()
        .args(["audit", "verify", "--file", "-"])
        .stdin("[{\"seq\": 1}]")
        .fails(1);
    // 2 usage: from clap, from the command, and a missing --yes
    server.as_admin().args(["grant", "list", "--bogus"]).code(2);
    server.as_admin().args(["grant"]).code(2);
    server
        .as_admin()
        .args(["grant", "list", "--json", "-o", "tsv"])
        .code(2);
    server.as_admin().args(["grant", "revoke", &grant]).fails(2);
    // 3 not found
    server
        .as_admin()
        .args(["grant", "show", "gr_00000000000000000000000000"])
        .fails(3);
    // 4 not authenticated: an unknown token, and none at all
    server
        .run_with("sat_0000000000000000000000000000000000000000000000")
        .args(["grant", "list"])
        .fails(4);
    server.as_nobody().args(["grant", "list"]).fails(4);
    // 5 permission denied
    server.as_support().args(["org", "list"]).fails(5);
    // 6 conflict or policy
    server
        .as_admin()
        .args([
            "grant", "create", "--level", "member", "--for", "31d", "--reason", "x",
        ])
        .fails(6);
    // 7 server unreachable: said in a few words; the chain of causes under -v.
    let dead = dead_server_url();
    let out = server
        .as_admin()
        .env("SUPPORTCTL_SERVER", &dead)
        .args(["grant", "list"])
        .fails(7);
    out.assert_error_shape().stderr_has(&format!(
        "error: cannot reach {}: connection refused",
        dead.trim_end_matches('/')
    ));
    assert!(!out.stderr.contains("tcp connect"), "{out}");
    server
        .as_admin()
        .env("SUPPORTCTL_SERVER", &dead)
        .args(["grant", "list", "-v"])
        .fails(7)
        .stderr_has("error sending request");
    // A bad SUPPORTCTL_TOKEN says that it overrides the login.
    server
        .run_with("sat_0000000000000000000000000000000000000000000000000")
        .args(["grant", "list"])
        .fails(4)
        .stderr_has("SUPPORTCTL_TOKEN is set and overrides your login");
    // -h and --help succeed, and --help documents the exit codes.
    server.as_nobody().arg("-h").ok();
    server
        .as_nobody()
        .arg("--help")
        .ok()
        .stdout_has("Exit codes:")
        .stdout_has("7    server unreachable");
}

#[test]
fn errors_are_one_line_with_an_optional_hint_and_never_a_backtrace() {
    let server = TestServer::start();
    let grant = server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    let dead = dead_server_url();
    let failing: Vec<Run> = vec![
        server.as_admin().args(["grant", "revoke", &grant]),
        server
            .as_admin()
            .args(["grant", "show", "gr_00000000000000000000000000"]),
        server.run_with("sat_bogus").args(["grant", "list"]),
        server.as_nobody().args(["status"]),
        server.as_support().args(["org", "list"]),
        server.as_admin().args([
            "grant", "create", "--level", "member", "--for", "31d", "--reason", "x",
        ]),
        server
            .as_admin()
            .env("SUPPORTCTL_SERVER", &dead)
            .args(["grant", "list"]),
        server
            .as_admin()
            .args(["--server", "http://support.example.com", "grant", "list"]),
        server
            .as_admin()
            .args(["grant", "create", "--level", "member"]),
        server
            .as_admin()
            .args(["audit", "verify", "--file", "/nonexistent/audit.json"]),
        server
            .as_admin()
            .env("SUPPORTCTL_CONFIG_DIR", "/dev/null/not-a-dir")
            .env_remove("SUPPORTCTL_TOKEN")
            .args(["status"]),
    ];
    for run in failing {
        // Every run checks RUST_BACKTRACE=1 (the harness sets it); these also check `full`.
        let out = run.env("RUST_BACKTRACE", "full").run();
        assert_ne!(out.code, Some(0), "`{}` should fail:\n{out}", out.command);
        out.assert_error_shape();
        assert!(
            !out.stderr.contains("Error {") && !out.stderr.contains("kind:"),
            "`{}` printed a debug dump:\n{out}",
            out.command
        );
    }

    // Command lines clap refuses are said the same way, exit 2, with what to do instead.
    for (args, says, hint) in [
        (
            &["grant", "create", "--level", "superuser"][..],
            "(possible values: read-only, member, admin)",
            "see `supportctl grant create --help`",
        ),
        (
            &["grant", "list", "--limit", "1", "--all"],
            "cannot be used with '--all'",
            "see `supportctl grant list --help`",
        ),
        (
            &["session", "open", "--for", "soon"],
            "invalid value 'soon' for '--for <DURATION>'",
            "see `supportctl session open --help`",
        ),
        (
            &["grant", "create", "--orgg", "acme"],
            "unexpected argument '--orgg'",
            "a similar argument exists: '--org'",
        ),
    ] {
        server
            .as_admin()
            .args(args)
            .fails(2)
            .assert_error_shape()
            .stderr_has(says)
            .stderr_has(&format!("hint: {hint}"));
    }
}

#[test]
fn plain_http_to_another_host_is_refused_unless_allowed() {
    let server = TestServer::start();
    let out = server
        .as_admin()
        .args([
            "--server",
            "http://support.example.com:8420",
            "grant",
            "list",
        ])
        .fails(2);
    out.assert_error_shape()
        .stderr_has("support.example.com")
        .stderr_has("--allow-insecure-http");
    // Refused before any connection: a host that cannot resolve fails the same way.
    server
        .as_admin()
        .args([
            "--server",
            "http://supportctl-test.invalid",
            "grant",
            "list",
        ])
        .fails(2)
        .stderr_has("--allow-insecure-http");
    // Allowed: it really tries (and, .invalid never resolving, cannot reach it).
    server
        .as_admin()
        .args([
            "--server",
            "http://supportctl-test.invalid",
            "--allow-insecure-http",
        ])
        .args(["grant", "list"])
        .fails(7)
        .stderr_has("cannot reach");
    // Loopback by name is this machine: allowed without the flag.
    let localhost = server.url.replace("127.0.0.1", "localhost");
    server
        .as_admin()
        .args(["--server", &localhost, "grant", "list"])
        .ok();
}

#[test]
fn no_color_and_color_never_print_no_escape_codes() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    let has_escape = |text: &str| text.contains('\x1b');

    // The check can see colour when it is there.
    let out = server
        .as_admin()
        .args(["grant", "list", "-o", "table", "--color", "always"])
        .ok();
    assert!(
        has_escape(&out.stdout),
        "--color always colours tables:\n{out}"
    );
    let out = server
        .as_admin()
        .args(["grant", "revoke", "gr_x", "--color", "always"])
        .code(3);
    assert!(
        has_escape(&out.stderr),
        "--color always colours errors:\n{out}"
    );

    let quiet_runs = [
        server
            .as_admin()
            .args(["grant", "list", "-o", "table", "--color", "never"]),
        server
            .as_admin()
            .env("CLICOLOR_FORCE", "1")
            .args(["grant", "list", "-o", "table", "--color", "never"]),
        server
            .as_admin()
            .env("NO_COLOR", "1")
            .args(["grant", "list", "-o", "table"]),
        server
            .as_admin()
            .env("NO_COLOR", "1")
            .env("CLICOLOR_FORCE", "1")
            .args(["grant", "list", "-o", "table"]),
        server
            .as_admin()
            .env("NO_COLOR", "1")
            .args(["grant", "revoke", "gr_x"]),
        server
            .as_admin()
            .args(["grant", "revoke", "gr_x", "--color", "never"]),
        server.as_admin().env("NO_COLOR", "1").args([
            "grant", "create", "--level", "member", "--reason", "x", "-o", "table",
        ]),
        server
            .as_admin()
            .env("NO_COLOR", "1")
            .args(["audit", "verify"]),
    ];
    for run in quiet_runs {
        let out = run.run();
        assert!(
            !has_escape(&out.stdout) && !has_escape(&out.stderr),
            "`{}` printed escape codes:\n{out}",
            out.command
        );
    }
    // Piped output (TSV) has no colour even when it is allowed.
    let out = server.as_admin().args(["grant", "list"]).ok();
    assert!(!has_escape(&out.stdout), "{out}");
}

#[test]
fn verbose_traces_http_with_the_token_redacted() {
    let server = TestServer::start();
    let out = server.as_admin().args(["-vv", "grant", "list"]).ok();
    out.stderr_has("> GET ").stderr_has("[redacted]");
    assert!(
        !out.stderr.contains(&server.tokens.admin),
        "the token leaked into the trace:\n{out}"
    );
}

/// `ls` and `rm` aliases; the `--` hint for `session exec ORG COMMAND`; revoking only unknown
/// IDs announces no "Revoked 0".
#[test]
fn aliases_the_exec_hint_and_no_empty_success() {
    let server = TestServer::start();
    server.as_admin().args(["grant", "ls"]).ok();
    server.as_support().args(["session", "ls"]).ok();
    server
        .as_support()
        .args(["session", "exec", "acme", "--reason", "x", "env"])
        .fails(2)
        .stderr_has("put the command after `--`");
    let out = server
        .as_admin()
        .args(["grant", "rm", "gr_00000000000000000000000000", "--yes"])
        .fails(3);
    assert!(!out.stderr.contains("Revoked 0"), "{out}");
}

/// The commands that printed the same whatever `-q` or `-o json` said: `-q` prints only the
/// id, `-o json` the API's object (or, where there is none, a JSON object).
#[test]
fn quiet_and_json_are_honoured_by_every_command_that_prints() {
    let server = TestServer::start();
    let me = server.admin().get("/v1/me").body;
    let id = me["id"].as_str().unwrap();

    let out = server.as_admin().args(["status", "-q"]).ok();
    assert_eq!(out.stdout, format!("{id}\n"));

    let config = tempfile::tempdir().unwrap();
    let login = |format: &[&str]| {
        server
            .as_nobody()
            .config_dir(config.path())
            .args(["login", "--with-token", "--insecure-storage"])
            .args(format)
            .stdin(format!("{}\n", server.tokens.admin))
            .ok()
    };
    assert_eq!(login(&["-o", "json"]).json()["id"], id);
    assert_eq!(login(&["-q"]).stdout, format!("{id}\n"));

    let in_config = |args: &[&str]| server.as_nobody().config_dir(config.path()).args(args).ok();
    assert_eq!(
        in_config(&["profile", "current", "-o", "json"]).json()["profile"],
        "default"
    );
    assert_eq!(
        in_config(&["profile", "use", "default", "-o", "json"]).json()["name"],
        "default"
    );
    assert_eq!(
        in_config(&["profile", "use", "default", "-q"]).stdout,
        "default\n"
    );
    let key = server.as_nobody().args(["audit", "key", "-o", "json"]).ok();
    assert!(key.json()["key"].is_string(), "{key}");
    let checkpoint = server
        .as_admin()
        .args(["audit", "checkpoint", "-o", "json"])
        .ok();
    assert!(checkpoint.json()["checkpoint"].is_string(), "{checkpoint}");
    assert_eq!(
        in_config(&["logout", "-o", "json"]).json()["logged_out"],
        true
    );
}
