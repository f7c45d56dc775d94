//! `supportctl sso connector` and `supportctl login --sso` against a real OpenID Provider,
//! the browser played by a script started as `$BROWSER`: the token stored like `login`
//! stores one, `status` showing its expiry, and the exit codes of refusals (4 when the sign-in
//! itself fails, 5 when the person is known but no rule lets them in).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{Value, json};

use crate::common::cli::{Cli, Run, std_command};
use crate::common::fixtures::create_support;
use crate::common::harness::TestServer;
use crate::common::oidc::{TestProvider, browse};

fn browser() -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc/browser.mjs");
    format!("node {}", script.display())
}

/// `login --sso` as `login` (the provider's user) in config dir `dir`.
fn login_as(server: &TestServer, dir: &Path, login: &str) -> Run {
    server
        .as_nobody()
        .config_dir(dir)
        .env("BROWSER", browser())
        .env("OIDC_LOGIN", login)
        .args(["login", "--sso", "--insecure-storage"])
}

fn user(email: &str, verified: bool, groups: &[&str]) -> Value {
    json!({"email": email, "email_verified": verified, "groups": groups})
}

#[test]
fn login_sso_stores_a_token_that_status_shows_expiring() {
    let server = TestServer::start();
    let redirect = format!("{}/v1/auth/callback", server.url);
    let provider = TestProvider::start(
        json!([{"client_id": "supportctl", "client_secret": "s3cret", "redirect_uris": [redirect]}]),
        json!({
            "ann": user("ann@vendor.example", true, &["support"]),
            "mark": user("mark@vendor.example", true, &["marketing"]),
            "unverified": user("ann@vendor.example", false, &["support"]),
        }),
        json!({}),
    );
    // The connector, by the CLI: the secret on stdin, never shown again.
    let added = server
        .as_operator()
        .args([
            "sso",
            "connector",
            "add",
            "corp",
            "--issuer",
            &provider.issuer,
            "--client-id",
            "supportctl",
            "--rule",
            "groups=support:support",
            "--rule",
            "groups=ops:operator",
        ])
        .stdin("s3cret\n")
        .ok();
    added.stderr_has(&redirect);
    let listed = server
        .as_operator()
        .args(["sso", "connector", "list", "-o", "json"])
        .ok()
        .json();
    assert_eq!(listed[0]["name"], "corp");
    assert!(!listed.to_string().contains("s3cret"));
    server
        .as_operator()
        .args(["sso", "connector", "show", "corp"])
        .ok()
        .stdout_has("groups=support:support");

    create_support(&server, "ann@vendor.example");
    let dir = tempfile::tempdir().unwrap();
    login_as(&server, dir.path(), "ann")
        .ok()
        .stderr_has("Open this page to sign in")
        .stderr_has("Signed in as ann@vendor.example (support) until");
    let status = server
        .as_nobody()
        .config_dir(dir.path())
        .args(["status", "-o", "json"])
        .ok()
        .json();
    assert_eq!(status["account"]["email"], "ann@vendor.example");
    assert!(status["account"]["token_expires_at"].is_string());
    assert_eq!(status["account"]["token_connector"], "corp");
    server
        .as_nobody()
        .config_dir(dir.path())
        .arg("status")
        .ok()
        .stdout_has("signed in through corp");
    // The stored token works for other commands.
    server
        .as_nobody()
        .config_dir(dir.path())
        .args(["grant", "list"])
        .ok();

    // Known to the provider, but no rule lets them in: 5, with the sentence to act on.
    let other = tempfile::tempdir().unwrap();
    login_as(&server, other.path(), "mark")
        .fails(5)
        .stderr_has("no rule of this connector");
    // The sign-in itself fails (the provider does not vouch for the email): 4.
    login_as(&server, other.path(), "unverified")
        .fails(4)
        .stderr_has("email_verified");
    assert!(!other.path().join("credentials.toml").exists());

    // Several connectors and no terminal to ask: name one.
    server
        .as_operator()
        .args([
            "sso",
            "connector",
            "add",
            "second",
            "--issuer",
            &provider.issuer,
            "--client-id",
            "supportctl",
            "--rule",
            "groups=support:support",
        ])
        .stdin("s3cret\n")
        .ok();
    login_as(&server, other.path(), "ann")
        .fails(2)
        .stderr_has("--connector");
    server
        .as_operator()
        .args(["sso", "connector", "remove", "second", "--yes"])
        .ok();
}

