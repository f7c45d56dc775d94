//! Crash consistency: the real server binary, on a SQLite file, is killed with SIGKILL in the
//! middle of a bulk revoke of thousands of grants and in the middle of a burst of concurrent
//! session opens. After a restart on the same file, every operation happened whole or not at
//! all, together with its audit events; what was acknowledged survived; the audit chain
//! verifies (recomputed here from the API output, and by `supportctl audit verify`).
//!
//! "In flight" is proven from the server's own request log (written unbuffered to a file, one
//! `write(2)` per line): the request was started and never finished when the process died.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::harness::{Api, cli_command};
use crate::common::server_process::{DevTokens, Launch, ServerProcess};

const BULK_PATH: &str = "/v1/orgs/acme/grants/revoke";
const OPEN_PATH: &str = "/v1/orgs/acme/sessions";

/// A server on `db`, logging request starts and finishes (tower-http, debug) but not sqlx.
fn start(db: &Path, log: &Path, dev: bool) -> ServerProcess {
    ServerProcess::start(Launch {
        db: &format!("sqlite://{}", db.display()),
        log,
        log_filter: "debug,sqlx=warn",
        dev,
        extra_args: &[],
    })
}

/// A database file and the server processes that take turns serving it.
struct Crashable {
    dir: tempfile::TempDir,
    db: PathBuf,
    tokens: DevTokens,
    server: ServerProcess,
    starts: usize,
}

impl Crashable {
    fn new() -> Crashable {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crash.db");
        let server = start(&db, &dir.path().join("server-0.log"), true);
        Crashable {
            tokens: server.tokens.clone().unwrap(),
            dir,
            db,
            server,
            starts: 1,
        }
    }

    /// Starts a new process on the same file (the previous one must be dead).
    fn restart(&mut self) {
        let log = self.dir.path().join(format!("server-{}.log", self.starts));
        self.starts += 1;
        self.server = start(&self.db, &log, false);
    }

    fn admin(&self) -> Api {
        self.server.api(&self.tokens.admin)
    }

    fn support(&self) -> Api {
        self.server.api(&self.tokens.support)
    }

    /// Which of `tokens` introspect as active (one connection for all of them).
    fn active_tokens<'t>(&self, tokens: impl IntoIterator<Item = &'t String>) -> Vec<bool> {
        let service = self.server.api(&self.tokens.service);
        tokens
            .into_iter()
            .map(|token| {
                let reply = service.post("/v1/introspect", json!({ "token": token }));
                assert_eq!(reply.status, 200, "{}", reply.body);
                reply.body["active"] == json!(true)
            })
            .collect()
    }

    /// Creates `n` grants in acme over several connections.
    fn seed_grants(&self, n: usize) {
        let workers = 4;
        thread::scope(|scope| {
            for w in 0..workers {
                let admin = self.admin();
                scope.spawn(move || {
                    for i in (w * n / workers)..((w + 1) * n / workers) {
                        admin.grant(json!({"level": "member", "reason": format!("seed {i}")}));
                    }
                });
            }
        });
    }

    /// The whole database as the API shows it, checked for consistency; with `cli`, the chain
    /// is also verified by `supportctl audit verify`.
    fn check(&self, cli: bool) -> State {
        let admin = self.admin();
        let state = State {
            grants: admin.all("/v1/orgs/acme/grants?status=all"),
            sessions: admin.all("/v1/orgs/acme/sessions?status=all"),
            events: admin.all("/v1/orgs/acme/audit"),
        };
        assert_chain_valid(&state.events);
        state.assert_rows_match_events();
        if !cli {
            return state;
        }
        // The product's own verifier agrees.
        let out = cli_command(
            &self.server.url,
            &self.tokens.admin,
            &self.dir.path().join("cfg"),
        )
        .args(["audit", "verify", "--org", "acme", "-o", "json"])
        .output()
        .unwrap();
        assert!(
            out.status.success(),
            "audit verify failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let verified: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(verified["valid"], json!(true));
        assert_eq!(verified["events"], json!(state.events.len()));
        state
    }
}

