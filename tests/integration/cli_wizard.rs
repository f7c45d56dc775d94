//! The `grant create` wizard at the sizes people's terminals have (80×24, 120×40): every
//! answer checked as it is given, the summary and the equivalent command line, the final
//! question; and `session open` asking for its reason.

use rexpect::session::{Options, PtySession, spawn_with_options};

use crate::cli_interactive::{assert_no_crash, finish, keys, on_terminal};
use crate::common::cli::{Cli, std_command};
use crate::common::fixtures::{SUPPORT_EMAIL, lifetime_seconds};
use crate::common::harness::TestServer;

/// `supportctl ARGS` with `token`, on a terminal of `columns` × `rows`.
fn sized(server: &TestServer, token: &str, args: &[&str], columns: u16, rows: u16) -> PtySession {
    let command = std_command(&server.url, token, &server.dir.path().join("config"));
    let mut shell = std::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(format!(
            "stty cols {columns} rows {rows} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_supportctl"))
        .args(args);
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    shell
        .env_remove("COLUMNS")
        .env_remove("LINES")
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1");
    spawn_with_options(
        shell,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .expect("cannot start supportctl on a pseudo-terminal")
}

/// The command line the summary shows, its continuation lines joined, split into words.
fn command_words(shown: &str) -> (Vec<String>, Vec<String>) {
    let start = shown
        .rfind("The same without questions:")
        .unwrap_or_else(|| panic!("no command line shown:\n{shown}"));
    let lines: Vec<String> = shown[start..]
        .lines()
        .skip(1)
        .map(|line| line.trim_end_matches('\r').to_owned())
        .take_while(|line| !line.trim().is_empty())
        .collect();
    let words = shell_words::split(&lines.join("\n").replace(" \\\n", " ")).unwrap();
    (lines, words)
}

#[test]
fn the_wizard_asks_again_keeps_earlier_answers_and_shows_the_command_at_80_columns() {
    let server = TestServer::start();
    let mut session = sized(&server, &server.tokens.admin, &["grant", "create"], 80, 24);
    session.exp_string("Access level").unwrap();
    keys(&mut session, "j\r");
    // Every area cleared: asked again, not aborted.
    session.exp_string("Data areas").unwrap();
    session.exp_string("checklists").unwrap();
    keys(&mut session, " j j j j j \r");
    session.exp_string("choose at least one area").unwrap();
    session.exp_string("checklists").unwrap();
    // Nothing is ticked any more; tick chats and issues.
    keys(&mut session, " jjj \r");
    // A duration the flag would refuse, then one over the maximum: each asked again at once.
    session.exp_string("For how long").unwrap();
    keys(&mut session, "soon\r");
    session.exp_string("is not a duration").unwrap();
    keys(&mut session, "45d\r");
    session
        .exp_string("45d is over the org's 30d maximum")
        .unwrap();
    keys(&mut session, "90m\r");
    session.exp_string("Engineers").unwrap();
    keys(&mut session, "bob\r");
    session.exp_string("'bob' is not an email address").unwrap();
    keys(&mut session, &format!("{SUPPORT_EMAIL}\r"));
    session.exp_string("Ticket").unwrap();
    keys(&mut session, "SUP-7\r");
    session.exp_string("Reason").unwrap();
    keys(
        &mut session,
        "Sync fails; it's the customer's \"main\" board\r",
    );
    session.exp_string("Grant to create:").unwrap();
    let shown = session.exp_string("Create this grant?").unwrap();
    for field in [
        "Org        acme",
        "Level      member",
        "Areas      chats, issues",
        "Duration   1h 30m, until ",
        &format!("Engineers  {SUPPORT_EMAIL}"),
        "Ticket     SUP-7",
        "Reason     Sync fails; it's the customer's \"main\" board",
    ] {
        assert!(shown.contains(field), "summary lacks {field:?}:\n{shown}");
    }
    // The end as the tables say it ("17:00", "Tue 17:00"), never a full date and zone.
    let duration = shown.lines().find(|l| l.contains("Duration")).unwrap();
    let year = jiff::Zoned::now().year().to_string();
    assert!(!duration.contains(&year), "{duration}");
    let (lines, words) = command_words(&shown);
    assert!(lines.len() > 1, "too long for one line at 80: {lines:?}");
    for line in &lines {
        assert!(line.chars().count() <= 80, "wider than 80: {line:?}");
    }
    keys(&mut session, "y\r");
    session.exp_string("Granted member access to acme").unwrap();
    let (code, rest) = finish(session);
    assert_no_crash(&rest);
    assert_eq!(code, 0, "{rest}");

    // The command shown makes the same grant without questions.
    assert_eq!(words[..3], ["supportctl", "grant", "create"]);
    server.as_admin().args(&words[1..]).ok();
    let grants = server.admin().all("/v1/orgs/acme/grants");
    assert_eq!(grants.len(), 2);
    for grant in &grants {
        assert_eq!(grant["level"], "member");
        assert_eq!(grant["areas"], serde_json::json!(["chats", "issues"]));
        assert_eq!(grant["engineers"], serde_json::json!([SUPPORT_EMAIL]));
        assert_eq!(grant["ticket"], "SUP-7");
        assert_eq!(
            grant["reason"],
            "Sync fails; it's the customer's \"main\" board"
        );
        assert_eq!(lifetime_seconds(grant), 5400);
    }
}

#[test]
fn no_at_the_end_creates_nothing_and_the_command_fits_one_line_at_120_columns() {
    let server = TestServer::start();
    let args = [
        "grant", "create", "--level", "member", "--for", "4h", "--ticket", "SUP-1",
    ];
    let mut session = sized(&server, &server.tokens.admin, &args, 120, 40);
    session.exp_string("Data areas").unwrap();
    session.exp_string("checklists").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Engineers").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Reason").unwrap();
    keys(&mut session, "Look at the sync\r");
    let shown = session.exp_string("Create this grant?").unwrap();
    assert!(shown.contains("Areas      all"), "{shown}");
    assert!(
        shown.contains("Engineers  the whole support team"),
        "{shown}"
    );
    let (lines, words) = command_words(&shown);
    assert_eq!(
        lines,
        [
            "  supportctl grant create --org acme --level member --for 4h --ticket SUP-1 --reason 'Look at the sync'"
        ]
    );
    assert_eq!(words.last().unwrap(), "Look at the sync");
    keys(&mut session, "n\r");
    let (code, rest) = finish(session);
    assert_eq!(code, 1, "{rest}");
    assert!(rest.contains("Cancelled."), "{rest}");
    assert!(!rest.contains("error:"), "{rest}");
    assert!(server.admin().all("/v1/orgs/acme/grants").is_empty());
}

