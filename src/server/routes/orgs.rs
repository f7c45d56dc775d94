//! Orgs: operators create, list and disable them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::api::{CreateOrg, ListQuery, Org, Page, Role};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiJson, ApiPath, ApiQuery};
use crate::server::pagination::page_request;
use crate::server::state::AppState;
use crate::server::validate;

/// Create an org.
#[utoipa::path(post, path = "/v1/orgs", tag = "orgs", security(("bearer" = [])),
    request_body = CreateOrg,
    responses(
        (status = 201, description = "Created", body = Org),
        (status = 409, description = "The slug is taken", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_org(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateOrg>,
) -> ApiResult<(StatusCode, Json<Org>)> {
    let operator = caller.require(&[Role::Operator])?;
    validate::slug(&body.slug)?;
    let name = validate::required_text("name", &body.name)?;
    let org = state
        .store
        .create_org(operator, &body.slug, &name, state.now())
        .await?;
    tracing::info!(org = %org.slug, by = %operator.email, "org created");
    Ok((StatusCode::CREATED, Json(org)))
}

/// List orgs.
#[utoipa::path(get, path = "/v1/orgs", tag = "orgs", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "A page of orgs", body = Page<Org>)))]
pub async fn list_orgs(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Org>>> {
    caller.require(&[Role::Operator])?;
    let page = page_request(query.limit, query.cursor.as_deref(), query.count)?;
    Ok(Json(state.store.list_orgs(page).await?))
}

/// One org.
#[utoipa::path(get, path = "/v1/orgs/{org}", tag = "orgs", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    responses((status = 200, description = "The org", body = Org)))]
pub async fn get_org(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<Org>> {
    caller.require(&[Role::Operator])?;
    let org = state
        .store
        .get_org(&org)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no org '{org}'")))?;
    Ok(Json(org))
}

/// Disable an org: its admins can no longer sign in, and its open sessions end at once.
#[utoipa::path(post, path = "/v1/orgs/{org}/disable", tag = "orgs", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    responses((status = 200, description = "The org, disabled", body = Org)))]
pub async fn disable_org(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<Org>> {
    let operator = caller.require(&[Role::Operator])?;
    let org = state.store.disable_org(operator, &org, state.now()).await?;
    tracing::info!(org = %org.slug, by = %operator.email, "org disabled");
    Ok(Json(org))
}
