//! `server migrate`, `server verify`, `server backup` and `server restore` on the database
//! itself, and the refusal of a database that a newer binary upgraded.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use crate::common::conformance::conformance;
use crate::common::fixtures::authorize;
use crate::common::harness::{Backend, PgDatabase, ServerOptions, TestServer, path_of, run_sql};
use crate::upgrades::supportctl;

/// A fresh, empty database: its URL and what keeps it alive.
fn empty_database(backend: Backend) -> (String, tempfile::TempDir, Option<PgDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    match backend {
        Backend::Sqlite => {
            let file = dir.path().join("db.sqlite");
            std::fs::File::create(&file).unwrap();
            (format!("sqlite://{}", file.display()), dir, None)
        }
        Backend::Postgres => {
            let db = PgDatabase::create();
            (db.url.clone(), dir, Some(db))
        }
    }
}

fn migrate_check_lists_what_migrate_then_applies(backend: Backend) {
    let (url, _dir, _pg) = empty_database(backend);
    let check = supportctl(&["server", "migrate", "--check", "--db", &url]).code(1);
    assert_eq!(check.lines()[0], "0001_init", "{check}");
    assert!(check.lines().contains(&"0005_policy_changes"), "{check}");
    let pending = check.lines().len();

    let applied = supportctl(&["server", "migrate", "--db", &url]).ok();
    assert_eq!(
        applied.stderr.matches("Applied 0").count(),
        pending,
        "{applied}"
    );
    assert!(applied.stderr.contains("Applied 0001_init"), "{applied}");

    supportctl(&["server", "migrate", "--check", "--db", &url])
        .ok()
        .stdout_empty();
    supportctl(&["server", "migrate", "--db", &url])
        .ok()
        .stdout_empty()
        .stderr_has("nothing was changed");
}

fn a_database_a_newer_binary_upgraded_is_refused_in_one_sentence(backend: Backend) {
    let (url, _dir, _pg) = empty_database(backend);
    supportctl(&["server", "migrate", "--db", &url]).ok();
    run_sql(
        &url,
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, \
         execution_time) VALUES (99, 'from_the_future', CURRENT_TIMESTAMP, TRUE, '\\x00', 0)",
    );
    let sentence = "this database was upgraded by a newer supportctl (schema 99, \
                    `0099_from_the_future`); this binary (";
    let mut commands = vec![
        vec!["server", "--listen", "127.0.0.1:0", "--db", &url],
        vec!["server", "init", "--db", &url],
        vec!["server", "migrate", "--db", &url],
        vec!["server", "migrate", "--check", "--db", &url],
        vec!["server", "verify", "--db", &url],
    ];
    let out = tempfile::tempdir().unwrap();
    let backup = out.path().join("backup.sqlite");
    if backend == Backend::Sqlite {
        commands.push(vec![
            "server",
            "backup",
            "--db",
            &url,
            "--out",
            backup.to_str().unwrap(),
        ]);
    }
    for command in commands {
        let refused = supportctl(&command).run();
        assert_eq!(refused.code, Some(1), "{refused}");
        let error = refused.error_line();
        assert!(error.contains(sentence), "{refused}");
        assert!(error.contains(") knows schema up to "), "{refused}");
        assert!(error.ends_with(": run the newer supportctl"), "{refused}");
        assert!(!refused.stderr.contains("VersionMissing"), "{refused}");
        assert!(!refused.stderr.contains("migrat"), "{refused}");
    }
    assert!(!backup.exists());
}

/// A server with a few events in acme's chain: grants, a session, decisions.
fn busy_server(backend: Backend) -> TestServer {
    let server = TestServer::on(backend);
    let admin = server.admin();
    for n in 0..3 {
        admin.grant(
            json!({"level": "member", "duration_seconds": 3600, "reason": format!("Ticket {n}")}),
        );
    }
    let (_, token) = server
        .support()
        .open(json!({"reason": "Look", "ttl_seconds": 600}));
    authorize(&server, &token, "chats", "read");
    server
}

/// Runs SQL on acme's events.
fn on_acme(server: &TestServer, sql: &str) {
    run_sql(
        &server.db_url,
        &sql.replace("ACME", "(SELECT pk FROM orgs WHERE slug = 'acme')"),
    );
}

