//! Access requests: support engineers ask for access to an org, its admins approve or deny,
//! and an approval becomes a grant for the engineer who asked. A read can wait (long poll)
//! for the decision.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use tokio::sync::broadcast::error::RecvError;

use crate::api::{
    AccessRequest, ApproveRequest, ConfirmRequest, CreateRequest, DenyRequest, DryRunQuery, Page,
    Problem, RequestListQuery, RequestStatus, RequestWaitQuery, Role,
};
use crate::server::auth::Caller;
use crate::server::domain::requests::Narrowing;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::write_mode;
use crate::server::extract::{ApiJson, ApiPath, ApiQuery, OptionalJson};
use crate::server::pagination::page_request;
use crate::server::routes::policy::{effective_policy, request_policy};
use crate::server::state::AppState;
use crate::server::store::notify::EVERYONE;
use crate::server::store::{ApprovalAsk, NewRequest, RequestRecord, RequestScope, WriteMode};
use crate::server::validate;

/// The longest `wait_seconds` a read may ask for.
const MAX_WAIT_SECONDS: i64 = 60;

/// Ask the org's admins for access.
#[utoipa::path(post, path = "/v1/orgs/{org}/requests", tag = "requests", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    request_body = CreateRequest,
    responses(
        (status = 201, description = "Filed; pending until the org's admins decide (a break-glass request: until an operator confirms it)", body = AccessRequest),
        (status = 404, description = "No such org, or it is disabled or takes no requests (one answer for all three)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A pending request asks the same, or 5 are pending", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the org's policy (told only when the org takes requests)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed authentication attempts from the client's address, or too many access requests by this account (`--account-requests-per-minute`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until a retry may succeed"))),
    ))]
pub async fn create_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<CreateRequest>,
) -> ApiResult<(StatusCode, Json<AccessRequest>)> {
    let engineer = caller.require(&[Role::Support])?;
    state.account_limits.requests.check(engineer)?;
    let now = state.now();
    let reason = validate::required_text("reason", &body.reason)?;
    let ticket = validate::optional_text("ticket", body.ticket.as_deref())?;
    let asked_areas = match body.areas.as_deref() {
        None => None,
        areas => Some(validate::areas(areas)?),
    };
    let policy = request_policy(&state, &org).await?;
    let areas = asked_areas.unwrap_or_else(|| policy.allowed_areas.clone());
    policy
        .check_scope(body.level, &areas, ticket.as_deref())
        .map_err(ApiError::policy)?;
    if let Some(seconds) = body.duration_seconds {
        validate::duration("duration_seconds", seconds, policy.max_grant)?;
    }
    let duration_seconds = if body.break_glass {
        // A break-glass grant lasts what was asked, else the longest the policy allows it.
        let seconds = body
            .duration_seconds
            .unwrap_or(policy.break_glass.max_duration_seconds);
        policy
            .check_break_glass(body.level, seconds)
            .map_err(ApiError::policy)?;
        seconds
    } else {
        policy
            .grant_seconds("duration_seconds", body.duration_seconds)
            .map_err(ApiError::policy)?
    };
    let expires_at = Timestamp::from_second(now.as_second() + policy.request_ttl)
        .map_err(|_| ApiError::unprocessable("expiry out of range"))?;
    let request = state
        .store
        .requests()
        .create(
            engineer,
            &org,
            &NewRequest {
                level: body.level,
                approvals_required: policy.approvals_required.for_level(body.level),
                areas,
                duration_seconds,
                reason,
                ticket,
                expires_at,
                policy_version: policy.version,
                break_glass: body.break_glass,
            },
            now,
        )
        .await?;
    tracing::info!(request = %request.id, org = %org, level = %request.level, break_glass = request.break_glass, by = %engineer.email, "request created");
    Ok((StatusCode::CREATED, Json(request)))
}

/// The org's requests, newest first (default: the pending ones).
#[utoipa::path(get, path = "/v1/orgs/{org}/requests", tag = "requests", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), RequestListQuery),
    responses((status = 200, description = "A page of requests", body = Page<AccessRequest>)))]
pub async fn list_org_requests(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<RequestListQuery>,
) -> ApiResult<Json<Page<AccessRequest>>> {
    caller.require_admin_of(&org)?;
    let page = page_request(query.limit, query.cursor.as_deref(), query.count)?;
    Ok(Json(
        state
            .store
            .requests()
            .list(
                RequestScope::Org(&org),
                query.status.unwrap_or_default(),
                page,
                state.now(),
            )
            .await?,
    ))
}

/// The caller's own requests, across orgs, newest first (default: the pending ones).
#[utoipa::path(get, path = "/v1/requests", tag = "requests", security(("bearer" = [])),
    params(RequestListQuery),
    responses((status = 200, description = "A page of requests", body = Page<AccessRequest>)))]
