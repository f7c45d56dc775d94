//! `supportctl audit key`, `audit checkpoint` and `audit verify --checkpoint`: the tampering
//! that a hash chain alone cannot see (the newest events removed, everything removed, an edit
//! with every later hash recomputed) is caught with a checkpoint, and a checkpoint that is
//! altered, or not signed by the pinned key, is refused.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use supportctl::api::chain::event_hash;

use crate::api_checkpoints::empty_org;
use crate::common::cli::{Cli, Run, dead_server_url};
use crate::common::go_note::go_verify;
use crate::common::harness::TestServer;

/// Writes `contents` to `name` in `dir` and returns the path as text.
fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> String {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

/// `audit verify` against an export only: a server that is not there proves it is unused
/// (the key is pinned).
fn offline(server: &TestServer) -> Run {
    server
        .run_with("")
        .env("SUPPORTCTL_SERVER", dead_server_url())
}

/// Recomputes every hash from `seq` on, as someone rewriting the log would.
fn rehash_from(events: &mut [Value], seq: usize) {
    for index in seq - 1..events.len() {
        if index > 0 {
            events[index]["prev_hash"] = events[index - 1]["hash"].clone();
        }
        let hash = event_hash(&events[index]).unwrap();
        events[index]["hash"] = json!(hash);
    }
}

#[test]
fn a_checkpoint_catches_truncation_and_rewriting_that_the_chain_alone_cannot() {
    let server = TestServer::start();
    for n in 0..8 {
        server
            .admin()
            .grant(json!({"level": "read-only", "reason": format!("work {n}")}));
    }
    let dir = tempfile::tempdir().unwrap();
    let key = server.as_nobody().args(["audit", "key"]).ok().stdout;
    let key_file = write(dir.path(), "server.key", &key);
    let note = server.as_admin().args(["audit", "checkpoint"]).ok().stdout;
    let checkpoint = write(dir.path(), "acme.checkpoint", &note);
    // What the CLI saved is exactly what the server signed: Go accepts it as it is.
    go_verify(&key, &note).unwrap();
    let export = server
        .as_admin()
        .args(["audit", "list", "--all", "-o", "json"])
        .ok()
        .stdout;
    let events: Vec<Value> = serde_json::from_str(&export).unwrap();
    let head = events.len();
    assert!(head >= 10);
    let verify_with = |file: &str, checkpoint: &str, key: &str| {
        offline(&server).args([
            "audit",
            "verify",
            "--file",
            file,
            "--checkpoint",
            checkpoint,
            "--key",
            key,
        ])
    };
    let verify = |file: &str| verify_with(file, &checkpoint, &key_file);

    // The log as it was, and the live log after more has happened, both extend it.
    let intact = write(dir.path(), "intact.json", &export);
    verify(&intact)
        .ok()
        .stderr_has("extends the checkpoint saved ")
        .stderr_has(&format!("(seq {head})"));
    server
        .admin()
        .grant(json!({"level": "member", "reason": "later"}));
    server
        .as_admin()
        .args(["audit", "verify", "--checkpoint", &checkpoint])
        .ok()
        .stderr_has("extends the checkpoint");

    // Tampering that the chain alone lets through (exit 0 without a checkpoint).
    let mut rewritten = events.clone();
    rewritten[5]["details"]["reason"] = json!("nothing to see here");
    rehash_from(&mut rewritten, 6);
    let tampered = [
        ("truncated", events[..head - 1].to_vec(), "truncated"),
        ("empty", Vec::new(), "truncated"),
        ("rewritten", rewritten, "rewritten"),
    ];
    for (name, events, verdict) in tampered {
        let file = write(
            dir.path(),
            &format!("{name}.json"),
            serde_json::to_vec(&events).unwrap(),
        );
        offline(&server)
            .args(["audit", "verify", "--file", &file])
            .ok();
        let out = verify(&file).fails(1);
        out.assert_error_shape()
            .stderr_has(&format!(
                "the log was {verdict} since the checkpoint saved "
            ))
            .stderr_has(&format!("(seq {head})"));
        let json = verify(&file).args(["-o", "json"]).fails(1).json();
        assert_eq!(json["valid"], false, "{name}: {json}");
        assert_eq!(json["checkpoint"]["extended"], false, "{name}: {json}");
        assert_eq!(json["checkpoint"]["seq"], head, "{name}: {json}");
    }

    // A checkpoint altered after signing, a key that is not the signer's, a damaged key.
    let altered = write(
        dir.path(),
        "altered.checkpoint",
        note.replacen(&format!("\n{head}\n"), &format!("\n{}\n", head - 1), 1),
    );
    verify_with(&intact, &altered, &key_file)
        .fails(1)
        .stderr_has("is not valid");
    let other = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    verify_with(&intact, &checkpoint, other)
        .fails(1)
        .stderr_has("not signed by the key PeterNeumann+c74f20a3");
    verify_with(&intact, &checkpoint, "nobody+00000000+AAAA")
        .fails(1)
        .stderr_has("neither a verifier key");

    // Without --key the key is fetched from the server.
    server
        .as_admin()
        .args([
            "audit",
            "verify",
            "--file",
            &intact,
            "--checkpoint",
            &checkpoint,
        ])
        .ok();

    // An export of another chain than the checkpoint's.
    let vendor = server
        .as_operator()
        .args(["audit", "list", "--vendor", "--all", "-o", "json"])
        .ok()
        .stdout;
    let vendor = write(dir.path(), "vendor.json", vendor);
    verify(&vendor)
        .fails(1)
        .stderr_has("holds events of the vendor chain; the checkpoint is of another log: org acme");
}

#[test]
fn empty_org_and_vendor_checkpoints_verify_from_the_cli() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let key = server.as_nobody().args(["audit", "key"]).ok().stdout;

    // An org without a single event: seq 0, and any log of it extends the checkpoint.
    let empty = empty_org(&server, "quiet");
    let token = empty.token.clone().unwrap();
    let note = server
        .run_with(&token)
        .args(["audit", "checkpoint"])
        .ok()
        .stdout;
    assert!(note.starts_with(&format!(
        "{}/orgs/quiet\n0\n",
        key.split('+').next().unwrap()
    )));
    go_verify(&key, &note).unwrap();
    let checkpoint = write(dir.path(), "quiet.checkpoint", &note);
    server
        .run_with(&token)
        .args([
            "audit",
            "verify",
            "--checkpoint",
            &checkpoint,
            "--key",
            key.trim(),
        ])
        .ok()
        .stderr_has("0 events");

    // The vendor chain, for operators.
    let note = server
        .as_operator()
        .args(["audit", "checkpoint", "--vendor"])
        .ok()
        .stdout;
    go_verify(&key, &note).unwrap();
    let checkpoint = write(dir.path(), "vendor.checkpoint", &note);
    server
        .as_operator()
        .args([
            "account",
            "create",
            "late@supportctl.test",
            "--role",
            "support",
        ])
        .ok();
    server
        .as_operator()
        .args(["audit", "verify", "--vendor", "--checkpoint", &checkpoint])
        .ok()
        .stderr_has("Audit log of the vendor chain extends the checkpoint");
    let listed = server
        .as_operator()
        .args(["audit", "list", "--vendor", "-o", "json"])
        .ok()
        .json();
    assert_eq!(
        listed.as_array().unwrap().last().unwrap()["details"]["email"],
        "late@supportctl.test"
    );
    // Not for others; and a checkpoint is of one chain only.
    server
        .as_admin()
        .args(["audit", "checkpoint", "--vendor"])
        .fails(5);
    server
        .as_operator()
        .args([
            "audit",
            "verify",
            "--org",
            "acme",
            "--checkpoint",
            &checkpoint,
        ])
        .fails(1)
        .stderr_has("the checkpoint is of another log: the vendor chain, not org acme");
}

