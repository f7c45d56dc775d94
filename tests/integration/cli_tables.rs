//! Tables on a pseudo-terminal at 80 and 120 columns: IDs, statuses, levels and times are
//! never broken; long text is cut with `…` on a terminal only; revoked rows say by whom.

use rexpect::process::WaitStatus;
use rexpect::session::{Options, spawn_with_options};
use serde_json::json;

use crate::common::cli::Cli;
use crate::common::harness::{TestServer, std_command};

const LONG_REASON: &str = "Ticket 4821: customer reports that chat sync fails after the \
                           upgrade to 4.2 on all their Android devices";

/// What `supportctl ARGS` prints on a terminal `columns` wide, as `token`.
pub fn on_terminal(server: &TestServer, token: &str, columns: u16, args: &[&str]) -> String {
    let mut command = std_command(&server.url, token, &server.dir.path().join("config"));
    command
        .args(args)
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env("COLUMNS", columns.to_string());
    let mut session = spawn_with_options(
        command,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    let out = session.exp_eof().unwrap();
    assert!(matches!(
        session.process().wait().unwrap(),
        WaitStatus::Exited(_, 0)
    ));
    // rexpect hands over each byte as a char: put the UTF-8 (the `…`) back together.
    let bytes: Vec<u8> = out.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8(bytes).unwrap().replace('\r', "")
}

fn setup() -> (TestServer, String, String) {
    let server = TestServer::start();
    let admin = server.admin();
    let long = admin.grant(json!({"level": "member", "reason": LONG_REASON, "ticket": "SUP-4821"}));
    let revoked = admin.grant(json!({"level": "admin", "reason": "Migration"}));
    admin
        .post(
            &format!("/v1/orgs/acme/grants/{revoked}/revoke"),
            json!({"reason": "done early"}),
        )
        .assert_ok();
    (server, long, revoked)
}

#[test]
fn grant_lists_fit_80_and_120_columns_without_breaking_ids_or_times() {
    let (server, long, revoked) = setup();
    for columns in [80, 120] {
        let out = on_terminal(
            &server,
            &server.tokens.admin,
            columns,
            &["grant", "list", "--status", "all"],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "one line per row, no wrapping:\n{out}");
        for line in &lines {
            assert!(
                line.chars().count() <= usize::from(columns),
                "wider than {columns}:\n{out}"
            );
        }
        // An admin's own org's list has no ORG column; IDs and levels are whole.
        assert!(!lines[0].contains("ORG"), "{out}");
        let row = |id: &str| lines.iter().find(|l| l.starts_with(id)).copied();
        let long_row = row(&long).unwrap_or_else(|| panic!("{long} broken:\n{out}"));
        assert!(
            long_row.contains("member") && long_row.contains("active"),
            "{out}"
        );
        assert!(long_row.contains("all"), "all six areas say `all`:\n{out}");
        assert!(
            long_row.contains(", in 7h") || long_row.contains(", in 8h"),
            "{out}"
        );
        assert!(long_row.ends_with('…'), "long text is cut with …:\n{out}");
        let revoked_row = row(&revoked).unwrap();
        assert!(revoked_row.contains("revoked just now"), "{out}");
        if columns == 120 {
            assert!(
                revoked_row.contains("by admin@acme"),
                "says by whom:\n{out}"
            );
        }
    }
    // -o wide adds the rarer columns; piped output is never cut.
    let wide = on_terminal(
        &server,
        &server.tokens.admin,
        160,
        &["grant", "list", "-o", "wide"],
    );
    for header in ["CREATED BY", "ENGINEERS", "TICKET"] {
        assert!(wide.contains(header), "{wide}");
    }
    let tsv = server.as_admin().args(["grant", "list"]).ok();
    assert!(tsv.stdout.contains(LONG_REASON), "{tsv}");
    assert!(!tsv.stdout.contains('…'), "{tsv}");
}

#[test]
fn grant_show_of_a_revoked_grant_says_who_when_and_why() {
    let (server, _, revoked) = setup();
    let out = on_terminal(
        &server,
        &server.tokens.admin,
        100,
        &["grant", "show", &revoked],
    );
    for needle in [
        "REVOKED BY",
        "admin@acme.test",
        "REVOKE REASON",
        "done early",
    ] {
        assert!(out.contains(needle), "{needle}:\n{out}");
    }
}

#[test]
fn a_support_engineers_list_keeps_the_org_and_fits_80_columns() {
    let (server, long, _) = setup();
    let out = on_terminal(&server, &server.tokens.support, 80, &["grant", "list"]);
    assert!(out.lines().next().unwrap().contains("ORG"), "{out}");
    assert!(out.lines().any(|l| l.starts_with(&long)), "{out}");
    assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
}
