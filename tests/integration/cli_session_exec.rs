//! `supportctl session exec` watches its session: the command stops when the session ends.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rexpect::process::{Signal, WaitStatus};
use rexpect::session::{Options, PtySession, spawn_with_options};
use serde_json::json;

use crate::cli_interactive::keys;
use crate::common::cli::Run;
use crate::common::fixtures::ADMIN_EMAIL;
use crate::common::harness::{TestServer, std_command};
use crate::common::keyutils;

/// Waits for `path` to hold a pid written by the command, then returns it.
fn pid_in(path: &std::path::Path) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse()
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Runs `supportctl session exec acme ... -- sh -c 'echo $$ > pidfile; exec sleep SLEEP'`,
/// calls `end` once the command runs, and returns the exit code, stderr and the time it took
/// from `end` to exit.
fn exec_and_end(
    server: &TestServer,
    extra: &[&str],
    sleep: u32,
    end: impl FnOnce(&str),
) -> (Option<i32>, String, Duration, i32) {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let mut command = std_command(
        &server.url,
        &server.tokens.support,
        &dir.path().join("config"),
    );
    command
        .args(["session", "exec", "acme", "--reason", "Watch"])
        .args(extra)
        .args(["--", "sh", "-c"])
        .arg(format!(
            "echo $$ > '{}'; exec sleep {sleep}",
            pidfile.display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    let pid = pid_in(&pidfile);
    let sessions = server.support().all("/v1/sessions?status=active");
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let id = sessions[0]["id"].as_str().unwrap().to_owned();
    end(&id);
    let ended = Instant::now();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr, ended.elapsed(), pid)
}

#[test]
fn a_revoked_grant_stops_the_command_and_exits_6_saying_who() {
    let server = TestServer::start();
    let grant = server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    let (code, stderr, took, pid) = exec_and_end(&server, &[], 60, |_| {
        server
            .admin()
            .post(
                &format!("/v1/orgs/acme/grants/{grant}/revoke"),
                json!({"reason": "incident over"}),
            )
            .assert_ok();
    });
    assert_eq!(code, Some(6), "{stderr}");
    assert!(took < Duration::from_secs(8), "took {took:?}: {stderr}");
    assert!(
        !alive(pid),
        "the command still runs after its session ended"
    );
    assert!(stderr.contains("revoked"), "{stderr}");
    assert!(stderr.contains(ADMIN_EMAIL), "says by whom: {stderr}");
    assert!(stderr.contains("incident over"), "says why: {stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
}

#[test]
fn on_end_warn_only_warns_when_an_admin_closes_the_session() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    let (code, stderr, took, pid) = exec_and_end(&server, &["--on-end", "warn"], 5, |id| {
        server
            .admin()
            .post(
                &format!("/v1/sessions/{id}/close"),
                json!({"reason": "done here"}),
            )
            .assert_ok();
    });
    // The command ran to its end (its own exit code), with a warning on the way.
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        took > Duration::from_secs(2),
        "ran on after the close: {took:?}"
    );
    assert!(!alive(pid));
    assert!(stderr.contains("warning: session"), "{stderr}");
    assert!(
        stderr.contains("closed") && stderr.contains("done here"),
        "{stderr}"
    );
    assert!(!stderr.contains("error:"), "{stderr}");
}

/// `session exec acme -- sh -c 'echo $$ > pid; exec sleep 60'` as the support engineer on a
/// pseudo-terminal, the reason typed at its prompt; returns the terminal, the session's id
/// and the command's pid once it runs.
fn exec_on_terminal(server: &TestServer, dir: &Path) -> (PtySession, String, i32) {
    let pidfile = dir.join("pid");
    let mut command = std_command(&server.url, &server.tokens.support, &dir.join("config"));
    command
        .args(["session", "exec", "acme", "--", "sh", "-c"])
        .arg(format!("echo $$ > '{}'; exec sleep 60", pidfile.display()))
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1");
    let mut terminal = spawn_with_options(
        command,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    terminal.exp_string("Reason").unwrap();
    keys(&mut terminal, "Typed at the prompt\r");
    terminal.exp_string("Opened session").unwrap();
    let pid = pid_in(&pidfile);
    let sessions = server.support().all("/v1/sessions?status=active");
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["reason"], "Typed at the prompt");
    (
        terminal,
        sessions[0]["id"].as_str().unwrap().to_owned(),
        pid,
    )
}

/// Reads to the end; the exit code (a death by signal as the shell reports it) and the text.
fn exit_of(mut terminal: PtySession) -> (i32, String) {
    let text = terminal.exp_eof().unwrap_or_default();
    match terminal.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => (code, text),
        WaitStatus::Signaled(_, signal, _) => (128 + signal as i32, text),
        other => panic!("supportctl did not end: {other:?}\n{text}"),
    }
}

fn session_status(server: &TestServer, id: &str) -> String {
    let reply = server.admin().get(&format!("/v1/sessions/{id}"));
    reply.assert_ok();
    reply.body["status"].as_str().unwrap().to_owned()
}

