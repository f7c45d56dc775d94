//! Each org's own policy: its admins read and replace it (version-checked), operators read it.
//! Every other route that it governs gets its limits from [`effective_policy`].

use axum::Json;
use axum::extract::State;

use crate::api::{DryRunQuery, OrgPolicy, Problem, PutOrgPolicy, Role};
use crate::server::auth::Caller;
use crate::server::domain::policy::{Effective, check_server_limits, default_policy};
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiJson, ApiPath, ApiQuery};
use crate::server::state::AppState;
use crate::server::store::{StoreError, WriteMode};

/// The org's policy as its admins set it (the server's defaults until they change it).
async fn org_policy(state: &AppState, org: &str) -> Result<OrgPolicy, StoreError> {
    Ok(state
        .store
        .get_org_policy(org)
        .await?
        .unwrap_or_else(|| default_policy(&state.policy)))
}

/// The limits in force for `org`: its policy within the server's flags.
pub async fn effective_policy(state: &AppState, org: &str) -> ApiResult<Effective> {
    Ok(Effective::new(
        &org_policy(state, org).await?,
        &state.policy,
    ))
}

/// [`effective_policy`], but an org that does not exist gets the server's defaults: a support
/// engineer must not learn from the answer whether it exists (the store refuses them later in
/// the same words as an org without a usable grant).
pub async fn session_policy(state: &AppState, org: &str) -> ApiResult<Effective> {
    match org_policy(state, org).await {
        Ok(policy) => Ok(Effective::new(&policy, &state.policy)),
        Err(StoreError::NotFound(_)) => Ok(Effective::new(
            &default_policy(&state.policy),
            &state.policy,
        )),
        Err(error) => Err(error.into()),
    }
}

/// The org's policy.
#[utoipa::path(get, path = "/v1/orgs/{org}/policy", tag = "policy", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    responses((status = 200, description = "The org's policy", body = OrgPolicy)))]
pub async fn get_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<OrgPolicy>> {
    if caller.principal().role != Role::Operator {
        caller.require_admin_of(&org)?;
    }
    Ok(Json(org_policy(&state, &org).await?))
}

/// Replace the org's policy. `version` must be the one read: a change by someone else since
/// then answers 409, and nothing is lost.
#[utoipa::path(put, path = "/v1/orgs/{org}/policy", tag = "policy", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), DryRunQuery),
    request_body = PutOrgPolicy,
    responses(
        (status = 200, description = "The policy now in force (with `dry_run=true`: the one that would be)", body = OrgPolicy),
        (status = 409, description = "The policy changed since `version` was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a possible policy (e.g. more approvals than the org has admins, or a duration over the server's maximum)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<DryRunQuery>,
    ApiJson(body): ApiJson<PutOrgPolicy>,
) -> ApiResult<Json<OrgPolicy>> {
    let mode = super::write_mode(query);
    let admin = caller.require_admin_of(&org)?;
    let before = org_policy(&state, &org).await?;
    check_server_limits(&body, &before, &state.policy).map_err(ApiError::policy)?;
    let now = state.now();
    let current = default_policy(&state.policy);
    let policy = state
        .store
        .put_org_policy(admin, &org, &body, &current, now, mode)
        .await
        .map_err(ApiError::from)?;
    if mode == WriteMode::Commit {
        tracing::info!(org = %org, version = policy.version, by = %admin.email, "policy updated");
    }
    Ok(Json(policy))
}
