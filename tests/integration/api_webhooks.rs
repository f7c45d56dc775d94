//! Webhooks: management, Standard Webhooks signatures checked by an independent verifier,
//! bodies that carry the audit event exactly, retries on the test's clock, 410, rotation,
//! private addresses, Slack text and `grant.expiring`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::fixtures::*;
use crate::common::harness::{Api, Backend, ServerOptions, TestServer, run_sql};
use crate::common::receiver::{Receiver, verify_with_svix};

crate::common::conformance::conformance! {
    deliveries_are_signed_and_carry_the_audit_event_exactly,
    failed_attempts_are_retried_on_the_schedule_then_fail,
    gone_disables_the_webhook,
    rotation_signs_with_both_secrets_for_a_day,
    private_addresses_are_refused_at_each_attempt,
    slack_format_posts_one_sentence,
    grant_expiring_is_sent_once_and_rearmed_by_extend,
    webhooks_are_managed_by_their_org_admins,
    rotation_can_end_the_old_secret_at_once,
    webhook_events_record_the_urls_origin_only,
    deliveries_are_listed_newest_first,
}

const WAIT: Duration = Duration::from_secs(10);

/// Adds a webhook to acme; returns its id and secret.
pub fn add_webhook(admin: &Api, url: &str, extra: Value) -> (String, String) {
    let mut body = json!({"url": url});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    let reply = admin.post("/v1/orgs/acme/webhooks", body);
    assert_eq!(reply.status, 201, "{}", reply.body);
    (
        reply.body["webhook"]["id"].as_str().unwrap().to_owned(),
        reply.body["secret"].as_str().unwrap().to_owned(),
    )
}

fn deliveries(admin: &Api, webhook: &str) -> Vec<Value> {
    admin.all(&format!("/v1/orgs/acme/webhooks/{webhook}/deliveries"))
}

