//! One server process per SQLite file: its token cache must see every write, so a second server
//! on the same file, however the path to it is spelled, is refused at start.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::harness::{TestServer, std_command};

/// Runs `supportctl server` on `db_url`; it must exit at once, non-zero, saying why.
fn assert_refused(db_url: &str) {
    let config = tempfile::tempdir().unwrap();
    let mut child = std_command("", "", config.path())
        .env_remove("SUPPORTCTL_SERVER")
        .args(["server", "--listen", "127.0.0.1:0", "--db", db_url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("a second server started serving {db_url}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("another supportctl server is serving"),
        "{stderr}"
    );
}

#[test]
fn a_second_server_on_the_same_sqlite_file_is_refused_by_any_path() {
    let server = TestServer::start();
    let db = std::path::PathBuf::from(server.db_url.trim_start_matches("sqlite://"));
    let links = tempfile::tempdir().unwrap();
    let symlink = links.path().join("through-a-symlink.db");
    std::os::unix::fs::symlink(&db, &symlink).unwrap();
    let hard_link = db.with_file_name("hard-link.db");
    std::fs::hard_link(&db, &hard_link).unwrap();

    for path in [&db, &symlink, &hard_link] {
        assert_refused(&format!("sqlite://{}", path.display()));
    }
    // The first server serves on, untouched.
    server.admin().get("/v1/me").assert_ok();
}

#[test]
fn the_database_its_wal_and_a_directory_the_server_creates_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new").join("data").join("supportctl.db");
    // A permissive umask, as on many systems: the modes must not depend on it.
    let old_umask = unsafe { libc::umask(0o022) };
    let server = TestServer::with(crate::common::harness::ServerOptions {
        db_url: Some(format!("sqlite://{}", db.display())),
        ..crate::common::harness::ServerOptions::default()
    });
    unsafe { libc::umask(old_umask) };
    server
        .admin()
        .grant(serde_json::json!({"level": "member", "reason": "write something"}));
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&db), 0o600, "database file");
    for suffix in ["-wal", "-shm"] {
        let file = db.with_file_name(format!("supportctl.db{suffix}"));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(
        mode(db.parent().unwrap()),
        0o700,
        "the directory it created"
    );
    assert_eq!(
        mode(&dir.path().join("new")),
        0o700,
        "every directory it created"
    );
}
