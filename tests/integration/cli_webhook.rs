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

    server.as_admin().args(["webhook", "test", &id]).ok();
    let received = receiver.wait_for(std::time::Duration::from_secs(10), |r| r.len() >= 2);
    verify_with_svix(&received, &[&secret], &[]);

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
    let delivery = deliveries[1]["id"].as_str().unwrap();
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
    assert!(out.stdout.trim().starts_with("whsec_") && out.stdout.trim() != secret);
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
