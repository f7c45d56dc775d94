//! Grants: an org's admins create, list, extend and revoke them; support engineers list the
//! ones they may use.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;

use crate::api::{
    BulkRevoke, BulkRevokeResult, CreateGrant, DisputeGrant, DryRunQuery, ExtendGrant, Grant,
    GrantListQuery, GrantStatus, Page, Problem, RevokeGrant, Role,
};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::write_mode;
use crate::server::extract::{ApiJson, ApiPath, ApiQuery, OptionalJson};
use crate::server::pagination::page_request;
use crate::server::routes::policy::effective_policy;
use crate::server::state::AppState;
use crate::server::store::{GrantScope, NewGrant, Review, RevokeSelection, WriteMode};
use crate::server::validate;

/// Most ids in one bulk revoke.
const MAX_BULK_IDS: usize = 10_000;
/// A bulk revoke's body limit: room for [`MAX_BULK_IDS`] ids (about 32 bytes each in JSON)
/// and a reason.
const BULK_BODY_LIMIT: usize = 512 * 1024;

/// Grant support access to the org.
#[utoipa::path(post, path = "/v1/orgs/{org}/grants", tag = "grants", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), DryRunQuery),
    request_body = CreateGrant,
    responses(
        (status = 201, description = "Created", body = Grant),
        (status = 200, description = "With `dry_run=true`: the grant as it would be created (its id names no grant)", body = Grant),
        (status = 409, description = "The org is disabled, or its policy changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the org's policy or the server's limits", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_grant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<DryRunQuery>,
    ApiJson(body): ApiJson<CreateGrant>,
) -> ApiResult<(StatusCode, Json<Grant>)> {
    let mode = write_mode(query);
    let admin = caller.require_admin_of(&org)?;
    let now = state.now();
    let reason = validate::required_text("reason", &body.reason)?;
    let ticket = validate::optional_text("ticket", body.ticket.as_deref())?;
    let policy = effective_policy(&state, &org).await?;
    policy.check_direct_grant().map_err(ApiError::policy)?;
    // Without areas, a grant covers every area the org's policy allows.
    let areas = match body.areas.as_deref() {
        None => policy.allowed_areas.clone(),
        areas => validate::areas(areas)?,
    };
    policy
        .check_scope(body.level, &areas, ticket.as_deref())
        .map_err(ApiError::policy)?;
    let mut engineers = body.engineers.unwrap_or_default();
    for email in &engineers {
        // The schema cannot say "an enabled support engineer": 422, like an unknown one.
        validate::email(email)
            .map_err(|validate::Invalid(detail)| ApiError::unprocessable(detail))?;
    }
    engineers.sort();
    engineers.dedup();
    let max = policy.max_grant;
    let seconds = match (body.duration_seconds, body.expires_at) {
        (Some(_), Some(_)) => {
            return Err(ApiError::unprocessable(
                "give duration_seconds or expires_at, not both",
            ));
        }
        (Some(seconds), None) => validate::duration("duration_seconds", seconds, max)?,
        (None, Some(until)) => {
            let seconds = until.as_second() - now.as_second();
            if seconds <= 0 {
                return Err(ApiError::unprocessable(format!(
                    "expires_at {until} is not in the future"
                )));
            }
            validate::duration("expires_at - now", seconds, max)?
        }
        (None, None) => policy.default_grant,
    };
    let expires_at = Timestamp::from_second(now.as_second() + seconds)
        .map_err(|_| ApiError::unprocessable("expiry out of range"))?;
    let grant = state
        .store
        .grants()
        .create(
            admin,
            &org,
            &NewGrant {
                level: body.level,
                areas,
                engineers,
                expires_at,
                reason,
                ticket,
                policy_version: policy.version,
                approval_rule: None,
            },
            now,
            mode,
        )
        .await?;
    if mode == WriteMode::DryRun {
        return Ok((StatusCode::OK, Json(grant)));
    }
    tracing::info!(grant = %grant.id, org = %org, level = %grant.level, by = %admin.email, "grant created");
    Ok((StatusCode::CREATED, Json(grant)))
}

/// The org's grants, newest first.
#[utoipa::path(get, path = "/v1/orgs/{org}/grants", tag = "grants", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), GrantListQuery),
    responses((status = 200, description = "A page of grants", body = Page<Grant>)))]
