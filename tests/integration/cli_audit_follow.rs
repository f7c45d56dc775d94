//! `audit list --follow` across a server restart: it keeps running, says the server is gone,
//! and once the server is back prints what happened since, after the last event it printed,
//! with nothing repeated or skipped.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::common::cli::JsonLines;
use crate::common::server_process::{Launch, ServerProcess};

fn start(db: &str, log: &std::path::Path, dev: bool, listen: &str) -> ServerProcess {
    ServerProcess::start(Launch {
        db,
        log,
        log_filter: "info",
        dev,
        extra_args: &["--listen", listen],
    })
}

#[test]
fn follow_reconnects_after_a_restart_and_resumes_after_the_last_event() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("audit.db").display());
    let mut first = start(&db, &dir.path().join("first.log"), true, "127.0.0.1:0");
    let tokens = first.tokens.clone().unwrap();
    let address = first.url.trim_start_matches("http://").to_owned();
    let grant = |server: &ServerProcess, reason: &str| -> String {
        let reply = server.api(&tokens.admin).post(
            "/v1/orgs/acme/grants",
            json!({"level": "read-only", "reason": reason}),
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    };
    grant(&first, "before following");

    let mut follower = Command::new(env!("CARGO_BIN_EXE_supportctl"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SUPPORTCTL_CONFIG_DIR", dir.path().join("config"))
        .env("SUPPORTCTL_SERVER", &first.url)
        .env("SUPPORTCTL_TOKEN", &tokens.admin)
        .args(["audit", "list", "--follow", "--tail", "1", "-o", "json"])
        .args(["--interval", "50ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = JsonLines::of(follower.stdout.take().unwrap());
    let next_event = || lines.next_event();
    let context = next_event();
    assert_eq!(context["action"], "grant.created");
    let before = grant(&first, "while following");
    let seen = next_event();
    assert_eq!(seen["target"], before);

    // The server goes away; what is written while it is down (by the next process, before the
    // follower can reach it) must still be printed once it is back.
    first.terminate();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        follower.try_wait().unwrap().is_none(),
        "--follow must survive the server going away"
    );
    let second = start(&db, &dir.path().join("second.log"), false, &address);
    let after = [
        grant(&second, "after the restart, one"),
        grant(&second, "after the restart, two"),
    ];
    for (expected_seq, target) in (seen["seq"].as_i64().unwrap() + 1..).zip(after.iter()) {
        let event = next_event();
        assert_eq!(
            event["seq"], expected_seq,
            "nothing skipped or repeated: {event}"
        );
        assert_eq!(&event["target"], target);
    }
    assert!(
        follower.try_wait().unwrap().is_none(),
        "--follow must keep running"
    );
    follower.kill().unwrap();
    let output = follower.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("retrying"),
        "says the server is gone: {stderr}"
    );
    assert!(stderr.contains("Reconnected."), "says it is back: {stderr}");
}
