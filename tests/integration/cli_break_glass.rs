//! Break-glass through the real binary: the engineer files with `--break-glass`, an operator
//! runs `request confirm`, the admin's `grant list` shows the grant first and marked, then
//! `grant acknowledge` and `grant dispute`; `org policy set --break-glass` turns it on.

use crate::cli_tables::on_terminal;
use crate::common::cli::Cli;
use crate::common::harness::TestServer;

#[test]
fn filed_confirmed_listed_first_then_acknowledged_or_disputed() {
    let server = TestServer::start();
    server
        .as_admin()
        .args([
            "org",
            "policy",
            "set",
            "--break-glass",
            "--break-glass-level",
        ])
        .args(["member", "--break-glass-max", "2h"])
        .ok();
    let policy = server
        .as_admin()
        .args(["org", "policy", "-o", "json"])
        .ok()
        .json();
    assert_eq!(policy["break_glass"]["allowed"], true);
    assert_eq!(policy["break_glass"]["max_duration_seconds"], 7200);
    // Over the policy's level: refused, exit 6, naming the rule.
    server
        .as_support()
        .args([
            "request",
            "create",
            "acme",
            "--level",
            "admin",
            "--break-glass",
        ])
        .args(["--reason", "INC-1"])
        .fails(6)
        .stdout_empty()
        .stderr_has("break_glass.max_level");
    let file = |reason: &str| -> String {
        let out = server
            .as_support()
            .args([
                "request", "create", "acme", "--level", "member", "--for", "1h",
            ])
            .args(["--break-glass", "--reason", reason, "-q"])
            .ok();
        out.lines()[0].to_owned()
    };
    let first = file("INC-1: outage");
    // The org's admins see it among their pending requests, marked.
    let pending = on_terminal(&server, &server.tokens.admin, 120, &["request", "list"]);
    let row = pending.lines().find(|l| l.contains(&first)).unwrap();
    assert!(row.contains("pending BREAK-GLASS"), "{pending}");
    // The engineer cannot confirm their own request; the operator can, once.
    server
        .as_support()
        .args(["request", "confirm", &first, "--org", "acme"])
        .fails(5);
    server
        .as_operator()
        .args(["request", "confirm", &first])
        .fails(2)
        .stderr_has("--org");
    let confirmed = server
        .as_operator()
        .args(["request", "confirm", &first, "--org", "acme", "-o", "json"])
        .ok()
        .json();
    assert_eq!(confirmed["status"], "approved");
    let grant = confirmed["grant_id"].as_str().unwrap().to_owned();
    server
        .as_operator()
        .args(["request", "confirm", &first, "--org", "acme"])
        .fails(6)
        .stderr_has("approved");
    let normal = server
        .admin()
        .grant(serde_json::json!({"level": "read-only", "reason": "routine"}));

    // First in the list, marked on a terminal; the status stays the status in TSV.
    let tsv = server.as_admin().args(["grant", "list"]).ok();
    let lines = tsv.lines();
    assert!(
        lines[0].starts_with(&format!("{grant}\t")),
        "{}",
        tsv.stdout
    );
    assert!(lines[0].contains("\tactive\t"), "{}", tsv.stdout);
    assert!(
        lines[1].starts_with(&format!("{normal}\t")),
        "{}",
        tsv.stdout
    );
    let table = on_terminal(&server, &server.tokens.admin, 120, &["grant", "list"]);
    let marked = table.lines().find(|l| l.contains(&grant)).unwrap();
    assert!(marked.contains("BREAK-GLASS, unacknowledged"), "{table}");
    let position = |id: &str| table.find(id).unwrap();
    assert!(position(&grant) < position(&normal), "{table}");

    server
        .as_admin()
        .args(["grant", "acknowledge", &grant])
        .ok()
        .stderr_has("Acknowledged break-glass grant");
    let shown = on_terminal(
        &server,
        &server.tokens.admin,
        120,
        &["grant", "show", &grant],
    );
    assert!(shown.contains("acknowledged by admin@acme.test"), "{shown}");
    server
        .as_admin()
        .args(["grant", "dispute", &grant, "--reason", "late"])
        .fails(6)
        .stderr_has("already acknowledged");

    let second = file("INC-2: outage");
    let confirmed = server
        .as_operator()
        .args(["request", "confirm", &second, "--org", "acme", "-o", "json"])
        .ok()
        .json();
    let disputed = confirmed["grant_id"].as_str().unwrap();
    server
        .as_admin()
        .args(["grant", "dispute", disputed])
        .fails(2);
    let out = server
        .as_admin()
        .args([
            "grant",
            "dispute",
            disputed,
            "--reason",
            "not agreed",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(out["status"], "revoked");
    assert_eq!(out["review"]["outcome"], "disputed");
    let shown = on_terminal(
        &server,
        &server.tokens.admin,
        120,
        &["grant", "show", disputed],
    );
    assert!(shown.contains("disputed by admin@acme.test"), "{shown}");
    assert!(shown.contains("not agreed"), "{shown}");
    // A normal grant has nothing to acknowledge.
    server
        .as_admin()
        .args(["grant", "acknowledge", &normal])
        .fails(6)
        .stderr_has("not a break-glass grant");
}
