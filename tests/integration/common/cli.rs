//! A small fluent builder for the CLI tests: the real `supportctl` binary against a
//! [`TestServer`], with the checks every run must pass (no backtrace, at most one `error:`).
//!
//! ```ignore
//! let out = server.as_admin().args(["grant", "list", "-o", "json"]).ok();
//! let grants = out.json();
//! server.as_admin().args(["grant", "revoke", "gr_x"]).fails(2).stderr_has("--yes");
//! ```

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::common::harness::TestServer;

/// How long one CLI run may take before the test fails (they take milliseconds).
const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// One `supportctl` invocation being prepared.
pub struct Run {
    command: assert_cmd::Command,
    shown: Vec<String>,
}

impl Run {
    pub fn new(mut command: assert_cmd::Command) -> Run {
        command.timeout(RUN_TIMEOUT);
        Run {
            command,
            shown: Vec::new(),
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for arg in args {
            self.shown.push(arg.as_ref().to_owned());
            self.command.arg(arg.as_ref());
        }
        self
    }

    pub fn arg(self, arg: impl AsRef<str>) -> Run {
        self.args([arg])
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Run {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Run {
        self.command.env_remove(key);
        self
    }

    /// A private config dir instead of the server's shared one.
    pub fn config_dir(self, dir: &Path) -> Run {
        self.env("SUPPORTCTL_CONFIG_DIR", dir)
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Run {
        self.command.write_stdin(input);
        self
    }

    /// Runs and returns the outcome, whatever the exit code.
    pub fn run(mut self) -> Out {
        let output = self
            .command
            .output()
            .unwrap_or_else(|e| panic!("cannot run supportctl {}: {e}", self.shown.join(" ")));
        let out = Out {
            command: format!("supportctl {}", self.shown.join(" ")),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        out.assert_no_crash();
        out
    }

    /// Runs and asserts exit code 0.
    pub fn ok(self) -> Out {
        self.code(0)
    }

    /// Runs and asserts a failure with exit code `code`, reported as an `error:` line.
    pub fn fails(self, code: i32) -> Out {
        let out = self.code(code);
        out.error_line();
        out
    }

    /// Runs and asserts the exit code.
    pub fn code(self, code: i32) -> Out {
        let out = self.run();
        assert_eq!(
            out.code,
            Some(code),
            "`{}` exited with {:?}, expected {code}\n{out}",
            out.command,
            out.code
        );
        out
    }
}

/// What a run printed and how it ended.
pub struct Out {
    pub command: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- stdout ---\n{}--- stderr ---\n{}--------------",
            self.stdout, self.stderr
        )
    }
}

impl Out {
    pub fn stdout_empty(&self) -> &Self {
        assert!(
            self.stdout.is_empty(),
            "`{}`: expected no stdout:\n{self}",
            self.command
        );
        self
    }

    /// Never a Rust backtrace or panic report, never more than one `error:` line.
    fn assert_no_crash(&self) {
        for text in [&self.stdout, &self.stderr] {
            for crash in ["stack backtrace", "panicked", "RUST_BACKTRACE"] {
                assert!(
                    !text.contains(crash),
                    "`{}` printed {crash:?}:\n{self}",
                    self.command
                );
            }
        }
        let errors = self
            .stderr
            .lines()
            .filter(|line| line.starts_with("error:"))
            .count();
        assert!(
            errors <= 1,
            "`{}` printed {errors} error lines:\n{self}",
            self.command
        );
    }

    /// The one `error:` line.
    pub fn error_line(&self) -> &str {
        self.stderr
            .lines()
            .find(|line| line.starts_with("error: "))
            .unwrap_or_else(|| panic!("`{}` printed no `error:` line:\n{self}", self.command))
    }

    /// Asserts stderr is exactly one `error:` line, optionally followed by one `hint:` line.
    pub fn assert_error_shape(&self) -> &Self {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let shaped = match lines.as_slice() {
            [error] => error.starts_with("error: "),
            [error, hint] => error.starts_with("error: ") && hint.starts_with("hint: "),
            _ => false,
        };
        assert!(
            shaped,
            "`{}`: stderr is not one `error:` line plus an optional `hint:` line:\n{self}",
            self.command
        );
        self
    }

    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "`{}`: stderr lacks {needle:?}:\n{self}",
            self.command
        );
        self
    }

    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "`{}`: stdout lacks {needle:?}:\n{self}",
            self.command
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("`{}`: stdout is not JSON ({e}):\n{self}", self.command))
    }

    /// stdout's lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// stdout as tab-separated rows.
    pub fn rows(&self) -> Vec<Vec<&str>> {
        self.stdout
            .lines()
            .map(|line| line.split('\t').collect())
            .collect()
    }
}

/// Runs of the binary as the server's accounts.
pub trait Cli {
    fn run_with(&self, token: &str) -> Run;

    fn as_admin(&self) -> Run;
    fn as_support(&self) -> Run;
    fn as_operator(&self) -> Run;
    /// No token at all.
    fn as_nobody(&self) -> Run {
        self.run_with("")
    }
}

impl Cli for TestServer {
    fn run_with(&self, token: &str) -> Run {
        Run::new(self.cli(token))
    }

    fn as_admin(&self) -> Run {
        self.run_with(&self.tokens.admin)
    }

    fn as_support(&self) -> Run {
        self.run_with(&self.tokens.support)
    }

    fn as_operator(&self) -> Run {
        self.run_with(&self.tokens.operator)
    }
}

pub use crate::common::harness::std_command;

/// A loopback URL where nothing listens (the port was free a moment ago).
pub fn dead_server_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Every event of acme's audit log, via the API.
pub fn audit_events(server: &TestServer) -> Vec<Value> {
    server.admin().all("/v1/orgs/acme/audit")
}

/// Creates `n` grants in acme via the API (over a few connections); returns their ids in
/// creation order within each connection.
pub fn grants(server: &TestServer, n: usize) -> Vec<String> {
    let create = |range: std::ops::Range<usize>| {
        let admin = server.admin();
        range
            .map(|i| {
                admin.grant(serde_json::json!({"level": "member", "reason": format!("case {i}")}))
            })
            .collect::<Vec<_>>()
    };
    if n < 50 {
        return create(0..n);
    }
    let workers = 4;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| scope.spawn(move || create(w * n / workers..(w + 1) * n / workers)))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .collect()
    })
}

/// A grant's `status` via the API.
pub fn grant_status(server: &TestServer, id: &str) -> String {
    let reply = server.admin().get(&format!("/v1/orgs/acme/grants/{id}"));
    reply.assert_ok();
    reply.body["status"].as_str().unwrap().to_owned()
}

/// Asserts `text` is an RFC 3339 UTC time.
pub fn assert_rfc3339(text: &str) {
    assert!(
        text.ends_with('Z') && text.contains('T') && text.parse::<jiff::Timestamp>().is_ok(),
        "{text:?} is not an RFC 3339 UTC time"
    );
}

/// The JSON lines a child prints (`audit list --follow -o json`), read on a thread of their
/// own so that a child that stops printing fails the test instead of hanging it.
pub struct JsonLines(std::sync::mpsc::Receiver<String>);

impl JsonLines {
    pub fn of(stdout: std::process::ChildStdout) -> JsonLines {
        use std::io::BufRead;
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                if sender.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        JsonLines(lines)
    }

    /// The next line, as one JSON event, within 20 s.
    pub fn next_event(&self) -> Value {
        let line = self
            .0
            .recv_timeout(Duration::from_secs(20))
            .expect("audit list --follow printed nothing new within 20 s");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not one JSON event: {line}: {e}"))
    }
}