/// What the API shows after a restart.
struct State {
    grants: Vec<Value>,
    sessions: Vec<Value>,
    events: Vec<Value>,
}

impl State {
    fn events_for(&self, action: &str) -> HashMap<String, Vec<&Value>> {
        let mut by_target: HashMap<String, Vec<&Value>> = HashMap::new();
        for event in self.events.iter().filter(|e| e["action"] == action) {
            let target = event["target"].as_str().expect("a target").to_owned();
            by_target.entry(target).or_default().push(event);
        }
        by_target
    }

    /// Every grant has exactly one `grant.created`, every revoked grant exactly one
    /// `grant.revoked` (and no other grant has one), every session exactly one
    /// `session.opened`; and no event names a row that does not exist.
    fn assert_rows_match_events(&self) {
        let created = self.events_for("grant.created");
        let revoked = self.events_for("grant.revoked");
        let opened = self.events_for("session.opened");
        let grant_ids: HashSet<&str> = self.grants.iter().map(id).collect();
        let session_ids: HashSet<&str> = self.sessions.iter().map(id).collect();
        for grant in &self.grants {
            let gid = id(grant);
            assert_eq!(
                created.get(gid).map_or(0, Vec::len),
                1,
                "grant {gid}: grant.created events"
            );
            let is_revoked = grant["status"] == "revoked";
            assert_eq!(is_revoked, !grant["revoked_at"].is_null(), "{grant}");
            let events = revoked.get(gid).map(Vec::as_slice).unwrap_or_default();
            assert_eq!(
                events.len(),
                usize::from(is_revoked),
                "grant {gid} ({}): grant.revoked events",
                grant["status"]
            );
            if let Some(event) = events.first() {
                assert_eq!(event["details"]["reason"], grant["revoke_reason"]);
                assert_eq!(event["at"], grant["revoked_at"]);
            }
        }
        for target in created.keys().chain(revoked.keys()) {
            assert!(
                grant_ids.contains(target.as_str()),
                "event for a missing grant {target}"
            );
        }
        for session in &self.sessions {
            let sid = id(session);
            let events = opened.get(sid).map(Vec::as_slice).unwrap_or_default();
            assert_eq!(events.len(), 1, "session {sid}: session.opened events");
            assert_eq!(events[0]["details"]["grant_id"], session["grant_id"]);
            assert_eq!(events[0]["at"], session["opened_at"]);
        }
        for target in opened.keys() {
            assert!(
                session_ids.contains(target.as_str()),
                "session.opened for a missing session {target}"
            );
        }
    }

    fn revoked_with_reason(&self, reason: &str) -> HashSet<String> {
        self.grants
            .iter()
            .filter(|g| g["revoke_reason"] == reason)
            .map(|g| id(g).to_owned())
            .collect()
    }
}

