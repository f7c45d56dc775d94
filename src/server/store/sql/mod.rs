//! The store: one concrete type, [`Store`], whose methods are the SQL, written once against
//! sqlx's `Any` driver where it is portable between SQLite and PostgreSQL (`$n` placeholders,
//! `RETURNING`, integer times); what differs (row locks, how a write transaction begins, a
//! few statements) it asks of the database's engine ([`super::engine`]).
//!
//! One file per entity (`orgs`, `accounts`, `grants`, `sessions`, `audit`, `requests` and
//! `request_ends`, `policy`, `rules`, `break_glass`, `tickets`, `webhooks` and `deliveries`,
//! `sso`, `tree`; `vendor`: the vendor chain, chain heads and the signing key) holds the
//! methods of its entity, so a handler's call leads straight to its SQL. `columns` are the
//! columns each entity is read with and `rows` turns result rows into values; the rules applied
//! to those values live in [`crate::server::domain`]. `access_queues` holds what authorize's
//! writers share through the store. This file defines [`Store`] and the helpers its entity
//! files share, and imports none of them (they import it).

pub(super) mod access_queues;
mod accounts;
mod audit;
pub(super) mod authorize;
pub(super) mod break_glass;
pub(super) mod columns;
mod counts;
mod deliveries;
pub(super) mod grants;
mod lookup;
pub(super) mod maintenance;
mod orgs;
mod policy;
pub(super) mod report;
mod request_ends;
pub(super) mod requests;
pub(super) mod rows;
mod rules;
mod sessions;
mod sso;
mod tickets;
mod transactions;
pub(super) mod tree;
pub(super) mod vendor;
mod webhooks;

use std::sync::Arc;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};

use self::rows::{OrgRow, org_row};
use super::cache::through_cache;
use super::cursor::encode_cursor;
use super::engine::Engine;
use super::notify::RequestEvents;
use super::values::{AccountAuth, PageRequest, SessionAuth, StoreError, StoreResult, TokenHash};
use crate::api::{ListTotal, Page};

/// A list's query, bound or about to be.
type ListQuery = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// Ids per `IN (...)` list.
const ID_CHUNK: usize = 500;

/// The store: every operation on the data, as methods grouped by entity in this module's
/// files. Reads go to `read`, writes to `write`, which on SQLite is a single connection so that
/// writers queue in-process instead of failing with `SQLITE_BUSY`. Cloning it is cheap (pools
/// and shared state behind `Arc`s).
#[derive(Clone)]
pub struct Store {
    pub(super) read: AnyPool,
    pub(super) write: AnyPool,
    /// The database, and what only its store holds (SQLite's token cache and access
    /// connection).
    pub(super) engine: Engine,
    /// Request decisions as they commit (see [`RequestEvents`]).
    pub(super) events: Arc<RequestEvents>,
    /// `authorize` decisions waiting for their org's writer (see [`authorize`]).
    pub(super) access_queues: Arc<access_queues::AccessQueues>,
    /// The connections the access writers use: on SQLite the write connection, on PostgreSQL
    /// a few of their own, so that a batch never queues behind the reads of the callers
    /// waiting for it.
    pub(super) access: AnyPool,
    /// Who waits for a connection of [`Store::access`].
    pub(super) access_waiters: Arc<access_queues::Waiters>,
    /// Where the audit events written are counted, once a server asks (see [`counts`]).
    pub(super) audit_events: Arc<std::sync::OnceLock<prometheus_client::metrics::counter::Counter>>,
}

impl Store {
    /// Reads an org and locks its chain head for the rest of the transaction.
    async fn lock_org(&self, tx: &mut AnyConnection, slug: &str) -> StoreResult<Option<OrgRow>> {
        let sql = self.engine.backend().sql().lock_org_by_slug;
        let row = sqlx::query(sql).bind(slug).fetch_optional(&mut *tx).await?;
        let org = row
            .map(|row| org_row(&row, self.engine.backend()))
            .transpose()?;
        Ok(org.map(|org| self.counting(org)))
    }

