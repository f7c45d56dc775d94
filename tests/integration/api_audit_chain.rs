//! The audit chain, re-checked from the API's output alone, the way anyone holding an export
//! would. The check is written here from the rule the README documents, with
//! `serde_json_canonicalizer` (RFC 8785) and `sha2`, not with the crate's own chain module.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, TestServer};
use crate::common::receiver::Receiver;

crate::common::conformance::conformance! {
    the_audit_chain_recomputes_from_the_api_output,
    a_write_of_more_events_than_one_statement_carries_stays_one_chain,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The event's hash by the documented rule: lowercase hex SHA-256 of the RFC 8785 canonical JSON of the
/// event as returned, minus its `hash` member.
fn independent_hash(event: &Value) -> String {
    let mut without_hash = event.as_object().expect("an event is an object").clone();
    without_hash.remove("hash");
    let canonical = serde_json_canonicalizer::to_vec(&Value::Object(without_hash)).unwrap();
    hex::encode(Sha256::digest(&canonical))
}

/// `Err` names the first event where the chain does not hold.
fn check_chain(events: &[Value]) -> Result<(), String> {
    let mut prev = GENESIS.to_owned();
    for (index, event) in events.iter().enumerate() {
        let expected_seq = index as i64 + 1;
        if event["seq"].as_i64() != Some(expected_seq) {
            return Err(format!(
                "entry {index}: seq {} instead of {expected_seq}",
                event["seq"]
            ));
        }
        if event["prev_hash"].as_str() != Some(prev.as_str()) {
            return Err(format!(
                "seq {expected_seq}: prev_hash does not link to the previous hash"
            ));
        }
        let stated = event["hash"].as_str().unwrap_or_default();
        let computed = independent_hash(event);
        if stated != computed {
            return Err(format!(
                "seq {expected_seq}: hash {stated} but content hashes to {computed}"
            ));
        }
        prev = computed;
    }
    Ok(())
}

/// Every event of `org`, walked in small pages.
fn walk(admin: &Api, org: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/orgs/{org}/audit?limit=7&cursor={c}"),
            None => format!("/v1/orgs/{org}/audit?limit=7"),
        };
        let reply = admin.get(&path);
        assert_eq!(reply.status, 200, "{}", reply.body);
        events.extend(reply.body["items"].as_array().unwrap().iter().cloned());
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return events,
        }
    }
}

