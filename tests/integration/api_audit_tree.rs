//! The audit chains as Merkle trees, judged by Go's `golang.org/x/mod/sumdb/tlog` (code that
//! shares nothing with ours): every event of an org's chain and of the vendor's is proven in
//! the tree its signed checkpoint states, including the events the authorize group commit
//! wrote in batches; newer trees are proven to extend older ones; a proof for the wrong event,
//! a changed event or a shrunk tree is refused; bad requests are refused without a proof.

use serde_json::{Value, json};
use supportctl::api::checkpoint::Checkpoint;
use supportctl::api::tlog::{Frontier, encode_hash, leaf_hash};

use crate::api_authorize_batches::read_chats_in_a_new_session;
use crate::api_checkpoints::empty_org;
use crate::common::fixtures::*;
use crate::common::go_note::go_verify;
use crate::common::go_tlog::{go_check_consistency, go_check_inclusion};
use crate::common::harness::{Api, Backend, TestServer};

crate::common::conformance::conformance! {
    go_s_tlog_proves_every_event_and_that_newer_trees_extend_older_ones,
    proof_requests_out_of_range_or_of_other_orgs_are_refused,
}

/// A signed tree: its size and root (base64), as the checkpoint states them.
#[derive(Debug, Clone)]
pub struct SignedTree {
    pub size: i64,
    pub root: String,
}

/// The chain's checkpoint now, accepted by Go's signed-note package and ours.
pub fn signed_tree(api: &Api, base: &str, key: &str) -> SignedTree {
    let reply = api.get(&format!("{base}/checkpoint"));
    reply.assert_ok();
    let note = reply.body.as_str().unwrap().to_owned();
    let body = go_verify(key, &note).unwrap_or_else(|e| panic!("Go rejected {note}: {e}"));
    let checkpoint = Checkpoint::open(&note, key.trim()).unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[1], checkpoint.seq.to_string(), "{body}");
    SignedTree {
        size: checkpoint.seq,
        root: lines[2].to_owned(),
    }
}

/// Every event of the chain at `base` (`/v1/orgs/ORG/audit` or `/v1/audit`) up to the signed
/// tree's size is proven in it by Go; the root is also the tree of the listed events.
pub fn assert_every_event_proven(api: &Api, base: &str, key: &str) -> SignedTree {
    let tree = signed_tree(api, base, key);
    let events = api.all(base);
    assert!(events.len() as i64 >= tree.size, "{base}");
    let mut ours = Frontier::default();
    for event in &events[..tree.size as usize] {
        ours.append(leaf_hash(event["hash"].as_str().unwrap()).unwrap());
    }
    assert_eq!(encode_hash(&ours.root()), tree.root, "{base}");
    for event in &events[..tree.size as usize] {
        let seq = event["seq"].as_i64().unwrap();
        let proof = proof(api, base, seq, tree.size);
        assert_eq!(proof["seq"], seq);
        assert_eq!(proof["size"], tree.size);
        assert_eq!(proof["hash"], event["hash"], "{base} {seq}");
        go_check_inclusion(
            &tree.root,
            tree.size,
            seq,
            event["hash"].as_str().unwrap(),
            &hashes(&proof),
        )
        .unwrap_or_else(|e| panic!("{base}: event {seq} not proven: {e}"));
    }
    tree
}

pub fn proof(api: &Api, base: &str, seq: i64, size: i64) -> Value {
    let reply = api.get(&format!("{base}/proof?seq={seq}&size={size}"));
    reply.assert_ok();
    reply.body
}

pub fn consistency(api: &Api, base: &str, from: i64, to: i64) -> Vec<String> {
    let reply = api.get(&format!("{base}/consistency?from={from}&to={to}"));
    reply.assert_ok();
    hashes(&reply.body)
}

fn hashes(proof: &Value) -> Vec<String> {
    proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect()
}

