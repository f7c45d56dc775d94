//! From result rows to values: the decoding of the columns `columns` reads each entity with.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;
use sqlx::{Any, ColumnIndex, Decode, Type};

use super::super::chain::ChainHead;
use crate::api::{
    Account, Area, AuditEvent, EnabledStatus, Grant, GrantReview, Level, Org, ReviewOutcome, Role,
};
use crate::server::domain::grant_status;
use crate::server::store::engine::Backend;
use crate::server::store::engine::sqlite::{SqliteAt, SqliteCell};
use crate::server::store::values::{
    AccountAuth, Principal, SessionAuth, SessionRecord, StoreError, StoreResult,
};

/// A result row of either driver: sqlx's, or the one SQLite's access writer reads with (see
/// `engine::sqlite_access`, which implements this for its rows), so that both decode a row
/// one way.
pub(in crate::server::store) trait Cells {
    fn cell<T: Cell>(&self, at: impl At) -> StoreResult<T>;
}

/// A value both drivers decode.
pub(in crate::server::store) trait Cell:
    for<'r> Decode<'r, Any> + Type<Any> + SqliteCell
{
}

impl<T: for<'r> Decode<'r, Any> + Type<Any> + SqliteCell> Cell for T {}

/// A column's name or position, for both drivers.
pub(in crate::server::store) trait At:
    ColumnIndex<AnyRow> + SqliteAt
{
}

impl At for usize {}
impl At for &str {}

impl Cells for AnyRow {
    fn cell<T: Cell>(&self, at: impl At) -> StoreResult<T> {
        Ok(self.try_get(at)?)
    }
}

/// An org with its pk and its chain head, as read (and locked) by a write.
pub(in crate::server::store) struct OrgRow {
    pub pk: i64,
    pub org: Org,
    pub head: ChainHead,
}

pub(in crate::server::store) struct GrantRow {
    pub pk: i64,
    pub grant: Grant,
}

impl std::borrow::Borrow<Grant> for GrantRow {
    fn borrow(&self) -> &Grant {
        &self.grant
    }
}

pub(in crate::server::store) struct SessionRow {
    pub pk: i64,
    pub auth: SessionAuth,
}

/// Disabled once `disabled_at` is set.
fn enabled_status(disabled_at: Option<Timestamp>) -> EnabledStatus {
    if disabled_at.is_some() {
        EnabledStatus::Disabled
    } else {
        EnabledStatus::Enabled
    }
}

pub(in crate::server::store) fn ts(seconds: i64) -> StoreResult<Timestamp> {
    Timestamp::from_second(seconds)
        .map_err(|e| StoreError::Database(format!("bad time {seconds}: {e}")))
}

pub(in crate::server::store) fn opt_ts(seconds: Option<i64>) -> StoreResult<Option<Timestamp>> {
    seconds.map(ts).transpose()
}

pub(in crate::server::store) fn areas_text(areas: &[Area]) -> String {
    crate::api::join_areas(areas)
}

pub(in crate::server::store) fn parse_areas(text: &str) -> StoreResult<Vec<Area>> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().map_err(StoreError::Database))
        .collect()
}

pub(in crate::server::store) fn parse_wire<T: std::str::FromStr<Err = String>>(
    text: &str,
) -> StoreResult<T> {
    text.parse().map_err(StoreError::Database)
}

pub(in crate::server::store) fn org_row(row: &impl Cells, backend: Backend) -> StoreResult<OrgRow> {
    let pk: i64 = row.cell("pk")?;
    let slug: String = row.cell("slug")?;
    let disabled_at = opt_ts(row.cell("disabled_at")?)?;
    Ok(OrgRow {
        pk,
        head: ChainHead::new(
            backend,
            pk,
            slug.clone(),
            (row.cell("audit_seq")?, row.cell("audit_hash")?),
            opt_ts(row.cell("audit_at")?)?,
            (row.cell("audit_tree_size")?, row.cell("audit_tree")?),
        ),
        org: Org {
            slug,
            name: row.cell("name")?,
            status: enabled_status(disabled_at),
            created_at: ts(row.cell("created_at")?)?,
            disabled_at,
        },
    })
}

pub(in crate::server::store) fn account_from_row(row: &AnyRow) -> StoreResult<Account> {
    let disabled_at = opt_ts(row.try_get("disabled_at")?)?;
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        role: parse_wire::<Role>(&row.try_get::<String, _>("role")?)?,
        org: row.try_get("org")?,
        status: enabled_status(disabled_at),
        created_at: ts(row.try_get("created_at")?)?,
        disabled_at,
        token_expires_at: opt_ts(row.try_get("token_expires_at")?)?,
        token_connector: row.try_get("token_connector")?,
    })
}

