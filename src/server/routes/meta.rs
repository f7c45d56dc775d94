//! Health, the OpenAPI document, and who am I.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};

use crate::api::{Account, Health, Readiness, Role};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::state::AppState;

/// Liveness and database health.
///
/// Anyone may ask; the webhook backlog is shown only to operator and service accounts calling
/// with their token.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses(
        (status = 200, description = "Server and database are up", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    ))]
pub async fn healthz(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
) -> (StatusCode, Json<Health>) {
    // What is queued for whom says something about the orgs: not for anonymous callers.
    let sees_backlog = caller
        .as_ref()
        .is_ok_and(|caller| caller.require(&[Role::Operator, Role::Service]).is_ok());
    let (status, database) = match state.health.status(&state.store).await {
        Ok(()) => (StatusCode::OK, "ok".to_owned()),
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error),
    };
    let health = Health {
        status: if status == StatusCode::OK {
            "ok"
        } else {
            "degraded"
        }
        .to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: if status == StatusCode::OK {
            format!("ok ({})", state.store.backend())
        } else {
            database
        },
        webhook_backlog: sees_backlog.then(|| crate::api::WebhookBacklog {
            pending: state
                .outbox
                .pending
                .load(std::sync::atomic::Ordering::Relaxed),
            oldest_pending_at: match state
                .outbox
                .oldest
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                0 => None,
                oldest => jiff::Timestamp::from_second(oldest).ok(),
            },
        }),
    };
    (status, Json(health))
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3 document of this API", body = Object)))]
pub async fn openapi_json(
    Extension(document): Extension<OpenApiJson>,
) -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        document.0.to_string(),
    )
}

/// The serialized document, rendered once at start.
#[derive(Clone)]
pub struct OpenApiJson(pub Arc<str>);

/// The calling account.
#[utoipa::path(get, path = "/v1/me", tag = "meta", security(("bearer" = [])),
    responses((status = 200, description = "The caller's account", body = Account)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Account>> {
    let account = state
        .store
        .find_account_by_email(&caller.principal().email)
        .await?
        .ok_or_else(|| ApiError::unauthenticated("invalid or revoked token"))?;
    Ok(Json(account))
}

/// Readiness, for load balancers and orchestrators: whether to send this server requests.
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses(
        (status = 200, description = "Ready: migrated, signing key loaded, database answering", body = Readiness),
        (status = 503, description = "Draining for a shutdown, or the database does not answer", body = Readiness),
    ))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    // The server only starts answering once migrations ran and the signing key loaded.
    let status = if state.lifecycle.is_draining() {
        "draining"
    } else if state.health.status(&state.store).await.is_err() {
        "unavailable"
    } else {
        "ready"
    };
    let code = if status == "ready" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(Readiness {
            status: status.to_owned(),
        }),
    )
}