/// Go accepts the proof that `newer` extends `older`, and refuses it for a shrunk tree.
pub fn assert_extends(api: &Api, base: &str, older: &SignedTree, newer: &SignedTree) {
    let proof = consistency(api, base, older.size, newer.size);
    go_check_consistency(&newer.root, newer.size, &older.root, older.size, &proof)
        .unwrap_or_else(|e| panic!("{base}: {newer:?} does not extend {older:?}: {e}"));
    if newer.size > older.size {
        // Read the other way, the log shrank from `newer` to `older`: no proof makes that hold.
        assert!(
            go_check_consistency(&older.root, older.size, &newer.root, newer.size, &proof).is_err(),
            "a shrunk tree passed"
        );
        assert!(
            go_check_consistency(&older.root, older.size, &newer.root, newer.size, &[]).is_err(),
            "a shrunk tree passed"
        );
    }
}

fn go_s_tlog_proves_every_event_and_that_newer_trees_extend_older_ones(backend: Backend) {
    let server = TestServer::on(backend);
    let key = server.anonymous().get("/v1/audit/key").body;
    let key = key.as_str().unwrap().trim().to_owned();
    let acme = admin(&server);
    let base = "/v1/orgs/acme/audit";
    let first = assert_every_event_proven(&acme, base, &key);

    // Decisions by the group commit, many per batch: each batch appends a run of leaves.
    let read_chats = read_chats_in_a_new_session(&server, "tree");
    let now = now(&server);
    let store = server.store.clone();
    server.runtime.block_on(async move {
        let calls: Vec<_> = (0..150)
            .map(|i| {
                let store = store.clone();
                let mut access = read_chats.clone();
                access.resource = Some(format!("doc-{i}"));
                tokio::spawn(async move { store.decide_access(&access, now).await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap(), None);
        }
    });
    let grant = acme.grant(json!({"level": "admin", "reason": "more"}));
    revoke(&acme, ACME, &grant).assert_ok();
    let second = assert_every_event_proven(&acme, base, &key);
    assert!(second.size > first.size + 150, "{first:?} {second:?}");

    // Every older tree is extended by the newest, as Go checks it.
    let events = audit(&acme, ACME);
    let mut tree = Frontier::default();
    for (i, event) in events[..second.size as usize].iter().enumerate() {
        tree.append(leaf_hash(event["hash"].as_str().unwrap()).unwrap());
        let older = SignedTree {
            size: i as i64 + 1,
            root: encode_hash(&tree.root()),
        };
        assert_extends(&acme, base, &older, &second);
    }
    assert_extends(&acme, base, &first, &second);

    // A proof for another event, or for a changed event, does not hold.
    let (seq, size) = (second.size / 2, second.size);
    let proven = proof(&acme, base, seq, size);
    let hash = proven["hash"].as_str().unwrap();
    let path = hashes(&proven);
    go_check_inclusion(&second.root, size, seq, hash, &path).unwrap();
    let other = events[seq as usize]["hash"].as_str().unwrap();
    assert!(go_check_inclusion(&second.root, size, seq + 1, other, &path).is_err());
    assert!(go_check_inclusion(&second.root, size, seq + 1, hash, &path).is_err());
    let mut changed = hash.to_owned();
    changed.replace_range(..1, if hash.starts_with('0') { "1" } else { "0" });
    assert!(go_check_inclusion(&second.root, size, seq, &changed, &path).is_err());
    // Nor against another tree's root.
    assert!(go_check_inclusion(&first.root, size, seq, hash, &path).is_err());
    // A consistency proof does not make an older tree with another root extend.
    let proof = consistency(&acme, base, first.size, second.size);
    let wrong = SignedTree {
        size: first.size,
        root: encode_hash(&leaf_hash(other).unwrap()),
    };
    assert!(
        go_check_consistency(&second.root, second.size, &wrong.root, wrong.size, &proof).is_err()
    );

    // The vendor chain, for operators.
    let operator = operator(&server);
    let vendor_first = assert_every_event_proven(&operator, "/v1/audit", &key);
    create_support(&server, "tree@supportctl.test");
    create_org_with_admin(&server, "treeorg");
    let vendor_second = assert_every_event_proven(&operator, "/v1/audit", &key);
    assert_eq!(vendor_second.size, vendor_first.size + 2);
    assert_extends(&operator, "/v1/audit", &vendor_first, &vendor_second);

    // A new org's chain starts a tree of its own; the empty tree is 32 zero bytes.
    let treeorg = client(
        &server,
        &create_account(&server, "x@treeorg.test", "admin", Some("treeorg")).token,
    );
    let tree = assert_every_event_proven(&treeorg, "/v1/orgs/treeorg/audit", &key);
    assert!(tree.size >= 1);
    let empty = empty_org(&server, "emptytree");
    let tree = signed_tree(&empty, "/v1/orgs/emptytree/audit", &key);
    assert_eq!(
        (tree.size, tree.root.as_str()),
        (0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    );
}

fn proof_requests_out_of_range_or_of_other_orgs_are_refused(backend: Backend) {
    let server = TestServer::on(backend);
    let acme = admin(&server);
    acme.grant(json!({"level": "member", "reason": "events"}));
    let head = audit(&acme, ACME).len() as i64;
    // Each in range but out of order: well-formed, and impossible.
    for query in [
        format!("proof?seq={}&size={head}", head + 1),
        format!("consistency?from={head}&to=1"),
    ] {
        acme.get(&format!("/v1/orgs/acme/audit/{query}"))
            .assert_problem(422, "invalid_request");
    }
    let invalid = [
        format!("proof?seq=0&size={head}"),
        format!("proof?seq=-1&size={head}"),
        "proof?seq=1&size=-1".to_owned(),
        "proof?seq=1&size=0".to_owned(),
        "proof?seq=x&size=1".to_owned(),
        "proof?seq=1".to_owned(),
        "proof?seq=1&size=1&extra=1".to_owned(),
        "consistency?from=1&to=0".to_owned(),
        format!("consistency?from=0&to={head}"),
        format!("consistency?from=-1&to={head}"),
        "consistency?from=1".to_owned(),
        "consistency?from=1&to=99999999999999999999".to_owned(),
    ];
    for query in &invalid {
        acme.get(&format!("/v1/orgs/acme/audit/{query}"))
            .assert_problem(400, "invalid_request");
    }
    // A tree larger than the log's is one that does not exist (yet).
    for query in [
        format!("proof?seq=1&size={}", head + 1),
        format!("consistency?from=1&to={}", head + 1),
    ] {
        acme.get(&format!("/v1/orgs/acme/audit/{query}"))
            .assert_problem(404, "not_found");
    }
    // Another org's, or one that does not exist: 404 alike.
    create_org_with_admin(&server, "other");
    for org in ["other", "nosuchorg"] {
        acme.get(&format!("/v1/orgs/{org}/audit/proof?seq=1&size=1"))
            .assert_problem(404, "not_found");
        acme.get(&format!("/v1/orgs/{org}/audit/consistency?from=1&to=1"))
            .assert_problem(404, "not_found");
    }
    // The vendor chain's are for operators.
    acme.get("/v1/audit/proof?seq=1&size=1")
        .assert_problem(403, "forbidden");
    support(&server)
        .get("/v1/orgs/acme/audit/proof?seq=1&size=1")
        .assert_problem(403, "forbidden");
    let operator = operator(&server);
    operator.get("/v1/audit/proof?seq=1&size=1").assert_ok();
    operator
        .get("/v1/audit/consistency?from=2&to=1")
        .assert_problem(422, "invalid_request");
    operator
        .get("/v1/audit/proof?seq=1&size=100000")
        .assert_problem(404, "not_found");
}
