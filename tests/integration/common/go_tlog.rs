//! Go's `golang.org/x/mod/sumdb/tlog`, the reference of the RFC 6962 trees the audit chains
//! are, as an independent judge of the server's proofs: `tests/go/tlogverify`, built once per
//! run like `noteverify` (see [`super::go_note`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn tlogverify() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| super::go_note::build_go_program("tlogverify"))
}

fn verdict(args: &[String]) -> Result<(), String> {
    let output = Command::new(tlogverify()).args(args).output().unwrap();
    match output.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
        other => panic!(
            "tlogverify {args:?} exited with {other:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// `tlog.CheckRecord`: event `seq` with hash `event_hash` (hex) is in the tree of `size`
/// events whose root is `root` (base64), by `proof` (base64 hashes).
pub fn go_check_inclusion(
    root: &str,
    size: i64,
    seq: i64,
    event_hash: &str,
    proof: &[String],
) -> Result<(), String> {
    let mut args = vec![
        "inclusion".to_owned(),
        root.to_owned(),
        size.to_string(),
        seq.to_string(),
        event_hash.to_owned(),
    ];
    args.extend(proof.iter().cloned());
    verdict(&args)
}

/// `tlog.CheckTree`: the tree of `size` events with root `root` extends the tree of
/// `old_size` events with root `old_root`, by `proof`.
pub fn go_check_consistency(
    root: &str,
    size: i64,
    old_root: &str,
    old_size: i64,
    proof: &[String],
) -> Result<(), String> {
    let mut args = vec![
        "consistency".to_owned(),
        root.to_owned(),
        size.to_string(),
        old_root.to_owned(),
        old_size.to_string(),
    ];
    args.extend(proof.iter().cloned());
    verdict(&args)
}

fn reportverify() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| super::go_note::build_go_program("reportverify"))
}

/// Go's verdict on an evidence report (`tests/go/reportverify`): its checkpoint's signature by
/// `key_file`'s key (`note.Open`) and each event's proof against it (`tlog.CheckRecord`); the
/// number of events checked, or why not.
pub fn go_verify_report(key_file: &Path, report_file: &Path) -> Result<usize, String> {
    let output = Command::new(reportverify())
        .arg(key_file)
        .arg(report_file)
        .output()
        .unwrap();
    match output.status.code() {
        Some(0) => Ok(String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap()),
        Some(1) => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
        other => panic!(
            "reportverify exited with {other:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
