//! The SQL implementation of [`Store`], written once against sqlx's `Any` driver: the SQL is
//! portable between SQLite and PostgreSQL (`$n` placeholders, `RETURNING`, integer times), and
//! the few differences (row locks, how a write transaction begins) come from [`Backend`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use jiff::Timestamp;
use serde_json::json;
use sqlx::AnyPool;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use std::sync::Arc;

use super::cache::{AuthCache, Entries};
use super::chain::ChainHead;
use super::{
    AccessRequest, AccountAuth, AuditFilter, GrantScope, NewAccount, NewGrant, NewSession,
    PageRequest, Principal, RevokeSelection, SessionAuth, SessionRecord, SessionScope, Store,
    StoreError, StoreResult, SweepReport, TokenHash, grant_status,
};
use crate::api::{
    Account, Area, AuditEvent, BulkRevokeResult, EnabledStatus, Grant, GrantStatus,
    GrantStatusFilter, Level, Org, Page, Role, Session, SessionStatus, SessionStatusFilter,
    chain::GENESIS_HASH,
};
use crate::server::ids;
use crate::server::pagination::encode_cursor;

/// What differs between the databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// `count` bind parameters numbered from `first`, comma-separated, for statements built
    /// at run time. SQLite gets anonymous `?`: sqlx looks up every numbered parameter by name,
    /// which SQLite answers by walking a list, so thousands of `$n` cost quadratic time. A
    /// statement using these must use them for all its parameters, in order.
    pub fn params(self, first: usize, count: usize) -> String {
        match self {
            Backend::Sqlite => vec!["?"; count].join(", "),
            Backend::Postgres => (first..first + count)
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// Candidate grants considered when the server picks one for a new session.
const PICK_CANDIDATES: i64 = 1000;
/// Ids per `IN (...)` list.
const ID_CHUNK: usize = 500;
/// Expiries recorded per sweep and org transaction.
const SWEEP_BATCH: i64 = 1000;

/// An org's columns, with the time of its newest event (the chain's `at` never goes back).
macro_rules! org_columns {
    () => {
        "pk, slug, name, created_at, disabled_at, audit_seq, audit_hash, \
         (SELECT e.at FROM audit_events e WHERE e.org_pk = orgs.pk AND e.seq = orgs.audit_seq) \
         AS audit_at"
    };
}
const ORG_COLUMNS: &str = org_columns!();
const LOCK_ORG_BY_SLUG_PG: &str = concat!(
    "SELECT ",
    org_columns!(),
    " FROM orgs WHERE slug = $1 FOR UPDATE"
);
const LOCK_ORG_BY_SLUG_SQLITE: &str =
    concat!("SELECT ", org_columns!(), " FROM orgs WHERE slug = $1");
const LOCK_ORG_BY_PK_PG: &str = concat!(
    "SELECT ",
    org_columns!(),
    " FROM orgs WHERE pk = $1 FOR UPDATE"
);
const LOCK_ORG_BY_PK_SQLITE: &str = concat!("SELECT ", org_columns!(), " FROM orgs WHERE pk = $1");

const ACCOUNT_SELECT: &str = "SELECT a.pk, a.id, a.email, a.role, o.slug AS org, a.created_at, \
     a.disabled_at, o.disabled_at AS org_disabled_at FROM accounts a \
     LEFT JOIN orgs o ON o.pk = a.org_pk";

const GRANT_SELECT: &str = "SELECT g.pk, g.id, o.slug AS org, g.level, g.areas, g.engineers, \
     g.reason, g.ticket, g.created_by, g.created_at, g.expires_at, \
     g.revoked_at, g.revoked_by, g.revoke_reason FROM grants g JOIN orgs o ON o.pk = g.org_pk";

const SESSION_SELECT: &str = "SELECT s.pk, s.id, s.org_pk, o.slug AS org, g.id AS grant_id, \
     a.email AS engineer, s.level, s.areas, s.reason, s.opened_at, s.expires_at, s.closed_at, \
     s.close_reason, g.revoked_at AS grant_revoked_at, g.expires_at AS grant_expires_at, \
     s.engineer_pk, a.id AS engineer_id, a.disabled_at AS engineer_disabled_at, \
     o.disabled_at AS org_disabled_at FROM sessions s JOIN orgs o ON o.pk = s.org_pk \
     JOIN grants g ON g.pk = s.grant_pk JOIN accounts a ON a.pk = s.engineer_pk";

/// A store on one SQL database. Reads go to `read`; writes to `write`, which for SQLite is a
/// single connection so that writers queue in-process instead of failing with `SQLITE_BUSY`.
pub struct SqlStore {
    pub(super) read: AnyPool,
    pub(super) write: AnyPool,
    pub(super) backend: Backend,
    /// Only for a SQLite file this process serves alone; see [`AuthCache`].
    pub(super) cache: Option<Arc<AuthCache>>,
}

struct OrgRow {
    pk: i64,
    org: Org,
    head: ChainHead,
}

/// A change to an account that ends its open sessions.
struct AccountChange<'a> {
    pk: i64,
    org_pk: Option<i64>,
    id: &'a str,
    email: &'a str,
    action: &'static str,
    session_close_reason: &'static str,
}

struct GrantRow {
    pk: i64,
    grant: Grant,
}

impl SqlStore {
    /// Commits a change that can end access, then invalidates cached token lookups: in this
    /// order, before the caller answers (see [`AuthCache`] for why that is enough).
    ///
    /// Both run in a task of their own: the caller's future is dropped when its client hangs
    /// up or its request times out, and a drop between a finished commit and the invalidation
    /// would leave lookups from before the change answering "active". A spawned task runs to
    /// its end whatever happens to the future that awaits it.
    async fn commit_ending_access(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
    ) -> StoreResult<()> {
        let cache = self.cache.clone();
        let committed = tokio::spawn(async move {
            let committed = tx.commit().await;
            // Also after a failed commit: whether it reached the database is then unknown.
            if let Some(cache) = cache {
                cache.invalidate();
            }
            committed
        })
        .await
        .map_err(|error| StoreError::Database(format!("the commit task failed: {error}")))?;
        Ok(committed?)
    }

    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            // IMMEDIATE takes the write lock up front, so a transaction never fails half-way
            // when another process holds it; the busy timeout makes it wait instead.
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        })
    }

    async fn read_account_auth(&self, token: &TokenHash) -> StoreResult<Option<Arc<AccountAuth>>> {
        let sql = format!("{ACCOUNT_SELECT} WHERE a.token_hash = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(hex::encode(token))
            .fetch_optional(&self.read)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let account = account_from_row(&row)?;
        let org_disabled: Option<i64> = row.try_get("org_disabled_at")?;
        Ok(Some(Arc::new(AccountAuth {
            principal: Principal {
                pk: row.try_get("pk")?,
                id: account.id,
                email: account.email,
                role: account.role,
                org: account.org,
            },
            disabled: account.status == EnabledStatus::Disabled,
            org_disabled: org_disabled.is_some(),
        })))
    }

    async fn read_session_auth(&self, token: &TokenHash) -> StoreResult<Option<Arc<SessionAuth>>> {
        let sql = format!("{SESSION_SELECT} WHERE s.token_hash = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(hex::encode(token))
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| session_auth(&row).map(Arc::new)).transpose()
    }

    /// Reads an org and locks its chain head for the rest of the transaction.
    async fn lock_org(&self, tx: &mut AnyConnection, slug: &str) -> StoreResult<Option<OrgRow>> {
        let sql = match self.backend {
            Backend::Sqlite => LOCK_ORG_BY_SLUG_SQLITE,
            Backend::Postgres => LOCK_ORG_BY_SLUG_PG,
        };
        let row = sqlx::query(sql).bind(slug).fetch_optional(&mut *tx).await?;
        row.map(|row| org_row(&row, self.backend)).transpose()
    }

    async fn lock_org_pk(&self, tx: &mut AnyConnection, pk: i64) -> StoreResult<OrgRow> {
        let sql = match self.backend {
            Backend::Sqlite => LOCK_ORG_BY_PK_SQLITE,
            Backend::Postgres => LOCK_ORG_BY_PK_PG,
        };
        let row = sqlx::query(sql).bind(pk).fetch_one(&mut *tx).await?;
        org_row(&row, self.backend)
    }

    async fn grant_in_org(
        &self,
        conn: &mut AnyConnection,
        org_pk: i64,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<GrantRow>> {
        let sql = format!("{GRANT_SELECT} WHERE g.org_pk = $1 AND g.id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|row| grant_row(&row, now)).transpose()
    }

    async fn session_by_id(
        &self,
        conn: &mut AnyConnection,
        id: &str,
    ) -> StoreResult<Option<SessionAuth>> {
        let sql = format!("{SESSION_SELECT} WHERE s.id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|row| session_auth(&row)).transpose()
    }

    /// Reads an account to change it, locking its row first on PostgreSQL. Lock order: an
    /// account row before any org row (opening a session does the same), so that disabling an
    /// engineer and opening a session for them cannot miss each other, nor deadlock.
    async fn account_by_id(
        &self,
        conn: &mut AnyConnection,
        id: &str,
    ) -> StoreResult<Option<(i64, Option<i64>, Account)>> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pk FROM accounts WHERE id = $1 FOR NO KEY UPDATE")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        let sql = format!("{ACCOUNT_SELECT} WHERE a.id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let org_pk: Option<i64> = sqlx::query_scalar("SELECT org_pk FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        Ok(Some((row.try_get("pk")?, org_pk, account_from_row(&row)?)))
    }

    /// Closes the open sessions of an account whose row `tx` holds locked (so none can open
    /// meanwhile), recording `session.closed` in each session's org and the change itself in
    /// the account's own org, if it has one.
    async fn end_account_sessions(
        &self,
        tx: &mut AnyConnection,
        actor: &Principal,
        change: &AccountChange<'_>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let open = self
            .open_sessions(tx, OpenSessionsOf::Engineer, change.pk, now)
            .await?;
        // Lock every org involved in pk order, so concurrent writers cannot deadlock.
        let mut by_org: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
        if let Some(org_pk) = change.org_pk {
            by_org.entry(org_pk).or_default();
        }
        for (org_pk, session_pk, session_id) in open {
            by_org
                .entry(org_pk)
                .or_default()
                .push((session_pk, session_id));
        }
        for (&org_pk, sessions) in &by_org {
            let mut org = self.lock_org_pk(tx, org_pk).await?;
            if Some(org_pk) == change.org_pk {
                org.head.record(
                    now,
                    actor,
                    change.action,
                    Some(change.id),
                    json!({ "email": change.email }),
                )?;
            }
            self.close_sessions(
                tx,
                &mut org.head,
                actor,
                sessions,
                change.session_close_reason,
                now,
            )
            .await?;
            org.head.save(tx).await?;
        }
        Ok(())
    }

    /// Closes the given open sessions and records `session.closed` for each, in the org of `head`.
    async fn close_sessions(
        &self,
        tx: &mut AnyConnection,
        head: &mut ChainHead,
        actor: &Principal,
        sessions: &[(i64, String)],
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        for chunk in sessions.chunks(ID_CHUNK) {
            let sql = format!(
                "UPDATE sessions SET closed_at = {}, close_reason = {} WHERE pk IN ({})",
                self.backend.params(1, 1),
                self.backend.params(2, 1),
                self.backend.params(3, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .bind(now.as_second())
                .bind(reason);
            for (pk, _) in chunk {
                query = query.bind(*pk);
            }
            query.execute(&mut *tx).await?;
        }
        for (_, id) in sessions {
            head.record(
                now,
                actor,
                "session.closed",
                Some(id),
                json!({ "reason": reason }),
            )?;
        }
        Ok(())
    }

    /// Open sessions of an org, or of an engineer, as `(org_pk, session pk, session id)`.
    async fn open_sessions(
        &self,
        tx: &mut AnyConnection,
        column: OpenSessionsOf,
        pk: i64,
        now: Timestamp,
    ) -> StoreResult<Vec<(i64, i64, String)>> {
        let sql = match column {
            OpenSessionsOf::Org => {
                "SELECT s.org_pk, s.pk, s.id FROM sessions s JOIN grants g ON g.pk = s.grant_pk \
                 WHERE s.org_pk = $1 AND s.closed_at IS NULL AND s.expires_at > $2 \
                 AND g.revoked_at IS NULL ORDER BY s.pk"
            }
            OpenSessionsOf::Engineer => {
                "SELECT s.org_pk, s.pk, s.id FROM sessions s JOIN grants g ON g.pk = s.grant_pk \
                 WHERE s.engineer_pk = $1 AND s.closed_at IS NULL AND s.expires_at > $2 \
                 AND g.revoked_at IS NULL ORDER BY s.org_pk, s.pk"
            }
        };
        let rows = sqlx::query(sql)
            .bind(pk)
            .bind(now.as_second())
            .fetch_all(&mut *tx)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
            .collect()
    }

    async fn engineer_pks(
        &self,
        tx: &mut AnyConnection,
        emails: &[String],
    ) -> StoreResult<Vec<i64>> {
        let mut pks = Vec::with_capacity(emails.len());
        for email in emails {
            let row = sqlx::query("SELECT pk, role, disabled_at FROM accounts WHERE email = $1")
                .bind(email)
                .fetch_optional(&mut *tx)
                .await?;
            let usable = match &row {
                Some(row) => {
                    let role: String = row.try_get("role")?;
                    let disabled: Option<i64> = row.try_get("disabled_at")?;
                    role == "support" && disabled.is_none()
                }
                None => false,
            };
            match row {
                Some(row) if usable => pks.push(row.try_get("pk")?),
                _ => {
                    return Err(StoreError::Invalid(format!(
                        "'{email}' is not an enabled support engineer"
                    )));
                }
            }
        }
        Ok(pks)
    }
}

#[derive(Clone, Copy)]
enum OpenSessionsOf {
    Org,
    Engineer,
}

#[async_trait]
impl Store for SqlStore {
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

    async fn create_org(
        &self,
        actor: &Principal,
        slug: &str,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Org> {
        let mut tx = self.begin_write().await?;
        let pk: i64 = sqlx::query_scalar(
            "INSERT INTO orgs (slug, name, created_at, audit_seq, audit_hash) \
             VALUES ($1, $2, $3, 0, $4) ON CONFLICT (slug) DO NOTHING RETURNING pk",
        )
        .bind(slug)
        .bind(name)
        .bind(now.as_second())
        .bind(GENESIS_HASH)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::Conflict(format!("an org with slug '{slug}' already exists")))?;
        let mut head = ChainHead::new(
            self.backend,
            pk,
            slug.to_owned(),
            (0, GENESIS_HASH.to_owned()),
            None,
        );
        head.record(
            now,
            actor,
            "org.created",
            Some(slug),
            json!({ "slug": slug, "name": name }),
        )?;
        head.save(&mut tx).await?;
        tx.commit().await?;
        Ok(Org {
            slug: slug.to_owned(),
            name: name.to_owned(),
            status: EnabledStatus::Enabled,
            created_at: now,
            disabled_at: None,
        })
    }

    async fn list_orgs(&self, page: PageRequest) -> StoreResult<Page<Org>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE pk > $1 ORDER BY pk LIMIT $2");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(page.after.unwrap_or(0))
            .bind(page.limit + 1)
            .fetch_all(&self.read)
            .await?;
        let items = rows
            .iter()
            .map(|row| Ok((row.try_get("pk")?, org_row(row, self.backend)?.org)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(items, page.limit))
    }

    async fn get_org(&self, slug: &str) -> StoreResult<Option<Org>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE slug = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(slug)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| Ok(org_row(&row, self.backend)?.org))
            .transpose()
    }

    async fn disable_org(&self, actor: &Principal, slug: &str, now: Timestamp) -> StoreResult<Org> {
        let mut tx = self.begin_write().await?;
        let mut org = self
            .lock_org(&mut tx, slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no org '{slug}'")))?;
        if org.org.status == EnabledStatus::Disabled {
            return Ok(org.org);
        }
        sqlx::query("UPDATE orgs SET disabled_at = $1 WHERE pk = $2")
            .bind(now.as_second())
            .bind(org.pk)
            .execute(&mut *tx)
            .await?;
        let open = self
            .open_sessions(&mut tx, OpenSessionsOf::Org, org.pk, now)
            .await?;
        let sessions: Vec<_> = open.into_iter().map(|(_, pk, id)| (pk, id)).collect();
        org.head.record(
            now,
            actor,
            "org.disabled",
            Some(slug),
            json!({ "sessions_closed": sessions.len() }),
        )?;
        self.close_sessions(
            &mut tx,
            &mut org.head,
            actor,
            &sessions,
            "org disabled",
            now,
        )
        .await?;
        org.head.save(&mut tx).await?;
        self.commit_ending_access(tx).await?;
        org.org.status = EnabledStatus::Disabled;
        org.org.disabled_at = Some(now);
        Ok(org.org)
    }

    async fn create_account(
        &self,
        actor: &Principal,
        account: &NewAccount,
        now: Timestamp,
    ) -> StoreResult<Account> {
        let mut tx = self.begin_write().await?;
        let mut org = match &account.org {
            Some(slug) => Some(
                self.lock_org(&mut tx, slug)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("no org '{slug}'")))?,
            ),
            None => None,
        };
        let id = ids::new_id(ids::ACCOUNT);
        let inserted = sqlx::query(
            "INSERT INTO accounts (id, email, role, org_pk, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING",
        )
        .bind(&id)
        .bind(&account.email)
        .bind(account.role.to_string())
        .bind(org.as_ref().map(|org| org.pk))
        .bind(hex::encode(account.token_hash))
        .bind(now.as_second())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "an account with email '{}' already exists",
                account.email
            )));
        }
        if let Some(org) = &mut org {
            org.head.record(
                now,
                actor,
                "account.created",
                Some(&id),
                json!({ "email": account.email, "role": account.role }),
            )?;
        }
        if let Some(org) = org {
            org.head.save(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(Account {
            id,
            email: account.email.clone(),
            role: account.role,
            org: account.org.clone(),
            status: EnabledStatus::Enabled,
            created_at: now,
            disabled_at: None,
        })
    }

    async fn list_accounts(&self, page: PageRequest) -> StoreResult<Page<Account>> {
        let sql = format!("{ACCOUNT_SELECT} WHERE a.pk > $1 ORDER BY a.pk LIMIT $2");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(page.after.unwrap_or(0))
            .bind(page.limit + 1)
            .fetch_all(&self.read)
            .await?;
        let items = rows
            .iter()
            .map(|row| Ok((row.try_get("pk")?, account_from_row(row)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(items, page.limit))
    }

    async fn find_account_by_email(&self, email: &str) -> StoreResult<Option<Account>> {
        let sql = format!("{ACCOUNT_SELECT} WHERE a.email = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| account_from_row(&row)).transpose()
    }

    async fn disable_account(
        &self,
        actor: &Principal,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Account> {
        let mut tx = self.begin_write().await?;
        let (pk, org_pk, mut account) = self
            .account_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no account '{id}'")))?;
        if account.status == EnabledStatus::Disabled {
            return Ok(account);
        }
        sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE pk = $2")
            .bind(now.as_second())
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        let ended = AccountChange {
            pk,
            org_pk,
            id,
            email: &account.email,
            action: "account.disabled",
            session_close_reason: "engineer account disabled",
        };
        self.end_account_sessions(&mut tx, actor, &ended, now)
            .await?;
        self.commit_ending_access(tx).await?;
        account.status = EnabledStatus::Disabled;
        account.disabled_at = Some(now);
        Ok(account)
    }

    async fn rotate_account_token(
        &self,
        actor: &Principal,
        id: &str,
        token: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Account> {
        let mut tx = self.begin_write().await?;
        let (pk, org_pk, account) = self
            .account_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no account '{id}'")))?;
        if account.status == EnabledStatus::Disabled {
            return Err(StoreError::Conflict(format!("account '{id}' is disabled")));
        }
        sqlx::query("UPDATE accounts SET token_hash = $1 WHERE pk = $2")
            .bind(hex::encode(token))
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        // Every open session of the account was opened with a token it no longer has: a
        // rotation after a leak must also end what the leaked token opened.
        let rotated = AccountChange {
            pk,
            org_pk,
            id,
            email: &account.email,
            action: "account.token_rotated",
            session_close_reason: "account token rotated",
        };
        self.end_account_sessions(&mut tx, actor, &rotated, now)
            .await?;
        self.commit_ending_access(tx).await?;
        Ok(account)
    }

    async fn count_operators(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE role = 'operator' AND disabled_at IS NULL",
        )
        .fetch_one(&self.read)
        .await?)
    }

    async fn create_grant(
        &self,
        actor: &Principal,
        org_slug: &str,
        grant: &NewGrant,
        now: Timestamp,
    ) -> StoreResult<Grant> {
        let mut tx = self.begin_write().await?;
        let mut org = self
            .lock_org(&mut tx, org_slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no org '{org_slug}'")))?;
        if org.org.status == EnabledStatus::Disabled {
            return Err(StoreError::Conflict(format!(
                "org '{org_slug}' is disabled"
            )));
        }
        let engineer_pks = self.engineer_pks(&mut tx, &grant.engineers).await?;
        let id = ids::new_id(ids::GRANT);
        let grant_pk: i64 = sqlx::query_scalar(
            "INSERT INTO grants (id, org_pk, level, areas, engineers, all_engineers, reason, \
             ticket, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING pk",
        )
        .bind(&id)
        .bind(org.pk)
        .bind(grant.level.to_string())
        .bind(areas_text(&grant.areas))
        .bind(serde_json::to_string(&grant.engineers).unwrap_or_default())
        .bind(i64::from(grant.engineers.is_empty()))
        .bind(&grant.reason)
        .bind(&grant.ticket)
        .bind(&actor.email)
        .bind(now.as_second())
        .bind(grant.expires_at.as_second())
        .fetch_one(&mut *tx)
        .await?;
        for engineer_pk in engineer_pks {
            sqlx::query(
                "INSERT INTO grant_engineers (grant_pk, account_pk) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(grant_pk)
            .bind(engineer_pk)
            .execute(&mut *tx)
            .await?;
        }
        org.head.record(
            now,
            actor,
            "grant.created",
            Some(&id),
            json!({
                "level": grant.level,
                "areas": grant.areas,
                "engineers": grant.engineers,
                "expires_at": grant.expires_at,
                "reason": grant.reason,
                "ticket": grant.ticket,
            }),
        )?;
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        Ok(Grant {
            id,
            org: org_slug.to_owned(),
            level: grant.level,
            areas: grant.areas.clone(),
            engineers: grant.engineers.clone(),
            reason: grant.reason.clone(),
            ticket: grant.ticket.clone(),
            created_by: actor.email.clone(),
            created_at: now,
            expires_at: grant.expires_at,
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
            status: grant_status(grant.expires_at, None, now),
        })
    }

    async fn list_grants(
        &self,
        scope: GrantScope<'_>,
        status: GrantStatusFilter,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<Grant>> {
        let status_sql = match status {
            GrantStatusFilter::Active => "AND g.revoked_at IS NULL AND g.expires_at > $2",
            GrantStatusFilter::Expired => "AND g.revoked_at IS NULL AND g.expires_at <= $2",
            GrantStatusFilter::Revoked => "AND g.revoked_at IS NOT NULL AND $2 = $2",
            GrantStatusFilter::All => "AND $2 = $2",
        };
        let (scope_sql, scope_value): (&str, i64) = match scope {
            GrantScope::Org(slug) => {
                let Some(pk) = sqlx::query_scalar::<_, i64>("SELECT pk FROM orgs WHERE slug = $1")
                    .bind(slug)
                    .fetch_optional(&self.read)
                    .await?
                else {
                    return Err(StoreError::NotFound(format!("no org '{slug}'")));
                };
                ("g.org_pk = $1", pk)
            }
            GrantScope::UsableBy(engineer) => (
                "o.disabled_at IS NULL AND (g.all_engineers = 1 OR EXISTS (SELECT 1 FROM \
                 grant_engineers ge WHERE ge.grant_pk = g.pk AND ge.account_pk = $1))",
                engineer.pk,
            ),
        };
        let sql = format!(
            "{GRANT_SELECT} WHERE {scope_sql} {status_sql} AND g.pk < $3 ORDER BY g.pk DESC LIMIT $4"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(scope_value)
            .bind(now.as_second())
            .bind(page.after.unwrap_or(i64::MAX))
            .bind(page.limit + 1)
            .fetch_all(&self.read)
            .await?;
        let items = rows
            .iter()
            .map(|row| {
                let grant = grant_row(row, now)?;
                Ok((grant.pk, grant.grant))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(items, page.limit))
    }

    async fn get_grant(&self, org: &str, id: &str, now: Timestamp) -> StoreResult<Option<Grant>> {
        let sql = format!("{GRANT_SELECT} WHERE o.slug = $1 AND g.id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| Ok(grant_row(&row, now)?.grant)).transpose()
    }

    async fn extend_grant(
        &self,
        actor: &Principal,
        org_slug: &str,
        id: &str,
        by_seconds: i64,
        latest: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Grant> {
        let mut tx = self.begin_write().await?;
        let mut org = self
            .lock_org(&mut tx, org_slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no org '{org_slug}'")))?;
        let mut row = self
            .grant_in_org(&mut tx, org.pk, id, now)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no grant '{id}' in org '{org_slug}'")))?;
        match row.grant.status {
            GrantStatus::Active => {}
            GrantStatus::Revoked => {
                return Err(StoreError::Conflict(format!(
                    "grant '{id}' is revoked; create a new grant instead"
                )));
            }
            GrantStatus::Expired => {
                return Err(StoreError::Conflict(format!(
                    "grant '{id}' has expired; create a new grant instead"
                )));
            }
        }
        let previous = row.grant.expires_at;
        let extended = Timestamp::from_second(previous.as_second().saturating_add(by_seconds))
            .map_err(|_| StoreError::Invalid("duration out of range".into()))?;
        if extended > latest {
            return Err(StoreError::Policy(format!(
                "extending by {by_seconds}s would end the grant at {extended}, past the latest \
                 allowed expiry {latest} (now + the server's maximum grant duration)"
            )));
        }
        sqlx::query("UPDATE grants SET expires_at = $1 WHERE pk = $2")
            .bind(extended.as_second())
            .bind(row.pk)
            .execute(&mut *tx)
            .await?;
        org.head.record(
            now,
            actor,
            "grant.extended",
            Some(id),
            json!({
                "previous_expires_at": previous,
                "expires_at": extended,
                "by_seconds": by_seconds,
            }),
        )?;
        org.head.save(&mut tx).await?;
        self.commit_ending_access(tx).await?;
        row.grant.expires_at = extended;
        Ok(row.grant)
    }

    async fn revoke_grants(
        &self,
        actor: &Principal,
        org_slug: &str,
        selection: &RevokeSelection,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<BulkRevokeResult> {
        let mut tx = self.begin_write().await?;
        let mut org = self
            .lock_org(&mut tx, org_slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no org '{org_slug}'")))?;
        let mut result = BulkRevokeResult::default();
        // (pk, id) of the grants this call revokes, in the order asked.
        let mut to_revoke: Vec<(i64, String)> = Vec::new();
        match selection {
            RevokeSelection::AllActive => {
                let rows = sqlx::query(
                    "SELECT pk, id FROM grants WHERE org_pk = $1 AND revoked_at IS NULL \
                     AND expires_at > $2 ORDER BY pk",
                )
                .bind(org.pk)
                .bind(now.as_second())
                .fetch_all(&mut *tx)
                .await?;
                for row in rows {
                    to_revoke.push((row.try_get(0)?, row.try_get(1)?));
                }
            }
            RevokeSelection::Ids(requested) => {
                let mut seen = BTreeSet::new();
                let unique: Vec<&String> = requested
                    .iter()
                    .filter(|id| seen.insert(id.as_str()))
                    .collect();
                let mut found: HashMap<String, (i64, bool)> = HashMap::new();
                for chunk in unique.chunks(ID_CHUNK) {
                    let sql = format!(
                        "SELECT pk, id, revoked_at, expires_at FROM grants \
                         WHERE org_pk = {} AND id IN ({})",
                        self.backend.params(1, 1),
                        self.backend.params(2, chunk.len())
                    );
                    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(org.pk);
                    for id in chunk {
                        query = query.bind(id.as_str());
                    }
                    for row in query.fetch_all(&mut *tx).await? {
                        let revoked: Option<i64> = row.try_get(2)?;
                        let expires: i64 = row.try_get(3)?;
                        let active = revoked.is_none() && expires > now.as_second();
                        found.insert(row.try_get(1)?, (row.try_get(0)?, active));
                    }
                }
                for id in unique {
                    match found.get(id.as_str()) {
                        None => result.not_found.push(id.clone()),
                        Some((_, false)) => result.already_inactive.push(id.clone()),
                        Some((pk, true)) => to_revoke.push((*pk, id.clone())),
                    }
                }
            }
        }
        let sessions_per_grant: HashMap<i64, i64> = if to_revoke.is_empty() {
            HashMap::new()
        } else {
            let rows = sqlx::query(
                "SELECT grant_pk, COUNT(*) FROM sessions WHERE org_pk = $1 \
                 AND closed_at IS NULL AND expires_at > $2 GROUP BY grant_pk",
            )
            .bind(org.pk)
            .bind(now.as_second())
            .fetch_all(&mut *tx)
            .await?;
            rows.iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect::<StoreResult<_>>()?
        };
        for chunk in to_revoke.chunks(ID_CHUNK) {
            let sql = format!(
                "UPDATE grants SET revoked_at = {}, revoked_by = {}, revoke_reason = {} \
                 WHERE pk IN ({})",
                self.backend.params(1, 1),
                self.backend.params(2, 1),
                self.backend.params(3, 1),
                self.backend.params(4, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .bind(now.as_second())
                .bind(&actor.email)
                .bind(reason);
            for (pk, _) in chunk {
                query = query.bind(*pk);
            }
            query.execute(&mut *tx).await?;
            // The revocation is the recorded end of the sessions it cuts short: the sweeper has
            // nothing to add for them. Sessions that had already expired (but were not swept
            // yet) ended by expiry, and the sweeper must still record that.
            let sql = format!(
                "UPDATE sessions SET expiry_recorded = 1 WHERE closed_at IS NULL \
                 AND expiry_recorded = 0 AND expires_at > {} AND grant_pk IN ({})",
                self.backend.params(1, 1),
                self.backend.params(2, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(now.as_second());
            for (pk, _) in chunk {
                query = query.bind(*pk);
            }
            query.execute(&mut *tx).await?;
        }
        for (pk, id) in &to_revoke {
            org.head.record(
                now,
                actor,
                "grant.revoked",
                Some(id),
                json!({
                    "reason": reason,
                    "sessions_ended": sessions_per_grant.get(pk).copied().unwrap_or(0),
                }),
            )?;
        }
        org.head.save(&mut tx).await?;
        self.commit_ending_access(tx).await?;
        result.revoked = to_revoke.into_iter().map(|(_, id)| id).collect();
        Ok(result)
    }

    async fn open_session(
        &self,
        engineer: &Principal,
        org_slug: &str,
        request: &NewSession,
        now: Timestamp,
    ) -> StoreResult<Session> {
        // One answer whether the org does not exist, is disabled, or has no grant for this
        // engineer: a support engineer must not learn which orgs exist.
        let no_grant = || match &request.grant_id {
            Some(grant_id) => StoreError::NotFound(format!(
                "no grant '{grant_id}' of org '{org_slug}' is usable by you"
            )),
            None => StoreError::NotFound(format!(
                "no active grant of org '{org_slug}' is usable by you"
            )),
        };
        let mut tx = self.begin_write().await?;
        // The engineer's account row before the org (see `account_by_id`): a concurrent
        // disable either sees this session and closes it, or this sees the disable. Exclusive,
        // not FOR SHARE: shared lockers that keep coming would starve the disable's lock.
        let disabled: Option<i64> = sqlx::query_scalar(match self.backend {
            Backend::Postgres => "SELECT disabled_at FROM accounts WHERE pk = $1 FOR NO KEY UPDATE",
            Backend::Sqlite => "SELECT disabled_at FROM accounts WHERE pk = $1",
        })
        .bind(engineer.pk)
        .fetch_one(&mut *tx)
        .await?;
        if disabled.is_some() {
            return Err(StoreError::Conflict("your account is disabled".into()));
        }
        // Counted under the account's lock: concurrent opens cannot all slip under the cap.
        let active = self
            .open_sessions(&mut tx, OpenSessionsOf::Engineer, engineer.pk, now)
            .await?
            .len();
        if active >= request.max_active as usize {
            return Err(StoreError::Policy(format!(
                "you have {active} active sessions, the most this server allows one engineer; \
                 close some first"
            )));
        }
        let Some(mut org) = self.lock_org(&mut tx, org_slug).await? else {
            return Err(no_grant());
        };
        if org.org.status == EnabledStatus::Disabled {
            return Err(no_grant());
        }
        let usable = "(g.all_engineers = 1 OR EXISTS (SELECT 1 FROM grant_engineers ge \
                      WHERE ge.grant_pk = g.pk AND ge.account_pk = $2))";
        let grant = match &request.grant_id {
            Some(grant_id) => {
                let sql = format!("{GRANT_SELECT} WHERE g.org_pk = $1 AND {usable} AND g.id = $3");
                let row = sqlx::query(AssertSqlSafe(sql))
                    .bind(org.pk)
                    .bind(engineer.pk)
                    .bind(grant_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(no_grant)?;
                let grant = grant_row(&row, now)?.grant;
                if grant.status != GrantStatus::Active {
                    return Err(StoreError::Conflict(format!(
                        "grant '{grant_id}' is {}; ask the org's admins for a new grant",
                        grant.status
                    )));
                }
                if let Some(problem) = coverage_gap(&grant, request) {
                    return Err(StoreError::Policy(format!(
                        "grant '{grant_id}' does not cover the request: {problem}"
                    )));
                }
                grant
            }
            None => {
                let sql = format!(
                    "{GRANT_SELECT} WHERE g.org_pk = $1 AND {usable} AND g.revoked_at IS NULL \
                     AND g.expires_at > $3 ORDER BY g.pk DESC LIMIT $4"
                );
                let rows = sqlx::query(AssertSqlSafe(sql))
                    .bind(org.pk)
                    .bind(engineer.pk)
                    .bind(now.as_second())
                    .bind(PICK_CANDIDATES)
                    .fetch_all(&mut *tx)
                    .await?;
                if rows.is_empty() {
                    return Err(no_grant());
                }
                let candidates = rows
                    .iter()
                    .map(|row| Ok(grant_row(row, now)?.grant))
                    .collect::<StoreResult<Vec<_>>>()?;
                let gaps: Vec<String> = candidates
                    .iter()
                    .filter_map(|grant| coverage_gap(grant, request))
                    .collect();
                // Least privilege: the narrowest grant that covers the request.
                candidates
                    .into_iter()
                    .filter(|grant| coverage_gap(grant, request).is_none())
                    .min_by_key(|grant| {
                        (
                            grant.level,
                            grant.areas.len(),
                            std::cmp::Reverse(grant.expires_at),
                        )
                    })
                    .ok_or_else(|| {
                        StoreError::Policy(format!(
                            "none of your usable grants in org '{org_slug}' covers the request ({})",
                            gaps.first().cloned().unwrap_or_default()
                        ))
                    })?
            }
        };
        let level = request.level.unwrap_or(grant.level);
        let areas = request.areas.clone().unwrap_or_else(|| grant.areas.clone());
        let ttl_end = Timestamp::from_second(now.as_second().saturating_add(request.ttl_seconds))
            .map_err(|_| StoreError::Invalid("ttl out of range".into()))?;
        let expires_at = ttl_end.min(grant.expires_at);
        let grant_pk: i64 = sqlx::query_scalar("SELECT pk FROM grants WHERE id = $1")
            .bind(&grant.id)
            .fetch_one(&mut *tx)
            .await?;
        let id = ids::new_id(ids::SESSION);
        sqlx::query(
            "INSERT INTO sessions (id, org_pk, grant_pk, engineer_pk, level, areas, reason, \
             token_hash, opened_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(org.pk)
        .bind(grant_pk)
        .bind(engineer.pk)
        .bind(level.to_string())
        .bind(areas_text(&areas))
        .bind(&request.reason)
        .bind(hex::encode(request.token_hash))
        .bind(now.as_second())
        .bind(expires_at.as_second())
        .execute(&mut *tx)
        .await?;
        org.head.record(
            now,
            engineer,
            "session.opened",
            Some(&id),
            json!({
                "grant_id": grant.id,
                "engineer": engineer.email,
                "level": level,
                "areas": areas,
                "expires_at": expires_at,
                "reason": request.reason,
            }),
        )?;
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        Ok(Session {
            id,
            org: org_slug.to_owned(),
            grant_id: grant.id,
            engineer: engineer.email.clone(),
            level,
            areas,
            reason: request.reason.clone(),
            opened_at: now,
            expires_at,
            closed_at: None,
            close_reason: None,
            status: if now < expires_at {
                SessionStatus::Active
            } else {
                SessionStatus::Expired
            },
        })
    }

    async fn list_sessions(
        &self,
        scope: SessionScope<'_>,
        status: SessionStatusFilter,
        page: PageRequest,
        now: Timestamp,
    ) -> StoreResult<Page<Session>> {
        let status_sql = match status {
            SessionStatusFilter::Active => {
                "AND s.closed_at IS NULL AND g.revoked_at IS NULL AND s.expires_at > $2"
            }
            SessionStatusFilter::Closed => "AND s.closed_at IS NOT NULL AND $2 = $2",
            SessionStatusFilter::Revoked => {
                "AND s.closed_at IS NULL AND g.revoked_at IS NOT NULL \
                 AND g.revoked_at < s.expires_at AND $2 = $2"
            }
            SessionStatusFilter::Expired => {
                "AND s.closed_at IS NULL AND s.expires_at <= $2 \
                 AND (g.revoked_at IS NULL OR g.revoked_at >= s.expires_at)"
            }
            SessionStatusFilter::All => "AND $2 = $2",
        };
        let (scope_sql, scope_value) = match scope {
            SessionScope::Org(slug) => {
                let Some(pk) = sqlx::query_scalar::<_, i64>("SELECT pk FROM orgs WHERE slug = $1")
                    .bind(slug)
                    .fetch_optional(&self.read)
                    .await?
                else {
                    return Err(StoreError::NotFound(format!("no org '{slug}'")));
                };
                ("s.org_pk = $1", pk)
            }
            SessionScope::Engineer(engineer) => ("s.engineer_pk = $1", engineer.pk),
        };
        let sql = format!(
            "{SESSION_SELECT} WHERE {scope_sql} {status_sql} AND s.pk < $3 \
             ORDER BY s.pk DESC LIMIT $4"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(scope_value)
            .bind(now.as_second())
            .bind(page.after.unwrap_or(i64::MAX))
            .bind(page.limit + 1)
            .fetch_all(&self.read)
            .await?;
        let items = rows
            .iter()
            .map(|row| Ok((row.try_get("pk")?, session_auth(row)?.to_api(now))))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(items, page.limit))
    }

    async fn get_session(&self, id: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        let mut conn = self.read.acquire().await?;
        Ok(self
            .session_by_id(&mut conn, id)
            .await?
            .map(|auth| auth.to_api(now)))
    }

    async fn close_session(
        &self,
        actor: &Principal,
        id: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Session> {
        let mut tx = self.begin_write().await?;
        let not_found = || StoreError::NotFound(format!("no session '{id}'"));
        let org_pk = self
            .session_by_id(&mut tx, id)
            .await?
            .ok_or_else(not_found)?
            .org_pk;
        let mut org = self.lock_org_pk(&mut tx, org_pk).await?;
        // Read again under the org's lock: the session may have ended meanwhile.
        let auth = self
            .session_by_id(&mut tx, id)
            .await?
            .ok_or_else(not_found)?;
        if auth.inactive_reason(now).is_some() {
            return Ok(auth.to_api(now));
        }
        let reason = reason.unwrap_or("closed");
        let pk: i64 = sqlx::query_scalar("SELECT pk FROM sessions WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        self.close_sessions(
            &mut tx,
            &mut org.head,
            actor,
            &[(pk, id.to_owned())],
            reason,
            now,
        )
        .await?;
        org.head.save(&mut tx).await?;
        self.commit_ending_access(tx).await?;
        let mut session = auth.to_api(now);
        session.closed_at = Some(now);
        session.close_reason = Some(reason.to_owned());
        session.status = SessionStatus::Closed;
        Ok(session)
    }

    async fn decide_access(
        &self,
        access: &AccessRequest,
        now: Timestamp,
    ) -> StoreResult<Option<String>> {
        let mut tx = self.begin_write().await?;
        let mut org = self.lock_org_pk(&mut tx, access.session.org_pk).await?;
        // Every change that ends a session (close, revoke, disable) holds this org's lock, so
        // the session read now reflects each one committed before; the lookup the caller made
        // before waiting for the lock may be older.
        let session = self
            .session_by_id(&mut tx, &access.session.session.id)
            .await?
            .ok_or_else(|| StoreError::NotFound("the session is gone".into()))?;
        let denial = session.access_denial(access.area, access.action, now);
        let engineer = Principal {
            pk: session.engineer_pk,
            id: session.engineer_id.clone(),
            email: session.session.engineer.clone(),
            role: Role::Support,
            org: None,
        };
        org.head.record(
            now,
            &engineer,
            if denial.is_none() {
                "access.allowed"
            } else {
                "access.denied"
            },
            Some(&session.session.id),
            json!({
                "area": access.area,
                "action": access.action,
                "resource": access.resource,
                "reason": denial,
                "reported_by": access.reporter.email,
            }),
        )?;
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        Ok(denial)
    }

    async fn list_audit(&self, org: &str, filter: &AuditFilter) -> StoreResult<Page<AuditEvent>> {
        let Some(org_pk) = sqlx::query_scalar::<_, i64>("SELECT pk FROM orgs WHERE slug = $1")
            .bind(org)
            .fetch_optional(&self.read)
            .await?
        else {
            return Err(StoreError::NotFound(format!("no org '{org}'")));
        };
        let action_sql = if filter.action.is_some() {
            "AND action = $5"
        } else {
            "AND $5 = $5"
        };
        let sql = format!(
            "SELECT seq, id, at, actor_id, actor_email, actor_role, action, target, details, \
             prev_hash, hash FROM audit_events WHERE org_pk = $1 AND seq > $2 \
             AND at >= $3 AND at < $4 {action_sql} ORDER BY seq LIMIT $6"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(filter.after_seq.unwrap_or(0))
            .bind(filter.since.map_or(i64::MIN, Timestamp::as_second))
            .bind(filter.until.map_or(i64::MAX, Timestamp::as_second))
            .bind(filter.action.clone().unwrap_or_default())
            .bind(filter.limit + 1)
            .fetch_all(&self.read)
            .await?;
        let items = rows
            .iter()
            .map(|row| {
                let event = audit_from_row(row, org)?;
                Ok((event.seq, event))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(items, filter.limit))
    }

    async fn sweep_expired(&self, now: Timestamp) -> StoreResult<SweepReport> {
        let mut report = SweepReport::default();
        let grants = sqlx::query(
            "SELECT org_pk, pk, id, expires_at FROM grants WHERE revoked_at IS NULL \
             AND expiry_recorded = 0 AND expires_at <= $1 ORDER BY org_pk, pk LIMIT $2",
        )
        .bind(now.as_second())
        .bind(SWEEP_BATCH)
        .fetch_all(&self.read)
        .await?;
        let sessions = sqlx::query(
            "SELECT s.org_pk, s.pk, s.id, s.expires_at FROM sessions s \
             JOIN grants g ON g.pk = s.grant_pk WHERE s.closed_at IS NULL \
             AND s.expiry_recorded = 0 AND s.expires_at <= $1 \
             AND (g.revoked_at IS NULL OR g.revoked_at >= s.expires_at) \
             ORDER BY s.org_pk, s.pk LIMIT $2",
        )
        .bind(now.as_second())
        .bind(SWEEP_BATCH)
        .fetch_all(&self.read)
        .await?;
        type Expiries = Vec<(i64, String, i64)>;
        let mut by_org: BTreeMap<i64, (Expiries, Expiries)> = BTreeMap::new();
        for row in &grants {
            let entry = by_org.entry(row.try_get(0)?).or_default();
            entry
                .0
                .push((row.try_get(1)?, row.try_get(2)?, row.try_get(3)?));
        }
        for row in &sessions {
            let entry = by_org.entry(row.try_get(0)?).or_default();
            entry
                .1
                .push((row.try_get(1)?, row.try_get(2)?, row.try_get(3)?));
        }
        let system = Principal::system();
        for (org_pk, (grants, sessions)) in by_org {
            let mut tx = self.begin_write().await?;
            let mut org = self.lock_org_pk(&mut tx, org_pk).await?;
            for (table, action, items, count) in [
                (
                    "grants",
                    "grant.expired",
                    &grants,
                    &mut report.grants_expired,
                ),
                (
                    "sessions",
                    "session.expired",
                    &sessions,
                    &mut report.sessions_expired,
                ),
            ] {
                for (pk, id, expires_at) in items {
                    // Conditional, so that a replica sweeping concurrently records it once.
                    let sql = format!(
                        "UPDATE {table} SET expiry_recorded = 1 WHERE pk = $1 AND expiry_recorded = 0"
                    );
                    let updated = sqlx::query(AssertSqlSafe(sql))
                        .bind(*pk)
                        .execute(&mut *tx)
                        .await?;
                    if updated.rows_affected() == 1 {
                        org.head.record(
                            now,
                            &system,
                            action,
                            Some(id),
                            json!({ "expires_at": Timestamp::from_second(*expires_at).ok() }),
                        )?;
                        *count += 1;
                    }
                }
            }
            org.head.save(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(report)
    }
}

/// A token lookup through the cache, when there is one: a hit of the current generation, or
/// a read whose result is remembered under the generation observed before it.
async fn through_cache<T, F, Fut>(
    cache: Option<&AuthCache>,
    entries: impl Fn(&AuthCache) -> &Entries<T>,
    token: &TokenHash,
    read: F,
) -> StoreResult<Option<Arc<T>>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = StoreResult<Option<Arc<T>>>>,
{
    let Some(cache) = cache else {
        return read().await;
    };
    if let Some(hit) = cache.get(entries(cache), token) {
        return Ok(Some(hit));
    }
    let read_at = cache.generation();
    let found = read().await?;
    if let Some(found) = &found {
        cache.put(entries(cache), *token, read_at, Arc::clone(found));
    }
    Ok(found)
}

impl SessionAuth {
    /// The session as the API shows it at `now`.
    pub fn to_api(&self, now: Timestamp) -> Session {
        let record = &self.session;
        let status = if record.closed_at.is_some() {
            SessionStatus::Closed
        } else if self
            .grant_revoked_at
            .is_some_and(|revoked| revoked < record.expires_at)
        {
            SessionStatus::Revoked
        } else if now >= record.expires_at {
            SessionStatus::Expired
        } else {
            SessionStatus::Active
        };
        Session {
            id: record.id.clone(),
            org: record.org.clone(),
            grant_id: record.grant_id.clone(),
            engineer: record.engineer.clone(),
            level: record.level,
            areas: record.areas.clone(),
            reason: record.reason.clone(),
            opened_at: record.opened_at,
            expires_at: record.expires_at,
            closed_at: record.closed_at,
            close_reason: record.close_reason.clone(),
            status,
        }
    }
}

/// Why `grant` cannot serve `request`, if it cannot.
fn coverage_gap(grant: &Grant, request: &NewSession) -> Option<String> {
    if let Some(level) = request.level
        && level > grant.level
    {
        return Some(format!(
            "level {level} is above the grant's level {}",
            grant.level
        ));
    }
    if let Some(areas) = &request.areas {
        let missing: Vec<String> = areas
            .iter()
            .filter(|area| !grant.areas.contains(area))
            .map(Area::to_string)
            .collect();
        if !missing.is_empty() {
            return Some(format!(
                "area {} not in the grant's areas ({})",
                missing.join(", "),
                crate::api::join_areas(&grant.areas)
            ));
        }
    }
    None
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
    }
}

fn ts(seconds: i64) -> StoreResult<Timestamp> {
    Timestamp::from_second(seconds)
        .map_err(|e| StoreError::Database(format!("bad time {seconds}: {e}")))
}

fn opt_ts(seconds: Option<i64>) -> StoreResult<Option<Timestamp>> {
    seconds.map(ts).transpose()
}

fn areas_text(areas: &[Area]) -> String {
    crate::api::join_areas(areas)
}

fn parse_areas(text: &str) -> StoreResult<Vec<Area>> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().map_err(StoreError::Database))
        .collect()
}

fn parse_wire<T: std::str::FromStr<Err = String>>(text: &str) -> StoreResult<T> {
    text.parse().map_err(StoreError::Database)
}

fn org_row(row: &AnyRow, backend: Backend) -> StoreResult<OrgRow> {
    let pk: i64 = row.try_get("pk")?;
    let slug: String = row.try_get("slug")?;
    let disabled_at = opt_ts(row.try_get("disabled_at")?)?;
    Ok(OrgRow {
        pk,
        head: ChainHead::new(
            backend,
            pk,
            slug.clone(),
            (row.try_get("audit_seq")?, row.try_get("audit_hash")?),
            opt_ts(row.try_get("audit_at")?)?,
        ),
        org: Org {
            slug,
            name: row.try_get("name")?,
            status: if disabled_at.is_some() {
                EnabledStatus::Disabled
            } else {
                EnabledStatus::Enabled
            },
            created_at: ts(row.try_get("created_at")?)?,
            disabled_at,
        },
    })
}

fn account_from_row(row: &AnyRow) -> StoreResult<Account> {
    let disabled_at = opt_ts(row.try_get("disabled_at")?)?;
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        role: parse_wire::<Role>(&row.try_get::<String, _>("role")?)?,
        org: row.try_get("org")?,
        status: if disabled_at.is_some() {
            EnabledStatus::Disabled
        } else {
            EnabledStatus::Enabled
        },
        created_at: ts(row.try_get("created_at")?)?,
        disabled_at,
    })
}

fn grant_row(row: &AnyRow, now: Timestamp) -> StoreResult<GrantRow> {
    let expires_at = ts(row.try_get("expires_at")?)?;
    let revoked_at = opt_ts(row.try_get("revoked_at")?)?;
    let engineers: String = row.try_get("engineers")?;
    Ok(GrantRow {
        pk: row.try_get("pk")?,
        grant: Grant {
            id: row.try_get("id")?,
            org: row.try_get("org")?,
            level: parse_wire::<Level>(&row.try_get::<String, _>("level")?)?,
            areas: parse_areas(&row.try_get::<String, _>("areas")?)?,
            engineers: serde_json::from_str(&engineers)
                .map_err(|e| StoreError::Database(format!("bad engineers list: {e}")))?,
            reason: row.try_get("reason")?,
            ticket: row.try_get("ticket")?,
            created_by: row.try_get("created_by")?,
            created_at: ts(row.try_get("created_at")?)?,
            expires_at,
            revoked_at,
            revoked_by: row.try_get("revoked_by")?,
            revoke_reason: row.try_get("revoke_reason")?,
            status: grant_status(expires_at, revoked_at, now),
        },
    })
}

fn session_auth(row: &AnyRow) -> StoreResult<SessionAuth> {
    Ok(SessionAuth {
        session: SessionRecord {
            id: row.try_get("id")?,
            org: row.try_get("org")?,
            grant_id: row.try_get("grant_id")?,
            engineer: row.try_get("engineer")?,
            level: parse_wire::<Level>(&row.try_get::<String, _>("level")?)?,
            areas: parse_areas(&row.try_get::<String, _>("areas")?)?,
            reason: row.try_get("reason")?,
            opened_at: ts(row.try_get("opened_at")?)?,
            expires_at: ts(row.try_get("expires_at")?)?,
            closed_at: opt_ts(row.try_get("closed_at")?)?,
            close_reason: row.try_get("close_reason")?,
        },
        org_pk: row.try_get("org_pk")?,
        engineer_pk: row.try_get("engineer_pk")?,
        engineer_id: row.try_get("engineer_id")?,
        grant_expires_at: ts(row.try_get("grant_expires_at")?)?,
        grant_revoked_at: opt_ts(row.try_get("grant_revoked_at")?)?,
        engineer_disabled: row
            .try_get::<Option<i64>, _>("engineer_disabled_at")?
            .is_some(),
        org_disabled: row.try_get::<Option<i64>, _>("org_disabled_at")?.is_some(),
    })
}

fn audit_from_row(row: &AnyRow, org: &str) -> StoreResult<AuditEvent> {
    let details: String = row.try_get("details")?;
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        at: ts(row.try_get("at")?)?,
        org: org.to_owned(),
        actor: crate::api::Actor {
            id: row.try_get("actor_id")?,
            email: row.try_get("actor_email")?,
            role: row.try_get("actor_role")?,
        },
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        details: serde_json::from_str(&details)
            .map_err(|e| StoreError::Database(format!("bad event details: {e}")))?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
