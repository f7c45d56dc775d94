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
}

const CALLERS: usize = 60;

fn callers_that_hang_up_do_not_drop_the_decisions_queued_with_them(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = admin(&server);
    let grant = admin.grant(json!({"level": "member", "reason": "batches"}));
    let (_, token) = support(&server).open(json!({"grant_id": grant, "reason": "look"}));
    let now = now(&server);
    let store = server.store.clone();
    let service = hash_token(&server.tokens.service);
    let answered = server.runtime.block_on(async move {
        let reporter = store.authenticate_account(&service).await.unwrap().unwrap();
        let token = hash_token(&token);
        let session = store.authenticate_session(&token).await.unwrap().unwrap();
        let calls: Vec<_> = (0..CALLERS)
            .map(|i| {
                let store = store.clone();
                let access = AccessRequest {
                    session: session.clone(),
                    token,
                    reporter: reporter.principal.clone(),
                    area: Area::Chats,
                    action: Action::Read,
                    resource: Some(format!("r-{i}")),
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
