//! Sign-in with an identity provider (OIDC): connectors, and the sign-in flows that end with
//! an account token.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::resources::Account;
use super::vocabulary::Role;

/// How a person signs in through a connector: a browser redirected back to the server, or a
/// code typed on another device (RFC 8628).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SsoFlowKind {
    Browser,
    Device,
}

impl SsoFlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SsoFlowKind::Browser => "browser",
            SsoFlowKind::Device => "device",
        }
    }
}

impl std::fmt::Display for SsoFlowKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule that gives a role to whoever's ID token carries `value` in `claim` (a string claim
/// equal to it, or an array claim holding it). The first rule that matches decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorRule {
    #[schema(min_length = 1, max_length = 100)]
    pub claim: String,
    #[schema(min_length = 1, max_length = 200)]
    pub value: String,
    pub role: Role,
}

/// A connector to create. The client secret is kept by the server and never returned.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConnector {
    /// Its name, unique among the vendor's connectors or the org's.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")]
    pub name: String,
    /// The provider's issuer URL, exactly as its discovery document and ID tokens say it.
    #[schema(max_length = 500)]
    pub issuer: String,
    #[schema(min_length = 1, max_length = 500)]
    pub client_id: String,
    #[schema(min_length = 1, max_length = 1000)]
    pub client_secret: String,
    /// Default `["openid", "email", "profile", "groups"]`; `openid` is always asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Default `["browser"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flows: Option<Vec<SsoFlowKind>>,
    /// When set, only emails in these domains may sign in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_domains: Option<Vec<String>>,
    pub rules: Vec<ConnectorRule>,
    /// Create an account on first sign-in when none has the person's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision: Option<bool>,
}

/// A connector: the OIDC client settings through which people sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Connector {
    pub name: String,
    /// The org whose admins it signs in; null for the vendor's connectors (support engineers
    /// and operators).
    pub org: Option<String>,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub flows: Vec<SsoFlowKind>,
    pub email_domains: Vec<String>,
    pub rules: Vec<ConnectorRule>,
    pub provision: bool,
    /// The redirect URI to register with the provider.
    pub redirect_uri: String,
    pub created_at: Timestamp,
    pub created_by: String,
}

/// A connector one may sign in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuthMethod {
    pub connector: String,
    pub org: Option<String>,
    pub flows: Vec<SsoFlowKind>,
}

/// Starts a sign-in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartLogin {
    pub connector: String,
    /// The org of an org connector; absent for the vendor's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Default `browser`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<SsoFlowKind>,
}

/// A sign-in started: the client shows `url` (browser) or the code (device), then polls
/// `POST /v1/auth/login/{flow_id}/token` every `interval` seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoginStarted {
    /// Secret: whoever holds it receives the token.
    pub flow_id: String,
    pub flow: SsoFlowKind,
    pub expires_in: i64,
    pub interval: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_uri_complete: Option<String>,
}

/// The sign-in is not done yet: poll again after `interval` seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoginPending {
    /// Always `pending`.
    pub status: String,
    pub interval: i64,
}

/// The sign-in is done: the account token, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoginToken {
    pub token: String,
    pub account: Account,
    pub expires_at: Timestamp,
    pub connector: String,
}
