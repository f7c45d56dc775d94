//! Secret hygiene: a whole workflow at the highest verbosity (`-vv` on every command, the
//! server at `SUPPORTCTL_LOG=trace`), then a search for every account token (`sat_…`) and
//! session token (`sst_…`) in everything it left behind: the database files (with `-wal` and
//! `-shm`, while serving and after a graceful stop), the config dirs and the home dir, the
//! server log, and every command's stdout and stderr. The only places a token may be are the
//! outputs whose purpose is to show it (`account create -q`, `session open -q`) and the 0600
//! `credentials.toml` of a profile logged in with `--insecure-storage`. The database holds the
//! lowercase hex SHA-256 of each token instead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::common::harness::http_client;
use crate::common::keyutils;
use crate::common::server_process::{Launch, ServerProcess};

/// One finished CLI run, kept for the final search.
struct Ran {
    what: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`supportctl {}` exited {:?}\n--- stdout\n{}--- stderr\n{}",
            self.what, self.code, self.stdout, self.stderr
        )
    }
}

/// Where one person's CLI keeps its files.
#[derive(Clone, Copy)]
enum Storage {
    /// `SUPPORTCTL_TOKEN` in the environment: nothing stored.
    Env,
    /// The kernel keyring, each command in a fresh session keyring (separate logins).
    Keyring,
    /// `login --insecure-storage`: credentials.toml, mode 0600.
    File,
}

struct Person {
    config: PathBuf,
    token: Option<String>,
    storage: Storage,
    profile: String,
}

struct Workflow {
    root: tempfile::TempDir,
    home: PathBuf,
    url: String,
    runs: Vec<Ran>,
}

