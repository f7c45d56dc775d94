//! Everything that differs between the databases the store runs on, SQLite and PostgreSQL:
//! connection setup, migrations, the SQLite writer (`sqlite_access`, rusqlite on a blocking
//! thread: authorize's hot write path, where sqlx's async SQLite driver cost each batch a
//! thread hop per statement), statement scripts (`script`), and the SQL fragments that differ
//! ([`Dialect`], one per database in its engine file). The store's entity files are written
//! once; they ask [`Backend::sql`] for a difference instead of branching on the database.

pub mod postgres;
pub mod schema;
pub(in crate::server::store) mod script;
pub mod sqlite;
pub(in crate::server::store) mod sqlite_access;

use sqlx::Connection;
use sqlx::any::AnyPoolOptions;

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

/// The SQL fragments and choices that differ between the databases, each said once in its
/// engine file (`sqlite.rs`, `postgres.rs`).
pub struct Dialect {
    /// How a write transaction begins (SQLite takes the database's write lock at once, so two
    /// writers never deadlock upgrading their locks).
    pub begin_write: &'static str,
    /// Appended to a `SELECT` that must lock what it reads until the commit. Empty on SQLite,
    /// whose writer already holds the whole database.
    pub for_update: &'static str,
    /// [`Dialect::for_update`] for rows only read under the lock (another writer may still
    /// insert rows that reference them).
    pub for_no_key_update: &'static str,
    /// One process alone serves the database (SQLite): its writers queue in-process, nothing
    /// needs telling other processes, and leases left by an earlier process can be released
    /// at start. Replicas (PostgreSQL) tell each other through the database instead.
    pub single_process: bool,
    /// An org's columns by slug / by pk, locked for the transaction.
    pub lock_org_by_slug: &'static str,
    pub lock_org_by_pk: &'static str,
    /// The vendor chain's head, locked.
    pub vendor_head: &'static str,
    /// A policy document's `expiry_warning_seconds` (the document is JSON text in `p.document`).
    pub policy_expiry_warning: &'static str,
    /// A webhook delivery claim's parts: each enabled webhook's oldest due deliveries (`$1`
    /// now, `$4` per webhook), the table of leased rows read by its index, and the lock taken
    /// on the claimed rows.
    pub due_deliveries: &'static str,
    pub leased_deliveries: &'static str,
    pub claim_lock: &'static str,
    /// The names `/metrics` gives the two pools it reports: the one reads use, and the one
    /// authorize's writes use.
    pub pool_names: [&'static str; 2],
    /// Audit events whose Merkle hashes one statement stores when a tree is built.
    pub tree_batch: usize,
    /// `UPDATE` of `count` events' stored Merkle hashes in `table`, for one org's chain when
    /// `org` (see [`Dialect::tree_hashes_org_first`] for where its pk is bound).
    pub tree_hashes_update: fn(table: &str, org: bool, count: usize) -> String,
    /// Whether the org's pk is bound before the `(seq, hashes)` pairs (PostgreSQL's `$1`) or
    /// after them (SQLite's `?` go in order).
    pub tree_hashes_org_first: bool,
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
