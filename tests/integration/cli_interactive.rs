//! Prompts under a real pseudo-terminal (rexpect): the `grant create` wizard and the
//! confirmation before revoking, checked through the API.

use rexpect::process::{Signal, WaitStatus};
use rexpect::session::{Options, PtySession, spawn_with_options};
use serde_json::json;

use crate::common::cli::{grant_status, grants, std_command};
use crate::common::fixtures::lifetime_seconds;
use crate::common::harness::{ServerOptions, TestServer};

/// `supportctl ARGS` as the org admin, with stdin, stdout and stderr on a new terminal.
pub(crate) fn on_terminal(server: &TestServer, args: &[&str]) -> PtySession {
    terminal(server, args, true)
}

/// Like [`on_terminal`], keeping the escape codes the program writes.
fn terminal(server: &TestServer, args: &[&str], strip_escape_codes: bool) -> PtySession {
    let mut command = std_command(
        &server.url,
        &server.tokens.admin,
        &server.dir.path().join("config"),
    );
    command
        .args(args)
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1");
    spawn_with_options(
        command,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(strip_escape_codes),
    )
    .expect("cannot start supportctl on a pseudo-terminal")
}

/// The words of what a terminal showed, one space apart: a question wrapped to the
/// terminal's width reads as one line.
pub(crate) fn words(shown: &str) -> String {
    shown.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Sends keys as typed (no newline).
pub(crate) fn keys(session: &mut PtySession, keys: &str) {
    session.send(keys).unwrap();
    session.flush().unwrap();
}

/// Reads to the end and returns the exit code, with everything printed (for messages).
pub(crate) fn finish(mut session: PtySession) -> (i32, String) {
    let rest = session.exp_eof().unwrap_or_default();
    match session.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => (code, rest),
        other => panic!("supportctl did not exit normally: {other:?}\n{rest}"),
    }
}

pub(crate) fn assert_no_crash(text: &str) {
    assert!(
        !text.contains("panicked") && !text.contains("stack backtrace"),
        "{text}"
    );
}

#[test]
fn grant_create_wizard_asks_for_what_the_flags_leave_out() {
    let server = TestServer::start();
    let mut session = on_terminal(&server, &["grant", "create", "--ticket", "SUP-7"]);

    // Level: read-only is first; one down is member.
    session.exp_string("Access level").unwrap();
    keys(&mut session, "j\r");
    // Areas, all ticked: keep chats and issues only.
    session.exp_string("Data areas").unwrap();
    session.exp_string("checklists").unwrap();
    // chats, [source-code], [employee-data], issues, [documents], [checklists]
    keys(&mut session, "j j jj j \r");
    session.exp_string("For how long").unwrap();
    keys(&mut session, "2h\r");
    session.exp_string("Engineers").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Reason").unwrap();
    keys(&mut session, "Wizard: sync fails\r");
    session.exp_string("Create this grant?").unwrap();
    keys(&mut session, "y\r");
    session.exp_string("Granted member access to acme").unwrap();
    let (code, rest) = finish(session);
    assert_no_crash(&rest);
    assert_eq!(code, 0, "{rest}");

    let created = server.admin().all("/v1/orgs/acme/grants");
    assert_eq!(created.len(), 1, "{created:?}");
    let grant = &created[0];
    assert_eq!(grant["level"], "member");
    assert_eq!(grant["areas"], json!(["chats", "issues"]));
    assert_eq!(grant["reason"], "Wizard: sync fails");
    assert_eq!(grant["ticket"], "SUP-7");
    assert_eq!(lifetime_seconds(grant), 7200);
}

