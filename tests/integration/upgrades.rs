//! A database as the previous release left it (tests/fixtures/upgrade, made by its make.sh)
//! served by this binary: it migrates, every chain still verifies (through the API, offline,
//! and against the checkpoint taken then), every token still works, and new grants go in.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::api_audit_tree::{assert_every_event_proven, assert_extends};
use crate::common::cli::Run;
use crate::common::conformance::conformance;
use crate::common::fixtures::client;
use crate::common::harness::{Backend, PgDatabase, ServerOptions, TestServer, cli_command};

const RELEASE: &str = "release-0.1.0";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade")
}

/// `supportctl ARGS` with no server nor token (the `server` verbs read no config).
pub fn supportctl(args: &[&str]) -> Run {
    static CONFIG: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let config = CONFIG.get_or_init(|| tempfile::tempdir().unwrap());
    Run::new(cli_command("", "", config.path()))
        .env_remove("SUPPORTCTL_SERVER")
        .args(args)
}

/// A copy of the release's database: its URL, and what keeps it alive.
pub struct OldDatabase {
    pub url: String,
    pub tokens: HashMap<String, String>,
    pub prefix: PathBuf,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

pub fn old_database(backend: Backend) -> OldDatabase {
    let dir = tempfile::tempdir().unwrap();
    let (url, prefix, pg) = match backend {
        Backend::Sqlite => {
            let file = dir.path().join("old.sqlite");
            std::fs::copy(fixtures().join(format!("{RELEASE}.sqlite")), &file).unwrap();
            let url = format!("sqlite://{}", file.display());
            (url, fixtures().join(format!("{RELEASE}.sqlite")), None)
        }
        Backend::Postgres => {
            let db = PgDatabase::create();
            let dump = std::fs::read_to_string(fixtures().join(format!("{RELEASE}.postgres.sql")))
                .unwrap();
            load_dump(&db.url, &dump);
            (
                db.url.clone(),
                fixtures().join(format!("{RELEASE}.postgres")),
                Some(db),
            )
        }
    };
    let env = std::fs::read_to_string(prefix.with_extension(match backend {
        Backend::Sqlite => "sqlite.env",
        Backend::Postgres => "postgres.env",
    }))
    .unwrap();
    let tokens = env
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    OldDatabase {
        url,
        tokens,
        prefix,
        _dir: dir,
        _pg: pg,
    }
}

/// Runs a plain-SQL dump on its own connection (it changes the connection's search_path).
fn load_dump(url: &str, dump: &str) {
    let url = url.to_owned();
    let dump = dump.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::postgres::PgConnection::connect(&url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(dump))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.unwrap();
            })
    })
    .join()
    .unwrap();
}

fn the_previous_release_s_database_is_migrated_and_keeps_verifying(backend: Backend) {
    let old = old_database(backend);
    let token = |name: &str| old.tokens[name].clone();

    // What an upgrade would apply: only migrations newer than the release's.
    let check = supportctl(&["server", "migrate", "--check", "--db", &old.url]).run();
    assert!(matches!(check.code, Some(0 | 1)), "{check}");
    for line in check.lines() {
        let version: i64 = line[..4].parse().unwrap();
        assert!(version > 5, "{check}");
    }

    let server = TestServer::with(ServerOptions {
        backend,
        db_url: Some(old.url.clone()),
        seed: false,
        ..ServerOptions::default()
    });
    supportctl(&["server", "migrate", "--check", "--db", &old.url])
        .ok()
        .stdout_empty();

    // Every chain verifies: through the API as its readers do, and offline.
    let verify_as = |token: &str, args: &[&str]| {
        Run::new(server.cli(token))
            .args(["audit", "verify"])
            .args(args)
            .ok()
    };
    verify_as(&token("ADMIN_TOKEN"), &["--org", "acme"]);
    verify_as(&token("GLOBEX_ADMIN_TOKEN"), &["--org", "globex"]);
    verify_as(&token("OPERATOR_TOKEN"), &["--vendor"]);
    let checkpoint = PathBuf::from(format!("{}.acme.checkpoint", old.prefix.display()));
    let key = PathBuf::from(format!("{}.key", old.prefix.display()));
    verify_as(
        &token("ADMIN_TOKEN"),
        &[
            "--org",
            "acme",
            "--checkpoint",
            checkpoint.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    // The checkpoint from the release (its third line the head event's hash) verifies by an
    // inclusion proof of that event, and by reading the whole log.
    verify_as(
        &token("ADMIN_TOKEN"),
        &[
            "--org",
            "acme",
            "--checkpoint",
            checkpoint.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--full",
        ],
    )
    .stderr_has("extends the checkpoint");
    // The migration built every chain's tree: Go proves each event in the signed tree.
    let verifier_key = std::fs::read_to_string(&key).unwrap();
    let acme = client(&server, &token("ADMIN_TOKEN"));
    let built = assert_every_event_proven(&acme, "/v1/orgs/acme/audit", &verifier_key);
    assert_eq!(built.size, 20);
    let globex = client(&server, &token("GLOBEX_ADMIN_TOKEN"));
    assert_every_event_proven(&globex, "/v1/orgs/globex/audit", &verifier_key);
    let operator = client(&server, &token("OPERATOR_TOKEN"));
    assert_every_event_proven(&operator, "/v1/audit", &verifier_key);
    let offline = supportctl(&["server", "verify", "--db", &old.url]).ok();
    assert_eq!(offline.lines().len(), 3, "{offline}");
    offline
        .stdout_has("org acme: 20 events")
        .stdout_has("org globex: 5 events")
        .stdout_has("the vendor chain: 9 events");

    // Every token works as before.
    let platform = client(&server, &token("SERVICE_TOKEN"));
    let session = token("SESSION_TOKEN");
    let introspection = platform.post("/v1/introspect", json!({ "token": session }));
    assert_eq!(introspection.body["active"], true, "{}", introspection.body);
    let decision = platform.post(
        "/v1/authorize",
        json!({ "token": session, "area": "chats", "action": "read" }),
    );
    assert_eq!(decision.body["allow"], true, "{}", decision.body);
    client(&server, &session).get("/v1/session").assert_ok();
    client(&server, &token("SUPPORT_TOKEN"))
        .get("/v1/grants")
        .assert_ok();
    client(&server, &token("OPERATOR_TOKEN"))
        .get("/v1/orgs")
        .assert_ok();

    // A new grant goes in, and the chain goes on from the release's events.
    let admin = client(&server, &token("ADMIN_TOKEN"));
    let reply = admin.post(
        "/v1/orgs/acme/grants",
        json!({"level": "member", "areas": ["chats"], "duration_seconds": 3600, "reason": "After the upgrade"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    verify_as(&token("ADMIN_TOKEN"), &["--org", "acme"]);
    supportctl(&["server", "verify", "--db", &old.url])
        .ok()
        .stdout_has("org acme: 22 events");
    // The tree goes on from the one the migration built.
    let grown = assert_every_event_proven(&acme, "/v1/orgs/acme/audit", &verifier_key);
    assert_eq!(grown.size, 22);
    assert_extends(&acme, "/v1/orgs/acme/audit", &built, &grown);
    verify_as(
        &token("ADMIN_TOKEN"),
        &[
            "--org",
            "acme",
            "--checkpoint",
            checkpoint.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    )
    .stderr_has("inclusion proof");
}

conformance! { the_previous_release_s_database_is_migrated_and_keeps_verifying }