pub async fn list_org_grants(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<GrantListQuery>,
) -> ApiResult<Json<Page<Grant>>> {
    caller.require_admin_of(&org)?;
    let page = page_request(query.limit, query.cursor.as_deref(), query.count)?;
    let grants = state
        .store
        .grants()
        .list(
            GrantScope::Org(&org),
            query.status.unwrap_or_default(),
            page,
            state.now(),
        )
        .await?;
    Ok(Json(grants))
}

/// Grants the calling support engineer may use, across orgs, newest first.
#[utoipa::path(get, path = "/v1/grants", tag = "grants", security(("bearer" = [])),
    params(GrantListQuery),
    responses((status = 200, description = "A page of grants", body = Page<Grant>)))]
pub async fn list_usable_grants(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<GrantListQuery>,
) -> ApiResult<Json<Page<Grant>>> {
    let engineer = caller.require(&[Role::Support])?;
    let page = page_request(query.limit, query.cursor.as_deref(), query.count)?;
    let grants = state
        .store
        .grants()
        .list(
            GrantScope::UsableBy(engineer),
            query.status.unwrap_or_default(),
            page,
            state.now(),
        )
        .await?;
    Ok(Json(grants))
}

/// One grant of the org.
#[utoipa::path(get, path = "/v1/orgs/{org}/grants/{id}", tag = "grants", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Grant id")),
    responses((status = 200, description = "The grant", body = Grant)))]
pub async fn get_grant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Grant>> {
    caller.require_admin_of(&org)?;
    let grant = state
        .store
        .grants()
        .get(&org, &id, state.now())
        .await?
        .ok_or_else(|| no_grant(&org, &id))?;
    Ok(Json(grant))
}

/// Move an active grant's expiry later (never past now + the maximum), checked against the
/// org's policy now. A grant that several admins approved never lasts longer than they
/// approved.
#[utoipa::path(post, path = "/v1/orgs/{org}/grants/{id}/extend", tag = "grants", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Grant id"), DryRunQuery),
    request_body = ExtendGrant,
    responses(
        (status = 200, description = "The grant, extended (with `dry_run=true`: as it would be)", body = Grant),
        (status = 403, description = "The org's policy (`approval_max_auth_age_seconds`) asks for a more recent sign-in at the identity provider than the caller's (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The grant is no longer active, the org's policy changed meanwhile, or (`policy_violation`) several admins approved the grant for less time than it would last", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Past the maximum of the org's policy or the server, or a level, area or missing ticket the policy no longer allows, or a direct grant while `direct_grants` is false", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn extend_grant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<DryRunQuery>,
    ApiJson(body): ApiJson<ExtendGrant>,
) -> ApiResult<Json<Grant>> {
    let mode = write_mode(query);
    let admin = caller.require_admin_of(&org)?;
    let now = state.now();
    let policy = effective_policy(&state, &org).await?;
    caller.require_recent_sign_in(&policy, now)?;
    let by = validate::duration("duration_seconds", body.duration_seconds, policy.max_grant)?;
    let grant = state
        .store
        .grants()
        .extend(admin, &org, &id, by, &policy, now, mode)
        .await?;
    if mode == WriteMode::Commit {
        tracing::info!(grant = %grant.id, org = %org, by = %admin.email, "grant extended");
    }
    Ok(Json(grant))
}

/// Revoke a grant: its sessions end at once. Revoking an inactive grant changes nothing and
/// answers 200 with the grant as it is.
#[utoipa::path(post, path = "/v1/orgs/{org}/grants/{id}/revoke", tag = "grants", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Grant id"), DryRunQuery),
    request_body(content = Option<RevokeGrant>, description = "Optional reason"),
    responses((status = 200, description = "The grant, revoked (or as it was); with `dry_run=true`, as it would be", body = Grant)))]
pub async fn revoke_grant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<DryRunQuery>,
    OptionalJson(body): OptionalJson<RevokeGrant>,
) -> ApiResult<Json<Grant>> {
    let mode = write_mode(query);
    let admin = caller.require_admin_of(&org)?;
    let reason = match &body {
        Some(body) => validate::optional_text("reason", body.reason.as_deref())?,
        None => None,
    };
    let now = state.now();
    let result = state
        .store
        .grants()
        .revoke(
            admin,
            &org,
            &RevokeSelection::Ids(vec![id.clone()]),
            reason.as_deref(),
            now,
            mode,
        )
        .await?;
    if !result.not_found.is_empty() {
        return Err(no_grant(&org, &id));
    }
    let revoked = !result.revoked.is_empty();
    if revoked && mode == WriteMode::Commit {
        tracing::info!(grant = %id, org = %org, by = %admin.email, "grant revoked");
    }
    let mut grant = state
        .store
        .grants()
        .get(&org, &id, now)
        .await?
        .ok_or_else(|| no_grant(&org, &id))?;
    if revoked && mode == WriteMode::DryRun {
        // The rolled-back revocation left the row as it was: show what it would have written.
        grant.revoked_at = Some(now);
        grant.revoked_by = Some(admin.email.clone());
        grant.revoke_reason = reason;
        grant.status = GrantStatus::Revoked;
    }
    Ok(Json(grant))
}

