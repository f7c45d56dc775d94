//! Help layout, man page sections, and dynamic completion through clap_complete's
//! environment protocol (`COMPLETE=fish supportctl -- supportctl WORDS...`, what the sourced
//! shell script runs), with IDs fetched from a real server.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::cli::{Cli, Run, dead_server_url};
use crate::common::fixtures::{grant_in, open_in};
use crate::common::harness::TestServer;

/// The candidates offered for the last of `words` (the fish protocol: one per line, a tab
/// before the description).
fn candidates(run: Run, words: &[&str]) -> Vec<String> {
    let out = run
        .env("COMPLETE", "fish")
        .arg("--")
        .arg("supportctl")
        .args(words)
        .ok();
    assert!(
        out.stderr.is_empty(),
        "completion printed on stderr:\n{out}"
    );
    out.stdout
        .lines()
        .map(|line| line.split('\t').next().unwrap().to_owned())
        .collect()
}

#[test]
fn ids_orgs_and_profiles_are_completed_from_the_server_and_config() {
    let server = TestServer::start();
    let grant = grant_in(
        &server.admin(),
        "acme",
        json!({"level": "member", "reason": "Ticket 1"}),
    );
    let revoked = grant_in(
        &server.admin(),
        "acme",
        json!({"level": "member", "reason": "Ticket 2"}),
    );
    server
        .as_admin()
        .args(["grant", "revoke", &revoked, "--yes"])
        .ok();
    let (session, _) = open_in(&server.support(), "acme", json!({"reason": "Look"}));
    let request = server.support().post(
        "/v1/orgs/acme/requests",
        json!({"level": "read-only", "reason": "Ticket 3"}),
    );
    assert_eq!(request.status, 201, "{}", request.body);
    let request = request.body["id"].as_str().unwrap().to_owned();

    // Active grants only, for an admin and for a support engineer.
    assert_eq!(
        candidates(server.as_admin(), &["grant", "revoke", "gr_"]),
        [grant.as_str()]
    );
    assert_eq!(
        candidates(server.as_support(), &["session", "open", "--grant", "gr_"]),
        [grant.as_str()]
    );
    assert_eq!(
        candidates(
            server.as_admin(),
            &["grant", "show", "--org", "acme", "gr_"]
        ),
        [grant]
    );
    assert_eq!(
        candidates(server.as_support(), &["session", "close", "ses"]),
        [session.as_str()]
    );
    assert_eq!(
        candidates(server.as_admin(), &["session", "show", "s"]),
        [session]
    );
    assert_eq!(
        candidates(server.as_admin(), &["request", "approve", "r"]),
        [request.as_str()]
    );
    assert_eq!(
        candidates(server.as_support(), &["request", "cancel", "r"]),
        [request]
    );
    assert_eq!(
        candidates(
            server.as_operator(),
            &["account", "create", "x@y.test", "--org", ""]
        ),
        ["acme"]
    );
    assert_eq!(
        candidates(server.as_support(), &["request", "create", "a"]),
        ["acme"]
    );

    // Profiles from the config file, with --profile on the line choosing whose IDs.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[profiles.work]\nserver = \"{url}\"\n\n[profiles.staging]\nserver = \"{url}\"\n",
            url = server.url
        ),
    )
    .unwrap();
    assert_eq!(
        candidates(
            server.as_nobody().config_dir(dir.path()),
            &["--profile", ""]
        ),
        ["staging", "work"]
    );
    assert_eq!(
        candidates(
            server.as_nobody().config_dir(dir.path()),
            &["profile", "use", "w"]
        ),
        ["work"]
    );
}

