//! `login`, `logout`, `status` and where tokens live: the kernel keyutils keyring (in fresh
//! session keyrings, as separate logins would be), the 0600 file store, SUPPORTCTL_TOKEN.

use std::path::Path;

use crate::common::cli::{Cli, Run, dead_server_url, std_command};
use crate::common::harness::TestServer;
use crate::common::keyutils;

/// Every file under `dir`, recursively, with its bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            found.push((path, bytes));
        }
    }
    found
}

fn assert_token_in_no_file(dir: &Path, token: &str) {
    for (path, bytes) in files_under(dir) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(token),
            "the token is in {}",
            path.display()
        );
    }
}

fn config_toml(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("config.toml")).unwrap_or_default()
}

/// A run with its own config dir and no SUPPORTCTL_TOKEN: only stored credentials count.
fn stored(server: &TestServer, dir: &Path) -> Run {
    server.as_nobody().config_dir(dir)
}

#[test]
fn status_exits_4_when_not_logged_in_and_login_checks_the_token() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();

    stored(&server, dir.path())
        .arg("status")
        .fails(4)
        .assert_error_shape()
        .stderr_has("not logged in");
    stored(&server, dir.path())
        .env_remove("SUPPORTCTL_SERVER")
        .arg("status")
        .fails(4);

    // A token the server does not know: exit 4, nothing stored.
    stored(&server, dir.path())
        .args(["login", "--with-token", "--insecure-storage"])
        .stdin("sat_0000000000000000000000000000000000000000000000\n")
        .fails(4)
        .stderr_has("rejected");
    assert!(files_under(dir.path()).is_empty());
    // No token on stdin; no terminal to ask; no server listening.
    stored(&server, dir.path())
        .args(["login", "--with-token", "--insecure-storage"])
        .stdin("\n")
        .fails(2);
    stored(&server, dir.path())
        .args(["login", "--insecure-storage"])
        .fails(2)
        .stderr_has("--with-token");
    stored(&server, dir.path())
        .env("SUPPORTCTL_SERVER", dead_server_url())
        .args(["login", "--with-token", "--insecure-storage"])
        .stdin(format!("{}\n", server.tokens.admin))
        .fails(7);
    assert!(files_under(dir.path()).is_empty());

    // An environment token that is not (or no longer) valid: exit 4 too.
    server
        .run_with("sat_0000000000000000000000000000000000000000000000")
        .arg("status")
        .fails(4);
    // A valid one: who, where, and where the token came from.
    let status = server.as_admin().args(["status", "-o", "json"]).ok().json();
    assert_eq!(status["account"]["email"], "admin@acme.test");
    assert_eq!(status["server"], server.url.as_str());
    assert_eq!(status["token_source"], "SUPPORTCTL_TOKEN");
    assert_eq!(status["health"]["status"], "ok");
}

#[test]
fn insecure_storage_keeps_the_token_in_a_0600_file_until_logout() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let token = &server.tokens.admin;

    stored(&server, dir.path())
        .args(["login", "--with-token", "--insecure-storage"])
        .stdin(format!("{token}\n"))
        .ok()
        .stderr_has("0600");

    let credentials = dir.path().join("credentials.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&credentials)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "credentials.toml has mode {mode:o}");
    }
    assert!(
        std::fs::read_to_string(&credentials)
            .unwrap()
            .contains(token.as_str())
    );
    let config = config_toml(dir.path());
    assert!(
        !config.contains(token.as_str()),
        "config.toml holds the token:\n{config}"
    );
    assert!(config.contains("token_storage = \"file\""), "{config}");
    assert!(config.contains("email = \"admin@acme.test\""), "{config}");

    // The stored token works, also with the server taken from the profile alone.
    let status = stored(&server, dir.path())
        .env_remove("SUPPORTCTL_SERVER")
        .args(["status", "-o", "json"])
        .ok()
        .json();
    assert_eq!(status["account"]["email"], "admin@acme.test");
    assert!(
        status["token_source"]
            .as_str()
            .unwrap()
            .contains("credentials.toml"),
        "{status}"
    );
    stored(&server, dir.path()).args(["grant", "list"]).ok();

    stored(&server, dir.path()).arg("logout").ok();
    assert_token_in_no_file(dir.path(), token);
    stored(&server, dir.path())
        .arg("status")
        .fails(4)
        .stderr_has("not logged in");
    // Logging out twice is fine.
    stored(&server, dir.path()).arg("logout").ok();
}

