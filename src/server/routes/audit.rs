//! The org's audit log, in `seq` order, for its admins.

use axum::Json;
use axum::extract::State;

use crate::api::{AuditEvent, AuditQuery, Page};
use crate::server::auth::Caller;
use crate::server::error::ApiResult;
use crate::server::extract::{ApiPath, ApiQuery};
use crate::server::pagination::{decode_cursor, limit};
use crate::server::state::AppState;
use crate::server::store::AuditFilter;

/// The org's audit events in `seq` order. Each event's `hash` can be recomputed from this
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

/// What an audit query asks the store for, of an org's chain or the vendor's: events after
/// the later of `after_seq` and the cursor.
pub(super) fn audit_filter(query: AuditQuery) -> ApiResult<AuditFilter> {
    let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let after_seq = match (query.after_seq, cursor) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    Ok(AuditFilter {
        after_seq,
        since: query.since,
        until: query.until,
        action: query.action,
        limit: limit(query.limit)?,
    })
}