/// Level, duration and reason given: nothing to ask (areas default to all), even on a
/// terminal.
#[test]
fn a_complete_command_line_asks_nothing() {
    let server = TestServer::start();
    let mut session = on_terminal(
        &server,
        &[
            "grant", "create", "--level", "member", "--for", "1h", "--reason", "Complete",
        ],
    );
    let shown = session.exp_string("Granted member access to acme").unwrap();
    assert!(!shown.contains("Data areas"), "{shown}");
    let (code, rest) = finish(session);
    assert_eq!(code, 0, "{rest}");
    let grant = &server.admin().all("/v1/orgs/acme/grants")[0];
    assert_eq!(grant["areas"].as_array().unwrap().len(), 6);
}

/// `session open` without `--reason`: asked for on a terminal; without one, exit 2 naming
/// the flag.
#[test]
fn session_open_asks_for_its_reason_on_a_terminal() {
    let server = TestServer::start();
    server
        .admin()
        .grant(serde_json::json!({"level": "member", "reason": "for the test"}));
    let mut session = sized(
        &server,
        &server.tokens.support,
        &["session", "open", "--org", "acme", "--for", "20m"],
        80,
        24,
    );
    session.exp_string("Reason").unwrap();
    // Nothing typed: the question again.
    keys(&mut session, "\r");
    session.exp_string("Reason").unwrap();
    keys(&mut session, "Ticket 4821\r");
    session.exp_string("Opened session").unwrap();
    let (code, rest) = finish(session);
    assert_eq!(code, 0, "{rest}");
    let sessions = server.support().all("/v1/sessions");
    assert_eq!(sessions[0]["reason"], "Ticket 4821");

    server
        .as_support()
        .args(["session", "open", "acme"])
        .fails(2)
        .stderr_has("--reason");
}

