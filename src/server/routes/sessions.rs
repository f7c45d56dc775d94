//! Sessions: support engineers open short-lived, scoped sessions from grants; the org's admins
//! and the engineer who owns a session can see and close it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::api::{
    CloseSession, OpenSession, Page, Problem, Role, Session, SessionListQuery, SessionWithToken,
};
use crate::server::auth::{Caller, SessionBearer};
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiJson, ApiPath, ApiQuery, OptionalJson};
use crate::server::pagination::page_request;
use crate::server::routes::policy::session_policy;
use crate::server::state::AppState;
use crate::server::store::{NewSession, Principal, SessionScope};
use crate::server::tokens::new_session_token;
use crate::server::validate;

/// Open a session in the org. Without `grant_id` the server picks the narrowest usable grant
/// that covers the requested level and areas.
#[utoipa::path(post, path = "/v1/orgs/{org}/sessions", tag = "sessions", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    request_body = OpenSession,
    responses(
        (status = 201, description = "Opened, with the session's token", body = SessionWithToken),
        (status = 409, description = "The grant is no longer active", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No grant covers the request, ttl beyond the maximum, or a level or area the org's policy no longer allows", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed authentication attempts from the client's address, or too many session opens by this account (`--account-sessions-per-minute`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until a retry may succeed"))),
    ))]
pub async fn open_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<OpenSession>,
) -> ApiResult<(StatusCode, Json<SessionWithToken>)> {
    let engineer = caller.require(&[Role::Support])?;
    state.account_limits.sessions.check(engineer)?;
    let reason = validate::required_text("reason", &body.reason)?;
    let areas = match body.areas.as_deref() {
        None => None,
        areas => Some(validate::areas(areas)?),
    };
    // An org that does not exist answers like one without a usable grant (the store says so).
    let policy = session_policy(&state, &org).await?;
    if let Some(ttl) = body.ttl_seconds {
        validate::duration("ttl_seconds", ttl, policy.max_session_ttl)?;
    }
    let ttl = policy
        .session_ttl(body.ttl_seconds)
        .map_err(ApiError::policy)?;
    let token = new_session_token();
    let session = state
        .store
        .open_session(
            engineer,
            &org,
            &NewSession {
                grant_id: body.grant_id,
                level: body.level,
                areas,
                ttl_seconds: ttl,
                reason,
                token_hash: token.hash,
                max_active: state.policy.max_sessions_per_engineer,
                policy_version: policy.version,
                limits: policy.scope_limits(),
            },
            state.now(),
        )
        .await?;
    tracing::info!(session = %session.id, org = %org, grant = %session.grant_id, by = %engineer.email, "session opened");
    Ok((
        StatusCode::CREATED,
        Json(SessionWithToken {
            session,
            token: token.token,
        }),
    ))
}

/// The org's sessions, newest first.
#[utoipa::path(get, path = "/v1/orgs/{org}/sessions", tag = "sessions", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), SessionListQuery),
    responses((status = 200, description = "A page of sessions", body = Page<Session>)))]
pub async fn list_org_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<SessionListQuery>,
) -> ApiResult<Json<Page<Session>>> {
    caller.require_admin_of(&org)?;
    list(&state, SessionScope::Org(&org), query).await
}

/// A support engineer's own sessions, or an admin's org's sessions, newest first.
#[utoipa::path(get, path = "/v1/sessions", tag = "sessions", security(("bearer" = [])),
    params(SessionListQuery),
    responses((status = 200, description = "A page of sessions", body = Page<Session>)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SessionListQuery>,
) -> ApiResult<Json<Page<Session>>> {
    let principal = caller.require(&[Role::Support, Role::Admin])?;
    let scope = match &principal.org {
        Some(org) if principal.role == Role::Admin => SessionScope::Org(org),
        _ => SessionScope::Engineer(principal),
    };
    list(&state, scope, query).await
}

async fn list(
    state: &AppState,
    scope: SessionScope<'_>,
    query: SessionListQuery,
) -> ApiResult<Json<Page<Session>>> {
    let page = page_request(query.limit, query.cursor.as_deref(), query.count)?;
    let sessions = state
        .store
        .list_sessions(scope, query.status.unwrap_or_default(), page, state.now())
        .await?;
    Ok(Json(sessions))
}

/// One session.
#[utoipa::path(get, path = "/v1/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, description = "The session", body = Session)))]
pub async fn get_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Session>> {
    let principal = caller.require(&[Role::Support, Role::Admin])?;
    Ok(Json(visible_session(&state, principal, &id).await?))
}

/// Close a session. Closing one that already ended changes nothing.
#[utoipa::path(post, path = "/v1/sessions/{id}/close", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    request_body(content = Option<CloseSession>, description = "Optional reason"),
    responses((status = 200, description = "The session, closed (or as it was)", body = Session)))]
pub async fn close_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJson(body): OptionalJson<CloseSession>,
) -> ApiResult<Json<Session>> {
    let principal = caller.require(&[Role::Support, Role::Admin])?;
    let reason = match body {
        Some(body) => validate::optional_text("reason", body.reason.as_deref())?,
        None => None,
    };
    visible_session(&state, principal, &id).await?;
    let session = state
        .store
        .close_session(principal, &id, reason.as_deref(), state.now())
        .await?;
    tracing::info!(session = %session.id, by = %principal.email, "session closed");
    Ok(Json(session))
}

/// The session of the bearer session token; 401 once it is no longer active.
#[utoipa::path(get, path = "/v1/session", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, description = "The active session of this token", body = Session)))]
pub async fn current_session(
    State(state): State<AppState>,
    SessionBearer(auth): SessionBearer,
) -> ApiResult<Json<Session>> {
    let now = state.now();
    if let Some(reason) = auth.inactive_reason(now) {
        return Err(ApiError::unauthenticated(format!(
            "session is no longer active: {reason}"
        )));
    }
    Ok(Json(auth.to_api(now)))
}

/// The session if the caller may see it: an admin of its org or the engineer who opened it.
async fn visible_session(state: &AppState, principal: &Principal, id: &str) -> ApiResult<Session> {
    let session = state.store.get_session(id, state.now()).await?;
    match session {
        Some(session)
            if (principal.role == Role::Admin
                && principal.org.as_deref() == Some(session.org.as_str()))
                || (principal.role == Role::Support && principal.email == session.engineer) =>
        {
            Ok(session)
        }
        _ => Err(ApiError::not_found(format!("no session '{id}'"))),
    }
}
