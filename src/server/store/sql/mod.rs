//! The SQL implementation of [`Store`], written once against sqlx's `Any` driver: the SQL is
//! portable between SQLite and PostgreSQL (`$n` placeholders, `RETURNING`, integer times), and
//! the few differences (row locks, how a write transaction begins) come from [`Backend`].
//!
//! One file per entity (`orgs`, `accounts`, `grants`, `sessions`, `audit`, `requests` and
//! `request_ends`, `policy`; `vendor`: the vendor chain, chain heads and the signing key) holds
//! the SQL of its `Store` methods as inherent methods of the same name; the `Store` impl below
//! forwards to them. `rows` turns result rows into values; the rules applied to those values live in
//! [`crate::server::domain`].

mod accounts;
mod audit;
mod authorize;
mod break_glass;
pub use break_glass::Review;
mod counts;
mod deliveries;
mod grants;
mod lookup;
mod maintenance;
pub use maintenance::ChainCheck;
pub use tree::TreeHead;
mod orgs;
mod policy;
mod request_ends;
mod requests;
mod rows;
mod rules;
mod sessions;
pub(super) mod sqlite_access;
mod sso;
mod tickets;
mod transactions;
pub(super) mod tree;
mod vendor;
mod webhooks;

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};

use self::rows::{
    LOCK_ORG_BY_PK_PG, LOCK_ORG_BY_PK_SQLITE, LOCK_ORG_BY_SLUG_PG, LOCK_ORG_BY_SLUG_SQLITE, OrgRow,
    org_row,
};
use super::backend::Backend;
use super::cache::{AuthCache, through_cache};
use super::cursor::encode_cursor;
use super::notify::RequestEvents;
use super::sign_in::{
    Attempt, ConnectorRecord, FlowRecord, IssuedToken, NewConnector, NewFlow, Refusal,
    VerifiedSignIn,
};
use super::{
    AccessRequest as AccessQuestion, AccountAuth, ApprovalAsk, AuditFilter, ClaimedDelivery,
    FinishedAttempt, GrantScope, NewAccount, NewGrant, NewRequest, NewSession, NewWebhook,
    PageRequest, Principal, RequestRecord, RequestScope, RevokeSelection, SessionAuth,
    SessionScope, Store, StoreError, StoreResult, SweepReport, TokenHash, WriteMode,
};
use crate::api::{
    AccessRequest, Account, AuditEvent, BulkRevokeResult, Grant, GrantStatusFilter, ListTotal, Org,
    OrgPolicy, Page, PutOrgPolicy, RequestStatusFilter, Session, SessionStatusFilter,
};
use crate::api::{Delivery, DeliveryStatus, Webhook};
use crate::api::{PendingPolicyChange, PolicyChangeOutcome};
use crate::server::domain::policy::Effective;

/// A list's query, bound or about to be.
type ListQuery = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// Ids per `IN (...)` list.
const ID_CHUNK: usize = 500;

/// single connection so that writers queue in-process instead of failing with `SQLITE_BUSY`.
#[derive(Clone)]
pub struct SqlStore {
    pub(super) read: AnyPool,
    pub(super) write: AnyPool,
    pub(super) backend: Backend,
    /// Only for a SQLite file this process serves alone; see [`AuthCache`].
    pub(super) cache: Option<Arc<AuthCache>>,
    /// Request decisions as they commit (see [`RequestEvents`]).
    pub(super) events: Arc<RequestEvents>,
    /// `authorize` decisions waiting for their org's writer (see [`authorize`]).
    pub(super) access_queues: Arc<authorize::AccessQueues>,
    /// The connections the access writers use: on SQLite the write connection, on PostgreSQL
    /// a few of their own, so that a batch never queues behind the reads of the callers
    /// waiting for it.
    pub(super) access: AnyPool,
    /// Who waits for a connection of [`SqlStore::access`].
    pub(super) access_waiters: Arc<authorize::Waiters>,
    /// SQLite's access writers' own connection (see [`sqlite_access`]); `None` on PostgreSQL.
    pub(super) sqlite_access: Option<Arc<sqlite_access::SqliteAccess>>,
    /// Where the audit events written are counted, once a server asks (see [`counts`]).
    pub(super) audit_events: Arc<std::sync::OnceLock<prometheus_client::metrics::counter::Counter>>,
}

