//! Evidence reports: `grant report` and `request report` against the real server, checked by
//! `audit verify-report` and, independently, by Go's `sumdb/note` and `sumdb/tlog`; a report
//! tampered with in any part fails with exit 1 saying where, and a file that is no report
//! with exit 2. Who may ask for one is the org's admins and the operators.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::cli::{Cli, Run};
use crate::common::fixtures::{
    ACME, ADMIN_EMAIL, SUPPORT_EMAIL, admin, audit, create_org_with_admin, grant_in, operator,
    revoke, service, support,
};
use crate::common::go_tlog::go_verify_report;
use crate::common::harness::{Backend, TestServer};

crate::common::conformance::conformance! {
    a_grant_report_says_what_happened_and_verifies_offline,
    a_tampered_report_fails_saying_where,
    reports_are_for_the_org_admins_and_operators,
}

/// What the scenario made.
struct Made {
    request: String,
    grant: String,
    session: String,
}

/// A request approved into a grant, a session of it with accesses allowed and denied, the
/// grant revoked (which ends the session); and beside it another grant and session whose
/// events no report of the first may hold.
fn scenario(server: &TestServer) -> Made {
    let engineer = support(server);
    let admin = admin(server);
    let request = crate::api_requests::file(
        &engineer,
        ACME,
        json!({"level": "member", "areas": ["chats", "issues"], "duration_seconds": 7200,
               "reason": "Ticket 4821: sync fails", "ticket": "4821"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let approved = admin.post(
        &format!("/v1/orgs/acme/requests/{request}/approve"),
        json!({"comment": "go ahead"}),
    );
    approved.assert_ok();
    let grant = approved.body["grant_id"].as_str().unwrap().to_owned();
    let other = grant_in(
        &admin,
        ACME,
        json!({"level": "read-only", "reason": "other work"}),
    );
    let (session, token) = engineer.open(json!({"grant_id": grant, "reason": "looking at sync"}));
    let (_, other_token) = engineer.open(json!({"grant_id": other, "reason": "elsewhere"}));
    let platform = service(server);
    let access = |token: &str, area: &str, action: &str, resource: &str| {
        let reply = platform.post(
            "/v1/authorize",
            json!({"token": token, "area": area, "action": action, "resource": resource}),
        );
        assert_eq!(reply.status, 200, "authorize failed: {}", reply.body);
    };
    access(&token, "chats", "read", "chat/1");
    access(&other_token, "chats", "read", "chat/other");
    access(&token, "chats", "read", "chat/2");
    access(&token, "chats", "read", "chat/1");
    access(&token, "issues", "write", "issue/7");
    access(&token, "source-code", "read", "repo/core");
    access(&token, "chats", "administer", "chat/1");
    revoke(&admin, ACME, &grant).assert_ok();
    Made {
        request,
        grant,
        session,
    }
}

/// A report as the server writes it, its members in their order (a `Value` sorts them).
fn ordered(report: &Value) -> String {
    let members: Vec<String> = supportctl::api::report::HEAD_MEMBERS
        .iter()
        .chain(&["summary", "events"])
        .map(|key| format!("{}:{}", json!(key), report[key]))
        .collect();
    format!("{{{}}}", members.join(","))
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `audit verify-report FILE --key KEY`, to run.
fn verify_report(server: &TestServer, file: &Path, key: &Path) -> Run {
    server
        .as_nobody()
        .args(["audit", "verify-report", text(file), "--key", text(key)])
}

fn actions(report: &Value) -> Vec<String> {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"]["action"].as_str().unwrap().to_owned())
        .collect()
}

fn a_grant_report_says_what_happened_and_verifies_offline(backend: Backend) {
    let server = TestServer::on(backend);
    let made = scenario(&server);
    let dir = tempfile::tempdir().unwrap();
    let key = server.as_nobody().args(["audit", "key"]).ok().stdout;
    let key_file = write(dir.path(), "server.key", &key);

    let out = server
        .as_admin()
        .args(["grant", "report", &made.grant, "-o", "json"])
        .ok();
    let report = out.json();
    assert_eq!(report["format"], "supportctl-evidence-report/1");
    assert_eq!(report["subject"], "grant");
    assert_eq!(report["grant_id"], made.grant.as_str());
    assert_eq!(report["request_id"], made.request.as_str());
    let summary = &report["summary"];
    assert_eq!(summary["request"]["id"], made.request.as_str());
    assert_eq!(summary["request"]["requester"], SUPPORT_EMAIL);
    assert_eq!(summary["request"]["outcome"]["action"], "approved");
    assert_eq!(summary["approvals"][0]["by"], ADMIN_EMAIL);
    assert_eq!(summary["approvals"][0]["comment"], "go ahead");
    assert_eq!(summary["grant"]["id"], made.grant.as_str());
    assert_eq!(summary["grant"]["engineers"], json!([SUPPORT_EMAIL]));
    assert_eq!(summary["grant"]["changes"][0]["action"], "revoked");
    let sessions = summary["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "only the grant's own session: {summary}");
    assert_eq!(sessions[0]["id"], made.session.as_str());
    assert_eq!(sessions[0]["engineer"], SUPPORT_EMAIL);
    assert_eq!(sessions[0]["reason"], "looking at sync");
    assert_eq!(
        sessions[0]["ended"]["action"], "revoked",
        "the revocation ended it"
    );
    let sums: Vec<(String, String, bool, u64, u64)> = summary["accesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["area"].as_str().unwrap().to_owned(),
                s["action"].as_str().unwrap().to_owned(),
                s["allowed"].as_bool().unwrap(),
                s["count"].as_u64().unwrap(),
                s["distinct_resources"].as_u64().unwrap(),
            )
        })
        .collect();
    let sum = |area: &str, action: &str, allowed: bool, count: u64, resources: u64| {
        (
            area.to_owned(),
            action.to_owned(),
            allowed,
            count,
            resources,
        )
    };
    assert_eq!(
        sums,
        [
            sum("chats", "administer", false, 1, 1),
            sum("chats", "read", true, 3, 2),
            sum("issues", "write", true, 1, 1),
            sum("source-code", "read", false, 1, 1),
        ]
    );
    // Every event about them, as the log has it, and none of the other grant's.
    let log = audit(&admin(&server), ACME);
    let events: Vec<&Value> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["event"])
        .collect();
    for event in &events {
        let seq = event["seq"].as_i64().unwrap();
        assert_eq!(
            **event,
            log[seq as usize - 1],
            "seq {seq} as the log has it"
        );
    }
    assert_eq!(
        actions(&report),
        [
            "request.created",
            "request.approved",
            "grant.created",
            "session.opened",
            "access.allowed",
            "access.allowed",
            "access.allowed",
            "access.allowed",
            "access.denied",
            "access.denied",
            "grant.revoked",
        ]
    );
    let file = write(dir.path(), "grant.report.json", &out.stdout);
    verify_report(&server, &file, &key_file)
        .ok()
        .stderr_has("Verified")
        .stderr_has(&format!("{} events hashed and proven", events.len()));
    // The key fetched from the server, and the report on stdin.
    server
        .as_nobody()
        .args(["audit", "verify-report", "-"])
        .stdin(out.stdout.clone())
        .ok()
        .stderr_has("Verified");
    assert_eq!(go_verify_report(&key_file, &file), Ok(events.len()));

    // The request's report: the same events, about the request.
    let by_request = server
        .as_admin()
        .args(["request", "report", &made.request, "-o", "json"])
        .ok();
    let request_report = by_request.json();
    assert_eq!(request_report["subject"], "request");
    assert_eq!(actions(&request_report), actions(&report));
    assert_eq!(request_report["summary"], report["summary"]);
    server
        .as_nobody()
        .args(["audit", "verify-report", "-", "--key", text(&key_file)])
        .stdin(by_request.stdout.clone())
        .ok()
        .stderr_has(&format!("request {}", made.request));

    // An operator's, of the org named.
    let by_operator = server
        .as_operator()
        .args(["grant", "report", &made.grant, "--org", ACME, "-o", "json"])
        .ok()
        .json();
    assert_eq!(actions(&by_operator), actions(&report));

    // The text an auditor reads.
    server
        .as_admin()
        .args(["grant", "report", &made.grant])
        .ok()
        .stdout_has(&format!(
            "Asked: request {} by {SUPPORT_EMAIL}",
            made.request
        ))
        .stdout_has(&format!("  {ADMIN_EMAIL} at "))
        .stdout_has(&format!("Granted: {} by {ADMIN_EMAIL}", made.grant))
        .stdout_has("    why: looking at sync")
        .stdout_has("  chats read allowed: 3 times, 2 resources, first ")
        .stdout_has("  source-code read DENIED: 1 times, 1 resources")
        .stdout_has("revoked at ")
        .stdout_has(" access.denied ");
}

/// The report of the scenario's grant, and the verifier key, in files.
fn report_files(server: &TestServer, dir: &Path) -> (Value, PathBuf) {
    let made = scenario(server);
    let key = server.as_nobody().args(["audit", "key"]).ok().stdout;
    let key_file = write(dir, "server.key", &key);
    let report = server
        .as_admin()
        .args(["grant", "report", &made.grant, "-o", "json"])
        .ok()
        .json();
    (report, key_file)
}

fn a_tampered_report_fails_saying_where(backend: Backend) {
    let server = TestServer::on(backend);
    let dir = tempfile::tempdir().unwrap();
    let (report, key_file) = report_files(&server, dir.path());
    let verify = |name: &str, report: &Value| {
        let file = write(dir.path(), name, &ordered(report));
        (verify_report(&server, &file, &key_file), file)
    };
    let (untouched, file) = verify("untouched.json", &report);
    untouched.ok();
    assert!(go_verify_report(&key_file, &file).is_ok());

    // An access's resource changed: its hash no longer matches.
    let mut changed = report.clone();
    let at = changed["events"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["event"]["action"] == "access.allowed")
        .unwrap();
    changed["events"][at]["event"]["details"]["resource"] = json!("chat/999");
    let seq = changed["events"][at]["event"]["seq"].as_i64().unwrap();
    verify("event.json", &changed)
        .0
        .fails(1)
        .stderr_has(&format!("event seq {seq}"))
        .stderr_has("do not match its hash");

    // Its hash recomputed to match: then its proof fails (in Go's judgement too).
    let rehashed = supportctl::api::chain::event_hash(&changed["events"][at]["event"]).unwrap();
    changed["events"][at]["event"]["hash"] = json!(rehashed);
    let (run, file) = verify("rehashed.json", &changed);
    run.fails(1)
        .stderr_has(&format!("event seq {seq}"))
        .stderr_has("field proof");
    assert!(go_verify_report(&key_file, &file).is_err());

    // One hash of a proof changed.
    let mut proof = report.clone();
    let last = proof["events"].as_array().unwrap().len() - 1;
    let seq = proof["events"][last]["event"]["seq"].as_i64().unwrap();
    proof["events"][last]["proof"][0] = json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let (run, file) = verify("proof.json", &proof);
    run.fails(1)
        .stderr_has(&format!("event seq {seq}"))
        .stderr_has("field proof does not lead to the root");
    assert!(go_verify_report(&key_file, &file).is_err());

    // The summary edited: one access fewer, a session's engineer, the grant's reason.
    let mut summary = report.clone();
    summary["summary"]["accesses"][1]["count"] = json!(2);
    verify("count.json", &summary)
        .0
        .fails(1)
        .stderr_has("summary.accesses[1].count is 2 in the report, but its events say 3");
    let mut summary = report.clone();
    summary["summary"]["sessions"][0]["engineer"] = json!("someone@else.test");
    verify("engineer.json", &summary)
        .0
        .fails(1)
        .stderr_has("summary.sessions[0].engineer");
    let mut summary = report.clone();
    summary["summary"]["approvals"] = json!([]);
    verify("approvals.json", &summary)
        .0
        .fails(1)
        .stderr_has("summary.approvals");

    // An event of the report left out: the summary no longer holds.
    let mut dropped = report.clone();
    dropped["events"].as_array_mut().unwrap().remove(at);
    verify("dropped.json", &dropped)
        .0
        .fails(1)
        .stderr_has("summary.accesses");

    // Another server's key.
    let other_key = write(
        dir.path(),
        "other.key",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
    );
    let file = write(dir.path(), "report.json", &ordered(&report));
    verify_report(&server, &file, &other_key)
        .fails(1)
        .stderr_has("not signed by the key");
    assert!(go_verify_report(&other_key, &file).is_err());

    // The checkpoint of another org, validly signed, put in place of acme's.
    let beta = create_org_with_admin(&server, "beta");
    let beta_checkpoint = server
        .run_with(&beta.token)
        .args(["audit", "checkpoint", "--org", "beta"])
        .ok()
        .stdout;
    let mut moved = report.clone();
    moved["checkpoint"] = json!(beta_checkpoint);
    let (run, file) = verify("moved.json", &moved);
    run.fails(1)
        .stderr_has("checkpoint is of org beta, not of org acme");
    assert!(go_verify_report(&key_file, &file).is_err());

    // Not a report at all: exit 2.
    let log = server
        .as_admin()
        .args(["audit", "list", "--all", "-o", "json"])
        .ok()
        .stdout;
    let sorted = report.to_string();
    let unknown_member = ordered(&report).replacen('{', "{\"extra\": 1, ", 1);
    for (name, contents) in [
        ("export.json", log.as_str()),
        // A member the format does not have.
        ("extra.json", unknown_member.as_str()),
        // Its members reordered: the head must come before what it signs for.
        ("sorted.json", sorted.as_str()),
        ("object.json", "{\"hello\": 1}"),
        ("text.txt", "not json\n"),
    ] {
        let file = write(dir.path(), name, contents);
        verify_report(&server, &file, &key_file)
            .fails(2)
            .stderr_has("is not an evidence report");
    }
    server
        .as_nobody()
        .args(["audit", "verify-report", "/nonexistent/report.json"])
        .args(["--key", text(&key_file)])
        .fails(2)
        .stderr_has("cannot read");
}

fn reports_are_for_the_org_admins_and_operators(backend: Backend) {
    let server = TestServer::on(backend);
    let made = scenario(&server);
    let grant_path = format!("/v1/orgs/acme/grants/{}/report", made.grant);
    let request_path = format!("/v1/orgs/acme/requests/{}/report", made.request);
    for path in [&grant_path, &request_path] {
        let reply = admin(&server).get(path);
        reply.assert_ok();
        assert_eq!(reply.body["org"], ACME);
        operator(&server).get(path).assert_ok();
        support(&server).get(path).assert_problem(403, "forbidden");
        service(&server).get(path).assert_problem(403, "forbidden");
    }
    // Another org's admin: not found, exactly like a grant or request that does not exist.
    let beta = create_org_with_admin(&server, "beta");
    let beta_admin = crate::common::fixtures::client(&server, &beta.token);
    let theirs = beta_admin.get(&grant_path);
    theirs.assert_problem(404, "not_found");
    let missing = admin(&server).get("/v1/orgs/acme/grants/gr_01jzzzzzzzzzzzzzzzzzzzzzzz/report");
    missing.assert_problem(404, "not_found");
    assert_eq!(
        theirs.body["detail"],
        format!("no grant '{}' in org 'acme'", made.grant)
    );
    assert_eq!(
        missing.body["detail"],
        "no grant 'gr_01jzzzzzzzzzzzzzzzzzzzzzzz' in org 'acme'"
    );
    beta_admin
        .get(&request_path)
        .assert_problem(404, "not_found");
    // A grant of beta asked for in acme, by acme's admin.
    let beta_grant = grant_in(
        &beta_admin,
        "beta",
        json!({"level": "read-only", "reason": "x"}),
    );
    admin(&server)
        .get(&format!("/v1/orgs/acme/grants/{beta_grant}/report"))
        .assert_problem(404, "not_found");
    beta_admin
        .get(&format!("/v1/orgs/beta/grants/{beta_grant}/report"))
        .assert_ok();
    // The CLI says so with the exit codes of the problems.
    server
        .as_support()
        .args(["grant", "report", &made.grant, "--org", ACME])
        .fails(5);
    server
        .as_admin()
        .args(["request", "report", "rq_01jzzzzzzzzzzzzzzzzzzzzzzz"])
        .fails(3);
}
