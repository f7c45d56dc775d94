//! Each org's own policy: its admins read and replace it (version-checked), operators read it.
//! A change that weakens what approvals guard waits for the admins' approvals.
//! Every other route that it governs gets its limits from [`effective_policy`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::api::{
    ApprovePolicyChange, DryRunQuery, EnabledStatus, OrgPolicy, PendingPolicyChange,
    PolicyChangeOutcome, Problem, PutOrgPolicy, Role,
};
use crate::server::auth::Caller;
use crate::server::domain::policy::{Effective, check_server_limits, default_policy};
use crate::server::domain::requests::takes_no_requests;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::write_mode;
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

/// The limits in force for `org`, for a support engineer who files a request: an org that does
/// not exist, is disabled or does not accept requests answers 404 in the same words, before
/// anything else about it (its limits, its rules) is checked and told.
pub async fn request_policy(state: &AppState, org: &str) -> ApiResult<Effective> {
    let refused = || ApiError::not_found(takes_no_requests(org));
    match state.store.get_org(org).await? {
        Some(found) if found.status == EnabledStatus::Enabled => {}
        _ => return Err(refused()),
    }
    let policy = match org_policy(state, org).await {
        Ok(policy) => Effective::new(&policy, &state.policy),
        Err(StoreError::NotFound(_)) => return Err(refused()),
        Err(error) => return Err(error.into()),
    };
    if policy.check_accepts_requests().is_err() {
        return Err(refused());
    }
    Ok(policy)
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
/// then answers 409, and nothing is lost. A change that lowers a level's `approvals_required`
/// or turns `direct_grants` on, while the policy in force asks two or more approvals for some
/// level, does not apply yet: it is stored as the org's pending change (202), which applies
/// once as many of the org's enabled admins approved it (the proposer counting as one).
#[utoipa::path(put, path = "/v1/orgs/{org}/policy", tag = "policy", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), DryRunQuery),
    request_body = PutOrgPolicy,
    responses(
        (status = 200, description = "The policy now in force (with `dry_run=true`: the one that would be)", body = OrgPolicy),
        (status = 202, description = "A weakening change, pending until enough admins approve it (with `dry_run=true`: as it would be)", body = PendingPolicyChange),
        (status = 403, description = "The org's policy (`approval_max_auth_age_seconds`) asks for a more recent sign-in at the identity provider than the caller's (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The policy changed since `version` was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a possible policy (e.g. more approvals than the org has admins, or a duration over the server's maximum)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<DryRunQuery>,
    ApiJson(body): ApiJson<PutOrgPolicy>,
) -> ApiResult<(StatusCode, Json<PolicyChangeOutcome>)> {
    let mode = write_mode(query);
    let admin = caller.require_admin_of(&org)?;
    let before = org_policy(&state, &org).await?;
    let now = state.now();
    // Checked against the policy read here. The store applies the change only to the version
    // `body` names, so a policy changed since this read is refused there (409); a version not
    // reached yet is refused here, or it could be reached by another change meanwhile.
    if body.version > before.version {
        return Err(ApiError::conflict(format!(
            "the policy is at version {}; version {} was never read",
            before.version, body.version
        )));
    }
    caller.require_recent_sign_in(&Effective::new(&before, &state.policy), now)?;
    check_server_limits(&body, &before, &state.policy).map_err(ApiError::policy)?;
    let current = default_policy(&state.policy);
    let outcome = state
        .store
        .put_org_policy(admin, &org, &body, &current, now, mode)
        .await
        .map_err(ApiError::from)?;
    Ok(answer(outcome, mode, &org, &admin.email))
}

/// The org's pending policy change, if there is one (404 if not).
#[utoipa::path(get, path = "/v1/orgs/{org}/policy/pending", tag = "policy", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    responses(
        (status = 200, description = "The change waiting for approvals", body = PendingPolicyChange),
        (status = 404, description = "No change is pending", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_pending_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<PendingPolicyChange>> {
    if caller.principal().role != Role::Operator {
        caller.require_admin_of(&org)?;
    }
    state
        .store
        .get_pending_policy_change(&org)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no policy change is pending in org '{org}'")))
}

/// Approve the org's pending policy change (named by its id). The approval that brings the
/// approvals of the org's enabled admins to the number required applies it, recording
/// `policy.updated`; an approval short of that records `policy.change_approval_added`.
#[utoipa::path(post, path = "/v1/orgs/{org}/policy/pending/approve", tag = "policy", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), DryRunQuery),
    request_body = ApprovePolicyChange,
    responses(
        (status = 200, description = "Applied: the policy now in force (with `dry_run=true`: the one that would be)", body = OrgPolicy),
        (status = 202, description = "Approved, still pending more approvals", body = PendingPolicyChange),
        (status = 403, description = "The org's policy (`approval_max_auth_age_seconds`) asks for a more recent sign-in at the identity provider than the caller's (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No pending change has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Approved by you already, or your account is no longer an enabled admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The change asks more approvals than the org now has enabled admins", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn approve_pending_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<DryRunQuery>,
    ApiJson(body): ApiJson<ApprovePolicyChange>,
) -> ApiResult<(StatusCode, Json<PolicyChangeOutcome>)> {
    let mode = write_mode(query);
    let admin = caller.require_admin_of(&org)?;
    let now = state.now();
    // A policy applied after this read voids the pending change, so the store refuses it then.
    caller.require_recent_sign_in(&effective_policy(&state, &org).await?, now)?;
    let current = default_policy(&state.policy);
    let outcome = state
        .store
        .approve_policy_change(admin, &org, &body.id, &current, now, mode)
        .await?;
    Ok(answer(outcome, mode, &org, &admin.email))
}

/// 200 with the policy in force, or 202 with the change still pending.
fn answer(
    outcome: PolicyChangeOutcome,
    mode: WriteMode,
    org: &str,
    by: &str,
) -> (StatusCode, Json<PolicyChangeOutcome>) {
    let status = match &outcome {
        PolicyChangeOutcome::Applied(policy) => {
            if mode == WriteMode::Commit {
                tracing::info!(org = %org, version = policy.version, by = %by, "policy updated");
            }
            StatusCode::OK
        }
        PolicyChangeOutcome::Pending(change) => {
            if mode == WriteMode::Commit {
                tracing::info!(org = %org, change = %change.id, approvals = change.approvals.len(), by = %by, "policy change pending");
            }
            StatusCode::ACCEPTED
        }
    };
    (status, Json(outcome))
}
