//! Several `supportctl server` processes on one PostgreSQL database: revocation stays
//! linearizable across replicas and the audit chain stays gap-free under concurrent writers.

use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::harness::{Api, PgDatabase, skip_postgres};
use crate::common::server_process::{DevTokens, Launch, ServerProcess};

/// A real server process on `db`, with its log in a folder of its own; with `dev`, seeds org
/// acme and its accounts.
struct Replica {
    process: ServerProcess,
    _dir: tempfile::TempDir,
}

impl Replica {
    fn start(db: &str, dev: bool, extra: &[&str]) -> Replica {
        let dir = tempfile::tempdir().unwrap();
        let process = ServerProcess::start(Launch {
            db,
            log: &dir.path().join("server.log"),
            log_filter: "info,sqlx=warn",
            dev,
            extra_args: extra,
        });
        Replica { process, _dir: dir }
    }

    fn api(&self, token: &str) -> Api {
        self.process.api(token)
    }

    fn tokens(&self) -> &DevTokens {
        self.process.tokens.as_ref().expect("started with --dev")
    }

    fn log(&self) -> String {
        self.process.log_text()
    }
}

/// Two replicas on one fresh database; tokens from the first one's `--dev` seeding.
struct Pair {
    a: Replica,
    b: Replica,
    _db: PgDatabase,
}

impl Pair {
    fn start() -> Pair {
        let db = PgDatabase::create();
        let a = Replica::start(&db.url, true, &[]);
        let b = Replica::start(&db.url, false, &[]);
        Pair { a, b, _db: db }
    }

    fn admin(&self, replica: &Replica) -> Api {
        replica.api(&self.a.tokens().admin)
    }

    fn support(&self, replica: &Replica) -> Api {
        replica.api(&self.a.tokens().support)
    }

    fn service(&self, replica: &Replica) -> Api {
        replica.api(&self.a.tokens().service)
    }
}

fn introspect_active(api: &Api, token: &str) -> bool {
    let reply = api.post("/v1/introspect", json!({ "token": token }));
    assert_eq!(reply.status, 200, "introspect failed: {}", reply.body);
    reply.body["active"] == json!(true)
}

/// Recomputes the chain from the API output, independently of the crate's own verifier.
fn assert_chain_valid(events: &[Value]) {
    use sha2::{Digest, Sha256};
    let mut prev = "0".repeat(64);
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event["seq"], json!(index as i64 + 1), "seq gap at {index}");
        assert_eq!(
            event["prev_hash"],
            json!(prev),
            "broken link at seq {}",
            index + 1
        );
        let mut body = event.clone();
        body.as_object_mut().unwrap().remove("hash");
        let canonical = serde_json_canonicalizer::to_vec(&body).unwrap();
        let hash = hex::encode(Sha256::digest(&canonical));
        assert_eq!(event["hash"], json!(hash), "bad hash at seq {}", index + 1);
        prev = hash;
    }
}

#[test]
fn revoke_on_one_replica_is_seen_by_the_other_at_once() {
    if skip_postgres("revoke_on_one_replica_is_seen_by_the_other_at_once") {
        return;
    }
    let pair = Pair::start();
    let grant = pair
        .admin(&pair.a)
        .grant(json!({"level": "member", "reason": "r"}));
    let (_, token) = pair.support(&pair.b).open(json!({"reason": "look"}));
    assert!(introspect_active(&pair.service(&pair.a), &token));
    assert!(introspect_active(&pair.service(&pair.b), &token));
    pair.admin(&pair.a)
        .post_empty(&format!("/v1/orgs/acme/grants/{grant}/revoke"))
        .assert_ok();
    assert!(!introspect_active(&pair.service(&pair.b), &token));
    let authorized = pair.service(&pair.b).post(
        "/v1/authorize",
        json!({"token": token, "area": "chats", "action": "read"}),
    );
    assert_eq!(
        authorized.body["allow"],
        json!(false),
        "{}",
        authorized.body
    );
}

