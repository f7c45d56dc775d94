//! Auto-approval rules: an org's admins say which requests need no human approval. A request
//! entirely inside a rule in force, for a level needing one approval, is approved when filed;
//! anything else waits for an admin. Rules are never wider than the policy, expire on their
//! own, and a removal racing requests approves each of them before it or not at all.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use serde_json::{Value, json};

use crate::api_requests::file;
use crate::common::cli::Cli;
use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, TestServer};

crate::common::conformance::conformance! {
    a_request_inside_a_rule_is_approved_when_filed,
    requests_outside_a_rule_wait_for_an_admin,
    bad_rules_are_refused_and_write_nothing,
    expired_and_removed_rules_stop_matching_and_hours_are_utc,
    a_rule_removed_while_requests_are_filed_approved_each_before_or_not_at_all,
    the_cli_adds_lists_and_removes_rules_and_a_request_inside_one_needs_no_wait,
}

const RULES: &str = "/v1/orgs/acme/approval-rules";

/// A rule for read-only or member access to chats and issues, up to 4h, on INC- tickets.
pub fn rule_body(server: &TestServer, name: &str) -> Value {
    json!({
        "name": name,
        "max_level": "member",
        "areas": ["chats", "issues"],
        "max_duration_seconds": 4 * HOUR,
        "ticket_pattern": "INC-[0-9]+",
        "expires_at": plus(now(server), 30 * DAY),
    })
}

pub fn add_rule(admin: &Api, body: Value) -> Value {
    let reply = admin.post(RULES, body);
    assert_eq!(reply.status, 201, "rule add failed: {}", reply.body);
    reply.body
}

fn inside(ticket: &str) -> Value {
    json!({"level": "member", "areas": ["chats"], "duration_seconds": 2 * HOUR,
           "reason": "customer case", "ticket": ticket})
}

fn a_request_inside_a_rule_is_approved_when_filed(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let engineer = support(&server);
    let rule = add_rule(&admin, rule_body(&server, "weekday-chats"));
    assert_eq!(rule["status"], "active");
    assert_eq!(rule["created_by"], ADMIN_EMAIL);
    assert_eq!(rule["areas"], json!(["chats", "issues"]));
    assert_eq!(admin.get(RULES).body, json!([rule.clone()]));

    let request = file(&engineer, ACME, inside("INC-4821"));
    assert_eq!(request["status"], "approved", "{request}");
    assert_eq!(request["approval_rule"], "weekday-chats");
    assert_eq!(request["approvals"], json!([]));
    assert_eq!(request["decided_by"], Value::Null, "no human approved it");
    let grant_id = request["grant_id"].as_str().unwrap().to_owned();
    let grant = get_grant(&admin, ACME, &grant_id);
    assert_eq!(grant["approval_rule"], "weekday-chats");
    assert_eq!(grant["created_by"], "rule:weekday-chats");
    assert_eq!(grant["engineers"], json!([SUPPORT_EMAIL]));
    assert_eq!(grant["request_id"], request["id"]);
    assert_eq!(grant["ticket"], "INC-4821");
    assert_eq!(lifetime_seconds(&grant), 2 * HOUR);

    // Usable at once: the engineer opens a session with no one else involved.
    let (_, token) = engineer.open(json!({"grant_id": grant_id, "reason": "look"}));
    assert_eq!(authorize(&server, &token, "chats", "read")["allow"], true);

    // After the org's own creation events.
    let events = audit(&admin, ACME).split_off(2);
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "approval_rule.created",
            "request.created",
            "request.approved",
            "grant.created",
            "session.opened",
            "access.allowed",
        ]
    );
    assert_eq!(events[0]["target"], rule["id"]);
    assert_eq!(events[0]["details"]["name"], "weekday-chats");
    let approved = &events[2];
    assert_eq!(approved["details"]["by_rule"], "weekday-chats");
    assert_eq!(approved["details"]["rule_id"], rule["id"]);
    assert_eq!(approved["details"]["approvals"], json!([]));
    assert_eq!(approved["details"]["grant_id"], json!(grant_id));
    assert_eq!(events[3]["details"]["approval_rule"], "weekday-chats");
    // The engineer sees it approved too.
    let own = engineer.get(&format!("/v1/requests/{}", request["id"].as_str().unwrap()));
    assert_eq!(own.body["status"], "approved");

    // The command line lists the rule.
    let listed = server.as_admin().args(["org", "rule", "list"]).ok();
    let rows = listed.rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "weekday-chats");
}

