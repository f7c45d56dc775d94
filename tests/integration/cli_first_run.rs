//! A new user's first steps: `server --dev` leaves profiles the CLI uses at once, a port in use
//! says how to get a free one, a fresh database says how to make the first operator, and the
//! server's help shows the server's options only.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::common::cli::{Run, std_command};
use crate::common::keyutils;
use crate::common::server_process::wait_for_address;

/// A server process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `supportctl server ARGS` with `config` as its config dir, logging to `log`; returns the
/// process once it listens, its URL, and what it printed on stdout (with `--dev`, the export
/// lines).
fn start(mut command: Command, args: &[&str], log: &Path) -> (Killed, String, Vec<String>) {
    command.env_remove("SUPPORTCTL_SERVER");
    command
        .arg("server")
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let dev = args.contains(&"--dev");
    let mut server = Killed(child);
    let lines = if dev {
        BufReader::new(stdout)
            .lines()
            .take(5)
            .map(Result::unwrap)
            .collect()
    } else {
        Vec::new()
    };
    // The log names the address once the profiles are written and the port accepts.
    let url = wait_for_address(log, &mut server.0);
    (server, url, lines)
}

/// A run of the CLI with no server or token in the environment: only profiles count.
fn cli(command: Command) -> Run {
    Run::new(assert_cmd::Command::from_std(command)).env_remove("SUPPORTCTL_SERVER")
}

#[test]
fn server_dev_leaves_profiles_usable_at_once_with_insecure_storage() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let log = dir.path().join("server.log");
    let (_server, url, exports) = start(
        std_command("", "", &config),
        &["--dev", "--insecure-storage", "--listen", "127.0.0.1:0"],
        &log,
    );
    assert_eq!(exports[0], format!("export SUPPORTCTL_SERVER={url}"));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("supportctl --profile dev-admin grant list"),
        "{text}"
    );

    let run = |args: &[&str]| cli(std_command("", "", &config)).args(args);
    let out = run(&["--profile", "dev-admin", "grant", "list", "-o", "json"]).ok();
    assert_eq!(out.json(), serde_json::json!([]));
    for (profile, email) in [
        ("dev-admin", "admin@acme.test"),
        ("dev-support", "support@supportctl.test"),
        ("dev-operator", "operator@supportctl.test"),
        ("dev-service", "platform@supportctl.test"),
    ] {
        let status = run(&["--profile", profile, "status", "-o", "json"])
            .ok()
            .json();
        assert_eq!(status["account"]["email"], email, "{profile}");
        assert_eq!(status["server"], url.as_str());
    }
    let credentials = config.join("credentials.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&credentials)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The profiles are there but none became the current one: a later `login` still does.
    let toml = std::fs::read_to_string(config.join("config.toml")).unwrap();
    assert!(!toml.contains("current_profile"), "{toml}");
}

/// Without `--insecure-storage` the tokens go to the OS keyring (here the kernel keyutils
/// store, each process in a fresh session keyring as separate logins would be).
#[test]
fn server_dev_stores_the_profiles_tokens_in_the_keyring() {
    if let Some(why_not) = keyutils::unusable() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED cli_first_run::server_dev_stores_the_profiles_tokens_in_the_keyring: \
             the kernel keyring cannot be used here: {why_not}"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let log = dir.path().join("server.log");
    let in_keyring = || {
        let mut command = std_command("", "", &config);
        command.env("SUPPORTCTL_KEYRING", "keyutils");
        keyutils::in_fresh_session_keyring(&mut command);
        command
    };
    let (_server, _url, exports) = start(in_keyring(), &["--dev", "--listen", "127.0.0.1:0"], &log);
    let run = |args: &[&str]| cli(in_keyring()).args(args);
    // Entries are per server URL, so a test never touches a real one; still, leave none.
    struct Logout<'a>(&'a dyn Fn(&[&str]) -> Run);
    impl Drop for Logout<'_> {
        fn drop(&mut self) {
            for profile in ["dev-admin", "dev-support", "dev-operator", "dev-service"] {
                let _ = (self.0)(&["--profile", profile, "logout"]).run();
            }
        }
    }
    let _cleanup = Logout(&run);

    run(&["--profile", "dev-admin", "grant", "list"]).ok();
    let status = run(&["--profile", "dev-support", "status", "-o", "json"])
        .ok()
        .json();
    assert_eq!(status["token_source"], "OS keyring (kernel keyutils)");
    assert!(!config.join("credentials.toml").exists());
    let token = exports[2]
        .split('=')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let toml = std::fs::read_to_string(config.join("config.toml")).unwrap();
    assert!(!toml.contains(token), "{toml}");
}