#[test]
fn areas_and_audit_actions_are_completed_and_unknown_actions_refused() {
    let server = TestServer::start();
    // The next area after a comma.
    let areas = candidates(
        server.as_admin(),
        &["grant", "create", "--areas", "chats,so"],
    );
    assert_eq!(areas, ["chats,source-code"]);
    let areas = candidates(server.as_admin(), &["grant", "create", "--areas", "chats,"]);
    assert!(
        areas.contains(&"chats,employee-data".to_owned()),
        "{areas:?}"
    );
    // Audit actions, never file names.
    let actions = candidates(server.as_admin(), &["audit", "list", "--action", "grant."]);
    assert_eq!(
        actions,
        [
            "grant.acknowledged",
            "grant.break_glass",
            "grant.created",
            "grant.disputed",
            "grant.expired",
            "grant.extended",
            "grant.revoked"
        ]
    );
    assert!(candidates(server.as_admin(), &["audit", "list", "--action", "Cargo"]).is_empty());
    server
        .as_admin()
        .args(["audit", "list", "--action", "grant.made"])
        .fails(2)
        .assert_error_shape()
        .stderr_has("'grant.made'")
        .stderr_has("grant.revoked")
        .stderr_has("access.denied");
    server
        .as_admin()
        .args(["audit", "list", "--action", "grant.created"])
        .ok();
}

#[test]
fn completion_against_a_dead_server_offers_nothing_quietly_and_quickly() {
    let server = TestServer::start();
    let started = Instant::now();
    let ids = candidates(
        server
            .as_admin()
            .env("SUPPORTCTL_SERVER", dead_server_url()),
        &["grant", "revoke", "gr_"],
    );
    assert!(ids.is_empty(), "{ids:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // No token at all: the same.
    assert!(
        candidates(server.as_nobody(), &["session", "close", ""])
            .iter()
            .all(|c| c.starts_with('-'))
    );
}

#[test]
fn the_dynamic_registration_script_is_printed_and_the_hidden_command_is_not_offered() {
    let server = TestServer::start();
    let out = server.as_nobody().env("COMPLETE", "bash").ok();
    out.stdout_has("complete ").stdout_has("supportctl");
    let commands = candidates(server.as_nobody(), &[""]);
    assert!(commands.contains(&"grant".to_owned()), "{commands:?}");
    assert!(
        !commands.iter().any(|c| c == "generate-assets"),
        "{commands:?}"
    );
}

#[test]
fn global_options_have_their_own_heading_and_the_asset_command_is_hidden() {
    let server = TestServer::start();
    for args in [
        &["grant", "list", "--help"][..],
        &["grant", "list", "-h"],
        &["--help"],
    ] {
        let out = server.as_nobody().args(args).ok();
        let (options, global) = out
            .stdout
            .split_once("Global options:")
            .unwrap_or_else(|| panic!("no Global options heading:\n{out}"));
        for flag in [
            "--profile",
            "--server",
            "--json",
            "--quiet",
            "--yes",
            "--no-input",
            "--color",
            "--verbose",
            "--ca-cert",
        ] {
            assert!(
                global.contains(flag),
                "{flag} is not under Global options:\n{out}"
            );
            assert!(
                !options.contains(flag),
                "{flag} is not only under Global options:\n{out}"
            );
        }
    }
    let listing = server.as_nobody().run();
    assert_eq!(listing.code, Some(0));
    let text = format!("{}{}", listing.stdout, listing.stderr);
    assert!(text.contains("grant "), "{listing}");
    assert!(!text.contains("generate-assets"), "{listing}");
    let missing = server.as_nobody().arg("--json").fails(2);
    assert!(!missing.stderr.contains("generate-assets"), "{missing}");
    let help = server.as_nobody().arg("help").ok();
    assert!(!help.stdout.contains("generate-assets"), "{help}");
    // Still there for maintainers.
    let dir = tempfile::tempdir().unwrap();
    server
        .as_nobody()
        .args(["generate-assets", "--out"])
        .arg(dir.path().to_str().unwrap())
        .ok();
    assert!(dir.path().join("man/supportctl.1").exists());
}

#[test]
fn every_man_page_has_environment_files_and_exit_status() {
    for (path, content) in supportctl::cli::completion::assets(&supportctl::cli::command()) {
        if !path.starts_with("man") {
            continue;
        }
        let page = String::from_utf8(content).unwrap();
        for needle in [
            ".SH \"ENVIRONMENT\"",
            ".SH \"FILES\"",
            ".SH \"EXIT STATUS\"",
            "SUPPORTCTL_CONFIG_DIR",
            "SUPPORTCTL_TOKEN",
            "NO_COLOR",
            "CLICOLOR_FORCE",
            "config.toml",
            "credentials.toml",
            "130",
        ] {
            assert!(page.contains(needle), "{} lacks {needle}", path.display());
        }
    }
}
