//! Sign-in with an identity provider: connectors (the vendor's, managed by operators; an org's,
//! managed by its admins), and the sign-in flows that end with an account token.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::{
    AuthMethod, Connector, CreateConnector, ErrorCode, LoginPending, LoginStarted, LoginToken,
    Problem, Role, SsoFlowKind, StartLogin,
};
use crate::server::auth::Caller;
use crate::server::domain::sign_in::decide;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ApiJson, ApiPath, ApiQuery};
use crate::server::sso::DevicePoll;
use crate::server::state::AppState;
use crate::server::store::Principal;
use crate::server::store::sign_in::{
    Attempt, ConnectorRecord, FlowRecord, FlowStatus, IssuedToken, NewConnector, NewFlow, Refusal,
    VerifiedSignIn,
};
use crate::server::tokens::{hash_token, new_account_token};
use crate::server::validate;

/// How long a sign-in may take.
const FLOW_SECONDS: i64 = 600;
/// How often a client polls for a browser sign-in's token.
const BROWSER_POLL_SECONDS: i64 = 1;
/// Most rules, scopes and domains per connector.
const MAX_ITEMS: usize = 50;

fn connector_view(state: &AppState, record: &ConnectorRecord) -> Connector {
    Connector {
        name: record.name.clone(),
        org: record.org.clone(),
        issuer: record.issuer.clone(),
        client_id: record.client_id.clone(),
        scopes: record.scopes.clone(),
        flows: record.flows.clone(),
        email_domains: record.email_domains.clone(),
        rules: record.rules.clone(),
        provision: record.provision,
        redirect_uri: state.sso.redirect_uri().unwrap_or_default(),
        created_at: record.created_at,
        created_by: record.created_by.clone(),
    }
}