fn requests_outside_a_rule_wait_for_an_admin(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let mut body = rule_body(&server, "narrow");
    body["engineers"] = json!([SUPPORT_EMAIL]);
    add_rule(&admin, body);
    let other = create_support(&server, "other@supportctl.test");
    let engineer = support(&server);
    let pending = |api: &Api, body: Value| {
        let request = file(api, ACME, body);
        assert_eq!(request["status"], "pending", "{request}");
        assert_eq!(request["approval_rule"], Value::Null);
        assert_eq!(request["grant_id"], Value::Null);
    };
    let mut asked = inside("INC-1");
    asked["level"] = json!("admin");
    pending(&engineer, asked);
    let mut asked = inside("INC-2");
    asked["areas"] = json!(["chats", "documents"]);
    pending(&engineer, asked);
    let mut asked = inside("INC-3");
    asked["duration_seconds"] = json!(4 * HOUR + 1);
    pending(&engineer, asked);
    let mut asked = inside("INC-4x");
    asked["areas"] = json!(["issues"]);
    pending(&engineer, asked);
    let mut asked = inside("INC-5");
    asked.as_object_mut().unwrap().remove("ticket");
    asked["areas"] = json!(["chats", "issues"]);
    pending(&engineer, asked);
    // Another engineer than the rule names.
    pending(&client(&server, &other.token), inside("INC-6"));

    // A level that needs two approvals is never approved by a rule.
    create_account(&server, "second@acme.test", "admin", Some(ACME));
    crate::api_policy::change(&server, |p| p["approvals_required"]["member"] = json!(2));
    let mut asked = inside("INC-7");
    asked["level"] = json!("member");
    asked["areas"] = json!(["issues", "chats"]);
    let request = file(
        &client(
            &server,
            &create_support(&server, "third@supportctl.test").token,
        ),
        ACME,
        asked,
    );
    assert_eq!(request["status"], "pending");
    // ... while read-only, still one approval, is.
    let mut asked = inside("INC-8");
    asked["level"] = json!("read-only");
    assert_eq!(file(&engineer, ACME, asked)["status"], "approved");
}

