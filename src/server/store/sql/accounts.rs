//! Accounts: operators, org admins and support engineers, each with one bearer token.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::super::backend::Backend;
use super::SqlStore;
use super::request_ends::OpenRequestsOf;
use super::rows::{ACCOUNT_SELECT, account_from_row};
use super::sessions::OpenSessionsOf;
use crate::api::{Account, EnabledStatus, Page, RequestStatus};
use crate::server::ids;
use crate::server::store::{
    AccountAuth, NewAccount, PageRequest, Principal, StoreError, StoreResult, TokenHash,
};

impl SqlStore {
    pub(super) async fn read_account_auth(
        &self,
        token: &TokenHash,
    ) -> StoreResult<Option<Arc<AccountAuth>>> {
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

    /// Reads an account to change it, locking its row first on PostgreSQL. Lock order: an
    /// account row before any org row (opening a session does the same), so that disabling an
    /// engineer and opening a session for them cannot miss each other, nor deadlock.
    pub(super) async fn account_by_id(
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

    pub(super) async fn create_account(
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

    pub(super) async fn list_accounts(&self, page: PageRequest) -> StoreResult<Page<Account>> {
        let sql = format!("{ACCOUNT_SELECT} WHERE a.pk > $1 ORDER BY a.pk LIMIT $2");
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(page.after.unwrap_or(0))
            .bind(page.limit + 1);
        self.fetch_page(query, page.limit, |row| {
            Ok((row.try_get("pk")?, account_from_row(row)?))
        })
        .await
    }

    pub(super) async fn find_account_by_email(&self, email: &str) -> StoreResult<Option<Account>> {
        let sql = format!("{ACCOUNT_SELECT} WHERE a.email = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| account_from_row(&row)).transpose()
    }

    pub(super) async fn disable_account(
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
        let open = self
            .open_sessions(&mut tx, OpenSessionsOf::Engineer, pk, now)
            .await?;
        let pending = self
            .open_requests(&mut tx, OpenRequestsOf::Requester, pk, now)
            .await?;
        // Lock every org involved in pk order, so concurrent writers cannot deadlock.
        let mut by_org: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
        let mut requests_by_org: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
        if let Some(org_pk) = org_pk {
            by_org.entry(org_pk).or_default();
        }
        for (org_pk, session_pk, session_id) in open {
            by_org
                .entry(org_pk)
                .or_default()
                .push((session_pk, session_id));
        }
        for (org_pk, request_pk, request_id) in pending {
            by_org.entry(org_pk).or_default();
            requests_by_org
                .entry(org_pk)
                .or_default()
                .push((request_pk, request_id));
        }
        let mut heads = Vec::with_capacity(by_org.len());
        for &org_pk in by_org.keys() {
            heads.push(self.lock_org_pk(&mut tx, org_pk).await?);
        }
        sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE pk = $2")
            .bind(now.as_second())
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        for mut org in heads {
            if Some(org.pk) == org_pk {
                org.head.record(
                    now,
                    actor,
                    "account.disabled",
                    Some(id),
                    json!({ "email": account.email }),
                )?;
            }
            let sessions = &by_org[&org.pk];
            self.close_sessions(
                &mut tx,
                &mut org.head,
                actor,
                sessions,
                "engineer account disabled",
                now,
            )
            .await?;
            if let Some(requests) = requests_by_org.get(&org.pk) {
                self.decide(
                    &mut tx,
                    &mut org.head,
                    actor,
                    requests,
                    RequestStatus::Cancelled,
                    "engineer account disabled",
                    now,
                )
                .await?;
            }
            org.head.save(&mut tx).await?;
        }
        self.commit_ending_access(tx).await?;
        let cancelled: Vec<String> = requests_by_org
            .into_values()
            .flatten()
            .map(|(_, id)| id)
            .collect();
        self.announce(&cancelled);
        account.status = EnabledStatus::Disabled;
        account.disabled_at = Some(now);
        Ok(account)
    }

    pub(super) async fn rotate_account_token(
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
        let org = match org_pk {
            Some(org_pk) => Some(self.lock_org_pk(&mut tx, org_pk).await?),
            None => None,
        };
        sqlx::query("UPDATE accounts SET token_hash = $1 WHERE pk = $2")
            .bind(hex::encode(token))
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        if let Some(mut org) = org {
            org.head.record(
                now,
                actor,
                "account.token_rotated",
                Some(id),
                json!({ "email": account.email }),
            )?;
            org.head.save(&mut tx).await?;
        }
        self.commit_ending_access(tx).await?;
        Ok(account)
    }

    pub(super) async fn count_operators(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE role = 'operator' AND disabled_at IS NULL",
        )
        .fetch_one(&self.read)
        .await?)
    }
}
