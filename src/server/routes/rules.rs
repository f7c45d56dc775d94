//! An org's auto-approval rules: its admins make, list and remove them. A request entirely
//! inside a rule in force, for a level that needs one approval, is approved when it is filed
//! (see the store's `create_request`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::api::{ApprovalRule, CreateApprovalRule, Problem};
use crate::server::auth::Caller;
use crate::server::domain::rules::{RuleRefusal, check_rule};
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiJson, ApiPath};
use crate::server::routes::policy::effective_policy;
use crate::server::state::AppState;

/// Make a rule: requests inside it are approved without an admin.
#[utoipa::path(post, path = "/v1/orgs/{org}/approval-rules", tag = "approval-rules", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    request_body = CreateApprovalRule,
    responses(
        (status = 201, description = "Made; in force until `expires_at`", body = ApprovalRule),
        (status = 409, description = "A rule of that name exists, the org has 50 rules in force, the org is disabled, or its policy changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wider than the org's policy (`policy_violation`), expiring in the past or more than 90 days ahead, a ticket pattern that is no regular expression, or an engineer who is no enabled support engineer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<CreateApprovalRule>,
) -> ApiResult<(StatusCode, Json<ApprovalRule>)> {
    let admin = caller.require_admin_of(&org)?;
    let now = state.now();
    let policy = effective_policy(&state, &org).await?;
    let new = check_rule(&body, &policy, now).map_err(|refusal| match refusal {
        RuleRefusal::Invalid(detail) => ApiError::invalid(detail),
        RuleRefusal::Unprocessable(detail) => ApiError::unprocessable(detail),
        RuleRefusal::Policy(detail) => ApiError::policy(detail),
    })?;
    let rule = state
        .store
        .approval_rules()
        .create(admin, &org, &new, now)
        .await?;
    tracing::info!(org = %org, rule = %rule.id, by = %admin.email, "approval rule created");
    Ok((StatusCode::CREATED, Json(rule)))
}

/// The org's rules that were not removed: in force, or expired (they approve nothing).
#[utoipa::path(get, path = "/v1/orgs/{org}/approval-rules", tag = "approval-rules", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    responses((status = 200, description = "The org's rules, oldest first", body = Vec<ApprovalRule>)))]
pub async fn list_rules(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<Vec<ApprovalRule>>> {
    caller.require_admin_of(&org)?;
    Ok(Json(
        state.store.approval_rules().list(&org, state.now()).await?,
    ))
}

/// Remove a rule (by id or name): from then on it approves nothing. A request filed while it
/// is removed was approved by it before the removal, or is not.
#[utoipa::path(delete, path = "/v1/orgs/{org}/approval-rules/{rule}", tag = "approval-rules", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("rule" = String, Path, description = "The rule's id or name")),
    responses(
        (status = 200, description = "The rule, removed", body = ApprovalRule),
        (status = 401, description = "Missing, invalid, revoked or disabled token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not use this endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such rule in force or expired, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The request took longer than the server's request timeout", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed authentication attempts", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, rule)): ApiPath<(String, String)>,
) -> ApiResult<Json<ApprovalRule>> {
    let admin = caller.require_admin_of(&org)?;
    let removed = state
        .store
        .approval_rules()
        .remove(admin, &org, &rule, state.now())
        .await?;
    tracing::info!(org = %org, rule = %removed.id, by = %admin.email, "approval rule removed");
    Ok(Json(removed))
}
