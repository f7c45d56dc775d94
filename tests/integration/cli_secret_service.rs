//! `login` into the freedesktop Secret Service where a D-Bus session offers one: a real
//! D-Bus session (`dbus-run-session`) with a real provider (GNOME Keyring, unlocked headless).

use std::path::Path;
use std::process::Command;

use crate::common::harness::TestServer;

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The steps, inside one D-Bus session, each a separate process as a user's commands are.
const SCRIPT: &str = r#"
set -u
export HOME="$T/home" XDG_RUNTIME_DIR="$T/run" XDG_DATA_HOME="$T/home/data" XDG_CONFIG_HOME="$T/home/config"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
printf 'unlock' | gnome-keyring-daemon --unlock --components=secrets --daemonize > /dev/null
"$BIN" --profile p login --with-token < "$T/token" 2> "$T/login.err"; echo "login=$?"
"$BIN" --profile p status -o json > "$T/status.json" 2> "$T/status.err"; echo "status=$?"
SUPPORTCTL_KEYRING=keyutils "$BIN" --profile p status > /dev/null 2> "$T/keyutils.err"; echo "keyutils=$?"
"$BIN" --profile p logout 2> "$T/logout.err"; echo "logout=$?"
"$BIN" --profile p status > /dev/null 2> "$T/after.err"; echo "after=$?"
"#;

#[test]
fn login_uses_the_secret_service_of_a_dbus_session() {
    let missing: Vec<&str> = ["dbus-run-session", "gnome-keyring-daemon"]
        .into_iter()
        .filter(|program| !installed(program))
        .collect();
    if !missing.is_empty() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED cli_secret_service::login_uses_the_secret_service_of_a_dbus_session: \
             {} not installed (apt-get install dbus gnome-keyring; .ci/run does)",
            missing.join(" and ")
        );
        return;
    }
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path();
    std::fs::write(t.join("token"), format!("{}\n", server.tokens.admin)).unwrap();
    let mut command = Command::new("dbus-run-session");
    for (key, _) in std::env::vars() {
        if key.starts_with("SUPPORTCTL_") || key.starts_with("DBUS_") {
            command.env_remove(key);
        }
    }
    let output = command
        .args(["--", "bash", "-c", SCRIPT])
        .env("T", t)
        .env("BIN", env!("CARGO_BIN_EXE_supportctl"))
        .env("SUPPORTCTL_SERVER", &server.url)
        .env("SUPPORTCTL_CONFIG_DIR", t.join("config"))
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let read = |name: &str| std::fs::read_to_string(t.join(name)).unwrap_or_default();
    let step = |name: &str| -> i32 {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "step {name} did not run:\n{stdout}\n{}",
                    String::from_utf8_lossy(&output.stderr)
                )
            })
    };
    assert_eq!(step("login"), 0, "{}", read("login.err"));
    assert!(
        read("login.err").contains("the OS keyring (Secret Service)"),
        "{}",
        read("login.err")
    );
    assert_eq!(step("status"), 0, "{}", read("status.err"));
    let status: serde_json::Value = serde_json::from_str(&read("status.json")).unwrap();
    assert_eq!(status["token_source"], "OS keyring (Secret Service)");
    assert_eq!(status["account"]["email"], "admin@acme.test");
    // Not in the kernel keyring: asked there, the profile has no token.
    assert_ne!(step("keyutils"), 0, "{}", read("keyutils.err"));
    assert_eq!(step("logout"), 0, "{}", read("logout.err"));
    assert_eq!(step("after"), 4, "{}", read("after.err"));
    assert!(read("after.err").contains("not logged in"));
    // The token was never written to the config dir.
    assert_token_in_no_file(&t.join("config"), &server.tokens.admin);
}

fn assert_token_in_no_file(dir: &Path, token: &str) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            assert_token_in_no_file(&path, token);
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert!(!text.contains(token), "the token is in {}", path.display());
        }
    }
}
