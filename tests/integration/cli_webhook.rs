//! `supportctl webhook ...` through the real binary against the real server.

use serde_json::Value;

use crate::common::cli::Cli;
use crate::common::harness::TestServer;
use crate::common::receiver::{Receiver, verify_with_svix};

#[test]
fn add_list_show_test_deliveries_redeliver_rotate_and_remove() {
    let server = TestServer::start();
    let receiver = Receiver::start();

    // -q: only the secret, once.
    let out = server
        .as_admin()
        .args(["webhook", "add", &format!("{}/in", receiver.url)])
        .args([
            "--events",
            "webhook.*,grant.*",
            "--description",
            "siem",
            "-q",
        ])
        .ok();
    let secret = out.stdout.trim().to_owned();
    assert!(secret.starts_with("whsec_"), "{out}");

    let out = server
        .as_admin()
        .args(["webhook", "list", "-o", "json"])
        .ok();
    let listed: Value = serde_json::from_str(&out.stdout).unwrap();
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        listed[0]["events"],
        serde_json::json!(["grant.*", "webhook.*"])
    );
    assert!(!out.stdout.contains("whsec_"));
    let out = server.as_admin().args(["webhook", "show", &id]).ok();
    assert!(
        out.stdout.contains(&id) && !out.stdout.contains("whsec_"),
        "{out}"
    );

    // `test` waits for the receiver's answer and says it, then its hint.
    let out = server.as_admin().args(["webhook", "test", &id]).ok();
    let lines: Vec<&str> = out.stderr.lines().collect();
    let done = lines
        .iter()
        .position(|line| line.starts_with("✓ Sent a test message (dlv_"))
        .unwrap_or_else(|| panic!("no ✓ line: {out}"));
    assert!(
        lines[done].ends_with("the receiver answered HTTP 200"),
        "{out}"
    );
    assert!(lines[done + 1].starts_with("hint: "), "{out}");
    let received = receiver.wait_for(std::time::Duration::from_secs(10), |r| r.len() >= 2);
    verify_with_svix(&received, &[&secret], &[]);
    // Newest first: the test heads the list.
    let out = server
        .as_admin()
        .args(["webhook", "deliveries", &id, "-o", "json"])
        .ok();
    let listed = out.json();
    assert_eq!(listed[0]["event_type"], "webhook.test", "{out}");
    assert_eq!(listed[1]["event_type"], "webhook.created", "{out}");

    let out = server
        .as_admin()
        .args([
            "webhook",
            "deliveries",
            &id,
            "--status",
            "delivered",
            "-o",
            "json",
        ])
        .ok();
    let deliveries: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(deliveries.as_array().unwrap().len(), 2, "{out}");
    // Newest first: [0] is the test message, [1] the webhook's creation.
    assert_eq!(deliveries[0]["event_type"], "webhook.test", "{out}");
    let delivery = deliveries[0]["id"].as_str().unwrap();
    server
        .as_admin()
        .args(["webhook", "redeliver", &id, delivery])
        .ok();
    let again = receiver.wait_for(std::time::Duration::from_secs(10), |r| r.len() >= 3);
    assert_eq!(
        again[2].id, again[1].id,
        "a redelivery keeps the webhook-id"
    );

    let out = server
        .as_admin()
        .args(["webhook", "rotate-secret", &id, "-q"])
        .ok();
    let rotated = out.stdout.trim().to_owned();
    assert!(rotated.starts_with("whsec_") && rotated != secret);
    // --now: the old secret stops signing at once.
    let out = server
        .as_admin()
        .args(["webhook", "rotate-secret", &id, "--now", "-q"])
        .ok();
    let now_secret = out.stdout.trim().to_owned();
    assert!(now_secret.starts_with("whsec_") && now_secret != rotated);
    server.as_admin().args(["webhook", "test", &id]).ok();
    // Received: created, test, redelivery, two webhook.secret_rotated and this test.
    let last = receiver.wait_for(std::time::Duration::from_secs(10), |r| r.len() >= 6);
    let test = last
        .iter()
        .rfind(|r| r.json()["type"] == "webhook.test")
        .unwrap();
    verify_with_svix(
        std::slice::from_ref(test),
        &[&now_secret],
        &[&rotated, &secret],
    );
    // A receiver that fails: `test` says it is being retried.
    receiver.script(&[503]);
    let out = server.as_admin().args(["webhook", "test", &id]).ok();
    assert!(
        out.stderr.contains("retrying; attempt 1 got HTTP 503"),
        "{out}"
    );
    server
        .as_admin()
        .args(["webhook", "remove", &id, "--yes"])
        .ok();
    let out = server
        .as_admin()
        .args(["webhook", "list", "-o", "json"])
        .ok();
    assert_eq!(out.stdout.trim(), "[]");
}