/// The roles a connector's rules may give: an org's connector makes admins of the org, the
/// vendor's support engineers and operators.
fn check_connector(body: &CreateConnector, org: Option<&str>) -> ApiResult<NewConnector> {
    validate::slug(&body.name)
        .map_err(|_| ApiError::invalid("name: lowercase letters, digits and dashes, 2 to 63"))?;
    let issuer = url::Url::parse(body.issuer.trim())
        .map_err(|e| ApiError::unprocessable(format!("issuer: not a URL: {e}")))?;
    let loopback = match issuer.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    if issuer.scheme() != "https" && !(issuer.scheme() == "http" && loopback) {
        return Err(ApiError::unprocessable(
            "issuer: must be an https:// URL (http:// only on loopback)",
        ));
    }
    for (field, value) in [
        ("client_id", &body.client_id),
        ("client_secret", &body.client_secret),
    ] {
        if value.trim().is_empty() || value.chars().any(char::is_control) {
            return Err(ApiError::invalid(format!("{field}: must not be empty")));
        }
    }
    let mut scopes = body.scopes.clone().unwrap_or_else(|| {
        ["openid", "email", "profile", "groups"]
            .map(String::from)
            .to_vec()
    });
    if !scopes.iter().any(|scope| scope == "openid") {
        scopes.insert(0, "openid".into());
    }
    if scopes.len() > MAX_ITEMS
        || scopes.iter().any(|scope| {
            scope.is_empty()
                || !scope
                    .chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        })
    {
        return Err(ApiError::unprocessable(
            "scopes: give up to 50 scope names (printable ASCII, no spaces)",
        ));
    }
    let mut flows = body
        .flows
        .clone()
        .unwrap_or_else(|| vec![SsoFlowKind::Browser]);
    flows.dedup();
    if flows.is_empty() {
        return Err(ApiError::unprocessable("flows: name at least one flow"));
    }
    let email_domains: Vec<String> = body
        .email_domains
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|domain| domain.trim().trim_start_matches('@').to_lowercase())
        .collect();
    if email_domains.len() > MAX_ITEMS
        || email_domains.iter().any(|domain| {
            domain.is_empty()
                || !domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
    {
        return Err(ApiError::unprocessable(
            "email_domains: give up to 50 domain names like vendor.example",
        ));
    }
    if body.rules.is_empty() || body.rules.len() > MAX_ITEMS {
        return Err(ApiError::unprocessable(
            "rules: give 1 to 50 rules; without one no one could sign in",
        ));
    }
    for rule in &body.rules {
        if rule.claim.trim().is_empty() || rule.value.is_empty() {
            return Err(ApiError::invalid("rules: each needs a claim and a value"));
        }
        let allowed = match org {
            Some(_) => rule.role == Role::Admin,
            None => matches!(rule.role, Role::Support | Role::Operator),
        };
        if !allowed {
            return Err(ApiError::unprocessable(match org {
                Some(org) => format!(
                    "rules: an org connector signs in admins of {org} only; '{}' cannot be given",
                    rule.role
                ),
                None => format!(
                    "rules: the vendor's connectors sign in support engineers and operators; \
                     '{}' cannot be given (service accounts keep static tokens, org admins sign \
                     in through their org's connector)",
                    rule.role
                ),
            }));
        }
    }
    Ok(NewConnector {
        name: body.name.clone(),
        issuer: issuer.as_str().trim_end_matches('/').to_owned(),
        client_id: body.client_id.trim().to_owned(),
        client_secret: body.client_secret.clone(),
        scopes,
        flows,
        email_domains,
        rules: body.rules.clone(),
        provision: body.provision.unwrap_or(false),
    })
}

async fn create(
    state: &AppState,
    actor: &Principal,
    org: Option<&str>,
    body: &CreateConnector,
) -> ApiResult<(StatusCode, Json<Connector>)> {
    let mut new = check_connector(body, org)?;
    // The issuer exactly as given (a trailing slash matters to `iss`).
    new.issuer = body.issuer.trim().to_owned();
    if state.sso.redirect_uri().is_none() {
        return Err(ApiError::unprocessable(
            "this server has no public URL for identity providers to send browsers back to; \
             start it with --public-url https://...",
        ));
    }
    state
        .sso
        .check_issuer(&new.issuer, new.flows.contains(&SsoFlowKind::Device))
        .await
        .map_err(|e| ApiError::unprocessable(format!("issuer: {e}")))?;
    let record = state
        .store
        .sign_ins()
        .create_connector(actor, org, &new, state.now())
        .await?;
    tracing::info!(connector = %record.name, org = ?org, by = %actor.email, "sign-in connector created");
    Ok((StatusCode::CREATED, Json(connector_view(state, &record))))
}

/// Add a vendor connector: signs in support engineers and operators.
#[utoipa::path(post, path = "/v1/auth/connectors", tag = "sign-in", security(("bearer" = [])),
    request_body = CreateConnector,
    responses(
        (status = 201, description = "Created (the client secret is never returned)", body = Connector),
        (status = 409, description = "A connector of that name exists", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_vendor_connector(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateConnector>,
) -> ApiResult<(StatusCode, Json<Connector>)> {
    let operator = caller.require(&[Role::Operator])?;
    create(&state, operator, None, &body).await
}

/// The vendor's connectors.
#[utoipa::path(get, path = "/v1/auth/connectors", tag = "sign-in", security(("bearer" = [])),
    responses((status = 200, description = "The vendor's connectors", body = Vec<Connector>)))]
pub async fn list_vendor_connectors(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Connector>>> {
    caller.require(&[Role::Operator])?;
    let records = state.store.sign_ins().list_connectors(None).await?;
    Ok(Json(
        records.iter().map(|r| connector_view(&state, r)).collect(),
    ))
}

/// One vendor connector.
#[utoipa::path(get, path = "/v1/auth/connectors/{name}", tag = "sign-in", security(("bearer" = [])),
    params(("name" = String, Path, description = "The connector's name")),
    responses((status = 200, description = "The connector", body = Connector)))]
