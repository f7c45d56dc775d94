//! `audit list --limit 50` on a log of a million events against one of a thousand: the client
//! reads the newest 50, whatever the log's length.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::json;
use supportctl::api::chain::event_hash;
use supportctl::api::{Actor, AuditEvent};

use super::server::{cli, org_with_admin, start_server};
use super::{Row, median, ms, peak_rss_kib, time_run};

/// Events written per INSERT.
const CHUNK: usize = 500;

pub fn rows(exe: &Path, dir: &Path, quick: bool) -> Vec<Row> {
    let (small, big, runs) = if quick {
        (1_000, 20_000, 5)
    } else {
        (1_000, 1_000_000, 15)
    };
    let db = format!("sqlite://{}", dir.join("audit.db").display());
    let log = dir.join("audit-server.log");
    let (mut server, url, dev) = start_server(exe, &db, true, &log);
    let operator = &dev["SUPPORTCTL_OPERATOR_TOKEN"];
    let admin_of = |slug: &str| org_with_admin(&url, operator, slug);
    let small_admin = admin_of("auditsmall");
    let big_admin = admin_of("auditbig");
    stop(&mut server);
    let started = Instant::now();
    seed_events(&db, "auditsmall", small);
    seed_events(&db, "auditbig", big);
    eprintln!(
        "perf: seeded {} audit events in {:.1}s",
        small + big,
        started.elapsed().as_secs_f64()
    );
    let (mut server, url, _) = start_server(exe, &db, false, &log);
    let config = dir.join("audit-cli-config");
    let cli = |token: &str, args: &[&str]| cli(exe, &config, &url, token, args);
    let list = |org: &str, token: &str| {
        cli(
            token,
            &["audit", "list", "--org", org, "--limit", "50", "-o", "json"],
        )
    };
    // The seeded events form a valid chain.
    time_run(&mut cli(
        &small_admin,
        &["audit", "verify", "--org", "auditsmall"],
    ));
    // Interleaved, so that drift on the machine hits both alike.
    let (mut at_big, mut at_small) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        at_big.push(time_run(&mut list("auditbig", &big_admin)));
        at_small.push(time_run(&mut list("auditsmall", &small_admin)));
    }
    let rss_kib = peak_rss_kib(&mut list("auditbig", &big_admin));
    stop(&mut server);
    let (at_big, at_small) = (median(&mut at_big), median(&mut at_small));
    let ratio = at_big.as_secs_f64() / at_small.as_secs_f64();
    let count = |n: usize| indicatif::HumanCount(n as u64).to_string();
    vec![Row {
        target: if quick {
            "`audit list --limit 50` at 20,000 events (median wall; client peak RSS)"
        } else {
            "`audit list --limit 50` at 1,000,000 events (median wall; client peak RSS)"
        },
        measured: format!("{}, {:.1} MB", ms(at_big), rss_kib as f64 / 1024.0),
        baseline: format!("{} at {} events", ms(at_small), count(small)),
        ratio: format!("{ratio:.2}x"),
        goal: "<= 2x and RSS <= 20 MB",
        met: ratio <= 2.0 && rss_kib <= 20 * 1024,
    }]
}

pub(super) fn stop(server: &mut std::process::Child) {
    // SIGTERM: a graceful shutdown, so SQLite checkpoints and the lock is released.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status();
    let _ = server.wait();
}

/// Appends `count` `access.allowed` events to `org`'s chain straight into the file, hashed
/// as the server hashes them (so that `audit verify` accepts the log), and moves its head.
pub(super) fn seed_events(db: &str, org: &str, count: usize) {
    seed_accesses(db, org, count, None);
}

/// [`seed_events`], all in `session` when one is named (each naming one of 5,000 resources),
/// else spread over 1,000 sessions that do not exist.
pub(super) fn seed_accesses(db: &str, org: &str, count: usize, session: Option<&str>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::{Connection, Row};
        let mut conn = sqlx::SqliteConnection::connect(&format!("{db}?mode=rwc"))
            .await
            .unwrap();
        sqlx::query("PRAGMA synchronous = OFF")
            .execute(&mut conn)
            .await
            .unwrap();
        let head = sqlx::query("SELECT pk, audit_seq, audit_hash FROM orgs WHERE slug = $1")
            .bind(org)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let (org_pk, mut seq, mut hash): (i64, i64, String) =
            (head.get(0), head.get(1), head.get(2));
        // Whole seconds, as the database keeps them and the API returns them.
        let at = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap();
        let actor = Actor {
            id: "acc_bench".to_owned(),
            email: "support@supportctl.test".to_owned(),
            role: "support".to_owned(),
        };
        let mut tx = conn.begin().await.unwrap();
        for chunk_start in (0..count).step_by(CHUNK) {
            let mut sql = String::from(
                "INSERT INTO audit_events (org_pk, grant_id, session_id, request_id, seq, id, at, \
                 actor_id, actor_email, actor_role, action, target, details, prev_hash, hash) \
                 VALUES ",
            );
            for row in 0..(count - chunk_start).min(CHUNK) {
                let n = chunk_start + row;
                let (session, resource) = match session {
                    Some(session) => (session.to_owned(), json!(format!("chat/{}", n % 5000))),
                    None => (format!("ses_bench{:06}", n % 1000), json!(null)),
                };
                let mut event = AuditEvent {
                    seq: seq + 1,
                    id: format!("ev_bench{org}{:020}", seq + 1),
                    at,
                    org: org.to_owned(),
                    actor: actor.clone(),
                    action: "access.allowed".to_owned(),
                    target: Some(session.clone()),
                    details: json!({"area": "chats", "action": "read", "resource": resource,
                                    "reason": null, "reported_by": "service@supportctl.test"}),
                    prev_hash: hash.clone(),
                    hash: String::new(),
                };
                event.hash = event_hash(&event).unwrap();
                if row > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "({org_pk}, NULL, '{session}', NULL, {}, '{}', {}, '{}', '{}', '{}', \
                     '{}', '{session}', '{}', '{}', '{}')",
                    event.seq,
                    event.id,
                    at.as_second(),
                    actor.id,
                    actor.email,
                    actor.role,
                    event.action,
                    event.details,
                    event.prev_hash,
                    event.hash
                ));
                seq = event.seq;
                hash = event.hash;
            }
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        sqlx::query("UPDATE orgs SET audit_seq = $1, audit_hash = $2 WHERE pk = $3")
            .bind(seq)
            .bind(&hash)
            .bind(org_pk)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .unwrap();
    });
}
