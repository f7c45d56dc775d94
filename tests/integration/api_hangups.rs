//! A change that ends access holds even when its client hangs up mid-request: the request is
//! sent on a raw socket and the connection reset (RST, as when an admin presses Ctrl-C or a
//! proxy times out) at many points of its work. Whatever the outcome, once the change is in the
//! database no introspect or session call may still say "active" (a cached lookup from before
//! the change must not survive it).

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use supportctl::api::{Area, Level};
use supportctl::server::domain::policy::ScopeLimits;
use supportctl::server::store::{NewGrant, NewSession, Principal, WriteMode};
use supportctl::server::tokens::{hash_token, new_session_token};

use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};

crate::common::conformance::conformance! {
    a_bulk_revoke_cut_off_anywhere_never_leaves_its_sessions_active,
    a_disable_cut_off_anywhere_never_leaves_its_sessions_active,
    a_rotation_cut_off_anywhere_never_leaves_its_sessions_active,
}

/// Grants (or sessions) each cut-off request works through: enough for its commit to take a
/// while, few enough to repeat the trial many times.
const WORK: usize = 100;

fn principal(server: &TestServer, token: &str) -> Principal {
    let hash = hash_token(token);
    server.runtime.block_on(async {
        let auth = server
            .store
            .authenticate_account(&hash)
            .await
            .unwrap()
            .unwrap();
        auth.principal.clone()
    })
}

/// `n` grants in acme for the whole support team, written directly to the store.
fn seed_grants(server: &TestServer, admin: &Principal, n: usize) {
    let store = &server.store;
    let now = now(server);
    server.runtime.block_on(async {
        for i in 0..n {
            let grant = NewGrant {
                level: Level::Member,
                areas: supportctl::api::Area::ALL.to_vec(),
                engineers: Vec::new(),
                expires_at: plus(now, 8 * HOUR),
                reason: format!("bulk {i}"),
                ticket: None,
                // The org keeps the default policy, version 0.
                policy_version: 0,
                approval_rule: None,
            };
            store
                .grants()
                .create(admin, ACME, &grant, now, WriteMode::Commit)
                .await
                .unwrap();
        }
    });
}

/// `n` sessions of `engineer` in acme, written directly to the store.
fn seed_sessions(server: &TestServer, engineer: &Principal, n: usize) {
    let store = &server.store;
    let now = now(server);
    server.runtime.block_on(async {
        for i in 0..n {
            let session = NewSession {
                grant_id: None,
                level: None,
                areas: None,
                ttl_seconds: HOUR,
                reason: format!("bulk {i}"),
                token_hash: new_session_token().hash,
                max_active: u32::MAX,
                policy_version: 0,
                limits: ScopeLimits {
                    levels: vec![Level::ReadOnly, Level::Member, Level::Admin],
                    areas: Area::ALL.to_vec(),
                },
            };
            store
                .open_session(engineer, ACME, &session, now)
                .await
                .unwrap();
        }
    });
}

/// Sends `POST path` with `body` and resets the connection after `delay`, without reading
/// the answer.
fn post_and_reset(server: &TestServer, token: &str, path: &str, body: &Value, delay: Duration) {
    let address = server.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    let body = body.to_string();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    std::thread::sleep(delay);
    reset(stream);
}

/// Closes with SO_LINGER 0: the peer gets RST, not FIN.
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    let set = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(set, 0, "setsockopt(SO_LINGER)");
    drop(stream);
}

/// How long `POST path` takes when its client waits for the answer.
fn latency(api: &crate::common::harness::Api, path: &str, body: Value) -> Duration {
    let started = Instant::now();
    api.post(path, body).assert_ok();
    started.elapsed()
}

