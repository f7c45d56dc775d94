//! Customer rules: a request inside an auto-approval rule, from `request create` to a usable
//! session, against `session open` alone on a direct grant; and closing a ticket that 1,000
//! grants (each with an open session) name, against revoking as many with a bulk revoke.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::server::{post, start_server};
use super::{Row, ms};

/// `p`-th percentile (0 to 100) of the samples.
fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort();
    samples[(samples.len() - 1) * p / 100]
}

pub fn rows(exe: &Path, dir: &Path, quick: bool) -> Vec<Row> {
    let (runs, grants) = if quick { (10, 200) } else { (50, 1_000) };
    let db = format!("sqlite://{}", dir.join("rules.db").display());
    let log = dir.join("rules-server.log");
    let (mut server, url, dev) = start_server(exe, &db, true, &log);
    let admin = &dev["SUPPORTCTL_ADMIN_TOKEN"];
    let support = &dev["SUPPORTCTL_SUPPORT_TOKEN"];
    let service = &dev["SUPPORTCTL_SERVICE_TOKEN"];
    let cli = |token: &str, args: &[&str]| -> Value {
        let output = Command::new(exe)
            .args(args)
            .args(["-o", "json"])
            .env("SUPPORTCTL_SERVER", &url)
            .env("SUPPORTCTL_TOKEN", token)
            .env("SUPPORTCTL_CONFIG_DIR", dir.join("rules-cli-config"))
            .env_remove("SUPPORTCTL_PROFILE")
            .env_remove("SUPPORTCTL_ORG")
            .stderr(Stdio::null())
            .output()
            .expect("the CLI runs");
        assert!(output.status.success(), "supportctl {args:?} failed");
        serde_json::from_slice(&output.stdout).expect("JSON on stdout")
    };

    // A rule for read-only access to chats, up to an hour.
    let expires = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * 30))
        .unwrap();
    let (status, body) = post(
        &url,
        admin,
        "/v1/orgs/acme/approval-rules",
        &json!({"name": "bench", "max_level": "read-only", "areas": ["chats"],
                "max_duration_seconds": 3600, "expires_at": expires}),
    );
    assert_eq!(status, 201, "rule add: {body}");
    let (status, body) = post(
        &url,
        admin,
        "/v1/orgs/acme/grants",
        &json!({"level": "read-only", "areas": ["chats"], "reason": "bench baseline"}),
    );
    assert_eq!(status, 201, "grant create: {body}");
    let direct = body["id"].as_str().unwrap().to_owned();
    let close = |session: &Value| {
        let id = session["session"]["id"].as_str().unwrap();
        let (status, _) = post(
            &url,
            support,
            &format!("/v1/sessions/{id}/close"),
            &json!({}),
        );
        assert_eq!(status, 200);
    };
    let (mut by_rule, mut alone) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        // Interleaved, so that drift on the machine hits both alike.
        let started = Instant::now();
        let request = cli(
            support,
            &[
                "request",
                "create",
                "acme",
                "--level",
                "read-only",
                "--areas",
                "chats",
                "--for",
                "1h",
                "--reason",
                "bench",
            ],
        );
        assert_eq!(request["status"], "approved", "{request}");
        let grant = request["grant_id"].as_str().unwrap();
        let session = cli(
            support,
            &[
                "session", "open", "acme", "--grant", grant, "--reason", "bench",
            ],
        );
        by_rule.push(started.elapsed());
        assert!(session["token"].as_str().is_some(), "{session}");
        close(&session);
        let started = Instant::now();
        let session = cli(
            support,
            &[
                "session", "open", "acme", "--grant", &direct, "--reason", "bench",
            ],
        );
        alone.push(started.elapsed());
        close(&session);
    }
    let (rule_p50, alone_p50) = (percentile(&mut by_rule, 50), percentile(&mut alone, 50));

    // 1,000 grants naming one ticket, each with a session; as many in another org for the
    // bulk revoke that is the baseline.
    for org in ["tickets", "ticketsbase"] {
        let (status, body) = post(
            &url,
            &dev["SUPPORTCTL_OPERATOR_TOKEN"],
            "/v1/orgs",
            &json!({"slug": org, "name": org}),
        );
        assert!(status < 300, "org {org}: {body}");
    }
    let (status, body) = post(
        &url,
        &dev["SUPPORTCTL_OPERATOR_TOKEN"],
        "/v1/accounts",
        &json!({"email": "admin@ticketsbase.test", "role": "admin", "org": "ticketsbase"}),
    );
    assert!(status < 300, "admin: {body}");
    let base_admin = body["token"].as_str().unwrap().to_owned();
    stop(&mut server);
    let started = Instant::now();
    seed_ticket_grants(&db, "tickets", Some("INC-1000"), grants);
    seed_ticket_grants(&db, "ticketsbase", None, grants);
    eprintln!(
        "perf: seeded {} grants with sessions in {:.1}s",
        2 * grants,
        started.elapsed().as_secs_f64()
    );
    let (mut server, url, _) = start_server(exe, &db, false, &log);
    // Warm: a ticket nobody used, closed in each org (nothing written).
    for org in ["tickets", "ticketsbase"] {
        let path = format!("/v1/orgs/{org}/tickets/warm-up/close");
        assert_eq!(post(&url, service, &path, &json!({})).0, 200);
    }
    let (status, closed, close_time) = post_timed(
        &url,
        service,
        "/v1/orgs/tickets/tickets/INC-1000/close",
        &json!({"reason": "resolved"}),
    );
    assert_eq!(status, 200, "ticket close: {closed}");
    assert_eq!(closed["grants_revoked"], grants);
    assert_eq!(closed["sessions_ended"], grants);
    let (status, body, bulk_time) = post_timed(
        &url,
        &base_admin,
        "/v1/orgs/ticketsbase/grants/revoke",
        &json!({"all": true, "reason": "benchmark"}),
    );
    assert_eq!(status, 200, "bulk revoke: {body}");
    stop(&mut server);
    let count = indicatif::HumanCount(grants as u64).to_string();
    vec![
        Row {
            target: "request inside an auto-approval rule: `request create` to a usable session (CLI, p50)",
            measured: ms(rule_p50),
            baseline: format!("`session open` alone {}", ms(alone_p50)),
            ratio: format!("{:.2}x", rule_p50.as_secs_f64() / alone_p50.as_secs_f64()),
            goal: "<= 50 ms",
            met: rule_p50 <= Duration::from_millis(50),
        },
        Row {
            target: if quick {
                "`ticket close` ending 200 grants with sessions, server time (POST .../tickets/{t}/close)"
            } else {
                "`ticket close` ending 1,000 grants with sessions, server time (POST .../tickets/{t}/close)"
            },
            measured: ms(close_time),
            baseline: format!("bulk revoke of {count}, server time: {}", ms(bulk_time)),
            ratio: format!("{:.2}x", close_time.as_secs_f64() / bulk_time.as_secs_f64()),
            goal: "<= 1 s",
            met: close_time <= Duration::from_secs(1),
        },
    ]
}

