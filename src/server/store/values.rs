//! The values the store takes and returns, its errors, and its pool settings: a leaf module,
//! so that the store's files and their callers share them without importing each other.

use std::sync::Arc;

use jiff::Timestamp;

use crate::api::{Area, Level, Role};
use crate::server::domain::policy::{Effective, ScopeLimits};
use crate::server::domain::requests::Narrowing;

pub use crate::server::domain::{SessionAuth, SessionRecord};

/// What went wrong in the store, in terms a handler can answer with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Policy(String),
    /// Refused by the policy because of what was decided before (approvals given for less):
    /// 409, code `policy_violation`.
    #[error("{0}")]
    PolicyConflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
}

/// Connection-level failures seen by any store of this process: `/healthz` trusts its cached
/// status only while this has not moved since that status was checked (see `server::health`).
pub static UNAVAILABLE_ERRORS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        // Connection-level failures mean "try again shortly" (503), not a bug (500).
        let unavailable = match &error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => true,
            // PostgreSQL connection exceptions (08xxx) and shutdowns (57P0x).
            sqlx::Error::Database(db) => db
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
            _ => false,
        };
        if unavailable {
            UNAVAILABLE_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            StoreError::Unavailable(error.to_string())
        } else {
            StoreError::Database(error.to_string())
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// SHA-256 of a token: the only form in which tokens are stored or compared.
pub type TokenHash = [u8; 32];

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub pk: i64,
    pub id: String,
    pub email: String,
    pub role: Role,
    /// The org of an admin.
    pub org: Option<String>,
}

impl Principal {
    /// The server's own actor, for events nobody caused directly (expiries).
    pub fn system() -> Self {
        Principal {
            pk: 0,
            id: "system".into(),
            email: "system".into(),
            role: Role::Operator,
            org: None,
        }
    }
}

/// An account found by its token hash, with what decides whether it may still act.
#[derive(Debug, Clone)]
pub struct AccountAuth {
    pub principal: Principal,
    pub disabled: bool,
    pub org_disabled: bool,
    /// When the token expires (a token from a sign-in); never for other tokens.
    pub token_expires_at: Option<Timestamp>,
    /// The connector the token was signed in through.
    pub token_connector: Option<String>,
    /// When its holder signed in at the provider (for step-up checks).
    pub token_auth_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub role: Role,
    pub org: Option<String>,
    pub token_hash: TokenHash,
}

#[derive(Debug, Clone)]
pub struct NewGrant {
    pub level: Level,
    pub areas: Vec<Area>,
    pub engineers: Vec<String>,
    pub expires_at: Timestamp,
    pub reason: String,
    pub ticket: Option<String>,
    /// The version of the org's policy the grant was checked against.
    pub policy_version: i64,
    /// The auto-approval rule that approved it (then it names no admin as its creator).
    pub approval_rule: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub grant_id: Option<String>,
    pub level: Option<Level>,
    pub areas: Option<Vec<Area>>,
    pub ttl_seconds: i64,
    pub reason: String,
    pub token_hash: TokenHash,
    /// Refused when the engineer already has this many active sessions.
    pub max_active: u32,
    /// The version of the org's policy the ttl was checked against.
    pub policy_version: i64,
    /// What the org's policy allows a session now (its grant may be older than the policy).
    pub limits: ScopeLimits,
}

/// An access request, checked against the org's policy at `policy_version`.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub level: Level,
    pub areas: Vec<Area>,
    pub duration_seconds: i64,
    pub reason: String,
    pub ticket: Option<String>,
    pub expires_at: Timestamp,
    pub approvals_required: i64,
    pub policy_version: i64,
    /// A break-glass request, checked against the policy's `break_glass` limits.
    pub break_glass: bool,
}

/// One admin's approval: what they narrowed, and the policy the result must satisfy.
#[derive(Debug, Clone)]
pub struct ApprovalAsk {
    pub narrowing: Narrowing,
    pub comment: Option<String>,
    pub policy: Effective,
}

/// Which requests a list covers.
#[derive(Debug, Clone)]
pub enum RequestScope<'a> {
    Org(&'a str),
    Requester(&'a Principal),
}

/// A request with who may see it: its org's admins and its requester.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub request: crate::api::AccessRequest,
    pub requester_pk: i64,
}

/// Which grants a list covers.
#[derive(Debug, Clone)]
pub enum GrantScope<'a> {
    Org(&'a str),
    /// Grants naming this support engineer, or the whole team, in enabled orgs.
    UsableBy(&'a Principal),
}

/// Which sessions a list covers.
#[derive(Debug, Clone)]
pub enum SessionScope<'a> {
    Org(&'a str),
    Engineer(&'a Principal),
}

/// Whether a change commits, or is a dry run: every check and every statement runs in the
/// transaction as for the real change, which is then rolled back. One path for both, so a
/// dry run cannot answer differently from the change it previews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Commit,
    DryRun,
}

#[derive(Debug, Clone)]
pub enum RevokeSelection {
    Ids(Vec<String>),
    AllActive,
}

/// A page request: `after` is the decoded keyset cursor.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<i64>,
    /// Also count the whole list (at most [`crate::api::ListTotal::COUNTED_AT_MOST`] items).
    pub count: bool,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub after_seq: Option<i64>,
    pub before_seq: Option<i64>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub action: Option<String>,
    pub grant: Option<String>,
    pub session: Option<String>,
    pub request: Option<String>,
    pub actor: Option<String>,
    /// Newest first.
    pub descending: bool,
    pub limit: i64,
}

/// One `authorize` question about a known session, to be decided and written to the
/// session's org audit log.
#[derive(Debug, Clone)]
pub struct AccessRequest {
    /// The session as looked up (possibly from the cache): which org and session it is.
    pub session: Arc<SessionAuth>,
    /// The hash of the session's token, the key its lookup is cached under.
    pub token: TokenHash,
    pub reporter: Principal,
    pub area: Area,
    pub action: crate::api::Action,
    pub resource: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub grants_expired: usize,
    pub sessions_expired: usize,
    pub requests_expired: usize,
}

/// What `/metrics` reports about the data, counted when scraped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataCounts {
    pub active_grants: i64,
    pub active_sessions: i64,
    pub pending_requests: i64,
    /// Webhook deliveries waiting for an attempt (the outbox backlog).
    pub pending_deliveries: i64,
}

/// One of the store's connection pools, as `/metrics` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConnections {
    pub pool: &'static str,
    pub in_use: u32,
    pub idle: u32,
}

/// Connection pool settings (flags of `supportctl server`).
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: std::time::Duration,
    pub idle_timeout: std::time::Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            min_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(5),
            idle_timeout: std::time::Duration::from_secs(600),
        }
    }
}
