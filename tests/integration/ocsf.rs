//! The audit log as OCSF 1.1.0 events: `audit list -o ocsf` (and `-f`) and webhooks with
//! `format: "ocsf"`, every line checked by an independent validator (PyPI's
//! `ocsf-json-schema` with `jsonschema`) against the JSON Schema of its class.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use supportctl::api::AUDIT_ACTIONS;

use crate::api_webhooks::add_webhook;
use crate::common::cli::{Cli, JsonLines, audit_events, std_command};
use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};
use crate::common::receiver::{Receiver, verify_with_svix};

crate::common::conformance::conformance! {
    every_action_exports_as_an_event_valid_for_its_ocsf_class,
}

const WAIT: Duration = Duration::from_secs(10);

/// Actions no API call records: `audit.restored` is written by `server restore`, offline.
const NOT_THROUGH_THE_API: [&str; 1] = ["audit.restored"];

/// Actions only a sign-in through an identity provider records: `api_sso` signs in against a
/// real OpenID Provider and validates them.
pub const THROUGH_AN_IDENTITY_PROVIDER: [&str; 7] = [
    "account.email_changed",
    "account.linked",
    "account.login",
    "account.login_failed",
    "account.role_changed",
    "auth.connector.created",
    "auth.connector.removed",
];

const OCSF_CHECK: &str = r#"
import json, sys
import jsonschema
from ocsf_json_schema import get_ocsf_schema, OcsfJsonSchemaEmbedded
schema = OcsfJsonSchemaEmbedded(get_ocsf_schema("1.1.0"))
classes = {3001: "account_change", 3002: "authentication", 3003: "authorize_session",
           3004: "entity_management", 3005: "user_access", 6003: "api_activity"}
validators = {}
problems = []
for event in json.load(sys.stdin):
    name = classes.get(event.get("class_uid"))
    if name is None:
        problems.append("no class %s: %s" % (event.get("class_uid"), event)); continue
    # The profiles the event declares decide the attributes it may have (`actor` in IAM).
    profiles = tuple(event.get("metadata", {}).get("profiles", []))
    key = (name, profiles)
    if key not in validators:
        validators[key] = jsonschema.Draft202012Validator(
            schema.get_class_schema(name, list(profiles)))
    for error in validators[key].iter_errors(event):
        problems.append("%s (%s): %s at %s" % (event["metadata"].get("event_code"), name,
                                                error.message, list(error.absolute_path)))
    if event["type_uid"] != event["class_uid"] * 100 + event["activity_id"]:
        problems.append("type_uid of " + json.dumps(event))
    if event["metadata"]["version"] != "1.1.0":
        problems.append("version of " + json.dumps(event))
if problems:
    sys.exit("\n".join(problems))
print("valid")
"#;

/// Fails unless every event validates against its class's schema in OCSF 1.1.0.
pub fn validate_ocsf(events: &[Value]) {
    crate::common::python::require(
        "jsonschema, ocsf_json_schema",
        "the OCSF validator is missing: `python3 -m pip install ocsf-json-schema==1.2.0 \
         jsonschema==4.26.0` (.ci/run installs it)",
    );
    let out = crate::common::python::run(
        OCSF_CHECK,
        &Value::Array(events.to_vec()).to_string(),
        "an OCSF event does not validate",
    );
    assert_eq!(String::from_utf8_lossy(&out).trim(), "valid");
}

