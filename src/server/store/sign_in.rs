//! What the store keeps of sign-ins with an identity provider: connectors, flows in progress,
//! and what a verified sign-in asks of the accounts.

use jiff::Timestamp;

use crate::api::{ConnectorRule, ErrorCode, Role, SsoFlowKind};

/// A connector to store. `org` is the org whose admins it signs in; `None` the vendor's.
#[derive(Debug, Clone)]
pub struct NewConnector {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    pub flows: Vec<SsoFlowKind>,
    pub email_domains: Vec<String>,
    pub rules: Vec<ConnectorRule>,
    pub provision: bool,
}

/// A stored connector, with its secret (never sent to a client).
#[derive(Clone)]
pub struct ConnectorRecord {
    pub pk: i64,
    /// The org's pk, or 0 for the vendor's.
    pub org_pk: i64,
    pub org: Option<String>,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    pub flows: Vec<SsoFlowKind>,
    pub email_domains: Vec<String>,
    pub rules: Vec<ConnectorRule>,
    pub provision: bool,
    pub created_at: Timestamp,
    pub created_by: String,
}

impl std::fmt::Debug for ConnectorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorRecord")
            .field("org", &self.org)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish_non_exhaustive()
    }
}

/// A sign-in to start. `id_hash` is the SHA-256 of the flow id the client polls with.
#[derive(Debug, Clone)]
pub struct NewFlow {
    pub id_hash: String,
    pub connector_pk: i64,
    pub kind: SsoFlowKind,
    pub state: Option<String>,
    pub nonce: String,
    pub pkce_verifier: Option<String>,
    pub device_code: Option<String>,
    pub interval_seconds: i64,
    pub expires_at: Timestamp,
}

/// Where a sign-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowStatus {
    /// Waiting for the person at the provider.
    Pending,
    /// The account is known; its token is not handed out yet.
    Ready,
    /// Refused; the flow's refusal says why.
    Failed,
    /// The token was handed out.
    Taken,
}

impl FlowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowStatus::Pending => "pending",
            FlowStatus::Ready => "ready",
            FlowStatus::Failed => "failed",
            FlowStatus::Taken => "taken",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => FlowStatus::Pending,
            "ready" => FlowStatus::Ready,
            "failed" => FlowStatus::Failed,
            "taken" => FlowStatus::Taken,
            _ => return None,
        })
    }
}

/// A sign-in in progress, as stored.
#[derive(Debug, Clone)]
pub struct FlowRecord {
    pub pk: i64,
    pub connector_pk: i64,
    pub kind: SsoFlowKind,
    pub nonce: String,
    pub pkce_verifier: Option<String>,
    pub device_code: Option<String>,
    pub interval_seconds: i64,
    pub next_poll_at: Timestamp,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub status: FlowStatus,
    pub refusal: Option<Refusal>,
}

/// Why a sign-in was refused: the problem the client gets, and what the audit event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    /// A sentence the person can act on.
    pub detail: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Refusal {
            code,
            detail: detail.into(),
        }
    }
}

/// Who tried to sign in, as far as is known, for an `account.login_failed` event.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    pub email: Option<String>,
    pub iss: Option<String>,
    pub sub: Option<String>,
}

/// A sign-in whose ID token passed every check: who the provider says the person is, and the
/// role the connector's rules give them.
#[derive(Debug, Clone)]
pub struct VerifiedSignIn {
    pub iss: String,
    pub sub: String,
    pub email: String,
    pub role: Role,
    pub auth_at: Timestamp,
}

/// A sign-in's token to hand out.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub hash: crate::server::store::values::TokenHash,
    pub expires_at: Timestamp,
}
