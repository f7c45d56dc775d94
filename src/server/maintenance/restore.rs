//! `server restore`: a backup made by `server backup` becomes a SQLite database again, each of
//! its chains verified first and then told of the restore by an `audit.restored` event.

use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::Timestamp;

use super::backup::taken_at;
use super::{MaintenanceError, is_postgres, partial_name, remove_sqlite_files, rename_durably};
use crate::server::store::engine::sqlite::path_of;
use crate::server::store::engine::sqlite_backup;
use crate::server::store::{ChainCheck, PoolSettings};

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub target: PathBuf,
    pub taken_at: Timestamp,
    /// Each chain as verified in the backup (before its `audit.restored`).
    pub chains: Vec<ChainCheck>,
}

/// Restores `file` into the SQLite database `target_url` names. Nothing is written there when
/// a chain of the backup is broken, or, without `force`, when it holds orgs or accounts; nor
/// while a server serves it.
pub async fn restore(
    file: &Path,
    target_url: &str,
    force: bool,
    now: Timestamp,
) -> Result<RestoreReport, MaintenanceError> {
    if is_postgres(target_url) {
        return Err(MaintenanceError::Postgres(
            "server restore writes SQLite databases; restore PostgreSQL with pg_restore, then \
             run `supportctl server verify` (see the README's \"Back up and restore\")"
                .into(),
        ));
    }
    let taken_at = taken_at(file)?;
    let target = path_of(target_url)?;
    let _serving = if target.exists() {
        let lock = hold(&target)?;
        if !force && sqlite_backup::holds_data(&target)? {
            return Err(MaintenanceError::NotEmpty(target));
        }
        Some(lock)
    } else {
        None
    };
    if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let partial = partial_name(&target, "restoring");
    remove_sqlite_files(&partial);
    let outcome = prepare(file, &partial, taken_at, now).await;
    let chains = match outcome {
        Ok(chains) => chains,
        Err(error) => {
            remove_sqlite_files(&partial);
            return Err(error);
        }
    };
    // The old database's WAL must not be applied to the restored file.
    for suffix in ["-wal", "-shm"] {
        let mut name = target.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    rename_durably(&partial, &target)?;
    Ok(RestoreReport {
        target,
        taken_at,
        chains,
    })
}

/// Copies the backup to `partial`, migrates it, verifies its chains and records the restore.
async fn prepare(
    file: &Path,
    partial: &Path,
    taken_at: Timestamp,
    now: Timestamp,
) -> Result<Vec<ChainCheck>, MaintenanceError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::copy(file, partial)
        .with_context(|| format!("cannot copy {} to {}", file.display(), partial.display()))?;
    std::fs::set_permissions(partial, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot restrict {}", partial.display()))?;
    sqlite_backup::unlabel_backup(partial)?;

    let url = format!("sqlite://{}", partial.display());
    let store = crate::server::store::engine::open::sqlite(&url, &PoolSettings::default()).await?;
    let mut chains = Vec::new();
    for chain in store.chains().await.map_err(anyhow::Error::from)? {
        let check = store
            .verify_chain(&chain)
            .await
            .map_err(anyhow::Error::from)?;
        if let Some(found) = check.broken.clone() {
            store.close().await;
            return Err(MaintenanceError::Broken { chain, found });
        }
        chains.push(check);
    }
    store
        .record_restored(taken_at, now)
        .await
        .map_err(anyhow::Error::from)?;
    store.close().await;
    // One self-contained file: the WAL checkpointed into it and removed.
    sqlite_backup::without_wal(partial)?;
    Ok(chains)
}

/// Takes the lock a server holds on the file it serves (see `ExclusiveServe`), so that no
/// server serves `target` while it is replaced, nor starts to.
fn hold(target: &Path) -> anyhow::Result<std::fs::File> {
    let file = std::fs::File::open(target)
        .with_context(|| format!("cannot open {} to lock it", target.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another supportctl server is serving {}: stop it before restoring into it; nothing \
             was written",
            target.display()
        ),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("cannot lock {}", target.display()))
        }
    }
}
