//! PostgreSQL: several replicas share one database. Writers serialize per org on the org's
//! row (`SELECT ... FOR UPDATE` on its chain head); nothing is cached in-process, so every
//! introspection sees every committed revocation.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::dialect::Dialect;
use crate::server::store::sql::columns::{LOCK_ORG_BY_PK_PG, LOCK_ORG_BY_SLUG_PG, VENDOR_HEAD_PG};

/// PostgreSQL's SQL where it differs (see [`Dialect`]).
pub(super) const DIALECT: Dialect = Dialect {
    begin_write: "BEGIN",
    for_update: " FOR UPDATE",
    for_no_key_update: " FOR NO KEY UPDATE",
    single_process: false,
    lock_org_by_slug: LOCK_ORG_BY_SLUG_PG,
    lock_org_by_pk: LOCK_ORG_BY_PK_PG,
    vendor_head: VENDOR_HEAD_PG,
    policy_expiry_warning: "(p.document::jsonb ->> 'expiry_warning_seconds')::BIGINT",
    due_deliveries: "SELECT d.pk, d.webhook_pk, w.org_pk, d.next_attempt_at FROM webhooks w \
         CROSS JOIN LATERAL (SELECT x.pk, x.webhook_pk, x.next_attempt_at \
         FROM webhook_deliveries x WHERE x.webhook_pk = w.pk AND x.status = 'pending' \
         AND x.next_attempt_at <= $1 AND x.locked_until <= $1 \
         ORDER BY x.next_attempt_at, x.pk LIMIT $4) d WHERE w.disabled_at IS NULL",
    leased_deliveries: "webhook_deliveries l",
    claim_lock: "FOR UPDATE OF c SKIP LOCKED",
    // Requests share the main pool; authorize's writers have a few connections of their own.
    pool_names: ["main", "authorize"],
    // Kept under one TLS record per statement (see `script`).
    tree_batch: 120,
    tree_hashes_update,
    tree_hashes_org_first: true,
};

fn tree_hashes_update(table: &str, org: bool, count: usize) -> String {
    let first = if org { 2 } else { 1 };
    let values = (0..count)
        .map(|i| {
            let n = first + 2 * i;
            format!("(${n}::bigint, ${}::bytea)", n + 1)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let of_org = if org { "e.org_pk = $1 AND " } else { "" };
    format!(
        "UPDATE {table} AS e SET tree_hashes = v.h FROM (VALUES {values}) AS v (seq, h) \
         WHERE {of_org}e.seq = v.seq"
    )
}

/// The schema's migrations, by version: sqlx applies those a database lacks.
pub(super) fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            Cow::Borrowed("init"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0001_init.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("checkpoints"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0002_checkpoints.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            Cow::Borrowed("requests_policy"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0003_requests_policy.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            Cow::Borrowed("webhooks"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0004_webhooks.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            Cow::Borrowed("policy_changes"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0005_policy_changes.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            6,
            Cow::Borrowed("delivery_claims"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0006_delivery_claims.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            7,
            Cow::Borrowed("audit_subjects"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0007_audit_subjects.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            8,
            Cow::Borrowed("approval_rules"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0008_approval_rules.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            9,
            Cow::Borrowed("break_glass"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0009_break_glass.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            10,
            Cow::Borrowed("audit_trees"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0010_audit_trees.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            11,
            Cow::Borrowed("sso"),
            MigrationType::Simple,
            include_str!("migrations/postgres/0011_sso.sql").into_sql_str(),
            false,
        ),
    ])
}

/// How `--db-max-connections` is shared: the access writers' own connections (one per org
/// writing at once; a quarter, at least one, at most eight) and the rest for everything else
/// (at least one).
pub(super) fn split_connections(max_connections: u32) -> (u32, u32) {
    let access = (max_connections / 4).clamp(1, 8);
    (max_connections.saturating_sub(access).max(1), access)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_access_writers_get_a_quarter_of_the_connections_and_the_rest_at_least_one() {
        use super::split_connections;
        assert_eq!(split_connections(16), (12, 4));
        assert_eq!(split_connections(8), (6, 2));
        assert_eq!(split_connections(64), (56, 8));
        assert_eq!(split_connections(2), (1, 1));
        assert_eq!(split_connections(1), (1, 1));
    }
}
