//! What the CLI says about limits and times: a session over the maximum, a policy over the
//! server's own limits, and every time in a message said as the tables say it.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::json;

use crate::common::cli::Cli;
use crate::common::fixtures::ts;
use crate::common::harness::TestServer;

#[test]
fn a_session_over_the_maximum_names_it_and_files_no_request() {
    let server = TestServer::start();
    server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync"}));
    for request in [None, Some("--request")] {
        let out = server
            .as_support()
            .args(["session", "open", "acme", "--for", "9h", "--reason", "Look"])
            .args(request)
            .fails(6);
        out.assert_error_shape();
        assert_eq!(
            out.stderr.trim_end(),
            "error: sessions last at most 8h; use --for 8h",
            "{request:?}"
        );
    }
    // No access request was filed: it could not have lifted the maximum.
    let requests = server.admin().all("/v1/orgs/acme/requests?status=all");
    assert!(requests.is_empty(), "{requests:?}");
    // What it says to use works.
    server
        .as_support()
        .args([
            "session", "open", "acme", "--for", "8h", "--reason", "Look", "-q",
        ])
        .ok();
}

#[test]
fn a_policy_over_the_servers_limits_is_refused_naming_them_and_nothing_changes() {
    let server = TestServer::start();
    for (flag, value, said) in [
        (
            "--max-grant",
            "40d",
            "--max-grant 40d is over this server's 30d maximum",
        ),
        (
            "--default-grant",
            "31d",
            "--default-grant 31d is over this server's 30d maximum",
        ),
        (
            "--max-session-ttl",
            "9h",
            "--max-session-ttl 9h is over this server's 8h maximum",
        ),
    ] {
        for dry_run in [None, Some("--dry-run")] {
            let out = server
                .as_admin()
                .args(["org", "policy", "set", flag, value])
                .args(dry_run)
                .fails(6);
            assert_eq!(out.error_line(), format!("error: {said}"));
        }
    }
    let policy = server.admin().get("/v1/orgs/acme/policy").body;
    assert_eq!(policy["version"], 0, "{policy}");
    assert_eq!(policy["max_grant_duration_seconds"], 30 * 86_400);
    // Up to the server's limits is fine.
    server
        .as_admin()
        .args(["org", "policy", "set", "--max-grant", "30d"])
        .args(["--max-session-ttl", "8h"])
        .ok();
}

/// "17:00, in 3h 58m" for `at` in UTC, as the CLI says it with TZ=UTC.
fn said(at: Timestamp, relative: &str) -> String {
    let local = supportctl::cli::time::local_short(at, Timestamp::now(), &TimeZone::UTC);
    format!("{local}, {relative}")
}

#[test]
fn messages_say_times_in_local_time_like_the_tables_with_two_units() {
    let server = TestServer::start();
    let out = server
        .as_admin()
        .env("TZ", "UTC")
        .args(["grant", "create", "--level", "member", "--for", "3h58m"])
        .args(["--reason", "Sync", "-o", "table"])
        .ok();
    let grants = server.admin().all("/v1/orgs/acme/grants");
    let grant_ends = ts(&grants[0]["expires_at"]);
    out.stderr_has(&format!("until {} (", said(grant_ends, "in 3h 58m")));

    // The table says the same, not "in 3h".
    server
        .as_admin()
        .env("TZ", "UTC")
        .env("COLUMNS", "200")
        .args(["grant", "list", "-o", "table"])
        .ok()
        .stdout_has(&said(grant_ends, "in 3h 58m"));

    let out = server
        .as_support()
        .env("TZ", "UTC")
        .args([
            "session", "open", "acme", "--for", "45m", "--reason", "Look",
        ])
        .args(["-o", "table"])
        .ok();
    let token = out.stdout.trim().lines().last().unwrap().to_owned();
    let session = server.as_token(&token).get("/v1/session").body;
    let session_ends = ts(&session["expires_at"]);
    out.stderr_has(&format!("ends {}", said(session_ends, "in 45m")));
    assert!(
        !out.stderr
            .contains(&session["expires_at"].as_str().unwrap()[..16]),
        "an RFC 3339 time in a message:\n{out}"
    );
    server
        .as_nobody()
        .env("TZ", "UTC")
        .env("SUPPORTCTL_SESSION_TOKEN", &token)
        .args(["session", "check", "-o", "table"])
        .ok()
        .stderr_has(&format!("until {}", said(session_ends, "in 45m")));

    let id = grants[0]["id"].as_str().unwrap();
    server
        .as_admin()
        .env("TZ", "UTC")
        .args(["grant", "extend", id, "--for", "2d", "-o", "table"])
        .ok()
        .stderr_has(&format!(
            "now ends {}",
            said(
                grant_ends
                    .checked_add(jiff::SignedDuration::from_hours(48))
                    .unwrap(),
                "in 2d 3h"
            )
        ));
}

#[test]
fn an_extension_too_far_says_so_in_local_times_and_of_the_flag_given() {
    let server = TestServer::start();
    let id = server
        .admin()
        .grant(json!({"level": "member", "reason": "Sync", "duration_seconds": 3600}));
    let out = server
        .as_admin()
        .env("TZ", "UTC")
        .args(["grant", "extend", &id, "--for", "30d"])
        .fails(6);
    let error = out.error_line();
    assert!(
        error.starts_with("error: extending by 30d would end the grant ")
            && error.contains(", past the latest allowed end, ")
            && !error.contains(":00Z"),
        "{out}"
    );
    let far = Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(45 * 24))
        .unwrap();
    let out = server
        .as_admin()
        .args(["grant", "extend", &id, "--until", &far.to_string()])
        .fails(6);
    assert!(
        out.error_line()
            .contains("moves the grant's end by 44d 23h, over the 30d maximum"),
        "{out}"
    );
    let grant = server
        .admin()
        .get(&format!("/v1/orgs/acme/grants/{id}"))
        .body;
    assert_eq!(crate::common::fixtures::lifetime_seconds(&grant), 3600);
}