#[test]
fn env_token_wins_over_stored_credentials_and_flags_over_env_over_profile() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    stored(&server, dir.path())
        .args(["login", "--with-token", "--insecure-storage"])
        .stdin(format!("{}\n", server.tokens.admin))
        .ok();
    stored(&server, dir.path())
        .args([
            "login",
            "--profile",
            "staging",
            "--with-token",
            "--insecure-storage",
        ])
        .stdin(format!("{}\n", server.tokens.support))
        .ok()
        .stderr_has("--profile staging");

    let who = |run: Run| -> (String, String) {
        let status = run.args(["status", "-o", "json"]).ok().json();
        (
            status["account"]["email"].as_str().unwrap().to_owned(),
            status["token_source"].as_str().unwrap().to_owned(),
        )
    };

    // Stored: the current profile's token.
    assert_eq!(who(stored(&server, dir.path())).0, "admin@acme.test");
    // SUPPORTCTL_TOKEN wins over it.
    let (email, source) =
        who(stored(&server, dir.path()).env("SUPPORTCTL_TOKEN", &server.tokens.support));
    assert_eq!(
        (email.as_str(), source.as_str()),
        ("support@supportctl.test", "SUPPORTCTL_TOKEN")
    );
    // Profiles: --profile over SUPPORTCTL_PROFILE over the current profile.
    let staging = stored(&server, dir.path()).env("SUPPORTCTL_PROFILE", "staging");
    assert_eq!(who(staging).0, "support@supportctl.test");
    let flagged = stored(&server, dir.path())
        .env("SUPPORTCTL_PROFILE", "staging")
        .args(["--profile", "default"]);
    assert_eq!(who(flagged).0, "admin@acme.test");

    // Server URL: the profile's, unless SUPPORTCTL_SERVER, unless --server.
    let dead = dead_server_url();
    stored(&server, dir.path())
        .env_remove("SUPPORTCTL_SERVER")
        .arg("status")
        .ok();
    stored(&server, dir.path())
        .env("SUPPORTCTL_SERVER", &dead)
        .env("SUPPORTCTL_TOKEN", &server.tokens.admin)
        .arg("status")
        .fails(7);
    stored(&server, dir.path())
        .env("SUPPORTCTL_SERVER", &dead)
        .args(["--server", &server.url, "status"])
        .ok();

    // A stored token goes only to the server it was stored for: pointed at another server,
    // the command stops before connecting and says how to log in there.
    let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    elsewhere.set_nonblocking(true).unwrap();
    let elsewhere_url = format!("http://{}", elsewhere.local_addr().unwrap());
    for redirect in [
        stored(&server, dir.path()).env("SUPPORTCTL_SERVER", &elsewhere_url),
        stored(&server, dir.path()).args(["--server", &elsewhere_url]),
    ] {
        redirect
            .args(["grant", "list"])
            .fails(4)
            .stderr_has("is logged in to")
            .stderr_has(&format!("login --server {elsewhere_url}"));
    }
    assert_eq!(
        elsewhere.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "a stored token was sent to a server it was not stored for"
    );

    assert_token_in_no_file_but_credentials(dir.path(), &server.tokens.admin);
}

/// Only credentials.toml may hold a token after an --insecure-storage login.
fn assert_token_in_no_file_but_credentials(dir: &Path, token: &str) {
    for (path, bytes) in files_under(dir) {
        if path.file_name().is_some_and(|n| n == "credentials.toml") {
            continue;
        }
        assert!(
            !String::from_utf8_lossy(&bytes).contains(token),
            "the token is in {}",
            path.display()
        );
    }
}

/// `login` into the kernel keyutils store, each command in a fresh session keyring of its own
/// (as separate terminal logins would be): the binary joins its session keyring itself, and
/// the token persists through the per-user keyring, never in a file.
#[test]
fn keyring_login_stores_the_token_in_the_kernel_keyring_only() {
    let Some(why_not) = keyutils::unusable() else {
        return keyring_login(&TestServer::start());
    };
    // Straight to stderr, past libtest's capture of eprintln!, so a skip is never silent.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED cli_credentials::keyring_login_stores_the_token_in_the_kernel_keyring_only: \
         the kernel keyring cannot be used here: {why_not}"
    );
}