pub async fn get_vendor_connector(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<Connector>> {
    caller.require(&[Role::Operator])?;
    let record = state
        .store
        .sign_ins()
        .get_connector(None, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no connector '{name}'")))?;
    Ok(Json(connector_view(&state, &record)))
}

/// Remove a vendor connector; sign-ins in progress through it end.
#[utoipa::path(delete, path = "/v1/auth/connectors/{name}", tag = "sign-in", security(("bearer" = [])),
    params(("name" = String, Path, description = "The connector's name")),
    responses((status = 200, description = "The connector, removed", body = Connector)))]
pub async fn delete_vendor_connector(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<Connector>> {
    let operator = caller.require(&[Role::Operator])?;
    let record = state
        .store
        .sign_ins()
        .delete_connector(operator, None, &name, state.now())
        .await?;
    Ok(Json(connector_view(&state, &record)))
}

/// Add an org connector: signs in the org's admins.
#[utoipa::path(post, path = "/v1/orgs/{org}/auth/connectors", tag = "sign-in", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    request_body = CreateConnector,
    responses(
        (status = 201, description = "Created (the client secret is never returned)", body = Connector),
        (status = 409, description = "A connector of that name exists, or the org is disabled", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_org_connector(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<CreateConnector>,
) -> ApiResult<(StatusCode, Json<Connector>)> {
    let admin = caller.require_admin_of(&org)?;
    create(&state, admin, Some(&org), &body).await
}

/// The org's connectors.
#[utoipa::path(get, path = "/v1/orgs/{org}/auth/connectors", tag = "sign-in", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug")),
    responses((status = 200, description = "The org's connectors", body = Vec<Connector>)))]
pub async fn list_org_connectors(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<Vec<Connector>>> {
    caller.require_admin_of(&org)?;
    let records = state.store.sign_ins().list_connectors(Some(&org)).await?;
    Ok(Json(
        records.iter().map(|r| connector_view(&state, r)).collect(),
    ))
}

/// One org connector.
#[utoipa::path(get, path = "/v1/orgs/{org}/auth/connectors/{name}", tag = "sign-in", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("name" = String, Path, description = "The connector's name")),
    responses((status = 200, description = "The connector", body = Connector)))]
pub async fn get_org_connector(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, name)): ApiPath<(String, String)>,
) -> ApiResult<Json<Connector>> {
    caller.require_admin_of(&org)?;
    let record = state
        .store
        .sign_ins()
        .get_connector(Some(&org), &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no connector '{name}' in org '{org}'")))?;
    Ok(Json(connector_view(&state, &record)))
}

/// Remove an org connector; sign-ins in progress through it end.
#[utoipa::path(delete, path = "/v1/orgs/{org}/auth/connectors/{name}", tag = "sign-in", security(("bearer" = [])),
    params(("org" = String, Path, description = "The org's slug"), ("name" = String, Path, description = "The connector's name")),
    responses((status = 200, description = "The connector, removed", body = Connector)))]
