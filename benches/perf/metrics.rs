//! What recording metrics costs introspection: one server recording, one started with
//! `--no-metrics-recording`, on copies of the same file, measured turn about in the same run.

use std::path::Path;
use std::process::{Child, Command};

use super::Row;
use super::load::wrk;
use super::server::start_server_with;

/// Rounds of measurement per server, alternating, so that drift on the machine hits both alike.
const ROUNDS: u32 = 3;

/// Introspection throughput (64 connections, saturated) with metrics recorded, against the
/// same without; `db` is the seeded SQLite file (no server on it), `script` the wrk script
/// that introspects its sessions.
pub(super) fn introspect_with_and_without_recording(
    exe: &Path,
    db: &str,
    script: &Path,
    seconds: u32,
) -> Row {
    let file = Path::new(db.trim_start_matches("sqlite://"));
    let dir = file.parent().expect("the file's folder");
    let copy = dir.join("bench-without-metrics.db");
    std::fs::copy(file, &copy).expect("copy the database");
    let copy_url = format!("sqlite://{}", copy.display());
    let (recording, url, _) = start_server_with(
        exe,
        db,
        false,
        &dir.join("server.log"),
        &["--listen", "127.0.0.1:0"],
    );
    let (quiet, quiet_url, _) = start_server_with(
        exe,
        &copy_url,
        false,
        &dir.join("server-without-metrics.log"),
        &["--listen", "127.0.0.1:0", "--no-metrics-recording"],
    );
    // Warm-up: connections, and every session introspected once on each.
    for url in [&url, &quiet_url] {
        wrk(url, "/v1/introspect", Some(script), 3);
    }
    let (mut with, mut without) = (0.0, 0.0);
    for _ in 0..ROUNDS {
        let load = wrk(&url, "/v1/introspect", Some(script), seconds);
        assert_eq!(
            load.non_2xx, 0,
            "introspection failed with metrics recorded"
        );
        with += load.rps;
        let load = wrk(&quiet_url, "/v1/introspect", Some(script), seconds);
        assert_eq!(load.non_2xx, 0, "introspection failed without metrics");
        without += load.rps;
    }
    for child in [recording, quiet] {
        stop(child);
    }
    let (with, without) = (with / f64::from(ROUNDS), without / f64::from(ROUNDS));
    let share = with / without;
    eprintln!("perf: introspect {with:.0} req/s with metrics, {without:.0} req/s without");
    Row {
        target: "introspect throughput with metrics recorded, 64 conns (wrk, saturated)",
        measured: format!("{with:.0} req/s"),
        baseline: format!("{without:.0} req/s (--no-metrics-recording)"),
        ratio: format!("{:.1}%", share * 100.0),
        goal: ">= 95% of without",
        met: share >= 0.95,
    }
}

/// SIGTERM, and wait: SQLite checkpoints and the file's lock is released.
fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}
