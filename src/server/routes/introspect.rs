//! What the platform asks: is this session token active (RFC 7662), and may it do this?

use std::sync::Arc;

use axum::Json;
use axum::extract::State;

use crate::api::{
    ActClaim, AuthorizeRequest, AuthorizeResponse, IntrospectRequest, Introspection, Role,
    SESSION_TOKEN_PREFIX,
};
use crate::server::auth::{Caller, CallerToken};
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiJson, JsonOrForm};
use crate::server::state::AppState;
use crate::server::store::{AccessRequest, SessionAuth, TokenHash};
use crate::server::tokens::hash_token;
use crate::server::validate;

/// RFC 7662 token introspection. An inactive or unknown token gets exactly `{"active": false}`.
#[utoipa::path(post, path = "/v1/introspect", tag = "platform", security(("bearer" = []), ("basic" = [])),
    request_body(content((IntrospectRequest = "application/json"), (IntrospectRequest = "application/x-www-form-urlencoded"))),
    responses((status = 200, description = "The token's state", body = Introspection)))]
pub async fn introspect(
    State(state): State<AppState>,
    token: CallerToken,
    body: Result<JsonOrForm<IntrospectRequest>, ApiError>,
) -> ApiResult<Json<Introspection>> {
    let asked = body
        .as_ref()
        .ok()
        .map(|JsonOrForm(body)| body.token.as_str());
    let (caller, session) = lookup(&state, &token, asked).await?;
    let session = session.map(|(_, session)| session);
    let JsonOrForm(_) = body?;
    caller.require(&[Role::Service, Role::Operator])?;
    let now = state.now();
    let Some(session) = session else {
        state.metrics.introspected(false);
        return Ok(Json(Introspection::inactive()));
    };
    if session.inactive_reason(now).is_some() {
        state.metrics.introspected(false);
        return Ok(Json(Introspection::inactive()));
    }
    state.metrics.introspected(true);
    let record = &session.session;
    let scope = record
        .areas
        .iter()
        .flat_map(|area| {
            [
                crate::api::Action::Read,
                crate::api::Action::Write,
                crate::api::Action::Administer,
            ]
            .into_iter()
            .filter(|action| action.required_level() <= record.level)
            .map(move |action| format!("{area}:{action}"))
        })
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Json(Introspection {
        active: true,
        scope: Some(scope),
        exp: Some(record.expires_at.as_second()),
        iat: Some(record.opened_at.as_second()),
        sub: Some(format!("org:{}", record.org)),
        org: Some(record.org.clone()),
        level: Some(record.level),
        areas: Some(record.areas.clone()),
        session_id: Some(record.id.clone()),
        grant_id: Some(record.grant_id.clone()),
        act: Some(ActClaim {
            sub: record.engineer.clone(),
        }),
        token_type: Some("support_session".into()),
    }))
}

/// May this session token perform `action` on `area`? Every answer about a known session is
/// written to its org's audit log.
#[utoipa::path(post, path = "/v1/authorize", tag = "platform", security(("bearer" = []), ("basic" = [])),
    request_body = AuthorizeRequest,
    responses((status = 200, description = "The decision", body = AuthorizeResponse)))]
pub async fn authorize(
    State(state): State<AppState>,
    token: CallerToken,
    body: Result<ApiJson<AuthorizeRequest>, ApiError>,
) -> ApiResult<Json<AuthorizeResponse>> {
    let asked = body.as_ref().ok().map(|ApiJson(body)| body.token.as_str());
    let (caller, session) = lookup(&state, &token, asked).await?;
    let ApiJson(body) = body?;
    let service = caller.require(&[Role::Service])?;
    let resource = validate::optional_text("resource", body.resource.as_deref())?;
    let now = state.now();
    let Some((session_token, session)) = session else {
        state.metrics.authorized(false);
        return Ok(Json(AuthorizeResponse {
            allow: false,
            session_id: None,
            org: None,
            reason: Some("unknown session token".into()),
        }));
    };
    let (session_id, org) = (session.session.id.clone(), session.session.org.clone());
    let denial = state
        .store
        .decide_access(
            &AccessRequest {
                area: body.area,
                action: body.action,
                resource,
                reporter: service.clone(),
                token: session_token,
                session,
            },
            now,
        )
        .await?;
    state.metrics.authorized(denial.is_none());
    let answer = AuthorizeResponse {
        allow: denial.is_none(),
        session_id: Some(session_id),
        org: Some(org),
        reason: denial,
    };
    Ok(Json(answer))
}

/// The caller and the session whose token it asks about (with that token's hash), read
/// together (one statement where nothing is cached); the caller is refused before anything
/// else, as by [`Caller`]. No session for a body that did not parse, or a token that cannot
/// be one.
async fn lookup(
    state: &AppState,
    token: &CallerToken,
    asked: Option<&str>,
) -> ApiResult<(Caller, Option<(TokenHash, Arc<SessionAuth>)>)> {
    match asked.filter(|asked| asked.starts_with(SESSION_TOKEN_PREFIX)) {
        Some(asked) => {
            let asked = hash_token(asked);
            let (caller, session) = state.store.authenticate_call(&token.hash, &asked).await?;
            Ok((
                token.accept(state, caller)?,
                session.map(|session| (asked, session)),
            ))
        }
        None => Ok((token.caller(state).await?, None)),
    }
}
