//! Webhooks: an org's admins subscribe endpoints to the org's events, and see and replay
//! their deliveries. Secrets are returned only by create and rotate-secret.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::api::{
    CreateWebhook, Delivery, DeliveryListQuery, Page, Problem, RotateWebhookSecret, Webhook,
    WebhookWithSecret,
};
use crate::server::auth::Caller;
use crate::server::domain::webhooks::{
    MANUAL_SEND_BURST, MANUAL_SEND_EVERY_SECONDS, ROTATION_OVERLAP_SECONDS, check_url, is_public,
    new_secret, valid_pattern,
};
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiJson, ApiPath, ApiQuery, OptionalJson};
use crate::server::pagination::page_request;
use crate::server::state::AppState;
use crate::server::store::NewWebhook;
use crate::server::validate;

/// Most event patterns per webhook.
const MAX_PATTERNS: usize = 50;

/// Subscribe an endpoint to the org's events.
#[utoipa::path(post, path = "/v1/orgs/{org}/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Created; the secret is shown this once", body = WebhookWithSecret),
        (status = 409, description = "The org is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "URL refused, or the org has 10 webhooks already", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookWithSecret>)> {
    let admin = caller.require_admin_of(&org)?;
    // Schema-valid strings that are not URLs are unprocessable (422), like every refused value.
    url::Url::parse(body.url.trim())
        .map_err(|e| ApiError::unprocessable(format!("url: '{}' is not a URL: {e}", body.url)))?;
    let url = check_url(body.url.trim(), state.webhooks.allow_http).map_err(ApiError::policy)?;
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = literal.filter(|ip| !is_public(*ip) && !state.webhooks.allow_private) {
        return Err(ApiError::policy(format!(
            "{ip} is not a public address (the server allows private and special-purpose addresses only with --allow-private-webhooks)"
        )));
    }
    let mut events = body.events.unwrap_or_else(|| vec!["*".into()]);
    if events.is_empty() || events.len() > MAX_PATTERNS {
        return Err(ApiError::unprocessable(format!(
            "events: give 1 to {MAX_PATTERNS} patterns"
        )));
    }
    if let Some(bad) = events.iter().find(|p| !valid_pattern(p)) {
        return Err(ApiError::unprocessable(format!(
            "events: '{bad}' is not a pattern like *, grant.* or request.created"
        )));
    }
    events.sort();
    events.dedup();
    let description = validate::optional_text("description", body.description.as_deref())?;
    let secret = new_secret();
    let webhook = state
        .store
        .create_webhook(
            admin,
            &org,
            &NewWebhook {
                url: url.to_string(),
                events,
                format: body.format.unwrap_or_default(),
                description,
                secret: secret.clone(),
            },
            state.now(),
        )
        .await?;
    tracing::info!(org = %org, webhook = %webhook.id, by = %admin.email, "webhook created");
    Ok((
        StatusCode::CREATED,
        Json(WebhookWithSecret { webhook, secret }),
    ))
}

/// The org's webhooks (at most 10).
#[utoipa::path(get, path = "/v1/orgs/{org}/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    responses((status = 200, description = "The org's webhooks", body = Vec<Webhook>)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<Vec<Webhook>>> {
    caller.require_admin_of(&org)?;
    Ok(Json(state.store.list_webhooks(&org).await?))
}

/// One webhook (never its secret).
#[utoipa::path(get, path = "/v1/orgs/{org}/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "The webhook's id")),
    responses((status = 200, description = "The webhook", body = Webhook)))]
