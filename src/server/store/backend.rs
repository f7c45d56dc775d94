//! What differs between the SQL databases the store runs on, and the pool options they share.

use sqlx::Connection;
use sqlx::any::AnyPoolOptions;

/// What differs between the databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
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
