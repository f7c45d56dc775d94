//! The SQL that differs between the databases, as one struct each engine file fills in: a leaf
//! module, so that `sqlite.rs` and `postgres.rs` define theirs without importing the engine.

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
