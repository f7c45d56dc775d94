//! `supportctl grant ...` through the real binary against the real server; every outcome is
//! checked through the API, not through the CLI's own words.

use serde_json::{Value, json};

use crate::common::cli::{Cli, assert_rfc3339, audit_events, grant_status, grants};
use crate::common::fixtures::{lifetime_seconds, ts};
use crate::common::harness::TestServer;

/// The grant table's columns, which TSV prints in the same order.
const GRANT_COLUMNS: usize = 11;

#[test]
fn create_list_show_extend_in_json_tsv_and_quiet() {
    let server = TestServer::start();

    // -q: only the id.
    let out = server
        .as_admin()
        .args([
            "grant",
            "create",
            "--level",
            "read-only",
            "--areas",
            "chats,issues",
        ])
        .args([
            "--for",
            "2h",
            "--ticket",
            "SUP-1",
            "--reason",
            "Sync fails",
            "-q",
        ])
        .ok();
    let quiet_id = out.stdout.trim().to_owned();
    assert!(quiet_id.starts_with("gr_"), "{out}");
    assert_eq!(out.lines().len(), 1, "{out}");
    let api = server
        .admin()
        .get(&format!("/v1/orgs/acme/grants/{quiet_id}"));
    assert_eq!(api.body["level"], "read-only");
    assert_eq!(api.body["areas"], json!(["chats", "issues"]));
    assert_eq!(api.body["ticket"], "SUP-1");
    assert_eq!(api.body["reason"], "Sync fails");
    assert_eq!(lifetime_seconds(&api.body), 7200);

    // JSON: the API object, unchanged.
    let out = server
        .as_admin()
        .args([
            "grant", "create", "--level", "member", "--reason", "Billing", "-o", "json",
        ])
        .ok();
    let created = out.json();
    let json_id = created["id"].as_str().unwrap().to_owned();
    let api = server
        .admin()
        .get(&format!("/v1/orgs/acme/grants/{json_id}"));
    assert_eq!(created, api.body);

    // TSV (stdout is not a terminal): one row, no header, table columns.
    let out = server
        .as_admin()
        .args([
            "grant", "create", "--level", "admin", "--for", "30m", "--reason", "Outage",
        ])
        .ok();
    let rows = out.rows();
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0].len(), GRANT_COLUMNS, "{out}");
    assert!(rows[0][0].starts_with("gr_"));
    assert_eq!(&rows[0][1..4], ["acme", "active", "admin"]);

    // list -o json: a JSON array of exactly the API's objects, in the API's order.
    let listed = server
        .as_admin()
        .args(["grant", "list", "--json"])
        .ok()
        .json();
    let api_items = server.admin().all("/v1/orgs/acme/grants");
    assert_eq!(listed, Value::Array(api_items.clone()));
    assert_eq!(listed.as_array().unwrap().len(), 3);

    // list TSV: no header, tab-separated, columns in table order, RFC 3339 times.
    let out = server.as_admin().args(["grant", "list"]).ok();
    let rows = out.rows();
    assert_eq!(rows.len(), 3, "{out}");
    for (row, item) in rows.iter().zip(&api_items) {
        assert_eq!(row.len(), GRANT_COLUMNS, "{out}");
        assert_eq!(row[0], item["id"]);
        assert_eq!(row[1], item["org"]);
        assert_eq!(row[2], item["status"]);
        assert_eq!(row[3], item["level"]);
        let areas: Vec<&str> = item["areas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(row[4], areas.join(","));
        // No engineers named: the whole team, an empty field for scripts.
        let engineers: Vec<&str> = item["engineers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert_eq!(row[5], engineers.join(","));
        assert_eq!(row[6], item["expires_at"]);
        assert_eq!(row[7], item["created_at"]);
        assert_rfc3339(row[6]);
        assert_rfc3339(row[7]);
        assert_eq!(row[8], item["created_by"]);
        assert_eq!(row[10], item["reason"]);
    }

    // The wide table (forced, without a terminal) has the same columns but the org (an admin
    // lists one org), with relative times; the plain table leaves out the rarer ones.
    let narrow = server
        .as_admin()
        .args(["grant", "list", "-o", "table", "--color", "never"])
        .ok();
    let header = narrow.lines()[0];
    for absent in ["ORG", "CREATED BY", "ENGINEERS", "TICKET"] {
        assert!(!header.contains(absent), "{absent} in {header:?}");
    }
    let out = server
        .as_admin()
        .args(["grant", "list", "-o", "wide", "--color", "never"])
        .ok();
    let header = out.lines()[0];
    let mut at = 0;
    for column in [
        "ID",
        "STATUS",
        "LEVEL",
        "AREAS",
        "ENGINEERS",
        "ENDS",
        "CREATED",
        "CREATED BY",
        "TICKET",
        "REASON",
    ] {
        at += header[at..]
            .find(column)
            .unwrap_or_else(|| panic!("no column {column} after {at} in {header:?}"));
    }
    // The 30-minute grant ends "in 30m" (or "in 29m", a second later).
    assert!(
        out.stdout.contains("in 30m") || out.stdout.contains("in 29m"),
        "{out}"
    );
    out.stdout_has("just now");

    // list -q: only ids, in the same order.
    let out = server.as_admin().args(["grant", "list", "-q"]).ok();
    let ids: Vec<&str> = api_items
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(out.lines(), ids);

    // --limit caps the list.
    let out = server
        .as_admin()
        .args(["grant", "list", "--limit", "2", "-q"])
        .ok();
    assert_eq!(out.lines().len(), 2, "{out}");

    // show, in JSON and TSV.
    let shown = server
        .as_admin()
        .args(["grant", "show", &quiet_id, "-o", "json"])
        .ok()
        .json();
    assert_eq!(shown["id"], quiet_id.as_str());
    let out = server
        .as_admin()
        .args(["grant", "show", &quiet_id, "-o", "tsv"])
        .ok();
    assert_eq!(out.rows()[0][0], quiet_id);

    // extend moves expires_at by the given amount.
    let before = server
        .admin()
        .get(&format!("/v1/orgs/acme/grants/{quiet_id}"))
        .body;
    let extended = server
        .as_admin()
        .args(["grant", "extend", &quiet_id, "--by", "4h", "-o", "json"])
        .ok()
        .json();
    let after = server
        .admin()
        .get(&format!("/v1/orgs/acme/grants/{quiet_id}"))
        .body;
    assert_eq!(extended, after);
    let moved = ts(&after["expires_at"]).as_second() - ts(&before["expires_at"]).as_second();
    assert_eq!(moved, 4 * 3600);

    // Unknown ids are "not found" (3).
    server
        .as_admin()
        .args(["grant", "show", "gr_00000000000000000000000000"])
        .fails(3);
    server
        .as_admin()
        .args([
            "grant",
            "extend",
            "gr_00000000000000000000000000",
            "--by",
            "1h",
        ])
        .fails(3);
}

#[test]
fn create_without_a_terminal_names_the_missing_flag_and_creates_nothing() {
    let server = TestServer::start();
    server
        .as_admin()
        .args(["grant", "create", "--reason", "Sync fails"])
        .fails(2)
        .stderr_has("--level");
    server
        .as_admin()
        .args(["grant", "create", "--level", "member"])
        .fails(2)
        .stderr_has("--reason");
    // --no-input says the same even where a terminal could ask.
    server
        .as_admin()
        .args(["grant", "create", "--level", "member", "--no-input"])
        .fails(2)
        .stderr_has("--reason");
    assert!(
        server
            .admin()
            .all("/v1/orgs/acme/grants?status=all")
            .is_empty()
    );
}

#[test]
fn policy_refusals_exit_6() {
    let server = TestServer::start();
    server
        .as_admin()
        .args([
            "grant", "create", "--level", "member", "--for", "90d", "--reason", "Long",
        ])
        .fails(6)
        .stderr_has("error: --for 90d is over the 30d maximum (the org's policy or this server's)");
    let id = &grants(&server, 1)[0];
    server
        .as_admin()
        .args(["grant", "revoke", id, "--yes"])
        .ok();
    // A revoked grant can no longer be extended.
    server
        .as_admin()
        .args(["grant", "extend", id, "--by", "1h"])
        .fails(6);
}

#[test]
fn dry_runs_change_nothing() {
    let server = TestServer::start();
    let ids = grants(&server, 2);
    let events_before = audit_events(&server).len();

    // The server checks a dry run as it checks the real grant: 90 days is over its 30.
    server
        .as_admin()
        .args([
            "grant",
            "create",
            "--level",
            "member",
            "--reason",
            "Try",
            "--dry-run",
        ])
        .args(["--for", "90d"])
        .fails(6)
        .stderr_has("--for 90d is over the 30d maximum");
    let out = server
        .as_admin()
        .args([
            "grant",
            "create",
            "--level",
            "member",
            "--reason",
            "Try",
            "--dry-run",
        ])
        .args(["--for", "4h", "--areas", "chats"])
        .ok();
    // Piped: the preview as a TSV row, as the real grant would be printed.
    out.stderr_has("Dry run: would grant member access to org acme (chats) for 4h, until")
        .stdout_has("\tactive\tmember\tchats\t");
    let out = server
        .as_admin()
        .args([
            "grant",
            "create",
            "--level",
            "member",
            "--reason",
            "Try",
            "--dry-run",
        ])
        .args(["-o", "json"])
        .ok();
    assert_eq!(out.json()["level"], "member", "{out}");

    let out = server
        .as_admin()
        .args(["grant", "revoke", &ids[0], "--dry-run"])
        .ok();
    out.stderr_has("Dry run");
    assert_eq!(out.rows(), vec![vec![ids[0].as_str(), "would_revoke"]]);
    // An id the real run would not find: the same exit code as the real run.
    let missing = "gr_00000000000000000000000000";
    let out = server
        .as_admin()
        .args(["grant", "revoke", &ids[0], missing, "--dry-run"])
        .fails(3);
    assert_eq!(
        out.rows(),
        vec![
            vec![ids[0].as_str(), "would_revoke"],
            vec![missing, "not_found"]
        ]
    );

    let out = server
        .as_admin()
        .args(["grant", "revoke", "--all", "--dry-run", "-o", "json"])
        .ok();
    let mut would: Vec<String> = serde_json::from_value(out.json()["revoked"].clone()).unwrap();
    would.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(would, expected);

    // Nothing changed: same grants, all active, and not one new audit event.
    assert_eq!(
        server.admin().all("/v1/orgs/acme/grants?status=all").len(),
        2
    );
    for id in &ids {
        assert_eq!(grant_status(&server, id), "active");
    }
    assert_eq!(audit_events(&server).len(), events_before);
}

#[test]
fn revoke_needs_yes_without_a_terminal_and_is_idempotent() {
    let server = TestServer::start();
    let ids = grants(&server, 3);

    // No terminal, no --yes: usage error naming --yes, nothing revoked.
    server
        .as_admin()
        .args(["grant", "revoke", &ids[0]])
        .fails(2)
        .stderr_has("--yes");
    server
        .as_admin()
        .args(["grant", "revoke", "--all"])
        .fails(2)
        .stderr_has("--yes");
    assert_eq!(grant_status(&server, &ids[0]), "active");

    // --yes revokes, with the reason in the audit log.
    let out = server
        .as_admin()
        .args(["grant", "revoke", &ids[0], "--reason", "Solved", "--yes"])
        .ok();
    assert_eq!(out.rows(), vec![vec![ids[0].as_str(), "revoked"]]);
    assert_eq!(grant_status(&server, &ids[0]), "revoked");
    let events = audit_events(&server);
    let revoked = events
        .iter()
        .find(|e| e["action"] == "grant.revoked" && e["target"] == ids[0].as_str())
        .expect("a grant.revoked event");
    assert_eq!(revoked["details"]["reason"], "Solved");

    // Again: success, with a note on stderr.
    let out = server
        .as_admin()
        .args(["grant", "revoke", &ids[0], "--yes"])
        .ok();
    out.stderr_has("already inactive");

    // An unknown id: exit 3 naming it, after the others are revoked.
    let unknown = "gr_00000000000000000000000000";
    let out = server
        .as_admin()
        .args(["grant", "revoke", &ids[1], unknown, "--yes"])
        .fails(3);
    out.stderr_has(unknown);
    assert_eq!(grant_status(&server, &ids[1]), "revoked");

    // -q prints only what was revoked.
    let out = server
        .as_admin()
        .args(["grant", "revoke", &ids[2], &ids[0], "--yes", "-q"])
        .ok();
    assert_eq!(out.lines(), [ids[2].as_str()]);
}

#[test]
fn revoke_reads_many_ids_from_stdin() {
    let server = TestServer::start();
    // More than the 64 KiB that other requests may carry: one bulk request, one transaction.
    let ids = grants(&server, 2500);
    let already = &ids[..5];
    server
        .as_admin()
        .args(["grant", "revoke"])
        .args(already)
        .arg("--yes")
        .ok();

    // What `grant list -q` prints, plus comments, blank lines and a duplicate.
    let listed = server
        .as_admin()
        .args(["grant", "list", "--all", "-q"])
        .ok()
        .stdout;
    assert_eq!(listed.lines().count(), 2495);
    let mut input = format!("# from grant list\n\n{listed}{}\n", ids[100]);
    for id in already {
        input.push_str(id);
        input.push('\n');
    }
    let out = server
        .as_admin()
        .args([
            "grant", "revoke", "-", "--reason", "Cleanup", "--yes", "-o", "json",
        ])
        .stdin(input)
        .ok();
    let result = out.json();
    assert_eq!(result["revoked"].as_array().unwrap().len(), 2495, "{out}");
    assert_eq!(result["already_inactive"].as_array().unwrap().len(), 5);
    assert_eq!(result["not_found"].as_array().unwrap().len(), 0);
    out.stderr_has("Revoked 2495 grants");

    // Every grant is revoked; every revocation is in the audit log once.
    assert!(server.admin().all("/v1/orgs/acme/grants").is_empty());
    let revocations = audit_events(&server)
        .iter()
        .filter(|e| e["action"] == "grant.revoked")
        .count();
    assert_eq!(revocations, 2500);

    // Nothing listed, nothing to revoke: success, said on stderr, so that
    // `grant list -q ... | grant revoke - --yes` in a cron job does not fail on a quiet day.
    let empty = server
        .as_admin()
        .args(["grant", "revoke", "-", "--yes", "-o", "json"])
        .stdin("# nothing today\n")
        .ok();
    empty.stderr_has("nothing to revoke");
    assert_eq!(empty.json()["revoked"], serde_json::json!([]));
}

#[test]
fn revoke_all_with_yes_revokes_every_active_grant() {
    let server = TestServer::start();
    let ids = grants(&server, 4);
    let out = server
        .as_admin()
        .args(["grant", "revoke", "--all", "--yes", "-q"])
        .ok();
    let mut revoked = out.lines();
    revoked.sort();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(revoked, expected);
    for id in &ids {
        assert_eq!(grant_status(&server, id), "revoked");
    }
    // Nothing left: still a success.
    server
        .as_admin()
        .args(["grant", "revoke", "--all", "--yes"])
        .ok()
        .stderr_has("nothing to revoke");
}

#[test]
fn support_engineers_see_the_grants_usable_by_them() {
    let server = TestServer::start();
    let ids = grants(&server, 2);
    server
        .operator()
        .post("/v1/orgs", json!({"slug": "globex", "name": "Globex"}));

    let listed = server
        .as_support()
        .args(["grant", "list", "-o", "json"])
        .ok()
        .json();
    let api = server.support().all("/v1/grants");
    assert_eq!(listed, Value::Array(api));

    // --org narrows a support engineer's list; it never means the admin endpoint (403).
    let out = server
        .as_support()
        .args(["grant", "list", "--org", "acme", "-q"])
        .ok();
    assert_eq!(out.lines().len(), 2, "{out}");
    let out = server
        .as_support()
        .args(["grant", "list", "-q"])
        .env("SUPPORTCTL_ORG", "globex")
        .ok();
    assert!(out.lines().is_empty(), "{out}");

    let shown = server
        .as_support()
        .args(["grant", "show", &ids[0], "--org", "acme", "-o", "json"])
        .ok()
        .json();
    assert_eq!(shown["id"], ids[0].as_str());

    // Support may not create grants: permission denied (5).
    server
        .as_support()
        .args([
            "grant", "create", "--org", "acme", "--level", "member", "--reason", "x",
        ])
        .fails(5);
}