/// Waits until the delivery of `event_type` satisfies `done`.
fn wait_delivery(
    admin: &Api,
    webhook: &str,
    event_type: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let found = deliveries(admin, webhook)
            .into_iter()
            .find(|d| d["event_type"] == event_type);
        if let Some(delivery) = &found
            && done(delivery)
        {
            return delivery.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "delivery of {event_type} never got there: {found:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn deliveries_are_signed_and_carry_the_audit_event_exactly(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    let (webhook, secret) = add_webhook(&admin, &format!("{}/hook", receiver.url), json!({}));
    let grant = admin.grant(json!({"level": "member", "reason": "case 7", "ticket": "T-7"}));
    revoke(&admin, ACME, &grant).assert_ok();
    let mut received = receiver.wait_for(WAIT, |r| r.len() >= 3);
    // Attempts run concurrently: receivers order by the event's seq.
    received.sort_by_key(|r| r.json()["data"]["seq"].as_i64());
    let types: Vec<Value> = received.iter().map(|r| r.json()["type"].clone()).collect();
    assert_eq!(
        types,
        [
            json!("webhook.created"),
            json!("grant.created"),
            json!("grant.revoked")
        ]
    );
    // `data` is the event exactly as the audit API returns it.
    let events = audit(&admin, ACME);
    for request in &received {
        let body = request.json();
        let data = &body["data"];
        let event = events
            .iter()
            .find(|e| e["id"] == data["id"])
            .expect("the event is in the audit log");
        assert_eq!(data, event);
        assert_eq!(body["timestamp"], event["at"]);
        assert_eq!(request.id, event["id"].as_str().unwrap(), "webhook-id");
        assert_eq!(request.path, "/hook");
    }
    let hashed = verify_with_svix(
        &received,
        &[&secret],
        &["whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
    );
    assert_eq!(hashed, 3, "every audit event's hash was recomputed");
    let list = deliveries(&admin, &webhook);
    assert!(
        list.iter()
            .all(|d| d["status"] == "delivered" || d["status"] == "pending")
    );
    wait_delivery(&admin, &webhook, "grant.revoked", |d| {
        d["status"] == "delivered" && d["attempts"] == 1 && d["last_status"] == 200
    });
}

fn failed_attempts_are_retried_on_the_schedule_then_fail(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    receiver.script(&[500, 503]);
    let (webhook, secret) = add_webhook(&admin, &receiver.url, json!({"events": ["webhook.*"]}));
    let first = wait_delivery(&admin, &webhook, "webhook.created", |d| {
        d["attempts"] == 1 && d["status"] == "pending" && d["last_status"] == 500
    });
    assert_eq!(first["last_status"], 500);
    let next = ts(&first["next_attempt_at"]).as_second() - now(&server).as_second();
    assert!(
        (4..=6).contains(&next),
        "first retry after about 5 s, not {next}"
    );
    // Nothing happens until the clock gets there.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(receiver.received().len(), 1);
    server.advance(next);
    let second = wait_delivery(&admin, &webhook, "webhook.created", |d| {
        d["attempts"] == 2 && d["status"] == "pending" && d["last_status"] == 503
    });
    assert_eq!(second["last_status"], 503);
    let next = ts(&second["next_attempt_at"]).as_second() - now(&server).as_second();
    assert!(
        (24..=36).contains(&next),
        "second retry after about 30 s, not {next}"
    );
    server.advance(next);
    wait_delivery(&admin, &webhook, "webhook.created", |d| {
        d["status"] == "delivered" && d["attempts"] == 3
    });
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert!(
        received.iter().all(|r| r.id == received[0].id),
        "webhook-id is the same on every attempt"
    );
    verify_with_svix(&received, &[&secret], &[]);

    // A receiver that never answers 2xx: tried for 24 hours, then failed.
    let (failing, _) = add_webhook(
        &admin,
        &format!("{}/down", receiver.url),
        json!({"events": ["webhook.test"]}),
    );
    receiver.script(&[500; 40]);
    admin
        .post_empty(&format!("/v1/orgs/acme/webhooks/{failing}/test"))
        .assert_ok();
    let mut attempts = 0;
    loop {
        let delivery = wait_delivery(&admin, &failing, "webhook.test", |d| {
            // Finished: failed, or pending with its next attempt ahead.
            d["attempts"].as_i64() > Some(attempts)
                && (d["status"] == "failed"
                    || ts(&d["next_attempt_at"]).as_second() > now(&server).as_second())
        });
        attempts = delivery["attempts"].as_i64().unwrap();
        if delivery["status"] == "failed" {
            break;
        }
        assert_eq!(delivery["status"], "pending");
        let wait = ts(&delivery["next_attempt_at"]).as_second() - now(&server).as_second();
        assert!(
            wait <= 2 * 3600 + 1440,
            "at most every 2 hours (with jitter), not {wait} s"
        );
        server.advance(wait.max(1));
    }
    // 5 s, 30 s, 2 m, 10 m, 30 m, 1 h, then every 2 h: about 17 attempts in 24 hours.
    assert!((14..=20).contains(&attempts), "{attempts} attempts");
    let failed = deliveries(&admin, &failing);
    assert_eq!(failed[0]["next_attempt_at"], Value::Null);
    let listed = admin.get(&format!(
        "/v1/orgs/acme/webhooks/{failing}/deliveries?status=failed"
    ));
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
}

fn gone_disables_the_webhook(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    receiver.script(&[410]);
    let (webhook, _) = add_webhook(&admin, &receiver.url, json!({}));
    wait_delivery(&admin, &webhook, "webhook.created", |d| {
        d["status"] == "failed"
    });
    let shown = admin.get(&format!("/v1/orgs/acme/webhooks/{webhook}"));
    assert!(shown.body["disabled_at"].is_string(), "{}", shown.body);
    admin
        .post_empty(&format!("/v1/orgs/acme/webhooks/{webhook}/test"))
        .assert_problem(409, "conflict");
    // Disabled: later events are not delivered.
    admin.grant(json!({"level": "member", "reason": "after 410"}));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(receiver.received().len(), 1);
    // A delivery an event added as the webhook was being disabled (a race on PostgreSQL) is
    // failed too, not left pending for ever.
    run_sql(
        &server.db_url,
        &format!(
            "INSERT INTO webhook_deliveries (id, webhook_pk, msg_id, event_type, event_seq, \
             event_at, payload, status, attempts, created_at, next_attempt_at) \
             SELECT 'dl_raced', webhook_pk, 'msg_raced', event_type, event_seq, event_at, \
             payload, 'pending', 0, created_at, 0 FROM webhook_deliveries \
             WHERE webhook_pk = (SELECT pk FROM webhooks WHERE id = '{webhook}')"
        ),
    );
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let raced = deliveries(&admin, &webhook)
            .into_iter()
            .find(|d| d["id"] == "dl_raced")
            .expect("the inserted delivery is listed");
        if raced["status"] == "failed" {
            assert_eq!(
                raced["last_error"],
                "webhook disabled: the receiver answered 410 Gone"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a delivery of a disabled webhook stays {}",
            raced["status"]
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(receiver.received().len(), 1);
}

fn rotation_signs_with_both_secrets_for_a_day(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    let (webhook, old) = add_webhook(&admin, &receiver.url, json!({"events": ["webhook.test"]}));
    let rotated = admin.post_empty(&format!("/v1/orgs/acme/webhooks/{webhook}/rotate-secret"));
    rotated.assert_ok();
    let new = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(new.starts_with("whsec_"));
    admin
        .post_empty(&format!("/v1/orgs/acme/webhooks/{webhook}/test"))
        .assert_ok();
    let during = receiver.wait_for(WAIT, |r| !r.is_empty());
    assert_eq!(
        during[0].signature.split(' ').count(),
        2,
        "{}",
        during[0].signature
    );
    assert_eq!(during[0].json()["type"], "webhook.test");
    verify_with_svix(&during, &[&old, &new], &[]);
    // After 24 hours only the new secret signs.
    server.advance(24 * 3600 + 1);
    admin
        .post_empty(&format!("/v1/orgs/acme/webhooks/{webhook}/test"))
        .assert_ok();
    let after = receiver.wait_for(WAIT, |r| r.len() >= 2);
    assert_eq!(after[1].signature.split(' ').count(), 1);
    // (svix checks the timestamp against the real clock: check the signature count only.)
    // Secrets are shown only when made.
    let shown = admin.get(&format!("/v1/orgs/acme/webhooks/{webhook}"));
    assert!(!shown.body.to_string().contains("whsec_"), "{}", shown.body);
    let listed = admin.get("/v1/orgs/acme/webhooks");
    assert!(!listed.body.to_string().contains("whsec_"));
}

fn private_addresses_are_refused_at_each_attempt(backend: Backend) {
    let server = TestServer::with(ServerOptions {
        backend,
        webhooks: supportctl::server::webhooks::WebhookSettings {
            allow_http: true,
            allow_private: false,
            poll_interval: Duration::from_millis(50),
            ..Default::default()
        },
        ..ServerOptions::default()
    });
    let receiver = Receiver::start();
    let admin = admin(&server);
    // A literal private address is refused at once.
    let refused = admin.post("/v1/orgs/acme/webhooks", json!({"url": receiver.url}));
    refused.assert_problem(422, "policy_violation");
    for url in [
        "http://10.0.0.1/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest",
        "http://198.18.0.1/x",
        "http://192.0.0.170/x",
        "http://240.0.0.1/x",
        "http://224.0.0.1/x",
        "http://[fec0::1]/x",
        "http://[ff02::1]/x",
        "http://[::127.0.0.1]/x",
        "http://[::ffff:0:7f00:1]/x",
        "http://[64:ff9b::a9fe:a9fe]/x",
        "http://[2002:7f00:1::1]/x",
    ] {
        admin
            .post("/v1/orgs/acme/webhooks", json!({"url": url}))
            .assert_problem(422, "policy_violation");
    }
    // A name is checked where it resolves, at each attempt.
    let port = receiver.url.rsplit(':').next().unwrap();
    let (webhook, _) = add_webhook(&admin, &format!("http://localhost:{port}/x"), json!({}));
    let delivery = wait_delivery(&admin, &webhook, "webhook.created", |d| {
        d["last_error"].is_string()
    });
    // A refusal that does not say what the name resolves to.
    let error = delivery["last_error"].as_str().unwrap();
    assert!(error.contains("not a public address"), "{delivery}");
    assert!(
        !error.contains("127.0.0.1") && !error.contains("::1") && !error.contains("localhost"),
        "{error}"
    );
    assert_eq!(delivery["status"], "pending");
    assert!(receiver.received().is_empty());
    // And https is required without --allow-http-webhooks.
    let strict = TestServer::with(ServerOptions {
        backend,
        webhooks: Default::default(),
        ..ServerOptions::default()
    });
    crate::common::fixtures::admin(&strict)
        .post(
            "/v1/orgs/acme/webhooks",
            json!({"url": "http://hooks.example.com/x"}),
        )
        .assert_problem(422, "policy_violation");
}

fn slack_format_posts_one_sentence(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    add_webhook(
        &admin,
        &receiver.url,
        json!({"format": "slack", "events": ["grant.*"]}),
    );
    admin.grant(json!({
        "level": "member", "areas": ["chats"], "ticket": "INC-12",
        "reason": "outage 12 <!channel> <https://evil.example|runbook> & more",
    }));
    let received = receiver.wait_for(WAIT, |r| !r.is_empty());
    let body = received[0].json();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    let text = body["text"].as_str().unwrap();
    // Shown literally: no mention of everyone, no disguised link.
    assert!(!text.contains('<') && !text.contains('>'), "{text}");
    assert!(
        text.contains(
            "“outage 12 &lt;!channel&gt; &lt;https://evil.example|runbook&gt; &amp; more”"
        ),
        "{text}"
    );
    for part in [
        "admin@acme",
        "grant created",
        "acme",
        "member",
        "chats",
        "INC-12",
        "outage 12",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
}

fn grant_expiring_is_sent_once_and_rearmed_by_extend(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    add_webhook(&admin, &receiver.url, json!({"events": ["grant.expiring"]}));
    let grant = admin.grant(json!({"level": "member", "reason": "x", "duration_seconds": 7200}));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        receiver.received().is_empty(),
        "not yet: 2 h left, warning at 1 h"
    );
    server.advance(3600 + 1);
    let first = receiver.wait_for(WAIT, |r| !r.is_empty());
    let data = &first[0].json()["data"];
    assert_eq!(data["id"], grant.as_str());
    assert_eq!(first[0].json()["type"], "grant.expiring");
    // Once: later sweeps send nothing more.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(receiver.received().len(), 1);
    // Extend re-arms it.
    admin
        .post(
            &format!("/v1/orgs/acme/grants/{grant}/extend"),
            json!({"duration_seconds": 7200}),
        )
        .assert_ok();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(receiver.received().len(), 1);
    server.advance(7200);
    receiver.wait_for(WAIT, |r| r.len() == 2);
}

fn webhooks_are_managed_by_their_org_admins(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(
            add_webhook(
                &admin,
                &format!("https://hooks.example.com/{n}"),
                json!({"description": format!("hook {n}")}),
            )
            .0,
        );
    }
    admin
        .post(
            "/v1/orgs/acme/webhooks",
            json!({"url": "https://hooks.example.com/11"}),
        )
        .assert_problem(422, "policy_violation");
    let listed = admin.get("/v1/orgs/acme/webhooks");
    assert_eq!(listed.body.as_array().unwrap().len(), 10);
    assert_eq!(listed.body[0]["events"], json!(["*"]));
    assert_eq!(listed.body[0]["format"], "standard");
    admin
        .post(
            "/v1/orgs/acme/webhooks",
            json!({"url": "https://hooks.example.com/x", "events": ["grant"]}),
        )
        .assert_problem(422, "invalid_request");
    // A string that is not a URL is valid JSON of the right type, but unprocessable.
    admin
        .post("/v1/orgs/acme/webhooks", json!({"url": ""}))
        .assert_problem(422, "invalid_request");
    let removed = admin.delete(&format!("/v1/orgs/acme/webhooks/{}", ids[0]));
    removed.assert_ok();
    admin
        .get(&format!("/v1/orgs/acme/webhooks/{}", ids[0]))
        .assert_problem(404, "not_found");
    let events = audit(&admin, ACME);
    assert!(with_action(&events, "webhook.created").len() == 10);
    assert!(with_action(&events, "webhook.removed").len() == 1);
}

fn rotation_can_end_the_old_secret_at_once(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    let (webhook, old) = add_webhook(&admin, &receiver.url, json!({"events": ["webhook.test"]}));
    let path = format!("/v1/orgs/acme/webhooks/{webhook}/rotate-secret");
    // A body that is not the schema changes nothing.
    admin
        .post(&path, json!({"expire_previous": "yes"}))
        .assert_problem(400, "invalid_request");
    admin
        .post(&path, json!({"expire_at_once": true}))
        .assert_problem(400, "invalid_request");
    let rotated = admin.post(&path, json!({"expire_previous": true}));
    rotated.assert_ok();
    let new = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    admin
        .post_empty(&format!("/v1/orgs/acme/webhooks/{webhook}/test"))
        .assert_ok();
    let received = receiver.wait_for(WAIT, |r| !r.is_empty());
    assert_eq!(
        received[0].signature.split(' ').count(),
        1,
        "only the new secret signs: {}",
        received[0].signature
    );
    verify_with_svix(&received, &[&new], &[&old]);
    let events = audit(&admin, ACME);
    let rotations = with_action(&events, "webhook.secret_rotated");
    assert_eq!(rotations.len(), 1, "the refused bodies rotated nothing");
    let rotation = rotations[0];
    assert_eq!(rotation["details"]["previous_secret_expired"], true);
    assert_eq!(
        rotation["details"]["previous_secret_signs_until"],
        Value::Null
    );
}

fn webhook_events_record_the_urls_origin_only(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    add_webhook(
        &admin,
        &format!("{}/watcher", receiver.url),
        json!({"events": ["webhook.*"]}),
    );
    let secret_path = "/services/T000/B000/XXXXSECRETXXXX?token=abc";
    let (chat, _) = add_webhook(
        &admin,
        &format!("{}{secret_path}", receiver.url),
        json!({"format": "slack", "events": ["grant.*"]}),
    );
    admin
        .delete(&format!("/v1/orgs/acme/webhooks/{chat}"))
        .assert_ok();
    let events = audit(&admin, ACME);
    for action in ["webhook.created", "webhook.removed"] {
        let event = with_action(&events, action)
            .last()
            .cloned()
            .cloned()
            .unwrap();
        assert_eq!(event["details"]["origin"], receiver.url.as_str(), "{event}");
        assert!(!event.to_string().contains("SECRET"), "{event}");
    }
    // Nor does the other webhook get it.
    let received = receiver.wait_for(WAIT, |r| r.len() >= 3);
    for request in &received {
        assert!(!request.body.contains("SECRET"), "{}", request.body);
    }
}

fn deliveries_are_listed_newest_first(backend: Backend) {
    let server = TestServer::on(backend);
    let receiver = Receiver::start();
    let admin = admin(&server);
    let (webhook, _) = add_webhook(&admin, &receiver.url, json!({}));
    for n in 0..4 {
        admin.grant(json!({"level": "member", "reason": format!("n{n}")}));
    }
    let listed = deliveries(&admin, &webhook);
    let seqs: Vec<i64> = listed
        .iter()
        .map(|d| d["event_seq"].as_i64().unwrap())
        .collect();
    let mut newest_first = seqs.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(seqs, newest_first);
    assert_eq!(listed.len(), 5);
    // Pages go on from newest to oldest.
    let first = admin.get(&format!(
        "/v1/orgs/acme/webhooks/{webhook}/deliveries?limit=2"
    ));
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = admin.get(&format!(
        "/v1/orgs/acme/webhooks/{webhook}/deliveries?limit=2&cursor={cursor}"
    ));
    let ids = |reply: &crate::common::harness::Reply| -> Vec<Value> {
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].clone())
            .collect()
    };
    let paged: Vec<Value> = ids(&first).into_iter().chain(ids(&second)).collect();
    let expected: Vec<Value> = listed.iter().take(4).map(|d| d["id"].clone()).collect();
    assert_eq!(paged, expected);
    // A test message heads the list at once.
    let sent = admin.post_empty(&format!("/v1/orgs/acme/webhooks/{webhook}/test"));
    assert_eq!(deliveries(&admin, &webhook)[0]["id"], sent.body["id"]);
}

/// PostgreSQL only: SQLite's one writer holds the whole database, so its transactions never
/// wait for each other's rows. Deleting a webhook while the worker records failed attempts of
/// its deliveries deadlocked (one of the two failed, the delete with a 500) when the two locked
/// the same rows in different orders: a blocking transaction makes each wait at the worst
/// moment, then lets go.
#[test]
fn deleting_a_webhook_while_its_failed_attempts_are_recorded_does_not_deadlock() {
    use sqlx::Connection;
    use supportctl::server::domain::webhooks::ClaimLimits;
    use supportctl::server::store::{AttemptOutcome, FinishedAttempt};

    if crate::common::harness::skip_postgres(
        "deleting_a_webhook_while_its_failed_attempts_are_recorded_does_not_deadlock",
    ) {
        return;
    }
    // No worker of the server's own: the test claims and finishes the attempts itself.
    let server = TestServer::with(ServerOptions {
        backend: Backend::Postgres,
        webhooks: supportctl::server::webhooks::WebhookSettings {
            allow_http: true,
            allow_private: true,
            concurrency: 0,
            ..Default::default()
        },
        ..ServerOptions::default()
    });
    let admin = admin(&server);
    let (webhook, _) = add_webhook(
        &admin,
        "https://hooks.example.com/a",
        json!({"events": ["webhook.test"]}),
    );
    for _ in 0..2 {
        admin
            .post(&format!("/v1/orgs/acme/webhooks/{webhook}/test"), json!({}))
            .assert_ok();
    }
    let now = now(&server);
    let store = server.store.clone();
    let mut claimed = server
        .runtime
        .block_on(store.claim_deliveries(
            now,
            now + jiff::SignedDuration::from_secs(60),
            ClaimLimits::new(64, 64),
        ))
        .unwrap();
    assert_eq!(claimed.len(), 2);
    claimed.sort_by_key(|delivery| delivery.pk);
    let newest = claimed[1].pk;
    // The worker hands over its attempts in the order they ended: the newest first.
    let finished: Vec<FinishedAttempt> = claimed
        .into_iter()
        .rev()
        .map(|delivery| FinishedAttempt {
            delivery,
            outcome: AttemptOutcome::Failed {
                status: Some(500),
                error: None,
                retry_at: now + jiff::SignedDuration::from_secs(5),
            },
            at: now,
        })
        .collect();

    let db_url = server.db_url.clone();
    let waiting = move || {
        let db_url = db_url.clone();
        async move {
            let mut conn = sqlx::PgConnection::connect(&db_url).await.unwrap();
            let count: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            count
        }
    };
    let wait_until_waiting = |n: i64| {
        let deadline = std::time::Instant::now() + WAIT;
        while server.runtime.block_on(waiting()) < n {
            assert!(
                std::time::Instant::now() < deadline,
                "{n} transactions never waited"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // A blocker holds the newest delivery's row...
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let (locked, holds_lock) = std::sync::mpsc::channel::<()>();
    let db_url = server.db_url.clone();
    let blocker = server.runtime.spawn(async move {
        let mut conn = sqlx::PgConnection::connect(&db_url).await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("SELECT pk FROM webhook_deliveries WHERE pk = $1 FOR UPDATE")
            .bind(newest)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        locked.send(()).unwrap();
        let _ = released.await;
        tx.rollback().await.unwrap();
    });
    // Not a fixed pause: on a busy machine connecting alone can take longer.
    holds_lock
        .recv_timeout(WAIT)
        .expect("the blocker locks the newest delivery's row");
    // ...so the worker's record of the attempts waits for it, then the delete for the worker...
    let finishing = server
        .runtime
        .spawn(async move { store.finish_deliveries(&finished).await });
    wait_until_waiting(1);
    let deleting = std::thread::spawn({
        let url = server.url.clone();
        let token = server.tokens.admin.clone();
        let webhook = webhook.clone();
        move || {
            crate::common::harness::http_client()
                .delete(format!("{url}/v1/orgs/acme/webhooks/{webhook}"))
                .bearer_auth(token)
                .send()
                .unwrap()
                .status()
        }
    });
    wait_until_waiting(2);
    // ...and once the blocker lets go, both finish.
    release.send(()).unwrap();
    server.runtime.block_on(blocker).unwrap();
    let finished = server.runtime.block_on(finishing).unwrap();
    assert!(
        finished.is_ok(),
        "recording the attempts failed: {finished:?}"
    );
    assert_eq!(deleting.join().unwrap(), 200);
    admin
        .get(&format!("/v1/orgs/acme/webhooks/{webhook}"))
        .assert_problem(404, "not_found");
}
