//! Readiness and the drain at shutdown: `/readyz`, SIGTERM's drain delay, SIGINT's quick stop,
//! and the systemd notifications, on the real binary.

use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::harness::{TestServer, http_client};
use crate::common::server_process::wait_for_address;

/// A `supportctl server` on a fresh SQLite file, with `args` and `env` added.
struct Process {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Process {
    fn start(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Process {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_supportctl"));
        for (key, _) in std::env::vars() {
            if key.starts_with("SUPPORTCTL_") || key == "RUST_LOG" || key == "NOTIFY_SOCKET" {
                command.env_remove(key);
            }
        }
        command
            .args(["server", "--listen", "127.0.0.1:0", "--db"])
            .arg(format!(
                "sqlite://{}",
                dir.path().join("db.sqlite").display()
            ))
            .args(args)
            .env("SUPPORTCTL_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        let url = wait_for_address(&log, &mut child);
        Process {
            child,
            url,
            _dir: dir,
        }
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for the process to exit successfully; how long that took.
    fn wait_for_exit(&mut self, within: Duration) -> Duration {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "the server exited with {status}");
                return start.elapsed();
            }
            assert!(start.elapsed() < within, "the server did not stop");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let response = http_client()
            .get(format!("{}{path}", self.url))
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn readyz_is_ready_on_a_running_server() {
    let server = TestServer::start();
    let reply = server.anonymous().get("/readyz");
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "ready");
}

#[test]
fn sigterm_drains_readyz_answers_503_while_requests_are_still_served() {
    let mut server = Process::start(&["--drain-delay", "3s"], &[]);
    assert_eq!(
        server.get("/readyz"),
        (200, serde_json::json!({"status": "ready"}))
    );
    server.signal("TERM");
    let signalled = Instant::now();
    let deadline = signalled + Duration::from_secs(2);
    loop {
        let (status, body) = server.get("/readyz");
        if status == 503 {
            assert_eq!(body["status"], "draining");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz never said it is draining"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Balancers that have not noticed yet are still served, told to take their next request
    // elsewhere: an HTTP/1 connection kept alive would otherwise be closed under it.
    let response = http_client()
        .get(format!("{}/healthz", server.url))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..]),
        "a response during the drain keeps its connection open"
    );
    let stopped_after = server.wait_for_exit(Duration::from_secs(20)) + signalled.elapsed();
    assert!(
        server.child.try_wait().unwrap().is_some() && stopped_after >= Duration::from_millis(2500),
        "stopped {stopped_after:?} after SIGTERM, before the drain delay ended"
    );
}

#[test]
fn sigint_stops_without_the_drain_delay() {
    let mut server = Process::start(&["--drain-delay", "60s"], &[]);
    server.signal("INT");
    let took = server.wait_for_exit(Duration::from_secs(20));
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_second_sigterm_ends_the_drain_early() {
    let mut server = Process::start(&["--drain-delay", "60s"], &[]);
    server.signal("TERM");
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.get("/readyz").0 != 503 {
        assert!(Instant::now() < deadline, "the drain never began");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.signal("TERM");
    let took = server.wait_for_exit(Duration::from_secs(20));
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn systemd_hears_ready_then_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut server = Process::start(
        &["--drain-delay", "0s"],
        &[("NOTIFY_SOCKET", socket_path.as_os_str())],
    );
    let mut buffer = [0u8; 512];
    let read = |buffer: &mut [u8]| {
        let n = socket.recv(buffer).expect("a notification");
        String::from_utf8_lossy(&buffer[..n]).into_owned()
    };
    assert_eq!(read(&mut buffer).trim(), "READY=1");
    // Ready means it accepts connections.
    assert_eq!(server.get("/readyz").0, 200);
    server.signal("TERM");
    assert_eq!(read(&mut buffer).trim(), "STOPPING=1");
    server.wait_for_exit(Duration::from_secs(20));
}
