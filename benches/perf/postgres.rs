//! The PostgreSQL rows: introspection against `pgbench -S` and `/healthz`, authorize against
//! introspection, and two replicas against one.

use std::path::Path;
use std::process::{Child, Command};

use serde_json::{Value, json};

use super::load::{
    AUTHORIZE_BODY, Load, introspect_requests, introspect_script, load_script, paced_load, wrk,
    wrk_with,
};
use super::server::{post, start_server};
use super::{Row, Sizes};

pub(super) fn postgres_admin_url() -> Option<String> {
    [
        "SUPPORTCTL_BENCH_POSTGRES_URL",
        "SUPPORTCTL_TEST_POSTGRES_URL",
    ]
    .iter()
    .find_map(|key| std::env::var(key).ok().filter(|url| !url.is_empty()))
}

/// Runs one statement on PostgreSQL outside a transaction (CREATE/DROP DATABASE).
pub(super) fn pg_exec(url: &str, sql: String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    });
}

/// The PostgreSQL rows, on servers that cache nothing (every call reads the database, which is
/// what keeps revocation immediate across replicas), all at 64 connections:
/// introspection against `pgbench -S -M prepared` (the database's own point lookups) and
/// against the server's `/healthz`; its p99 at half its saturated rate; authorize against
/// introspection; and two replicas, each loaded by half the connections, against one.
pub(super) fn on_postgres(exe: &Path, dir: &Path, admin_url: &str, sizes: &Sizes) -> Vec<Row> {
    let name = format!("supportctl_bench_{}", std::process::id());
    pg_exec(admin_url, format!("DROP DATABASE IF EXISTS {name}"));
    pg_exec(admin_url, format!("CREATE DATABASE {name}"));
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let db = format!("{base}/{name}");
    let (mut first, url, dev) = start_server(exe, &db, true, &dir.join("pg-server.log"));
    let service = dev["SUPPORTCTL_SERVICE_TOKEN"].clone();
    let tokens = open_sessions(&url, &dev, sizes.bulk);
    let tokens_file = dir.join("pg-session-tokens.txt");
    std::fs::write(&tokens_file, tokens.join("\n")).unwrap();
    let script = dir.join("pg-introspect.lua");
    std::fs::write(&script, introspect_script(&tokens_file, &service)).unwrap();
    let authorize = dir.join("pg-authorize.lua");
    let body = load_script(&tokens_file, &service, "/v1/authorize", AUTHORIZE_BODY);
    std::fs::write(&authorize, body).unwrap();
    let seconds = sizes.load_seconds;

    wrk(&url, "/v1/introspect", Some(&script), 3);
    let health = wrk(&url, "/healthz", None, seconds);
    let introspect = wrk(&url, "/v1/introspect", Some(&script), seconds);
    let pgbench = pgbench(&db, if sizes.bulk >= 10_000 { 10 } else { 1 }, seconds);
    let requests = std::sync::Arc::new(introspect_requests(&url, &service, &tokens));
    let half = ((introspect.rps / 2.0) as u32).max(64);
    let paced = paced_load(&url, requests, half, 64, seconds.max(5));
    let authorized = wrk(&url, "/v1/authorize", Some(&authorize), seconds);
    // A second replica on the same database; each replica gets 32 of the 64 connections.
    let (mut second, url2, _) = start_server(exe, &db, false, &dir.join("pg-server-2.log"));
    let one = wrk(&url, "/v1/introspect", Some(&script), seconds);
    let two = std::thread::scope(|scope| {
        let loads = [&url, &url2].map(|url| {
            let script = &script;
            scope.spawn(move || wrk_with(url, "/v1/introspect", Some(script), seconds, 32))
        });
        loads.map(|load| load.join().unwrap())
    });
    for child in [&mut first, &mut second] {
        stop(child);
    }
    pg_exec(
        admin_url,
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    let loads = [&health, &introspect, &authorized, &one, &two[0], &two[1]];
    let failed: Vec<u64> = loads.iter().map(|load| load.non_2xx).collect();
    assert!(
        failed.iter().all(|&n| n == 0),
        "non-2xx answers under load on PostgreSQL (healthz, introspect, authorize, one \
         replica, two replicas): {failed:?}"
    );
    let two_rps = two[0].rps + two[1].rps;
    eprintln!(
        "perf: PostgreSQL: healthz {:.0}, introspect {:.0} (p99 {:.2} ms), pgbench -S {:.0} tps, \
         paced {half}/s p99 {:.2} ms, authorize {:.0} (p99 {:.2} ms), one replica {:.0}, two {:.0}",
        health.rps,
        introspect.rps,
        introspect.p99_ms,
        pgbench,
        paced.p99_ms,
        authorized.rps,
        authorized.p99_ms,
        one.rps,
        two_rps
    );
    let percent = |a: f64, b: f64| format!("{:.0}%", a / b * 100.0);
    let rps = |load: &Load| format!("{:.0} req/s, p99 {:.2} ms", load.rps, load.p99_ms);
    vec![
        Row {
            target: "introspect on PostgreSQL, 64 conns, 10,000 sessions, vs pgbench",
            measured: rps(&introspect),
            baseline: format!("{pgbench:.0} tps (`pgbench -S -M prepared -c 64`)"),
            ratio: percent(introspect.rps, pgbench),
            goal: ">= 50% of pgbench -S",
            met: introspect.rps >= 0.5 * pgbench,
        },
        Row {
            target: "introspect on PostgreSQL, 64 conns, vs the server's /healthz",
            measured: rps(&introspect),
            baseline: format!("{:.0} req/s (GET /healthz)", health.rps),
            ratio: percent(introspect.rps, health.rps),
            goal: ">= 60% of healthz",
            met: introspect.rps >= 0.6 * health.rps,
        },
        Row {
            target: "introspect on PostgreSQL, p99 at half the saturated rate (open loop)",
            measured: format!(
                "{:.2} ms (p50 {:.2} ms, {:.0} req/s served)",
                paced.p99_ms, paced.p50_ms, paced.achieved_rps
            ),
            baseline: format!("{half} req/s offered, 64 conns"),
            ratio: "-".into(),
            goal: "<= 10 ms",
            met: paced.p99_ms <= 10.0 && paced.errors == 0,
        },
        Row {
            target: "authorize on PostgreSQL, 64 conns, 10,000 sessions of one org",
            measured: rps(&authorized),
            baseline: format!("{:.0} req/s (introspect on PostgreSQL)", introspect.rps),
            ratio: percent(authorized.rps, introspect.rps),
            goal: ">= 40% of introspect",
            met: authorized.rps >= 0.4 * introspect.rps,
        },
        Row {
            target: "introspect on two PostgreSQL replicas (32 conns each) vs one (64 conns)",
            measured: format!("{two_rps:.0} req/s"),
            baseline: format!("{:.0} req/s (one replica)", one.rps),
            ratio: format!("{:.2}x", two_rps / one.rps),
            goal: ">= 1.6x",
            met: two_rps >= 1.6 * one.rps,
        },
    ]
}

/// `count` sessions through the API (from a few threads); their tokens.
fn open_sessions(
    url: &str,
    dev: &std::collections::HashMap<String, String>,
    count: usize,
) -> Vec<String> {
    let (admin, support) = (
        &dev["SUPPORTCTL_ADMIN_TOKEN"],
        &dev["SUPPORTCTL_SUPPORT_TOKEN"],
    );
    let (status, grant) = post(
        url,
        admin,
        "/v1/orgs/acme/grants",
        &json!({"level": "member", "reason": "benchmark", "duration_seconds": 86_400}),
    );
    assert_eq!(status, 201, "{grant}");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let per_thread = count / 4;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let http = reqwest::blocking::Client::new();
                    (0..per_thread)
                        .map(|_| {
                            let reply: Value = http
                                .post(format!("{url}/v1/orgs/acme/sessions"))
                                .bearer_auth(support)
                                .json(&json!({"reason": "benchmark", "ttl_seconds": 3600}))
                                .send()
                                .unwrap()
                                .json()
                                .unwrap();
                            reply["token"].as_str().unwrap().to_owned()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// `pgbench -S -M prepared` at 64 clients on `db` (its tables created at `scale` first): the
/// database's own select-only rate, in transactions per second.
fn pgbench(db: &str, scale: u32, seconds: u32) -> f64 {
    let pgbench = std::env::var("PERF_PGBENCH")
        .unwrap_or_else(|_| "/usr/lib/postgresql/15/bin/pgbench".into());
    let init = Command::new(&pgbench)
        .args(["-i", "-q", "-s", &scale.to_string(), db])
        .output()
        .expect("pgbench runs (set PERF_PGBENCH to its path)");
    assert!(
        init.status.success(),
        "pgbench -i: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let run = Command::new(&pgbench)
        .args(["-S", "-M", "prepared", "-c", "64", "-j", "2", "-n"])
        // Its 64 logins (SCRAM) take seconds on 2 loaded cores; `tps` leaves them out.
        .arg(format!("-T{}", seconds + 5))
        .arg(db)
        .output()
        .expect("pgbench runs");
    let text = String::from_utf8_lossy(&run.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no tps in pgbench output:\n{text}{}",
                String::from_utf8_lossy(&run.stderr)
            )
        })
}

/// SIGTERM and wait: a graceful shutdown.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}