pub async fn delete_org_connector(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, name)): ApiPath<(String, String)>,
) -> ApiResult<Json<Connector>> {
    let admin = caller.require_admin_of(&org)?;
    let record = state
        .store
        .sign_ins()
        .delete_connector(admin, Some(&org), &name, state.now())
        .await?;
    Ok(Json(connector_view(&state, &record)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MethodsQuery {
    /// The org whose admins' connectors to list too.
    pub org: Option<String>,
}

/// The connectors one may sign in with: the vendor's, and with `org` that org's.
#[utoipa::path(get, path = "/v1/auth/methods", tag = "sign-in", params(MethodsQuery),
    responses((status = 200, description = "Connector names and flows", body = Vec<AuthMethod>)))]
pub async fn auth_methods(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<MethodsQuery>,
) -> ApiResult<Json<Vec<AuthMethod>>> {
    let mut records = state.store.sign_ins().list_connectors(None).await?;
    if let Some(org) = &query.org {
        records.extend(state.store.sign_ins().list_connectors(Some(org)).await?);
    }
    Ok(Json(
        records
            .into_iter()
            .map(|record| AuthMethod {
                connector: record.name,
                org: record.org,
                flows: record.flows,
            })
            .collect(),
    ))
}

/// Start a sign-in: a browser sign-in answers the provider's authorization URL, a device
/// sign-in the code to enter. Then poll `POST /v1/auth/login/{flow_id}/token`.
#[utoipa::path(post, path = "/v1/auth/login", tag = "sign-in",
    request_body = StartLogin,
    responses(
        (status = 201, description = "Started", body = LoginStarted),
        (status = 404, description = "No such connector", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The identity provider cannot be reached", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn start_login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<StartLogin>,
) -> ApiResult<(StatusCode, Json<LoginStarted>)> {
    let connector = state
        .store
        .sign_ins()
        .get_connector(body.org.as_deref(), &body.connector)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(match &body.org {
                Some(org) => format!("no connector '{}' in org '{org}'", body.connector),
                None => format!(
                    "no connector '{}' (an org's connector needs its org)",
                    body.connector
                ),
            })
        })?;
    let kind = body.flow.unwrap_or(SsoFlowKind::Browser);
    if !connector.flows.contains(&kind) {
        return Err(ApiError::unprocessable(format!(
            "the connector '{}' does not offer the {kind} flow",
            connector.name
        )));
    }
    let now = state.now();
    let flow_id = new_account_token().token.replacen("sat_", "sfl_", 1);
    let id_hash = hex::encode(hash_token(&flow_id));
    let unavailable = |e: crate::server::sso::ProviderError| {
        ApiError::new(ErrorCode::Internal, e.to_string()).with_status(StatusCode::BAD_GATEWAY)
    };
    let (started, new_flow) = match kind {
        SsoFlowKind::Browser => {
            let start = state
                .sso
                .start_browser(&connector)
                .await
                .map_err(unavailable)?;
            let started = LoginStarted {
                flow_id: flow_id.clone(),
                flow: kind,
                expires_in: FLOW_SECONDS,
                interval: BROWSER_POLL_SECONDS,
                url: Some(start.url),
                user_code: None,
                verification_uri: None,
                verification_uri_complete: None,
            };
            let flow = NewFlow {
                id_hash,
                connector_pk: connector.pk,
                kind,
                state: Some(start.state),
                nonce: start.nonce,
                pkce_verifier: Some(start.pkce_verifier),
                device_code: None,
                interval_seconds: BROWSER_POLL_SECONDS,
                expires_at: now + jiff::SignedDuration::from_secs(FLOW_SECONDS),
            };
            (started, flow)
        }
        SsoFlowKind::Device => {
            let start = state
                .sso
                .start_device(&connector)
                .await
                .map_err(unavailable)?;
            let expires_in = start.expires_in.min(FLOW_SECONDS);
            let started = LoginStarted {
                flow_id: flow_id.clone(),
                flow: kind,
                expires_in,
                interval: start.interval,
                url: None,
                user_code: Some(start.user_code),
                verification_uri: Some(start.verification_uri),
                verification_uri_complete: start.verification_uri_complete,
            };
            let flow = NewFlow {
                id_hash,
                connector_pk: connector.pk,
                kind,
                state: None,
                nonce: start.nonce,
                pkce_verifier: None,
                device_code: Some(start.device_code),
                interval_seconds: start.interval,
                expires_at: now + jiff::SignedDuration::from_secs(expires_in),
            };
            (started, flow)
        }
    };
    state.store.sign_ins().create_flow(&new_flow, now).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    pub code: Option<String>,
    /// The value the sign-in sent to the provider, echoed back.
    // Required, yet an `Option`: without it the browser gets the page that says so, not the
    // extractor's bare 400.
    #[param(required = true, min_length = 1)]
    pub state: Option<String>,
    /// The provider's error, when the person declined or it refused.
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The provider's issuer (RFC 9207), when it says: it must be the connector's.
    pub iss: Option<String>,
    /// Sent by some providers (Keycloak); not used.
    #[allow(dead_code)]
    pub session_state: Option<String>,
}