pub(in crate::server::store) fn grant_row(row: &AnyRow, now: Timestamp) -> StoreResult<GrantRow> {
    let expires_at = ts(row.try_get("expires_at")?)?;
    let revoked_at = opt_ts(row.try_get("revoked_at")?)?;
    let engineers: String = row.try_get("engineers")?;
    let break_glass = row.try_get::<i64, _>("break_glass")? == 1;
    let review = match row.try_get::<Option<String>, _>("review")? {
        None => None,
        Some(outcome) => Some(GrantReview {
            outcome: parse_wire::<ReviewOutcome>(&outcome)?,
            by: row
                .try_get::<Option<String>, _>("reviewed_by")?
                .unwrap_or_default(),
            at: ts(row
                .try_get::<Option<i64>, _>("reviewed_at")?
                .unwrap_or_default())?,
            reason: row.try_get("review_reason")?,
        }),
    };
    Ok(GrantRow {
        pk: row.try_get("pk")?,
        grant: Grant {
            id: row.try_get("id")?,
            org: row.try_get("org")?,
            level: parse_wire::<Level>(&row.try_get::<String, _>("level")?)?,
            areas: parse_areas(&row.try_get::<String, _>("areas")?)?,
            engineers: serde_json::from_str(&engineers)
                .map_err(|e| StoreError::Database(format!("bad engineers list: {e}")))?,
            reason: row.try_get("reason")?,
            ticket: row.try_get("ticket")?,
            created_by: row.try_get("created_by")?,
            created_at: ts(row.try_get("created_at")?)?,
            expires_at,
            revoked_at,
            revoked_by: row.try_get("revoked_by")?,
            revoke_reason: row.try_get("revoke_reason")?,
            request_id: row.try_get("request_id")?,
            approval_rule: row.try_get("approval_rule")?,
            status: grant_status(expires_at, revoked_at, now),
            break_glass,
            acknowledged: break_glass.then_some(review.is_some()),
            review,
        },
    })
}

pub(in crate::server::store) fn session_row(row: &impl Cells) -> StoreResult<SessionRow> {
    Ok(SessionRow {
        pk: row.cell("pk")?,
        auth: session_auth(row)?,
    })
}

pub(in crate::server::store) fn session_auth(row: &impl Cells) -> StoreResult<SessionAuth> {
    session_auth_at(row, 0)
}

/// The session of a row whose columns from `base` on are those of [`SESSION_SELECT`], in its
/// order: by position, so that one row can carry an account and a session (see `lookup`).
pub(in crate::server::store) fn session_auth_at(
    row: &impl Cells,
    base: usize,
) -> StoreResult<SessionAuth> {
    let at = |offset: usize| base + offset;
    Ok(SessionAuth {
        session: SessionRecord {
            id: row.cell(at(1))?,
            org: row.cell(at(3))?,
            grant_id: row.cell(at(4))?,
            engineer: row.cell(at(5))?,
            level: parse_wire::<Level>(&row.cell::<String>(at(6))?)?,
            areas: parse_areas(&row.cell::<String>(at(7))?)?,
            reason: row.cell(at(8))?,
            opened_at: ts(row.cell(at(9))?)?,
            expires_at: ts(row.cell(at(10))?)?,
            closed_at: opt_ts(row.cell(at(11))?)?,
            close_reason: row.cell(at(12))?,
        },
        org_pk: row.cell(at(2))?,
        engineer_pk: row.cell(at(15))?,
        engineer_id: row.cell(at(16))?,
        grant_expires_at: ts(row.cell(at(14))?)?,
        grant_revoked_at: opt_ts(row.cell(at(13))?)?,
        engineer_disabled: row.cell::<Option<i64>>(at(17))?.is_some(),
        org_disabled: row.cell::<Option<i64>>(at(18))?.is_some(),
    })
}

/// The account of a row whose columns from `base` on are those of [`ACCOUNT_SELECT`], in its
/// order, with what decides whether it may act.
pub(in crate::server::store) fn account_auth_at(
    row: &AnyRow,
    base: usize,
) -> StoreResult<AccountAuth> {
    let at = |offset: usize| base + offset;
    Ok(AccountAuth {
        principal: Principal {
            pk: row.try_get(at(0))?,
            id: row.try_get(at(1))?,
            email: row.try_get(at(2))?,
            role: parse_wire::<Role>(&row.try_get::<String, _>(at(3))?)?,
            org: row.try_get(at(5))?,
        },
        disabled: row.try_get::<Option<i64>, _>(at(7))?.is_some(),
        org_disabled: row.try_get::<Option<i64>, _>(at(8))?.is_some(),
        token_expires_at: opt_ts(row.try_get(at(9))?)?,
        token_connector: row.try_get(at(10))?,
        token_auth_at: opt_ts(row.try_get(at(11))?)?,
    })
}

pub(in crate::server::store) fn audit_from_row(row: &AnyRow, org: &str) -> StoreResult<AuditEvent> {
    let details: String = row.try_get("details")?;
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        at: ts(row.try_get("at")?)?,
        org: org.to_owned(),
        actor: crate::api::Actor {
            id: row.try_get("actor_id")?,
            email: row.try_get("actor_email")?,
            role: row.try_get("actor_role")?,
        },
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        details: serde_json::from_str(&details)
            .map_err(|e| StoreError::Database(format!("bad event details: {e}")))?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
