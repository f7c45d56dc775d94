//! Starting the server under test, seeding its SQLite file, and one-off API calls.

use std::io::BufRead;
use std::io::BufReader;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Sizes;
use super::load::pinned;

/// `supportctl ARGS` against `url` as `token`, with its own config folder `config` and no
/// profile or org from the environment; its output thrown away unless the caller says.
pub(super) fn cli(exe: &Path, config: &Path, url: &str, token: &str, args: &[&str]) -> Command {
    let mut command = Command::new(exe);
    command
        .args(args)
        .env("SUPPORTCTL_SERVER", url)
        .env("SUPPORTCTL_TOKEN", token)
        .env("SUPPORTCTL_CONFIG_DIR", config)
        .env_remove("SUPPORTCTL_PROFILE")
        .env_remove("SUPPORTCTL_ORG")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Starts `supportctl server` on a free port; returns it, its URL and (with `dev`) the
/// tokens of its `export` lines.
pub(super) fn start_server(
    exe: &Path,
    db: &str,
    dev: bool,
    log_path: &Path,
) -> (Child, String, std::collections::HashMap<String, String>) {
    start_server_with(exe, db, dev, log_path, &["--listen", "127.0.0.1:0"])
}

/// [`start_server`] with `args` added (`--listen` among them).
pub(super) fn start_server_with(
    exe: &Path,
    db: &str,
    dev: bool,
    log_path: &Path,
    args: &[&str],
) -> (Child, String, std::collections::HashMap<String, String>) {
    // The log goes to a file: a pipe nobody drains would stall the server once full.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .unwrap();
    let start = std::fs::metadata(log_path).map(|m| m.len()).unwrap_or(0);
    let mut command = pinned(exe.as_os_str(), "PERF_SERVER_CPUS");
    command
        .args(["server", "--db", db])
        .args(args)
        // The PostgreSQL rows open 10,000 sessions as one engineer through the API, and the
        // access-request rows file requests as one engineer in a burst: no per-account limits.
        .args(["--max-sessions-per-engineer", "100000"])
        .args(["--account-sessions-per-minute", "0"])
        .args(["--account-requests-per-minute", "0"])
        .env("SUPPORTCTL_LOG", "warn,supportctl::server=info")
        .stdout(Stdio::piped())
        .stderr(log);
    if dev {
        command.arg("--dev");
    }
    // For trying pool sizes: `PERF_DB_CONNECTIONS=8` (the server's default otherwise).
    if let Ok(connections) = std::env::var("PERF_DB_CONNECTIONS") {
        command.args(["--db-max-connections", &connections]);
    }
    let mut child = command.spawn().expect("start the server");
    let mut exports = std::collections::HashMap::new();
    if dev {
        let stdout = BufReader::new(child.stdout.take().unwrap());
        for line in stdout.lines().take(5) {
            let line = line.unwrap();
            let (key, value) = line.trim_start_matches("export ").split_once('=').unwrap();
            let value = value.split_whitespace().next().unwrap().to_owned();
            exports.insert(key.to_owned(), value);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = loop {
        let text = std::fs::read_to_string(log_path).unwrap_or_default();
        let fresh = text.get(start as usize..).unwrap_or_default();
        if let Some(rest) = fresh.split("addr=").nth(1) {
            break format!("http://{}", rest.split_whitespace().next().unwrap());
        }
        assert!(
            Instant::now() < deadline,
            "the server did not start; its log:\n{fresh}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    (child, url, exports)
}

/// Inserts the bulk data directly; returns the plaintext session tokens of org `bulk`.
pub(super) fn seed(db: &str, sizes: &Sizes) -> Vec<String> {
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
        let pk = async |conn: &mut sqlx::SqliteConnection, sql: &'static str, key: &str| -> i64 {
            sqlx::query(sql)
                .bind(key.to_owned())
                .fetch_one(&mut *conn)
                .await
                .unwrap()
                .get(0)
        };
        let support = pk(
            &mut conn,
            "SELECT pk FROM accounts WHERE email = $1",
            "support@supportctl.test",
        )
        .await;
        let now = jiff::Timestamp::now().as_second();
        let mut tokens = Vec::new();
        for (org, grants, with_sessions) in [
            ("acme", sizes.list_grants, false),
            ("small", sizes.small, false),
            ("big", sizes.big, false),
            ("bulk", sizes.bulk, true),
            ("bulkcli", sizes.bulk, true),
        ] {
            let org_pk = pk(&mut conn, "SELECT pk FROM orgs WHERE slug = $1", org).await;
            let mut tx = conn.begin().await.unwrap();
            let first: i64 = sqlx::query("SELECT COALESCE(MAX(pk), 0) + 1 FROM grants")
                .fetch_one(&mut *tx)
                .await
                .unwrap()
                .get(0);
            for chunk_start in (0..grants).step_by(500) {
                let rows = (grants - chunk_start).min(500);
                let mut sql = String::from(
                    "INSERT INTO grants (pk, id, org_pk, level, areas, engineers, all_engineers, \
                     reason, created_by, created_at, expires_at) VALUES ",
                );
                for row in 0..rows {
                    let n = first + (chunk_start + row) as i64;
                    if row > 0 {
                        sql.push(',');
                    }
                    sql.push_str(&format!(
                        "({n}, 'gr_bench{n:020}', {org_pk}, 'member', 'chats,issues', '[]', 1, \
                         'benchmark', 'admin@{org}.test', {now}, {})",
                        now + 86_400
                    ));
                }
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                if with_sessions {
                    let mut sql = String::from(
                        "INSERT INTO sessions (id, org_pk, grant_pk, engineer_pk, level, areas, \
                         reason, token_hash, opened_at, expires_at) VALUES ",
                    );
                    for row in 0..rows {
                        let n = first + (chunk_start + row) as i64;
                        let token = format!("sst_bench{n:040}");
                        let hash = hex::encode(Sha256::digest(token.as_bytes()));
                        if org == "bulk" {
                            tokens.push(token);
                        }
                        if row > 0 {
                            sql.push(',');
                        }
                        sql.push_str(&format!(
                            "('ses_bench{n:020}', {org_pk}, {n}, {support}, 'read-only', 'chats', \
                             'benchmark', '{hash}', {now}, {})",
                            now + 3_600
                        ));
                    }
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                }
            }
            tx.commit().await.unwrap();
        }
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
        tokens
    })
}

pub(super) fn post(url: &str, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let output = Command::new("curl")
        .args([
            "-s",
            "-w",
            "\n%{http_code}",
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
    if !output.status.success() {
        eprintln!(
            "perf: curl {path} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        status.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

/// Creates org `slug` as the operator, and an admin of it (`admin@<slug>.test`); returns the
/// admin's token.
pub(super) fn org_with_admin(url: &str, operator: &str, slug: &str) -> String {
    let (status, body) = post(
        url,
        operator,
        "/v1/orgs",
        &serde_json::json!({"slug": slug, "name": slug}),
    );
    assert!(status < 300, "creating org {slug}: {body}");
    let (status, body) = post(
        url,
        operator,
        "/v1/accounts",
        &serde_json::json!({"email": format!("admin@{slug}.test"), "role": "admin", "org": slug}),
    );
    assert!(status < 300, "creating the admin of {slug}: {body}");
    body["token"].as_str().unwrap().to_owned()
}
