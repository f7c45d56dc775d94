//! SQLite: one file, one serving process. WAL lets readers run beside the single writer
//! connection; the busy timeout makes another process (e.g. `server init`) wait, not fail.

use std::borrow::Cow;
use std::ffi::{c_char, c_int};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use rusqlite::config::DbConfig;
use rusqlite::{OpenFlags, auto_extension, ffi};
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::dialect::Dialect;
use crate::server::store::sql::columns::{
    LOCK_ORG_BY_PK_SQLITE, LOCK_ORG_BY_SLUG_SQLITE, VENDOR_HEAD_SQLITE,
};

/// SQLite's SQL where it differs (see [`Dialect`]).
pub(super) const DIALECT: Dialect = Dialect {
    begin_write: "BEGIN IMMEDIATE",
    for_update: "",
    for_no_key_update: "",
    single_process: true,
    lock_org_by_slug: LOCK_ORG_BY_SLUG_SQLITE,
    lock_org_by_pk: LOCK_ORG_BY_PK_SQLITE,
    vendor_head: VENDOR_HEAD_SQLITE,
    policy_expiry_warning: "json_extract(p.document, '$.expiry_warning_seconds')",
    due_deliveries: "SELECT d.pk, d.webhook_pk, w.org_pk, d.next_attempt_at FROM webhooks w \
         JOIN webhook_deliveries d ON d.pk IN (SELECT x.pk FROM webhook_deliveries x \
         WHERE x.webhook_pk = w.pk AND x.status = 'pending' AND x.next_attempt_at <= $1 \
         AND x.locked_until <= $1 ORDER BY x.next_attempt_at, x.pk LIMIT $4) \
         WHERE w.disabled_at IS NULL",
    // Its planner would rather scan every pending row in webhook order to group them.
    leased_deliveries: "webhook_deliveries l INDEXED BY webhook_deliveries_leased",
    claim_lock: "",
    // The write pool is the one authorize's writer shares.
    pool_names: ["read", "write"],
    tree_batch: 1000,
    tree_hashes_update,
    tree_hashes_org_first: false,
};

fn tree_hashes_update(table: &str, org: bool, count: usize) -> String {
    let values = vec!["(?, ?)"; count].join(", ");
    let of_org = if org {
        format!("{table}.org_pk = ? AND ")
    } else {
        String::new()
    };
    format!(
        "UPDATE {table} SET tree_hashes = v.column2 FROM (VALUES {values}) AS v \
         WHERE {of_org}{table}.seq = v.column1"
    )
}

pub(super) const PRAGMAS: [&str; 4] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
];

/// Sets SQLite up for this process before it opens its first connection:
///
/// - Every connection (sqlx's and the access writer's) plans each statement once, when it is
///   prepared. Otherwise SQLite prepares a cached statement again, parse and plan, each time it
///   runs with other values if its plan looked at a bound value (compared with a partial
///   index's condition, or with STAT4 samples): that was a fifth of the server's CPU per
///   sign-in, and a part of every request's.
/// - SQLite keeps no memory statistics: with them, each of its allocations and frees takes one
///   process-wide lock, which sqlx's connection threads and the threads dropping their rows
///   fought over (a tenth of an evidence report's CPU). Nothing here reads them or sets a heap
///   limit. The library refuses the change once started, so it comes first.
pub(super) fn configure_sqlite_once() {
    static CONFIGURED: std::sync::Once = std::sync::Once::new();
    CONFIGURED.call_once(|| {
        // SAFETY: a documented option taking one int, set before the library starts (when
        // something started it already, SQLite refuses it and nothing changes).
        unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int) };
        // SAFETY: the extension sets one option on the connection being opened; it opens and
        // closes no connection and leaves the list of extensions alone.
        unsafe { auto_extension::register_auto_extension(stable_plans) }
            .expect("SQLite registers an automatic extension");
    });
}

/// The automatic extension of [`configure_sqlite_once`] that plans statements once.
unsafe extern "C" fn stable_plans(
    db: *mut ffi::sqlite3,
    error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite calls this with the connection it is opening, which stays open.
    unsafe {
        auto_extension::init_auto_extension(db, error, |connection| {
            connection
                .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
                .map(drop)
        })
    }
}

