//! The schema's version: the migrations a database has and those this binary would apply, and
//! the refusal to touch a database that a newer binary has upgraded (sqlx would only say
//! `VersionMissing`).

use anyhow::Context;
use sqlx::{AnyPool, Executor};

use super::{Backend, pool_options, redact_url};

/// One migration, as `0005_policy_changes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaMigration {
    pub version: i64,
    pub name: String,
}

impl std::fmt::Display for SchemaMigration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}_{}", self.version, self.name)
    }
}

/// Where a database stands against this binary's migrations.
#[derive(Debug, Clone)]
pub struct SchemaStatus {
    pub applied: Vec<SchemaMigration>,
    /// This binary's migrations the database lacks, in the order they would be applied.
    pub pending: Vec<SchemaMigration>,
}

/// A database upgraded by a newer binary: this one must not serve nor change it.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "this database was upgraded by a newer supportctl (schema {}, `{newest}`); this binary ({}) \
     knows schema up to {known}: run the newer supportctl",
    newest.version,
    env!("CARGO_PKG_VERSION")
)]
pub struct NewerSchema {
    pub newest: SchemaMigration,
    pub known: i64,
}

/// This binary's migrations for `backend`.
pub fn known(backend: Backend) -> Vec<SchemaMigration> {
    let migrator = match backend {
        Backend::Sqlite => super::sqlite::migrator(),
        Backend::Postgres => super::postgres::migrator(),
    };
    migrator
        .iter()
        .map(|m| SchemaMigration {
            version: m.version,
            name: m.description.to_string(),
        })
        .collect()
}

/// The migrations applied to the database behind `pool` (none on a fresh one).
async fn applied(pool: &AnyPool, backend: Backend) -> anyhow::Result<Vec<SchemaMigration>> {
    let exists = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()"
        }
    };
    let tables: i64 = sqlx::query_scalar(exists).fetch_one(pool).await?;
    if tables == 0 {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, description FROM _sqlx_migrations ORDER BY version")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(version, name)| SchemaMigration { version, name })
        .collect())
}

/// Fails with [`NewerSchema`] when the database has a migration this binary does not know.
pub(super) async fn refuse_newer(pool: &AnyPool, backend: Backend) -> anyhow::Result<()> {
    status_of(pool, backend).await.map(drop)
}

async fn status_of(pool: &AnyPool, backend: Backend) -> anyhow::Result<SchemaStatus> {
    let known = known(backend);
    let applied = applied(pool, backend).await?;
    let known_up_to = known.last().map_or(0, |m| m.version);
    if let Some(unknown) = applied
        .iter()
        .filter(|m| !known.iter().any(|k| k.version == m.version))
        .max_by_key(|m| m.version)
    {
        return Err(NewerSchema {
            newest: unknown.clone(),
            known: known_up_to,
        }
        .into());
    }
    let pending = known
        .into_iter()
        .filter(|k| !applied.iter().any(|m| m.version == k.version))
        .collect();
    Ok(SchemaStatus { applied, pending })
}

/// Where the database `url` names stands, changing nothing.
pub async fn status(url: &str) -> anyhow::Result<SchemaStatus> {
    let (pool, backend) = connect(url).await?;
    let status = status_of(&pool, backend).await;
    pool.close().await;
    status
}

/// One connection to an existing database, without creating or migrating anything.
pub(super) async fn connect(url: &str) -> anyhow::Result<(AnyPool, Backend)> {
    sqlx::any::install_default_drivers();
    let options = pool_options().max_connections(1);
    if url.starts_with("sqlite:") {
        let path = super::sqlite::path_of(url)?;
        if !path.is_file() {
            anyhow::bail!("there is no database at {}", path.display());
        }
        let pool = options
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    Ok(())
                })
            })
            .connect(&format!("sqlite://{}?mode=rw", path.display()))
            .await
            .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
        Ok((pool, Backend::Sqlite))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let pool = options
            .connect(url)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {}", redact_url(url)))?;
        Ok((pool, Backend::Postgres))
    } else {
        anyhow::bail!(
            "unsupported database URL '{}': use sqlite://PATH or postgres://...",
            redact_url(url)
        )
    }
}