fn bad_rules_are_refused_and_write_nothing(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let before = snapshot(&server);
    let refused = |edit: &dyn Fn(&mut Value), status: u16, code: &str| {
        let mut body = rule_body(&server, "r1");
        edit(&mut body);
        let reply = admin.post(RULES, body.clone());
        assert_eq!(reply.status, status, "{body} -> {}", reply.body);
        assert_eq!(reply.code(), code, "{body} -> {}", reply.body);
        reply.body["detail"].as_str().unwrap().to_owned()
    };
    let at = |seconds: i64| json!(plus(now(&server), seconds));
    let detail = refused(&|b| b["expires_at"] = at(-60), 422, "invalid_request");
    assert!(detail.contains("not in the future"), "{detail}");
    let detail = refused(
        &|b| b["expires_at"] = at(90 * DAY + 60),
        422,
        "invalid_request",
    );
    assert!(detail.contains("90 days"), "{detail}");
    refused(
        &|b| {
            b.as_object_mut().unwrap().remove("expires_at");
        },
        400,
        "invalid_request",
    );
    refused(
        &|b| b["areas"] = json!(["chats", "payroll"]),
        400,
        "invalid_request",
    );
    refused(&|b| b["areas"] = json!([]), 400, "invalid_request");
    refused(
        &|b| b["name"] = json!("bad\u{1b}[31mname"),
        400,
        "invalid_request",
    );
    // Two hours 0 to 24 is the documented shape; an empty window is one the server refuses.
    refused(&|b| b["hours_utc"] = json!([9, 9]), 422, "invalid_request");
    refused(&|b| b["hours_utc"] = json!([24, 3]), 422, "invalid_request");
    refused(&|b| b["hours_utc"] = json!([9, 25]), 400, "invalid_request");
    refused(
        &|b| b["hours_utc"] = json!([9.5, 12]),
        400,
        "invalid_request",
    );
    refused(
        &|b| b["engineers"] = json!(["not an email"]),
        422,
        "invalid_request",
    );
    refused(
        &|b| b["weekdays"] = json!(["someday"]),
        400,
        "invalid_request",
    );
    refused(
        &|b| b["max_duration_seconds"] = json!(0),
        400,
        "invalid_request",
    );
    refused(&|b| b["surprise"] = json!(true), 400, "invalid_request");
    refused(
        &|b| b["ticket_pattern"] = json!("INC-(["),
        422,
        "invalid_request",
    );
    refused(
        &|b| b["engineers"] = json!([ADMIN_EMAIL]),
        422,
        "invalid_request",
    );
    // Wider than the policy: a level, an area or a duration it does not allow.
    refused(
        &|b| b["max_duration_seconds"] = json!(MAX_GRANT + 1),
        422,
        "policy_violation",
    );
    assert_eq!(before, snapshot(&server));
    crate::api_policy::change(&server, |p| {
        p["allowed_levels"] = json!(["read-only"]);
        p["allowed_areas"] = json!(["chats"]);
    });
    let before = snapshot(&server);
    let detail = refused(&|_| {}, 422, "policy_violation");
    assert!(detail.contains("max_level member"), "{detail}");
    let detail = refused(
        &|b| b["max_level"] = json!("read-only"),
        422,
        "policy_violation",
    );
    assert!(detail.contains("issues"), "{detail}");
    assert_eq!(before, snapshot(&server));
    assert_eq!(admin.get(RULES).body, json!([]));

    // Names are unique among the org's rules; other orgs' rules are not found.
    let mut body = rule_body(&server, "ok");
    body["max_level"] = json!("read-only");
    body["areas"] = json!(["chats"]);
    let rule = add_rule(&admin, body.clone());
    admin.post(RULES, body).assert_problem(409, "conflict");
    let beta = create_org_with_admin(&server, "beta");
    let beta = client(&server, &beta.token);
    for reply in [
        beta.get(RULES),
        beta.post(RULES, rule_body(&server, "x")),
        beta.delete(&format!("{RULES}/{}", rule["id"].as_str().unwrap())),
        beta.delete(&format!("{RULES}/ok")),
    ] {
        reply.assert_problem(404, "not_found");
    }
    support(&server).get(RULES).assert_problem(403, "forbidden");
    service(&server)
        .post(RULES, rule_body(&server, "x"))
        .assert_problem(403, "forbidden");
    admin
        .delete(&format!("{RULES}/no-such-rule"))
        .assert_problem(404, "not_found");
    assert_eq!(admin.get(RULES).body.as_array().unwrap().len(), 1);
}

