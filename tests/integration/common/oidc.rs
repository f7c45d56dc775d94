//! A real OpenID Provider for the sign-in tests: npm `oidc-provider` (installed under
//! `tests/oidc/` by `npm ci`, see `.ci/run`) started on loopback, and a script that plays the
//! person's browser through its pages.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// Fails clearly when the provider's packages are not installed.
fn require_packages() {
    assert!(
        dir().join("node_modules/oidc-provider").is_dir(),
        "the test OpenID Provider is not installed: run `npm ci` in tests/oidc (as .ci/run does)"
    );
}

/// A running provider; killed when dropped.
pub struct TestProvider {
    pub issuer: String,
    config: Value,
    child: Child,
}

impl TestProvider {
    /// Starts a provider with `clients` and `users` (see `tests/oidc/provider.mjs`), plus
    /// any other settings of `extra` (`host`, `skew`, `iss_param`).
    pub fn start(clients: Value, users: Value, extra: Value) -> TestProvider {
        require_packages();
        let mut config = json!({ "port": 0, "clients": clients, "users": users });
        if let Some(extra) = extra.as_object() {
            config.as_object_mut().unwrap().extend(extra.clone());
        }
        let (child, issuer) = spawn(&config);
        let port = issuer.rsplit(':').next().unwrap().parse::<u16>().unwrap();
        config["port"] = json!(port);
        TestProvider {
            issuer,
            config,
            child,
        }
    }

    /// Stops the provider and starts it again on the same port: same issuer, new signing key.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, issuer) = spawn(&self.config);
        assert_eq!(issuer, self.issuer);
        self.child = child;
    }

    /// Stops the provider and starts another on the same port with `extra` settings added
    /// (`host`: another issuer at the same address, whose tokens name it in `iss`).
    pub fn restart_with(&mut self, extra: Value) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut config = self.config.clone();
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        let (child, _issuer) = spawn(&config);
        self.child = child;
    }

    /// Replaces the provider's users (a change of email or groups at the provider).
    pub fn set_users(&mut self, users: Value) {
        self.config["users"] = users.clone();
        let url = format!(
            "http://127.0.0.1:{}/test/users",
            self.config["port"].as_u64().unwrap()
        );
        let status = reqwest::blocking::Client::new()
            .post(url)
            .body(users.to_string())
            .send()
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 204);
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(config: &Value) -> (Child, String) {
    let mut child = Command::new("node")
        .arg(dir().join("provider.mjs"))
        .env("OIDC_CONFIG", config.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs (the sign-in tests need Node.js)");
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // Read whatever else it prints: a closed pipe would end it at its next line.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let issuer = line
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("the test provider did not start: {line:?}"))
        .trim()
        .to_owned();
    (child, issuer)
}

/// What the browser saw at the end: the status, URL and body of the first page without a
/// form (for a sign-in, the server's callback page).
pub struct Page {
    pub status: u16,
    pub url: String,
    pub body: String,
}

/// Plays the person `login` through the provider's pages from `url`.
pub fn browse(url: &str, login: &str) -> Page {
    let out = Command::new("node")
        .arg(dir().join("browser.mjs"))
        .args([url, login])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the browser script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page: Value = serde_json::from_slice(&out.stdout).unwrap();
    Page {
        status: page["status"].as_u64().unwrap() as u16,
        url: page["url"].as_str().unwrap().to_owned(),
        body: page["body"].as_str().unwrap().to_owned(),
    }
}
