//! Everything that differs between the databases the store runs on, SQLite and PostgreSQL:
//! connection setup and migrations (`sqlite`, `postgres`), opening a store on them (`open`),
//! the SQLite writer (`sqlite_access`, rusqlite on a blocking thread: authorize's hot write
//! path, where sqlx's async SQLite driver cost each batch a thread hop per statement),
//! statement scripts (`script`), and the SQL fragments that differ ([`Dialect`], one per
//! database in its engine file). The store's entity files are written once; they ask
//! [`Backend::sql`] for a difference instead of branching on the database.

mod dialect;
pub mod open;
pub mod postgres;
pub mod schema;
pub(in crate::server::store) mod script;
pub mod sqlite;
pub(in crate::server::store) mod sqlite_access;
pub mod sqlite_backup;

use std::sync::Arc;

use sqlx::Connection;
use sqlx::any::AnyPoolOptions;

use self::sqlite::SqliteAccess;
use crate::server::store::cache::AuthCache;

pub use dialect::Dialect;

/// What differs between the databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The SQL that differs on this database.
    pub fn sql(self) -> &'static Dialect {
        match self {
            Backend::Sqlite => &sqlite::DIALECT,
            Backend::Postgres => &postgres::DIALECT,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// `count` bind parameters numbered from `first`, comma-separated, for statements built
    /// at run time. SQLite gets anonymous `?`: sqlx looks up every numbered parameter by name,
    /// which SQLite answers by walking a list, so thousands of `$n` cost quadratic time. A
    /// statement using these must use them for all its parameters, in order.
    pub fn params(self, first: usize, count: usize) -> String {
        match self {
            Backend::Sqlite => vec!["?"; count].join(", "),
            Backend::Postgres => (first..first + count)
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// The database a store runs on, with what only that database's store holds: the one field
/// of the store that differs by database, which the rest of the store asks through these
/// methods instead of matching on it.
#[derive(Clone)]
pub enum Engine {
    Sqlite {
        /// The access writers' own connection (see `sqlite_access`); none on a store opened
        /// unmigrated for maintenance, which decides no access.
        access: Option<Arc<SqliteAccess>>,
        /// Token lookups kept in memory, only for a file this process serves alone (see
        /// [`AuthCache`]); none on a file opened beside a server (`server init`, a restore).
        cache: Option<Arc<AuthCache>>,
    },
    /// Shared by replicas, which cannot see each other's cache bumps: no cache.
    Postgres,
}

impl Engine {
    /// SQLite without its access connection nor a cache, or PostgreSQL.
    pub fn bare(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Engine::Sqlite {
                access: None,
                cache: None,
            },
            Backend::Postgres => Engine::Postgres,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Engine::Sqlite { .. } => Backend::Sqlite,
            Engine::Postgres => Backend::Postgres,
        }
    }

    /// The token cache, on a SQLite file this process serves alone.
    pub fn cache(&self) -> Option<&Arc<AuthCache>> {
        match self {
            Engine::Sqlite { cache, .. } => cache.as_ref(),
            Engine::Postgres => None,
        }
    }

    /// SQLite's access writers' own connection, where the store has one.
    pub fn sqlite_access(&self) -> Option<&Arc<SqliteAccess>> {
        match self {
            Engine::Sqlite { access, .. } => access.as_ref(),
            Engine::Postgres => None,
        }
    }

    /// Turns on the token cache: only for a SQLite file this process serves alone (the lock
    /// says so); PostgreSQL is left as it is.
    pub fn with_cache(self, _lock: &sqlite::ExclusiveServe) -> Self {
        match self {
            Engine::Sqlite { access, .. } => Engine::Sqlite {
                access,
                cache: Some(Arc::new(AuthCache::default())),
            },
            Engine::Postgres => Engine::Postgres,
        }
    }
}

/// Pool options for both databases. sqlx pings every connection it hands out by default: on
/// PostgreSQL a round trip per query (as many round trips as the query itself), on SQLite a
/// hop to the connection's thread. A connection idle for a moment can be trusted as well as
/// one that answered a ping just before the query (either can fail during the query), so only
/// one idle longer than [`PING_AFTER_IDLE`] is pinged (a dead one is then replaced).
pub fn pool_options() -> AnyPoolOptions {
    AnyPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// See [`pool_options`].
const PING_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// A database URL fit for logs and errors: without its password, in the user info (up to the
/// last `@`, which an unescaped one in a password cannot cut short) or in a query parameter
/// (`?password=`, `sslpassword=`).
pub fn redact_url(url: &str) -> String {
    let redacted = match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:***@{host}")
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    let Some((base, query)) = redacted.split_once('?') else {
        return redacted;
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                format!("{name}=***")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}
