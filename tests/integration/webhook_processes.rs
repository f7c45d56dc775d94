//! Webhooks across real server processes: a SIGKILL in the middle of a burst loses no
//! delivery (the outbox row commits with its event), and two PostgreSQL replicas sharing the
//! outbox never attempt one delivery twice at once, and wake each other for new deliveries.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::harness::{Api, PgDatabase, skip_postgres};
use crate::common::receiver::Receiver;
use crate::common::server_process::{Launch, ServerProcess};

const ALLOW: [&str; 2] = ["--allow-http-webhooks", "--allow-private-webhooks"];

fn start(db: &str, log: &std::path::Path, dev: bool) -> ServerProcess {
    ServerProcess::start(Launch {
        db,
        log,
        log_filter: "info,sqlx=warn",
        dev,
        extra_args: if dev { &[] } else { &ALLOW },
    })
}

fn add_webhook(admin: &Api, url: &str) -> String {
    let reply = admin.post("/v1/orgs/acme/webhooks", json!({"url": url}));
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["webhook"]["id"].as_str().unwrap().to_owned()
}

/// The ids of the org's events from the webhook's creation on: the ones it subscribes to.
fn audit_ids(admin: &Api) -> Vec<String> {
    let events = admin.all("/v1/orgs/acme/audit");
    let first = events
        .iter()
        .position(|e| e["action"] == "webhook.created")
        .expect("the webhook's creation is in the log");
    events[first..]
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_kill_9_in_the_middle_of_a_burst_loses_no_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("hooks.db").display());
    let mut server = start(&db, &dir.path().join("server-0.log"), true);
    let tokens = server.tokens.clone().unwrap();
    let receiver = Receiver::start();
    // Slow enough that deliveries queue up behind the burst.
    receiver.slow(Duration::from_millis(200));
    add_webhook(&server.api(&tokens.admin), &receiver.url);

    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (url, token) = (
                format!("{}/v1/orgs/acme/grants", server.url),
                tokens.admin.clone(),
            );
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            thread::spawn(move || {
                // Not `Api`: a request cut off by the kill is an outcome here, not a failure.
                let http = crate::common::harness::http_client();
                while !stop.load(Ordering::SeqCst) {
                    let sent = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({"level": "member", "reason": "burst"}))
                        .send();
                    match sent {
                        Ok(reply) if reply.status() == 201 => {
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    while acknowledged.load(Ordering::SeqCst) < 300 {
        thread::sleep(Duration::from_millis(5));
    }
    server.kill9();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap();
    }
    let received_at_kill = receiver.received().len();

    let server = start(&db, &dir.path().join("server-1.log"), false);
    let admin = server.api(&tokens.admin);
    let events = audit_ids(&admin);
    assert!(events.len() > 300, "{} events", events.len());
    assert!(
        received_at_kill < events.len(),
        "the kill came before every delivery ({received_at_kill} of {})",
        events.len()
    );
    let received = receiver.wait_for(Duration::from_secs(60), |r| {
        let ids: HashSet<&str> = r.iter().map(|r| r.id.as_str()).collect();
        events.iter().all(|id| ids.contains(id.as_str()))
    });
    // Every committed event was delivered; more only for attempts cut off by the kill.
    assert!(received.len() >= events.len());
}

#[test]
fn replicas_share_the_outbox_and_attempt_each_delivery_once() {
    if skip_postgres("webhook_processes::replicas_share_the_outbox_and_attempt_each_delivery_once")
    {
        return;
    }
    let db = PgDatabase::create();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = start(&db.url, &dirs[0].path().join("a.log"), true);
    let b = start(&db.url, &dirs[1].path().join("b.log"), false);
    let tokens = a.tokens.clone().unwrap();
    let receiver = Receiver::start();
    receiver.slow(Duration::from_millis(5));
    let webhook = add_webhook(&a.api(&tokens.admin), &receiver.url);
    let writers: Vec<_> = [&a, &b, &a, &b]
        .iter()
        .map(|replica| {
            let admin = replica.api(&tokens.admin);
            thread::spawn(move || {
                for _ in 0..100 {
                    let reply = admin.post(
                        "/v1/orgs/acme/grants",
                        json!({"level": "member", "reason": "replicas"}),
                    );
                    assert_eq!(reply.status, 201, "{}", reply.body);
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let admin = a.api(&tokens.admin);
    let events = audit_ids(&admin);
    let received = receiver.wait_for(Duration::from_secs(60), |r| r.len() >= events.len());
    thread::sleep(Duration::from_millis(500));
    let received_now = receiver.received();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for request in &received_now {
        *counts.entry(request.id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(received.len(), events.len());
    let deliveries: Vec<Value> = admin.all(&format!("/v1/orgs/acme/webhooks/{webhook}/deliveries"));
    assert!(
        deliveries
            .iter()
            .all(|d| d["attempts"] == 1 && d["status"] == "delivered")
    );
}

/// A replica learns of deliveries another one enqueued from its `NOTIFY`, not from its poll:
/// A makes no attempts itself, and B polls only hourly, so only the wake-up can bring B to
/// them within the wait (a bound that is about the test machine, not about the wake-up).
#[test]
fn a_replica_is_woken_for_deliveries_another_enqueued() {
    if skip_postgres("webhook_processes::a_replica_is_woken_for_deliveries_another_enqueued") {
        return;
    }
    let db = PgDatabase::create();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = ServerProcess::start(Launch {
        db: &db.url,
        log: &dirs[0].path().join("a.log"),
        log_filter: "info,sqlx=warn",
        dev: true,
        extra_args: &["--webhook-concurrency", "0"],
    });
    let mut args = ALLOW.to_vec();
    args.extend(["--webhook-poll-interval", "1h"]);
    let _b = ServerProcess::start(Launch {
        db: &db.url,
        log: &dirs[1].path().join("b.log"),
        log_filter: "info,sqlx=warn",
        dev: false,
        extra_args: &args,
    });
    let tokens = a.tokens.clone().unwrap();
    let admin = a.api(&tokens.admin);
    let receiver = Receiver::start();
    add_webhook(&admin, &receiver.url);
    let wait = Duration::from_secs(20);
    let created = receiver.wait_for(wait, |r| !r.is_empty());
    assert_eq!(created[0].json()["type"], "webhook.created");
    // And again once B has certainly gone back to waiting.
    thread::sleep(Duration::from_millis(300));
    let reply = admin.post(
        "/v1/orgs/acme/grants",
        json!({"level": "member", "reason": "wake"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let received = receiver.wait_for(wait, |r| r.len() >= 2);
    assert_eq!(received[1].json()["type"], "grant.created");
}
