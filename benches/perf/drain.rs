//! The drain target: a rolling restart of two PostgreSQL replicas under 64 connections of
//! introspect, through a client that sends each request to the next replica whose `/readyz`
//! answered 200 at its last look (every 100 ms), as a load balancer does. Each replica is
//! stopped with SIGTERM (the default drain delay of 5 s), started again on its address, and
//! the next one follows once it is ready. Every failed request counts: connection errors and
//! error statuses alike.

use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::Row;
use super::postgres::pg_exec;
use super::server::{post, start_server_with};

const CONNECTIONS: usize = 64;

struct Replica {
    url: String,
    ready: AtomicBool,
}

/// A replica's process, killed if the measurement panics (its database connections would
/// otherwise outlive the benchmark).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(super) fn rolling_restart(exe: &Path, dir: &Path, admin_url: &str, quick: bool) -> Row {
    let name = format!("supportctl_drain_{}", std::process::id());
    pg_exec(admin_url, format!("DROP DATABASE IF EXISTS {name}"));
    pg_exec(admin_url, format!("CREATE DATABASE {name}"));
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let db = format!("{base}/{name}");
    // Quick mode: a shorter drain delay, the same procedure.
    let delay = if quick { "2s" } else { "5s" };
    let start = |log: &str, dev: bool, listen: &str| {
        start_server_with(
            exe,
            &db,
            dev,
            &dir.join(log),
            &["--listen", listen, "--drain-delay", delay],
        )
    };
    let (first, url_a, dev) = start("drain-a.log", true, "127.0.0.1:0");
    let (second, url_b, _) = start("drain-b.log", false, "127.0.0.1:0");
    let service = dev["SUPPORTCTL_SERVICE_TOKEN"].clone();
    let (status, grant) = post(
        &url_a,
        &dev["SUPPORTCTL_ADMIN_TOKEN"],
        "/v1/orgs/acme/grants",
        &json!({"level": "member", "reason": "benchmark", "duration_seconds": 86_400}),
    );
    assert_eq!(status, 201, "{grant}");
    let sessions: Vec<String> = (0..16)
        .map(|_| {
            let (status, session) = post(
                &url_a,
                &dev["SUPPORTCTL_SUPPORT_TOKEN"],
                "/v1/orgs/acme/sessions",
                &json!({"reason": "benchmark", "ttl_seconds": 3600}),
            );
            assert_eq!(status, 201, "{session}");
            session["token"].as_str().unwrap().to_owned()
        })
        .collect();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let replicas = [&url_a, &url_b].map(|url| Replica {
        url: url.clone(),
        ready: AtomicBool::new(true),
    });
    let mut children = [Running(first), Running(second)];
    let stop = AtomicBool::new(false);
    let answered = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let mut first_failure = None;
    let started = Instant::now();
    std::thread::scope(|scope| {
        // The balancer's health checks.
        scope.spawn(|| {
            let http = reqwest::blocking::Client::builder()
                .timeout(Duration::from_millis(500))
                .build()
                .unwrap();
            while !stop.load(Ordering::Relaxed) {
                for replica in &replicas {
                    let up = http
                        .get(format!("{}/readyz", replica.url))
                        .send()
                        .is_ok_and(|response| response.status().is_success());
                    replica.ready.store(up, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|client| {
                let (replicas, stop, answered, failed, next, sessions, service) = (
                    &replicas, &stop, &answered, &failed, &next, &sessions, &service,
                );
                scope.spawn(move || {
                    let http = reqwest::blocking::Client::new();
                    let mut first_failure = None;
                    let mut i = client;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        let pick = next.fetch_add(1, Ordering::Relaxed);
                        let Some(replica) = (0..replicas.len())
                            .map(|k| &replicas[(pick + k) % replicas.len()])
                            .find(|replica| replica.ready.load(Ordering::Relaxed))
                        else {
                            std::thread::sleep(Duration::from_millis(10));
                            continue;
                        };
                        let result = http
                            .post(format!("{}/v1/introspect", replica.url))
                            .bearer_auth(service)
                            .json(&json!({"token": sessions[i % sessions.len()]}))
                            .send()
                            .map_err(|error| format!("{error:?}"))
                            .and_then(|response| {
                                if response.status().is_success() {
                                    Ok(())
                                } else {
                                    Err(format!("status {}", response.status()))
                                }
                            });
                        match result {
                            Ok(()) => answered.fetch_add(1, Ordering::Relaxed),
                            Err(error) => {
                                first_failure.get_or_insert(error);
                                failed.fetch_add(1, Ordering::Relaxed)
                            }
                        };
                    }
                    first_failure
                })
            })
            .collect();
        let settle = Duration::from_secs(if quick { 1 } else { 3 });
        std::thread::sleep(settle);
        for (index, name) in ["a", "b"].into_iter().enumerate() {
            let address = replicas[index].url.trim_start_matches("http://").to_owned();
            terminate(&mut children[index].0);
            let (child, _, _) = start(&format!("drain-{name}-2.log"), false, &address);
            children[index] = Running(child);
            let deadline = Instant::now() + Duration::from_secs(60);
            while !replicas[index].ready.load(Ordering::Relaxed) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(settle);
        }
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            if let Some(failure) = client.join().unwrap() {
                first_failure.get_or_insert(failure);
            }
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    for child in &mut children {
        terminate(&mut child.0);
    }
    pg_exec(admin_url, format!("DROP DATABASE IF EXISTS {name}"));
    let (answered, failed) = (answered.into_inner(), failed.into_inner());
    if let Some(failure) = &first_failure {
        eprintln!("perf: rolling restart: first failure: {failure}");
    }
    Row {
        target: "rolling restart of 1 of 2 PostgreSQL replicas, then the other, under 64 connections of introspect",
        measured: format!("{failed} failed of {}", answered + failed),
        baseline: format!(
            "{:.0} req/s over the {elapsed:.0} s",
            answered as f64 / elapsed
        ),
        ratio: "-".into(),
        goal: "0 failed",
        met: failed == 0,
    }
}

/// SIGTERM, then waits for the drain and exit.
fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}