/// Whether the cut-off change ended `session`, as the admin API (which reads the database,
/// never a cache) shows it once the change has finished or been rolled back: polled for a
/// while, then after a write to the org, which waits for the org's lock and so for any change
/// still in flight there.
fn settle(server: &TestServer, session: &str) -> bool {
    let admin = admin(server);
    let ended = || {
        let reply = admin.get(&format!("/v1/sessions/{session}"));
        assert!(
            reply.status == 200 || reply.status == 503,
            "reading the session: {} {}",
            reply.status,
            reply.body
        );
        reply.status == 200 && matches!(reply.body["status"].as_str(), Some("closed" | "revoked"))
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if ended() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    admin.grant(json!({"level": "read-only", "reason": "barrier"}));
    ended()
}

/// A session that was active and whose end is committed must answer inactive everywhere.
fn assert_no_stale_answer(server: &TestServer, token: &str, trial: usize) {
    let introspected = introspect(server, token);
    assert_eq!(
        introspected,
        json!({"active": false}),
        "trial {trial}: the change is committed but introspect still says active"
    );
    let own = server.as_token(token).get("/v1/session");
    assert_eq!(
        own.status, 401,
        "trial {trial}: the change is committed but GET /v1/session still answers"
    );
}

/// Where to cut the next request off: a bisection for the moment its commit happens (a cut
/// before it leaves nothing changed, a cut after it leaves the change in place), since the
/// flaw this guards against lives in the instants around that moment. Once narrowed down, the
/// bracket is widened again a little, so that successive trials land on both sides of it.
struct CutOffs {
    early: Duration,
    late: Duration,
    step: Duration,
}

impl CutOffs {
    fn around(latency: Duration) -> CutOffs {
        CutOffs {
            early: latency.mul_f64(0.3),
            late: latency.mul_f64(1.2),
            step: latency.mul_f64(0.03),
        }
    }

    fn next(&self) -> Duration {
        (self.early + self.late) / 2
    }

    fn outcome(&mut self, delay: Duration, ended: bool) {
        if ended {
            self.late = delay;
        } else {
            self.early = delay;
        }
        if self.late.saturating_sub(self.early) < self.step {
            self.early = self.early.saturating_sub(self.step);
            self.late += self.step;
        }
    }
}

fn a_bulk_revoke_cut_off_anywhere_never_leaves_its_sessions_active(backend: Backend) {
    let server = TestServer::on(backend);
    let admin_api = admin(&server);
    let admin = principal(&server, &server.tokens.admin);
    let path = "/v1/orgs/acme/grants/revoke";
    let all = json!({"all": true, "reason": "incident"});
    seed_grants(&server, &admin, WORK);
    let latency = latency(&admin_api, path, all.clone());
    let mut cut_offs = CutOffs::around(latency);
    for trial in 0..30 {
        let delay = cut_offs.next();
        seed_grants(&server, &admin, WORK);
        let grant = admin_api.grant(json!({"level": "member", "reason": "watched"}));
        let (session, token) = support(&server).open(json!({"grant_id": grant, "reason": "look"}));
        // Asked while active, so that a cached answer would be the stale one.
        assert_active(&server, &token);
        server.as_token(&token).get("/v1/session").assert_ok();

        post_and_reset(&server, &server.tokens.admin, path, &all, delay);
        let ended = settle(&server, &session);
        cut_offs.outcome(delay, ended);
        if ended {
            assert_no_stale_answer(&server, &token, trial);
        } else {
            assert_active(&server, &token);
            admin_api.post(path, all.clone()).assert_ok();
        }
    }
}

fn a_disable_cut_off_anywhere_never_leaves_its_sessions_active(backend: Backend) {
    cut_off_account_change(backend, |id| format!("/v1/accounts/{id}/disable"));
}

fn a_rotation_cut_off_anywhere_never_leaves_its_sessions_active(backend: Backend) {
    cut_off_account_change(backend, |id| format!("/v1/accounts/{id}/rotate-token"));
}

/// Trials of an operator's change to an engineer with many open sessions, cut off at many
/// points: afterwards, if the change is in the database, the engineer's sessions are over.
fn cut_off_account_change(backend: Backend, path_of: impl Fn(&str) -> String) {
    let server = TestServer::on(backend);
    admin(&server).grant(json!({"level": "member", "reason": "team"}));
    let operator_api = operator(&server);
    let engineer = |n: usize| {
        let account = create_support(&server, &format!("eng{n}@supportctl.test"));
        let principal = principal(&server, &account.token);
        seed_sessions(&server, &principal, WORK);
        account
    };
    let calibration = engineer(0);
    let latency = latency(&operator_api, &path_of(&calibration.id), json!({}));
    let mut cut_offs = CutOffs::around(latency);
    for trial in 0..15 {
        let delay = cut_offs.next();
        let account = engineer(trial + 1);
        let (session, token) = client(&server, &account.token).open(json!({"reason": "watched"}));
        assert_active(&server, &token);
        server.as_token(&token).get("/v1/session").assert_ok();

        let path = path_of(&account.id);
        post_and_reset(&server, &server.tokens.operator, &path, &json!({}), delay);
        let ended = settle(&server, &session);
        cut_offs.outcome(delay, ended);
        if ended {
            assert_no_stale_answer(&server, &token, trial);
        } else {
            assert_active(&server, &token);
        }
    }
}
