//! `authorize` by group commit: decisions waiting for their org's writer are decided, recorded
//! and answered whatever happens to the callers queued with them.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use supportctl::api::{Action, Area};
use supportctl::server::store::AccessRequest;
use supportctl::server::tokens::hash_token;

use crate::common::fixtures::*;
use crate::common::harness::{Backend, TestServer};
use crate::crash::assert_chain_valid;

crate::common::conformance::conformance! {
    callers_that_hang_up_do_not_drop_the_decisions_queued_with_them,
    other_writes_are_not_held_up_by_a_steady_stream_of_decisions,
}

const CALLERS: usize = 60;

fn callers_that_hang_up_do_not_drop_the_decisions_queued_with_them(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let read_chats = read_chats_in_a_new_session(&server, "batches");
    let now = now(&server);
    let store = server.store.clone();
    let answered = server.runtime.block_on(async move {
        let calls: Vec<_> = (0..CALLERS)
            .map(|i| {
                let store = store.clone();
                let access = AccessRequest {
                    resource: Some(format!("r-{i}")),
                    ..read_chats.clone()
                };
                tokio::spawn(async move { store.decide_access(&access, now).await })
            })
            .collect();
        // Let the calls queue, then hang up every other one (a client gone mid-request).
        tokio::time::sleep(Duration::from_millis(1)).await;
        for call in calls.iter().step_by(2) {
            call.abort();
        }
        let mut answered = Vec::new();
        for (i, call) in calls.into_iter().enumerate() {
            match call.await {
                Ok(answer) => {
                    let denial = answer.unwrap_or_else(|e| panic!("call {i} failed: {e}"));
                    assert_eq!(denial, None, "call {i} was denied");
                    answered.push(format!("r-{i}"));
                }
                Err(error) => assert!(error.is_cancelled() && i % 2 == 0, "call {i}: {error}"),
            }
        }
        answered
    });
    // Every caller that stayed got its answer...
    assert!(answered.len() >= CALLERS / 2, "{answered:?}");
    // ...after its event was committed, in a chain without gaps.
    let events = audit(&admin, ACME);
    assert_chain_valid(&events);
    let recorded: HashSet<&str> = with_action(&events, "access.allowed")
        .iter()
        .map(|event| event["details"]["resource"].as_str().unwrap())
        .collect();
    for resource in &answered {
        assert!(
            recorded.contains(resource.as_str()),
            "no event for {resource}"
        );
    }
}

/// An org's writer keeps its connection from batch to batch only while nobody else waits for
/// it: under decisions that never let its queue run dry, a write on the connection it holds
/// (on SQLite every write shares one) still gets its turn after a batch.
fn other_writes_are_not_held_up_by_a_steady_stream_of_decisions(backend: Backend) {
    const IN_FLIGHT: usize = 64;
    let server = TestServer::on(backend);
    let access = read_chats_in_a_new_session(&server, "load");
    let now = now(&server);
    let store = server.store.clone();
    let (waited, decided) = server.runtime.block_on(async move {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Each caller asks again as soon as it is answered, so the queue never runs dry.
        let callers: Vec<_> = (0..IN_FLIGHT)
            .map(|_| {
                let (store, access, stop) = (store.clone(), access.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut decided = 0_u64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        store.decide_access(&access, now).await.unwrap();
                        decided += 1;
                    }
                    decided
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // One batch takes milliseconds; a writer that kept its connection regardless made this
        // wait until its queue happened to run dry (0.8 s and more in the debug build).
        let started = std::time::Instant::now();
        let released =
            tokio::time::timeout(Duration::from_millis(300), store.release_delivery_leases()).await;
        let waited = started.elapsed();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut decided = 0;
        for caller in callers {
            decided += caller.await.unwrap();
        }
        assert!(
            released.is_ok(),
            "a write waited over 300 ms for the decisions ({decided} decided)"
        );
        released.unwrap().unwrap();
        (waited, decided)
    });
    assert!(decided > IN_FLIGHT as u64, "{decided} decisions");
    eprintln!("a write under {IN_FLIGHT} callers waited {waited:?} ({decided} decisions)");
}

/// The platform service asking to read chats in an engineer's session of a new grant (given
/// `reason`), as `authorize` builds the question after its lookups.
pub fn read_chats_in_a_new_session(server: &TestServer, reason: &str) -> AccessRequest {
    let grant = admin(server).grant(json!({"level": "member", "reason": reason}));
    let (_, token) = support(server).open(json!({"grant_id": grant, "reason": "look"}));
    let store = server.store.clone();
    let service = hash_token(&server.tokens.service);
    server.runtime.block_on(async move {
        let reporter = store.authenticate_account(&service).await.unwrap().unwrap();
        let token = hash_token(&token);
        let session = store.authenticate_session(&token).await.unwrap().unwrap();
        AccessRequest {
            session,
            token,
            reporter: reporter.principal.clone(),
            area: Area::Chats,
            action: Action::Read,
            resource: None,
        }
    })
}