/// No keyring and no `--insecure-storage`: no profiles, and the way to use the export lines.
#[test]
fn server_dev_without_a_keyring_says_the_tokens_are_in_the_export_lines() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let log = dir.path().join("server.log");
    let mut command = std_command("", "", &config);
    command
        .env("SUPPORTCTL_KEYRING", "secret-service")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let (_server, _url, exports) = start(command, &["--dev", "--listen", "127.0.0.1:0"], &log);
    assert!(exports[1].starts_with("export SUPPORTCTL_OPERATOR_TOKEN=sat_"));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("no usable OS keyring"), "{text}");
    assert!(
        text.contains("SUPPORTCTL_TOKEN=$SUPPORTCTL_ADMIN_TOKEN"),
        "{text}"
    );
    assert!(!config.join("config.toml").exists());
}

#[test]
fn a_port_in_use_gets_a_hint_to_take_a_free_one() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    cli(std_command("", "", dir.path()))
        .env("NO_COLOR", "1")
        .args(["server", "--dev", "--listen", &address])
        .fails(1)
        .stderr_has(&format!("cannot listen on {address}"))
        .stderr_has("hint: another process listens")
        .stderr_has("--listen 127.0.0.1:0");
}

#[test]
fn a_fresh_default_database_says_where_it_is_and_how_to_make_the_first_operator() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = std_command("", "", &dir.path().join("config"));
    command
        .env_remove("SUPPORTCTL_DB")
        .env("XDG_DATA_HOME", dir.path().join("data"));
    let log = dir.path().join("server.log");
    let (_server, _url, _) = start(command, &["--listen", "127.0.0.1:0"], &log);
    let text = std::fs::read_to_string(&log).unwrap();
    let database = dir.path().join("data/supportctl/supportctl.db");
    assert!(text.contains(&database.display().to_string()), "{text}");
    assert!(text.contains("supportctl server init"), "{text}");
}

#[test]
fn server_help_shows_the_server_options_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(std_command("", "", dir.path()))
        .args(["server", "--help"])
        .ok();
    for client_only in [
        "--server <URL>",
        "--ca-cert",
        "--quiet",
        "--profile",
        "--yes",
    ] {
        assert!(!out.stdout.contains(client_only), "{client_only}:\n{out}");
    }
    out.stdout_has("Global options:")
        .stdout_has("-v, --verbose")
        .stdout_has("-v debug (each request's method and path")
        .stdout_has("postgres://USER:PASS@HOST/DB");
    // Hidden, not refused: scripts that pass them keep working.
    cli(std_command("", "", dir.path()))
        .args(["server", "-q", "init", "--help"])
        .ok();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("postgres://USER:PASS@HOST/DB"));
}

/// A second plain `login` as someone else replaces the profile: it says which one, and how
/// to keep both.
#[test]
fn a_second_login_as_someone_else_names_the_profile_it_replaces() {
    let server = crate::common::harness::TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let login_to = |url: &str, token: &str| {
        cli(std_command(url, "", dir.path()))
            .env("SUPPORTCTL_SERVER", url)
            .args(["login", "--with-token", "--insecure-storage"])
            .stdin(format!("{token}\n"))
            .ok()
    };
    let login = |token: &str| login_to(&server.url, token);
    let first = login(&server.tokens.admin);
    assert!(!first.stderr.contains("warning"), "{first}");
    login(&server.tokens.support)
        .stderr_has("profile 'default' was admin@acme.test")
        .stderr_has("is now support@supportctl.test")
        .stderr_has("--profile NAME to keep both");
    // The same account on another server is another identity too.
    let elsewhere = server.url.replace("127.0.0.1", "localhost");
    login_to(&elsewhere, &server.tokens.support).stderr_has(&format!(
        "on {} and is now support@supportctl.test on {elsewhere}",
        server.url
    ));
}