/// Revoke many grants, or every active one, in one transaction.
#[utoipa::path(post, path = "/v1/orgs/{org}/grants/revoke", tag = "grants", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), DryRunQuery),
    request_body = BulkRevoke,
    responses((status = 200, description = "What happened to each id (with `dry_run=true`: what would)", body = BulkRevokeResult)))]
pub async fn bulk_revoke(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<DryRunQuery>,
    ApiJson(body): ApiJson<BulkRevoke, BULK_BODY_LIMIT>,
) -> ApiResult<Json<BulkRevokeResult>> {
    let mode = write_mode(query);
    let admin = caller.require_admin_of(&org)?;
    let reason = validate::optional_text("reason", body.reason.as_deref())?;
    let selection = match (body.ids, body.all) {
        (Some(_), Some(true)) => {
            return Err(ApiError::unprocessable("give ids or all: true, not both"));
        }
        (Some(ids), _) if ids.is_empty() => {
            return Err(ApiError::invalid("ids must name at least one grant"));
        }
        (Some(ids), _) if ids.len() > MAX_BULK_IDS => {
            return Err(ApiError::invalid(format!(
                "at most {MAX_BULK_IDS} ids per request"
            )));
        }
        (Some(ids), _) => RevokeSelection::Ids(ids),
        (None, Some(true)) => RevokeSelection::AllActive,
        (None, _) => {
            return Err(ApiError::unprocessable(
                "give ids (a list of grant ids) or all: true",
            ));
        }
    };
    let result = state
        .store
        .grants()
        .revoke(
            admin,
            &org,
            &selection,
            reason.as_deref(),
            state.now(),
            mode,
        )
        .await?;
    tracing::info!(
        dry_run = mode == WriteMode::DryRun,
        org = %org,
        revoked = result.revoked.len(),
        already_inactive = result.already_inactive.len(),
        not_found = result.not_found.len(),
        by = %admin.email,
        "bulk revoke"
    );
    Ok(Json(result))
}

fn no_grant(org: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("no grant '{id}' in org '{org}'"))
}

/// Acknowledge a break-glass grant: the org has seen it, and `grant list` stops showing it
/// first. The grant runs its course.
#[utoipa::path(post, path = "/v1/orgs/{org}/grants/{id}/acknowledge", tag = "grants", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Grant id")),
    responses(
        (status = 200, description = "The grant, acknowledged", body = Grant),
        (status = 404, description = "No such grant in the org", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a break-glass grant, or already acknowledged or disputed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn acknowledge_grant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Grant>> {
    let admin = caller.require_admin_of(&org)?;
    let grant = state
        .store
        .break_glass()
        .review_grant(admin, &org, &id, Review::Acknowledge, state.now())
        .await?;
    tracing::info!(grant = %id, org = %org, by = %admin.email, "break-glass grant acknowledged");
    Ok(Json(grant))
}

/// Dispute a break-glass grant: it is revoked at once (its sessions end), and the dispute and
/// its reason are recorded in the org's audit log for the vendor to answer.
#[utoipa::path(post, path = "/v1/orgs/{org}/grants/{id}/dispute", tag = "grants", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "Grant id")),
    request_body = DisputeGrant,
    responses(
        (status = 200, description = "The grant, disputed and revoked", body = Grant),
        (status = 404, description = "No such grant in the org", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a break-glass grant, or already acknowledged or disputed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn dispute_grant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<DisputeGrant>,
) -> ApiResult<Json<Grant>> {
    let admin = caller.require_admin_of(&org)?;
    let reason = validate::required_text("reason", &body.reason)?;
    let grant = state
        .store
        .break_glass()
        .review_grant(admin, &org, &id, Review::Dispute(&reason), state.now())
        .await?;
    tracing::warn!(grant = %id, org = %org, by = %admin.email, "break-glass grant disputed");
    Ok(Json(grant))
}