pub async fn get_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Webhook>> {
    caller.require_admin_of(&org)?;
    let webhook = state
        .store
        .get_webhook(&org, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no webhook '{id}' in org '{org}'")))?;
    Ok(Json(webhook))
}

/// Remove a webhook and its pending deliveries.
#[utoipa::path(delete, path = "/v1/orgs/{org}/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook, removed", body = Webhook),
        (status = 401, description = "Missing, invalid, revoked or disabled token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not use this endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The request took longer than the server's request timeout", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed authentication attempts", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Webhook>> {
    let admin = caller.require_admin_of(&org)?;
    let webhook = state
        .store
        .delete_webhook(admin, &org, &id, state.now())
        .await?;
    tracing::info!(org = %org, webhook = %id, by = %admin.email, "webhook removed");
    Ok(Json(webhook))
}

/// A new secret; the previous one also signs for 24 hours, or, with `expire_previous`, stops
/// signing at once.
#[utoipa::path(post, path = "/v1/orgs/{org}/webhooks/{id}/rotate-secret", tag = "webhooks", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "The webhook's id")),
    request_body(content = Option<RotateWebhookSecret>, description = "Optional: end the previous secret at once"),
    responses((status = 200, description = "The webhook and its new secret, shown this once", body = WebhookWithSecret)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    OptionalJson(body): OptionalJson<RotateWebhookSecret>,
) -> ApiResult<Json<WebhookWithSecret>> {
    let admin = caller.require_admin_of(&org)?;
    let expire_previous = body.and_then(|b| b.expire_previous).unwrap_or(false);
    let now = state.now();
    let secret = new_secret();
    let until = if expire_previous {
        None
    } else {
        Some(
            jiff::Timestamp::from_second(now.as_second() + ROTATION_OVERLAP_SECONDS)
                .map_err(|_| ApiError::unprocessable("time out of range"))?,
        )
    };
    let webhook = state
        .store
        .rotate_webhook_secret(admin, &org, &id, &secret, until, now)
        .await?;
    tracing::info!(org = %org, webhook = %id, by = %admin.email, expire_previous, "webhook secret rotated");
    Ok(Json(WebhookWithSecret { webhook, secret }))
}

/// Send a `webhook.test` message.
#[utoipa::path(post, path = "/v1/orgs/{org}/webhooks/{id}/test", tag = "webhooks", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 202, description = "The test message's delivery, enqueued", body = Delivery),
        (status = 409, description = "The webhook is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed authentication attempts, or too many test and redeliver messages for this webhook (5 at once, then one per 12 s); see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn test_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    caller.require_admin_of(&org)?;
    refuse_disabled(&state, &org, &id).await?;
    take_manual_send(&state, &id)?;
    let delivery = state
        .store
        .enqueue_test_delivery(&org, &id, state.now())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

/// A webhook's deliveries, newest first.
#[utoipa::path(get, path = "/v1/orgs/{org}/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "The webhook's id"), DeliveryListQuery),
    responses((status = 200, description = "A page of deliveries", body = Page<Delivery>)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<DeliveryListQuery>,
) -> ApiResult<Json<Page<Delivery>>> {
    caller.require_admin_of(&org)?;
    let page = page_request(query.limit, query.cursor.as_deref(), query.count)?;
    Ok(Json(
        state
            .store
            .list_deliveries(&org, &id, query.status, page)
            .await?,
    ))
}

/// Send a delivery's message again, with the same `webhook-id`.
#[utoipa::path(post, path = "/v1/orgs/{org}/webhooks/{id}/deliveries/{delivery}/redeliver", tag = "webhooks", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("id" = String, Path, description = "The webhook's id"), ("delivery" = String, Path, description = "The delivery's id")),
    responses(
        (status = 202, description = "The new delivery, enqueued", body = Delivery),
        (status = 409, description = "The webhook is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed authentication attempts, or too many test and redeliver messages for this webhook (5 at once, then one per 12 s); see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id, delivery)): ApiPath<(String, String, String)>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    caller.require_admin_of(&org)?;
    refuse_disabled(&state, &org, &id).await?;
    take_manual_send(&state, &id)?;
    let delivery = state
        .store
        .redeliver(&org, &id, &delivery, state.now())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

/// A disabled webhook (its receiver answered 410) gets no more messages: 409 rather than a
/// delivery that would stay pending.
async fn refuse_disabled(state: &AppState, org: &str, id: &str) -> ApiResult<()> {
    let webhook = state
        .store
        .get_webhook(org, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no webhook '{id}' in org '{org}'")))?;
    match webhook.disabled_at {
        Some(at) => Err(ApiError::conflict(format!(
            "webhook '{id}' was disabled at {at} ({}); remove it and add it again",
            webhook.disabled_reason.as_deref().unwrap_or("disabled")
        ))),
        None => Ok(()),
    }
}

/// Counts a `test` or `redeliver` message against the webhook's allowance: 429 once it is
/// used up, so that no admin can fill the outbox with them.
fn take_manual_send(state: &AppState, id: &str) -> ApiResult<()> {
    state
        .manual_sends
        .take(id, state.now().as_second())
        .map_err(|retry_after| ApiError {
            detail: format!(
                "webhook '{id}' was sent {MANUAL_SEND_BURST} test or redeliver messages lately (one more each {MANUAL_SEND_EVERY_SECONDS} s); retry in {retry_after}s"
            ),
            ..ApiError::rate_limited(retry_after)
        })
}
