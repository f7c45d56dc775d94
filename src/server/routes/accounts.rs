//! Accounts and their tokens: operators create, disable and rotate them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::api::{Account, AccountWithToken, CreateAccount, ListQuery, Page, Role};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiJson, ApiPath, ApiQuery};
use crate::server::pagination::page_request;
use crate::server::state::AppState;
use crate::server::store::NewAccount;
use crate::server::tokens::new_account_token;
use crate::server::validate;

/// Create an account. Its token is in the answer, and nowhere else, ever.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", security(("bearer" = [])),
    request_body = CreateAccount,
    responses(
        (status = 201, description = "Created, with the account's token", body = AccountWithToken),
        (status = 404, description = "No such org", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateAccount>,
) -> ApiResult<(StatusCode, Json<AccountWithToken>)> {
    let operator = caller.require(&[Role::Operator])?;
    validate::email(&body.email)?;
    match (body.role, &body.org) {
        (Role::Admin, None) => {
            return Err(ApiError::unprocessable(
                "an admin account needs the org it administers",
            ));
        }
        (Role::Admin, Some(org)) => {
            validate::slug(org)?;
        }
        (role, Some(_)) => {
            return Err(ApiError::unprocessable(format!(
                "only admin accounts belong to an org; a {role} account must not name one"
            )));
        }
        _ => {}
    }
    let token = new_account_token();
    let account = state
        .store
        .create_account(
            operator,
            &NewAccount {
                email: body.email.clone(),
                role: body.role,
                org: body.org.clone(),
                token_hash: token.hash,
            },
            state.now(),
        )
        .await?;
    tracing::info!(account = %account.id, role = %account.role, by = %operator.email, "account created");
    Ok((
        StatusCode::CREATED,
        Json(AccountWithToken {
            account,
            token: token.token,
        }),
    ))
}

/// List accounts.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "A page of accounts", body = Page<Account>)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Account>>> {
    caller.require(&[Role::Operator])?;
    let page = page_request(query.limit, query.cursor.as_deref(), query.count)?;
    Ok(Json(state.store.list_accounts(page).await?))
}

/// Disable an account: its token stops working and its open sessions end at once.
#[utoipa::path(post, path = "/v1/accounts/{id}/disable", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account, disabled", body = Account),
        (status = 409, description = "An operator cannot disable their own account", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn disable_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Account>> {
    let operator = caller.require(&[Role::Operator])?;
    if operator.id == id {
        return Err(ApiError::conflict(
            "you cannot disable your own account; ask another operator",
        ));
    }
    let account = state
        .store
        .disable_account(operator, &id, state.now())
        .await?;
    tracing::info!(account = %account.id, by = %operator.email, "account disabled");
    Ok(Json(account))
}

/// Replace an account's token; the old one stops working at once.
#[utoipa::path(post, path = "/v1/accounts/{id}/rotate-token", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account with its new token", body = AccountWithToken),
        (status = 409, description = "The account is disabled", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn rotate_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AccountWithToken>> {
    let operator = caller.require(&[Role::Operator])?;
    let token = new_account_token();
    let account = state
        .store
        .rotate_account_token(operator, &id, &token.hash, state.now())
        .await?;
    tracing::info!(account = %account.id, by = %operator.email, "account token rotated");
    Ok(Json(AccountWithToken {
        account,
        token: token.token,
    }))
}
