//! `supportctl audit prove` and `audit verify --checkpoint` by proofs from the chains' Merkle
//! trees: a kept checkpoint is checked against the server's signed tree by a consistency
//! proof, without reading the log, and a log cut short or rewritten (its tree rebuilt to
//! match, as someone covering their tracks would) fails with exit 1.

use serde_json::{Value, json};
use supportctl::api::tlog::{Frontier, leaf_hash};

use crate::common::cli::Cli;
use crate::common::fixtures::audit;
use crate::common::go_note::go_verify;
use crate::common::go_tlog::go_check_inclusion;
use crate::common::harness::{Backend, TestServer, run_sql};

crate::common::conformance::conformance! {
    a_kept_checkpoint_is_verified_by_a_consistency_proof_and_catches_truncation_and_rewriting,
    audit_prove_checks_an_event_against_the_signed_tree,
}

fn write(dir: &std::path::Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

/// A blob literal of `bytes` in the server's database.
fn blob(server: &TestServer, bytes: &[u8]) -> String {
    if server.db_url.starts_with("sqlite:") {
        format!("X'{}'", hex::encode(bytes))
    } else {
        format!("'\\x{}'::bytea", hex::encode(bytes))
    }
}

/// Rewrites acme's log in the database to the events with `hashes`, its tree rebuilt for
/// them: what someone with the database would do to cover a change.
fn rewrite_log(server: &TestServer, hashes: &[String]) {
    let mut tree = Frontier::default();
    let mut sql = Vec::new();
    for (i, hash) in hashes.iter().enumerate() {
        let stored: Vec<u8> = tree
            .append(leaf_hash(hash).unwrap())
            .iter()
            .flat_map(|h| h.0)
            .collect();
        sql.push(format!(
            "UPDATE audit_events SET hash = '{hash}', tree_hashes = {} \
             WHERE org_pk = (SELECT pk FROM orgs WHERE slug = 'acme') AND seq = {}",
            blob(server, &stored),
            i + 1
        ));
    }
    sql.push(format!(
        "DELETE FROM audit_events WHERE org_pk = (SELECT pk FROM orgs WHERE slug = 'acme') \
         AND seq > {}",
        hashes.len()
    ));
    sql.push(format!(
        "UPDATE orgs SET audit_seq = {}, audit_hash = '{}', audit_tree_size = {}, \
         audit_tree = {} WHERE slug = 'acme'",
        hashes.len(),
        hashes.last().unwrap(),
        hashes.len(),
        blob(server, &tree.to_bytes())
    ));
    for statement in sql {
        run_sql(&server.db_url, &statement);
    }
}

fn a_kept_checkpoint_is_verified_by_a_consistency_proof_and_catches_truncation_and_rewriting(
    backend: Backend,
) {
    let server = TestServer::on(backend);
    let admin = server.admin();
    for n in 0..6 {
        admin.grant(json!({"level": "read-only", "reason": format!("work {n}")}));
    }
    let dir = tempfile::tempdir().unwrap();
    let key = server.as_nobody().args(["audit", "key"]).ok().stdout;
    let key_file = write(dir.path(), "server.key", &key);
    let note = server.as_admin().args(["audit", "checkpoint"]).ok().stdout;
    go_verify(&key, &note).unwrap();
    let checkpoint = write(dir.path(), "acme.checkpoint", &note);
    let verify = || {
        server.as_admin().args([
            "audit",
            "verify",
            "--checkpoint",
            &checkpoint,
            "--key",
            &key_file,
        ])
    };
    // Right away, and after more events: a consistency proof, checked here.
    verify()
        .ok()
        .stderr_has("extends the checkpoint")
        .stderr_has("consistency proof");
    for n in 0..4 {
        admin.grant(json!({"level": "member", "reason": format!("later {n}")}));
    }
    let out = verify().args(["-o", "json"]).ok();
    let verdict = out.json();
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["proof"], "consistency", "{verdict}");
    let events = audit(&admin, "acme");
    assert_eq!(verdict["current"]["seq"], events.len() as i64, "{verdict}");
    // --full also reads the whole log and checks the checkpoint's root from it.
    verify()
        .arg("--full")
        .ok()
        .stderr_has(&format!("{} events", events.len()));
    // A checkpoint of another server's key: exit 1, nothing proven.
    server
        .as_admin()
        .args(["audit", "verify", "--checkpoint", &checkpoint])
        .args([
            "--key",
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ])
        .code(1);
    // --full needs a checkpoint (usage: exit 2).
    server
        .as_admin()
        .args(["audit", "verify", "--full"])
        .code(2);

    let hashes: Vec<String> = events
        .iter()
        .map(|e| e["hash"].as_str().unwrap().to_owned())
        .collect();
    let checkpoint_seq: usize = note.lines().nth(1).unwrap().parse().unwrap();
    // Rewritten from an event the checkpoint covers, the tree rebuilt to match.
    let mut rewritten = hashes.clone();
    rewritten[2] = "ab".repeat(32);
    rewrite_log(&server, &rewritten);
    verify()
        .code(1)
        .stderr_has("rewritten since the checkpoint");
    // Put back as it was: it extends the checkpoint again.
    rewrite_log(&server, &hashes);
    verify().ok().stderr_has("extends the checkpoint");
    // Cut short before the checkpoint's head.
    rewrite_log(&server, &hashes[..checkpoint_seq - 2]);
    verify()
        .code(1)
        .stderr_has("truncated since the checkpoint")
        .stderr_has(&format!("has {} events", checkpoint_seq - 2));
    let out = verify().args(["-o", "json"]).code(1);
    assert_eq!(out.json()["valid"], false);
}