#[test]
fn grant_create_wizard_keeps_the_flags_given_and_ctrl_c_creates_nothing() {
    let server = TestServer::start();
    // Level and duration given: neither is asked again.
    let mut session = on_terminal(
        &server,
        &["grant", "create", "--level", "admin", "--for", "45m"],
    );
    session.exp_string("Data areas").unwrap();
    session.exp_string("checklists").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Engineers").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Ticket").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Reason").unwrap();
    keys(&mut session, "All areas\r");
    let summary = session.exp_string("Create this grant?").unwrap();
    assert!(!summary.contains("Access level") && !summary.contains("For how long"));
    keys(&mut session, "y\r");
    let (code, rest) = finish(session);
    assert_eq!(code, 0, "{rest}");
    let created = server.admin().all("/v1/orgs/acme/grants");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["level"], "admin");
    assert_eq!(created[0]["areas"].as_array().unwrap().len(), 6);

    // Ctrl-C at a prompt: interrupted (SIGINT, which the shell reports as 130), nothing
    // created, and the cursor the selection hid is shown again.
    let mut session = terminal(&server, &["grant", "create"], false);
    let mut shown = session.exp_string("Access level").unwrap();
    session.exp_string("admin").unwrap();
    session.send_control('c').unwrap();
    shown.push_str(&session.exp_eof().unwrap_or_default());
    let status = session.process().wait().unwrap();
    assert!(
        matches!(
            status,
            WaitStatus::Signaled(_, Signal::SIGINT, _) | WaitStatus::Exited(_, 130)
        ),
        "Ctrl-C ended supportctl with {status:?}:\n{shown}"
    );
    assert_no_crash(&shown);
    let hidden = shown
        .rfind("\x1b[?25l")
        .expect("the selection hides the cursor");
    assert!(
        shown[hidden..].contains("\x1b[?25h"),
        "the cursor stays hidden after Ctrl-C: {shown:?}"
    );
    assert_eq!(server.admin().all("/v1/orgs/acme/grants").len(), 1);
}

#[test]
fn revoke_asks_for_confirmation_on_a_terminal() {
    let server = TestServer::start();
    let ids = grants(&server, 3);

    // An active session under the grant: the question says what revoking ends.
    server
        .support()
        .open(json!({"grant_id": ids[0], "reason": "Look"}));
    // No: `Cancelled.`, exit 1, no error; nothing is revoked.
    let mut session = on_terminal(&server, &["grant", "revoke", &ids[0]]);
    let asked = session.exp_string("[y/N]").unwrap();
    assert!(
        words(&asked).contains(&format!(
            "Revoke grant {} (member on all areas, org acme)? This ends 1 active session at once.",
            ids[0]
        )),
        "{asked}"
    );
    keys(&mut session, "n\r");
    let (code, rest) = finish(session);
    assert_no_crash(&rest);
    assert_eq!(code, 1, "declining is not a success: {rest}");
    assert!(rest.contains("Cancelled."), "{rest}");
    assert!(!rest.contains("error:"), "{rest}");
    assert_eq!(grant_status(&server, &ids[0]), "active");

    // Yes: revoked.
    let mut session = on_terminal(&server, &["grant", "revoke", &ids[0]]);
    session.exp_string("Revoke grant").unwrap();
    keys(&mut session, "y\r");
    let (code, rest) = finish(session);
    assert_eq!(code, 0, "{rest}");
    assert_eq!(grant_status(&server, &ids[0]), "revoked");
    assert_eq!(grant_status(&server, &ids[1]), "active");

    // --all shows the count first.
    let mut session = on_terminal(&server, &["grant", "revoke", "--all"]);
    let asked = session.exp_string("[y/N]").unwrap();
    assert!(
        words(&asked).contains("Revoke all 2 active grants of org acme?"),
        "{asked}"
    );
    keys(&mut session, "y\r");
    let (code, rest) = finish(session);
    assert_eq!(code, 0, "{rest}");
    assert!(server.admin().all("/v1/orgs/acme/grants").is_empty());
}

