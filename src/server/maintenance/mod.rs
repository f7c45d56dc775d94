//! Offline maintenance of a database: consistent SQLite backups taken while a server writes
//! ([`backup`]), and restoring one ([`restore`]); chains are verified by the store
//! ([`crate::server::store::Store::verify_chain`]).

pub mod backup;
pub mod restore;

use std::path::{Path, PathBuf};

use crate::api::chain::ChainBreak;
use crate::api::checkpoint::ChainId;

/// Why a backup or restore refused or failed, for the CLI to give each its exit code.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    /// The output exists and `--force` was not given.
    #[error("{} exists already; nothing was written", .0.display())]
    Exists(PathBuf),
    /// The restore target holds orgs or accounts and `--force` was not given.
    #[error("{} already holds orgs or accounts; nothing was written", .0.display())]
    NotEmpty(PathBuf),
    /// A chain of the backup does not verify.
    #[error("{chain} in the backup is broken: {found}; nothing was written")]
    Broken { chain: ChainId, found: ChainBreak },
    /// Asked of PostgreSQL, whose own tools do it.
    #[error("{0}")]
    Postgres(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A name beside `path` for a file being written, renamed onto `path` once whole.
fn partial_name(path: &Path, purpose: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{purpose}-{}", std::process::id()))
}

/// Renames `from` onto `to` and makes the rename durable (the folder's entry synced).
fn rename_durably(from: &Path, to: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::File::open(from)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("cannot sync {}", from.display()))?;
    std::fs::rename(from, to)
        .with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))?;
    if let Some(dir) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|dir| dir.sync_all())
            .with_context(|| format!("cannot sync {}", dir.display()))?;
    }
    Ok(())
}

/// Removes a SQLite file and its WAL and shared-memory files, those that exist.
fn remove_sqlite_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}