/// Where the identity provider sends the browser back; answers a short page saying whether
/// the sign-in went through (the client that started it gets the token by polling).
#[utoipa::path(get, path = "/v1/auth/callback", tag = "sign-in", params(CallbackQuery),
    responses(
        (status = 200, description = "Signed in: an HTML page that says so", content_type = "text/html"),
        (status = 400, description = "No `state`: an HTML page", content_type = "text/html"),
        (status = 401, description = "The sign-in failed: an HTML page that says why", content_type = "text/html"),
        (status = 403, description = "The person may not sign in: an HTML page that says why", content_type = "text/html"),
        (status = 422, description = "Unknown, used or expired state: an HTML page", content_type = "text/html"),
    ))]
pub async fn callback(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Response {
    match finish_callback(&state, &query).await {
        Ok(email) => page(
            StatusCode::OK,
            "Signed in",
            &format!("Signed in as {email}. You can close this window and return to the terminal."),
        ),
        Err(Failure::Refused(refusal)) => page(
            StatusCode::from_u16(refusal.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            "Sign-in refused",
            &refusal.detail,
        ),
        Err(Failure::Api(error)) => page(error.status, "Sign-in failed", &error.detail),
    }
}

enum Failure {
    Refused(Refusal),
    Api(ApiError),
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure::Api(error)
    }
}

impl From<crate::server::store::StoreError> for Failure {
    fn from(error: crate::server::store::StoreError) -> Self {
        Failure::Api(error.into())
    }
}

async fn finish_callback(state: &AppState, query: &CallbackQuery) -> Result<String, Failure> {
    let sign_ins = state.store.sign_ins();
    let Some(state_value) = query.state.as_deref().filter(|s| !s.is_empty()) else {
        return Err(Failure::Api(ApiError::invalid(
            "the identity provider's redirect carries no state; start the sign-in again",
        )));
    };
    let now = state.now();
    let flow = match sign_ins.claim_flow_state(state_value, now).await? {
        Ok(flow) => flow,
        Err(known) => {
            let refusal = Refusal::new(
                ErrorCode::InvalidState,
                "this sign-in link was already used, or the sign-in expired; run `supportctl \
                 login --sso` again",
            );
            if let Some(connector_pk) = known
                && let Some(connector) = sign_ins.connector_by_pk(connector_pk).await?
            {
                sign_ins
                    .refuse_sign_in(None, &connector, &refusal, &Attempt::default(), now)
                    .await?;
            }
            return Err(Failure::Refused(refusal));
        }
    };
    let connector = sign_ins
        .connector_by_pk(flow.connector_pk)
        .await?
        .ok_or_else(|| ApiError::not_found("the sign-in's connector was removed"))?;
    let refuse = async |refusal: Refusal, attempt: Attempt| -> Failure {
        match sign_ins
            .refuse_sign_in(Some(flow.pk), &connector, &refusal, &attempt, now)
            .await
        {
            Ok(()) => Failure::Refused(refusal),
            Err(error) => Failure::Api(error.into()),
        }
    };
    if let Some(error) = &query.error {
        let detail = match error.as_str() {
            "access_denied" => "the sign-in was declined at the identity provider".to_owned(),
            other => format!(
                "the identity provider refused the sign-in: {other}{}",
                query
                    .error_description
                    .as_deref()
                    .map(|text| format!(" ({text})"))
                    .unwrap_or_default()
            ),
        };
        let refusal = Refusal::new(ErrorCode::SignInFailed, detail);
        return Err(refuse(refusal, Attempt::default()).await);
    }
    if let Some(iss) = &query.iss
        && iss.trim_end_matches('/') != connector.issuer.trim_end_matches('/')
    {
        let refusal = Refusal::new(
            ErrorCode::SignInFailed,
            format!(
                "the redirect came from the identity provider {iss}, not the connector's ({})",
                connector.issuer
            ),
        );
        return Err(refuse(refusal, Attempt::default()).await);
    }
    let Some(code) = query.code.as_deref() else {
        let refusal = Refusal::new(
            ErrorCode::SignInFailed,
            "the identity provider's redirect carries no code",
        );
        return Err(refuse(refusal, Attempt::default()).await);
    };
    let identity = match state
        .sso
        .finish_browser(
            &connector,
            code,
            flow.pkce_verifier.as_deref().unwrap_or_default(),
            &flow.nonce,
        )
        .await
    {
        Ok(identity) => identity,
        Err(refusal) => return Err(refuse(refusal, Attempt::default()).await),
    };
    admit(state, &flow, &connector, &identity, now).await?;
    Ok(identity.email.unwrap_or_default().to_lowercase())
}

/// Applies the connector's rules and the accounts' to a verified identity; a refusal is
/// recorded before it is returned.
async fn admit(
    state: &AppState,
    flow: &FlowRecord,
    connector: &ConnectorRecord,
    identity: &crate::server::sso::Identity,
    now: jiff::Timestamp,
) -> Result<(), Failure> {
    let attempt = Attempt {
        email: identity.email.clone(),
        iss: Some(identity.iss.clone()),
        sub: Some(identity.sub.clone()),
    };
    let decided = decide(
        &identity.claims(),
        &connector.email_domains,
        &connector.rules,
    );
    let refusal = match decided {
        Ok((email, role)) => {
            let who = VerifiedSignIn {
                iss: identity.iss.clone(),
                sub: identity.sub.clone(),
                email,
                role,
                auth_at: identity.auth_at,
            };
            match state
                .store
                .sign_ins()
                .sign_in(flow, connector, &who, now)
                .await?
            {
                Ok(()) => return Ok(()),
                Err(refusal) => refusal,
            }
        }
        Err(refusal) => refusal,
    };
    state
        .store
        .sign_ins()
        .refuse_sign_in(Some(flow.pk), connector, &refusal, &attempt, now)
        .await?;
    Err(Failure::Refused(refusal))
}

/// A minimal HTML page for the person's browser.
fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>supportctl: {}</title></head>\
         <body><h1>{}</h1><p>{}</p></body></html>",
        escape(title),
        escape(title),
        escape(text)
    );
    let mut response = (status, Html(body)).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// A sign-in's token, once it is done: 202 while pending, 200 with the token once (then 410
