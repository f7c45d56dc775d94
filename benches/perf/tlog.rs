//! The audit chain as a Merkle tree at a million events: `audit verify --checkpoint` checks a
//! kept checkpoint by a consistency proof (log-size work) against reading the whole log, and
//! an inclusion proof's time on the server. The seeded events have no tree: the server builds
//! it when it opens the file, as it does for a database from an older release (timed too).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::Digest;

use super::audit::{seed_events, stop};
use super::server::{cli, org_with_admin, post, start_server};
use super::{Row, median, ms, time_run};

pub fn rows(exe: &Path, dir: &Path, quick: bool) -> Vec<Row> {
    let (big, runs) = if quick { (20_000, 5) } else { (1_000_000, 9) };
    let db = format!("sqlite://{}", dir.join("tlog.db").display());
    let log = dir.join("tlog-server.log");
    let (mut server, url, dev) = start_server(exe, &db, true, &log);
    let operator = &dev["SUPPORTCTL_OPERATOR_TOKEN"];
    let admin = org_with_admin(&url, operator, "tlogbig");
    stop(&mut server);
    seed_events(&db, "tlogbig", big);
    let started = Instant::now();
    let (mut server, url, _) = start_server(exe, &db, false, &log);
    let built = started.elapsed();
    eprintln!(
        "perf: the server built the tree of {big} events and started in {:.1}s",
        built.as_secs_f64()
    );
    let config = dir.join("tlog-cli-config");
    let cli = |args: &[&str]| {
        let mut command = cli(exe, &config, &url, &admin, args);
        command.stdout(Stdio::piped());
        command
    };
    let output = |args: &[&str]| {
        let out = cli(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let key_file = dir.join("tlog.key");
    std::fs::write(&key_file, output(&["audit", "key"])).unwrap();
    // A checkpoint kept mid-way (the log then grows by the authorize events of a day).
    let checkpoint = dir.join("tlog.checkpoint");
    std::fs::write(
        &checkpoint,
        output(&["audit", "checkpoint", "--org", "tlogbig"]),
    )
    .unwrap();
    for n in 0..20 {
        let (status, body) = post(
            &url,
            &admin,
            "/v1/orgs/tlogbig/grants",
            &json!({"level": "read-only", "reason": format!("later {n}")}),
        );
        assert!(status < 300, "{body}");
    }
    let (checkpoint, key) = (
        checkpoint.to_str().unwrap().to_owned(),
        key_file.to_str().unwrap().to_owned(),
    );
    let verify = |full: bool| {
        let mut args = vec![
            "audit",
            "verify",
            "--org",
            "tlogbig",
            "--checkpoint",
            &checkpoint,
            "--key",
            &key,
        ];
        if full {
            args.push("--full");
        }
        let mut command = cli(&args);
        command.stdout(Stdio::null());
        command
    };
    let mut proved = Vec::new();
    for _ in 0..runs {
        proved.push(time_run(&mut verify(false)));
    }
    let full = time_run(&mut verify(true));
    let size: i64 = output(&["audit", "checkpoint", "--org", "tlogbig"])
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let proof_times = inclusion_times(&url, &admin, size, if quick { 50 } else { 200 });
    stop(&mut server);
    let proved = median(&mut proved);
    let mut sorted = proof_times.clone();
    let proof_median = median(&mut sorted);
    let proof_max = *sorted.last().unwrap();
    let count = indicatif::HumanCount(big as u64).to_string();
    let per_event = tree_cpu_per_event(big);
    vec![
        Row {
            target: if quick {
                "`audit verify --checkpoint` at 20,000 events (consistency proof; median wall)"
            } else {
                "`audit verify --checkpoint` at 1,000,000 events (consistency proof; median wall)"
            },
            measured: ms(proved),
            baseline: format!("{} reading all {count} (`--full`)", ms(full)),
            ratio: format!("{:.4}x", proved.as_secs_f64() / full.as_secs_f64()),
            goal: "<= 0.5 s",
            met: proved <= Duration::from_millis(500),
        },
        Row {
            target: if quick {
                "inclusion proof at 20,000 events (server time, median of 50 random seqs)"
            } else {
                "inclusion proof at 1,000,000 events (server time, median of 200 random seqs)"
            },
            measured: ms(proof_median),
            baseline: format!(
                "slowest {}; tree built at open in {:.1} s",
                ms(proof_max),
                built.as_secs_f64()
            ),
            ratio: String::new(),
            goal: "<= 5 ms",
            met: proof_median <= Duration::from_millis(5),
        },
        Row {
            target: "the tree's CPU per event appended (record hash, nodes, stored bytes; one core)",
            measured: format!("{:.2} µs", per_event.as_secs_f64() * 1e6),
            baseline: "authorize: see its row against introspect".to_owned(),
            ratio: String::new(),
            goal: "small beside an event's write",
            met: per_event <= Duration::from_micros(5),
        },
    ]
}

/// What a writer spends on the tree per event: the leaf's record hash from the event's hex
/// hash, the nodes it completes, and the bytes it stores, over `count` appends.
fn tree_cpu_per_event(count: usize) -> Duration {
    use supportctl::api::tlog::{Frontier, leaf_hash};
    let hashes: Vec<String> = (0..1000u32)
        .map(|i| hex::encode(sha2::Sha256::digest(i.to_be_bytes())))
        .collect();
    let mut tree = Frontier::default();
    let started = Instant::now();
    let mut stored = 0usize;
    for i in 0..count {
        let leaf = leaf_hash(&hashes[i % hashes.len()]).unwrap();
        let bytes: Vec<u8> = tree.append(leaf).iter().flat_map(|h| h.0).collect();
        stored += bytes.len();
    }
    let elapsed = started.elapsed();
    assert!(stored >= count * 32);
    std::hint::black_box(tree.root());
    elapsed / count as u32
}

/// Time to first byte minus time to request sent, per inclusion proof of `count` seqs spread
/// over the tree, over one kept-alive curl connection: the server's time.
fn inclusion_times(url: &str, token: &str, size: i64, count: i64) -> Vec<Duration> {
    let mut command = Command::new("curl");
    command.args([
        "-s",
        "-H",
        &format!("Authorization: Bearer {token}"),
        "-w",
        "%{http_code} %{time_pretransfer} %{time_starttransfer}\n",
    ]);
    for i in 0..count {
        // Spread over the log, not in order (a prime stride).
        let seq = 1 + (i * 7_919 * 127) % size;
        // `-o` applies to the one URL after it.
        command.args([
            "-o".to_owned(),
            "/dev/null".to_owned(),
            format!("{url}/v1/orgs/tlogbig/audit/proof?seq={seq}&size={size}"),
        ]);
    }
    let output = command.output().expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(parts[0], "200", "{line}");
            let (sent, first): (f64, f64) = (parts[1].parse().unwrap(), parts[2].parse().unwrap());
            Duration::from_secs_f64((first - sent).max(0.0))
        })
        .collect()
}
