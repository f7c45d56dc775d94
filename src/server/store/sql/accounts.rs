//! Accounts: operators, org admins and support engineers, each with one bearer token.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::columns::ACCOUNT_SELECT;
use super::request_ends::OpenRequestsOf;
use super::rows::{account_auth_at, account_from_row};
use super::sessions::OpenSessionsOf;
use super::vendor::record_vendor_event;
use super::{ListQuery, Store};
use crate::api::{Account, EnabledStatus, Page, RequestStatus};
use crate::server::ids;
use crate::server::store::values::{
    AccountAuth, NewAccount, PageRequest, Principal, StoreError, StoreResult, TokenHash,
};

impl Store {
    pub(super) async fn read_account_auth(
        &self,
        token: &TokenHash,
    ) -> StoreResult<Option<Arc<AccountAuth>>> {
        let sql = format!("{ACCOUNT_SELECT} WHERE a.token_hash = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(hex::encode(token))
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| account_auth_at(&row, 0).map(Arc::new))
            .transpose()
    }

    /// Reads an account to change it, locking its row first on PostgreSQL. Lock order: an
    /// account row before any org row (opening a session does the same), so that disabling an
    /// engineer and opening a session for them cannot miss each other, nor deadlock.
    pub(super) async fn account_by_id(
        &self,
        conn: &mut AnyConnection,
        id: &str,
    ) -> StoreResult<Option<(i64, Option<i64>, Account)>> {
        let lock = self.engine.backend().sql().for_no_key_update;
        if !lock.is_empty() {
            let sql = format!("SELECT pk FROM accounts WHERE id = $1{lock}");
            sqlx::query(AssertSqlSafe(sql))
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
        Ok(Some((
            row.try_get("pk")?,
            row.try_get("org_pk")?,
            account_from_row(&row)?,
        )))
    }

    pub(super) async fn engineer_pks(
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

    pub async fn create_account(
        &self,
        actor: &Principal,
        account: &NewAccount,
        now: Timestamp,
    ) -> StoreResult<Account> {
        let mut tx = self.begin_write().await?;
        let mut org = match &account.org {
            Some(slug) => Some(self.lock_existing_org(&mut tx, slug).await?),
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
        } else {
            let details = json!({ "email": account.email, "role": account.role });
            let action = "account.created";
            record_vendor_event(self, &mut tx, now, actor, action, Some(&id), details).await?;
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
            token_expires_at: None,
            token_connector: None,
        })
    }

    pub async fn list_accounts(&self, page: PageRequest) -> StoreResult<Page<Account>> {
        let sql = format!("{ACCOUNT_SELECT} WHERE a.pk > $1 ORDER BY a.pk LIMIT $2");
        let bind = |query: ListQuery, after: Option<i64>, limit: i64| {
            query.bind(after.unwrap_or(0)).bind(limit)
        };
        self.fetch_list(sql, bind, page, |row| {
            Ok((row.try_get("pk")?, account_from_row(row)?))
        })
        .await
    }

    pub async fn find_account_by_email(&self, email: &str) -> StoreResult<Option<Account>> {
        let sql = format!("{ACCOUNT_SELECT} WHERE a.email = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| account_from_row(&row)).transpose()
    }

    /// The emails of the org's enabled admins (read with the org locked, so that a disable
    /// cannot slip between this and the change that relies on it).
    pub(super) async fn enabled_admin_emails(
        &self,
        conn: &mut AnyConnection,
        org_pk: i64,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT email FROM accounts WHERE org_pk = $1 AND role = 'admin' \
             AND disabled_at IS NULL ORDER BY email",
        )
        .bind(org_pk)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Disables the account and closes its open sessions.
    pub async fn disable_account(
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
        let disabled = AccountChange {
            pk,
            org_pk,
            id,
            email: &account.email,
            action: "account.disabled",
            session_close_reason: "engineer account disabled",
            cancels_requests: true,
        };
        let (closed, cancelled) = self
            .end_account_sessions(&mut tx, actor, &disabled, now)
            .await?;
        // An account of no org (support, service, operator) is the vendor's: its chain.
        if org_pk.is_none() {
            let details = json!({ "email": account.email, "sessions_closed": closed });
            let action = "account.disabled";
            record_vendor_event(self, &mut tx, now, actor, action, Some(id), details).await?;
        }
        self.commit_ending_access(tx).await?;
        self.announce(&cancelled);
        account.status = EnabledStatus::Disabled;
        account.disabled_at = Some(now);
        Ok(account)
    }

    pub async fn rotate_account_token(
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
        sqlx::query(
            "UPDATE accounts SET token_hash = $1, token_expires_at = NULL, token_connector = NULL, \
             token_auth_at = NULL WHERE pk = $2",
        )
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
            cancels_requests: false,
        };
        let (closed, _) = self
            .end_account_sessions(&mut tx, actor, &rotated, now)
            .await?;
        if org_pk.is_none() {
            let details = json!({ "email": account.email, "sessions_closed": closed });
            let action = "account.token_rotated";
            record_vendor_event(self, &mut tx, now, actor, action, Some(id), details).await?;
        }
        self.commit_ending_access(tx).await?;
        Ok(account)
    }

    /// Closes the open sessions of an account whose row `tx` holds locked (so none can open
    /// meanwhile), and with `cancels_requests` cancels its pending access requests, recording
    /// `session.closed` / `request.cancelled` in each one's org and the change itself in the
    /// account's own org, if it has one. Returns how many sessions it closed and the ids of
    /// the requests it cancelled.
    async fn end_account_sessions(
        &self,
        tx: &mut AnyConnection,
        actor: &Principal,
        change: &AccountChange<'_>,
        now: Timestamp,
    ) -> StoreResult<(usize, Vec<String>)> {
        let open = self
            .open_sessions(tx, OpenSessionsOf::Engineer, change.pk, now)
            .await?;
        let pending = if change.cancels_requests {
            self.open_requests(tx, OpenRequestsOf::Requester, change.pk, now)
                .await?
        } else {
            Vec::new()
        };
        // Lock every org involved in pk order, so concurrent writers cannot deadlock.
        let mut sessions_by_org: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
        let mut requests_by_org: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
        let mut orgs: std::collections::BTreeSet<i64> = change.org_pk.into_iter().collect();
        for (org_pk, session_pk, session_id) in open {
            orgs.insert(org_pk);
            sessions_by_org
                .entry(org_pk)
                .or_default()
                .push((session_pk, session_id));
        }
        for (org_pk, request_pk, request_id) in pending {
            orgs.insert(org_pk);
            requests_by_org
                .entry(org_pk)
                .or_default()
                .push((request_pk, request_id));
        }
        for org_pk in orgs {
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
            if let Some(sessions) = sessions_by_org.get(&org_pk) {
                self.close_sessions(
                    tx,
                    &mut org.head,
                    actor,
                    sessions,
                    change.session_close_reason,
                    now,
                )
                .await?;
            }
            if let Some(requests) = requests_by_org.get(&org_pk) {
                self.decide(
                    tx,
                    &mut org.head,
                    actor,
                    requests,
                    RequestStatus::Cancelled,
                    change.session_close_reason,
                    now,
                )
                .await?;
            }
            org.head.save(tx).await?;
        }
        let closed = sessions_by_org.values().map(Vec::len).sum();
        let cancelled = requests_by_org
            .into_values()
            .flatten()
            .map(|(_, id)| id)
            .collect();
        Ok((closed, cancelled))
    }

    pub async fn count_operators(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE role = 'operator' AND disabled_at IS NULL",
        )
        .fetch_one(&self.read)
        .await?)
    }
}

/// A change to an account that ends its open sessions.
struct AccountChange<'a> {
    pk: i64,
    org_pk: Option<i64>,
    id: &'a str,
    email: &'a str,
    action: &'static str,
    /// Why its sessions end (and its pending requests, when it cancels them).
    session_close_reason: &'static str,
    cancels_requests: bool,
}