fn the_audit_chain_recomputes_from_the_api_output(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let support = support(&server);
    let operator = operator(&server);

    // Every kind of event, with text that canonicalization must get right.
    let second_admin = create_account(&server, "ada@acme.test", "admin", Some(ACME));
    let grant = admin.grant(json!({
        "level": "member",
        "areas": ["chats", "documents"],
        "reason": "Ünïcødé \"quoted\" \\ back\tslash — ✓ 𝄞 </script>",
        "ticket": "CASE-7",
        "duration_seconds": 3600,
    }));
    admin
        .post(
            &format!("/v1/orgs/acme/grants/{grant}/extend"),
            json!({"duration_seconds": 600}),
        )
        .assert_ok();
    let (session, token) =
        support.open(json!({"areas": ["chats"], "reason": "line one\nline two"}));
    authorize(&server, &token, "chats", "write");
    authorize(&server, &token, "documents", "read");
    service(&server)
        .post(
            "/v1/authorize",
            json!({"token": token, "area": "chats", "action": "read", "resource": "chat/€1"}),
        )
        .assert_ok();
    support
        .post(
            &format!("/v1/sessions/{session}/close"),
            json!({"reason": "done"}),
        )
        .assert_ok();
    let doomed = admin.grant(json!({"level": "admin", "reason": "to revoke"}));
    support.open(json!({"grant_id": doomed, "reason": "x"}));
    admin
        .post(
            &format!("/v1/orgs/acme/grants/{doomed}/revoke"),
            json!({"reason": "no longer needed"}),
        )
        .assert_ok();
    let bulk = admin.grant(json!({"level": "read-only", "reason": "bulk"}));
    admin
        .post(
            "/v1/orgs/acme/grants/revoke",
            json!({"ids": [bulk, unknown_id("gr")]}),
        )
        .assert_ok();
    operator
        .post_empty(&format!("/v1/accounts/{}/rotate-token", second_admin.id))
        .assert_ok();
    operator
        .post_empty(&format!("/v1/accounts/{}/disable", second_admin.id))
        .assert_ok();
    let brief = admin.grant(json!({"level": "read-only", "duration_seconds": 5, "reason": "b"}));
    server.advance(5);
    wait_for_event(&admin, ACME, "grant.expired", &brief);

    let events = walk(&admin, ACME);
    assert_eq!(
        events,
        audit(&admin, ACME),
        "small pages and one big page agree"
    );
    check_chain(&events).unwrap_or_else(|e| panic!("{e}\n{events:#?}"));
    assert!(events.len() >= 15, "{}", events.len());
    let actions: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "org.created",
        "account.created",
        "grant.created",
        "grant.extended",
        "grant.revoked",
        "grant.expired",
        "session.opened",
        "session.closed",
        "access.allowed",
        "access.denied",
        "account.token_rotated",
        "account.disabled",
    ] {
        assert!(actions.contains(action), "no {action} event in {actions:?}");
    }
    for event in &events {
        let mut fields: Vec<&str> = event
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "action",
                "actor",
                "at",
                "details",
                "hash",
                "id",
                "org",
                "prev_hash",
                "seq",
                "target"
            ],
            "{event}"
        );
        assert_eq!(event["org"], "acme");
        let hash = event["hash"].as_str().unwrap();
        assert!(
            hash.len() == 64
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
    let created = events
        .iter()
        .find(|e| e["action"] == "grant.created")
        .unwrap();
    assert_eq!(
        created["details"]["reason"],
        "Ünïcødé \"quoted\" \\ back\tslash — ✓ 𝄞 </script>"
    );

    // Another org's chain starts from genesis of its own.
    let beta = client(&server, &create_org_with_admin(&server, "beta").token);
    grant_in(&beta, "beta", json!({"level": "member", "reason": "beta"}));
    let beta_events = walk(&beta, "beta");
    assert_eq!(beta_events[0]["prev_hash"], GENESIS);
    check_chain(&beta_events).unwrap();

    // The check is not vacuous: any edit, removal or reordering is caught where it happens.
    let mut edited = events.clone();
    edited[4]["details"]["forged"] = json!(true);
    assert!(check_chain(&edited).unwrap_err().starts_with("seq 5: hash"));
    let mut rehashed = events.clone();
    rehashed[4]["actor"]["email"] = json!("someone-else@acme.test");
    let forged = independent_hash(&rehashed[4]);
    rehashed[4]["hash"] = json!(forged);
    assert!(
        check_chain(&rehashed)
            .unwrap_err()
            .starts_with("seq 6: prev_hash")
    );
    let mut removed = events.clone();
    removed.remove(3);
    assert!(
        check_chain(&removed)
            .unwrap_err()
            .contains("seq 5 instead of 4")
    );
    let mut swapped = events;
    swapped.swap(2, 3);
    assert!(check_chain(&swapped).is_err());
}

/// A bulk revoke records one event per grant and one delivery per event in one transaction,
/// sent as several statements when they are many (on PostgreSQL past a few kilobytes): the
/// chain still has no gap, and every event has its delivery.
fn a_write_of_more_events_than_one_statement_carries_stays_one_chain(backend: Backend) {
    const GRANTS: usize = 80;
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let receiver = Receiver::start();
    let (webhook, _) =
        crate::api_webhooks::add_webhook(&admin, &format!("{}/hook", receiver.url), json!({}));
    let ids: Vec<String> = (0..GRANTS)
        .map(|n| admin.grant(json!({"level": "member", "reason": format!("bulk {n}")})))
        .collect();
    let reply = admin.post("/v1/orgs/acme/grants/revoke", json!({"ids": ids}));
    assert_eq!(reply.status, 200, "{}", reply.body);

    let events = walk(&admin, ACME);
    check_chain(&events).unwrap_or_else(|e| panic!("{e}"));
    let revoked: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "grant.revoked")
        .collect();
    assert_eq!(revoked.len(), GRANTS);
    let first = revoked[0]["seq"].as_i64().unwrap();
    let seqs: Vec<i64> = revoked.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (first..first + GRANTS as i64).collect::<Vec<_>>());
    let mut delivered: Vec<i64> = admin
        .all(&format!("/v1/orgs/acme/webhooks/{webhook}/deliveries"))
        .iter()
        .filter(|d| d["event_type"] == "grant.revoked")
        .map(|d| d["event_seq"].as_i64().unwrap())
        .collect();
    delivered.sort_unstable();
    assert_eq!(delivered, seqs);
}