fn audit_prove_checks_an_event_against_the_signed_tree(backend: Backend) {
    let server = TestServer::on(backend);
    let admin = server.admin();
    for n in 0..3 {
        admin.grant(json!({"level": "read-only", "reason": format!("work {n}")}));
    }
    let key = server.as_nobody().args(["audit", "key"]).ok().stdout;
    let events = audit(&admin, "acme");
    server
        .as_admin()
        .args(["audit", "prove", "2"])
        .ok()
        .stderr_has("Event 2 of org acme")
        .stderr_has(&format!("signed at {} events", events.len()));
    let out = server
        .as_admin()
        .args(["audit", "prove", "3", "--key", key.trim(), "-o", "json"])
        .ok();
    let proven: Value = out.json();
    assert_eq!(proven["seq"], 3);
    assert_eq!(proven["hash"], events[2]["hash"]);
    // What it printed is enough for Go to check, with the checkpoint it embeds.
    let note = proven["checkpoint"].as_str().unwrap();
    let body = go_verify(&key, note).unwrap();
    let root = body.lines().nth(2).unwrap();
    let size = proven["size"].as_i64().unwrap();
    let proof: Vec<String> = proven["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    go_check_inclusion(root, size, 3, proven["hash"].as_str().unwrap(), &proof).unwrap();

    // The vendor chain, for operators.
    server
        .as_operator()
        .args(["audit", "prove", "1", "--vendor"])
        .ok()
        .stderr_has("Event 1 of the vendor chain");
    // No such event yet: exit 1; not a seq: usage, exit 2.
    server
        .as_admin()
        .args(["audit", "prove", "9999"])
        .code(1)
        .stderr_has("has no event 9999");
    for bad in ["0", "-3", "x"] {
        server.as_admin().args(["audit", "prove", bad]).code(2);
    }
    server
        .as_admin()
        .args(["audit", "prove", "1", "--org", "acme", "--vendor"])
        .code(2);
    // Another org's log, or none: not found (exit 3).
    server
        .as_admin()
        .args(["audit", "prove", "1", "--org", "nosuchorg"])
        .code(3);
}
