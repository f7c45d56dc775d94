//! `server backup` of a large SQLite file while `authorize` runs at full load: how long the
//! copy takes, that it verifies, and what it costs authorize's p99.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::load::{AUTHORIZE_BODY, load_script, wrk_with};
use super::{Bench, Row, Sizes};

/// The database grows to this before the backup (full mode; quick mode: [`QUICK_SIZE`]).
const FULL_SIZE: u64 = 1 << 30;
const QUICK_SIZE: u64 = 8 << 20;
/// Growing stops after this long even short of the size (the table says the size reached).
const GROWTH_LIMIT: Duration = Duration::from_secs(45 * 60);
/// authorize's p99 during the backup, at most.
const P99_GOAL_MS: f64 = 50.0;

pub(super) fn rows(exe: &Path, dir: &Path, sizes: &Sizes, quick: bool) -> Vec<Row> {
    let dir = dir.join("backup");
    std::fs::create_dir_all(&dir).unwrap();
    let mut bench = Bench::setup(exe, &dir, sizes);
    bench.write_introspect_script();
    let script = dir.join("authorize.lua");
    std::fs::write(
        &script,
        load_script(
            &dir.join("session-tokens.txt"),
            &bench.tokens.service,
            "/v1/authorize",
            AUTHORIZE_BODY,
        ),
    )
    .unwrap();
    let db_file = dir.join("bench.db");
    let size = || {
        ["", "-wal"]
            .iter()
            .map(|suffix| {
                std::fs::metadata(format!("{}{suffix}", db_file.display())).map_or(0, |m| m.len())
            })
            .sum::<u64>()
    };

    // Grow the file the way production does: authorize decisions, each an audit event.
    let target = if quick { QUICK_SIZE } else { FULL_SIZE };
    let started = Instant::now();
    while size() < target && started.elapsed() < GROWTH_LIMIT {
        wrk_with(
            &bench.url,
            "/v1/authorize",
            Some(&script),
            if quick { 1 } else { 30 },
            16,
        );
        if quick {
            break;
        }
    }
    let grown = size();
    eprintln!(
        "perf: backup: grew the database to {} MB in {:.0}s",
        grown >> 20,
        started.elapsed().as_secs_f64()
    );

    let out = dir.join("copy.sqlite");
    let backup = |out: &Path| {
        let started = Instant::now();
        let status = Command::new(exe)
            .args(["server", "backup", "--force", "--db", &bench.db, "--out"])
            .arg(out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("server backup runs");
        assert!(status.success(), "server backup failed");
        started.elapsed()
    };
    let idle = backup(&out);

    // authorize at full load without a backup, then with one running through it.
    let seconds = sizes.load_seconds;
    let alone = wrk_with(&bench.url, "/v1/authorize", Some(&script), seconds, 16);
    let load_seconds = (idle.as_secs_f64() * 2.0).ceil() as u32 + 2 * seconds;
    let loaded = {
        let url = bench.url.clone();
        let script = script.clone();
        std::thread::spawn(move || wrk_with(&url, "/v1/authorize", Some(&script), load_seconds, 16))
    };
    std::thread::sleep(Duration::from_secs(1));
    let under_load = backup(&out);
    let during = loaded.join().unwrap();
    bench.stop();
    let covered = under_load.as_secs_f64() + 1.0 <= load_seconds as f64;

    let started = Instant::now();
    let verified = Command::new(exe)
        .args(["server", "verify", "--db"])
        .arg(format!("sqlite://{}", out.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("server verify runs")
        .success();
    let verify_time = started.elapsed();
    let copy_mb = std::fs::metadata(&out).map_or(0, |m| m.len()) >> 20;
    eprintln!(
        "perf: backup: {} MB -> {copy_mb} MB copy in {:.1}s idle, {:.1}s under load; verified: \
         {verified} in {:.1}s; authorize p99 {:.2} ms alone, {:.2} ms during",
        grown >> 20,
        idle.as_secs_f64(),
        under_load.as_secs_f64(),
        verify_time.as_secs_f64(),
        alone.p99_ms,
        during.p99_ms
    );
    assert!(verified, "the backup taken under load does not verify");
    vec![
        Row {
            target: "server backup of the SQLite file under authorize load (16 conns, saturated)",
            measured: format!(
                "{:.1} s for {} MB ({copy_mb} MB copy), verifies",
                under_load.as_secs_f64(),
                grown >> 20
            ),
            baseline: format!("{:.1} s with no load", idle.as_secs_f64()),
            ratio: format!("{:.1}x", under_load.as_secs_f64() / idle.as_secs_f64()),
            goal: "completes and verifies",
            met: verified,
        },
        Row {
            target: "authorize p99 while server backup runs (16 conns, saturated)",
            measured: format!(
                "p99 {:.2} ms, {:.0} req/s{}",
                during.p99_ms,
                during.rps,
                if covered {
                    ""
                } else {
                    " (the backup outlasted the load)"
                }
            ),
            baseline: format!("p99 {:.2} ms, {:.0} req/s without", alone.p99_ms, alone.rps),
            ratio: format!("{:.1}x", during.p99_ms / alone.p99_ms),
            goal: "p99 <= 50 ms",
            met: during.p99_ms <= P99_GOAL_MS && during.non_2xx == 0,
        },
    ]
}