fn expired_and_removed_rules_stop_matching_and_hours_are_utc(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let engineer = support(&server);
    let mut body = rule_body(&server, "brief");
    body["expires_at"] = json!(plus(now(&server), HOUR));
    add_rule(&admin, body);
    assert_eq!(file(&engineer, ACME, inside("INC-1"))["status"], "approved");
    // Expired: no job ran, yet it matches nothing and says so.
    server.advance(HOUR);
    let mut asked = inside("INC-2");
    asked["areas"] = json!(["issues"]);
    assert_eq!(file(&engineer, ACME, asked)["status"], "pending");
    assert_eq!(admin.get(RULES).body[0]["status"], "expired");

    // A window of hours (UTC) that starts in an hour: nothing until then.
    let hour = now(&server).to_zoned(jiff::tz::TimeZone::UTC).hour() as i64;
    let mut body = rule_body(&server, "later");
    body["hours_utc"] = json!([(hour + 1) % 24, (hour + 2) % 24]);
    body["ticket_pattern"] = Value::Null;
    add_rule(&admin, body);
    let mut asked = inside("A-1");
    asked["areas"] = json!(["chats", "issues"]);
    let waiting = file(&engineer, ACME, asked);
    assert_eq!(waiting["status"], "pending");
    let start = now(&server).as_second();
    server.advance(3600 - start % 3600);
    let mut asked = inside("A-2");
    asked["level"] = json!("read-only");
    let approved = file(&engineer, ACME, asked);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approval_rule"], "later");

    // Removed by name: its removal is recorded and it approves nothing from then on.
    let removed = admin.delete(&format!("{RULES}/later"));
    removed.assert_ok();
    assert_eq!(removed.body["status"], "removed");
    assert_eq!(removed.body["removed_by"], ADMIN_EMAIL);
    let event = wait_for_event(
        &admin,
        ACME,
        "approval_rule.removed",
        removed.body["id"].as_str().unwrap(),
    );
    assert_eq!(event["details"]["name"], "later");
    let mut asked = inside("A-3");
    asked["level"] = json!("read-only");
    asked["areas"] = json!(["issues"]);
    assert_eq!(file(&engineer, ACME, asked)["status"], "pending");
    admin
        .delete(&format!("{RULES}/later"))
        .assert_problem(404, "not_found");
    let left = admin.get(RULES).body;
    assert_eq!(
        strings(&json!(
            left.as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].clone())
                .collect::<Vec<_>>()
        )),
        ["brief"]
    );
}

/// Engineers file requests inside a rule while an admin removes it. Every request whose
/// `request.created` comes before the removal in the org's chain is approved by the rule (in
/// the same transaction), every later one waits: none read the rule before its removal and
/// committed after it.
fn a_rule_removed_while_requests_are_filed_approved_each_before_or_not_at_all(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let mut body = rule_body(&server, "racing");
    body["ticket_pattern"] = Value::Null;
    body["areas"] = json!(["chats", "issues", "documents", "checklists"]);
    let rule = add_rule(&admin, body);
    let tokens: Vec<String> = (0..4)
        .map(|n| create_support(&server, &format!("racer{n}@supportctl.test")).token)
        .collect();
    let area_sets = [
        json!(["chats"]),
        json!(["issues"]),
        json!(["documents"]),
        json!(["checklists"]),
    ];
    let barrier = Arc::new(Barrier::new(tokens.len() + 1));
    let answered = Arc::new(AtomicUsize::new(0));
    let base = admin.base.clone();
    let handles: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let barrier = barrier.clone();
            let answered = answered.clone();
            let base = base.clone();
            let area_sets = area_sets.clone();
            thread::spawn(move || {
                let api = Api {
                    base,
                    token: Some(token),
                    http: crate::common::harness::http_client(),
                };
                barrier.wait();
                let mut filed = Vec::new();
                for areas in area_sets {
                    // 503 ("retry shortly": no connection came in time, nothing was
                    // written) is retried, as a client would, on a loaded machine.
                    let mut reply = None;
                    for _ in 0..5 {
                        let answer = api.post(
                            "/v1/orgs/acme/requests",
                            json!({"level": "read-only", "areas": areas.clone(),
                                   "reason": "race", "duration_seconds": HOUR}),
                        );
                        if answer.status != 503 {
                            reply = Some(answer);
                            break;
                        }
                    }
                    let reply = reply.expect("an answer other than 503");
                    assert_eq!(reply.status, 201, "{}", reply.body);
                    answered.fetch_add(1, Ordering::SeqCst);
                    filed.push(reply.body);
                }
                filed
            })
        })
        .collect();
    barrier.wait();
    // Removed once a few requests are answered, while the others are being filed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while answered.load(Ordering::SeqCst) < 4 && std::time::Instant::now() < deadline {
        thread::yield_now();
    }
    admin
        .delete(&format!("{RULES}/{}", rule["id"].as_str().unwrap()))
        .assert_ok();
    let filed: Vec<Value> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let events = audit(&admin, ACME);
    let seq_of = |action: &str, target: &str| {
        events
            .iter()
            .find(|e| e["action"] == action && e["target"] == target)
            .map(|e| e["seq"].as_i64().unwrap())
    };
    let removed_at = seq_of("approval_rule.removed", rule["id"].as_str().unwrap()).unwrap();
    let (mut before, mut after) = (0, 0);
    for request in &filed {
        let id = request["id"].as_str().unwrap();
        let created = seq_of("request.created", id).unwrap();
        let approved = seq_of("request.approved", id);
        if created < removed_at {
            before += 1;
            assert_eq!(request["status"], "approved", "{request}");
            assert_eq!(request["approval_rule"], "racing");
            assert_eq!(
                approved,
                Some(created + 1),
                "approved in the same transaction"
            );
        } else {
            after += 1;
            assert_eq!(
                request["status"], "pending",
                "filed after the removal: {request}"
            );
            assert_eq!(approved, None);
        }
    }
    assert_eq!(before + after, filed.len());
    eprintln!("{before} requests before the removal, {after} after");
}

