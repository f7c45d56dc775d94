//! Webhook targets: commit → receiver 2xx latency on loopback, and a burst of events to three
//! endpoints delivered in full, on a server of its own (a fresh SQLite file, `--dev`, which
//! allows http:// and loopback receivers).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::Row;
use super::server::start_server;

/// What the receiver saw: per path, the arrival time of each `webhook-id` (and how often).
#[derive(Default)]
pub(super) struct Seen {
    pub(super) arrivals: HashMap<String, HashMap<String, (Instant, usize)>>,
}

pub(super) fn receiver() -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = seen.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let _ = ready_tx.send(listener.local_addr().unwrap());
            let app = axum::Router::new().fallback(
                move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
                    let state = state.clone();
                    async move {
                        let id = headers
                            .get("webhook-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let mut seen = state.lock().unwrap();
                        let entry = seen
                            .arrivals
                            .entry(uri.path().to_owned())
                            .or_default()
                            .entry(id)
                            .or_insert((Instant::now(), 0));
                        entry.1 += 1;
                        axum::http::StatusCode::NO_CONTENT
                    }
                },
            );
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = ready_rx.recv().unwrap();
    (format!("http://{addr}"), seen)
}

pub(super) fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn add_webhook(
    http: &reqwest::blocking::Client,
    url: &str,
    token: &str,
    target: &str,
    events: &str,
) {
    let reply = http
        .post(format!("{url}/v1/orgs/acme/webhooks"))
        .bearer_auth(token)
        .json(&json!({"url": target, "events": [events]}))
        .send()
        .unwrap();
    assert_eq!(reply.status(), 201);
}

