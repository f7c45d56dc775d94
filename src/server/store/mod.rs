//! Storage behind one trait. Handlers only see [`Store`]; the SQL implementation serves SQLite
//! and PostgreSQL (see `sqlite.rs` and `postgres.rs` for what differs), and [`cache`] wraps a
//! single-process store with an in-memory authentication cache.

mod backend;
pub mod cache;
mod chain;
pub mod cursor;
pub mod notify;
pub mod outbox;
pub mod postgres;
pub mod schema;
mod script;
pub mod sign_in;
mod sql;
pub mod sqlite;
mod webhook_rows;

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::api::{
    Account, Area, AuditEvent, BulkRevokeResult, Grant, GrantStatusFilter, Level, Org, OrgPolicy,
    Page, PutOrgPolicy, RequestStatusFilter, Role, Session, SessionStatusFilter,
};
use crate::api::{Delivery, DeliveryStatus, Webhook};
use crate::api::{PendingPolicyChange, PolicyChangeOutcome};
use crate::server::domain::policy::{Effective, ScopeLimits};
use crate::server::domain::requests::Narrowing;

pub use crate::server::domain::{SessionAuth, SessionRecord};
use sign_in::{
    Attempt, ConnectorRecord, FlowRecord, IssuedToken, NewConnector, NewFlow, Refusal,
    VerifiedSignIn,
};
pub use sql::{ChainCheck, Review, SqlStore, TreeHead};
pub use webhook_rows::{AttemptOutcome, ClaimedDelivery, FinishedAttempt, NewWebhook};

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

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for `/healthz` and logs.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> StoreResult<()>;
    /// Closes the connections at shutdown (SQLite folds its WAL into the file then).
    async fn close(&self);

    /// Shared (`Arc`), because they are cached and read on every request.
    async fn authenticate_account(
        &self,
        token: &TokenHash,
    ) -> StoreResult<Option<Arc<AccountAuth>>>;
    async fn authenticate_session(
        &self,
        token: &TokenHash,
    ) -> StoreResult<Option<Arc<SessionAuth>>>;
    /// Both lookups of a platform call at once; no session without the account.
    async fn authenticate_call(
        &self,
        account: &TokenHash,
        session: &TokenHash,
    ) -> StoreResult<(Option<Arc<AccountAuth>>, Option<Arc<SessionAuth>>)>;

    async fn create_org(
        &self,
        actor: &Principal,
        slug: &str,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Org>;
    async fn list_orgs(&self, page: PageRequest) -> StoreResult<Page<Org>>;
    async fn get_org(&self, slug: &str) -> StoreResult<Option<Org>>;
    /// Disables the org and closes its open sessions.
    async fn disable_org(&self, actor: &Principal, slug: &str, now: Timestamp) -> StoreResult<Org>;

    async fn create_account(
        &self,
        actor: &Principal,
        account: &NewAccount,
        now: Timestamp,
    ) -> StoreResult<Account>;
    async fn list_accounts(&self, page: PageRequest) -> StoreResult<Page<Account>>;
    async fn find_account_by_email(&self, email: &str) -> StoreResult<Option<Account>>;
    /// Disables the account and closes its open sessions.
    async fn disable_account(
        &self,
        actor: &Principal,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Account>;
    async fn rotate_account_token(
        &self,
        actor: &Principal,
        id: &str,
        token: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Account>;
    async fn count_operators(&self) -> StoreResult<i64>;

    async fn create_grant(
        &self,
        actor: &Principal,
        org: &str,
        grant: &NewGrant,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<Grant>;
    async fn list_grants(
        &self,
        scope: GrantScope<'_>,
        status: GrantStatusFilter,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<Grant>>;
    async fn get_grant(&self, org: &str, id: &str, now: Timestamp) -> StoreResult<Option<Grant>>;
    /// Moves an active grant's expiry by `by_seconds`, refusing to go past `latest`.
    #[allow(clippy::too_many_arguments)]
    async fn extend_grant(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        by_seconds: i64,
        policy: &Effective,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<Grant>;
    /// Revokes in one transaction; inactive grants are left as they are.
    async fn revoke_grants(
        &self,
        actor: &Principal,
        org: &str,
        selection: &RevokeSelection,
        reason: Option<&str>,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<BulkRevokeResult>;

    async fn open_session(
        &self,
        engineer: &Principal,
        org: &str,
        session: &NewSession,
        now: Timestamp,
    ) -> StoreResult<Session>;
    async fn list_sessions(
        &self,
        scope: SessionScope<'_>,
        status: SessionStatusFilter,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<Session>>;
    async fn get_session(&self, id: &str, now: Timestamp) -> StoreResult<Option<Session>>;
    /// Closes an open session; a session that already ended is returned as it is.
    async fn close_session(
        &self,
        actor: &Principal,
        id: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Session>;

    /// Decides `access` on the session's state under its org's lock, so that no change that
    /// ended the session before this decision is missed, records the decision and returns it:
    /// `None` when allowed, else why not.
    async fn decide_access(
        &self,
        access: &AccessRequest,
        now: Timestamp,
    ) -> StoreResult<Option<String>>;
    async fn list_audit(&self, org: &str, filter: &AuditFilter) -> StoreResult<Page<AuditEvent>>;
    /// Writes `grant.expired` and `session.expired` events for expiries not yet recorded.
    async fn sweep_expired(&self, now: Timestamp) -> StoreResult<SweepReport>;

    // Signed checkpoints and the vendor chain (`vendor.rs`).
    /// The vendor chain's events, filtered like an org's.
    async fn list_vendor_audit(&self, filter: &AuditFilter) -> StoreResult<Page<AuditEvent>>;
    /// The committed head `(seq, hash)` of a chain; `None` for an org that does not exist.
    async fn audit_head(
        &self,
        chain: &crate::api::checkpoint::ChainId,
    ) -> StoreResult<Option<(i64, String)>>;
    /// A chain's committed Merkle tree (size and root); `None` for an org that does not exist.
    async fn audit_tree(
        &self,
        chain: &crate::api::checkpoint::ChainId,
    ) -> StoreResult<Option<TreeHead>>;
    /// The proof that event `seq` is in the chain's tree of `size` events.
    async fn audit_inclusion(
        &self,
        chain: &crate::api::checkpoint::ChainId,
        seq: i64,
        size: i64,
    ) -> StoreResult<crate::api::InclusionProof>;
    /// The proof that the chain's tree of `to` events extends its tree of `from` events.
    async fn audit_consistency(
        &self,
        chain: &crate::api::checkpoint::ChainId,
        from: i64,
        to: i64,
    ) -> StoreResult<crate::api::ConsistencyProof>;
    /// Stores `candidate` as the signing key unless there is one; returns the one stored.
    async fn signing_key(&self, candidate: &str, now: Timestamp) -> StoreResult<String>;
    /// The org's own policy; `None` while its admins never changed it; not found without org.
    async fn get_org_policy(&self, org: &str) -> StoreResult<Option<OrgPolicy>>;
    /// Replaces the org's policy if `put.version` is still current (else conflict), recording
    /// `policy.updated`; `current` is what the org has now when it has no policy of its own.
    async fn put_org_policy(
        &self,
        actor: &Principal,
        org: &str,
        put: &PutOrgPolicy,
        current: &OrgPolicy,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<PolicyChangeOutcome>;
    async fn get_pending_policy_change(
        &self,
        org: &str,
    ) -> StoreResult<Option<PendingPolicyChange>>;
    async fn approve_policy_change(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        current: &OrgPolicy,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<PolicyChangeOutcome>;

    async fn create_request(
        &self,
        engineer: &Principal,
        org: &str,
        request: &NewRequest,
        now: Timestamp,
    ) -> StoreResult<crate::api::AccessRequest>;
    async fn list_requests(
        &self,
        scope: RequestScope<'_>,
        status: RequestStatusFilter,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<crate::api::AccessRequest>>;
    async fn get_request(&self, id: &str, now: Timestamp) -> StoreResult<Option<RequestRecord>>;
    /// Adds an approval; the last one needed creates the grant in the same transaction.
    async fn approve_request(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        approval: &ApprovalAsk,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<crate::api::AccessRequest>;
    async fn deny_request(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        comment: &str,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<crate::api::AccessRequest>;
    /// An operator confirms a pending break-glass request: its grant starts in the same
    /// transaction, flagged break-glass and unacknowledged.
    async fn confirm_request(
        &self,
        operator: &Principal,
        org: &str,
        id: &str,
        comment: Option<&str>,
        policy: &Effective,
        now: Timestamp,
    ) -> StoreResult<crate::api::AccessRequest>;
    /// An org admin acknowledges or disputes a break-glass grant (a dispute revokes it).
    async fn review_grant(
        &self,
        admin: &Principal,
        org: &str,
        id: &str,
        review: Review<'_>,
        now: Timestamp,
    ) -> StoreResult<Grant>;
    /// Cancels the caller's own pending request.
    async fn cancel_request(
        &self,
        actor: &Principal,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<crate::api::AccessRequest>;
    /// Decisions on requests, as they commit on any replica (ids; `*`: re-read everything).
    fn request_events(&self) -> &notify::RequestEvents;

    // Customer rules: auto-approval rules (`rules.rs`) and ticket lifecycle (`tickets.rs`).
    async fn create_approval_rule(
        &self,
        actor: &Principal,
        org: &str,
        rule: &crate::server::domain::rules::NewRule,
        now: Timestamp,
    ) -> StoreResult<crate::api::ApprovalRule>;
    /// The org's rules not removed (in force or expired), oldest first.
    async fn list_approval_rules(
        &self,
        org: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<crate::api::ApprovalRule>>;
    /// Removes the org's rule named by `rule` (its id or name).
    async fn remove_approval_rule(
        &self,
        actor: &Principal,
        org: &str,
        rule: &str,
        now: Timestamp,
    ) -> StoreResult<crate::api::ApprovalRule>;
    /// Revokes the org's active grants with `ticket` (ending their sessions) and cancels its
    /// pending requests with it, in one transaction; writes nothing when there are none.
    async fn close_ticket(
        &self,
        actor: &Principal,
        org: &str,
        ticket: &str,
        comment: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<crate::api::TicketClosed>;

    // Webhooks (`webhooks.rs`) and their outbox (`deliveries.rs`).
    async fn create_webhook(
        &self,
        actor: &Principal,
        org: &str,
        webhook: &NewWebhook,
        now: Timestamp,
    ) -> StoreResult<Webhook>;
    async fn list_webhooks(&self, org: &str) -> StoreResult<Vec<Webhook>>;
    async fn get_webhook(&self, org: &str, id: &str) -> StoreResult<Option<Webhook>>;
    async fn delete_webhook(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Webhook>;
    /// Replaces the secret; the previous one keeps signing until `previous_until`, or, when
    /// `None`, is dropped at once.
    async fn rotate_webhook_secret(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        secret: &str,
        previous_until: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<Webhook>;
    /// Enqueues a `webhook.test` message to one webhook.
    async fn enqueue_test_delivery(
        &self,
        org: &str,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Delivery>;
    async fn list_deliveries(
        &self,
        org: &str,
        webhook_id: &str,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>>;
    /// Enqueues the message of a delivery again (same `webhook-id`), as a new delivery.
    async fn redeliver(
        &self,
        org: &str,
        webhook_id: &str,
        delivery_id: &str,
        now: Timestamp,
    ) -> StoreResult<Delivery>;
    /// Leases up to `limit` due deliveries until `lease_until`: no other worker, on any
    /// replica, claims them before then.
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limits: crate::server::domain::webhooks::ClaimLimits,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Records how attempts ended, in one transaction.
    async fn finish_deliveries(&self, finished: &[FinishedAttempt]) -> StoreResult<()>;
    /// Ends every lease (a SQLite server at start: no other process can hold one).
    async fn release_delivery_leases(&self) -> StoreResult<()>;
    /// Marks failed each webhook's newest pending deliveries beyond its first `limit`;
    /// returns how many.
    async fn fail_excess_deliveries(&self, limit: i64, now: Timestamp) -> StoreResult<u64>;
    /// Marks failed the pending deliveries of disabled webhooks; returns how many.
    async fn fail_deliveries_of_disabled_webhooks(&self, now: Timestamp) -> StoreResult<u64>;
    /// Pending deliveries, and the oldest one's creation time.
    async fn delivery_backlog(&self) -> StoreResult<(i64, Option<Timestamp>)>;
    /// Enqueues `grant.expiring` for active grants expiring within their org policy's expiry
    /// warning (`default_warning_seconds` for orgs without a policy) that have not had one for
    /// their current expiry; returns how many grants.
    async fn enqueue_expiring(
        &self,
        now: Timestamp,
        default_warning_seconds: i64,
    ) -> StoreResult<usize>;

    // Sign-in with an identity provider (`sso.rs`). `org` none: the vendor's connectors.
    async fn create_connector(
        &self,
        actor: &Principal,
        org: Option<&str>,
        connector: &NewConnector,
        now: Timestamp,
    ) -> StoreResult<ConnectorRecord>;
    async fn list_connectors(&self, org: Option<&str>) -> StoreResult<Vec<ConnectorRecord>>;
    async fn get_connector(
        &self,
        org: Option<&str>,
        name: &str,
    ) -> StoreResult<Option<ConnectorRecord>>;
    async fn connector_by_pk(&self, pk: i64) -> StoreResult<Option<ConnectorRecord>>;
    async fn delete_connector(
        &self,
        actor: &Principal,
        org: Option<&str>,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<ConnectorRecord>;
    async fn create_flow(&self, flow: &NewFlow, now: Timestamp) -> StoreResult<()>;
    /// A sign-in by the hash of its id.
    async fn flow_by_id(&self, id_hash: &str) -> StoreResult<Option<FlowRecord>>;
    /// The pending sign-in a provider's redirect names by `state`, claimed: no later redirect
    /// with the same `state` gets it (then `Err` with its connector's pk, if the state is known).
    async fn claim_flow_state(
        &self,
        state: &str,
        now: Timestamp,
    ) -> StoreResult<Result<FlowRecord, Option<i64>>>;
    async fn delay_flow(
        &self,
        flow_pk: i64,
        interval_seconds: i64,
        next_poll_at: Timestamp,
    ) -> StoreResult<()>;
    /// Fails the sign-in (when there is one) and records `account.login_failed`.
    async fn refuse_sign_in(
        &self,
        flow_pk: Option<i64>,
        connector: &ConnectorRecord,
        refusal: &Refusal,
        attempt: &Attempt,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Links or provisions the account of a verified sign-in, or says why not (changing
    /// nothing then).
    async fn sign_in(
        &self,
        flow: &FlowRecord,
        connector: &ConnectorRecord,
        who: &VerifiedSignIn,
        now: Timestamp,
    ) -> StoreResult<Result<(), Refusal>>;
    /// Hands a ready sign-in's token to its account, once.
    async fn take_flow_token(
        &self,
        flow: &FlowRecord,
        connector: &ConnectorRecord,
        token: &IssuedToken,
        now: Timestamp,
    ) -> StoreResult<Result<Account, Refusal>>;

    /// Active grants and sessions, pending requests and deliveries at `now`, in one statement.
    async fn data_counts(&self, now: Timestamp) -> StoreResult<DataCounts>;
    /// The connections of each pool, in use and idle.
    fn pool_connections(&self) -> Vec<PoolConnections>;
    /// From now on, each audit event written (to an org's chain or the vendor's) adds 1 to
    /// `counter`.
    fn count_audit_events(&self, counter: prometheus_client::metrics::counter::Counter);
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store that `url` names to serve it, migrated. A SQLite file is served by this
/// process alone: the returned lock holds it for as long as it lives, and lets the store
/// cache token lookups. PostgreSQL is shared by replicas: no lock, no cache.
pub async fn open(
    url: &str,
    pool: &PoolSettings,
) -> anyhow::Result<(DynStore, Option<sqlite::ExclusiveServe>)> {
    let store = open_sql(url, pool).await?;
    if url.starts_with("sqlite:") {
        let lock = sqlite::ExclusiveServe::acquire(&sqlite::path_of(url)?)?;
        let store = sqlite::with_cache(store, &lock);
        Ok((Arc::new(store), Some(lock)))
    } else {
        Ok((Arc::new(store), None))
    }
}

/// Opens the store that `url` names (`sqlite://PATH` or `postgres://...`) and migrates it,
/// beside any server that serves it (as `server init` does).
pub async fn open_shared(url: &str, pool: &PoolSettings) -> anyhow::Result<DynStore> {
    Ok(Arc::new(open_sql(url, pool).await?))
}

async fn open_sql(url: &str, pool: &PoolSettings) -> anyhow::Result<SqlStore> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres::open(url, pool).await
    } else if url.starts_with("sqlite:") {
        sqlite::open(url, pool).await
    } else {
        anyhow::bail!(
            "unsupported database URL '{}': use sqlite://PATH or postgres://...",
            redact_url(url)
        )
    }
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

/// A database URL fit for logs and errors: without its password, in the user info (up to the
/// last `@`, which an unescaped one in a password cannot cut short) or in a query parameter
/// (`?password=`, `sslpassword=`).
pub fn redact_url(url: &str) -> String {
    let redacted = match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:***@{host}")
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    let Some((base, query)) = redacted.split_once('?') else {
        return redacted;
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                format!("{name}=***")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}
