//! `supportctl session exec` watches its session: the command stops when the session ends.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::fixtures::ADMIN_EMAIL;
use crate::common::harness::{TestServer, std_command};

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
