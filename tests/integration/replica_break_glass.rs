//! Break-glass on two server processes sharing one PostgreSQL database: a confirmation on one
//! replica races the engineer's cancellation on the other, and an admin's dispute on one races
//! an acknowledgement and a session opening on the other. Exactly one outcome each time, and
//! once a dispute has been answered, no replica says anything of the grant is active.

use std::sync::{Arc, Barrier};
use std::thread;

use serde_json::{Value, json};

use crate::common::harness::{Api, PgDatabase, Reply, skip_postgres};
use crate::common::server_process::{Launch, ServerProcess};

/// Two replicas on one fresh database, acme's accounts from the first one's `--dev`.
struct Pair {
    a: ServerProcess,
    b: ServerProcess,
    _dirs: [tempfile::TempDir; 2],
    _db: PgDatabase,
}

impl Pair {
    fn start() -> Pair {
        let db = PgDatabase::create();
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let start = |dir: &tempfile::TempDir, dev: bool| {
            ServerProcess::start(Launch {
                db: &db.url,
                log: &dir.path().join("server.log"),
                log_filter: "info,sqlx=warn",
                dev,
                extra_args: &[],
            })
        };
        let a = start(&dirs[0], true);
        let b = start(&dirs[1], false);
        Pair {
            a,
            b,
            _dirs: dirs,
            _db: db,
        }
    }

    fn on(&self, replica: &ServerProcess, role: &str) -> Api {
        let tokens = self.a.tokens.as_ref().unwrap();
        replica.api(match role {
            "operator" => &tokens.operator,
            "admin" => &tokens.admin,
            "support" => &tokens.support,
            _ => &tokens.service,
        })
    }
}

/// Runs both calls on threads released together.
fn at_once(
    a: impl FnOnce() -> Reply + Send + 'static,
    b: impl FnOnce() -> Reply + Send + 'static,
) -> (Reply, Reply) {
    let barrier = Arc::new(Barrier::new(2));
    let other = barrier.clone();
    let first = thread::spawn(move || {
        other.wait();
        a()
    });
    barrier.wait();
    let second = b();
    (first.join().unwrap(), second)
}