#[test]
fn no_introspection_that_starts_after_a_revoke_answers_active_on_either_replica() {
    if skip_postgres("no_introspection_that_starts_after_a_revoke_answers_active") {
        return;
    }
    let pair = Arc::new(Pair::start());
    let grant = pair
        .admin(&pair.a)
        .grant(json!({"level": "member", "reason": "r"}));
    let (_, token) = pair.support(&pair.a).open(json!({"reason": "look"}));
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Each hammer records (start, end, active) of every introspection it makes.
    let hammers: Vec<_> = (0..4)
        .map(|i| {
            let pair = pair.clone();
            let stop = stop.clone();
            let done = done.clone();
            let token = token.clone();
            thread::spawn(move || {
                let api = if i % 2 == 0 {
                    pair.service(&pair.a)
                } else {
                    pair.service(&pair.b)
                };
                let mut seen = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    let active = introspect_active(&api, &token);
                    seen.push((started, Instant::now(), active));
                    done.fetch_add(1, Ordering::SeqCst);
                }
                seen
            })
        })
        .collect();
    // Enough answers on each side of the revoke, however loaded the machine is.
    let wait_for = |count: usize| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while done.load(Ordering::SeqCst) < count {
            assert!(Instant::now() < deadline, "the hammers are stuck");
            thread::sleep(Duration::from_millis(5));
        }
    };
    wait_for(40);
    let revoke_sent = Instant::now();
    pair.admin(&pair.b)
        .post_empty(&format!("/v1/orgs/acme/grants/{grant}/revoke"))
        .assert_ok();
    let revoked_at = Instant::now();
    wait_for(done.load(Ordering::SeqCst) + 40);
    stop.store(true, Ordering::SeqCst);
    let mut before = 0;
    let mut after = 0;
    for hammer in hammers {
        for (started, finished, active) in hammer.join().unwrap() {
            if started > revoked_at {
                after += 1;
                assert!(
                    !active,
                    "an introspection started after the revoke answered active"
                );
            } else if finished < revoke_sent {
                before += 1;
                assert!(active, "the session was inactive before the revoke");
            }
        }
    }
    assert!(
        before > 10 && after > 10,
        "too few samples: {before} before, {after} after"
    );
}

