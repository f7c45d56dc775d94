//! Who is calling: bearer tokens resolved to accounts or sessions, and the role rules that
//! decide between 403 (the role may never do this) and 404 (not for your org).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use super::domain::policy::Effective;
use super::error::{ApiError, ApiResult};
use super::listener::ConnectionSlot;
use super::state::AppState;
use super::store::{AccountAuth, Principal, SessionAuth, TokenHash};
use super::tokens::hash_token;
use crate::api::{ACCOUNT_TOKEN_PREFIX, ErrorCode, Role, SESSION_TOKEN_PREFIX};

/// The token the request presents: `Authorization: Bearer TOKEN`, or HTTP Basic with the token
/// as the password (the user name is not checked). Basic is how most RFC 7662 clients
/// authenticate to an introspection endpoint (`client_secret_basic`), so a platform can point
/// one at `/v1/introspect` with a service token as its client secret.
fn bearer(parts: &Parts) -> Result<String, ApiError> {
    const EXPECTED: &str =
        "the Authorization header must be 'Bearer <token>' or Basic with the token as password";
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated("missing Authorization: Bearer token"))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthenticated("malformed Authorization header"))?;
    let Some((scheme, credentials)) = value.split_once(' ') else {
        return Err(ApiError::unauthenticated(EXPECTED));
    };
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        credentials.trim().to_owned()
    } else if scheme.eq_ignore_ascii_case("basic") {
        basic_password(credentials.trim()).ok_or_else(|| ApiError::unauthenticated(EXPECTED))?
    } else {
        return Err(ApiError::unauthenticated(EXPECTED));
    };
    if token.is_empty() {
        return Err(ApiError::unauthenticated(EXPECTED));
    }
    Ok(token)
}

/// The password of HTTP Basic credentials (`base64(user:password)`, RFC 7617). RFC 6749 clients
/// form-urlencode both parts before encoding, which leaves a token's characters unchanged.
fn basic_password(credentials: &str) -> Option<String> {
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (_user, password) = decoded.split_once(':')?;
    Some(password.trim().to_owned())
}

/// The client's address, when the server knows it.
fn client_address(state: &AppState, parts: &Parts) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    state.auth_limiter.client_address(peer, &parts.headers)
}

/// The request's connection, to be marked authenticated once its token is found valid: the
/// listener limits unauthenticated connections (see [`super::listener`]).
fn connection(parts: &Parts) -> Option<ConnectionSlot> {
    parts.extensions.get::<ConnectionSlot>().cloned()
}

/// Refuses a token that did not authenticate: 429 once its address has used up its failed
/// attempts, else `error`, counted against the address. Only failures are ever refused, so a
/// flood of bad tokens from an address (a NAT, a proxy) never locks out a valid caller there.
fn failed(state: &AppState, address: Option<IpAddr>, error: ApiError) -> ApiError {
    let Some(address) = address else {
        return error;
    };
    if let Err(retry_after) = state.auth_limiter.check(address) {
        return ApiError::rate_limited(retry_after);
    }
    state.auth_limiter.record_failure(address);
    error
}

/// An authenticated, enabled account.
pub struct Caller(pub Arc<AccountAuth>);

/// An account token of the right shape, not looked up yet: the platform calls look it up in
/// the same statement as the session token they ask about ([`Store::authenticate_call`]).
///
/// [`Store::authenticate_call`]: super::store::Store::authenticate_call
pub struct CallerToken {
    pub hash: TokenHash,
    address: Option<IpAddr>,
    /// Marked authenticated once the token is found valid.
    connection: Option<ConnectionSlot>,
}