/// A POST and the server's time on it: curl's time to the first byte of the answer less its
/// time to the request sent, so that neither curl's start nor its connect count.
fn post_timed(url: &str, token: &str, path: &str, body: &Value) -> (u16, Value, Duration) {
    let output = Command::new("curl")
        .args([
            "-s",
            "-w",
            "\n%{http_code} %{time_pretransfer} %{time_starttransfer}",
            "-X",
            "POST",
            "-H",
            &format!("Authorization: Bearer {token}"),
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &body.to_string(),
            &format!("{url}{path}"),
        ])
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let (body, timing) = text.rsplit_once('\n').unwrap_or(("", "0 0 0"));
    let parts: Vec<&str> = timing.split_whitespace().collect();
    let (sent, first): (f64, f64) = (parts[1].parse().unwrap(), parts[2].parse().unwrap());
    (
        parts[0].parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
        Duration::from_secs_f64((first - sent).max(0.0)),
    )
}

fn stop(server: &mut std::process::Child) {
    // SIGTERM: a graceful shutdown, so SQLite checkpoints and the lock is released.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status();
    let _ = server.wait();
}

/// `count` active grants of `org` naming `ticket`, each with an open session of the dev
/// support engineer, inserted straight into the file.
fn seed_ticket_grants(db: &str, org: &str, ticket: Option<&str>, count: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::{Connection, Row};
        let mut conn = sqlx::SqliteConnection::connect(&format!("{db}?mode=rwc"))
            .await
            .unwrap();
        let org_pk: i64 = sqlx::query("SELECT pk FROM orgs WHERE slug = $1")
            .bind(org)
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
        let support: i64 = sqlx::query("SELECT pk FROM accounts WHERE email = $1")
            .bind("support@supportctl.test")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
        let now = jiff::Timestamp::now().as_second();
        let mut tx = conn.begin().await.unwrap();
        let first: i64 = sqlx::query("SELECT COALESCE(MAX(pk), 0) + 1 FROM grants")
            .fetch_one(&mut *tx)
            .await
            .unwrap()
            .get(0);
        for n in first..first + count as i64 {
            sqlx::query(
                "INSERT INTO grants (pk, id, org_pk, level, areas, engineers, all_engineers, \
                 reason, ticket, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, 'member', 'chats', '[]', 1, 'benchmark', $4, \
                 'admin@bench.test', $5, $6)",
            )
            .bind(n)
            .bind(format!("gr_rules{n:020}"))
            .bind(org_pk)
            .bind(ticket)
            .bind(now)
            .bind(now + 86_400)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO sessions (id, org_pk, grant_pk, engineer_pk, level, areas, reason, \
                 token_hash, opened_at, expires_at) \
                 VALUES ($1, $2, $3, $4, 'read-only', 'chats', 'benchmark', $5, $6, $7)",
            )
            .bind(format!("ses_rules{n:020}"))
            .bind(org_pk)
            .bind(n)
            .bind(support)
            .bind(format!("{n:064x}"))
            .bind(now)
            .bind(now + 3_600)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .unwrap();
    });
}
