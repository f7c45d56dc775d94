//! `supportctl sso connector` and `supportctl login --sso` against a real OpenID Provider,
//! the browser played by a script started as `$BROWSER`: the token stored like `login`
//! stores one, `status` showing its expiry, and the exit codes of refusals (4 when the sign-in
//! itself fails, 5 when the person is known but no rule lets them in).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::cli::{Cli, Run};
use crate::common::fixtures::create_support;
use crate::common::harness::TestServer;
use crate::common::oidc::TestProvider;

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