fn lines_of(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

/// Records one event of every action an org admin, an engineer, an operator and time can
/// cause, with an OCSF webhook taking the org's.
fn every_action_exports_as_an_event_valid_for_its_ocsf_class(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    let support = support(&server);
    let operator = operator(&server);
    let (siem, secret) = add_webhook(
        &admin,
        &format!("{}/siem", receiver.url),
        json!({"format": "ocsf"}),
    );
    let (other, _) = add_webhook(
        &admin,
        &format!("{}/other", receiver.url),
        json!({"events": ["none.none"]}),
    );
    admin
        .post_empty(&format!("/v1/orgs/acme/webhooks/{other}/rotate-secret"))
        .assert_ok();
    admin
        .delete(&format!("/v1/orgs/acme/webhooks/{other}"))
        .assert_ok();

    let second = create_account(&server, "second@acme.test", "admin", Some(ACME));
    let third = create_account(&server, "third@acme.test", "admin", Some(ACME));
    let leaving = create_account(&server, "leaving@acme.test", "admin", Some(ACME));
    operator
        .post_empty(&format!("/v1/accounts/{}/rotate-token", leaving.id))
        .assert_ok();
    operator
        .post_empty(&format!("/v1/accounts/{}/disable", leaving.id))
        .assert_ok();

    let grant = admin.grant(json!({"level": "member", "areas": ["chats", "documents"],
        "reason": "case 7", "ticket": "T-7", "duration_seconds": 3600}));
    admin
        .post(
            &format!("/v1/orgs/acme/grants/{grant}/extend"),
            json!({"duration_seconds": 600}),
        )
        .assert_ok();
    let (session, token) = support.open(json!({"areas": ["chats"], "reason": "look"}));
    authorize(&server, &token, "chats", "read");
    authorize(&server, &token, "documents", "write");
    support
        .post(
            &format!("/v1/sessions/{session}/close"),
            json!({"reason": "done"}),
        )
        .assert_ok();
    revoke(&admin, ACME, &grant).assert_ok();
    let brief = admin.grant(json!({"level": "read-only", "duration_seconds": 5, "reason": "b"}));
    let (lapsing_session, _) = support.open(json!({"grant_id": brief, "reason": "brief"}));
    server.advance(5);
    wait_for_event(&admin, ACME, "grant.expired", &brief);
    wait_for_event(&admin, ACME, "session.expired", &lapsing_session);

    let file = |level: &str| -> String {
        let reply = support.post(
            "/v1/orgs/acme/requests",
            json!({"level": level, "reason": "ticket 9"}),
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    };
    let approved = file("member");
    admin
        .post_empty(&format!("/v1/orgs/acme/requests/{approved}/approve"))
        .assert_ok();
    let denied = file("member");
    admin
        .post(
            &format!("/v1/orgs/acme/requests/{denied}/deny"),
            json!({"comment": "not today"}),
        )
        .assert_ok();
    let cancelled = file("member");
    support
        .post_empty(&format!("/v1/requests/{cancelled}/cancel"))
        .assert_ok();
    let lapsing = file("member");
    // A rule approves a request when it is filed; removed, it approves nothing more; a
    // ticket's closing cancels a pending request with it.
    let rule = admin.post(
        "/v1/orgs/acme/approval-rules",
        json!({"name": "chats", "max_level": "read-only", "areas": ["chats"],
               "max_duration_seconds": 3600, "expires_at": plus(now(&server), 86400)}),
    );
    assert_eq!(rule.status, 201, "{}", rule.body);
    let by_rule = support.post(
        "/v1/orgs/acme/requests",
        json!({"level": "read-only", "areas": ["chats"], "duration_seconds": 600,
               "reason": "ticket 10"}),
    );
    assert_eq!(by_rule.body["status"], "approved", "{}", by_rule.body);
    admin
        .delete("/v1/orgs/acme/approval-rules/chats")
        .assert_ok();
    let ticketed = support.post(
        "/v1/orgs/acme/requests",
        json!({"level": "read-only", "areas": ["issues"], "reason": "ticket 11",
               "ticket": "T-11"}),
    );
    assert_eq!(ticketed.status, 201, "{}", ticketed.body);
    service(&server)
        .post_empty("/v1/orgs/acme/tickets/T-11/close")
        .assert_ok();
    // Signed as the standard format is: checked while the server's clock is still the real
    // one, which svix compares the signature's timestamp with.
    let signed = receiver.wait_for(WAIT, |r| {
        r.iter()
            .any(|r| r.path == "/siem" && r.json()["metadata"]["event_code"] == "request.created")
    });
    let signed: Vec<_> = signed.into_iter().filter(|r| r.path == "/siem").collect();
    verify_with_svix(&signed, &[&secret], &[]);
    server.advance(12 * 3600);
    wait_for_event(&admin, ACME, "request.expired", &lapsing);

    // Three approvals for admin access: one approval is recorded as added, and weakening the
    // policy back is a proposal that the other two admins approve.
    let guarded =
        crate::api_policy::change(&server, |p| p["approvals_required"]["admin"] = json!(3));
    let half_approved = file("admin");
    admin
        .post_empty(&format!("/v1/orgs/acme/requests/{half_approved}/approve"))
        .assert_ok();
    let mut weaker = guarded.clone();
    weaker["approvals_required"]["admin"] = json!(1);
    let proposed = crate::api_policy::put(&admin, ACME, &weaker);
    assert_eq!(proposed.status, 202, "{}", proposed.body);
    let change = json!({"id": proposed.body["id"]});
    for approver in [&second, &third] {
        client(&server, &approver.token)
            .post("/v1/orgs/acme/policy/pending/approve", change.clone())
            .assert_ok();
    }

    // Break-glass: turned on, filed, confirmed by the operator, one grant acknowledged and
    // another disputed.
    crate::api_break_glass::allow_break_glass(&server, "member", 3600);
    for answer in ["acknowledge", "dispute"] {
        let request = crate::api_break_glass::file_break_glass(
            &support,
            json!({"level": "member", "areas": ["chats"], "reason": "INC-9"}),
        );
        let grant = crate::api_break_glass::confirm(&operator, &request);
        admin
            .post(
                &format!("/v1/orgs/acme/grants/{grant}/{answer}"),
                json!({"reason": "not agreed"}),
            )
            .assert_ok();
    }

    create_org_with_admin(&server, "beta");
    operator.post_empty("/v1/orgs/beta/disable").assert_ok();

    // The org's log and the vendor's, as OCSF lines, one per event of the API.
    let org_events = audit(&admin, ACME);
    let org_lines = lines_of(
        &server
            .as_admin()
            .args(["audit", "list", "--all", "-o", "ocsf"])
            .ok()
            .stdout,
    );
    let vendor_events = operator.all("/v1/audit");
    let vendor_lines = lines_of(
        &server
            .as_operator()
            .args(["audit", "list", "--vendor", "--all", "-o", "ocsf"])
            .ok()
            .stdout,
    );
    for (events, lines) in [(&org_events, &org_lines), (&vendor_events, &vendor_lines)] {
        assert_eq!(lines.len(), events.len());
        for (line, event) in lines.iter().zip(events.iter()) {
            for field in ["seq", "hash", "prev_hash", "org", "action"] {
                assert_eq!(line["unmapped"][field], event[field], "{field} of {line}");
            }
            assert_eq!(line["metadata"]["uid"], event["id"]);
            assert_eq!(line["metadata"]["sequence"], event["seq"]);
        }
    }
    let mut all: Vec<Value> = org_lines.iter().chain(&vendor_lines).cloned().collect();
    let recorded: BTreeSet<&str> = all
        .iter()
        .map(|line| line["metadata"]["event_code"].as_str().unwrap())
        .collect();
    for action in AUDIT_ACTIONS {
        assert!(
            recorded.contains(action)
                || NOT_THROUGH_THE_API.contains(&action)
                || THROUGH_AN_IDENTITY_PROVIDER.contains(&action),
            "no {action} event in {recorded:?}"
        );
    }
    let denial = org_lines
        .iter()
        .find(|line| line["metadata"]["event_code"] == "access.denied")
        .unwrap();
    assert_eq!(
        (denial["class_uid"].clone(), denial["status_id"].clone()),
        (json!(6003), json!(2))
    );

    // The webhook posts the same OCSF events, and the test message as one too.
    admin
        .post_empty(&format!("/v1/orgs/acme/webhooks/{siem}/test"))
        .assert_ok();
    let since_created = org_events
        .iter()
        .skip_while(|event| event["action"] != "webhook.created")
        .map(|event| event["id"].clone())
        .collect::<Vec<_>>();
    let received = receiver.wait_for(WAIT, |r| {
        let uids: Vec<Value> = r
            .iter()
            .filter(|r| r.path == "/siem")
            .map(|r| r.json()["metadata"]["uid"].clone())
            .collect();
        let test_came = r
            .iter()
            .any(|r| r.json()["metadata"]["event_code"] == "webhook.test");
        test_came && since_created.iter().all(|id| uids.contains(id))
    });
    let received: Vec<_> = received.into_iter().filter(|r| r.path == "/siem").collect();
    let bodies: Vec<Value> = received.iter().map(|r| r.json()).collect();
    for body in &bodies {
        if let Some(id) = body["metadata"]["uid"].as_str() {
            let line = org_lines
                .iter()
                .find(|line| line["metadata"]["uid"] == id)
                .unwrap_or_else(|| panic!("{body} is not in the log"));
            assert_eq!(body, line);
        }
    }
    let test = bodies
        .iter()
        .find(|body| body["metadata"]["event_code"] == "webhook.test")
        .expect("the test message came as OCSF");
    assert_eq!(test["entity"]["uid"], siem.as_str());
    all.extend(bodies);
    validate_ocsf(&all);
}

#[test]
fn follow_streams_ocsf_lines_as_events_arrive() {
    let server = TestServer::start();
    let mut child = std_command(
        &server.url,
        &server.tokens.admin,
        &server.dir.path().join("config"),
    )
    .args(["audit", "list", "-f", "-o", "ocsf", "--interval", "50ms"])
    .args(["--tail", "1"])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let lines = JsonLines::of(child.stdout.take().unwrap());
    let last = audit_events(&server).pop().unwrap();
    let context = lines.next_event();
    assert_eq!(context["unmapped"]["hash"], last["hash"]);
    let grant = server
        .admin()
        .grant(json!({"level": "read-only", "engineers": [SUPPORT_EMAIL], "reason": "w"}));
    let created = lines.next_event();
    assert_eq!(created["class_uid"], 3005);
    assert_eq!(created["activity_id"], 1);
    assert_eq!(created["resource"]["uid"], grant.as_str());
    assert_eq!(created["user"]["email_addr"], SUPPORT_EMAIL);
    child.kill().unwrap();
    child.wait().unwrap();
    validate_ocsf(&[context, created]);
}

#[test]
fn ocsf_is_refused_where_there_is_no_ocsf_form() {
    let server = TestServer::start();
    for command in [
        &["grant", "list"][..],
        &["session", "list"],
        &["audit", "verify"],
        &["webhook", "list"],
    ] {
        server
            .as_admin()
            .args(command)
            .args(["-o", "ocsf"])
            .fails(2)
            .stdout_empty()
            .stderr_has("-o ocsf is only for `audit list`");
    }
}

#[test]
fn webhook_add_takes_the_ocsf_format() {
    let server = TestServer::start();
    let added = server
        .as_admin()
        .args([
            "webhook",
            "add",
            "https://siem.example/in",
            "--format",
            "ocsf",
            "-o",
            "json",
        ])
        .ok()
        .json();
    let id = added["webhook"]["id"].as_str().unwrap();
    let listed = server.admin().get(&format!("/v1/orgs/acme/webhooks/{id}"));
    assert_eq!(listed.body["format"], "ocsf", "{}", listed.body);
}

/// The README's "SIEM" section: its table names every action once, with the class the mapping
/// gives it, and its examples are valid events of their classes.
#[test]
fn the_readme_maps_every_action_as_the_code_does_and_its_examples_validate() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme.find("## SIEM: the audit log as OCSF").unwrap();
    let section = &readme[start..start + readme[start..].find("\n## Performance").unwrap()];
    let mut documented = Vec::new();
    for row in section.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let class: i64 = cells[2]
            .rsplit_once('(')
            .and_then(|(_, uid)| uid.trim_end_matches(')').parse().ok())
            .unwrap_or_else(|| panic!("no class uid in {row}"));
        for action in cells[1].split('`').skip(1).step_by(2) {
            let event: supportctl::api::AuditEvent = serde_json::from_value(json!({
                "seq": 1, "id": "ev_1", "at": "2026-01-01T00:00:00Z", "org": "acme",
                "actor": {"id": "ac_1", "email": "a@acme.test", "role": "admin"},
                "action": action, "target": null, "details": {},
                "prev_hash": "", "hash": ""
            }))
            .unwrap();
            let mapped = supportctl::api::ocsf::ocsf_event(&event);
            assert_eq!(mapped["class_uid"], class, "{action} in the README");
            documented.push(action.to_owned());
        }
    }
    documented.sort();
    assert_eq!(
        documented, AUDIT_ACTIONS,
        "the README's table names each action once"
    );
    let examples: Vec<Value> = section
        .split("```json\n")
        .skip(1)
        .map(|block| serde_json::from_str(&block[..block.find("```").unwrap()]).unwrap())
        .collect();
    let classes: BTreeSet<i64> = examples
        .iter()
        .map(|e| e["class_uid"].as_i64().unwrap())
        .collect();
    assert_eq!(classes.len(), 6, "one example per class");
    validate_ocsf(&examples);
}