fn file(engineer: &Api, reason: &str) -> String {
    let reply = engineer.post(
        "/v1/orgs/acme/requests",
        json!({"level": "read-only", "reason": reason, "break_glass": true}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

fn introspect_active(service: &Api, token: &str) -> bool {
    let reply = service.post("/v1/introspect", json!({ "token": token }));
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["active"] == json!(true)
}

fn allow_break_glass(admin: &Api) {
    let mut policy = admin.get("/v1/orgs/acme/policy").body;
    policy["break_glass"] =
        json!({"allowed": true, "max_level": "member", "max_duration_seconds": 3600});
    let reply = crate::api_policy::put(admin, "acme", &policy);
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn confirm_on_one_replica_racing_cancel_on_the_other_has_one_outcome() {
    if skip_postgres("confirm_on_one_replica_racing_cancel_on_the_other_has_one_outcome") {
        return;
    }
    let pair = Pair::start();
    allow_break_glass(&pair.on(&pair.a, "admin"));
    for round in 0..6 {
        let request = file(&pair.on(&pair.b, "support"), &format!("race {round}"));
        let (operator, engineer) = (pair.on(&pair.a, "operator"), pair.on(&pair.b, "support"));
        let confirm = format!("/v1/orgs/acme/requests/{request}/confirm");
        let cancel = format!("/v1/requests/{request}/cancel");
        let (confirmed, cancelled) = at_once(
            move || operator.post_empty(&confirm),
            move || engineer.post_empty(&cancel),
        );
        let statuses = (confirmed.status, cancelled.status);
        for replica in [&pair.a, &pair.b] {
            let seen = pair
                .on(replica, "admin")
                .get(&format!("/v1/orgs/acme/requests/{request}"))
                .body;
            match statuses {
                (200, 409) => {
                    assert_eq!(seen["status"], "approved");
                    let grant = seen["grant_id"].as_str().unwrap();
                    let grant = pair
                        .on(replica, "admin")
                        .get(&format!("/v1/orgs/acme/grants/{grant}"))
                        .body;
                    assert_eq!(grant["status"], "active");
                    assert_eq!(grant["acknowledged"], false);
                }
                (409, 200) => {
                    assert_eq!(seen["status"], "cancelled");
                    assert_eq!(seen["grant_id"], Value::Null);
                }
                other => panic!("not exactly one outcome: {other:?} {confirmed:?} {cancelled:?}"),
            }
        }
    }
    // One grant per confirmation, and a gap-free chain.
    let admin = pair.on(&pair.b, "admin");
    let grants = admin.all("/v1/orgs/acme/grants?status=all");
    let approved = admin.all("/v1/orgs/acme/requests?status=approved");
    assert_eq!(grants.len(), approved.len());
    let events = admin.all("/v1/orgs/acme/audit");
    supportctl::api::chain::verify_chain(&events).unwrap();
}

#[test]
fn dispute_on_one_replica_leaves_nothing_active_on_the_other() {
    if skip_postgres("dispute_on_one_replica_leaves_nothing_active_on_the_other") {
        return;
    }
    let pair = Pair::start();
    allow_break_glass(&pair.on(&pair.a, "admin"));
    for round in 0..6 {
        let request = file(&pair.on(&pair.a, "support"), &format!("dispute {round}"));
        let confirmed = pair
            .on(&pair.a, "operator")
            .post_empty(&format!("/v1/orgs/acme/requests/{request}/confirm"));
        confirmed.assert_ok();
        let grant = confirmed.body["grant_id"].as_str().unwrap().to_owned();
        let opened = pair.on(&pair.a, "support").post(
            "/v1/orgs/acme/sessions",
            json!({"grant_id": grant, "reason": "before"}),
        );
        assert_eq!(opened.status, 201, "{}", opened.body);
        let token = opened.body["token"].as_str().unwrap().to_owned();
        // A dispute on B races, on A, an acknowledgement (odd rounds) or a session opening.
        let disputer = pair.on(&pair.b, "admin");
        let dispute = format!("/v1/orgs/acme/grants/{grant}/dispute");
        let other = pair.on(&pair.a, if round % 2 == 1 { "admin" } else { "support" });
        let racing = if round % 2 == 1 {
            let path = format!("/v1/orgs/acme/grants/{grant}/acknowledge");
            Box::new(move || other.post_empty(&path)) as Box<dyn FnOnce() -> Reply + Send>
        } else {
            let body = json!({"grant_id": grant, "reason": "during"});
            Box::new(move || other.post("/v1/orgs/acme/sessions", body))
        };
        let (disputed, raced) = at_once(
            move || disputer.post(&dispute, json!({"reason": "no"})),
            racing,
        );
        let mut tokens = vec![token];
        if round % 2 == 1 {
            // Exactly one answer stands.
            match (disputed.status, raced.status) {
                (200, 409) | (409, 200) => {}
                other => panic!("not exactly one outcome: {other:?}"),
            }
        } else if raced.status == 201 {
            tokens.push(raced.body["token"].as_str().unwrap().to_owned());
        }
        let committed = disputed.status == 200;
        for replica in [&pair.a, &pair.b] {
            let seen = pair
                .on(replica, "admin")
                .get(&format!("/v1/orgs/acme/grants/{grant}"))
                .body;
            let service = pair.on(replica, "service");
            if committed {
                // Never an active grant, nor session, after a committed dispute.
                assert_eq!(seen["status"], "revoked", "{seen}");
                assert_eq!(seen["review"]["outcome"], "disputed");
                for token in &tokens {
                    assert!(!introspect_active(&service, token));
                }
            } else {
                assert_eq!(seen["review"]["outcome"], "acknowledged");
                assert_eq!(seen["status"], "active");
            }
        }
        if committed {
            // And no session opens on it afterwards, on either replica.
            for replica in [&pair.a, &pair.b] {
                let late = pair.on(replica, "support").post(
                    "/v1/orgs/acme/sessions",
                    json!({"grant_id": grant, "reason": "after"}),
                );
                assert!([404, 409].contains(&late.status), "{late:?}");
            }
        }
    }
}
