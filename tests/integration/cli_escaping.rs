//! Text from others reaches a terminal escaped: escape sequences (a clipboard write, a screen
//! clear), C1 controls, newlines and Unicode format characters in what the server sends print
//! as visible escapes in tables, `show`, TSV, `audit list`, `status` and error messages, while
//! JSON carries them unchanged. `request review` keeps a reason on one line and restates what
//! an approval grants; the server refuses such text in the first place.
//!
//! The hostile text is written into the database directly, as a server from before these rules
//! (or one that was broken into) would hold it: the server itself now refuses it.

use rexpect::process::WaitStatus;
use rexpect::session::{Options, spawn_with_options};
use serde_json::{Value, json};

use crate::common::bad_requests::*;
use crate::common::cli::{Cli, Out, std_command};
use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, TestServer, run_sql};

/// A clipboard write (OSC 52), a screen clear, a C1 CSI, a right-to-left override, a zero-width
/// space, a newline and a tab.
const HOSTILE: &str =
    "ok\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}nimda\u{200b}\nsecond\tend";
/// How a terminal shows it.
const SHOWN: &str =
    "ok\\u{1b}]52;c;ZXZpbA==\\u{7}\\u{1b}[2J\\u{9b}31m\\u{202e}nimda\\u{200b}\\nsecond\\tend";

/// Nothing in `text` acts on a terminal: no control character but the newlines that end its
/// lines and the tabs between TSV fields, no format character.
fn assert_inert(out: &Out) {
    for text in [&out.stdout, &out.stderr] {
        let found: Vec<char> = text
            .chars()
            .filter(|&c| {
                (c.is_control() && c != '\n' && c != '\t')
                    || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}')
            })
            .collect();
        assert!(
            found.is_empty(),
            "`{}` printed {found:?}:\n{out}",
            out.command
        );
    }
}

#[test]
fn server_text_reaches_the_terminal_escaped_and_json_unchanged() {
    let server = TestServer::start();
    let grant = server
        .admin()
        .grant(json!({"level": "member", "reason": "placeholder"}));
    run_sql(
        &server.db_url,
        &format!("UPDATE grants SET reason = '{HOSTILE}' WHERE id = '{grant}'"),
    );

    // Tables and `show`: one line, visible escapes.
    let table = server
        .as_admin()
        .args(["grant", "list", "-o", "table"])
        .ok();
    assert_inert(&table);
    table.stdout_has(SHOWN);
    assert_eq!(table.lines().len(), 2, "{table}");
    let shown = server
        .as_admin()
        .args(["grant", "show", &grant, "-o", "table"])
        .ok();
    assert_inert(&shown);
    shown.stdout_has(SHOWN);

    // TSV (piped): one record per line, escaped the same way.
    let tsv = server.as_admin().args(["grant", "list"]).ok();
    assert_inert(&tsv);
    assert_eq!(tsv.lines().len(), 1, "{tsv}");
    assert!(tsv.rows()[0].contains(&SHOWN), "{tsv}");

    // JSON is for programs: the API's text, unchanged.
    let json = server
        .as_admin()
        .args(["grant", "list", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json[0]["reason"], HOSTILE);

    // The audit log, as a table and as TSV.
    run_sql(
        &server.db_url,
        &format!("UPDATE audit_events SET actor_email = '{HOSTILE}'"),
    );
    for args in [
        &["audit", "list", "-o", "table"][..],
        &["audit", "list"][..],
    ] {
        let out = server.as_admin().args(args).ok();
        assert_inert(&out);
        out.stdout_has(SHOWN);
    }

    // `status`: the account's email as the server says it.
    let eve = create_support(&server, "eve@supportctl.test");
    run_sql(
        &server.db_url,
        &format!(
            "UPDATE accounts SET email = '{HOSTILE}' WHERE id = '{}'",
            eve.id
        ),
    );
    let status = server.run_with(&eve.token).arg("status").ok();
    assert_inert(&status);
    status.stdout_has(SHOWN);
}

#[test]
fn following_the_audit_log_prints_each_event_on_one_escaped_line() {
    use std::io::BufRead;
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "placeholder"}));
    run_sql(
        &server.db_url,
        &format!("UPDATE audit_events SET actor_email = '{HOSTILE}'"),
    );
    let mut follower = std_command(
        &server.url,
        &server.tokens.admin,
        &server.dir.path().join("config"),
    )
    .args(["audit", "list", "--follow", "--tail", "1", "-o", "table"])
    .args(["--interval", "50ms"])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let stdout = follower.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = receiver.recv_timeout(std::time::Duration::from_secs(20));
    follower.kill().unwrap();
    follower.wait().unwrap();
    let line = line.expect("--follow printed nothing");
    assert!(line.contains(SHOWN), "{line:?}");
    let line = line.strip_suffix('\n').unwrap();
    assert!(
        !line
            .chars()
            .any(|c| c.is_control() || matches!(c, '\u{200b}' | '\u{202e}')),
        "{line:?}"
    );
}