fn verify_passes_a_clean_database_and_names_a_changed_event(backend: Backend) {
    let server = busy_server(backend);
    let clean = supportctl(&["server", "verify", "--db", &server.db_url]).ok();
    assert_eq!(clean.lines().len(), 2, "{clean}");
    assert!(clean.lines()[0].starts_with("org acme: "), "{clean}");
    assert!(
        clean.lines()[1].starts_with("the vendor chain: "),
        "{clean}"
    );

    on_acme(
        &server,
        "UPDATE audit_events SET details = '{\"reason\":\"edited\"}' WHERE org_pk = ACME AND seq = 3",
    );
    let broken = supportctl(&["server", "verify", "--db", &server.db_url]).run();
    assert_eq!(broken.code, Some(1), "{broken}");
    assert!(
        broken.error_line().contains("org acme at seq 3"),
        "{broken}"
    );
    broken.stdout_has("org acme: chain broken at seq 3: content does not match its hash");
}

fn verify_names_where_events_were_deleted(backend: Backend) {
    let server = busy_server(backend);
    let newest: i64 = server.admin().all("/v1/orgs/acme/audit").last().unwrap()["seq"]
        .as_i64()
        .unwrap();
    on_acme(
        &server,
        &format!("DELETE FROM audit_events WHERE org_pk = ACME AND seq = {newest}"),
    );
    let cut = supportctl(&["server", "verify", "--db", &server.db_url]).run();
    assert_eq!(cut.code, Some(1), "{cut}");
    assert!(
        cut.error_line()
            .contains(&format!("org acme at seq {newest}")),
        "{cut}"
    );
    cut.stdout_has("events missing");

    on_acme(
        &server,
        "DELETE FROM audit_events WHERE org_pk = ACME AND seq = 2",
    );
    let gap = supportctl(&["server", "verify", "--db", &server.db_url]).run();
    assert_eq!(gap.code, Some(1), "{gap}");
    assert!(gap.error_line().contains("org acme at seq 3"), "{gap}");
    gap.stdout_has("expected seq 2, found 3");
}