/// `flow_used`), or the problem that refused it.
#[utoipa::path(post, path = "/v1/auth/login/{flow_id}/token", tag = "sign-in",
    params(("flow_id" = String, Path, description = "The sign-in's flow_id")),
    responses(
        (status = 200, description = "Signed in: the token, shown this once", body = LoginToken),
        (status = 202, description = "Not done yet: poll again after `interval` seconds", body = LoginPending),
        (status = 401, description = "The sign-in failed (sign_in_failed, email_unverified)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The person may not sign in (no_matching_rule, no_account, account_disabled, wrong_org, email_domain_not_allowed)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The sign-in expired (expired_token) or its token was handed out (flow_used)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Polled faster than `interval` (slow_down)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login_token(
    State(state): State<AppState>,
    ApiPath(flow_id): ApiPath<String>,
) -> ApiResult<Response> {
    let sign_ins = state.store.sign_ins();
    let not_found = || ApiError::not_found("no such sign-in; start a new one");
    let flow = sign_ins
        .flow_by_id(&hex::encode(hash_token(&flow_id)))
        .await?
        .ok_or_else(not_found)?;
    let connector = sign_ins
        .connector_by_pk(flow.connector_pk)
        .await?
        .ok_or_else(not_found)?;
    let now = state.now();
    let refused = |refusal: &Refusal| ApiError::new(refusal.code, refusal.detail.clone());
    // A refusal the poll finds is recorded first: the flow fails and the log says why.
    let refuse = async |refusal: Refusal| -> ApiResult<Response> {
        sign_ins
            .refuse_sign_in(
                Some(flow.pk),
                &connector,
                &refusal,
                &Attempt::default(),
                now,
            )
            .await?;
        Err(refused(&refusal))
    };
    match flow.status {
        FlowStatus::Failed => {
            let refusal = flow
                .refusal
                .clone()
                .unwrap_or_else(|| Refusal::new(ErrorCode::SignInFailed, "the sign-in failed"));
            return Err(refused(&refusal));
        }
        FlowStatus::Taken => {
            return Err(ApiError::new(
                ErrorCode::FlowUsed,
                "this sign-in's token was already handed out; start a new sign-in",
            ));
        }
        FlowStatus::Pending if flow.expires_at <= now => {
            let refusal = Refusal::new(
                ErrorCode::ExpiredToken,
                "the sign-in expired before it was completed; start a new one",
            );
            return refuse(refusal).await;
        }
        FlowStatus::Pending if flow.kind == SsoFlowKind::Device => {
            if now < flow.next_poll_at {
                let interval = flow.interval_seconds + 5;
                sign_ins
                    .delay_flow(
                        flow.pk,
                        interval,
                        now + jiff::SignedDuration::from_secs(interval),
                    )
                    .await?;
                let mut error = ApiError::new(
                    ErrorCode::SlowDown,
                    format!("polled too soon; poll every {interval} seconds"),
                );
                error.retry_after = u64::try_from(interval).ok();
                return Err(error);
            }
            let next = now + jiff::SignedDuration::from_secs(flow.interval_seconds);
            sign_ins
                .delay_flow(flow.pk, flow.interval_seconds, next)
                .await?;
            let left = (flow.expires_at - now).get_seconds().max(1);
            let polled = state
                .sso
                .poll_device(
                    &connector,
                    flow.device_code.as_deref().unwrap_or_default(),
                    flow.interval_seconds,
                    left,
                )
                .await;
            match polled {
                Ok(DevicePoll::Pending) => return Ok(pending(flow.interval_seconds)),
                Ok(DevicePoll::Unreachable(detail)) => {
                    return Err(ApiError::new(ErrorCode::Internal, detail)
                        .with_status(StatusCode::BAD_GATEWAY));
                }
                Ok(DevicePoll::SlowDown(interval)) => {
                    sign_ins
                        .delay_flow(
                            flow.pk,
                            interval,
                            now + jiff::SignedDuration::from_secs(interval),
                        )
                        .await?;
                    return Ok(pending(interval));
                }
                Ok(DevicePoll::Done(identity)) => {
                    match admit(&state, &flow, &connector, &identity, now).await {
                        Ok(()) => {}
                        Err(Failure::Refused(refusal)) => return Err(refused(&refusal)),
                        Err(Failure::Api(error)) => return Err(error),
                    }
                }
                Err(refusal) => return refuse(refusal).await,
            }
        }
        FlowStatus::Pending => return Ok(pending(flow.interval_seconds)),
        FlowStatus::Ready => {}
    }
    let token = new_account_token();
    let ttl = jiff::SignedDuration::try_from(state.sso.token_ttl())
        .unwrap_or(jiff::SignedDuration::from_hours(12));
    let issued = IssuedToken {
        hash: token.hash,
        expires_at: now + ttl,
    };
    match sign_ins
        .take_flow_token(&flow, &connector, &issued, now)
        .await?
    {
        Ok(account) => {
            tracing::info!(account = %account.id, connector = %connector.name, "signed in");
            Ok((
                StatusCode::OK,
                Json(LoginToken {
                    token: token.token,
                    account,
                    expires_at: issued.expires_at,
                    connector: connector.name.clone(),
                }),
            )
                .into_response())
        }
        Err(refusal) => Err(refused(&refusal)),
    }
}

fn pending(interval: i64) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(LoginPending {
            status: "pending".into(),
            interval,
        }),
    )
        .into_response()
}
