//! Opening a store: each database's pools, migrations and audit trees, and the [`Store`] they
//! make. Above the rest of the engine and the store's methods, which it puts together.

use std::sync::Arc;

use anyhow::Context;
use sqlx::Executor;
use sqlx::any::install_default_drivers;

use super::schema::{self, SchemaMigration};
use super::sqlite::{ExclusiveServe, SqliteAccess};
use super::{Backend, Engine, pool_options, postgres, redact_url, sqlite};
use crate::server::store::notify::RequestEvents;
use crate::server::store::sql::{Store, tree};
use crate::server::store::values::PoolSettings;

/// Opens the store that `url` names (`sqlite://PATH` or `postgres://...`) and migrates it.
pub async fn migrated(url: &str, pool: &PoolSettings) -> anyhow::Result<Store> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres(url, pool).await
    } else if url.starts_with("sqlite:") {
        sqlite(url, pool).await
    } else {
        anyhow::bail!(
            "unsupported database URL '{}': use sqlite://PATH or postgres://...",
            redact_url(url)
        )
    }
}

/// Opens a SQLite file, creating and migrating it.
pub async fn sqlite(url: &str, settings: &PoolSettings) -> anyhow::Result<Store> {
    install_default_drivers();
    sqlite::configure_sqlite_once();
    let path = sqlite::path_of(url)?;
    sqlite::create_private(&path)?;
    let connect_url = format!("sqlite://{}?mode=rwc", path.display());
    let options = || {
        pool_options().after_connect(|conn, _meta| {
            Box::pin(async move {
                for pragma in sqlite::PRAGMAS {
                    conn.execute(pragma).await?;
                }
                Ok(())
            })
        })
    };
    let write = options()
        .max_connections(1)
        .acquire_timeout(settings.acquire_timeout)
        .connect(&connect_url)
        .await
        .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
    // Two processes migrating a fresh file at once both find nothing applied, and the second
    // fails on a table the first just made (SQLite has no migration lock; a failed migration
    // rolls back whole): look again, and the first one's work counts as applied.
    schema::refuse_newer(&write, Backend::Sqlite).await?;
    let mut migrated = sqlite::migrator().run(&write).await;
    for _ in 0..3 {
        if migrated.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        migrated = sqlite::migrator().run(&write).await;
    }
    migrated.with_context(|| format!("cannot migrate SQLite database {}", path.display()))?;
    tree::build_behind(&write, Backend::Sqlite)
        .await
        .with_context(|| format!("cannot build the audit trees of {}", path.display()))?;
    let read = options()
        .max_connections(settings.max_connections.max(1))
        .min_connections(settings.min_connections)
        .acquire_timeout(settings.acquire_timeout)
        .idle_timeout(settings.idle_timeout)
        .connect(&connect_url)
        .await
        .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
    Ok(Store {
        read,
        access: write.clone(),
        write,
        engine: Engine::Sqlite {
            access: Some(Arc::new(SqliteAccess::open(&path, &sqlite::PRAGMAS)?)),
            cache: None,
        },
        events: Arc::default(),
        access_queues: Default::default(),
        access_waiters: Default::default(),
        audit_events: Arc::default(),
    })
}

/// Turns on the authentication cache: only for a store this process serves exclusively.
pub fn with_cache(mut store: Store, lock: &ExclusiveServe) -> Store {
    store.engine = store.engine.with_cache(lock);
    store
}

/// Connects to PostgreSQL and migrates it.
pub async fn postgres(url: &str, settings: &PoolSettings) -> anyhow::Result<Store> {
    install_default_drivers();
    let (main_connections, access_connections) =
        postgres::split_connections(settings.max_connections);
    let pool = pool_options()
        .max_connections(main_connections)
        .min_connections(settings.min_connections)
        .acquire_timeout(settings.acquire_timeout)
        .idle_timeout(settings.idle_timeout)
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {}", redact_url(url)))?;
    schema::refuse_newer(&pool, Backend::Postgres).await?;
    // Replicas starting together: the migrator takes an advisory lock, so one migrates.
    postgres::migrator()
        .run(&pool)
        .await
        .with_context(|| format!("cannot migrate PostgreSQL database {}", redact_url(url)))?;
    tree::build_behind(&pool, Backend::Postgres)
        .await
        .with_context(|| format!("cannot build the audit trees of {}", redact_url(url)))?;
    let access = pool_options()
        .max_connections(access_connections)
        .acquire_timeout(settings.acquire_timeout)
        .idle_timeout(settings.idle_timeout)
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {}", redact_url(url)))?;
    let events = Arc::new(RequestEvents::default());
    RequestEvents::listen_postgres(events.clone(), url.to_owned());
    Ok(Store {
        read: pool.clone(),
        write: pool,
        engine: Engine::Postgres,
        events,
        access_queues: Default::default(),
        access,
        access_waiters: Default::default(),
        audit_events: Arc::default(),
    })
}

/// Applies the migrations the database `url` names lacks; returns them.
pub async fn migrate(url: &str) -> anyhow::Result<Vec<SchemaMigration>> {
    let pending = schema::status(url).await?.pending;
    if !pending.is_empty() {
        let store = migrated(url, &PoolSettings::default()).await?;
        store.close().await;
    }
    Ok(pending)
}

/// The store `url` names as it is, not migrated (refused when a newer binary migrated it),
/// for maintenance beside or instead of a server: chains verified and appended to.
pub async fn unmigrated(url: &str) -> anyhow::Result<Store> {
    let (pool, backend) = schema::connect(url).await?;
    if let Err(error) = schema::refuse_newer(&pool, backend).await {
        pool.close().await;
        return Err(error);
    }
    Ok(Store {
        read: pool.clone(),
        access: pool.clone(),
        write: pool,
        engine: Engine::bare(backend),
        events: Arc::default(),
        access_queues: Default::default(),
        access_waiters: Default::default(),
        audit_events: Arc::default(),
    })
}
