//! `server backup`: a consistent copy of a SQLite database while its server keeps writing.
//!
//! `VACUUM INTO` rather than the online backup API: it reads the database in one read
//! transaction, which in WAL mode never blocks the server's writer (only checkpoints wait for
//! it), whereas the backup API, stepped to let the writer in, starts over each time the server
//! writes, and never ends under steady `authorize` load; copied in one step it holds the same
//! read transaction as `VACUUM INTO` but copies free pages too, where `VACUUM INTO` writes a
//! compact file. Neither reports progress in a useful way here: the report gives the time taken.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use jiff::Timestamp;

use super::{MaintenanceError, is_postgres, partial_name, remove_sqlite_files, rename_durably};
use crate::api::checkpoint::ChainId;
use crate::server::store::engine::sqlite::path_of;
use crate::server::store::engine::sqlite_backup;

/// What a backup copied.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub out: PathBuf,
    pub bytes: u64,
    /// Each chain and its events.
    pub chains: Vec<(ChainId, i64)>,
    /// When the copy's read transaction began: the state it holds.
    pub taken_at: Timestamp,
    pub elapsed: Duration,
}

/// Copies the SQLite database `db_url` names to `out` (mode 0600, written under another name
/// and renamed, so `out` is never a partial file); an existing `out` only with `force`.
pub async fn backup(
    db_url: &str,
    out: &Path,
    force: bool,
) -> Result<BackupReport, MaintenanceError> {
    if is_postgres(db_url) {
        return Err(MaintenanceError::Postgres(
            "server backup copies SQLite databases; back up PostgreSQL with pg_dump -Fc (see \
             the README's \"Back up and restore\")"
                .into(),
        ));
    }
    if out.exists() && !force {
        return Err(MaintenanceError::Exists(out.to_owned()));
    }
    // Refuses a database a newer binary upgraded, before reading it.
    crate::server::store::engine::schema::status(db_url).await?;
    let source = path_of(db_url)?;
    let partial = partial_name(out, "partial");
    remove_sqlite_files(&partial);
    let copied = copy(&source, &partial);
    let report = match copied {
        Ok(report) => report,
        Err(error) => {
            remove_sqlite_files(&partial);
            return Err(error.into());
        }
    };
    if out.exists() && !force {
        remove_sqlite_files(&partial);
        return Err(MaintenanceError::Exists(out.to_owned()));
    }
    rename_durably(&partial, out)?;
    Ok(BackupReport {
        out: out.to_owned(),
        ..report
    })
}

fn copy(source: &Path, partial: &Path) -> anyhow::Result<BackupReport> {
    use std::os::unix::fs::OpenOptionsExt;
    let started = Instant::now();
    // VACUUM INTO writes into an empty file: created here, readable by the owner alone, as
    // the copy holds every token's hash.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let taken_at = sqlite_backup::vacuum_into(source, partial)?;
    let chains = sqlite_backup::label_backup(
        partial,
        taken_at,
        concat!("supportctl ", env!("CARGO_PKG_VERSION")),
    )?;
    let bytes = std::fs::metadata(partial)?.len();
    Ok(BackupReport {
        out: partial.to_owned(),
        bytes,
        chains,
        taken_at,
        elapsed: started.elapsed(),
    })
}

/// When the backup at `file` was taken, from the table it carries.
pub fn taken_at(file: &Path) -> anyhow::Result<Timestamp> {
    let seconds = sqlite_backup::backup_taken_at(file)?.ok_or_else(|| {
        anyhow::anyhow!(
            "{} is not a backup made by `supportctl server backup` (it says nothing of when it \
             was taken)",
            file.display()
        )
    })?;
    Ok(Timestamp::from_second(seconds)?)
}