impl SqlStore {
    /// Reads an org and locks its chain head for the rest of the transaction.
    async fn lock_org(&self, tx: &mut AnyConnection, slug: &str) -> StoreResult<Option<OrgRow>> {
        let sql = match self.backend {
            Backend::Sqlite => LOCK_ORG_BY_SLUG_SQLITE,
            Backend::Postgres => LOCK_ORG_BY_SLUG_PG,
        };
        let row = sqlx::query(sql).bind(slug).fetch_optional(&mut *tx).await?;
        let org = row.map(|row| org_row(&row, self.backend)).transpose()?;
        Ok(org.map(|org| self.counting(org)))
    }

    /// [`SqlStore::lock_org`], for a write to an org that must exist: not found otherwise.
    async fn lock_existing_org(&self, tx: &mut AnyConnection, slug: &str) -> StoreResult<OrgRow> {
        self.lock_org(tx, slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no org '{slug}'")))
    }

    /// [`SqlStore::lock_existing_org`], for a change a disabled org refuses (a conflict).
    async fn lock_enabled_org(&self, tx: &mut AnyConnection, slug: &str) -> StoreResult<OrgRow> {
        let org = self.lock_existing_org(tx, slug).await?;
        if org.org.status == crate::api::EnabledStatus::Disabled {
            return Err(StoreError::Conflict(format!("org '{slug}' is disabled")));
        }
        Ok(org)
    }

    async fn lock_org_pk(&self, tx: &mut AnyConnection, pk: i64) -> StoreResult<OrgRow> {
        let sql = match self.backend {
            Backend::Sqlite => LOCK_ORG_BY_PK_SQLITE,
            Backend::Postgres => LOCK_ORG_BY_PK_PG,
        };
        let row = sqlx::query(sql).bind(pk).fetch_one(&mut *tx).await?;
        Ok(self.counting(org_row(&row, self.backend)?))
    }

    /// One page of a keyset list: `query` ends in `LIMIT` bound to `limit + 1` (the extra row
    /// tells whether there is a next page), and `decode` gives each row's key and item.
    async fn fetch_page<T>(
        &self,
        query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
        limit: i64,
        decode: impl Fn(&AnyRow) -> StoreResult<(i64, T)>,
    ) -> StoreResult<Page<T>> {
        let rows = query.fetch_all(&self.read).await?;
        let items = rows.iter().map(decode).collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(items, limit))
    }

    /// One page of a keyset list, and the whole list's count when the page asks for it.
    /// `sql` ends in its keyset condition and `LIMIT`; `bind` binds all its parameters, for
    /// rows after `after` (`None`: from the start) and a limit. The count reads the same
    /// query from the start, stopping after [`ListTotal::COUNTED_AT_MOST`] rows.
    async fn fetch_list<T>(
        &self,
        sql: String,
        bind: impl Fn(ListQuery, Option<i64>, i64) -> ListQuery,
        page: PageRequest,
        decode: impl Fn(&AnyRow) -> StoreResult<(i64, T)>,
    ) -> StoreResult<Page<T>> {
        let query = bind(
            sqlx::query(AssertSqlSafe(sql.clone())),
            page.after,
            page.limit + 1,
        );
        let mut listed = self.fetch_page(query, page.limit, decode).await?;
        if page.count {
            let most = i64::try_from(ListTotal::COUNTED_AT_MOST).unwrap_or(i64::MAX);
            let count = if page.after.is_none() && listed.next_cursor.is_none() {
                // The page is the whole list.
                i64::try_from(listed.items.len()).unwrap_or(i64::MAX)
            } else {
                let counting = format!("SELECT count(*) FROM ({sql}) AS listed");
                let query = bind(sqlx::query(AssertSqlSafe(counting)), None, most + 1);
                query.fetch_one(&self.read).await?.try_get::<i64, _>(0)?
            };
            listed.total = Some(ListTotal {
                count: u64::try_from(count.min(most)).unwrap_or(0),
                more: count > most,
            });
        }
        Ok(listed)
    }