conformance! {
    migrate_check_lists_what_migrate_then_applies,
    a_database_a_newer_binary_upgraded_is_refused_in_one_sentence,
    verify_passes_a_clean_database_and_names_a_changed_event,
    verify_names_where_events_were_deleted,
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_backup_taken_while_the_server_writes_verifies_and_restores_with_audit_restored() {
    let server = busy_server(Backend::Sqlite);
    let (_, token) = server
        .support()
        .open(json!({"reason": "Load", "ttl_seconds": 3600}));
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let writing = writing.clone();
        let admin = server.admin();
        let url = server.url.clone();
        let service = server.tokens.service.clone();
        std::thread::spawn(move || {
            let platform = crate::common::harness::Api {
                base: url,
                token: Some(service),
                http: crate::common::harness::http_client(),
            };
            let mut writes = 0;
            while writing.load(Ordering::Relaxed) {
                admin.grant(
                    json!({"level": "read-only", "duration_seconds": 600, "reason": "Load"}),
                );
                platform
                    .post(
                        "/v1/authorize",
                        json!({"token": token, "area": "chats", "action": "read"}),
                    )
                    .assert_ok();
                writes += 1;
            }
            writes
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.sqlite");
    let out = backup.to_str().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let made = supportctl(&["server", "backup", "--db", &server.db_url, "--out", out]).ok();
    writing.store(false, Ordering::Relaxed);
    assert!(writer.join().unwrap() > 0);
    made.stdout_has("org acme: ")
        .stdout_has("the vendor chain: ");
    assert!(made.stderr.contains("Backed up"), "{made}");
    assert_eq!(mode(&backup), 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "only the backup: {leftovers:?}");
    let backup_url = format!("sqlite://{out}");
    supportctl(&["server", "verify", "--db", &backup_url]).ok();

    // An existing file is kept unless --force.
    let before = std::fs::read(&backup).unwrap();
    supportctl(&["server", "backup", "--db", &server.db_url, "--out", out])
        .fails(6)
        .stderr_has("--force");
    assert_eq!(std::fs::read(&backup).unwrap(), before);
    supportctl(&[
        "server",
        "backup",
        "--db",
        &server.db_url,
        "--out",
        out,
        "--force",
    ])
    .ok();
    let taken_at = backup_taken_at(&backup);

    // Never into the database a server serves.
    supportctl(&["server", "restore", out, "--db", &server.db_url, "--force"])
        .fails(1)
        .stderr_has("another supportctl server is serving");
    server.admin().get("/v1/me").assert_ok();

    // Restored into a new file: every chain gets audit.restored, and still verifies.
    let target = dir.path().join("restored.sqlite");
    let target_url = format!("sqlite://{}", target.display());
    supportctl(&["server", "restore", out, "--db", &target_url]).ok();
    assert_eq!(mode(&target), 0o600);
    supportctl(&["server", "verify", "--db", &target_url]).ok();
    let restored = TestServer::with(ServerOptions {
        db_url: Some(target_url.clone()),
        seed: false,
        ..ServerOptions::default()
    });
    let expected = json!({ "from_backup_at": taken_at });
    let acme = restored
        .as_token(&server.tokens.admin)
        .all("/v1/orgs/acme/audit");
    let last = acme.last().unwrap();
    assert_eq!(last["action"], "audit.restored");
    assert_eq!(last["details"], expected);
    let vendor = restored.as_token(&server.tokens.operator).all("/v1/audit");
    let last = vendor.last().unwrap();
    assert_eq!(last["action"], "audit.restored");
    assert_eq!(last["details"], expected);
    drop(restored);

    // A target holding orgs or accounts is kept unless --force.
    let before = std::fs::read(&target).unwrap();
    supportctl(&["server", "restore", out, "--db", &target_url])
        .fails(6)
        .stderr_has("--force");
    assert_eq!(std::fs::read(&target).unwrap(), before);
    supportctl(&["server", "restore", out, "--db", &target_url, "--force"]).ok();
    supportctl(&["server", "verify", "--db", &target_url]).ok();
}

/// The backup's own record of when it was taken, as RFC 3339.
fn backup_taken_at(backup: &Path) -> String {
    let seconds: i64 = rusqlite::Connection::open(backup)
        .unwrap()
        .query_row("SELECT taken_at FROM backup_info", [], |row| row.get(0))
        .unwrap();
    jiff::Timestamp::from_second(seconds).unwrap().to_string()
}

#[test]
fn a_backup_with_a_broken_chain_is_not_restored() {
    let server = busy_server(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.sqlite");
    let out = backup.to_str().unwrap();
    supportctl(&["server", "backup", "--db", &server.db_url, "--out", out]).ok();
    run_sql(
        &format!("sqlite://{out}"),
        "UPDATE audit_events SET details = '{}' WHERE seq = 2",
    );
    let target = dir.path().join("restored.sqlite");
    let refused = supportctl(&[
        "server",
        "restore",
        out,
        "--db",
        &format!("sqlite://{}", target.display()),
    ])
    .run();
    assert_eq!(refused.code, Some(1), "{refused}");
    refused.stderr_has("org acme in the backup is broken: chain broken at seq 2");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "nothing written beside the backup: {left:?}");

    // Nor is a file that is no backup (the live database).
    let live = path_of(&server.db_url);
    supportctl(&[
        "server",
        "restore",
        live.to_str().unwrap(),
        "--db",
        &format!("sqlite://{}", target.display()),
    ])
    .fails(1)
    .stderr_has("is not a backup made by `supportctl server backup`");
    assert!(!target.exists());
}

#[test]
fn postgres_is_backed_up_and_restored_with_its_own_tools() {
    let url = "postgres://supportctl@127.0.0.1/unused";
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("backup.sqlite");
    supportctl(&[
        "server",
        "backup",
        "--db",
        url,
        "--out",
        out.to_str().unwrap(),
    ])
    .fails(2)
    .stderr_has("pg_dump -Fc");
    std::fs::write(&out, b"").unwrap();
    supportctl(&["server", "restore", out.to_str().unwrap(), "--db", url])
        .fails(2)
        .stderr_has("pg_restore");
}