/// The schema's migrations, by version: sqlx applies those a database lacks.
pub(super) fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            Cow::Borrowed("init"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0001_init.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("checkpoints"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0002_checkpoints.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            Cow::Borrowed("requests_policy"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0003_requests_policy.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            Cow::Borrowed("webhooks"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0004_webhooks.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            Cow::Borrowed("policy_changes"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0005_policy_changes.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            6,
            Cow::Borrowed("delivery_claims"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0006_delivery_claims.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            7,
            Cow::Borrowed("audit_subjects"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0007_audit_subjects.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            8,
            Cow::Borrowed("approval_rules"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0008_approval_rules.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            9,
            Cow::Borrowed("break_glass"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0009_break_glass.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            10,
            Cow::Borrowed("audit_trees"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0010_audit_trees.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            11,
            Cow::Borrowed("sso"),
            MigrationType::Simple,
            include_str!("migrations/sqlite/0011_sso.sql").into_sql_str(),
            false,
        ),
    ])
}

/// The file a `sqlite:` URL names.
pub fn path_of(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .context("not a sqlite: URL")?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        anyhow::bail!(
            "an in-memory SQLite database cannot be shared by the server's connections; name a file, e.g. sqlite://./supportctl.db"
        );
    }
    Ok(PathBuf::from(path))
}

/// Creates the database file readable by its owner alone (0600; SQLite gives its WAL and
/// shared-memory files the same mode), in directories that only the owner may enter (0700),
/// when they do not exist yet: the file holds the audit log and every token's hash, and
/// another local user able to open it could also take its lock.
pub(super) fn create_private(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// Holds an exclusive advisory lock (`flock`) on the database file itself for as long as it
/// lives, so that only one server process serves a SQLite file: the in-memory authentication
/// cache relies on seeing every write. Locking the file, not a name beside it, also catches a
/// second server reaching it through a symlink or a hard link. (SQLite's own locks are POSIX
/// record locks, which `flock` does not touch.)
pub struct ExclusiveServe {
    _file: File,
}

impl ExclusiveServe {
    pub fn acquire(db: &Path) -> anyhow::Result<Self> {
        let file =
            File::open(db).with_context(|| format!("cannot open {} to lock it", db.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(ExclusiveServe { _file: file }),
            Err(_) => anyhow::bail!(
                "another supportctl server is serving {}; run several replicas on PostgreSQL instead",
                db.display()
            ),
        }
    }
}

/// Statements kept prepared: the lock, and the session reads and event inserts of the batch
/// sizes seen most.
const PREPARED: usize = 64;

/// The access writer's own connection to the SQLite file.
pub struct SqliteAccess(pub(super) Mutex<rusqlite::Connection>);

impl SqliteAccess {
    /// Opens `path`, which the store has created and migrated, with the store's settings.
    pub fn open(path: &Path, pragmas: &[&str]) -> anyhow::Result<Self> {
        let open = || -> rusqlite::Result<rusqlite::Connection> {
            let connection = rusqlite::Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            for pragma in pragmas {
                connection.execute_batch(pragma)?;
            }
            connection.busy_timeout(Duration::from_secs(5))?;
            connection.set_prepared_statement_cache_capacity(PREPARED);
            Ok(connection)
        };
        let connection =
            open().with_context(|| format!("cannot open SQLite database {}", path.display()))?;
        Ok(SqliteAccess(Mutex::new(connection)))
    }
}

/// A value the access writer's connection decodes (the store's row decoding asks it of every
/// cell, see `sql::rows::Cell`).
pub trait SqliteCell: rusqlite::types::FromSql {}

impl<T: rusqlite::types::FromSql> SqliteCell for T {}

/// A column's name or position on the access writer's connection.
pub trait SqliteAt: rusqlite::RowIndex {}

impl<T: rusqlite::RowIndex> SqliteAt for T {}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, StatementStatus};

    use super::configure_sqlite_once;

    /// With STAT4 samples, a statement comparing an indexed column with a parameter is
    /// prepared again on every new value unless the connection plans once.
    #[test]
    fn a_cached_statement_is_not_prepared_again_for_new_values() {
        configure_sqlite_once();
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE TABLE t (a INTEGER, b INTEGER); CREATE INDEX t_a ON t (a);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
                 INSERT INTO t SELECT i % 10, i FROM n;
                 ANALYZE;",
            )
            .unwrap();
        let mut count = connection
            .prepare("SELECT count(*) FROM t WHERE a = ?1")
            .unwrap();
        for value in 0..5 {
            let rows: i64 = count.query_row([value], |row| row.get(0)).unwrap();
            assert_eq!(rows, 100);
        }
        assert_eq!(count.get_status(StatementStatus::RePrepare), 0);
    }

    /// In a process of its own: another test may have started SQLite before this one set it
    /// up, and then the library keeps its statistics for good.
    #[test]
    fn sqlite_keeps_no_memory_statistics() {
        const CHILD: &str = "SUPPORTCTL_TEST_FRESH_SQLITE";
        if std::env::var_os(CHILD).is_none() {
            let child = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "server::store::engine::sqlite::tests::sqlite_keeps_no_memory_statistics",
                ])
                .env(CHILD, "1")
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&child.stdout);
            assert!(
                child.status.success() && said.contains("1 passed"),
                "{said}{}",
                String::from_utf8_lossy(&child.stderr)
            );
            return;
        }
        configure_sqlite_once();
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE t (a TEXT); INSERT INTO t VALUES (hex(randomblob(5000)));")
            .unwrap();
        // SAFETY: a plain read of a counter.
        assert_eq!(unsafe { rusqlite::ffi::sqlite3_memory_used() }, 0);
    }
}
