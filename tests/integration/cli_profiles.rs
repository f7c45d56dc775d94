//! Profiles: tokens stored by server and account (two config dirs never act as each other's
//! account), `status` when profile and token disagree, `profile list | use | current`.

use std::path::Path;

use crate::common::cli::{Cli, Run, std_command};
use crate::common::harness::TestServer;
use crate::common::keyutils;

/// Two config dirs, each with a `default` profile on the same server: one logs in as the
/// admin, the other as support. Keyed by profile and server, the second login replaced the
/// first's token and the admin's dir acted as support. Keyed by server and account, each dir
/// stays who it logged in as.
#[test]
fn two_config_dirs_on_one_server_never_act_as_each_others_account() {
    if let Some(why_not) = keyutils::unusable() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED cli_profiles::two_config_dirs_on_one_server_never_act_as_each_others_account: \
             the kernel keyring cannot be used here: {why_not}"
        );
        return;
    }
    let server = TestServer::start();
    let admin_dir = tempfile::tempdir().unwrap();
    let support_dir = tempfile::tempdir().unwrap();
    let run_in = |dir: &Path, args: &[&str]| -> Run {
        let mut command = std_command(&server.url, "", dir);
        command.env("SUPPORTCTL_KEYRING", "keyutils");
        keyutils::in_fresh_session_keyring(&mut command);
        command.args(args);
        Run::new(assert_cmd::Command::from_std(command))
    };
    struct Logout<'a>(Vec<Box<dyn Fn() + 'a>>);
    impl Drop for Logout<'_> {
        fn drop(&mut self) {
            for logout in &self.0 {
                logout();
            }
        }
    }
    let _cleanup = Logout(vec![
        Box::new(|| drop(run_in(admin_dir.path(), &["logout"]).run())),
        Box::new(|| drop(run_in(support_dir.path(), &["logout"]).run())),
    ]);

    run_in(admin_dir.path(), &["login", "--with-token"])
        .stdin(format!("{}\n", server.tokens.admin))
        .ok();
    run_in(support_dir.path(), &["login", "--with-token"])
        .stdin(format!("{}\n", server.tokens.support))
        .ok();

    let admin = run_in(admin_dir.path(), &["status", "-o", "json"]).ok();
    assert_eq!(
        admin.json()["account"]["email"],
        "admin@acme.test",
        "{admin}"
    );
    assert!(!admin.stderr.contains("warning"), "{admin}");
    let support = run_in(support_dir.path(), &["status", "-o", "json"]).ok();
    assert_eq!(
        support.json()["account"]["email"],
        "support@supportctl.test"
    );
    // The admin's dir still acts as the admin.
    run_in(admin_dir.path(), &["grant", "list", "-q"]).ok();

    // Logging out of one leaves the other logged in.
    run_in(support_dir.path(), &["logout"]).ok();
    run_in(admin_dir.path(), &["status"]).ok();
    run_in(support_dir.path(), &["status"]).fails(4);
}

/// A config dir whose profile is the admin, run with SUPPORTCTL_TOKEN of support: `status`
/// says the two disagree.
#[test]
fn status_warns_when_the_profile_and_the_token_are_different_accounts() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    server
        .as_nobody()
        .config_dir(dir.path())
        .args(["login", "--with-token", "--insecure-storage"])
        .stdin(format!("{}\n", server.tokens.admin))
        .ok();
    server.as_nobody().config_dir(dir.path()).arg("status").ok();
    let out = server
        .as_nobody()
        .config_dir(dir.path())
        .env("SUPPORTCTL_TOKEN", &server.tokens.support)
        .arg("status")
        .ok();
    out.stderr_has("warning: profile 'default' is admin@acme.test (admin)")
        .stderr_has("SUPPORTCTL_TOKEN is support@supportctl.test");
}

#[test]
fn profile_list_use_and_current() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let run = || server.as_nobody().config_dir(dir.path());
    run()
        .args(["profile", "list"])
        .ok()
        .stderr_has("No profiles");
    run()
        .args(["profile", "current"])
        .ok()
        .stdout_has("default");
    for (name, token) in [
        ("admin", &server.tokens.admin),
        ("support", &server.tokens.support),
    ] {
        run()
            .args([
                "login",
                "--profile",
                name,
                "--with-token",
                "--insecure-storage",
            ])
            .stdin(format!("{token}\n"))
            .ok();
    }
    // The first login became the default.
    let rows = run().args(["profile", "list"]).ok();
    let lines: Vec<Vec<&str>> = rows.rows();
    assert_eq!(lines.len(), 2, "{rows}");
    assert_eq!(lines[0][..2], ["*", "admin"], "{rows}");
    assert_eq!(lines[1][1], "support", "{rows}");
    run().args(["profile", "current"]).ok().stdout_has("admin");
    let me = run().args(["status", "-o", "json"]).ok().json();
    assert_eq!(me["account"]["email"], "admin@acme.test");

    run()
        .args(["profile", "use", "support", "--org", "acme"])
        .ok()
        .stderr_has("Using profile 'support', default org acme");
    assert_eq!(
        run().args(["profile", "current"]).ok().stdout.trim(),
        "support"
    );
    let me = run().args(["status", "-o", "json"]).ok().json();
    assert_eq!(me["account"]["email"], "support@supportctl.test");
    let json = run().args(["profile", "list", "-o", "json"]).ok().json();
    assert_eq!(json[1]["name"], "support");
    assert_eq!(json[1]["current"], true);
    assert_eq!(json[1]["org"], "acme");

    // A flag still wins, and an unknown name says which exist.
    assert_eq!(
        run()
            .args(["--profile", "admin", "profile", "current"])
            .ok()
            .stdout
            .trim(),
        "admin"
    );
    run()
        .args(["profile", "use", "nope"])
        .fails(3)
        .stderr_has("admin, support");
}