    /// [`Store::lock_org`], for a write to an org that must exist: not found otherwise.
    async fn lock_existing_org(&self, tx: &mut AnyConnection, slug: &str) -> StoreResult<OrgRow> {
        self.lock_org(tx, slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no org '{slug}'")))
    }

    /// [`Store::lock_existing_org`], for a change a disabled org refuses (a conflict).
    async fn lock_enabled_org(&self, tx: &mut AnyConnection, slug: &str) -> StoreResult<OrgRow> {
        let org = self.lock_existing_org(tx, slug).await?;
        if org.org.status == crate::api::EnabledStatus::Disabled {
            return Err(StoreError::Conflict(format!("org '{slug}' is disabled")));
        }
        Ok(org)
    }

    async fn lock_org_pk(&self, tx: &mut AnyConnection, pk: i64) -> StoreResult<OrgRow> {
        let sql = self.engine.backend().sql().lock_org_by_pk;
        let row = sqlx::query(sql).bind(pk).fetch_one(&mut *tx).await?;
        Ok(self.counting(org_row(&row, self.engine.backend())?))
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

/// Connections, and the lookups of every request (through the cache where there is one).
impl Store {
    /// `sqlite` or `postgres`, for `/healthz` and logs.
    /// `sqlite` or `postgres`, for `/healthz` and logs.
    pub fn backend(&self) -> &'static str {
        self.engine.backend().name()
    }

    /// Whether this process alone serves the database (see [`super::engine::Dialect`]).
    pub fn single_process(&self) -> bool {
        self.engine.backend().sql().single_process
    }

    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Closes the connections at shutdown (SQLite folds its WAL into the file then). It takes
    /// the store so that this handle's share of SQLite's access connection (its own, which `sqlx`
    /// does not close) goes too: once the last handle is closed, the file is free.
    pub async fn close(self) {
        self.read.close().await;
        self.write.close().await;
        // The same pool as `write` on SQLite, where closing it again returns at once.
        self.access.close().await;
    }

    /// Shared (`Arc`), because they are cached and read on every request.
    pub async fn authenticate_account(
        &self,
        token: &TokenHash,
    ) -> StoreResult<Option<Arc<AccountAuth>>> {
        through_cache(
            self.engine.cache().map(Arc::as_ref),
            |c| &c.accounts,
            token,
            || self.read_account_auth(token),
        )
        .await
    }

    pub async fn authenticate_session(
        &self,
        token: &TokenHash,
    ) -> StoreResult<Option<Arc<SessionAuth>>> {
        through_cache(
            self.engine.cache().map(Arc::as_ref),
            |c| &c.sessions,
            token,
            || self.read_session_auth(token),
        )
        .await
    }

    /// Both lookups of a platform call at once; no session without the account.
    pub async fn authenticate_call(
        &self,
        account: &TokenHash,
        session: &TokenHash,
    ) -> StoreResult<(Option<Arc<AccountAuth>>, Option<Arc<SessionAuth>>)> {
        // The cache answers each lookup on its own; without one, one statement reads both.
        if self.engine.cache().is_some() {
            let caller = self.authenticate_account(account).await?;
            let session = match caller {
                Some(_) => self.authenticate_session(session).await?,
                None => None,
            };
            return Ok((caller, session));
        }
        self.read_account_and_session(account, session).await
    }

    /// Decisions on requests, as they commit on any replica (ids; `*`: re-read everything).
    pub fn request_events(&self) -> &RequestEvents {
        &self.events
    }

    /// From now on, each audit event written (to an org's chain or the vendor's) adds 1 to
    /// `counter`.
    pub fn count_audit_events(&self, counter: prometheus_client::metrics::counter::Counter) {
        let _ = self.audit_events.set(counter);
    }
}
