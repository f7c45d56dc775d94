//! A webhook receiver for tests: an HTTP server on a loopback port that records every request
//! and answers with the statuses a test scripts (200 once the script runs out), and the
//! independent verifier (PyPI's `svix`) run over what it recorded.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    /// The status it was answered with.
    pub status: u16,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    script: VecDeque<u16>,
    /// How long each answer takes.
    delay: Duration,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    pub fn start() -> Receiver {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let _ = ready_tx.send(listener.local_addr().unwrap());
                let app = axum::Router::new().fallback(
                    move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
                        let state = state.clone();
                        async move {
                            let header = |name: &str| {
                                headers
                                    .get(name)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or_default()
                                    .to_owned()
                            };
                            let delay = state.lock().unwrap().delay;
                            if !delay.is_zero() {
                                tokio::time::sleep(delay).await;
                            }
                            let mut shared = state.lock().unwrap();
                            let status = shared.script.pop_front().unwrap_or(200);
                            shared.received.push(Received {
                                path: uri.path().to_owned(),
                                id: header("webhook-id"),
                                timestamp: header("webhook-timestamp"),
                                signature: header("webhook-signature"),
                                body,
                                status,
                            });
                            axum::http::StatusCode::from_u16(status).unwrap()
                        }
                    },
                );
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = ready_rx.recv().unwrap();
        Receiver {
            url: format!("http://{addr}"),
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Takes `delay` to answer each request.
    pub fn slow(&self, delay: Duration) {
        self.shared.lock().unwrap().delay = delay;
    }

    /// Answers the next requests with these statuses, in order.
    pub fn script(&self, statuses: &[u16]) {
        self.shared.lock().unwrap().script.extend(statuses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Waits until `done` holds for what was received (at most `within`), then returns it.
    pub fn wait_for(&self, within: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver did not get what was expected within {within:?}; it got {} requests: {:?}",
                received.len(),
                received
                    .iter()
                    .map(|r| r.body.chars().take(120).collect::<String>())
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

const SVIX_CHECK: &str = r#"
import hashlib, json, sys
from svix.webhooks import Webhook, WebhookVerificationError
cases = json.load(sys.stdin)
hashed = 0
for case in cases:
    headers = {"webhook-id": case["id"], "webhook-timestamp": case["timestamp"],
               "webhook-signature": case["signature"]}
    for secret in case["secrets"]:
        Webhook(secret).verify(case["body"], headers)
    for secret in case["rejected_secrets"]:
        try:
            Webhook(secret).verify(case["body"], headers)
        except WebhookVerificationError:
            pass
        else:
            sys.exit("a wrong secret verified " + case["id"])
    try:
        Webhook(case["secrets"][0]).verify(case["body"] + " ", headers)
    except WebhookVerificationError:
        pass
    else:
        sys.exit("a changed body verified " + case["id"])
    # The receiver's check of an audit event: SHA-256 of its canonical JSON (sorted keys, no
    # whitespace; the events have no floats) without its hash field.
    data = json.loads(case["body"]).get("data")
    if isinstance(data, dict) and "prev_hash" in data:
        event = dict(data)
        stated = event.pop("hash")
        canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if hashlib.sha256(canonical.encode()).hexdigest() != stated:
            sys.exit("the event's hash does not match its content: " + case["id"])
        hashed += 1
print("verified", len(cases), "hashes", hashed)
"#;

/// Verifies each request with PyPI's `svix` (not this project's code): it must verify with
/// every one of `secrets`, fail with each of `rejected`, and fail once its body is changed.
/// The audit events among them get their hash recomputed (in Python too); returns how many.
/// Fails clearly when `svix` is not installed (`.ci/run` installs it).
pub fn verify_with_svix(requests: &[Received], secrets: &[&str], rejected: &[&str]) -> usize {
    super::python::require(
        "svix.webhooks",
        "the independent webhook verifier is missing: `python3 -m pip install svix==2.9.1` (.ci/run installs it)",
    );
    let cases: Vec<Value> = requests
        .iter()
        .map(|r| {
            json!({"id": r.id, "timestamp": r.timestamp, "signature": r.signature,
                   "body": r.body, "secrets": secrets, "rejected_secrets": rejected})
        })
        .collect();
    let out = super::python::run(
        SVIX_CHECK,
        &Value::Array(cases).to_string(),
        "svix refused a delivery",
    );
    let stdout = String::from_utf8_lossy(&out);
    let (verified, hashed) = stdout
        .trim()
        .strip_prefix("verified ")
        .and_then(|rest| rest.split_once(" hashes "))
        .unwrap_or_else(|| panic!("unexpected verifier output: {stdout}"));
    assert_eq!(verified, requests.len().to_string());
    hashed.parse().unwrap()
}
