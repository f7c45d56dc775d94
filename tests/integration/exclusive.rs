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