/// An engineer only the server can refuse (no such support account): asked for again, every
/// other answer kept. The question asked again waits for a new answer: neither the Enter
/// after the "y" (which once answered it: empty, the whole support team) nor a line typed
/// ahead before the refusal was shown.
#[test]
fn an_engineer_the_server_does_not_know_is_asked_again() {
    let server = TestServer::start();
    let args = [
        "grant",
        "create",
        "--level",
        "read-only",
        "--areas",
        "chats",
        "--for",
        "1h",
    ];
    let mut session = sized(&server, &server.tokens.admin, &args, 100, 30);
    session.exp_string("Engineers").unwrap();
    keys(&mut session, "nobody@vendor.example\r");
    session.exp_string("Ticket").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Reason").unwrap();
    keys(&mut session, "Kept\r");
    session.exp_string("Create this grant?").unwrap();
    keys(&mut session, "y\rahead@vendor.example\r");
    session
        .exp_string("'nobody@vendor.example' is not an enabled support engineer")
        .unwrap();
    session.exp_string("Engineers").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    keys(&mut session, &format!("{SUPPORT_EMAIL}\r"));
    let shown = session.exp_string("Create this grant?").unwrap();
    assert!(shown.contains("Reason     Kept"), "{shown}");
    assert!(
        shown.contains(&format!("Engineers  {SUPPORT_EMAIL}")),
        "{shown}"
    );
    assert!(!shown.contains("ahead@vendor.example"), "{shown}");
    keys(&mut session, "y\r");
    session
        .exp_string("Granted read-only access to acme")
        .unwrap();
    let (code, rest) = finish(session);
    assert_eq!(code, 0, "{rest}");
    let grant = &server.admin().all("/v1/orgs/acme/grants")[0];
    assert_eq!(grant["engineers"], serde_json::json!([SUPPORT_EMAIL]));
    assert_eq!(grant["reason"], "Kept");
}

/// A duration within the org's policy but over the server's own limit (which only the server
/// knows): asked for again after the server says so, every other answer kept.
#[test]
fn a_duration_over_the_servers_limit_is_asked_again() {
    let server = TestServer::start();
    let args = ["grant", "create", "--level", "member", "--areas", "chats"];
    let mut session = sized(&server, &server.tokens.admin, &args, 80, 24);
    session.exp_string("For how long").unwrap();
    keys(&mut session, "5h\r");
    session.exp_string("Engineers").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Ticket").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Reason").unwrap();
    keys(&mut session, "Long one\r");
    session.exp_string("Create this grant?").unwrap();
    // The limit shrinks after the answers were checked: only the server can refuse now.
    server
        .as_admin()
        .args([
            "org",
            "policy",
            "set",
            "--max-grant",
            "2h",
            "--default-grant",
            "1h",
        ])
        .ok();
    keys(&mut session, "y\r");
    session.exp_string("maximum").unwrap();
    session.exp_string("For how long").unwrap();
    keys(&mut session, "90m\r");
    let shown = session.exp_string("Create this grant?").unwrap();
    assert!(shown.contains("Reason     Long one"), "{shown}");
    keys(&mut session, "y\r");
    session.exp_string("Granted member access to acme").unwrap();
    let (code, rest) = finish(session);
    assert_eq!(code, 0, "{rest}");
    let grant = &server.admin().all("/v1/orgs/acme/grants")[0];
    assert_eq!(lifetime_seconds(grant), 5400);
}
