//! The break-glass alarm: from an operator's confirmation (whose transaction enqueues
//! `grant.break_glass` for every webhook of the org) to the receiver's 2xx, on loopback, on a
//! server of its own (a fresh SQLite file, `--dev`). The webhook subscribes to nothing: it gets
//! the alarm because every webhook of the org does.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Row;
use super::server::start_server;
use super::webhooks::{client, percentile, receiver};

pub fn rows(exe: &Path, dir: &Path, quick: bool) -> Vec<Row> {
    let db = format!("sqlite://{}", dir.join("breakglass.db").display());
    let (mut child, url, tokens) = start_server(exe, &db, true, &dir.join("breakglass.log"));
    let (admin, support, operator) = (
        tokens["SUPPORTCTL_ADMIN_TOKEN"].clone(),
        tokens["SUPPORTCTL_SUPPORT_TOKEN"].clone(),
        tokens["SUPPORTCTL_OPERATOR_TOKEN"].clone(),
    );
    let http = client();
    let (target, seen) = receiver();
    let call = |method: reqwest::Method, path: &str, token: &str, body: Value| -> Value {
        let reply = http
            .request(method, format!("{url}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .unwrap();
        assert!(reply.status().is_success(), "{path}: {}", reply.status());
        reply.json().unwrap()
    };
    let mut policy = call(
        reqwest::Method::GET,
        "/v1/orgs/acme/policy",
        &admin,
        json!({}),
    );
    policy["break_glass"] =
        json!({"allowed": true, "max_level": "member", "max_duration_seconds": 3600});
    call(reqwest::Method::PUT, "/v1/orgs/acme/policy", &admin, policy);
    call(
        reqwest::Method::POST,
        "/v1/orgs/acme/webhooks",
        &admin,
        json!({"url": format!("{target}/alarm"), "events": ["none.none"]}),
    );
    let samples = if quick { 30 } else { 200 };
    let (mut latencies, mut confirms) = (Vec::new(), Vec::new());
    for n in 0..samples {
        let request = call(
            reqwest::Method::POST,
            "/v1/orgs/acme/requests",
            &support,
            json!({"level": "read-only", "reason": format!("bench {n}"), "break_glass": true}),
        );
        let id = request["id"].as_str().unwrap();
        let started = Instant::now();
        call(
            reqwest::Method::POST,
            &format!("/v1/orgs/acme/requests/{id}/confirm"),
            &operator,
            json!({}),
        );
        confirms.push(started.elapsed());
        let deadline = Instant::now() + Duration::from_secs(10);
        let arrived = loop {
            let newest = {
                let seen = seen.lock().unwrap();
                seen.arrivals
                    .get("/alarm")
                    .filter(|m| m.len() > latencies.len())
                    .map(|m| m.values().map(|(at, _)| *at).max())
            };
            if let Some(Some(at)) = newest {
                break at;
            }
            assert!(
                Instant::now() < deadline,
                "no grant.break_glass within 10 s"
            );
            std::thread::sleep(Duration::from_micros(200));
        };
        latencies.push(arrived.duration_since(started));
    }
    let deliveries: usize = seen
        .lock()
        .unwrap()
        .arrivals
        .get("/alarm")
        .map_or(0, HashMap::len);
    let _ = child.kill();
    let _ = child.wait();
    let p50 = percentile(&mut latencies, 0.5);
    let p99 = percentile(&mut latencies, 0.99);
    vec![Row {
        target: "`grant.break_glass`: confirm's commit → receiver 2xx p50 (p99), loopback",
        measured: format!(
            "{} ({}), {deliveries} alarms",
            super::ms(p50),
            super::ms(p99)
        ),
        baseline: format!(
            "{} (POST confirm p50)",
            super::ms(percentile(&mut confirms, 0.5))
        ),
        ratio: "-".into(),
        goal: "p50 <= 100 ms",
        met: p50 <= Duration::from_millis(100) && deliveries == samples,
    }]
}
