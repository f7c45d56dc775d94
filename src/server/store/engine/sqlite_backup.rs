//! SQLite files copied whole, for `server backup` and `server restore`: the consistent copy
//! (`VACUUM INTO`, see `maintenance::backup` for why), the table a backup carries about
//! itself, and the checks a restore makes of a file. Each step opens a connection of its own
//! (rusqlite, blocking), apart from any store's pools.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags};

use crate::api::checkpoint::ChainId;

/// The table a backup carries about itself (dropped again by a restore).
pub const BACKUP_INFO_TABLE: &str = "backup_info";

/// A read-only connection to `path`, which must exist.
fn open_read_only(path: &Path) -> anyhow::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {}", path.display()))
}

/// Copies the database at `source` into the empty file `target` in one read transaction,
/// which in WAL mode never blocks the server's writer. Returns when that began (to the
/// second): the state the copy holds.
pub fn vacuum_into(source: &Path, target: &Path) -> anyhow::Result<Timestamp> {
    let connection = open_read_only(source)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    let taken_at = Timestamp::from_second(Timestamp::now().as_second())?;
    let target = target
        .to_str()
        .context("the backup's path is not UTF-8")?
        .to_owned();
    connection
        .execute("VACUUM INTO ?1", [&target])
        .with_context(|| format!("cannot copy {}", source.display()))?;
    Ok(taken_at)
}

/// Makes the copy at `copy` a backup: one self-contained file (no WAL) that says when it was
/// taken and by what ([`BACKUP_INFO_TABLE`]). Returns each chain's last event in it.
pub fn label_backup(
    copy: &Path,
    taken_at: Timestamp,
    taken_by: &str,
) -> anyhow::Result<Vec<(ChainId, i64)>> {
    let copy = Connection::open(copy)
        .with_context(|| format!("cannot open the copy {}", copy.display()))?;
    copy.pragma_update(None, "journal_mode", "DELETE")?;
    copy.execute_batch(&format!(
        "CREATE TABLE {BACKUP_INFO_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), \
         taken_at INTEGER NOT NULL, taken_by TEXT NOT NULL)"
    ))?;
    copy.execute(
        &format!("INSERT INTO {BACKUP_INFO_TABLE} (id, taken_at, taken_by) VALUES (1, ?1, ?2)"),
        rusqlite::params![taken_at.as_second(), taken_by],
    )?;
    let mut chains = Vec::new();
    let mut orgs = copy.prepare("SELECT slug, audit_seq FROM orgs ORDER BY pk")?;
    for row in orgs.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })? {
        let (slug, seq) = row?;
        chains.push((ChainId::Org(slug), seq));
    }
    drop(orgs);
    let vendor: i64 = copy.query_row(
        "SELECT audit_seq FROM vendor_audit_head WHERE id = 1",
        [],
        |row| row.get(0),
    )?;
    chains.push((ChainId::Vendor, vendor));
    Ok(chains)
}

/// When the backup at `file` was taken (Unix seconds), or `None` when it carries no
/// [`BACKUP_INFO_TABLE`] (it is not a backup).
pub fn backup_taken_at(file: &Path) -> anyhow::Result<Option<i64>> {
    let connection = open_read_only(file)?;
    Ok(connection
        .query_row(
            &format!("SELECT taken_at FROM {BACKUP_INFO_TABLE} WHERE id = 1"),
            [],
            |row| row.get(0),
        )
        .ok())
}

/// Drops the table a backup carries about itself from the copy at `copy`, which becomes a
/// database again.
pub fn unlabel_backup(copy: &Path) -> anyhow::Result<()> {
    Connection::open(copy)
        .and_then(|copy| copy.execute_batch(&format!("DROP TABLE {BACKUP_INFO_TABLE}")))
        .with_context(|| format!("cannot open the copy {}", copy.display()))
}

/// Folds the WAL of the database at `path` into the file and removes it: one self-contained
/// file.
pub fn without_wal(path: &Path) -> anyhow::Result<()> {
    Connection::open(path)
        .and_then(|copy| copy.pragma_update(None, "journal_mode", "DELETE"))
        .with_context(|| format!("cannot finish {}", path.display()))
}

/// Whether the SQLite file at `path` has orgs or accounts (a fresh or empty file has none).
pub fn holds_data(path: &Path) -> anyhow::Result<bool> {
    let connection = open_read_only(path)?;
    let tables: i64 = connection.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('orgs', 'accounts')",
        [],
        |row| row.get(0),
    )?;
    if tables < 2 {
        return Ok(false);
    }
    let rows: i64 = connection.query_row(
        "SELECT (SELECT COUNT(*) FROM orgs) + (SELECT COUNT(*) FROM accounts)",
        [],
        |row| row.get(0),
    )?;
    Ok(rows > 0)
}
