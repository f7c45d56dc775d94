//! `/metrics`, for Prometheus: on the API with an operator or service token, and alone on
//! `--metrics-listen` without one.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::api::Role;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::state::AppState;

/// The server's metrics in the Prometheus text format (see the README's "Metrics").
#[utoipa::path(get, path = "/metrics", tag = "meta", security(("bearer" = [])),
    responses((status = 200, description = "The metrics, in the Prometheus text format 0.0.4",
        content_type = "text/plain; version=0.0.4", body = String)))]
pub async fn metrics(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    caller.require(&[Role::Operator, Role::Service])?;
    Ok(state.metrics.scrape(&state.store, state.now()).await)
}

async fn metrics_without_token(State(state): State<AppState>) -> Response {
    state.metrics.scrape(&state.store, state.now()).await
}

/// What `--metrics-listen` serves: `/metrics` and nothing else.
pub fn metrics_only(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics_without_token))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::invalid("method not allowed on this endpoint")
                .with_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .with_state(state)
}