pub async fn list_own_requests(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<RequestListQuery>,
) -> ApiResult<Json<Page<AccessRequest>>> {
    let engineer = caller.require(&[Role::Support])?;
    let page = page_request(query.limit, query.cursor.as_deref(), query.count)?;
    Ok(Json(
        state
            .store
            .requests()
            .list(
                RequestScope::Requester(engineer),
                query.status.unwrap_or_default(),
                page,
                state.now(),
            )
            .await?,
    ))
}

/// One request of the org; with `wait_seconds`, answers once it is decided (or the wait ends).
#[utoipa::path(get, path = "/v1/orgs/{org}/requests/{id}", tag = "requests", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Request id"), RequestWaitQuery),
    responses((status = 200, description = "The request", body = AccessRequest)))]
pub async fn get_org_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<RequestWaitQuery>,
) -> ApiResult<Json<AccessRequest>> {
    caller.require_admin_of(&org)?;
    let wait = wait_seconds(query.wait_seconds)?;
    let visible = |record: &RequestRecord| record.request.org == org;
    let not_found = || no_request_in(&org, &id);
    Ok(Json(
        wait_for_decision(&state, &id, wait, visible, not_found).await?,
    ))
}

/// One of the caller's own requests; with `wait_seconds`, answers once it is decided (or the
/// wait ends). Another engineer's request is not found, exactly like a missing one.
#[utoipa::path(get, path = "/v1/requests/{id}", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id"), RequestWaitQuery),
    responses((status = 200, description = "The request", body = AccessRequest)))]
pub async fn get_own_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<RequestWaitQuery>,
) -> ApiResult<Json<AccessRequest>> {
    let engineer = caller.require(&[Role::Support])?;
    let wait = wait_seconds(query.wait_seconds)?;
    let visible = |record: &RequestRecord| record.requester_pk == engineer.pk;
    let not_found = || no_request(&id);
    Ok(Json(
        wait_for_decision(&state, &id, wait, visible, not_found).await?,
    ))
}