impl Workflow {
    /// `supportctl -vv ARGS` as `who`, with HOME and the XDG dirs inside the test's tree.
    fn run(&mut self, who: &Person, args: &[&str], stdin: Option<&str>) -> &Ran {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_supportctl"));
        for (key, _) in std::env::vars() {
            if key.starts_with("SUPPORTCTL_") || key.starts_with("XDG_") {
                command.env_remove(key);
            }
        }
        command
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("XDG_STATE_HOME", self.home.join(".local/state"))
            .env("RUST_BACKTRACE", "1")
            .env("NO_COLOR", "1")
            .env("SUPPORTCTL_CONFIG_DIR", &who.config)
            .env("SUPPORTCTL_SERVER", &self.url)
            .args(["-vv", "--profile", &who.profile])
            .args(args);
        if let Some(token) = &who.token {
            command.env("SUPPORTCTL_TOKEN", token);
        }
        if let Storage::Keyring = who.storage {
            keyutils::in_fresh_session_keyring(&mut command);
        }
        let mut command = assert_cmd::Command::from_std(command);
        command.timeout(Duration::from_secs(60));
        if let Some(input) = stdin {
            command.write_stdin(input);
        }
        let output = command.output().unwrap();
        self.runs.push(Ran {
            what: args.join(" "),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
        self.runs.last().unwrap()
    }

    /// Like `run`, and it must succeed.
    fn ok(&mut self, who: &Person, args: &[&str], stdin: Option<&str>) -> &Ran {
        let ran = self.run(who, args, stdin);
        assert_eq!(ran.code, Some(0), "{ran}");
        ran
    }

    fn person(&self, name: &str, token: Option<&str>, storage: Storage) -> Person {
        let config = self.root.path().join(format!("config-{name}"));
        std::fs::create_dir_all(&config).unwrap();
        Person {
            config,
            token: token.map(str::to_owned),
            storage,
            profile: format!(
                "secrets-{name}-{}",
                ulid::Ulid::generate().to_string().to_lowercase()
            ),
        }
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// No file under `dir` (but `except`) holds any of `tokens`.
fn assert_no_token_in_files(dir: &Path, tokens: &[&str], except: Option<&Path>) {
    for path in files_under(dir) {
        if except == Some(path.as_path()) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for token in tokens {
            assert!(
                !contains(&bytes, token),
                "{} holds the token {}…",
                path.display(),
                &token[..8]
            );
        }
    }
}

/// The database files hold no token, and the SHA-256 of each token that should be there.
fn assert_database_holds_only_hashes(db_dir: &Path, tokens: &[&str], hashed: &[&str]) {
    let files = files_under(db_dir);
    assert!(
        !files.is_empty(),
        "no database files in {}",
        db_dir.display()
    );
    let mut all = Vec::new();
    for path in &files {
        all.extend(std::fs::read(path).unwrap());
    }
    for token in tokens {
        assert!(
            !contains(&all, token),
            "the database files hold a token in clear: {}…",
            &token[..8]
        );
    }
    for token in hashed {
        assert!(
            contains(&all, &sha256_hex(token)),
            "the database files do not hold the SHA-256 of the token {}…",
            &token[..8]
        );
    }
}

#[test]
fn no_token_leaks_into_files_logs_or_output_at_the_highest_verbosity() {
    no_token_leaks("text");
}

#[test]
fn no_token_leaks_into_json_logs_at_the_highest_verbosity() {
    no_token_leaks("json");
}

/// The whole workflow with the server logging in `log_format`.
fn no_token_leaks(log_format: &str) {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let db_dir = root.path().join("db");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&db_dir).unwrap();
    let log = root.path().join("server.log");
    let mut server = ServerProcess::start(Launch {
        db: &format!("sqlite://{}", db_dir.join("supportctl.db").display()),
        log: &log,
        log_filter: "trace",
        dev: true,
        extra_args: &["--log-format", log_format],
    });
    let dev = server.tokens.clone().unwrap();
    let mut flow = Workflow {
        url: server.url.clone(),
        home,
        root,
        runs: Vec::new(),
    };

    // The admin logs in to the OS keyring where there is one; where there is not (a container
    // that forbids keyctl), say so loudly and use the 0600 file store instead.
    let admin_storage = match keyutils::unusable() {
        None => Storage::Keyring,
        Some(why_not) => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "NOTE secrets::no_token_leaks…: the kernel keyring cannot be used here \
                 ({why_not}); the admin logs in with --insecure-storage instead"
            );
            Storage::File
        }
    };
    let operator = flow.person("operator", Some(&dev.operator), Storage::Env);
    let admin = flow.person("admin", None, admin_storage);
    let engineer = flow.person("engineer", None, Storage::File);
    let logout_guard = Logout {
        people: vec![(admin.config.clone(), admin.profile.clone())],
        url: flow.url.clone(),
        keyring: matches!(admin_storage, Storage::Keyring),
    };

    // The operator creates a support engineer; `-q` prints the new token, and only it.
    let email = format!(
        "eng-{}@vendor.test",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    let created = flow.ok(
        &operator,
        &["account", "create", &email, "--role", "support", "-q"],
        None,
    );
    let engineer_token = created.stdout.trim_end().to_owned();
    assert!(engineer_token.starts_with("sat_"), "{created}");
    assert_eq!(created.stdout, format!("{engineer_token}\n"));
    let account_create_run = flow.runs.len() - 1;
    flow.ok(&operator, &["account", "list"], None);

    // Both log in; the engineer to the file store, the admin to the keyring if there is one.
    let mut login = vec!["login", "--with-token"];
    if matches!(admin_storage, Storage::File) {
        login.push("--insecure-storage");
    }
    flow.ok(&admin, &login, Some(&format!("{}\n", dev.admin)));
    flow.ok(
        &engineer,
        &["login", "--with-token", "--insecure-storage"],
        Some(&format!("{engineer_token}\n")),
    );
    let status: serde_json::Value =
        serde_json::from_str(&flow.ok(&admin, &["status", "-o", "json"], None).stdout).unwrap();
    let expected_source = match admin_storage {
        Storage::Keyring => "OS keyring",
        _ => "credentials.toml",
    };
    assert!(
        status["token_source"]
            .as_str()
            .is_some_and(|s| s.contains(expected_source)),
        "{status}"
    );
    flow.ok(&engineer, &["status"], None);

    // Grant, use, check, revoke, audit.
    let grant = flow
        .ok(
            &admin,
            &[
                "grant",
                "create",
                "--level",
                "member",
                "--engineer",
                &email,
                "--for",
                "2h",
                "--reason",
                "secret hygiene",
                "-q",
            ],
            None,
        )
        .stdout
        .trim()
        .to_owned();
    assert!(grant.starts_with("gr_"), "{grant}");
    flow.ok(&admin, &["grant", "list"], None);
    flow.ok(&admin, &["grant", "show", &grant, "-o", "json"], None);
    flow.ok(&engineer, &["grant", "list"], None);

    let opened = flow.ok(
        &engineer,
        &["session", "open", "acme", "--reason", "look", "-q"],
        None,
    );
    let session_token = opened.stdout.trim_end().to_owned();
    assert!(session_token.starts_with("sst_"), "{opened}");
    assert_eq!(opened.stdout, format!("{session_token}\n"));
    let session_open_run = flow.runs.len() - 1;

    // `session exec`: the command gets the token in its environment and writes it where this
    // test can learn it (outside every tree searched below); its own `-vv` check must not
    // print it.
    let learned = tempfile::tempdir().unwrap();
    let exec_token_file = learned.path().join("token");
    let script = format!(
        "printf %s \"$SUPPORTCTL_SESSION_TOKEN\" > '{}' && '{}' -vv session check",
        exec_token_file.display(),
        env!("CARGO_BIN_EXE_supportctl")
    );
    flow.ok(
        &engineer,
        &[
            "session",
            "exec",
            "acme",
            "--level",
            "read-only",
            "--areas",
            "chats",
            "--reason",
            "exec",
            "--",
            "sh",
            "-c",
            &script,
        ],
        None,
    );
    let exec_token = std::fs::read_to_string(&exec_token_file).unwrap();
    assert!(exec_token.starts_with("sst_"), "{exec_token:?}");
    assert_ne!(exec_token, session_token);

    flow.ok(
        &engineer,
        &["session", "check", "--token", &session_token],
        None,
    );
    flow.ok(&engineer, &["session", "list"], None);

    // The platform: introspect (JSON and form) and authorize, and a few malformed requests
    // that carry a token where it does not belong.
    let service = server.api(&dev.service);
    let introspected = service.post("/v1/introspect", json!({ "token": session_token }));
    assert_eq!(
        introspected.body["active"],
        json!(true),
        "{}",
        introspected.body
    );
    let form = service.post_raw(
        "/v1/introspect",
        "application/x-www-form-urlencoded",
        format!("token={session_token}"),
    );
    assert_eq!(form.body["active"], json!(true), "{}", form.body);
    let closed = service.post("/v1/introspect", json!({ "token": exec_token }));
    assert_eq!(closed.body, json!({"active": false}));
    let allowed = service.post(
        "/v1/authorize",
        json!({"token": session_token, "area": "chats", "action": "write"}),
    );
    assert_eq!(allowed.body["allow"], json!(true), "{}", allowed.body);
    let denied = service.post(
        "/v1/authorize",
        json!({"token": session_token, "area": "chats", "action": "administer"}),
    );
    assert_eq!(denied.body["allow"], json!(false), "{}", denied.body);
    for hostile in [
        json!({"token": session_token, "area": session_token, "action": "read"}),
        json!({"token": session_token, "area": "chats", "action": "read", session_token.clone(): 1}),
        json!({"token": [session_token]}),
    ] {
        let reply = service.post("/v1/authorize", hostile);
        assert_eq!(reply.status, 400, "{}", reply.body);
    }
    // A token sent as the request id is not logged as one: the server makes its own.
    let as_request_id = http_client()
        .get(format!("{}/healthz", server.url))
        .header("x-request-id", session_token.as_str())
        .send()
        .unwrap();
    let returned = as_request_id.headers()["x-request-id"].to_str().unwrap();
    assert!(
        !returned.contains("sst_"),
        "the session token came back as the request id"
    );
    // Bearer tokens in the wrong place or of the wrong kind.
    let as_session = server.api(&session_token).get("/v1/me");
    assert_eq!(as_session.status, 401);
    let session_view = server.api(&session_token).get("/v1/session");
    assert_eq!(session_view.status, 200, "{}", session_view.body);

    flow.ok(&admin, &["session", "list", "--org", "acme"], None);
    flow.ok(
        &admin,
        &["grant", "revoke", &grant, "--yes", "--reason", "done"],
        None,
    );
    let revoked_check = flow.run(
        &engineer,
        &["session", "check", "--token", &session_token],
        None,
    );
    assert_eq!(revoked_check.code, Some(4), "{revoked_check}");
    flow.ok(
        &admin,
        &["audit", "list", "--org", "acme", "-o", "json"],
        None,
    );
    flow.ok(&admin, &["audit", "verify", "--org", "acme"], None);
    let audit = server.api(&dev.admin).all("/v1/orgs/acme/audit");
    assert!(audit.iter().any(|e| e["action"] == "session.opened"));

    let session_tokens = [session_token.as_str(), exec_token.as_str()];
    let mut every_token: Vec<&str> = dev.all().to_vec();
    every_token.push(&engineer_token);
    every_token.extend(session_tokens);

    // -vv really traced every request, and redacted the header.
    let traced = flow
        .runs
        .iter()
        .filter(|r| r.stderr.contains("authorization: Bearer [redacted]"))
        .count();
    assert!(traced >= 10, "-vv did not trace the requests");
    // CLI output: no token, but where it is the purpose of the command.
    for (index, ran) in flow.runs.iter().enumerate() {
        for token in &every_token {
            let intended = (index == account_create_run && *token == engineer_token)
                || (index == session_open_run && *token == session_token);
            if intended {
                assert!(!ran.stderr.contains(token), "{ran}");
                continue;
            }
            assert!(
                !ran.stdout.contains(token) && !ran.stderr.contains(token),
                "a token ({}…) is in the output of {ran}",
                &token[..8]
            );
        }
    }
    // The audit log (as the API returns it) names sessions, never their tokens.
    let audit_text = serde_json::to_string(&audit).unwrap();
    for token in &every_token {
        assert!(!audit_text.contains(token));
    }

    // The database, while serving (the WAL holds the recent writes) and after a graceful stop
    // (checkpointed into the main file).
    // Every account's token and every session's token is there as its hash.
    let hashed = every_token.clone();
    assert_database_holds_only_hashes(&db_dir, &every_token, &hashed);

    // The config dirs and home: no token anywhere, but in the engineer's credentials.toml.
    let credentials = engineer.config.join("credentials.toml");
    let stored = std::fs::read_to_string(&credentials).unwrap();
    assert!(stored.contains(&engineer_token));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&credentials)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "credentials.toml has mode {mode:o}");
    }
    for token in &every_token {
        if *token != engineer_token {
            assert!(
                !stored.contains(token),
                "credentials.toml holds another token"
            );
        }
    }
    assert_no_token_in_files(&engineer.config, &every_token, Some(&credentials));
    match admin_storage {
        Storage::Keyring => {
            assert!(!admin.config.join("credentials.toml").exists());
            assert_no_token_in_files(&admin.config, &every_token, None);
        }
        _ => {
            let file = admin.config.join("credentials.toml");
            assert_no_token_in_files(&admin.config, &every_token, Some(&file));
        }
    }
    assert_no_token_in_files(&operator.config, &every_token, None);
    assert_no_token_in_files(&flow.home, &every_token, None);

    flow.ok(&engineer, &["logout"], None);
    assert_no_token_in_files(&engineer.config, &every_token, None);
    drop(logout_guard);
    assert_no_token_in_files(&admin.config, &every_token, None);

    // A graceful stop folds the WAL into the main file; checkpoint once more to be sure, then
    // look at the main file alone: every hash, and no token.
    server.terminate();
    assert_database_holds_only_hashes(&db_dir, &every_token, &hashed);
    let db_file = db_dir.join("supportctl.db");
    crate::common::harness::run_sql(
        &format!("sqlite://{}", db_file.display()),
        "PRAGMA wal_checkpoint(TRUNCATE)",
    );
    let wal = db_dir.join("supportctl.db-wal");
    assert!(std::fs::metadata(&wal).map_or(true, |m| m.len() == 0));
    let main_file = tempfile::tempdir().unwrap();
    std::fs::copy(&db_file, main_file.path().join("supportctl.db")).unwrap();
    assert_database_holds_only_hashes(main_file.path(), &every_token, &hashed);

    // The server log at trace level: busy, and without a token.
    let log_text = std::fs::read_to_string(&log).unwrap();
    // (Nothing in the server emits at TRACE today; the filter lets everything through, as the
    // SQL statements logged at DEBUG by sqlx show.)
    let field = |name: &str, value: &str| match log_format {
        "json" => format!("\"{name}\":\"{value}\""),
        _ => format!("{name}={value}"),
    };
    for expected in [
        "sqlx::query".to_owned(),
        "db.statement".to_owned(),
        field("path", "/v1/introspect"),
        field("path", "/v1/authorize"),
        "started processing request".to_owned(),
        // One line per request, with its route template.
        field("route", "/v1/introspect"),
        field("route", "/v1/orgs/{org}/grants/revoke"),
        field("route", "/v1/session"),
    ] {
        assert!(log_text.contains(&expected), "the log has no {expected:?}");
    }
    let request_lines: Vec<&str> = log_text
        .lines()
        .filter(|line| line.contains("supportctl::request"))
        .collect();
    assert!(
        request_lines.len() >= 20,
        "{} request lines",
        request_lines.len()
    );
    if log_format == "json" {
        for line in &request_lines {
            let parsed: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(parsed["request_id"].is_string(), "{line}");
        }
    }
    for token in &every_token {
        assert!(
            !log_text.contains(token),
            "the server log holds a token ({}…)",
            &token[..8]
        );
    }
}

/// Logs the keyring profiles out however the test ends: their keys would outlive it.
struct Logout {
    people: Vec<(PathBuf, String)>,
    url: String,
    keyring: bool,
}

impl Drop for Logout {
    fn drop(&mut self) {
        for (config, profile) in self.people.drain(..) {
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_supportctl"));
            command
                .env_remove("SUPPORTCTL_TOKEN")
                .env("SUPPORTCTL_CONFIG_DIR", &config)
                .env("SUPPORTCTL_SERVER", &self.url)
                .args(["--profile", &profile, "logout"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            if self.keyring {
                keyutils::in_fresh_session_keyring(&mut command);
            }
            let _ = command.status();
        }
    }
}