fn id(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

/// Recomputes the chain from the API output alone: RFC 8785 canonical JSON without `hash`,
/// SHA-256, `prev_hash` links from 64 zeros, `seq` gap-free from 1.
pub(crate) fn assert_chain_valid(events: &[Value]) {
    let mut prev = "0".repeat(64);
    for (index, event) in events.iter().enumerate() {
        let seq = index as i64 + 1;
        assert_eq!(event["seq"], json!(seq), "seq gap at position {index}");
        assert_eq!(event["prev_hash"], json!(prev), "broken link at seq {seq}");
        let mut body = event.clone();
        body.as_object_mut().unwrap().remove("hash");
        let canonical = serde_json_canonicalizer::to_vec(&body).unwrap();
        let hash = hex::encode(Sha256::digest(&canonical));
        assert_eq!(event["hash"], json!(hash), "bad hash at seq {seq}");
        prev = hash;
    }
}

/// How a bulk revoke that the kill interrupted turned out.
struct BulkRound {
    kill_after_ms: Option<u64>,
    in_flight: bool,
    answered: bool,
    revoked: usize,
    of: usize,
}

impl BulkRound {
    fn describe(&self) -> String {
        let kill = match self.kill_after_ms {
            Some(ms) => format!("SIGKILL {ms} ms after the server started the request"),
            None => "SIGKILL right after the answer".to_owned(),
        };
        format!(
            "{kill}: in flight {}, answered {}, {} of {} revoked after restart",
            self.in_flight, self.answered, self.revoked, self.of
        )
    }
}

#[test]
fn a_bulk_revoke_killed_mid_flight_happens_whole_or_not_at_all() {
    const GRANTS: usize = 1_500;
    const SESSIONS: usize = 20;
    let mut db = Crashable::new();
    db.seed_grants(GRANTS);
    // Some grants have open sessions, which a revoke must end with them.
    let support = db.support();
    let sessions: Vec<String> = (0..SESSIONS)
        .map(|i| support.open(json!({"reason": format!("s{i}")})).1)
        .collect();

    let mut state = db.check(false);
    let mut rounds = Vec::new();
    let mut sessions_ended = false;
    // Kill at growing delays after the server logged the start of the request; the last round
    // is not killed before its answer, then killed at once (what was acknowledged must stay).
    let delays = [Some(0), Some(20), Some(60), Some(150), None];
    for (round, delay) in delays.into_iter().enumerate() {
        if delay.is_some() && rounds.iter().any(|r: &BulkRound| r.revoked > 0) {
            // An earlier kill came after the commit: the grants are gone; on to the last round.
            continue;
        }
        let reason = format!("crash round {round}");
        let active_before: HashSet<String> = state
            .grants
            .iter()
            .filter(|g| g["status"] == "active")
            .map(|g| id(g).to_owned())
            .collect();
        assert!(!active_before.is_empty());
        let (started_before, _) = db.server.requests(BULK_PATH);
        let admin = db.admin();
        let body = json!({"all": true, "reason": reason});
        let request = thread::spawn(move || {
            // A transport error (the server died) is `None`.
            let response = admin
                .http
                .post(format!("{}{BULK_PATH}", admin.base))
                .bearer_auth(admin.token.as_deref().unwrap())
                .json(&body)
                .send()
                .ok()?;
            let status = response.status().as_u16();
            Some((status, response.json::<Value>().ok()?))
        });
        db.server.wait_for_started(BULK_PATH, started_before + 1);
        let answer = match delay {
            Some(ms) => {
                thread::sleep(Duration::from_millis(ms));
                db.server.kill9();
                request.join().unwrap()
            }
            None => {
                let answer = request.join().unwrap();
                db.server.kill9();
                answer
            }
        };
        let (started, finished) = db.server.requests(BULK_PATH);
        let in_flight = started > finished;
        if let Some((status, body)) = &answer {
            assert_eq!(*status, 200, "{body}");
            assert_eq!(
                body["revoked"].as_array().unwrap().len(),
                active_before.len()
            );
            assert!(!in_flight, "answered, yet the log shows it unfinished");
        }

        db.restart();
        state = db.check(round == 0);
        let revoked = state.revoked_with_reason(&reason);
        // All or nothing: exactly the grants active before, or none of them.
        assert!(
            revoked.is_empty() || revoked == active_before,
            "round {round}: {} of {} grants revoked",
            revoked.len(),
            active_before.len()
        );
        if answer.is_some() {
            assert_eq!(revoked, active_before, "an acknowledged revoke was lost");
        }
        // The revoke's sessions ended with it, or are still usable.
        sessions_ended |= !revoked.is_empty();
        assert!(
            db.active_tokens(&sessions)
                .iter()
                .all(|&active| active != sessions_ended),
            "round {round}: sessions should be {}",
            if sessions_ended { "ended" } else { "active" }
        );
        rounds.push(BulkRound {
            kill_after_ms: delay,
            in_flight,
            answered: answer.is_some(),
            revoked: revoked.len(),
            of: active_before.len(),
        });
        if !revoked.is_empty() && delay.is_some() {
            // It committed before the kill: give the last round something to revoke.
            db.seed_grants(50);
            state = db.check(false);
        }
    }
    let summary: Vec<String> = rounds.iter().map(BulkRound::describe).collect();
    eprintln!(
        "bulk revoke of {GRANTS} grants:\n  {}",
        summary.join("\n  ")
    );
    assert!(
        rounds.iter().any(|r| r.in_flight && r.revoked == 0),
        "no kill landed while a bulk revoke was in flight (before its commit): {summary:?}"
    );
    let last = rounds.last().unwrap();
    assert!(last.answered && last.revoked == last.of);
    // The restarted server still writes: the chain goes on from where it was.
    db.admin()
        .grant(json!({"level": "read-only", "reason": "after the crashes"}));
    db.check(true);
}

#[test]
fn a_burst_of_session_opens_killed_mid_flight_leaves_only_whole_sessions() {
    const WORKERS: usize = 6;
    let mut db = Crashable::new();
    db.admin()
        .grant(json!({"level": "admin", "reason": "burst"}));
    let mut observed = Vec::new();
    for (round, delay_ms) in [40u64, 150, 400].into_iter().enumerate() {
        let (started_before, _) = db.server.requests(OPEN_PATH);
        // Sessions whose 201 the client received: (id, token).
        let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
        let unanswered = Arc::new(Mutex::new(0usize));
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let support = db.support();
                let acknowledged = acknowledged.clone();
                let unanswered = unanswered.clone();
                let stop = stop.clone();
                thread::spawn(move || {
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        let sent = support
                            .http
                            .post(format!("{}{OPEN_PATH}", support.base))
                            .bearer_auth(support.token.as_deref().unwrap())
                            .json(&json!({"reason": format!("burst {round} {w} {i}")}))
                            .send();
                        let response = match sent {
                            Ok(response) => response,
                            Err(error) => {
                                if !error.is_connect() {
                                    *unanswered.lock().unwrap() += 1;
                                }
                                return;
                            }
                        };
                        assert_eq!(response.status().as_u16(), 201);
                        let Ok(body) = response.json::<Value>() else {
                            return;
                        };
                        acknowledged.lock().unwrap().push((
                            body["session"]["id"].as_str().unwrap().to_owned(),
                            body["token"].as_str().unwrap().to_owned(),
                        ));
                    }
                })
            })
            .collect();
        db.server
            .wait_for_started(OPEN_PATH, started_before + WORKERS);
        thread::sleep(Duration::from_millis(delay_ms));
        db.server.kill9();
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.join().unwrap();
        }
        let (started, finished) = db.server.requests(OPEN_PATH);
        let in_flight = started - finished;

        db.restart();
        let state = db.check(round == 0);
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(
            !acknowledged.is_empty(),
            "no session was opened in round {round}"
        );
        let present: HashSet<&str> = state.sessions.iter().map(id).collect();
        for (session, _) in &acknowledged {
            assert!(
                present.contains(session.as_str()),
                "acknowledged session {session} was lost"
            );
        }
        let active = db.active_tokens(acknowledged.iter().map(|(_, token)| token));
        assert!(
            active.iter().all(|&a| a),
            "an acknowledged session is not active"
        );
        let this_round = state
            .sessions
            .iter()
            .filter(|s| {
                s["reason"]
                    .as_str()
                    .is_some_and(|r| r.starts_with(&format!("burst {round} ")))
            })
            .count();
        // Sessions the kill interrupted after their commit exist without an answer; none may
        // exist beyond the requests the server started.
        assert!(this_round >= acknowledged.len());
        assert!(this_round <= started - started_before);
        observed.push((
            delay_ms,
            in_flight,
            *unanswered.lock().unwrap(),
            acknowledged.len(),
            this_round,
        ));
    }
    eprintln!(
        "session-open bursts (delay ms, in flight at kill per log, unanswered per client, \
         acknowledged, persisted): {observed:?}"
    );
    assert!(
        observed.iter().any(|o| o.1 > 0),
        "no kill landed while session opens were in flight: {observed:?}"
    );
    // The restarted server still opens sessions on the same chain.
    db.support().open(json!({"reason": "after the crashes"}));
    db.check(true);
}