/// `--profile` naming no profile says so and which there are (it said "no server
/// configured"); a profile without its token says how to log it in, `--profile` included;
/// `profile list` on a terminal marks the one in use with `*` (its column has no header, and
/// the table cut it to nothing).
#[test]
fn an_unknown_profile_is_named_and_the_one_in_use_is_marked_on_a_terminal() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let run = || server.as_nobody().config_dir(dir.path());
    for (name, token) in [
        ("admin", &server.tokens.admin),
        ("support", &server.tokens.support),
    ] {
        run()
            .args([
                "login",
                "--profile",
                name,
                "--with-token",
                "--insecure-storage",
            ])
            .stdin(format!("{token}\n"))
            .ok();
    }
    for attempt in [run().env_remove("SUPPORTCTL_SERVER"), run()] {
        attempt
            .args(["--profile", "nosuch", "grant", "list"])
            .fails(4)
            .assert_error_shape()
            .stderr_has("there is no profile 'nosuch'")
            .stderr_has("the profiles are: admin, support");
    }
    run()
        .env("SUPPORTCTL_PROFILE", "nosuch")
        .args(["status"])
        .fails(4)
        .stderr_has("there is no profile 'nosuch'");

    let mut command = std_command(&server.url, "", dir.path());
    command
        .args(["profile", "list"])
        .env("COLUMNS", "100")
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1");
    let terminal = rexpect::session::spawn_with_options(
        command,
        rexpect::session::Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    let (code, shown) = crate::cli_interactive::finish(terminal);
    assert_eq!(code, 0, "{shown}");
    let marked: Vec<&str> = shown
        .lines()
        .filter(|line| line.trim_start().starts_with('*'))
        .collect();
    assert_eq!(marked.len(), 1, "{shown}");
    assert!(marked[0].contains("admin"), "{shown}");

    // The token gone from under a profile that is not the current one.
    std::fs::remove_file(dir.path().join("credentials.toml")).unwrap();
    run()
        .args(["--profile", "support", "grant", "list"])
        .fails(4)
        .stderr_has("not logged in (profile 'support')")
        .stderr_has("`supportctl login --profile support`");
    // A stored token the server no longer takes.
    std::fs::write(
        dir.path().join("credentials.toml"),
        "support = \"sat_000000000000000000000000000000000000000000000000\"\n",
    )
    .unwrap();
    run()
        .args(["--profile", "support", "grant", "list"])
        .fails(4)
        .stderr_has("log in again with `supportctl login --profile support`");
}

/// Two profiles of one config dir logged in as the same account on the same server share one
/// keyring entry: logging one out leaves the other logged in (it removed the token of both),
/// says that the token stays and why, and names the profile in its hint; the last one out
/// removes it.
#[test]
fn logout_keeps_a_token_another_profile_of_the_config_uses() {
    if let Some(why_not) = keyutils::unusable() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED cli_profiles::logout_keeps_a_token_another_profile_of_the_config_uses: \
             the kernel keyring cannot be used here: {why_not}"
        );
        return;
    }
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // Profiles of this test's own: keyring entries are shared by every process of the user.
    let unique = ulid::Ulid::generate().to_string().to_lowercase();
    let (first, second) = (format!("first-{unique}"), format!("second-{unique}"));
    let run = |profile: &str, args: &[&str]| -> Run {
        let mut command = std_command(&server.url, "", dir.path());
        command.env("SUPPORTCTL_KEYRING", "keyutils");
        keyutils::in_fresh_session_keyring(&mut command);
        command.args(["--profile", profile]).args(args);
        Run::new(assert_cmd::Command::from_std(command))
    };
    struct Logout<'a>(Box<dyn Fn() + 'a>);
    impl Drop for Logout<'_> {
        fn drop(&mut self) {
            (self.0)();
        }
    }
    let _cleanup = Logout(Box::new(|| {
        drop(run(&first, &["logout"]).run());
        drop(run(&second, &["logout"]).run());
    }));
    for profile in [&first, &second] {
        run(profile, &["login", "--with-token"])
            .stdin(format!("{}\n", server.tokens.admin))
            .ok();
    }

    run(&first, &["logout"])
        .ok()
        .stderr_has(&format!("Logged out of {} (profile '{first}')", server.url))
        .stderr_has("its token stays in the OS keyring")
        .stderr_has(&format!("profile '{second}' uses it too"))
        .stderr_has(&format!("supportctl login --profile {first} --server"));
    run(&second, &["grant", "list", "-q"]).ok();
    run(&first, &["status"])
        .fails(4)
        .stderr_has(&format!("there is no profile '{first}'"))
        .stderr_has(&format!("the profiles are: {second}"));

    run(&second, &["logout"])
        .ok()
        .stderr_has("removed its token from the OS keyring");
    run(&second, &["status"]).fails(4);
}