/// `login --sso --no-browser`: the URL printed for the person to open, no browser started, the
/// token stored once they are through; Ctrl-C while it waits cancels (130), storing nothing.
#[test]
fn login_sso_no_browser_prints_the_url_and_ctrl_c_cancels() {
    let server = TestServer::start();
    let redirect = format!("{}/v1/auth/callback", server.url);
    let provider = TestProvider::start(
        json!([{"client_id": "supportctl", "client_secret": "s3cret", "redirect_uris": [redirect]}]),
        json!({"ann": user("ann@vendor.example", true, &["support"])}),
        json!({}),
    );
    server
        .as_operator()
        .args([
            "sso",
            "connector",
            "add",
            "corp",
            "--issuer",
            &provider.issuer,
            "--client-id",
            "supportctl",
            "--rule",
            "groups=support:support",
        ])
        .stdin("s3cret\n")
        .ok();
    create_support(&server, "ann@vendor.example");
    let dir = tempfile::tempdir().unwrap();
    let opened = dir.path().join("browser-opened");
    // Returns the running login and its stderr, read up to the line that `until` matches.
    let start = |config: &Path, until: &str| {
        let mut child = std_command(&server.url, "", config)
            .args(["login", "--sso", "--no-browser", "--insecure-storage"])
            .env("BROWSER", format!("sh -c 'touch {}'", opened.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        while !seen.lines().any(|line| line.contains(until)) {
            assert!(
                stderr.read_line(&mut seen).unwrap() > 0,
                "the login ended early: {seen}"
            );
        }
        (child, stderr, seen)
    };
    let rest = |mut stderr: BufReader<std::process::ChildStderr>, mut seen: String| {
        stderr.read_to_string(&mut seen).unwrap();
        seen
    };

    let signed_in = dir.path().join("signed-in");
    let (mut child, stderr, seen) = start(&signed_in, "Waiting for the sign-in");
    let url = seen
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with(&format!("{}/", provider.issuer)))
        .unwrap_or_else(|| panic!("no URL printed: {seen}"))
        .to_owned();
    assert!(
        seen.contains("Waiting for the sign-in (Ctrl-C cancels)"),
        "{seen}"
    );
    let page = browse(&url, "ann");
    assert_eq!(page.status, 200, "{}", page.body);
    let seen = rest(stderr, seen);
    assert!(child.wait().unwrap().success(), "{seen}");
    assert!(seen.contains("Signed in as ann@vendor.example"), "{seen}");
    assert!(signed_in.join("credentials.toml").exists());
    assert!(!opened.exists(), "--no-browser started the browser");

    let cancelled = dir.path().join("cancelled");
    let (mut child, stderr, seen) = start(&cancelled, "Waiting for the sign-in");
    // SAFETY: kill(2) on the child this test started and has not reaped yet.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let seen = rest(stderr, seen);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(seen.contains("the sign-in was cancelled"), "{seen}");
    assert!(!seen.contains("panicked"), "{seen}");
    assert!(!cancelled.join("credentials.toml").exists());
}

/// Once the org's policy asks for a recent sign-in, a static token's policy change is refused
/// (exit 4) with the command that signs in again.
#[test]
fn a_static_token_is_told_to_sign_in_again() {
    let server = TestServer::start();
    server
        .as_admin()
        .args(["org", "policy", "set", "--approval-max-auth-age", "5m"])
        .ok();
    let policy = server
        .as_admin()
        .args(["org", "policy", "-o", "json"])
        .ok()
        .json();
    assert_eq!(policy["approval_max_auth_age_seconds"], 300);
    server
        .as_admin()
        .args(["org", "policy", "set", "--require-ticket"])
        .fails(4)
        .stderr_has("approval_max_auth_age_seconds")
        .stderr_has("supportctl login --sso");
    server
        .as_admin()
        .args(["org", "policy", "set", "--approval-max-auth-age", "soon"])
        .fails(2)
        .stderr_has("none");
}
