//! `kill -9` under authorize load, on SQLite and on PostgreSQL: every `allow` a client received
//! has its `access.allowed` event after a restart, and the chain still verifies. Each request
//! names its own `resource`, so each answer is matched to its own event (events that committed
//! but whose answer the kill cut off may exist too; they are never missing the other way).

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::harness::{Api, PgDatabase, http_client, skip_postgres};
use crate::common::server_process::{Launch, ServerProcess};
use crate::crash::assert_chain_valid;

const CALLERS: usize = 8;
const SESSIONS: usize = 3;

fn start(db: &str, log: &Path, dev: bool) -> ServerProcess {
    ServerProcess::start(Launch {
        db,
        log,
        log_filter: "info,sqlx=warn",
        dev,
        extra_args: &[],
    })
}

fn killed_under_authorize_load_keeps_every_allow(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(db, &dir.path().join("server-0.log"), true);
    let tokens = server.tokens.clone().unwrap();
    let admin = server.api(&tokens.admin);
    admin.grant(json!({"level": "member", "reason": "crash under authorize"}));
    let support = server.api(&tokens.support);
    let session_tokens: Vec<String> = (0..SESSIONS)
        .map(|_| {
            let reply = support.post(
                "/v1/orgs/acme/sessions",
                json!({"reason": "crash under authorize", "ttl_seconds": 3600}),
            );
            assert_eq!(reply.status, 201, "{}", reply.body);
            reply.body["token"].as_str().unwrap().to_owned()
        })
        .collect();

    let answered = AtomicUsize::new(0);
    let url = server.url.clone();
    let allowed: Vec<String> = thread::scope(|scope| {
        let callers: Vec<_> = (0..CALLERS)
            .map(|caller| {
                let (url, service, sessions, answered) =
                    (&url, &tokens.service, &session_tokens, &answered);
                scope.spawn(move || {
                    let http = http_client();
                    let mut allowed = Vec::new();
                    for i in 0.. {
                        let resource = format!("r-{caller}-{i}");
                        let body = json!({
                            "token": sessions[(caller + i) % sessions.len()],
                            "area": "chats",
                            "action": "read",
                            "resource": resource,
                        });
                        let Ok(response) = http
                            .post(format!("{url}/v1/authorize"))
                            .bearer_auth(service)
                            .json(&body)
                            .send()
                        else {
                            break;
                        };
                        let Ok(reply) = response.json::<Value>() else {
                            break;
                        };
                        assert_eq!(reply["allow"], json!(true), "{reply}");
                        allowed.push(resource);
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    allowed
                })
            })
            .collect();
        // Kill once the load runs (on the answers, not the clock: a loaded machine is slow).
        let deadline = Instant::now() + Duration::from_secs(60);
        while answered.load(Ordering::Relaxed) < 300 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        server.kill9();
        callers
            .into_iter()
            .flat_map(|caller| caller.join().unwrap())
            .collect()
    });
    assert!(
        allowed.len() >= 300,
        "the load never ran: {} answers",
        allowed.len()
    );

    let server = start(db, &dir.path().join("server-1.log"), false);
    assert_every_allow_recorded(&server.api(&tokens.admin), &allowed);
}

/// Every resource in `allowed` (an `allow` a client received) has its `access.allowed` event in
/// org acme's log, which still verifies.
pub(crate) fn assert_every_allow_recorded(admin: &Api, allowed: &[String]) {
    let events = admin.all("/v1/orgs/acme/audit?action=access.allowed");
    let recorded: HashSet<&str> = events
        .iter()
        .map(|event| event["details"]["resource"].as_str().unwrap())
        .collect();
    let lost: Vec<&String> = allowed
        .iter()
        .filter(|resource| !recorded.contains(resource.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} allows a client received have no event after the restart, e.g. {:?}",
        lost.len(),
        allowed.len(),
        &lost[..lost.len().min(5)]
    );
    assert_chain_valid(&admin.all("/v1/orgs/acme/audit"));
}

#[test]
fn sqlite_killed_under_authorize_load_keeps_every_allow() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("crash.db").display());
    killed_under_authorize_load_keeps_every_allow(&db);
}

#[test]
fn postgres_killed_under_authorize_load_keeps_every_allow() {
    if skip_postgres("postgres_killed_under_authorize_load_keeps_every_allow") {
        return;
    }
    let db = PgDatabase::create();
    killed_under_authorize_load_keeps_every_allow(&db.url);
}
