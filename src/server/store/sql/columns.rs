//! The columns each entity is read with, and the statements built from them (the engines'
//! dialects use some): a leaf module, so that an engine can name a statement without
//! importing the store. Decoding the rows is `rows`'s.

/// An org's columns, with the time of its newest event (the chain's `at` never goes back).
macro_rules! org_columns {
    () => {
        "pk, slug, name, created_at, disabled_at, audit_seq, audit_hash, audit_tree_size, audit_tree, \
         (SELECT e.at FROM audit_events e WHERE e.org_pk = orgs.pk AND e.seq = orgs.audit_seq) \
         AS audit_at"
    };
}
pub(in crate::server::store) const ORG_COLUMNS: &str = org_columns!();
pub(in crate::server::store) const LOCK_ORG_BY_SLUG_PG: &str = concat!(
    "SELECT ",
    org_columns!(),
    " FROM orgs WHERE slug = $1 FOR UPDATE"
);
pub(in crate::server::store) const LOCK_ORG_BY_SLUG_SQLITE: &str =
    concat!("SELECT ", org_columns!(), " FROM orgs WHERE slug = $1");
pub(in crate::server::store) const LOCK_ORG_BY_PK_PG: &str = concat!(
    "SELECT ",
    org_columns!(),
    " FROM orgs WHERE pk = $1 FOR UPDATE"
);
pub(in crate::server::store) const LOCK_ORG_BY_PK_SQLITE: &str =
    concat!("SELECT ", org_columns!(), " FROM orgs WHERE pk = $1");

/// [`LOCK_ORG_BY_PK_PG`] with the org's enabled webhooks, `[[pk, events], ...]` as JSON text
/// (`NULL` for none).
pub(in crate::server::store) const LOCK_ORG_WITH_WEBHOOKS_PG: &str = concat!(
    "SELECT ",
    org_columns!(),
    ", (SELECT json_agg(json_build_array(w.pk, w.events))::text FROM webhooks w \
     WHERE w.org_pk = orgs.pk AND w.disabled_at IS NULL) AS webhooks \
     FROM orgs WHERE pk = $1 FOR UPDATE"
);
pub(in crate::server::store) const LOCK_ORG_WITH_WEBHOOKS_SQLITE: &str = concat!(
    "SELECT ",
    org_columns!(),
    ", (SELECT json_group_array(json_array(w.pk, w.events)) FROM webhooks w \
     WHERE w.org_pk = orgs.pk AND w.disabled_at IS NULL) AS webhooks \
     FROM orgs WHERE pk = $1"
);

/// Decoded by position too ([`account_auth_at`]): keep the order.
pub(in crate::server::store) const ACCOUNT_SELECT: &str = "SELECT a.pk, a.id, a.email, a.role, a.org_pk, o.slug AS org, \
     a.created_at, a.disabled_at, o.disabled_at AS org_disabled_at, a.token_expires_at, \
     a.token_connector, a.token_auth_at FROM accounts a LEFT JOIN orgs o ON o.pk = a.org_pk";

macro_rules! grant_columns {
    () => {
        "g.pk, g.id, o.slug AS org, g.level, g.areas, g.engineers, g.reason, g.ticket, \
         g.created_by, g.created_at, g.expires_at, g.revoked_at, g.revoked_by, g.revoke_reason, \
         g.request_id, g.approval_rule, g.break_glass, g.review, g.reviewed_by, g.reviewed_at, g.review_reason"
    };
}
macro_rules! grant_from {
    () => {
        "FROM grants g JOIN orgs o ON o.pk = g.org_pk"
    };
}
pub(in crate::server::store) const GRANT_COLUMNS: &str = grant_columns!();
pub(in crate::server::store) const GRANT_FROM: &str = grant_from!();
pub(in crate::server::store) const GRANT_SELECT: &str =
    concat!("SELECT ", grant_columns!(), " ", grant_from!());

/// Decoded by position ([`session_auth_at`]): keep the order.
pub(in crate::server::store) const SESSION_SELECT: &str = "SELECT s.pk, s.id, s.org_pk, o.slug AS org, g.id AS grant_id, \
     a.email AS engineer, s.level, s.areas, s.reason, s.opened_at, s.expires_at, s.closed_at, \
     s.close_reason, g.revoked_at AS grant_revoked_at, g.expires_at AS grant_expires_at, \
     s.engineer_pk, a.id AS engineer_id, a.disabled_at AS engineer_disabled_at, \
     o.disabled_at AS org_disabled_at FROM sessions s JOIN orgs o ON o.pk = s.org_pk \
     JOIN grants g ON g.pk = s.grant_pk JOIN accounts a ON a.pk = s.engineer_pk";

/// The head, with the time of its newest event (the chain's `at` never goes back).
macro_rules! head_columns {
    () => {
        "SELECT h.audit_seq, h.audit_hash, (SELECT e.at FROM vendor_audit_events e \
         WHERE e.seq = h.audit_seq), h.audit_tree_size, h.audit_tree \
         FROM vendor_audit_head h WHERE h.id = 1"
    };
}
pub(in crate::server::store) const VENDOR_HEAD_PG: &str = concat!(head_columns!(), " FOR UPDATE");
pub(in crate::server::store) const VENDOR_HEAD_SQLITE: &str = head_columns!();
