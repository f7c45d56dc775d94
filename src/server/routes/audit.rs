//! The org's audit log, in `seq` order, for its admins.

use axum::Json;
use axum::extract::State;

use crate::api::{AuditEvent, AuditOrder, AuditQuery, Page};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiPath, ApiQuery};
use crate::server::pagination::{decode_cursor, limit};
use crate::server::state::AppState;
use crate::server::store::AuditFilter;

/// The org's audit events in `seq` order, oldest first unless `order=desc`. Each event's `hash` can be recomputed from this
/// output alone (RFC 8785 canonical JSON without `hash`, SHA-256).
#[utoipa::path(get, path = "/v1/orgs/{org}/audit", tag = "audit", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), AuditQuery),
    responses((status = 200, description = "A page of events", body = Page<AuditEvent>)))]
pub async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEvent>>> {
    caller.require_admin_of(&org)?;
    let filter = audit_filter(query)?;
    Ok(Json(state.store.list_audit(&org, &filter).await?))
}

/// What an audit query asks the store for, of an org's chain or the vendor's. A cursor is the
/// `seq` its page ended at: oldest first, the next page is after it; newest first, before it.
pub(super) fn audit_filter(query: AuditQuery) -> ApiResult<AuditFilter> {
    if let Some(before_seq) = query.before_seq
        && before_seq < 0
    {
        return Err(ApiError::invalid(format!(
            "before_seq must be 0 or more, got {before_seq}"
        )));
    }
    let descending = query.order == Some(AuditOrder::Desc);
    let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let (after_seq, before_seq) = if descending {
        (
            query.after_seq,
            narrowest(query.before_seq, cursor, i64::min),
        )
    } else {
        (
            narrowest(query.after_seq, cursor, i64::max),
            query.before_seq,
        )
    };
    Ok(AuditFilter {
        after_seq,
        before_seq,
        since: query.since,
        until: query.until,
        action: query.action,
        grant: query.grant,
        session: query.session,
        request: query.request,
        actor: query.actor,
        descending,
        limit: limit(query.limit)?,
    })
}

/// The bound both of two optional bounds allow.
fn narrowest(a: Option<i64>, b: Option<i64>, pick: fn(i64, i64) -> i64) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    }
}
