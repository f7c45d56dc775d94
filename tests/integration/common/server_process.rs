//! The real `supportctl server` binary as a child process, for tests that kill it, read its
//! log, run several of it on one database, or need its exact command line.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::harness::{Api, http_client};

/// The tokens `server --dev` printed (they stay valid across restarts without `--dev`).
#[derive(Clone)]
pub struct DevTokens {
    pub operator: String,
    pub admin: String,
    pub support: String,
    pub service: String,
}

impl DevTokens {
    pub fn all(&self) -> [&str; 4] {
        [&self.operator, &self.admin, &self.support, &self.service]
    }
}

/// How to start a server process.
pub struct Launch<'a> {
    /// The database URL (`sqlite://PATH` or `postgres://...`).
    pub db: &'a str,
    /// Where its stderr (the log) goes.
    pub log: &'a Path,
    /// `SUPPORTCTL_LOG`.
    pub log_filter: &'a str,
    pub dev: bool,
    pub extra_args: &'a [&'a str],
}

/// One `supportctl server` process. Killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    pub url: String,
    pub log: PathBuf,
    /// With `--dev`: the tokens it printed.
    pub tokens: Option<DevTokens>,
}

impl ServerProcess {
    pub fn start(launch: Launch<'_>) -> ServerProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_supportctl"));
        for (key, _) in std::env::vars() {
            if key.starts_with("SUPPORTCTL_") || key == "RUST_LOG" {
                command.env_remove(key);
            }
        }
        command.arg("server");
        // Any free port, unless the launch names its own address.
        if !launch.extra_args.contains(&"--listen") {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        // The suites open sessions and file requests in bursts: no per-account limit unless
        // the launch sets one.
        for limit in [
            "--account-requests-per-minute",
            "--account-sessions-per-minute",
        ] {
            if !launch.extra_args.contains(&limit) {
                command.args([limit, "0"]);
            }
        }
        command
            .args(["--db", launch.db])
            .args(launch.extra_args)
            .env("SUPPORTCTL_LOG", launch.log_filter)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(launch.log).unwrap());
        if launch.dev {
            // `--dev` writes profiles and keyring entries: into a config dir of the test's own,
            // and, with no keyring to be found, none at all.
            command
                .arg("--dev")
                .env("SUPPORTCTL_CONFIG_DIR", launch.log.with_extension("config"))
                .env("SUPPORTCTL_KEYRING", "secret-service")
                .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
        }
        let mut child = command.spawn().unwrap();
        let mut tokens = None;
        if launch.dev {
            let mut exports = HashMap::new();
            let stdout = BufReader::new(child.stdout.take().unwrap());
            for line in stdout.lines().take(5) {
                let line = line.unwrap();
                let (key, value) = line.trim_start_matches("export ").split_once('=').unwrap();
                let value = value.split_whitespace().next().unwrap().to_owned();
                exports.insert(key.to_owned(), value);
            }
            tokens = Some(DevTokens {
                operator: exports["SUPPORTCTL_OPERATOR_TOKEN"].clone(),
                admin: exports["SUPPORTCTL_ADMIN_TOKEN"].clone(),
                support: exports["SUPPORTCTL_SUPPORT_TOKEN"].clone(),
                service: exports["SUPPORTCTL_SERVICE_TOKEN"].clone(),
            });
        }
        let url = wait_for_address(launch.log, &mut child);
        ServerProcess {
            child,
            url,
            log: launch.log.to_owned(),
            tokens,
        }
    }

    pub fn api(&self, token: &str) -> Api {
        Api {
            base: self.url.clone(),
            token: (!token.is_empty()).then(|| token.to_owned()),
            http: http_client(),
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown code runs.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "the server was not SIGKILLed");
    }

    /// SIGTERM, then waits for the graceful shutdown.
    pub fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "the server exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Requests to `path` the server started and finished, per its log (tower-http's debug
    /// lines, written unbuffered, one `write(2)` each).
    pub fn requests(&self, path: &str) -> (usize, usize) {
        let span = format!("path={path}}}");
        let log = self.log_text();
        let lines = || log.lines().filter(|line| line.contains(&span));
        (
            lines()
                .filter(|l| l.contains("started processing request"))
                .count(),
            lines()
                .filter(|l| l.contains("finished processing request"))
                .count(),
        )
    }

    /// Waits until the server has started at least `count` requests to `path`.
    pub fn wait_for_started(&self, path: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.requests(path).0 < count {
            assert!(
                Instant::now() < deadline,
                "the server never started a request to {path}:\n{}",
                self.log_text()
            );
            thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the server's log (text or JSON) names the address it listens on; its URL.
pub fn wait_for_address(log: &Path, child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(rest) = text.split("addr=").nth(1) {
            return format!("http://{}", rest.split_whitespace().next().unwrap());
        }
        if let Some(rest) = text.split("\"addr\":\"").nth(1) {
            return format!("http://{}", rest.split('"').next().unwrap());
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited with {status}:\n{text}");
        }
        assert!(
            Instant::now() < deadline,
            "the server did not start:\n{text}"
        );
        thread::sleep(Duration::from_millis(10));
    }
}