#[test]
fn grant_create_wizard_leaves_the_duration_to_the_server_when_left_empty() {
    // A server whose default is not the usual 8h: the wizard must not assume one.
    let server = TestServer::with(ServerOptions {
        policy: supportctl::server::policy::Policy {
            default_grant: std::time::Duration::from_secs(3 * 3600),
            ..Default::default()
        },
        ..ServerOptions::default()
    });
    let mut session = on_terminal(
        &server,
        &["grant", "create", "--level", "member", "--areas", "chats"],
    );
    session.exp_string("empty: the server's default").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Engineers").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Ticket").unwrap();
    keys(&mut session, "\r");
    session.exp_string("Reason").unwrap();
    keys(&mut session, "Default length\r");
    // The org's default, as its policy says, in the summary.
    session.exp_string("3h (the default), until about").unwrap();
    keys(&mut session, "y\r");
    let (code, rest) = finish(session);
    assert_eq!(code, 0, "{rest}");
    let grant = &server.admin().all("/v1/orgs/acme/grants")[0];
    assert_eq!(lifetime_seconds(grant), 3 * 3600);
}

/// A support engineer at a terminal is told at once that only admins grant, before any
/// question is asked.
#[test]
fn grant_create_wizard_checks_the_role_before_asking_anything() {
    let server = TestServer::start();
    let mut command = std_command(
        &server.url,
        &server.tokens.support,
        &server.dir.path().join("config"),
    );
    command
        .args(["grant", "create", "--org", "acme"])
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1");
    let session = spawn_with_options(
        command,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    let (code, rest) = finish(session);
    assert_eq!(code, 5, "{rest}");
    assert!(rest.contains("only an org's admins grant access"), "{rest}");
    assert!(
        !rest.contains("Access level"),
        "asked before checking: {rest}"
    );
}

/// `... | supportctl grant revoke -` at a terminal: stdin is the pipe, the question goes to
/// the terminal (like `xargs -o`).
#[test]
fn revoke_from_a_pipe_asks_on_the_terminal() {
    let server = TestServer::start();
    let ids = grants(&server, 2);
    let line = format!(
        "printf '%s\\n' {} {} | {} grant revoke -",
        ids[0],
        ids[1],
        env!("CARGO_BIN_EXE_supportctl")
    );
    let mut command = std_command(
        &server.url,
        &server.tokens.admin,
        &server.dir.path().join("config"),
    );
    command.env("TERM", "xterm-256color").env("NO_COLOR", "1");
    let mut shell = std::process::Command::new("sh");
    shell.arg("-c").arg(&line);
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    let mut session = spawn_with_options(
        shell,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    session.exp_string("Revoke 2 grants of org acme?").unwrap();
    keys(&mut session, "y\r");
    let (code, rest) = finish(session);
    assert_eq!(code, 0, "{rest}");
    assert_eq!(grant_status(&server, &ids[0]), "revoked");
    assert_eq!(grant_status(&server, &ids[1]), "revoked");
}

/// The chain's length is unknown until its end: `audit verify` counts events as it reads them
/// and never shows a total it does not have (it once read 0/0, then 8/0).
#[test]
fn audit_verify_progress_counts_events_without_a_made_up_total() {
    let server = TestServer::start();
    grants(&server, 8);
    let session = terminal(&server, &["audit", "verify"], true);
    let (code, text) = finish(session);
    assert_no_crash(&text);
    assert_eq!(code, 0, "{text}");
    for line in text.split(['\r', '\n']).filter(|l| l.contains("Verifying")) {
        assert!(
            !line.contains("/0"),
            "a progress bar with no length: {line:?}\n{text}"
        );
        assert!(line.contains("events"), "{line:?}\n{text}");
    }
}

/// A confirmation is a line: a key alone answers nothing until Enter (so the Enter never
/// reaches the next question), and an answer that is neither yes nor no is asked again.
#[test]
fn confirmations_wait_for_enter_and_ask_again_for_other_answers() {
    let server = TestServer::start();
    let ids = grants(&server, 1);
    let mut session = on_terminal(&server, &["grant", "revoke", &ids[0]]);
    session.exp_string("[y/N]").unwrap();
    keys(&mut session, "y");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(
        grant_status(&server, &ids[0]),
        "active",
        "a single key answered the question"
    );
    keys(&mut session, "ep\r");
    session.exp_string("answer y or n").unwrap();
    assert_eq!(grant_status(&server, &ids[0]), "active");
    keys(&mut session, "yes\r");
    let (code, rest) = finish(session);
    assert_no_crash(&rest);
    assert_eq!(code, 0, "{rest}");
    assert_eq!(grant_status(&server, &ids[0]), "revoked");
}

/// A terminal of a chosen size (tmux), its screen read back as a person sees it.
struct Tmux {
    socket: std::path::PathBuf,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Runs `supportctl ARGS` (with `command`'s environment) in a `columns` × `rows` tmux
    /// window that stays after it ends, saying `exit=CODE`.
    fn run(command: &std::process::Command, args: &[&str], columns: u16, rows: u16) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let mut script = String::new();
        for (key, value) in command.get_envs() {
            let key = key.to_string_lossy();
            match value {
                Some(value) => script.push_str(&format!(
                    "export {key}={}\n",
                    shell_words::quote(&value.to_string_lossy())
                )),
                None => script.push_str(&format!("unset {key}\n")),
            }
        }
        script.push_str(&format!(
            "export TERM=xterm-256color NO_COLOR=1\n{} {}\necho \"exit=$?\"\nsleep 600\n",
            shell_words::quote(&command.get_program().to_string_lossy()),
            shell_words::join(args)
        ));
        std::fs::write(dir.path().join("run.sh"), script).unwrap();
        let tmux = Tmux {
            socket: dir.path().join("tmux.sock"),
            dir,
        };
        let script = tmux.dir.path().join("run.sh");
        tmux.tmux(&[
            "new-session",
            "-d",
            "-x",
            &columns.to_string(),
            "-y",
            &rows.to_string(),
            &format!("sh {}", shell_words::quote(&script.to_string_lossy())),
        ]);
        tmux
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is needed for this test (Debian package tmux)");
        assert!(output.status.success(), "tmux {args:?}: {output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The screen, once it shows `text` (within 20 s).
    fn wait_for(&self, text: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let screen = self.tmux(&["capture-pane", "-p"]);
            if screen.contains(text) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the screen never showed {text:?}:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend(keys);
        self.tmux(&args);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// A question longer than the terminal is wide is wrapped between words and drawn once, its
/// answer on its last line (dialoguer redrew a prompt the terminal had wrapped: half of it
/// stayed on screen above the whole).
#[test]
fn a_long_question_is_wrapped_and_drawn_once_at_80_columns() {
    let server = TestServer::start();
    let ids = grants(&server, 1);
    server
        .support()
        .open(json!({"grant_id": ids[0], "reason": "Look"}));
    let command = std_command(
        &server.url,
        &server.tokens.admin,
        &server.dir.path().join("config"),
    );
    let tmux = Tmux::run(&command, &["grant", "revoke", &ids[0]], 80, 40);
    let asked = tmux.wait_for("[y/N]");
    assert!(
        words(&asked).contains(&format!(
            "Revoke grant {} (member on all areas, org acme)? This ends 1 active session at once. [y/N]",
            ids[0]
        )),
        "{asked}"
    );
    tmux.keys(&["y", "Enter"]);
    let screen = tmux.wait_for("exit=");
    assert!(screen.contains("exit=0"), "{screen}");
    assert_eq!(
        screen.matches("Revoke grant").count(),
        1,
        "the question is drawn more than once:\n{screen}"
    );
    assert!(
        screen
            .lines()
            .any(|line| line.trim_end().ends_with("[y/N] y")),
        "{screen}"
    );
    assert_eq!(grant_status(&server, &ids[0]), "revoked");
}
