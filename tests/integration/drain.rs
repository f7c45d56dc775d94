//! SIGTERM under load, as an orchestrator sends it: one replica under introspect and authorize
//! load loses no request sent before the signal and no decision it answered; two replicas behind
//! a client that round-robins between the ready ones are restarted one after the other without
//! a single failed request.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::harness::{PgDatabase, http_client, skip_postgres};
use crate::common::server_process::{DevTokens, Launch, ServerProcess};
use crate::crash_authorize::assert_every_allow_recorded;

/// Longer than the balancer's look at `/readyz` takes on a loaded machine.
const DRAIN_DELAY: &str = "2s";

fn start(db: &str, log: &Path, dev: bool, listen: Option<&str>) -> ServerProcess {
    let mut args = vec!["--drain-delay", DRAIN_DELAY];
    if let Some(listen) = listen {
        args.extend(["--listen", listen]);
    }
    ServerProcess::start(Launch {
        db,
        log,
        log_filter: "info,sqlx=warn",
        dev,
        extra_args: &args,
    })
}

fn open_sessions(server: &ServerProcess, tokens: &DevTokens, count: usize) -> Vec<String> {
    server
        .api(&tokens.admin)
        .grant(json!({"level": "member", "reason": "drain under load"}));
    let support = server.api(&tokens.support);
    (0..count)
        .map(|_| {
            let reply = support.post(
                "/v1/orgs/acme/sessions",
                json!({"reason": "drain under load", "ttl_seconds": 3600}),
            );
            assert_eq!(reply.status, 201, "{}", reply.body);
            reply.body["token"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// A request that failed: when it was sent, and how it failed.
struct Failure {
    sent: Instant,
    error: String,
}

/// Sends `body` to `url` as the service account; the answer's JSON or how it failed.
fn call(
    http: &reqwest::blocking::Client,
    url: &str,
    service: &str,
    body: &Value,
) -> Result<Value, String> {
    let response = http
        .post(url)
        .bearer_auth(service)
        .json(body)
        .send()
        .map_err(|error| format!("{error:?}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!(
            "status {status}: {}",
            response.text().unwrap_or_default()
        ));
    }
    response
        .json::<Value>()
        .map_err(|error| format!("{error:?}"))
}

fn sigterm_under_load_loses_no_request_and_no_decision(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(db, &dir.path().join("server-0.log"), true, None);
    let tokens = server.tokens.clone().unwrap();
    let sessions = open_sessions(&server, &tokens, 3);
    let url = server.url.clone();
    let answered = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let signalled: Mutex<Option<Instant>> = Mutex::new(None);
    let (allowed, failures): (Vec<String>, Vec<Failure>) = thread::scope(|scope| {
        let callers: Vec<_> = (0..8)
            .map(|caller| {
                let (url, tokens, sessions, answered, stop) =
                    (&url, &tokens, &sessions, &answered, &stop);
                scope.spawn(move || {
                    let http = http_client();
                    let mut allowed = Vec::new();
                    let mut failures = Vec::new();
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        let token = &sessions[(caller + i) % sessions.len()];
                        let resource = format!("r-{caller}-{i}");
                        // Half the callers authorize (each answer matched to its event by its
                        // resource), half introspect.
                        let (path, body) = if caller % 2 == 0 {
                            (
                                "/v1/authorize",
                                json!({"token": token, "area": "chats", "action": "read",
                                       "resource": resource}),
                            )
                        } else {
                            ("/v1/introspect", json!({"token": token}))
                        };
                        let sent = Instant::now();
                        match call(&http, &format!("{url}{path}"), &tokens.service, &body) {
                            Ok(reply) => {
                                if path == "/v1/authorize" {
                                    assert_eq!(reply["allow"], json!(true), "{reply}");
                                    allowed.push(resource);
                                } else {
                                    assert_eq!(reply["active"], json!(true), "{reply}");
                                }
                                answered.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(error) => {
                                failures.push(Failure { sent, error });
                                // Refused once the server stopped accepting: try again shortly.
                                thread::sleep(Duration::from_millis(20));
                            }
                        }
                    }
                    (allowed, failures)
                })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        while answered.load(Ordering::Relaxed) < 300 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        *signalled.lock().unwrap() = Some(Instant::now());
        server.terminate();
        stop.store(true, Ordering::Relaxed);
        let mut allowed = Vec::new();
        let mut failures = Vec::new();
        for caller in callers {
            let (a, f) = caller.join().unwrap();
            allowed.extend(a);
            failures.extend(f);
        }
        (allowed, failures)
    });
    let signalled = signalled.lock().unwrap().unwrap();
    assert!(
        allowed.len() >= 20,
        "the load never ran: {} allows",
        allowed.len()
    );
    let before: Vec<&str> = failures
        .iter()
        .filter(|f| f.sent < signalled)
        .map(|f| f.error.as_str())
        .collect();
    assert!(
        before.is_empty(),
        "{} requests sent before SIGTERM failed, e.g. {:?}",
        before.len(),
        &before[..before.len().min(3)]
    );
    // The drain delay served requests after the signal.
    assert!(
        answered.load(Ordering::Relaxed) > 300,
        "nothing was answered during the drain"
    );

    let server = start(db, &dir.path().join("server-1.log"), false, None);
    assert_every_allow_recorded(&server.api(&tokens.admin), &allowed);
}

#[test]
fn sqlite_sigterm_under_load_loses_no_request_and_no_decision() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("drain.db").display());
    sigterm_under_load_loses_no_request_and_no_decision(&db);
}

#[test]
fn postgres_sigterm_under_load_loses_no_request_and_no_decision() {
    if skip_postgres("postgres_sigterm_under_load_loses_no_request_and_no_decision") {
        return;
    }
    let db = PgDatabase::create();
    sigterm_under_load_loses_no_request_and_no_decision(&db.url);
}

/// Replicas as a load balancer sees them: each one's URL and whether its `/readyz` said 200
/// at the last look (every 100 ms).
struct Balancer {
    urls: Vec<String>,
    ready: Vec<AtomicBool>,
    next: AtomicUsize,
}

impl Balancer {
    fn new(urls: Vec<String>) -> Arc<Balancer> {
        let ready = urls.iter().map(|_| AtomicBool::new(true)).collect();
        Arc::new(Balancer {
            urls,
            ready,
            next: AtomicUsize::new(0),
        })
    }

    /// The next ready replica, round-robin.
    fn pick(&self) -> Option<&str> {
        for _ in 0..self.urls.len() {
            let index = self.next.fetch_add(1, Ordering::Relaxed) % self.urls.len();
            if self.ready[index].load(Ordering::Relaxed) {
                return Some(&self.urls[index]);
            }
        }
        None
    }

    fn watch(&self, stop: &AtomicBool) {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        while !stop.load(Ordering::Relaxed) {
            for (url, ready) in self.urls.iter().zip(&self.ready) {
                let up = http
                    .get(format!("{url}/readyz"))
                    .send()
                    .is_ok_and(|response| response.status().is_success());
                ready.store(up, Ordering::Relaxed);
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn a_rolling_restart_of_two_replicas_fails_no_request() {
    if skip_postgres("a_rolling_restart_of_two_replicas_fails_no_request") {
        return;
    }
    let db = PgDatabase::create();
    let dir = tempfile::tempdir().unwrap();
    let log = |name: &str| dir.path().join(format!("{name}.log"));
    let first = start(&db.url, &log("a-0"), true, None);
    let tokens = first.tokens.clone().unwrap();
    let second = start(&db.url, &log("b-0"), false, None);
    let sessions = open_sessions(&first, &tokens, 4);
    let addresses: Vec<String> = [&first, &second]
        .iter()
        .map(|server| server.url.trim_start_matches("http://").to_owned())
        .collect();
    let balancer = Balancer::new(vec![first.url.clone(), second.url.clone()]);
    let mut replicas = [first, second];
    let stop = AtomicBool::new(false);
    let answered = AtomicUsize::new(0);
    let failures: Vec<String> = thread::scope(|scope| {
        let watcher = {
            let (balancer, stop) = (&balancer, &stop);
            scope.spawn(move || balancer.watch(stop))
        };
        let callers: Vec<_> = (0..8)
            .map(|caller| {
                let (balancer, tokens, sessions, stop, answered) =
                    (&balancer, &tokens, &sessions, &stop, &answered);
                scope.spawn(move || {
                    let http = http_client();
                    let mut failures = Vec::new();
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        let Some(url) = balancer.pick() else {
                            thread::sleep(Duration::from_millis(10));
                            continue;
                        };
                        let body = json!({"token": sessions[(caller + i) % sessions.len()]});
                        let url = format!("{url}/v1/introspect");
                        match call(&http, &url, &tokens.service, &body) {
                            Ok(reply) => {
                                assert_eq!(reply["active"], json!(true), "{reply}");
                                answered.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(error) => failures.push(format!("{url}: {error}")),
                        }
                    }
                    failures
                })
            })
            .collect();
        let wait_for_answers = |count: usize| {
            let target = answered.load(Ordering::Relaxed) + count;
            let deadline = Instant::now() + Duration::from_secs(60);
            while answered.load(Ordering::Relaxed) < target {
                assert!(Instant::now() < deadline, "the load stopped");
                thread::sleep(Duration::from_millis(5));
            }
        };
        wait_for_answers(200);
        for (index, name) in ["a", "b"].into_iter().enumerate() {
            replicas[index].terminate();
            replicas[index] = start(
                &db.url,
                &log(&format!("{name}-1")),
                false,
                Some(&addresses[index]),
            );
            let deadline = Instant::now() + Duration::from_secs(30);
            while !balancer.ready[index].load(Ordering::Relaxed) {
                assert!(Instant::now() < deadline, "replica {name} never came back");
                thread::sleep(Duration::from_millis(10));
            }
            wait_for_answers(200);
        }
        stop.store(true, Ordering::Relaxed);
        watcher.join().unwrap();
        callers
            .into_iter()
            .flat_map(|caller| caller.join().unwrap())
            .collect()
    });
    let warnings: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let text = std::fs::read_to_string(&path).ok()?;
            Some(
                text.lines()
                    .filter(|line| line.contains("WARN") || line.contains("ERROR"))
                    .map(|line| format!("{}: {line}", path.display()))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect();
    assert!(
        failures.is_empty(),
        "{} requests failed during the rolling restart, e.g. {:?}\nthe replicas' warnings:\n{}",
        failures.len(),
        &failures[..failures.len().min(3)],
        warnings.join("\n")
    );
}