/// Approve (possibly narrowing) a pending request. The last approval needed creates the grant.
#[utoipa::path(post, path = "/v1/orgs/{org}/requests/{id}/approve", tag = "requests", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Request id"), DryRunQuery),
    request_body(content = Option<ApproveRequest>, description = "Optional comment and narrowing"),
    responses(
        (status = 200, description = "The request: approved with its grant, or still pending for more approvals (with `dry_run=true`: as it would be; the grant id names no grant)", body = AccessRequest),
        (status = 403, description = "The org's policy (`approval_max_auth_age_seconds`) asks for a more recent sign-in at the identity provider than the caller's (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending, approved by you already, or the policy changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Widens the request, or refused by the org's policy", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn approve_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<DryRunQuery>,
    OptionalJson(body): OptionalJson<ApproveRequest>,
) -> ApiResult<Json<AccessRequest>> {
    let mode = write_mode(query);
    let admin = caller.require_admin_of(&org)?;
    let body = body.unwrap_or_default();
    let comment = validate::optional_text("comment", body.comment.as_deref())?;
    let areas = match body.areas.as_deref() {
        None => None,
        areas => Some(validate::areas(areas)?),
    };
    if let Some(seconds) = body.duration_seconds
        && seconds <= 0
    {
        return Err(ApiError::invalid(format!(
            "duration_seconds must be a positive number of seconds, got {seconds}"
        )));
    }
    let policy = effective_policy(&state, &org).await?;
    // The store refuses the approval if the policy changes before it commits (its version).
    caller.require_recent_sign_in(&policy, state.now())?;
    let request = state
        .store
        .requests()
        .approve(
            admin,
            &org,
            &id,
            &ApprovalAsk {
                narrowing: Narrowing {
                    level: body.level,
                    areas,
                    duration_seconds: body.duration_seconds,
                },
                comment,
                policy,
            },
            state.now(),
            mode,
        )
        .await?;
    if mode == WriteMode::Commit {
        tracing::info!(request = %id, org = %org, status = %request.status, by = %admin.email, "request approval");
    }
    Ok(Json(request))
}

/// Deny a pending request (a comment is required: the engineer reads it).
#[utoipa::path(post, path = "/v1/orgs/{org}/requests/{id}/deny", tag = "requests", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Request id"), DryRunQuery),
    request_body = DenyRequest,
    responses(
        (status = 200, description = "The request, denied (with `dry_run=true`: as it would be)", body = AccessRequest),
        (status = 409, description = "The request is no longer pending", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn deny_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<DryRunQuery>,
    ApiJson(body): ApiJson<DenyRequest>,
) -> ApiResult<Json<AccessRequest>> {
    let mode = write_mode(query);
    let admin = caller.require_admin_of(&org)?;
    let comment = validate::required_text("comment", &body.comment)?;
    let request = state
        .store
        .requests()
        .deny(admin, &org, &id, &comment, state.now(), mode)
        .await?;
    if mode == WriteMode::Commit {
        tracing::info!(request = %id, org = %org, by = %admin.email, "request denied");
    }
    Ok(Json(request))
}

/// Confirm a pending break-glass request (an operator, never its requester): its grant starts
/// at once, flagged break-glass and unacknowledged, and every webhook of the org receives
/// `grant.break_glass`.
#[utoipa::path(post, path = "/v1/orgs/{org}/requests/{id}/confirm", tag = "requests", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Request id")),
    request_body(content = Option<ConfirmRequest>, description = "Optional comment"),
    responses(
        (status = 200, description = "The request, approved, with the id of its break-glass grant", body = AccessRequest),
        (status = 404, description = "No such org or request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a break-glass request, no longer pending (confirmed, cancelled, expired), or the org's policy changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the org's policy now (break-glass no longer allowed, or beyond its limits)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    OptionalJson(body): OptionalJson<ConfirmRequest>,
) -> ApiResult<Json<AccessRequest>> {
    let operator = caller.require(&[Role::Operator])?;
    let body = body.unwrap_or_default();
    let comment = validate::optional_text("comment", body.comment.as_deref())?;
    let policy = effective_policy(&state, &org).await?;
    let request = state
        .store
        .break_glass()
        .confirm_request(
            operator,
            &org,
            &id,
            comment.as_deref(),
            &policy,
            state.now(),
        )
        .await?;
    tracing::warn!(request = %id, org = %org, grant = request.grant_id.as_deref().unwrap_or_default(), by = %operator.email, "break-glass request confirmed");
    Ok(Json(request))
}

/// Cancel one of the caller's own pending requests.
#[utoipa::path(post, path = "/v1/requests/{id}/cancel", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    responses(
        (status = 200, description = "The request, cancelled", body = AccessRequest),
        (status = 409, description = "The request is no longer pending", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AccessRequest>> {
    let engineer = caller.require(&[Role::Support])?;
    let request = state
        .store
        .requests()
        .cancel(engineer, &id, state.now())
        .await?;
    tracing::info!(request = %id, by = %engineer.email, "request cancelled");
    Ok(Json(request))
}

fn no_request(id: &str) -> ApiError {
    ApiError::not_found(format!("no request '{id}'"))
}

fn no_request_in(org: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("no request '{id}' in org '{org}'"))
}

fn wait_seconds(asked: Option<i64>) -> ApiResult<i64> {
    match asked {
        None => Ok(0),
        Some(seconds) if (0..=MAX_WAIT_SECONDS).contains(&seconds) => Ok(seconds),
        Some(seconds) => Err(ApiError::invalid(format!(
            "wait_seconds must be between 0 and {MAX_WAIT_SECONDS}, got {seconds}"
        ))),
    }
}

/// Reads request `id` until it is no longer pending or `wait` seconds (at most the server's
/// long-poll limit) have passed. Woken by decisions announced on any replica, and at the
/// request's own expiry (a status derived from time changes without anyone announcing it).
async fn wait_for_decision(
    state: &AppState,
    id: &str,
    wait: i64,
    visible: impl Fn(&RequestRecord) -> bool,
    not_found: impl Fn() -> ApiError,
) -> ApiResult<AccessRequest> {
    // Subscribed before the first read, so a decision committed after it cannot be missed.
    let mut events = state.store.request_events().subscribe();
    let limit = Duration::from_secs(wait.unsigned_abs()).min(state.max_wait);
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let now = state.now();
        let request = state
            .store
            .requests()
            .get(id, now)
            .await?
            .filter(&visible)
            .ok_or_else(&not_found)?
            .request;
        if request.status != RequestStatus::Pending || tokio::time::Instant::now() >= deadline {
            return Ok(request);
        }
        let until_expiry =
            Duration::from_secs((request.expires_at.as_second() - now.as_second()).unsigned_abs());
        let wake = deadline.min(tokio::time::Instant::now() + until_expiry);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) if &*event == id || &*event == EVERYONE => break,
                    Ok(_) => continue,
                    // Fell behind: re-read.
                    Err(RecvError::Lagged(_)) => break,
                    // No publisher left (shutting down): wait out the time, then answer.
                    Err(RecvError::Closed) => {
                        tokio::time::sleep_until(wake).await;
                        break;
                    }
                },
                _ = tokio::time::sleep_until(wake) => break,
            }
        }
    }
}