    /// The pk of the org `slug`, or not found.
    async fn org_pk(&self, slug: &str) -> StoreResult<i64> {
        sqlx::query_scalar::<_, i64>("SELECT pk FROM orgs WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no org '{slug}'")))
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn create_connector(
        &self,
        actor: &Principal,
        org: Option<&str>,
        connector: &NewConnector,
        now: Timestamp,
    ) -> StoreResult<ConnectorRecord> {
        SqlStore::create_connector(self, actor, org, connector, now).await
    }

    async fn list_connectors(&self, org: Option<&str>) -> StoreResult<Vec<ConnectorRecord>> {
        SqlStore::list_connectors(self, org).await
    }

    async fn get_connector(
        &self,
        org: Option<&str>,
        name: &str,
    ) -> StoreResult<Option<ConnectorRecord>> {
        SqlStore::get_connector(self, org, name).await
    }

    async fn connector_by_pk(&self, pk: i64) -> StoreResult<Option<ConnectorRecord>> {
        SqlStore::connector_by_pk(self, pk).await
    }

    async fn delete_connector(
        &self,
        actor: &Principal,
        org: Option<&str>,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<ConnectorRecord> {
        SqlStore::delete_connector(self, actor, org, name, now).await
    }

    async fn create_flow(&self, flow: &NewFlow, now: Timestamp) -> StoreResult<()> {
        SqlStore::create_flow(self, flow, now).await
    }

    async fn flow_by_id(&self, id_hash: &str) -> StoreResult<Option<FlowRecord>> {
        SqlStore::flow_by_id(self, id_hash).await
    }

    async fn claim_flow_state(
        &self,
        state: &str,
        now: Timestamp,
    ) -> StoreResult<Result<FlowRecord, Option<i64>>> {
        SqlStore::claim_flow_state(self, state, now).await
    }

    async fn delay_flow(
        &self,
        flow_pk: i64,
        interval_seconds: i64,
        next_poll_at: Timestamp,
    ) -> StoreResult<()> {
        SqlStore::delay_flow(self, flow_pk, interval_seconds, next_poll_at).await
    }

    async fn refuse_sign_in(
        &self,
        flow_pk: Option<i64>,
        connector: &ConnectorRecord,
        refusal: &Refusal,
        attempt: &Attempt,
        now: Timestamp,
    ) -> StoreResult<()> {
        SqlStore::refuse_sign_in(self, flow_pk, connector, refusal, attempt, now).await
    }

    async fn sign_in(
        &self,
        flow: &FlowRecord,
        connector: &ConnectorRecord,
        who: &VerifiedSignIn,
        now: Timestamp,
    ) -> StoreResult<Result<(), Refusal>> {
        SqlStore::sign_in(self, flow, connector, who, now).await
    }

    async fn take_flow_token(
        &self,
        flow: &FlowRecord,
        connector: &ConnectorRecord,
        token: &IssuedToken,
        now: Timestamp,
    ) -> StoreResult<Result<Account, Refusal>> {
        SqlStore::take_flow_token(self, flow, connector, token, now).await
    }

    fn backend(&self) -> &'static str {
        self.backend.name()
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
        // The same pool as `write` on SQLite, where closing it again returns at once.
        self.access.close().await;
    }

    async fn authenticate_account(
        &self,
        token: &TokenHash,
    ) -> StoreResult<Option<Arc<AccountAuth>>> {
        through_cache(
            self.cache.as_deref(),
            |c| &c.accounts,
            token,
            || self.read_account_auth(token),
        )
        .await
    }

    async fn authenticate_session(
        &self,
        token: &TokenHash,
    ) -> StoreResult<Option<Arc<SessionAuth>>> {
        through_cache(
            self.cache.as_deref(),
            |c| &c.sessions,
            token,
            || self.read_session_auth(token),
        )
        .await
    }

    async fn authenticate_call(
        &self,
        account: &TokenHash,
        session: &TokenHash,
    ) -> StoreResult<(Option<Arc<AccountAuth>>, Option<Arc<SessionAuth>>)> {
        // The cache answers each lookup on its own; without one, one statement reads both.
        if self.cache.is_some() {
            let caller = self.authenticate_account(account).await?;
            let session = match caller {
                Some(_) => self.authenticate_session(session).await?,
                None => None,
            };
            return Ok((caller, session));
        }
        self.read_account_and_session(account, session).await
    }

    async fn create_org(
        &self,
        actor: &Principal,
        slug: &str,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Org> {
        SqlStore::create_org(self, actor, slug, name, now).await
    }

    async fn list_orgs(&self, page: PageRequest) -> StoreResult<Page<Org>> {
        SqlStore::list_orgs(self, page).await
    }

    async fn get_org(&self, slug: &str) -> StoreResult<Option<Org>> {
        SqlStore::get_org(self, slug).await
    }

    async fn disable_org(&self, actor: &Principal, slug: &str, now: Timestamp) -> StoreResult<Org> {
        SqlStore::disable_org(self, actor, slug, now).await
    }

    async fn create_account(
        &self,
        actor: &Principal,
        account: &NewAccount,
        now: Timestamp,
    ) -> StoreResult<Account> {
        SqlStore::create_account(self, actor, account, now).await
    }

    async fn list_accounts(&self, page: PageRequest) -> StoreResult<Page<Account>> {
        SqlStore::list_accounts(self, page).await
    }

    async fn find_account_by_email(&self, email: &str) -> StoreResult<Option<Account>> {
        SqlStore::find_account_by_email(self, email).await
    }

    async fn disable_account(
        &self,
        actor: &Principal,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Account> {
        SqlStore::disable_account(self, actor, id, now).await
    }

    async fn rotate_account_token(
        &self,
        actor: &Principal,
        id: &str,
        token: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Account> {
        SqlStore::rotate_account_token(self, actor, id, token, now).await
    }

    async fn count_operators(&self) -> StoreResult<i64> {
        SqlStore::count_operators(self).await
    }

    async fn create_grant(
        &self,
        actor: &Principal,
        org: &str,
        grant: &NewGrant,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<Grant> {
        let store = self.counting_for(mode);
        SqlStore::create_grant(&store, actor, org, grant, now, mode).await
    }

    async fn list_grants(
        &self,
        scope: GrantScope<'_>,
        status: GrantStatusFilter,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<Grant>> {
        SqlStore::list_grants(self, scope, status, page, now).await
    }

    async fn get_grant(&self, org: &str, id: &str, now: Timestamp) -> StoreResult<Option<Grant>> {
        SqlStore::get_grant(self, org, id, now).await
    }

    async fn extend_grant(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        by_seconds: i64,
        policy: &Effective,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<Grant> {
        let store = self.counting_for(mode);
        SqlStore::extend_grant(&store, actor, org, id, by_seconds, policy, now, mode).await
    }

    async fn revoke_grants(
        &self,
        actor: &Principal,
        org: &str,
        selection: &RevokeSelection,
        reason: Option<&str>,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<BulkRevokeResult> {
        let store = self.counting_for(mode);
        SqlStore::revoke_grants(&store, actor, org, selection, reason, now, mode).await
    }

    async fn open_session(
        &self,
        engineer: &Principal,
        org: &str,
        session: &NewSession,
        now: Timestamp,
    ) -> StoreResult<Session> {
        SqlStore::open_session(self, engineer, org, session, now).await
    }

    async fn list_sessions(
        &self,
        scope: SessionScope<'_>,
        status: SessionStatusFilter,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<Session>> {
        SqlStore::list_sessions(self, scope, status, page, now).await
    }

    async fn get_session(&self, id: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        SqlStore::get_session(self, id, now).await
    }

    async fn close_session(
        &self,
        actor: &Principal,
        id: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Session> {
        SqlStore::close_session(self, actor, id, reason, now).await
    }

    async fn decide_access(
        &self,
        access: &AccessQuestion,
        now: Timestamp,
    ) -> StoreResult<Option<String>> {
        SqlStore::decide_access(self, access, now).await
    }

    async fn list_audit(&self, org: &str, filter: &AuditFilter) -> StoreResult<Page<AuditEvent>> {
        SqlStore::list_audit(self, org, filter).await
    }

    async fn sweep_expired(&self, now: Timestamp) -> StoreResult<SweepReport> {
        let mut report = SqlStore::sweep_expired(self, now).await?;
        report.requests_expired = self.sweep_requests(now).await?;
        Ok(report)
    }

    async fn get_org_policy(&self, org: &str) -> StoreResult<Option<OrgPolicy>> {
        SqlStore::get_org_policy(self, org).await
    }

    async fn put_org_policy(
        &self,
        actor: &Principal,
        org: &str,
        put: &PutOrgPolicy,
        current: &OrgPolicy,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<PolicyChangeOutcome> {
        let store = self.counting_for(mode);
        SqlStore::put_org_policy(&store, actor, org, put, current, now, mode).await
    }

    async fn get_pending_policy_change(
        &self,
        org: &str,
    ) -> StoreResult<Option<PendingPolicyChange>> {
        SqlStore::get_pending_policy_change(self, org).await
    }

    async fn approve_policy_change(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        current: &OrgPolicy,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<PolicyChangeOutcome> {
        let store = self.counting_for(mode);
        SqlStore::approve_policy_change(&store, actor, org, id, current, now, mode).await
    }

    async fn create_request(
        &self,
        engineer: &Principal,
        org: &str,
        request: &NewRequest,
        now: Timestamp,
    ) -> StoreResult<AccessRequest> {
        SqlStore::create_request(self, engineer, org, request, now).await
    }

    async fn create_approval_rule(
        &self,
        actor: &Principal,
        org: &str,
        rule: &crate::server::domain::rules::NewRule,
        now: Timestamp,
    ) -> StoreResult<crate::api::ApprovalRule> {
        SqlStore::create_rule(self, actor, org, rule, now).await
    }

    async fn list_approval_rules(
        &self,
        org: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<crate::api::ApprovalRule>> {
        SqlStore::list_rules(self, org, now).await
    }

    async fn remove_approval_rule(
        &self,
        actor: &Principal,
        org: &str,
        rule: &str,
        now: Timestamp,
    ) -> StoreResult<crate::api::ApprovalRule> {
        SqlStore::remove_rule(self, actor, org, rule, now).await
    }

    async fn close_ticket(
        &self,
        actor: &Principal,
        org: &str,
        ticket: &str,
        comment: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<crate::api::TicketClosed> {
        SqlStore::close_ticket(self, actor, org, ticket, comment, now).await
    }

    async fn list_requests(
        &self,
        scope: RequestScope<'_>,
        status: RequestStatusFilter,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<AccessRequest>> {
        SqlStore::list_requests(self, scope, status, page, now).await
    }

    async fn get_request(&self, id: &str, now: Timestamp) -> StoreResult<Option<RequestRecord>> {
        SqlStore::get_request(self, id, now).await
    }

    async fn approve_request(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        approval: &ApprovalAsk,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<AccessRequest> {
        let store = self.counting_for(mode);
        SqlStore::approve_request(&store, actor, org, id, approval, now, mode).await
    }

    async fn deny_request(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        comment: &str,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<AccessRequest> {
        let store = self.counting_for(mode);
        SqlStore::deny_request(&store, actor, org, id, comment, now, mode).await
    }

    async fn confirm_request(
        &self,
        operator: &Principal,
        org: &str,
        id: &str,
        comment: Option<&str>,
        policy: &Effective,
        now: Timestamp,
    ) -> StoreResult<crate::api::AccessRequest> {
        SqlStore::confirm_request(self, operator, org, id, comment, policy, now).await
    }

    async fn review_grant(
        &self,
        admin: &Principal,
        org: &str,
        id: &str,
        review: Review<'_>,
        now: Timestamp,
    ) -> StoreResult<Grant> {
        SqlStore::review_grant(self, admin, org, id, review, now).await
    }

    async fn cancel_request(
        &self,
        actor: &Principal,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<AccessRequest> {
        SqlStore::cancel_request(self, actor, id, now).await
    }

    fn request_events(&self) -> &RequestEvents {
        &self.events
    }

    async fn list_vendor_audit(&self, filter: &AuditFilter) -> StoreResult<Page<AuditEvent>> {
        SqlStore::list_vendor_audit(self, filter).await
    }

    async fn audit_head(
        &self,
        chain: &crate::api::checkpoint::ChainId,
    ) -> StoreResult<Option<(i64, String)>> {
        SqlStore::audit_head(self, chain).await
    }

    async fn audit_tree(
        &self,
        chain: &crate::api::checkpoint::ChainId,
    ) -> StoreResult<Option<TreeHead>> {
        SqlStore::tree_head(self, chain).await
    }

    async fn audit_inclusion(
        &self,
        chain: &crate::api::checkpoint::ChainId,
        seq: i64,
        size: i64,
    ) -> StoreResult<crate::api::InclusionProof> {
        SqlStore::inclusion_proof(self, chain, seq, size).await
    }

    async fn audit_consistency(
        &self,
        chain: &crate::api::checkpoint::ChainId,
        from: i64,
        to: i64,
    ) -> StoreResult<crate::api::ConsistencyProof> {
        SqlStore::consistency_proof(self, chain, from, to).await
    }

    async fn signing_key(&self, candidate: &str, now: Timestamp) -> StoreResult<String> {
        SqlStore::signing_key(self, candidate, now).await
    }

    async fn create_webhook(
        &self,
        actor: &Principal,
        org: &str,
        webhook: &NewWebhook,
        now: Timestamp,
    ) -> StoreResult<Webhook> {
        SqlStore::create_webhook(self, actor, org, webhook, now).await
    }

    async fn list_webhooks(&self, org: &str) -> StoreResult<Vec<Webhook>> {
        SqlStore::list_webhooks(self, org).await
    }

    async fn get_webhook(&self, org: &str, id: &str) -> StoreResult<Option<Webhook>> {
        SqlStore::get_webhook(self, org, id).await
    }

    async fn delete_webhook(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Webhook> {
        SqlStore::delete_webhook(self, actor, org, id, now).await
    }

    async fn rotate_webhook_secret(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        secret: &str,
        previous_until: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<Webhook> {
        SqlStore::rotate_webhook_secret(self, actor, org, id, secret, previous_until, now).await
    }

    async fn enqueue_test_delivery(
        &self,
        org: &str,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Delivery> {
        SqlStore::enqueue_test_delivery(self, org, id, now).await
    }

    async fn list_deliveries(
        &self,
        org: &str,
        webhook_id: &str,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>> {
        SqlStore::list_deliveries(self, org, webhook_id, status, page).await
    }

    async fn redeliver(
        &self,
        org: &str,
        webhook_id: &str,
        delivery_id: &str,
        now: Timestamp,
    ) -> StoreResult<Delivery> {
        SqlStore::redeliver(self, org, webhook_id, delivery_id, now).await
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limits: crate::server::domain::webhooks::ClaimLimits,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        SqlStore::claim_deliveries(self, now, lease_until, limits).await
    }

    async fn finish_deliveries(&self, finished: &[FinishedAttempt]) -> StoreResult<()> {
        SqlStore::finish_deliveries(self, finished).await
    }

    async fn release_delivery_leases(&self) -> StoreResult<()> {
        SqlStore::release_delivery_leases(self).await
    }

    async fn fail_excess_deliveries(&self, limit: i64, now: Timestamp) -> StoreResult<u64> {
        SqlStore::fail_excess_deliveries(self, limit, now).await
    }

    async fn fail_deliveries_of_disabled_webhooks(&self, now: Timestamp) -> StoreResult<u64> {
        SqlStore::fail_deliveries_of_disabled_webhooks(self, now).await
    }

    async fn delivery_backlog(&self) -> StoreResult<(i64, Option<Timestamp>)> {
        SqlStore::delivery_backlog(self).await
    }

    async fn enqueue_expiring(
        &self,
        now: Timestamp,
        default_warning_seconds: i64,
    ) -> StoreResult<usize> {
        SqlStore::enqueue_expiring(self, now, default_warning_seconds).await
    }

    async fn data_counts(&self, now: Timestamp) -> StoreResult<super::DataCounts> {
        SqlStore::data_counts(self, now).await
    }

    fn pool_connections(&self) -> Vec<super::PoolConnections> {
        SqlStore::pool_connections(self)
    }

    fn count_audit_events(&self, counter: prometheus_client::metrics::counter::Counter) {
        let _ = self.audit_events.set(counter);
    }
}

/// Splits the `limit + 1` rows fetched into a page and its cursor.
fn paginate<T>(mut rows: Vec<(i64, T)>, limit: i64) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|(key, _)| encode_cursor(*key))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(|(_, item)| item).collect(),
        next_cursor,
        total: None,
    }
}