/// Creates a grant; returns its audit event's id (the `webhook-id` of its deliveries).
fn create_grant(http: &reqwest::blocking::Client, url: &str, token: &str) -> String {
    let reply = http
        .post(format!("{url}/v1/orgs/acme/grants"))
        .bearer_auth(token)
        .json(&json!({"level": "member", "reason": "webhook bench"}))
        .send()
        .unwrap();
    assert_eq!(reply.status(), 201);
    reply.json::<serde_json::Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(super) fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

pub fn rows(exe: &Path, dir: &Path, quick: bool) -> Vec<Row> {
    let db = format!("sqlite://{}", dir.join("webhooks.db").display());
    let (mut child, url, tokens) = start_server(exe, &db, true, &dir.join("webhooks.log"));
    let admin = tokens["SUPPORTCTL_ADMIN_TOKEN"].clone();
    let http = client();
    let (target, seen) = receiver();

    let introspect =
        introspect_with_and_without_webhooks(&http, &url, &tokens, &target, dir, quick);

    // Latency: one endpoint; from the request that commits the event to the receiver's 2xx
    // (measured from the request's start: an upper bound on commit → 2xx).
    add_webhook(
        &http,
        &url,
        &admin,
        &format!("{target}/latency"),
        "grant.created",
    );
    let samples = if quick { 30 } else { 200 };
    let mut latencies = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..samples {
        let started = Instant::now();
        create_grant(&http, &url, &admin);
        requests.push(started.elapsed());
        let deadline = Instant::now() + Duration::from_secs(10);
        let arrived = loop {
            let count = seen
                .lock()
                .unwrap()
                .arrivals
                .get("/latency")
                .map_or(0, HashMap::len);
            let newest = seen
                .lock()
                .unwrap()
                .arrivals
                .get("/latency")
                .map(|m| m.values().map(|(at, _)| *at).max());
            if count > latencies.len()
                && let Some(Some(at)) = newest
            {
                break at;
            }
            assert!(Instant::now() < deadline, "no delivery within 10 s");
            std::thread::sleep(Duration::from_micros(200));
        };
        latencies.push(arrived.duration_since(started));
    }
    let p50 = percentile(&mut latencies, 0.5);
    let p99 = percentile(&mut latencies, 0.99);
    let request_p50 = percentile(&mut requests, 0.5);

    // Burst: events to three endpoints, from 8 writers; all delivered, none twice.
    let events = if quick { 300 } else { 10_000 };
    // (The three endpoints, subscribed to `*`, were added by the introspection comparison.)
    let started = Instant::now();
    let writers: Vec<_> = (0..8)
        .map(|n| {
            let (url, admin) = (url.clone(), admin.clone());
            let count = events / 8 + usize::from(n < events % 8);
            std::thread::spawn(move || {
                let http = client();
                (0..count)
                    .map(|_| create_grant(&http, &url, &admin))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let ids: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let written = started.elapsed();
    let deadline = started + Duration::from_secs(if quick { 60 } else { 120 });
    let (lost, twice) = loop {
        let seen = seen.lock().unwrap();
        let audit_ids = grant_event_ids(&http, &url, &admin, &ids);
        let missing = ["/a", "/b", "/c"]
            .iter()
            .map(|p| {
                let got = seen.arrivals.get(*p);
                audit_ids
                    .iter()
                    .filter(|id| !got.is_some_and(|g| g.contains_key(*id)))
                    .count()
            })
            .sum::<usize>();
        let twice = seen
            .arrivals
            .values()
            .flat_map(|m| m.values())
            .filter(|(_, n)| *n > 1)
            .count();
        if missing == 0 || Instant::now() > deadline {
            break (missing, twice);
        }
        drop(seen);
        std::thread::sleep(Duration::from_millis(100));
    };
    let all_delivered = seen
        .lock()
        .unwrap()
        .arrivals
        .iter()
        .filter(|(path, _)| path.as_str() != "/latency")
        .flat_map(|(_, m)| m.values().map(|(at, _)| *at))
        .max()
        .map_or(Duration::MAX, |last| last.duration_since(started));
    let _ = child.kill();
    let _ = child.wait();
    vec![
        introspect,
        Row {
            target: "webhook: commit → receiver 2xx p50 (p99), loopback",
            measured: format!("{} ({})", super::ms(p50), super::ms(p99)),
            baseline: format!("{} (POST grant p50)", super::ms(request_p50)),
            ratio: "-".into(),
            goal: "p50 <= 100 ms",
            met: p50 <= Duration::from_millis(100),
        },
        Row {
            target: if quick {
                "webhook burst to 3 endpoints (quick: 300 events)"
            } else {
                "webhook burst: 10,000 events to 3 endpoints"
            },
            measured: format!(
                "all in {:.1} s; {lost} lost, {twice} twice",
                all_delivered.as_secs_f64()
            ),
            baseline: format!("{:.1} s to write them", written.as_secs_f64()),
            ratio: "-".into(),
            goal: "<= 60 s, none lost or twice",
            met: lost == 0 && twice == 0 && all_delivered <= Duration::from_secs(60),
        },
    ]
}

/// Introspection throughput (wrk, 64 connections) while an admin writes 50 grants a second,
/// first with no webhook, then with three subscribed to `*` (at `/a`, `/b`, `/c`).
fn introspect_with_and_without_webhooks(
    http: &reqwest::blocking::Client,
    url: &str,
    tokens: &HashMap<String, String>,
    target: &str,
    dir: &Path,
    quick: bool,
) -> Row {
    let admin = &tokens["SUPPORTCTL_ADMIN_TOKEN"];
    let support = &tokens["SUPPORTCTL_SUPPORT_TOKEN"];
    let grant = create_grant(http, url, admin);
    let sessions: Vec<String> = (0..100)
        .map(|_| {
            let reply: serde_json::Value = http
                .post(format!("{url}/v1/orgs/acme/sessions"))
                .bearer_auth(support)
                .json(&json!({"grant_id": grant, "reason": "bench", "level": "read-only"}))
                .send()
                .unwrap()
                .json()
                .unwrap();
            reply["token"].as_str().expect("a session").to_owned()
        })
        .collect();
    let tokens_file = dir.join("webhook-bench-sessions.txt");
    std::fs::write(&tokens_file, sessions.join("\n")).unwrap();
    let script = dir.join("webhook-bench-introspect.lua");
    std::fs::write(
        &script,
        super::introspect_script(&tokens_file, &tokens["SUPPORTCTL_SERVICE_TOKEN"]),
    )
    .unwrap();
    let seconds = if quick { 2 } else { 10 };
    let under_writes = || {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (url, admin, stop) = (url.to_owned(), admin.clone(), stop.clone());
            std::thread::spawn(move || {
                let http = client();
                let mut next = Instant::now();
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    create_grant(&http, &url, &admin);
                    next += Duration::from_millis(20);
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                }
            })
        };
        super::wrk(url, "/v1/introspect", Some(&script), 1);
        let load = super::wrk(url, "/v1/introspect", Some(&script), seconds);
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        writer.join().unwrap();
        load.rps
    };
    let without = under_writes();
    for path in ["/a", "/b", "/c"] {
        add_webhook(http, url, admin, &format!("{target}{path}"), "*");
    }
    let with = under_writes();
    let ratio = with / without;
    Row {
        target: "introspect throughput with 3 webhooks on `*`, 50 writes/s",
        measured: format!("{with:.0} req/s"),
        baseline: format!("{without:.0} req/s (no webhooks, same writes)"),
        ratio: format!("{:.1}%", ratio * 100.0),
        goal: "within ±5%",
        met: (0.95..=1.05).contains(&ratio),
    }
}

/// The `grant.created` event ids of the grants `ids`, from the audit log (read once).
fn grant_event_ids(
    http: &reqwest::blocking::Client,
    url: &str,
    token: &str,
    ids: &[String],
) -> Vec<String> {
    thread_local! {
        static CACHE: std::cell::RefCell<Option<Vec<String>>> = const { std::cell::RefCell::new(None) };
    }
    if let Some(cached) = CACHE.with(|c| c.borrow().clone()) {
        return cached;
    }
    let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = http
            .get(format!("{url}/v1/orgs/acme/audit"))
            .bearer_auth(token)
            .query(&[("limit", "1000"), ("action", "grant.created")]);
        if let Some(c) = &cursor {
            request = request.query(&[("cursor", c)]);
        }
        let page: serde_json::Value = request.send().unwrap().json().unwrap();
        for event in page["items"].as_array().unwrap() {
            if wanted.contains(event["target"].as_str().unwrap_or_default()) {
                found.push(event["id"].as_str().unwrap().to_owned());
            }
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    CACHE.with(|c| *c.borrow_mut() = Some(found.clone()));
    found
}