impl FromRequestParts<AppState> for CallerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let address = client_address(state, parts);
        if token.starts_with(SESSION_TOKEN_PREFIX) {
            return Err(failed(
                state,
                address,
                ApiError::unauthenticated(
                    "a session token cannot call this endpoint; use an account token",
                ),
            ));
        }
        if !token.starts_with(ACCOUNT_TOKEN_PREFIX) {
            return Err(failed(
                state,
                address,
                ApiError::unauthenticated("invalid or revoked token"),
            ));
        }
        Ok(CallerToken {
            hash: hash_token(&token),
            address,
            connection: connection(parts),
        })
    }
}

impl CallerToken {
    /// The caller, once its lookup is back: refused when unknown or disabled.
    pub fn accept(&self, state: &AppState, auth: Option<Arc<AccountAuth>>) -> ApiResult<Caller> {
        let refusal = match &auth {
            None => Some("invalid or revoked token"),
            Some(auth) if auth.disabled => Some("this account is disabled"),
            Some(auth) if auth.org_disabled => Some("this account's org is disabled"),
            Some(auth)
                if auth
                    .token_expires_at
                    .is_some_and(|expires| expires <= state.now()) =>
            {
                Some(
                    "this token from a sign-in has expired; sign in again with `supportctl login --sso`",
                )
            }
            Some(_) => None,
        };
        match (auth, refusal) {
            (Some(auth), None) => {
                if let Some(connection) = &self.connection {
                    connection.authenticated();
                }
                Ok(Caller(auth))
            }
            (_, refusal) => Err(failed(
                state,
                self.address,
                ApiError::unauthenticated(refusal.unwrap_or("invalid or revoked token")),
            )),
        }
    }

    /// Looks the account up alone.
    pub async fn caller(&self, state: &AppState) -> ApiResult<Caller> {
        let auth = state.store.authenticate_account(&self.hash).await?;
        self.accept(state, auth)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        CallerToken::from_request_parts(parts, state)
            .await?
            .caller(state)
            .await
    }
}

impl Caller {
    pub fn principal(&self) -> &Principal {
        &self.0.principal
    }

    /// 403 `reauthentication_required` unless the caller signed in at the identity provider as
    /// recently as `policy` asks (at `now`, the server's clock, as token expiry is).
    pub fn require_recent_sign_in(
        &self,
        policy: &Effective,
        now: jiff::Timestamp,
    ) -> ApiResult<()> {
        policy
            .check_auth_age(self.0.token_auth_at, now)
            .map_err(|detail| ApiError::new(ErrorCode::ReauthenticationRequired, detail))
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<&Principal, ApiError> {
        let principal = self.principal();
        if roles.contains(&principal.role) {
            Ok(principal)
        } else {
            let names: Vec<String> = roles.iter().map(Role::to_string).collect();
            Err(ApiError::forbidden(format!(
                "this endpoint is for {} accounts; yours is {}",
                names.join(" or "),
                principal.role
            )))
        }
    }

    /// An admin of `org`: 403 for other roles, 404 (as if it did not exist) for other orgs.
    pub fn require_admin_of(&self, org: &str) -> Result<&Principal, ApiError> {
        let principal = self.require(&[Role::Admin])?;
        if principal.org.as_deref() == Some(org) {
            Ok(principal)
        } else {
            Err(ApiError::not_found(format!("no org '{org}'")))
        }
    }
}

/// The session behind a bearer session token, whatever its state.
pub struct SessionBearer(pub Arc<SessionAuth>);

impl FromRequestParts<AppState> for SessionBearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        if !token.starts_with(SESSION_TOKEN_PREFIX) {
            return Err(failed(
                state,
                client_address(state, parts),
                ApiError::unauthenticated("this endpoint needs a session token (sst_...)"),
            ));
        }
        match state
            .store
            .authenticate_session(&hash_token(&token))
            .await?
        {
            Some(session) => {
                if let Some(connection) = connection(parts) {
                    connection.authenticated();
                }
                Ok(SessionBearer(session))
            }
            None => Err(failed(
                state,
                client_address(state, parts),
                ApiError::unauthenticated("invalid session token"),
            )),
        }
    }
}
