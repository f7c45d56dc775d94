//! The access-request targets: an approval on one PostgreSQL replica ending a `request wait`
//! on the other, and the pending list at 100,000 requests against the same list at 1,000.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use super::postgres::pg_exec;
use super::server::{cli, post, start_server};
use super::{Row, Sizes, median, ms, time_run};

/// Requests timed from approval to the waiter's exit.
fn wake_rounds(quick: bool) -> usize {
    if quick { 10 } else { 200 }
}

/// From `request approve` returning on replica A to `request wait` returning on replica B.
pub fn wake_across_replicas(exe: &Path, dir: &Path, admin_url: &str, quick: bool) -> Vec<Row> {
    let name = format!("supportctl_bench_rq_{}", std::process::id());
    pg_exec(admin_url, format!("DROP DATABASE IF EXISTS {name}"));
    pg_exec(admin_url, format!("CREATE DATABASE {name}"));
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let db = format!("{base}/{name}");
    let (mut a, url_a, dev) = start_server(exe, &db, true, &dir.join("rq-a.log"));
    let (mut b, url_b, _) = start_server(exe, &db, false, &dir.join("rq-b.log"));
    let admin = dev["SUPPORTCTL_ADMIN_TOKEN"].clone();
    let support = dev["SUPPORTCTL_SUPPORT_TOKEN"].clone();
    let mut latencies = Vec::new();
    for _ in 0..wake_rounds(quick) {
        let (status, request) = post(
            &url_b,
            &support,
            "/v1/orgs/acme/requests",
            &json!({"level": "read-only", "areas": ["chats"], "reason": "bench"}),
        );
        assert_eq!(status, 201, "{request}");
        let id = request["id"].as_str().unwrap().to_owned();
        let mut waiter = cli(
            exe,
            &dir.join("cli-config"),
            &url_b,
            &support,
            &["request", "wait", &id, "--timeout", "60s"],
        )
        .spawn()
        .expect("start request wait");
        // Let the waiter reach its long poll on replica B.
        std::thread::sleep(Duration::from_millis(250));
        let approved = cli(
            exe,
            &dir.join("cli-config"),
            &url_a,
            &admin,
            &["request", "approve", &id, "--yes"],
        )
        .status()
        .expect("run request approve");
        assert!(approved.success(), "request approve failed");
        let returned = Instant::now();
        let exit = waiter.wait().expect("request wait ends");
        assert!(exit.success(), "request wait exited {exit:?}");
        latencies.push(returned.elapsed());
    }
    for child in [&mut a, &mut b] {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let _ = child.wait();
    }
    pg_exec(
        admin_url,
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    let (p50, p99) = (at(0.5), at(0.99));
    vec![
        Row {
            target: "approval on replica A -> `request wait` on replica B returns, p50",
            measured: ms(p50),
            baseline: format!("{} requests", latencies.len()),
            ratio: "-".into(),
            goal: "<= 300 ms",
            met: p50 <= Duration::from_millis(300),
        },
        Row {
            target: "approval on replica A -> `request wait` on replica B returns, p99",
            measured: ms(p99),
            baseline: format!("max {}", ms(*latencies.last().unwrap())),
            ratio: "-".into(),
            goal: "<= 2 s",
            met: p99 <= Duration::from_secs(2),
        },
    ]
}

/// `request list --limit 50` of an org with 100,000 requests (50 pending, the oldest) against
/// one with 1,000.
pub fn pending_list_scaling(exe: &Path, dir: &Path, sizes: &Sizes, quick: bool) -> Row {
    let (small_n, big_n) = if quick {
        (1_000, 10_000)
    } else {
        (1_000, 100_000)
    };
    let db = format!("sqlite://{}", dir.join("requests.db").display());
    let log = dir.join("rq-list.log");
    let (mut server, url, dev) = start_server(exe, &db, true, &log);
    let operator = dev["SUPPORTCTL_OPERATOR_TOKEN"].clone();
    let mut admins = Vec::new();
    for slug in ["rq-small", "rq-big"] {
        post(
            &url,
            &operator,
            "/v1/orgs",
            &json!({"slug": slug, "name": slug}),
        );
        let (_, body) = post(
            &url,
            &operator,
            "/v1/accounts",
            &json!({"email": format!("admin@{slug}.test"), "role": "admin", "org": slug}),
        );
        admins.push(body["token"].as_str().unwrap().to_owned());
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status();
    let _ = server.wait();
    seed_requests(&db, &[("rq-small", small_n), ("rq-big", big_n)]);
    let (mut server, url, _) = start_server(exe, &db, false, &log);
    let list = |org: &str, token: &str| {
        time_run(&mut cli(
            exe,
            &dir.join("cli-config"),
            &url,
            token,
            &[
                "request", "list", "--limit", "50", "--org", org, "-o", "json",
            ],
        ))
    };
    let (mut small, mut big) = (Vec::new(), Vec::new());
    for _ in 0..sizes.runs {
        small.push(list("rq-small", &admins[0]));
        big.push(list("rq-big", &admins[1]));
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status();
    let _ = server.wait();
    let (small, big) = (median(&mut small), median(&mut big));
    let ratio = big.as_secs_f64() / small.as_secs_f64();
    Row {
        target: "`request list --limit 50` (50 pending) at 100,000 requests",
        measured: format!("{} ({big_n} requests)", ms(big)),
        baseline: format!("{} ({small_n} requests)", ms(small)),
        ratio: format!("{ratio:.2}x"),
        goal: "<= 2x",
        met: ratio <= 2.0,
    }
}

/// `count` requests per org straight into the file: the 50 oldest pending, the rest denied.
fn seed_requests(db: &str, orgs: &[(&str, usize)]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::{Connection, Row};
        let mut conn = sqlx::SqliteConnection::connect(db).await.unwrap();
        let support: i64 = sqlx::query("SELECT pk FROM accounts WHERE email = $1")
            .bind("support@supportctl.test")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
        let now = jiff::Timestamp::now().as_second();
        for (org, count) in orgs {
            let org_pk: i64 = sqlx::query("SELECT pk FROM orgs WHERE slug = $1")
                .bind(*org)
                .fetch_one(&mut conn)
                .await
                .unwrap()
                .get(0);
            let mut tx = conn.begin().await.unwrap();
            for n in 0..*count {
                let pending = n < 50;
                sqlx::query(
                    "INSERT INTO access_requests (id, org_pk, requester_pk, level, areas, \
                     duration_seconds, reason, created_at, expires_at, approvals_required, \
                     decision, decided_at, decided_by, decision_comment) \
                     VALUES (?, ?, ?, 'member', 'chats', 3600, 'bench', ?, ?, 1, ?, ?, ?, ?)",
                )
                .bind(format!("rq_bench_{org}_{n:08}"))
                .bind(org_pk)
                .bind(support)
                .bind(now)
                .bind(now + 86_400)
                .bind((!pending).then_some("denied"))
                .bind((!pending).then_some(now))
                .bind((!pending).then_some("admin@bench.test"))
                .bind((!pending).then_some("bench"))
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }
    });
}
