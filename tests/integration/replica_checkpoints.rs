//! Signed checkpoints with several replicas on one PostgreSQL database: replicas starting
//! together end up with one signing key, and a checkpoint taken on one replica verifies
//! against the log read from another.

use serde_json::json;

use crate::api_audit_tree::assert_every_event_proven;
use crate::common::cli::Run;
use crate::common::go_note::go_verify;
use crate::common::harness::{PgDatabase, cli_command, skip_postgres};
use crate::common::server_process::{Launch, ServerProcess};

fn start(db: &str, dev: bool, dir: &std::path::Path, name: &str) -> ServerProcess {
    ServerProcess::start(Launch {
        db,
        log: &dir.join(format!("{name}.log")),
        log_filter: "info,sqlx=warn",
        dev,
        extra_args: &[],
    })
}

fn text(process: &ServerProcess, token: &str, path: &str) -> String {
    let reply = process.api(token).get(path);
    reply.assert_ok();
    reply.body.as_str().unwrap().to_owned()
}

#[test]
fn a_checkpoint_from_one_replica_verifies_against_the_log_of_the_other() {
    if skip_postgres("a_checkpoint_from_one_replica_verifies_against_the_log_of_the_other") {
        return;
    }
    let db = PgDatabase::create();
    let dir = tempfile::tempdir().unwrap();
    // Both start on the fresh database at once: each offers a new key, one is kept.
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| start(&db.url, true, dir.path(), "a"));
        let b = scope.spawn(|| start(&db.url, false, dir.path(), "b"));
        (a.join().unwrap(), b.join().unwrap())
    });
    let tokens = a.tokens.clone().unwrap();
    let key = text(&a, "", "/v1/audit/key");
    assert_eq!(text(&b, "", "/v1/audit/key"), key, "two replicas, two keys");

    for n in 0..3 {
        a.api(&tokens.admin)
            .grant(json!({"level": "member", "reason": format!("on a {n}")}));
    }
    let note = text(&a, &tokens.admin, "/v1/orgs/acme/audit/checkpoint");
    go_verify(&key, &note).unwrap();
    let vendor_note = text(&a, &tokens.operator, "/v1/audit/checkpoint");
    // The log moves on through the other replica.
    b.api(&tokens.admin)
        .grant(json!({"level": "read-only", "reason": "on b"}));
    b.api(&tokens.operator)
        .post(
            "/v1/accounts",
            json!({"email": "b@supportctl.test", "role": "support"}),
        )
        .assert_ok();

    let checkpoint = dir.path().join("acme.checkpoint");
    std::fs::write(&checkpoint, &note).unwrap();
    let vendor_checkpoint = dir.path().join("vendor.checkpoint");
    std::fs::write(&vendor_checkpoint, &vendor_note).unwrap();
    let on_b = |token: &str| Run::new(cli_command(&b.url, token, &dir.path().join("config")));
    on_b(&tokens.admin)
        .args(["audit", "verify", "--key", key.trim(), "--checkpoint"])
        .arg(checkpoint.to_str().unwrap())
        .ok()
        .stderr_has("extends the checkpoint");
    on_b(&tokens.operator)
        .args(["audit", "verify", "--key", key.trim(), "--checkpoint"])
        .arg(vendor_checkpoint.to_str().unwrap())
        .ok()
        .stderr_has("extends the checkpoint");
    // And B's own checkpoint is signed by the same key.
    go_verify(
        &key,
        &text(&b, &tokens.admin, "/v1/orgs/acme/audit/checkpoint"),
    )
    .unwrap();
}

/// Two replicas deciding `authorize` for one org at once: each appends its batches under the
/// org's lock, from the tree's frontier as the other left it, so the org has one tree, which
/// Go's `sumdb/tlog` proves every event in.
#[test]
fn replicas_authorizing_at_once_grow_one_tree() {
    if skip_postgres("replicas_authorizing_at_once_grow_one_tree") {
        return;
    }
    let db = PgDatabase::create();
    let dir = tempfile::tempdir().unwrap();
    let a = start(&db.url, true, dir.path(), "a");
    let b = start(&db.url, false, dir.path(), "b");
    let tokens = a.tokens.clone().unwrap();
    let grant = a
        .api(&tokens.admin)
        .grant(json!({"level": "member", "reason": "replicas"}));
    let (_, session) = b
        .api(&tokens.support)
        .open(json!({"grant_id": grant, "reason": "look"}));
    let before = a.api(&tokens.admin).all("/v1/orgs/acme/audit").len();
    std::thread::scope(|scope| {
        for (i, replica) in [&a, &b, &a, &b].into_iter().enumerate() {
            let (service, session) = (&tokens.service, &session);
            scope.spawn(move || {
                let platform = replica.api(service);
                for n in 0..25 {
                    platform
                        .post(
                            "/v1/authorize",
                            json!({"token": session, "area": "chats", "action": "read",
                                   "resource": format!("doc-{i}-{n}")}),
                        )
                        .assert_ok();
                }
            });
        }
    });
    let key = text(&a, "", "/v1/audit/key");
    let tree = assert_every_event_proven(&b.api(&tokens.admin), "/v1/orgs/acme/audit", &key);
    assert_eq!(tree.size as usize, before + 100);
}