#[test]
fn a_checkpoint_of_another_log_fails_verification_with_exit_1() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let key = server.as_nobody().args(["audit", "key"]).ok().stdout;
    let other = empty_org(&server, "other");
    let note = server
        .run_with(&other.token.clone().unwrap())
        .args(["audit", "checkpoint"])
        .ok()
        .stdout;
    let other_org = write(dir.path(), "other.checkpoint", &note);
    let note = server
        .as_operator()
        .args(["audit", "checkpoint", "--vendor"])
        .ok()
        .stdout;
    let vendor = write(dir.path(), "vendor.checkpoint", &note);
    // Another org's (404 to read) and the vendor's (403 to an admin): not this admin's log.
    for (checkpoint, chain) in [(&other_org, "org other"), (&vendor, "the vendor chain")] {
        for pinned in [&["--key", key.trim()][..], &[][..]] {
            server
                .as_admin()
                .args(["audit", "verify", "--checkpoint", checkpoint])
                .args(pinned)
                .fails(1)
                .assert_error_shape()
                .stderr_has(&format!("the checkpoint is of another log: {chain}"));
        }
    }
    // Named explicitly, another org's is refused the same way.
    server
        .as_admin()
        .args([
            "audit",
            "verify",
            "--org",
            "acme",
            "--checkpoint",
            &other_org,
        ])
        .fails(1)
        .stderr_has("the checkpoint is of another log: org other, not org acme");
}

#[test]
fn an_org_named_vendor_verifies_its_checkpoints() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let key = server.as_nobody().args(["audit", "key"]).ok().stdout;
    let vendor = empty_org(&server, "vendor");
    let token = vendor.token.clone().unwrap();
    let note = server
        .run_with(&token)
        .args(["audit", "checkpoint"])
        .ok()
        .stdout;
    assert!(note.starts_with(&format!(
        "{}/orgs/vendor\n0\n",
        key.split('+').next().unwrap()
    )));
    let checkpoint = write(dir.path(), "vendor-org.checkpoint", &note);
    server
        .run_with(&token)
        .args([
            "audit",
            "verify",
            "--checkpoint",
            &checkpoint,
            "--key",
            key.trim(),
        ])
        .ok()
        .stderr_has("Audit log of org vendor extends the checkpoint");
    // The vendor's own chain still reads as the vendor's.
    let note = server
        .as_operator()
        .args(["audit", "checkpoint", "--vendor"])
        .ok()
        .stdout;
    let checkpoint = write(dir.path(), "vendor.checkpoint", &note);
    server
        .as_operator()
        .args([
            "audit",
            "verify",
            "--checkpoint",
            &checkpoint,
            "--key",
            key.trim(),
        ])
        .ok()
        .stderr_has("Audit log of the vendor chain extends the checkpoint");
}

#[test]
fn verify_without_a_checkpoint_says_what_it_cannot_see_only_on_a_terminal() {
    let server = TestServer::start();
    let out = server.as_admin().args(["audit", "verify"]).ok();
    assert!(!out.stderr.contains("checkpoint"), "{out}");

    let mut command = crate::common::harness::std_command(
        &server.url,
        &server.tokens.admin,
        &server.dir.path().join("config"),
    );
    command.args(["audit", "verify"]).env("NO_COLOR", "1");
    let mut session = rexpect::session::spawn_with_options(
        command,
        rexpect::session::Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    let text = session.exp_eof().unwrap();
    assert!(text.contains("verifies"), "{text}");
    assert!(
        text.contains("cannot tell whether the newest events were removed"),
        "{text}"
    );
    assert!(
        text.contains("supportctl audit checkpoint > acme.checkpoint"),
        "{text}"
    );
}
