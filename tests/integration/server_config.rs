//! `supportctl server --config FILE` and `supportctl server config`: a TOML file under the
//! command line and the environment, its mistakes refused with the file and line before
//! anything starts, and the effective settings shown with where each came from.

use std::path::Path;
use std::process::Stdio;

use serde_json::{Value, json};

use crate::common::cli::{Out, Run};
use crate::common::harness::{http_client, std_command};
use crate::common::server_process::wait_for_address;

/// `supportctl ARGS` with no SUPPORTCTL_* variable from the test's environment.
fn supportctl(dir: &Path) -> Run {
    Run::new(assert_cmd::Command::from_std(std_command(
        "http://127.0.0.1:1",
        "",
        dir,
    )))
    .env_remove("SUPPORTCTL_SERVER")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `server config -o json` as key → (value, source).
fn settings(out: &Out) -> std::collections::BTreeMap<String, (Value, String)> {
    out.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|setting| {
            (
                setting["key"].as_str().unwrap().to_owned(),
                (
                    setting["value"].clone(),
                    setting["source"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

#[test]
fn a_flag_wins_over_its_variable_which_wins_over_the_file_which_wins_over_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "server.toml",
        "# the server's settings\n\
         listen = \"127.0.0.1:9\"\n\
         max-connections = 100\n\
         drain-delay = \"2s\"\n\
         request-timeout = \"3s\"\n\
         allow-http-webhooks = true\n",
    );
    let out = supportctl(dir.path())
        .args(["server", "--config", &file, "--request-timeout", "40s"])
        .args(["config", "-o", "json"])
        .env("SUPPORTCTL_DRAIN_DELAY", "9s")
        .env("SUPPORTCTL_REQUEST_TIMEOUT", "20s")
        .ok();
    let shown = settings(&out);
    assert_eq!(shown["request-timeout"], (json!("40s"), "flag".to_owned()));
    assert_eq!(
        shown["drain-delay"],
        (json!("9s"), "env SUPPORTCTL_DRAIN_DELAY".to_owned())
    );
    assert_eq!(shown["listen"], (json!("127.0.0.1:9"), format!("{file}:2")));
    assert_eq!(shown["max-connections"], (json!(100), format!("{file}:3")));
    assert_eq!(
        shown["allow-http-webhooks"],
        (json!(true), format!("{file}:6"))
    );
    assert_eq!(
        shown["shutdown-timeout"],
        (json!("30s"), "default".to_owned())
    );
    assert_eq!(shown["tls-cert"], (Value::Null, "default".to_owned()));
    // Every option a file may set is shown; the command-line-only ones are not.
    for key in ["log-format", "name", "signing-key", "sweep-interval"] {
        assert!(shown.contains_key(key), "{key} is missing:\n{out}");
    }
    for key in ["config", "dev", "insecure-storage"] {
        assert!(!shown.contains_key(key), "{key} is shown:\n{out}");
    }

    // SUPPORTCTL_CONFIG names the file too, and --config may come after `config`.
    let by_variable = supportctl(dir.path())
        .args(["server", "config", "-o", "json"])
        .env("SUPPORTCTL_CONFIG", &file)
        .ok();
    assert_eq!(
        settings(&by_variable)["drain-delay"],
        (json!("2s"), format!("{file}:4"))
    );
    let after = supportctl(dir.path())
        .args(["server", "config", "--config", &file, "-o", "json"])
        .ok();
    assert_eq!(
        settings(&after)["listen"],
        (json!("127.0.0.1:9"), format!("{file}:2"))
    );
    // Without a file, the defaults.
    let plain = supportctl(dir.path())
        .args(["server", "config", "-o", "json"])
        .ok();
    assert_eq!(
        settings(&plain)["listen"],
        (json!("127.0.0.1:8420"), "default".to_owned())
    );
}

#[test]
fn a_server_listens_where_its_config_file_says() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let file = write(
        dir.path(),
        "server.toml",
        &format!(
            "listen = \"127.0.0.1:{port}\"\ndb = \"sqlite://{}\"\n",
            dir.path().join("db.sqlite").display()
        ),
    );
    let log = dir.path().join("server.log");
    let mut command = std_command("http://127.0.0.1:1", "", dir.path());
    command
        .args(["server", "--config", &file])
        .env("SUPPORTCTL_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut server = Killed(command.spawn().unwrap());
    let url = wait_for_address(&log, &mut server.0);
    assert_eq!(url, format!("http://127.0.0.1:{port}"));
    let health = http_client().get(format!("{url}/healthz")).send().unwrap();
    assert_eq!(health.status(), 200);
}

/// A server process killed when the test ends, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_bad_config_file_is_a_usage_error_naming_file_and_line_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let db = dir.path().join("db.sqlite");
    let cases: [(&str, &str, &[&str]); 9] = [
        (
            "listen = \"127.0.0.1:0\"\nmax-conections = 5\n",
            ":2: unknown key `max-conections`",
            &["did you mean `max-connections`?"],
        ),
        (
            "\nmax-connections = \"many\"\n",
            ":2: `max-connections` must be a whole number",
            &[],
        ),
        (
            "max-connections = 0\n",
            ":1: invalid value '0' for '--max-connections <N>'",
            &[],
        ),
        (
            "drain-delay = \"5 parsecs\"\n",
            ":1: invalid value '5 parsecs' for '--drain-delay <DURATION>'",
            &["parsecs"],
        ),
        (
            "drain-delay = 5\n",
            ":1: `drain-delay` must be a string in quotes",
            &[],
        ),
        (
            "listen = \"127.0.0.1:1\"\n\nlisten = \"127.0.0.1:2\"\n",
            ":3: duplicate key `listen`",
            &[],
        ),
        (
            "dev = true\n",
            ":1: `dev` cannot be set in a config file",
            &["pass --dev on the command line"],
        ),
        (
            "log-format = \"xml\"\n",
            ":1: invalid value 'xml' for '--log-format <FORMAT>'",
            &["possible values: text, json"],
        ),
        ("tls-cert = \"/etc/cert.pem\"\n", "", &["--tls-key"]),
    ];
    for (index, (text, located, more)) in cases.into_iter().enumerate() {
        let file = write(dir.path(), &format!("bad-{index}.toml"), text);
        let out = supportctl(dir.path())
            .args(["server", "--config", &file])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(format!("sqlite://{}", db.display()))
            .fails(2);
        out.assert_error_shape();
        if !located.is_empty() {
            out.stderr_has(&format!("{file}{located}"));
        }
        for expected in more {
            out.stderr_has(expected);
        }
        assert!(!db.exists(), "the server opened its database:\n{out}");
        // `server config` refuses the same file the same way (a certificate without its key
        // is a mistake only for a server, and `server config` shows where each came from).
        if !located.is_empty() {
            supportctl(dir.path())
                .args(["server", "--config", &file, "config"])
                .fails(2)
                .stderr_has(&format!("{file}{located}"));
        }
    }

    // A file that is not there, or cannot be read: its path and the system's reason.
    let missing = dir.path().join("missing.toml").display().to_string();
    supportctl(dir.path())
        .args(["server", "--config", &missing])
        .fails(2)
        .stderr_has(&format!("{missing}: No such file or directory"));
    let folder = dir.path().display().to_string();
    supportctl(dir.path())
        .args(["server", "--db"])
        .arg(format!("sqlite://{}", db.display()))
        .env("SUPPORTCTL_CONFIG", &folder)
        .fails(2)
        .stderr_has(&format!("{folder}: Is a directory"));
    assert!(!db.exists());
}

#[test]
fn server_config_hides_database_passwords_and_connects_to_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Held by the test: a server could not bind it, `server config` does not try.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let file = write(
        dir.path(),
        "server.toml",
        &format!(
            "listen = \"{}\"\n\
             db = \"postgres://supportctl:hunter2@db.invalid/supportctl?sslpassword=pem-secret&sslmode=require\"\n",
            taken.local_addr().unwrap()
        ),
    );
    let started = std::time::Instant::now();
    for format in ["json", "table", "tsv"] {
        let out = supportctl(dir.path())
            .args(["server", "--config", &file, "config", "-o", format])
            .ok();
        for secret in ["hunter2", "pem-secret"] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "{secret} shown:\n{out}"
            );
        }
        out.stdout_has(
            "postgres://supportctl:***@db.invalid/supportctl?sslpassword=***&sslmode=require",
        );
    }
    // From the environment too.
    let out = supportctl(dir.path())
        .args(["server", "config", "-o", "json"])
        .env("SUPPORTCTL_DB", "postgres://u:hunter2@db.invalid/x")
        .ok();
    assert_eq!(
        settings(&out)["db"],
        (
            json!("postgres://u:***@db.invalid/x"),
            "env SUPPORTCTL_DB".to_owned()
        )
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "server config waited for something"
    );
    // And without a --db anywhere, the SQLite file a server would use.
    let out = supportctl(dir.path())
        .args(["server", "config", "-o", "json"])
        .env("XDG_DATA_HOME", dir.path())
        .ok();
    let (db, source) = &settings(&out)["db"];
    assert_eq!(source, "default");
    assert!(
        db.as_str()
            .is_some_and(|url| url.starts_with("sqlite://") && url.ends_with("supportctl.db")),
        "{out}"
    );
    drop(taken);
}

#[test]
fn every_server_option_has_a_config_key_and_a_variable_in_the_help() {
    let dir = tempfile::tempdir().unwrap();
    let help = supportctl(dir.path()).args(["server", "--help"]).ok();
    for expected in [
        "--config <FILE>",
        "[env: SUPPORTCTL_CONFIG=]",
        "[env: SUPPORTCTL_MAX_CONNECTIONS=]",
        "[env: SUPPORTCTL_DRAIN_DELAY=]",
        "[env: SUPPORTCTL_LOG_FORMAT=]",
        "but --config, --dev and --insecure-storage",
    ] {
        help.stdout_has(expected);
    }
    // `server config` prints data: its help offers the output formats.
    supportctl(dir.path())
        .args(["server", "config", "--help"])
        .ok()
        .stdout_has("--output <FORMAT>");
}