#[test]
fn concurrent_writes_on_both_replicas_keep_the_audit_chain_gap_free_and_valid() {
    if skip_postgres("concurrent_writes_on_both_replicas_keep_the_audit_chain") {
        return;
    }
    let pair = Arc::new(Pair::start());
    let per_thread = 25;
    let barrier = Arc::new(Barrier::new(4));
    let writers: Vec<_> = (0..4)
        .map(|i| {
            let pair = pair.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                let replica = if i % 2 == 0 { &pair.a } else { &pair.b };
                let admin = pair.admin(replica);
                let support = pair.support(replica);
                let service = pair.service(replica);
                barrier.wait();
                for n in 0..per_thread {
                    let grant =
                        admin.grant(json!({"level": "member", "reason": format!("w{i}-{n}")}));
                    let (_, token) = support.open(json!({"grant_id": grant, "reason": "r"}));
                    let reply = service.post(
                        "/v1/authorize",
                        json!({"token": token, "area": "issues", "action": "write"}),
                    );
                    assert_eq!(reply.body["allow"], json!(true), "{}", reply.body);
                    if n % 3 == 0 {
                        admin
                            .post_empty(&format!("/v1/orgs/acme/grants/{grant}/revoke"))
                            .assert_ok();
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let events = pair.admin(&pair.a).all("/v1/orgs/acme/audit");
    assert_chain_valid(&events);
    let count = |action: &str| events.iter().filter(|e| e["action"] == action).count();
    assert_eq!(count("grant.created"), 4 * per_thread);
    assert_eq!(count("session.opened"), 4 * per_thread);
    assert_eq!(count("access.allowed"), 4 * per_thread);
    assert_eq!(count("grant.revoked"), 4 * per_thread.div_ceil(3));
    for replica in [&pair.a, &pair.b] {
        let log = replica.log();
        assert!(
            !log.contains("deadlock"),
            "a replica logged a deadlock:\n{log}"
        );
    }
}

#[test]
fn a_session_opened_concurrently_with_a_revoke_never_survives_it() {
    if skip_postgres("a_session_opened_concurrently_with_a_revoke_never_survives_it") {
        return;
    }
    let pair = Arc::new(Pair::start());
    let mut opened = 0;
    for round in 0..30 {
        let grant = pair
            .admin(&pair.a)
            .grant(json!({"level": "member", "reason": format!("race {round}")}));
        let barrier = Arc::new(Barrier::new(2));
        let opener = {
            let pair = pair.clone();
            let barrier = barrier.clone();
            let grant = grant.clone();
            thread::spawn(move || {
                barrier.wait();
                let reply = pair.support(&pair.b).post(
                    "/v1/orgs/acme/sessions",
                    json!({"grant_id": grant, "reason": "race"}),
                );
                (reply.status == 201).then(|| reply.body["token"].as_str().unwrap().to_owned())
            })
        };
        barrier.wait();
        pair.admin(&pair.a)
            .post_empty(&format!("/v1/orgs/acme/grants/{grant}/revoke"))
            .assert_ok();
        if let Some(token) = opener.join().unwrap() {
            opened += 1;
            assert!(!introspect_active(&pair.service(&pair.a), &token));
            assert!(!introspect_active(&pair.service(&pair.b), &token));
        }
    }
    // Whichever way each race went, the log orders open and revoke consistently.
    let events = pair.admin(&pair.a).all("/v1/orgs/acme/audit");
    assert_chain_valid(&events);
    let mut revoked = std::collections::HashSet::new();
    for event in &events {
        match event["action"].as_str().unwrap() {
            "grant.revoked" => {
                revoked.insert(event["target"].as_str().unwrap().to_owned());
            }
            "session.opened" => {
                let grant = event["details"]["grant_id"].as_str().unwrap();
                assert!(
                    !revoked.contains(grant),
                    "a session opened after its grant's revoke"
                );
            }
            _ => {}
        }
    }
    eprintln!("{opened} of 30 sessions opened before their grant's revoke");
}

#[test]
fn an_unreachable_database_at_start_is_a_clear_error() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let output = Command::new(env!("CARGO_BIN_EXE_supportctl"))
        .args([
            "server",
            "--listen",
            "127.0.0.1:0",
            "--db-acquire-timeout",
            "2s",
            "--db",
            &format!("postgres://supportctl:secret@127.0.0.1:{port}/supportctl"),
        ])
        .env("RUST_BACKTRACE", "1")
        .env("SUPPORTCTL_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .contains("error: cannot connect to PostgreSQL at postgres://supportctl:***@127.0.0.1"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "the password leaked: {stderr}");
    assert!(!stderr.contains("stack backtrace"), "{stderr}");
}

/// A TCP forwarder between the server and PostgreSQL that the test can cut and restore.
struct Link {
    port: u16,
    up: Arc<AtomicBool>,
    connections: Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

impl Link {
    fn to(target: &str) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let connections: Arc<std::sync::Mutex<Vec<TcpStream>>> = Arc::default();
        let target = target.to_owned();
        let (up_flag, open) = (up.clone(), connections.clone());
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up_flag.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                open.lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Link {
            port,
            up,
            connections,
        }
    }

    /// Drops every connection and refuses new ones, like a database that went away.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.connections.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[test]
fn the_server_answers_503_while_the_database_is_down_and_recovers_when_it_returns() {
    if skip_postgres("the_server_recovers_when_the_database_returns") {
        return;
    }
    let db = PgDatabase::create();
    let url: reqwest::Url = db.url.parse().unwrap();
    let link = Link::to(&format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port().unwrap_or(5432)
    ));
    let mut via_link = url.clone();
    via_link.set_host(Some("127.0.0.1")).unwrap();
    via_link.set_port(Some(link.port)).unwrap();
    let mut replica = Replica::start(via_link.as_str(), true, &["--db-acquire-timeout", "1s"]);
    let admin = replica.api(&replica.tokens().admin);
    admin.get("/v1/orgs/acme/grants").assert_ok();

    link.cut();
    let down = admin.get("/v1/orgs/acme/grants");
    assert_eq!(down.status, 503, "{}\n{}", down.body, replica.log());
    assert_eq!(down.code(), "internal");
    let health = replica.api("").get("/healthz");
    assert_eq!(health.status, 503);

    link.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = admin.get("/v1/orgs/acme/grants");
        if reply.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {}", reply.body);
        thread::sleep(Duration::from_millis(200));
    }
    assert!(replica.process.is_running(), "the server must keep running");
}

#[test]
fn a_decision_on_one_replica_wakes_a_waiter_on_the_other() {
    if skip_postgres("replicas::a_decision_on_one_replica_wakes_a_waiter_on_the_other") {
        return;
    }
    let pair = Pair::start();
    for (round, area) in ["chats", "issues", "documents"].into_iter().enumerate() {
        let filed = pair.support(&pair.b).post(
            "/v1/orgs/acme/requests",
            json!({"level": "member", "areas": [area], "reason": "replicas"}),
        );
        assert_eq!(filed.status, 201, "{}", filed.body);
        let id = filed.body["id"].as_str().unwrap().to_owned();
        let waiter = {
            let api = pair.support(&pair.b);
            let path = format!("/v1/requests/{id}?wait_seconds=30");
            thread::spawn(move || {
                let reply = api.get(&path);
                (reply.body, Instant::now())
            })
        };
        // Let the waiter reach its wait on replica b before replica a decides.
        thread::sleep(Duration::from_millis(300));
        let decided = Instant::now();
        let reply = if round % 2 == 0 {
            pair.admin(&pair.a)
                .post_empty(&format!("/v1/orgs/acme/requests/{id}/approve"))
        } else {
            pair.admin(&pair.a).post(
                &format!("/v1/orgs/acme/requests/{id}/deny"),
                json!({"comment": "no"}),
            )
        };
        assert_eq!(reply.status, 200, "{}", reply.body);
        let (body, returned) = waiter.join().unwrap();
        assert_ne!(body["status"], "pending", "{body}");
        let latency = returned.saturating_duration_since(decided);
        assert!(
            latency < Duration::from_secs(2),
            "the waiter on the other replica returned {latency:?} after the decision"
        );
    }
}