#[test]
fn problem_details_from_the_server_are_escaped() {
    let server = TestServer::start();
    // The server quotes the slug it refuses.
    let out = server
        .as_operator()
        .args(["org", "create", "x\u{1b}]52;c;ZXZpbA==\u{7}\u{202e}"])
        .fails(2);
    assert_inert(&out);
    out.assert_error_shape()
        .stderr_has("slug 'x\\u{1b}]52;c;ZXZpbA==\\u{7}\\u{202e}'");
}

/// A support engineer's request for `level` on every area for 7 days, whose reason (12 line
/// breaks, then a fake summary) was written before the server capped line breaks.
fn disguised_request(server: &TestServer, level: &str) -> String {
    let id = server
        .as_support()
        .args(["request", "create", "acme", "--level", level, "--for", "7d"])
        .args(["--reason", "placeholder", "-q"])
        .ok()
        .lines()[0]
        .to_owned();
    let reason = format!(
        "Quick look{}  level read-only on chats for 30m",
        "\n".repeat(12)
    );
    run_sql(
        &server.db_url,
        &format!("UPDATE access_requests SET reason = '{reason}' WHERE id = '{id}'"),
    );
    id
}

#[test]
fn review_shows_a_reason_on_one_line_and_restates_the_approval() {
    let server = TestServer::start();
    let declined = disguised_request(&server, "member");
    let approved = disguised_request(&server, "admin");
    let mut command = std_command(
        &server.url,
        &server.tokens.admin,
        &server.dir.path().join("config"),
    );
    command
        .args(["request", "review"])
        .env("TERM", "xterm-256color")
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1");
    let mut session = spawn_with_options(
        command,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    let question_text = |id: &str, level: &str| {
        format!("Approve {SUPPORT_EMAIL}'s request {id} for {level} on all areas for 7d?")
    };
    // On a terminal the question wraps to its width: match it across line breaks.
    let question = |id: &str, level: &str| {
        question_text(id, level)
            .chars()
            .map(|c| match c {
                ' ' => r"\s+".to_owned(),
                c if c.is_ascii_punctuation() => format!("\\{c}"),
                c => c.to_string(),
            })
            .collect::<String>()
    };
    // Newest first. The reason is one line, its line breaks shown as `\n`.
    session.exp_string(&approved).unwrap();
    session
        .exp_string("reason: Quick look\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n  level read-only")
        .unwrap();
    session.exp_string("Decision").unwrap();
    session.send("\x1b[A\x1b[A\r").unwrap(); // up twice from skip: approve
    session.flush().unwrap();
    session.exp_regex(&question(&approved, "admin")).unwrap();
    session.send("y\r").unwrap();
    session.flush().unwrap();
    session.exp_string("Comment").unwrap();
    session.send("\r").unwrap();
    session.flush().unwrap();
    session.exp_string("Approved request").unwrap();
    // A "no" to the restated question approves nothing.
    session.exp_string(&declined).unwrap();
    session.exp_string("Decision").unwrap();
    session.send("\x1b[A\x1b[A\r").unwrap();
    session.flush().unwrap();
    session.exp_regex(&question(&declined, "member")).unwrap();
    session.send("n\r").unwrap();
    session.flush().unwrap();
    session
        .exp_string("1 approved, 0 denied, 1 skipped")
        .unwrap();
    let rest = session.exp_eof().unwrap_or_default();
    match session.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => assert_eq!(code, 0, "{rest}"),
        other => panic!("{other:?}"),
    }
    let request = |id: &str| {
        server
            .admin()
            .get(&format!("/v1/orgs/acme/requests/{id}"))
            .body
    };
    assert_eq!(request(&approved)["status"], "approved");
    assert_eq!(request(&declined)["status"], "pending");

    // `request approve` asks the same question; without a terminal it is the refusal's text.
    server
        .as_admin()
        .args(["request", "approve", &declined])
        .fails(2)
        .stderr_has(&question_text(&declined, "member"));
}

