//! The server as an OpenID Connect relying party (a confidential client, `client_secret_basic`)
//! of each connector's provider, through the `openidconnect` crate: discovery, the
//! authorization-code flow with PKCE S256, `state` and `nonce`, the device flow (RFC 8628), and
//! the ID token's checks (signature by a key of the provider's JWKS, `iss`, `aud`/`azp`, `exp`
//! and `iat` with 60 s of leeway, `nonce`).
//!
//! Each provider's discovery document and keys are cached by issuer. An ID token signed with a
//! key id the cache does not hold makes one re-fetch of the provider's JWKS (single-flight: the
//! callers that meet it at once wait for the one fetch; at most one fetch per 10 s), so a
//! provider that rotated its keys is followed without a restart.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreDeviceAuthorizationResponse, CoreErrorResponseType, CoreGenderClaim, CoreGrantType,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, AuthType, AuthenticationFlow, AuthorizationCode,
    ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, DeviceAuthorizationUrl,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    IdTokenVerifier, IssuerUrl, JsonWebKeySet, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    ProviderMetadata, RedirectUrl, RequestTokenError, Scope, SignatureVerificationError,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::ErrorCode;
use crate::server::domain::sign_in::Claims;
use crate::server::store::sign_in::{ConnectorRecord, Refusal};
use jwk::ProviderKey;

mod jwk;

/// A provider's keys.
type KeySet = JsonWebKeySet<ProviderKey>;

/// How long a provider's discovery document is trusted before it is fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// The least time between two fetches of one provider's JWKS on unknown key ids.
const JWKS_REFETCH_MIN: Duration = Duration::from_secs(10);
/// Leeway on `exp` and `iat`.
const LEEWAY_SECONDS: i64 = 60;
/// Every request to a provider ends within this.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// `supportctl server`'s sign-in settings.
#[derive(Debug, Clone)]
pub struct SsoSettings {
    /// The URL under which people's browsers reach this server (the callback's base).
    pub public_url: Option<url::Url>,
    /// How long a token from a sign-in is valid.
    pub token_ttl: Duration,
}

impl Default for SsoSettings {
    fn default() -> Self {
        SsoSettings {
            public_url: None,
            token_ttl: Duration::from_secs(12 * 3600),
        }
    }
}

/// The device authorization endpoint, which discovery documents carry beside the core fields.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DeviceEndpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device_authorization_endpoint: Option<DeviceAuthorizationUrl>,
}
impl AdditionalProviderMetadata for DeviceEndpoint {}

type Metadata = ProviderMetadata<
    DeviceEndpoint,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    ProviderKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The ID token's claims beyond the standard ones (`groups`, ...), for the connector's rules.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    all: serde_json::Map<String, Value>,
}
impl AdditionalClaims for OtherClaims {}

type IdFields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<IdFields, CoreTokenType>;
type OidcClient<HasDevice = EndpointNotSet> = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    ProviderKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    HasDevice,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A provider as cached: its discovery document and its keys.
struct Provider {
    metadata: Metadata,
    discovered_at: Instant,
    keys: RwLock<Arc<KeySet>>,
    /// Held while the JWKS is re-fetched; the time of the last re-fetch.
    refetch: tokio::sync::Mutex<Option<Instant>>,
}

/// Who the provider says signed in, from an ID token that passed every check.
#[derive(Debug, Clone)]
pub struct Identity {
    pub iss: String,
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub auth_at: Timestamp,
    pub claims: serde_json::Map<String, Value>,
}

impl Identity {
    pub fn claims(&self) -> Claims<'_> {
        Claims {
            email: self.email.as_deref(),
            email_verified: self.email_verified,
            all: &self.claims,
        }
    }
}