fn the_cli_adds_lists_and_removes_rules_and_a_request_inside_one_needs_no_wait(backend: Backend) {
    let server = TestServer::on(backend);
    let added = server
        .as_admin()
        .args([
            "org",
            "rule",
            "add",
            "cli-rule",
            "--level",
            "read-only",
            "--areas",
            "chats",
            "--for",
            "1h",
            "--weekdays",
            "mon,tue,wed,thu,fri,sat,sun",
            "--hours",
            "0-24",
            "--expires",
            "7d",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(added["name"], "cli-rule");
    assert_eq!(added["hours_utc"], json!([0, 24]));
    assert_eq!(added["weekdays"].as_array().unwrap().len(), 7);
    // Wider than 90 days, and an unknown area: refused by the server or by the parser.
    server
        .as_admin()
        .args([
            "org",
            "rule",
            "add",
            "long",
            "--level",
            "read-only",
            "--areas",
            "chats",
            "--for",
            "1h",
            "--expires",
            "91d",
        ])
        .fails(2)
        .stderr_has("90 days");
    server
        .as_admin()
        .args([
            "org",
            "rule",
            "add",
            "x",
            "--level",
            "read-only",
            "--areas",
            "payroll",
            "--for",
            "1h",
            "--expires",
            "7d",
        ])
        .fails(2);

    // `request create --wait` returns at once with the grant: nothing to wait for.
    let out = server
        .as_support()
        .args([
            "request",
            "create",
            "acme",
            "--level",
            "read-only",
            "--areas",
            "chats",
            "--for",
            "30m",
            "--reason",
            "case",
            "--wait",
            "--timeout",
            "1m",
            "-o",
            "json",
        ])
        .ok();
    assert!(!out.stderr.contains("Waiting"), "{}", out.stderr);
    let out = server
        .as_support()
        .args([
            "request",
            "create",
            "acme",
            "--level",
            "read-only",
            "--areas",
            "chats",
            "--for",
            "30m",
            "--reason",
            "case two",
        ])
        .ok();
    let fields = &out.rows()[0];
    assert!(fields.contains(&"approved"), "{fields:?}");

    server
        .as_admin()
        .args(["org", "rule", "remove", "cli-rule"])
        .fails(2)
        .stderr_has("--yes");
    server
        .as_admin()
        .args(["org", "rule", "remove", "cli-rule", "--yes"])
        .ok();
    assert!(
        server
            .as_admin()
            .args(["org", "rule", "list"])
            .ok()
            .stdout
            .trim()
            .is_empty()
    );
}