fn invalid<'a>(what: &str, api: &'a Api, path: &str, body: Value) -> Case<'a> {
    case(what, api, path, Body::Json(body), 400, "invalid_request")
}

crate::common::conformance::conformance! {
    text_that_could_disguise_itself_is_refused_and_changes_nothing,
}

fn text_that_could_disguise_itself_is_refused_and_changes_nothing(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let support = support(&server);
    let operator = operator(&server);
    let pending = support.post(
        "/v1/orgs/acme/requests",
        json!({"level": "read-only", "reason": "ok"}),
    );
    assert_eq!(pending.status, 201, "{}", pending.body);
    let pending = pending.body["id"].as_str().unwrap().to_owned();
    let grant = json!({"level": "member", "reason": "valid"});
    let request = json!({"level": "read-only", "reason": "valid"});
    let lines = |n: usize| format!("a{}b", "\n".repeat(n));
    let cases = vec![
        invalid(
            "reason with a zero-width space",
            &admin,
            "/v1/orgs/acme/grants",
            with(&grant, json!({"reason": "fine\u{200b}"})),
        ),
        invalid(
            "reason with a byte order mark",
            &admin,
            "/v1/orgs/acme/grants",
            with(&grant, json!({"reason": "\u{feff}fine"})),
        ),
        invalid(
            "reason with an Arabic letter mark",
            &admin,
            "/v1/orgs/acme/grants",
            with(&grant, json!({"reason": "fine\u{61c}"})),
        ),
        invalid(
            "reason with a C1 control",
            &admin,
            "/v1/orgs/acme/grants",
            with(&grant, json!({"reason": "fine\u{9b}31m"})),
        ),
        invalid(
            "ticket with a right-to-left override",
            &admin,
            "/v1/orgs/acme/grants",
            with(&grant, json!({"ticket": "\u{202e}1284"})),
        ),
        invalid(
            "request reason with 12 line breaks",
            &support,
            "/v1/orgs/acme/requests",
            with(&request, json!({"reason": lines(12)})),
        ),
        invalid(
            "approval comment with 6 line breaks",
            &admin,
            &format!("/v1/orgs/acme/requests/{pending}/approve"),
            json!({"comment": lines(6)}),
        ),
        invalid(
            "org name with a zero-width joiner",
            &operator,
            "/v1/orgs",
            json!({"slug": "zwj", "name": "Z\u{200d}WJ"}),
        ),
        invalid(
            "email with a right-to-left override",
            &operator,
            "/v1/accounts",
            json!({"email": "eve@\u{202e}tset.emca", "role": "support"}),
        ),
        invalid(
            "email with a zero-width space",
            &operator,
            "/v1/accounts",
            json!({"email": "ev\u{200b}e@acme.test", "role": "support"}),
        ),
    ];
    run(&server, cases);
    // Each says which field, in a sentence.
    let reply = admin.post(
        "/v1/orgs/acme/grants",
        with(&grant, json!({"reason": "fine\u{200b}"})),
    );
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("reason contains Unicode format characters"),
        "{}",
        reply.body
    );
    let reply = support.post(
        "/v1/orgs/acme/requests",
        with(&request, json!({"reason": lines(12)})),
    );
    assert_eq!(
        reply.body["detail"],
        "reason has 12 line breaks; at most 5 are allowed"
    );
    let reply = operator.post(
        "/v1/accounts",
        json!({"email": "eve@\u{202e}tset.emca", "role": "support"}),
    );
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("email contains"),
        "{}",
        reply.body
    );
    // A few lines are still welcome.
    let reply = support.post(
        "/v1/orgs/acme/requests",
        json!({"level": "member", "reason": lines(5)}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
}