fn keyring_login(server: &TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    // A profile of this test's own: keys live in the per-user keyring, shared by every
    // process of this user, so never touch a real `default` profile.
    let profile = format!("test-{}", ulid::Ulid::generate().to_string().to_lowercase());
    let token = server.tokens.admin.clone();
    // The same server by another name, as a second config dir might know it.
    let other_url = server.url.replace("127.0.0.1", "localhost");
    let run_in = |dir: &Path, url: &str, args: &[&str]| -> Run {
        let mut command = std_command(url, "", dir);
        // The kernel store even where a desktop session offers a Secret Service.
        command.env("SUPPORTCTL_KEYRING", "keyutils");
        keyutils::in_fresh_session_keyring(&mut command);
        command.args(["--profile", &profile]).args(args);
        Run::new(assert_cmd::Command::from_std(command))
    };
    let fresh = |args: &[&str]| run_in(dir.path(), &server.url, args);
    let other = |args: &[&str]| run_in(other_dir.path(), &other_url, args);
    type Runner<'a> = &'a dyn Fn(&[&str]) -> Run;
    struct Logout<'a>(Vec<Runner<'a>>);
    impl Drop for Logout<'_> {
        fn drop(&mut self) {
            for run in &self.0 {
                let _ = run(&["logout"]).run();
            }
        }
    }
    let _cleanup = Logout(vec![&fresh, &other]);

    fresh(&["login", "--with-token"])
        .stdin(format!("{token}\n"))
        .ok()
        .stderr_has("OS keyring");
    let config = config_toml(dir.path());
    assert!(config.contains("token_storage = \"keyring\""), "{config}");
    assert!(!dir.path().join("credentials.toml").exists());
    assert_token_in_no_file(dir.path(), &token);

    // Another process, another session keyring: the token is found.
    let status = fresh(&["status", "-o", "json"]).ok().json();
    assert_eq!(status["account"]["email"], "admin@acme.test");
    assert_eq!(status["token_source"], "OS keyring (kernel keyutils)");
    let out = fresh(&["grant", "list", "-q"]).ok();
    assert!(out.stdout.is_empty(), "{out}");

    // Another config dir with a profile of the same name, for another server URL: its
    // token neither replaces this one nor is ever sent where this one goes.
    other(&["login", "--with-token"])
        .stdin(format!("{}\n", server.tokens.support))
        .ok();
    let status = other(&["status", "-o", "json"]).ok().json();
    assert_eq!(status["account"]["email"], "support@supportctl.test");
    let status = fresh(&["status", "-o", "json"]).ok().json();
    assert_eq!(status["account"]["email"], "admin@acme.test");
    other(&["logout"]).ok();

    fresh(&["logout"]).ok();
    fresh(&["status"]).fails(4).stderr_has("not logged in");
    assert_token_in_no_file(dir.path(), &token);
}

/// No keyring at all (forced to a Secret Service that is not there): login refuses to fall back
/// to a file on its own and names both ways out; a profile whose token is in the keyring is
/// simply not logged in (exit 4).
#[test]
fn without_a_usable_keyring_login_names_the_ways_out_and_stores_nothing() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let no_keyring = |run: Run| {
        run.env("SUPPORTCTL_KEYRING", "secret-service")
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    };
    no_keyring(stored(&server, dir.path()))
        .args(["login", "--with-token"])
        .stdin(format!("{}\n", server.tokens.admin))
        .fails(1)
        .assert_error_shape()
        .stderr_has("no usable OS keyring")
        .stderr_has("--insecure-storage")
        .stderr_has("SUPPORTCTL_TOKEN");
    assert_token_in_no_file_but_credentials(dir.path(), &server.tokens.admin);
    assert!(!dir.path().join("credentials.toml").exists());

    // A profile saved by a login on a machine with a keyring, used where there is none.
    std::fs::write(
        dir.path().join("config.toml"),
        format!("[profiles.default]\nserver = \"{}\"\n", server.url),
    )
    .unwrap();
    no_keyring(stored(&server, dir.path()))
        .args(["grant", "list"])
        .fails(4)
        .stderr_has("SUPPORTCTL_TOKEN");
}