/// A session opened after the reason prompt is closed however supportctl ends: Ctrl-C (the
/// terminal sends it to the command too), the command's own exit, SIGTERM and SIGHUP sent to
/// supportctl (passed on to the command). Each time: "Closed session", status closed.
#[test]
fn a_session_opened_at_the_prompt_is_closed_on_ctrl_c_sigterm_sighup_and_the_commands_exit() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));

    let dir = tempfile::tempdir().unwrap();
    let (mut terminal, id, pid) = exec_on_terminal(&server, dir.path());
    terminal.send_control('c').unwrap();
    let (code, text) = exit_of(terminal);
    assert_eq!(code, 130, "{text}");
    assert!(text.contains(&format!("Closed session {id}")), "{text}");
    assert_eq!(session_status(&server, &id), "closed");
    assert!(!alive(pid));

    for (signal, name) in [(Signal::SIGTERM, "SIGTERM"), (Signal::SIGHUP, "SIGHUP")] {
        let dir = tempfile::tempdir().unwrap();
        let (mut terminal, id, pid) = exec_on_terminal(&server, dir.path());
        terminal.process_mut().signal(signal).unwrap();
        let started = Instant::now();
        let (code, text) = exit_of(terminal);
        assert_eq!(code, 128 + signal as i32, "{name}: {text}");
        assert!(started.elapsed() < Duration::from_secs(8), "{name}: {text}");
        assert!(!alive(pid), "{name}: the command runs on");
        assert_eq!(session_status(&server, &id), "closed", "{name}: {text}");
    }

    // The command's own end.
    let mut command = std_command(
        &server.url,
        &server.tokens.support,
        &dir.path().join("config"),
    );
    command
        .args(["session", "exec", "acme", "--", "sh", "-c", "exit 3"])
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1");
    let mut terminal = spawn_with_options(
        command,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    terminal.exp_string("Reason").unwrap();
    keys(&mut terminal, "Runs to its end\r");
    let (code, text) = exit_of(terminal);
    assert_eq!(code, 3, "{text}");
    let sessions = server.support().all("/v1/sessions?status=all");
    let ended = sessions
        .iter()
        .find(|s| s["reason"] == "Runs to its end")
        .unwrap();
    assert_eq!(ended["status"], "closed", "{text}");
    assert!(
        server
            .support()
            .all("/v1/sessions?status=active")
            .is_empty()
    );
}

/// The command gets the session and nothing of the engineer's account: no token variable,
/// and a config dir of its own, empty, so that `supportctl --profile <the engineer's>` in it
/// finds no profile (whether the token is in the file store or the kernel keyring), even with
/// XDG_CONFIG_HOME pointing at the engineer's config. `session check` works in it.
#[test]
fn the_command_cannot_act_as_the_engineers_profile() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    let keyring = match keyutils::unusable() {
        None => true,
        Some(why_not) => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED (kernel keyring part) cli_session_exec::\
                 the_command_cannot_act_as_the_engineers_profile: {why_not}"
            );
            false
        }
    };
    for in_keyring in [false, true] {
        if in_keyring && !keyring {
            continue;
        }
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("supportctl");
        // A profile of this test's own: keyring entries are shared by every process of the user.
        let profile = format!("test-{}", ulid::Ulid::generate().to_string().to_lowercase());
        let run = |args: &[&str]| -> Run {
            let mut command = std_command(&server.url, "", &config);
            command
                .env("SUPPORTCTL_PROFILE", &profile)
                .env("XDG_CONFIG_HOME", home.path());
            if in_keyring {
                command.env("SUPPORTCTL_KEYRING", "keyutils");
                keyutils::in_fresh_session_keyring(&mut command);
            }
            command.args(args);
            Run::new(assert_cmd::Command::from_std(command))
        };
        struct Logout<'a>(&'a dyn Fn(&[&str]) -> Run);
        impl Drop for Logout<'_> {
            fn drop(&mut self) {
                let _ = (self.0)(&["logout"]).run();
            }
        }
        let _logout = Logout(&run);
        let mut login = vec!["login", "--with-token"];
        if !in_keyring {
            login.push("--insecure-storage");
        }
        run(&login)
            .stdin(format!("{}\n", server.tokens.support))
            .ok();
        run(&["grant", "list", "-q"]).ok();

        let script = format!(
            "{bin} --profile {profile} grant list 2>&1; echo \"profile: $?\"; \
             {bin} grant list 2>&1; echo \"default: $?\"; \
             {bin} session check -q; echo \"check: $?\"; \
             env | grep '^SUPPORTCTL_' | cut -d= -f1 | sort | tr '\\n' ' '; echo; \
             echo \"config: $SUPPORTCTL_CONFIG_DIR\"",
            bin = env!("CARGO_BIN_EXE_supportctl")
        );
        let out = run(&[
            "session", "exec", "acme", "--reason", "Private", "--", "sh", "-c", &script,
        ])
        .ok();
        let storage = if in_keyring { "keyring" } else { "file" };
        out.stdout_has("profile: 4")
            .stdout_has("default: 4")
            .stdout_has("check: 0");
        assert!(
            out.stdout
                .contains(&format!("there is no profile '{profile}'")),
            "{storage}: {out}"
        );
        let names: Vec<&str> = out
            .stdout
            .lines()
            .find(|line| line.contains("SUPPORTCTL_SESSION_TOKEN"))
            .unwrap_or_else(|| panic!("{storage}: {out}"))
            .split_whitespace()
            .collect();
        for gone in ["SUPPORTCTL_TOKEN", "SUPPORTCTL_PROFILE"] {
            assert!(!names.contains(&gone), "{storage}: {names:?}");
        }
        let private = out
            .stdout
            .lines()
            .find_map(|line| line.strip_prefix("config: "))
            .unwrap();
        assert_ne!(Path::new(private), config, "{storage}: {out}");
        assert!(
            !Path::new(private).exists(),
            "{storage}: the command's config dir outlives it"
        );
        // The engineer's own profile still works outside.
        run(&["grant", "list", "-q"]).ok();
    }
}