/// A browser sign-in, started: where to send the person, and what to keep until they return.
pub struct BrowserStart {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A device sign-in, started.
pub struct DeviceStart {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: i64,
    pub interval: i64,
    pub nonce: String,
}

/// One poll of the provider's token endpoint for a device sign-in.
pub enum DevicePoll {
    Pending,
    /// The provider could not be reached (the sign-in goes on; the client may poll again).
    Unreachable(String),
    /// The provider asks for polls this many seconds apart from now on.
    SlowDown(i64),
    Done(Box<Identity>),
}

/// Why the provider could not be used (not the person's fault).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProviderError(String);

#[derive(Debug, thiserror::Error)]
enum HttpError {
    #[error("{0}")]
    Request(#[from] reqwest::Error),
    #[error("{0}")]
    Response(#[from] openidconnect::http::Error),
}

/// A request to a provider, under way.
type HttpFuture = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<openidconnect::HttpResponse, HttpError>> + Send>,
>;

/// Sign-in state shared by the handlers of one server.
pub struct Sso {
    settings: SsoSettings,
    public_url: OnceLock<url::Url>,
    http: reqwest::Client,
    providers: Mutex<HashMap<String, Arc<Provider>>>,
}

impl Sso {
    pub fn new(settings: SsoSettings) -> Self {
        // reqwest is built without a default TLS provider (see `webhooks`).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            // Following a provider's redirects would let it point the server anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .expect("the HTTP client for identity providers builds");
        Sso {
            settings,
            public_url: OnceLock::new(),
            http,
            providers: Mutex::new(HashMap::new()),
        }
    }

    /// Settles the public URL once the server is bound: `--public-url`, else the bound
    /// address when it is loopback.
    pub fn bound(&self, address: SocketAddr, tls: bool) {
        let url = match &self.settings.public_url {
            Some(url) => Some(url.clone()),
            None if address.ip().is_loopback() => {
                let scheme = if tls { "https" } else { "http" };
                url::Url::parse(&format!("{scheme}://{address}")).ok()
            }
            None => None,
        };
        if let Some(url) = url {
            let _ = self.public_url.set(url);
        }
    }

    pub fn token_ttl(&self) -> Duration {
        self.settings.token_ttl
    }

    /// Where providers send browsers back: `<public URL>/v1/auth/callback`.
    pub fn redirect_uri(&self) -> Option<String> {
        let base = self.public_url.get()?;
        Some(format!(
            "{}/v1/auth/callback",
            base.as_str().trim_end_matches('/')
        ))
    }

    fn http_client(&self) -> impl Fn(openidconnect::HttpRequest) -> HttpFuture + use<> {
        let client = self.http.clone();
        move |request: openidconnect::HttpRequest| -> HttpFuture {
            let client = client.clone();
            Box::pin(async move {
                let request = reqwest::Request::try_from(request)?;
                let response = client.execute(request).await?;
                let mut builder = openidconnect::http::Response::builder()
                    .status(response.status().as_u16())
                    .version(response.version());
                for (name, value) in response.headers() {
                    builder = builder.header(name, value);
                }
                let body = response.bytes().await?;
                Ok(builder.body(body.to_vec())?)
            })
        }
    }

    /// [`Sso::http_client`], noting in `unreachable` why a request got no answer.
    fn noting_failures(
        &self,
        unreachable: Arc<Mutex<Option<String>>>,
    ) -> impl Fn(openidconnect::HttpRequest) -> HttpFuture + use<> {
        let base = self.http_client();
        move |request: openidconnect::HttpRequest| -> HttpFuture {
            let sent = base(request);
            let unreachable = Arc::clone(&unreachable);
            Box::pin(async move {
                let result = sent.await;
                if let Err(error) = &result {
                    *unreachable
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                        Some(error_chain(error));
                }
                result
            })
        }
    }

    /// The provider at `issuer`, discovered (or from the cache).
    async fn provider(&self, issuer: &str) -> Result<Arc<Provider>, ProviderError> {
        if let Some(provider) = self.cached(issuer) {
            return Ok(provider);
        }
        let issuer_url = IssuerUrl::new(issuer.to_owned())
            .map_err(|e| ProviderError(format!("the issuer '{issuer}' is not a URL: {e}")))?;
        let http = self.http_client();
        let metadata = Metadata::discover_async(issuer_url, &http)
            .await
            .map_err(|e| {
                ProviderError(format!(
                    "discovery of the identity provider {issuer} failed: {}",
                    error_chain(&e)
                ))
            })?;
        let keys = metadata.jwks().clone();
        let provider = Arc::new(Provider {
            metadata,
            discovered_at: Instant::now(),
            keys: RwLock::new(Arc::new(keys)),
            refetch: tokio::sync::Mutex::new(None),
        });
        self.providers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(issuer.to_owned(), Arc::clone(&provider));
        Ok(provider)
    }

    fn cached(&self, issuer: &str) -> Option<Arc<Provider>> {
        let providers = self
            .providers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        providers
            .get(issuer)
            .filter(|provider| provider.discovered_at.elapsed() < DISCOVERY_TTL)
            .cloned()
    }

    /// Checks a connector's issuer before it is stored: discovery works and offers what the
    /// connector asks for.
    pub async fn check_issuer(&self, issuer: &str, device: bool) -> Result<(), ProviderError> {
        // A connector created again after its provider changed is discovered afresh.
        self.providers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(issuer);
        let provider = self.provider(issuer).await?;
        if device
            && provider
                .metadata
                .additional_metadata()
                .device_authorization_endpoint
                .is_none()
        {
            return Err(ProviderError(format!(
                "the identity provider {issuer} has no device authorization endpoint; drop \
                 `device` from the connector's flows"
            )));
        }
        Ok(())
    }

    fn client(&self, provider: &Provider, connector: &ConnectorRecord) -> OidcClient {
        let client: OidcClient = openidconnect::Client::from_provider_metadata(
            provider.metadata.clone(),
            ClientId::new(connector.client_id.clone()),
            Some(ClientSecret::new(connector.client_secret.clone())),
        );
        client.set_auth_type(AuthType::BasicAuth)
    }

    pub async fn start_browser(
        &self,
        connector: &ConnectorRecord,
    ) -> Result<BrowserStart, ProviderError> {
        let redirect = self.redirect_uri().ok_or_else(|| {
            ProviderError(
                "this server has no public URL for the provider to send browsers back to; \
                 start it with --public-url"
                    .into(),
            )
        })?;
        let provider = self.provider(&connector.issuer).await?;
        let client = self.client(&provider, connector).set_redirect_uri(
            RedirectUrl::new(redirect).map_err(|e| ProviderError(e.to_string()))?,
        );
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in scopes(connector) {
            request = request.add_scope(Scope::new(scope));
        }
        let (url, state, nonce) = request.url();
        Ok(BrowserStart {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// The code from the provider's redirect, exchanged and its ID token checked.
    pub async fn finish_browser(
        &self,
        connector: &ConnectorRecord,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Identity, Refusal> {
        let redirect = self.redirect_uri().unwrap_or_default();
        let provider = self
            .provider(&connector.issuer)
            .await
            .map_err(provider_refusal)?;
        let client = self
            .client(&provider, connector)
            .set_redirect_uri(RedirectUrl::new(redirect).map_err(|e| failed(e.to_string()))?);
        let http = self.http_client();
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| failed(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&http)
            .await
            .map_err(|e| token_refusal(&e))?;
        self.verify(&provider, connector, &tokens, nonce).await
    }

    pub async fn start_device(
        &self,
        connector: &ConnectorRecord,
    ) -> Result<DeviceStart, ProviderError> {
        let provider = self.provider(&connector.issuer).await?;
        let endpoint = provider
            .metadata
            .additional_metadata()
            .device_authorization_endpoint
            .clone()
            .ok_or_else(|| {
                ProviderError(format!(
                    "the identity provider {} has no device authorization endpoint",
                    connector.issuer
                ))
            })?;
        let client = self
            .client(&provider, connector)
            .set_device_authorization_url(endpoint);
        let mut request = client.exchange_device_code();
        for scope in scopes(connector) {
            request = request.add_scope(Scope::new(scope));
        }
        let http = self.http_client();
        let details: CoreDeviceAuthorizationResponse =
            request.request_async(&http).await.map_err(|e| {
                ProviderError(format!(
                    "the identity provider refused to start a device sign-in: {}",
                    error_chain(&e)
                ))
            })?;
        Ok(DeviceStart {
            device_code: details.device_code().secret().clone(),
            user_code: details.user_code().secret().clone(),
            verification_uri: details.verification_uri().to_string(),
            verification_uri_complete: details
                .verification_uri_complete()
                .map(|uri| uri.secret().clone()),
            expires_in: i64::try_from(details.expires_in().as_secs()).unwrap_or(600),
            interval: i64::try_from(details.interval().as_secs())
                .unwrap_or(5)
                .max(1),
            // The device flow has no authorization request to carry a nonce: the ID token
            // must then have none (checked as "absent").
            nonce: String::new(),
        })
    }

    /// One poll of the token endpoint for a device sign-in. The crate's poll loop is run
    /// until it would sleep: that is one request answered "pending" or "slow down".
    pub async fn poll_device(
        &self,
        connector: &ConnectorRecord,
        device_code: &str,
        interval: i64,
        expires_in: i64,
    ) -> Result<DevicePoll, Refusal> {
        let provider = self
            .provider(&connector.issuer)
            .await
            .map_err(provider_refusal)?;
        let endpoint = provider
            .metadata
            .additional_metadata()
            .device_authorization_endpoint
            .clone()
            .ok_or_else(|| failed("the identity provider has no device endpoint".into()))?;
        let client = self
            .client(&provider, connector)
            .set_device_authorization_url(endpoint);
        let details: CoreDeviceAuthorizationResponse = serde_json::from_value(serde_json::json!({
            "device_code": device_code,
            "user_code": "-",
            "verification_uri": "http://localhost/",
            "expires_in": expires_in.max(1),
            "interval": interval.max(1),
        }))
        .map_err(|e| failed(e.to_string()))?;
        // The crate's loop takes a failed request for a reason to back off: noted here, so that
        // it is said rather than taken for "pending".
        let unreachable: Arc<Mutex<Option<String>>> = Arc::default();
        let http = self.noting_failures(Arc::clone(&unreachable));
        let asked_to_wait: Arc<Mutex<Option<Duration>>> = Arc::default();
        let notify = Arc::new(tokio::sync::Notify::new());
        let sleep = {
            let asked_to_wait = Arc::clone(&asked_to_wait);
            let notify = Arc::clone(&notify);
            move |wait: Duration| {
                *asked_to_wait
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(wait);
                notify.notify_one();
                std::future::pending::<()>()
            }
        };
        let request = client
            .exchange_device_access_token(&details)
            .map_err(|e| failed(e.to_string()))?
            .request_async(&http, sleep, None);
        let tokens: Tokens = tokio::select! {
            result = request => result.map_err(|e| device_refusal(&e))?,
            _ = notify.notified() => {
                if let Some(error) = unreachable
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .take()
                {
                    return Ok(DevicePoll::Unreachable(format!(
                        "the identity provider cannot be reached: {error}"
                    )));
                }
                let wait = asked_to_wait
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .unwrap_or_default();
                let wait = i64::try_from(wait.as_secs()).unwrap_or(interval);
                return Ok(if wait > interval {
                    DevicePoll::SlowDown(wait)
                } else {
                    DevicePoll::Pending
                });
            }
        };
        let identity = self.verify(&provider, connector, &tokens, "").await?;
        Ok(DevicePoll::Done(Box::new(identity)))
    }

    /// Checks the ID token of a token response; an unknown key id re-fetches the provider's
    /// keys once (see the module's comment) and checks again.
    async fn verify(
        &self,
        provider: &Provider,
        connector: &ConnectorRecord,
        tokens: &Tokens,
        nonce: &str,
    ) -> Result<Identity, Refusal> {
        let Some(id_token) = tokens.id_token() else {
            return Err(failed(
                "the identity provider sent no ID token; the connector must ask for the \
                 `openid` scope"
                    .into(),
            ));
        };
        let keys = read_keys(provider);
        match check(provider, connector, &keys, id_token, nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let keys = self.refetch_keys(provider, &keys).await;
                check(provider, connector, &keys, id_token, nonce).map_err(claims_refusal)
            }
            other => other.map_err(claims_refusal),
        }
    }

    /// The provider's keys after one fetch made for whoever saw `stale`: a caller that waited
    /// while another fetched gets that fetch's keys; none fetches twice within 10 s.
    async fn refetch_keys(&self, provider: &Provider, stale: &Arc<KeySet>) -> Arc<KeySet> {
        let mut last_fetch = provider.refetch.lock().await;
        let current = read_keys(provider);
        if !Arc::ptr_eq(&current, stale)
            || last_fetch.is_some_and(|last| last.elapsed() < JWKS_REFETCH_MIN)
        {
            return current;
        }
        *last_fetch = Some(Instant::now());
        let http = self.http_client();
        match JsonWebKeySet::fetch_async(provider.metadata.jwks_uri(), &http).await {
            Ok(keys) => {
                tracing::info!(issuer = %provider.metadata.issuer().as_str(), "fetched the identity provider's keys again (unknown key id)");
                let keys = Arc::new(keys);
                *provider
                    .keys
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::clone(&keys);
                keys
            }
            Err(error) => {
                tracing::warn!(issuer = %provider.metadata.issuer().as_str(), error = %error_chain(&error), "cannot fetch the identity provider's keys");
                current
            }
        }
    }
}

fn read_keys(provider: &Provider) -> Arc<KeySet> {
    Arc::clone(
        &provider
            .keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    )
}

fn scopes(connector: &ConnectorRecord) -> Vec<String> {
    // `openid` is added by the crate.
    connector
        .scopes
        .iter()
        .filter(|scope| scope.as_str() != "openid")
        .cloned()
        .collect()
}

type IdToken = openidconnect::IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// The crate's ID token checks, with the keys given, asymmetric algorithms only, 60 s of
/// leeway on `exp` and `iat`, the `nonce` (none expected when empty), and `azp` when the token
/// has several audiences.
fn check(
    provider: &Provider,
    connector: &ConnectorRecord,
    keys: &KeySet,
    id_token: &IdToken,
    nonce: &str,
) -> Result<Identity, ClaimsVerificationError> {
    let client_id = ClientId::new(connector.client_id.clone());
    let now = chrono::Utc::now();
    let verifier = IdTokenVerifier::new_public_client(
        client_id.clone(),
        provider.metadata.issuer().clone(),
        keys.clone(),
    )
    .set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::EdDsa,
    ])
    .set_time_fn(move || now - chrono::Duration::seconds(LEEWAY_SECONDS))
    .set_issue_time_verifier_fn(move |issued| {
        if issued > now + chrono::Duration::seconds(LEEWAY_SECONDS) {
            Err(format!("the ID token was issued in the future ({issued})"))
        } else {
            Ok(())
        }
    });
    let expected = nonce.to_owned();
    let nonce_check = move |found: Option<&Nonce>| -> Result<(), String> {
        match (found, expected.is_empty()) {
            (Some(found), false) if found.secret() == &expected => Ok(()),
            (None, true) => Ok(()),
            (Some(_), true) => Err("the ID token has a nonce where none was sent".into()),
            (_, false) => Err("the ID token's nonce is not the one this sign-in sent".into()),
        }
    };
    let claims = id_token.claims(&verifier, nonce_check)?;
    if claims.audiences().len() > 1
        && claims.authorized_party().map(|party| party.as_str()) != Some(client_id.as_str())
    {
        return Err(ClaimsVerificationError::InvalidAudience(
            "the ID token has several audiences and its azp is not this client".into(),
        ));
    }
    let auth_at = claims.auth_time().unwrap_or_else(|| claims.issue_time());
    Ok(Identity {
        iss: claims.issuer().as_str().to_owned(),
        sub: claims.subject().as_str().to_owned(),
        email: claims.email().map(|email| email.as_str().to_owned()),
        email_verified: claims.email_verified(),
        auth_at: Timestamp::from_second(auth_at.timestamp()).unwrap_or_else(|_| Timestamp::now()),
        claims: claims.additional_claims().all.clone(),
    })
}

fn failed(detail: String) -> Refusal {
    Refusal::new(ErrorCode::SignInFailed, detail)
}

fn provider_refusal(error: ProviderError) -> Refusal {
    failed(error.0)
}

fn claims_refusal(error: ClaimsVerificationError) -> Refusal {
    failed(format!(
        "the identity provider's ID token did not pass the checks ({error}); ask an operator \
         to check the connector's issuer and client id"
    ))
}

fn token_refusal<RE: std::error::Error + 'static>(
    error: &RequestTokenError<RE, StandardErrorResponse<CoreErrorResponseType>>,
) -> Refusal {
    match error {
        RequestTokenError::ServerResponse(response) => failed(format!(
            "the identity provider refused the sign-in: {}{}",
            response.error(),
            response
                .error_description()
                .map(|text| format!(" ({text})"))
                .unwrap_or_default()
        )),
        other => failed(format!(
            "the identity provider could not be asked for the token: {}",
            error_chain(other)
        )),
    }
}

fn device_refusal<RE: std::error::Error + 'static>(
    error: &RequestTokenError<RE, openidconnect::DeviceCodeErrorResponse>,
) -> Refusal {
    use openidconnect::DeviceCodeErrorResponseType as Kind;
    match error {
        RequestTokenError::ServerResponse(response) => match response.error() {
            Kind::ExpiredToken => Refusal::new(
                ErrorCode::ExpiredToken,
                "the code expired before it was entered; start a new sign-in",
            ),
            Kind::AccessDenied => {
                failed("the sign-in was declined at the identity provider".into())
            }
            other => failed(format!(
                "the identity provider refused the sign-in: {other}"
            )),
        },
        other => failed(format!(
            "the identity provider could not be asked for the token: {}",
            error_chain(other)
        )),
    }
}

/// An error and its causes on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let words = cause.to_string();
        if !text.contains(&words) {
            text.push_str(": ");
            text.push_str(&words);
        }
        source = cause.source();
    }
    text
}
