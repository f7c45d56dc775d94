//! Sign-in with an identity provider: connectors, sign-ins in progress, and what a verified
//! sign-in does to the accounts (link, provision, refuse), each with its audit event.
//!
//! A refusal rolls back whatever its transaction did and is then recorded on its own
//! (`account.login_failed`, and the flow marked failed), so that a refused sign-in writes
//! nothing but its event.

use jiff::Timestamp;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::Store;
use super::columns::ACCOUNT_SELECT;
use super::rows::{account_from_row, opt_ts, ts};
use super::vendor::record_vendor_event;
use crate::api::{Account, EnabledStatus, ErrorCode, Role, SsoFlowKind};
use crate::server::ids;
use crate::server::store::sign_in::{
    Attempt, ConnectorRecord, FlowRecord, FlowStatus, IssuedToken, NewConnector, NewFlow, Refusal,
    VerifiedSignIn,
};
use crate::server::store::values::{Principal, StoreError, StoreResult};

const CONNECTOR_SELECT: &str = "SELECT c.pk, c.org_pk, o.slug AS org, c.name, c.issuer, \
     c.client_id, c.client_secret, c.scopes, c.flows, c.email_domains, c.rules, c.provision, \
     c.created_at, c.created_by FROM sso_connectors c LEFT JOIN orgs o ON o.pk = c.org_pk";

const FLOW_SELECT: &str = "SELECT pk, connector_pk, kind, nonce, pkce_verifier, device_code, \
     interval_seconds, next_poll_at, created_at, expires_at, status, error_code, error_detail \
     FROM sso_flows";

/// How long a finished or abandoned sign-in is kept after it expired.
const FLOW_RETENTION_SECONDS: i64 = 3600;

fn json_column<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> StoreResult<T> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Database(format!("bad {column} of a connector: {e}")))
}

fn connector_from_row(row: &AnyRow) -> StoreResult<ConnectorRecord> {
    Ok(ConnectorRecord {
        pk: row.try_get("pk")?,
        org_pk: row.try_get("org_pk")?,
        org: row.try_get("org")?,
        name: row.try_get("name")?,
        issuer: row.try_get("issuer")?,
        client_id: row.try_get("client_id")?,
        client_secret: row.try_get("client_secret")?,
        scopes: json_column(row, "scopes")?,
        flows: json_column(row, "flows")?,
        email_domains: json_column(row, "email_domains")?,
        rules: json_column(row, "rules")?,
        provision: row.try_get::<i64, _>("provision")? != 0,
        created_at: ts(row.try_get("created_at")?)?,
        created_by: row.try_get("created_by")?,
    })
}

fn flow_from_row(row: &AnyRow) -> StoreResult<FlowRecord> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let code: Option<String> = row.try_get("error_code")?;
    let detail: Option<String> = row.try_get("error_detail")?;
    Ok(FlowRecord {
        pk: row.try_get("pk")?,
        connector_pk: row.try_get("connector_pk")?,
        kind: if kind == "device" {
            SsoFlowKind::Device
        } else {
            SsoFlowKind::Browser
        },
        nonce: row.try_get("nonce")?,
        pkce_verifier: row.try_get("pkce_verifier")?,
        device_code: row.try_get("device_code")?,
        interval_seconds: row.try_get("interval_seconds")?,
        next_poll_at: ts(row.try_get("next_poll_at")?)?,
        created_at: ts(row.try_get("created_at")?)?,
        expires_at: ts(row.try_get("expires_at")?)?,
        status: FlowStatus::parse(&status)
            .ok_or_else(|| StoreError::Database(format!("bad flow status '{status}'")))?,
        refusal: code.map(|code| Refusal {
            code: ErrorCode::parse(&code).unwrap_or(ErrorCode::SignInFailed),
            detail: detail.unwrap_or_default(),
        }),
    })
}

/// The actor of a sign-in's events: the person, as far as they are known.
fn person(pk: i64, id: &str, email: &str, role: Role, org: Option<String>) -> Principal {
    Principal {
        pk,
        id: id.to_owned(),
        email: email.to_owned(),
        role,
        org,
    }
}

/// An account as a sign-in sees it.
struct Found {
    pk: i64,
    org_pk: Option<i64>,
    account: Account,
}

/// A store's sign-ins through identity providers, and their connectors:
/// `store.sign_ins().take_flow_token(…)`.
pub struct SignIns<'a>(&'a Store);

impl Store {
    pub fn sign_ins(&self) -> SignIns<'_> {
        SignIns(self)
    }
}

impl SignIns<'_> {
    pub async fn create_connector(
        &self,
        actor: &Principal,
        org: Option<&str>,
        new: &NewConnector,
        now: Timestamp,
    ) -> StoreResult<ConnectorRecord> {
        let mut tx = self.0.begin_write().await?;
        let mut org_row = match org {
            Some(slug) => Some(self.0.lock_enabled_org(&mut tx, slug).await?),
            None => None,
        };
        let org_pk = org_row.as_ref().map_or(0, |org| org.pk);
        let inserted = sqlx::query(
            "INSERT INTO sso_connectors (org_pk, name, issuer, client_id, client_secret, scopes, \
             flows, email_domains, rules, provision, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (org_pk, name) DO NOTHING",
        )
        .bind(org_pk)
        .bind(&new.name)
        .bind(&new.issuer)
        .bind(&new.client_id)
        .bind(&new.client_secret)
        .bind(json_text(&new.scopes))
        .bind(json_text(&new.flows))
        .bind(json_text(&new.email_domains))
        .bind(json_text(&new.rules))
        .bind(i64::from(new.provision))
        .bind(now.as_second())
        .bind(&actor.email)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "a connector named '{}' already exists",
                new.name
            )));
        }
        let details = json!({
            "name": new.name, "issuer": new.issuer, "client_id": new.client_id,
            "flows": new.flows, "rules": new.rules, "provision": new.provision,
        });
        let action = "auth.connector.created";
        match &mut org_row {
            Some(org) => {
                org.head
                    .record(now, actor, action, Some(&new.name), details)?;
            }
            None => {
                record_vendor_event(
                    self.0,
                    &mut tx,
                    now,
                    actor,
                    action,
                    Some(&new.name),
                    details,
                )
                .await?;
            }
        }
        if let Some(org) = org_row {
            org.head.save(&mut tx).await?;
        }
        tx.commit().await?;
        self.get_connector(org, &new.name)
            .await?
            .ok_or_else(|| StoreError::Database("the new connector vanished".into()))
    }

    pub async fn list_connectors(&self, org: Option<&str>) -> StoreResult<Vec<ConnectorRecord>> {
        let rows = match org {
            Some(slug) => {
                let sql = format!("{CONNECTOR_SELECT} WHERE o.slug = $1 ORDER BY c.name");
                sqlx::query(AssertSqlSafe(sql))
                    .bind(slug)
                    .fetch_all(&self.0.read)
                    .await?
            }
            None => {
                let sql = format!("{CONNECTOR_SELECT} WHERE c.org_pk = 0 ORDER BY c.name");
                sqlx::query(AssertSqlSafe(sql))
                    .fetch_all(&self.0.read)
                    .await?
            }
        };
        rows.iter().map(connector_from_row).collect()
    }

    pub async fn get_connector(
        &self,
        org: Option<&str>,
        name: &str,
    ) -> StoreResult<Option<ConnectorRecord>> {
        let row = match org {
            Some(slug) => {
                let sql = format!("{CONNECTOR_SELECT} WHERE o.slug = $1 AND c.name = $2");
                sqlx::query(AssertSqlSafe(sql))
                    .bind(slug)
                    .bind(name)
                    .fetch_optional(&self.0.read)
                    .await?
            }
            None => {
                let sql = format!("{CONNECTOR_SELECT} WHERE c.org_pk = 0 AND c.name = $1");
                sqlx::query(AssertSqlSafe(sql))
                    .bind(name)
                    .fetch_optional(&self.0.read)
                    .await?
            }
        };
        row.as_ref().map(connector_from_row).transpose()
    }

    pub async fn connector_by_pk(&self, pk: i64) -> StoreResult<Option<ConnectorRecord>> {
        let sql = format!("{CONNECTOR_SELECT} WHERE c.pk = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(pk)
            .fetch_optional(&self.0.read)
            .await?;
        row.as_ref().map(connector_from_row).transpose()
    }

    pub async fn delete_connector(
        &self,
        actor: &Principal,
        org: Option<&str>,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<ConnectorRecord> {
        let mut tx = self.0.begin_write().await?;
        let mut org_row = match org {
            Some(slug) => Some(self.0.lock_existing_org(&mut tx, slug).await?),
            None => None,
        };
        let org_pk = org_row.as_ref().map_or(0, |org| org.pk);
        let sql = format!("{CONNECTOR_SELECT} WHERE c.org_pk = $1 AND c.name = $2");
        let found = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(connector_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("no connector '{name}'")))?;
        sqlx::query("DELETE FROM sso_connectors WHERE pk = $1")
            .bind(found.pk)
            .execute(&mut *tx)
            .await?;
        // Sign-ins in progress through it end now.
        sqlx::query("DELETE FROM sso_flows WHERE connector_pk = $1 AND status <> 'taken'")
            .bind(found.pk)
            .execute(&mut *tx)
            .await?;
        let details = json!({ "name": found.name, "issuer": found.issuer });
        let action = "auth.connector.removed";
        match &mut org_row {
            Some(org) => org.head.record(now, actor, action, Some(name), details)?,
            None => {
                record_vendor_event(self.0, &mut tx, now, actor, action, Some(name), details)
                    .await?
            }
        }
        if let Some(org) = org_row {
            org.head.save(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Starts a sign-in: one statement, no transaction of its own (sign-ins an hour past their
    /// expiry are deleted by the sweep, see [`SignIns::delete_ended_flows`]).
    pub async fn create_flow(&self, new: &NewFlow, now: Timestamp) -> StoreResult<()> {
        let _waiting = self.0.wait_for_write();
        sqlx::query(
            "INSERT INTO sso_flows (id, connector_pk, kind, state, nonce, pkce_verifier, \
             device_code, interval_seconds, next_poll_at, created_at, expires_at, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending')",
        )
        .bind(&new.id_hash)
        .bind(new.connector_pk)
        .bind(new.kind.as_str())
        .bind(&new.state)
        .bind(&new.nonce)
        .bind(&new.pkce_verifier)
        .bind(&new.device_code)
        .bind(new.interval_seconds)
        .bind(now.as_second())
        .bind(now.as_second())
        .bind(new.expires_at.as_second())
        .execute(&self.0.write)
        .await?;
        Ok(())
    }

    /// Deletes the sign-ins that expired over an hour ago (finished or abandoned: their
    /// outcome is in the audit log); returns how many.
    pub(super) async fn delete_ended_flows(&self, now: Timestamp) -> StoreResult<u64> {
        let _waiting = self.0.wait_for_write();
        let deleted = sqlx::query("DELETE FROM sso_flows WHERE expires_at < $1")
            .bind(now.as_second() - FLOW_RETENTION_SECONDS)
            .execute(&self.0.write)
            .await?;
        Ok(deleted.rows_affected())
    }

    /// A sign-in by the hash of its id.
    pub async fn flow_by_id(&self, id_hash: &str) -> StoreResult<Option<FlowRecord>> {
        let sql = format!("{FLOW_SELECT} WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id_hash)
            .fetch_optional(&self.0.read)
            .await?;
        row.as_ref().map(flow_from_row).transpose()
    }

    /// The pending browser sign-in whose `state` came back, claimed: no later redirect with
    /// the same `state` gets it. `Err` with the connector's pk when the state is known but
    /// was used already (or its sign-in ended): a replay.
    pub async fn claim_flow_state(
        &self,
        state: &str,
        now: Timestamp,
    ) -> StoreResult<Result<FlowRecord, Option<i64>>> {
        let sql = format!(
            "UPDATE sso_flows SET state_used_at = $2 WHERE state = $1 AND state_used_at IS NULL \
             AND status = 'pending' AND expires_at > $2 RETURNING {}",
            FLOW_SELECT
                .trim_start_matches("SELECT ")
                .trim_end_matches(" FROM sso_flows")
        );
        // One statement: the claim is atomic without a transaction around it.
        let row = {
            let _waiting = self.0.wait_for_write();
            sqlx::query(AssertSqlSafe(sql))
                .bind(state)
                .bind(now.as_second())
                .fetch_optional(&self.0.write)
                .await?
        };
        if let Some(row) = row {
            return Ok(Ok(flow_from_row(&row)?));
        }
        let connector: Option<i64> =
            sqlx::query_scalar("SELECT connector_pk FROM sso_flows WHERE state = $1")
                .bind(state)
                .fetch_optional(&self.0.read)
                .await?;
        Ok(Err(connector))
    }

    /// When the client may poll again, after a poll that came too soon or a provider's
    /// `slow_down`.
    pub async fn delay_flow(
        &self,
        flow_pk: i64,
        interval_seconds: i64,
        next_poll_at: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.0.begin_write().await?;
        sqlx::query("UPDATE sso_flows SET interval_seconds = $1, next_poll_at = $2 WHERE pk = $3")
            .bind(interval_seconds)
            .bind(next_poll_at.as_second())
            .bind(flow_pk)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a refused sign-in: the flow (if any) fails with `refusal`, and
    /// `account.login_failed` goes into the connector's chain.
    pub async fn refuse_sign_in(
        &self,
        flow_pk: Option<i64>,
        connector: &ConnectorRecord,
        refusal: &Refusal,
        attempt: &Attempt,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.0.begin_write().await?;
        if let Some(flow_pk) = flow_pk {
            let failed = sqlx::query(
                "UPDATE sso_flows SET status = 'failed', error_status = $1, error_code = $2, \
                 error_detail = $3 WHERE pk = $4 AND status IN ('pending', 'ready')",
            )
            .bind(i64::from(refusal.code.http_status()))
            .bind(refusal.code.as_str())
            .bind(&refusal.detail)
            .bind(flow_pk)
            .execute(&mut *tx)
            .await?;
            // Refused already: recorded then.
            if failed.rows_affected() == 0 {
                return Ok(());
            }
        }
        let email = attempt.email.as_deref().unwrap_or("unknown");
        let role = if connector.org.is_some() {
            Role::Admin
        } else {
            Role::Support
        };
        let actor = person(0, "anonymous", email, role, connector.org.clone());
        let details = json!({
            "connector": connector.name,
            "reason": refusal.code.as_str(),
            "detail": refusal.detail,
            "email": attempt.email,
            "iss": attempt.iss,
            "sub": attempt.sub,
        });
        self.record_in_chain(
            &mut tx,
            nonzero(connector.org_pk),
            &actor,
            "account.login_failed",
            None,
            details,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Decides who a verified sign-in is: the account linked to (iss, sub), else the enabled
    /// account with that email and role (linked now), else a new one when the connector
    /// provisions. On success the flow is ready for its token; a refusal changes nothing here
    /// (the caller records it with [`SignIns::refuse_sign_in`]).
    pub async fn sign_in(
        &self,
        flow: &FlowRecord,
        connector: &ConnectorRecord,
        who: &VerifiedSignIn,
        now: Timestamp,
    ) -> StoreResult<Result<(), Refusal>> {
        let mut tx = self.0.begin_write().await?;
        let linked: Option<i64> =
            sqlx::query_scalar("SELECT account_pk FROM sso_identities WHERE iss = $1 AND sub = $2")
                .bind(&who.iss)
                .bind(&who.sub)
                .fetch_optional(&mut *tx)
                .await?;
        let org_of_connector = nonzero(connector.org_pk);
        let mut events: Vec<(&'static str, serde_json::Value)> = Vec::new();
        let found = match linked {
            Some(pk) => {
                self.account_for_sign_in(&mut tx, "a.pk = $1", pk.into())
                    .await?
            }
            None => {
                self.account_for_sign_in(&mut tx, "a.email = $1", who.email.clone().into())
                    .await?
            }
        };
        let account_pk = match (found, linked.is_some()) {
            (Some(found), was_linked) => {
                if let Err(refusal) = admissible(&found, connector, who, was_linked) {
                    return Ok(Err(refusal));
                }
                if !was_linked {
                    sqlx::query(
                        "INSERT INTO sso_identities (account_pk, iss, sub, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(found.pk)
                    .bind(&who.iss)
                    .bind(&who.sub)
                    .bind(now.as_second())
                    .execute(&mut *tx)
                    .await?;
                    events.push((
                        "account.linked",
                        json!({ "connector": connector.name, "iss": who.iss, "sub": who.sub,
                                "email": who.email }),
                    ));
                } else {
                    // The provider's word applies at each sign-in: a new email, a new role.
                    if found.account.email != who.email {
                        let taken: Option<i64> =
                            sqlx::query_scalar("SELECT pk FROM accounts WHERE email = $1")
                                .bind(&who.email)
                                .fetch_optional(&mut *tx)
                                .await?;
                        if taken.is_some() {
                            return Ok(Err(Refusal::new(
                                ErrorCode::NoAccount,
                                format!(
                                    "your email at the identity provider is now {}, which \
                                     another account already has; ask an operator to merge them",
                                    who.email
                                ),
                            )));
                        }
                        sqlx::query("UPDATE accounts SET email = $1 WHERE pk = $2")
                            .bind(&who.email)
                            .bind(found.pk)
                            .execute(&mut *tx)
                            .await?;
                        events.push((
                            "account.email_changed",
                            json!({ "from": found.account.email, "to": who.email,
                                    "connector": connector.name }),
                        ));
                    }
                    if found.account.role != who.role {
                        sqlx::query("UPDATE accounts SET role = $1 WHERE pk = $2")
                            .bind(who.role.to_string())
                            .bind(found.pk)
                            .execute(&mut *tx)
                            .await?;
                        events.push((
                            "account.role_changed",
                            json!({ "from": found.account.role, "to": who.role,
                                    "connector": connector.name }),
                        ));
                    }
                }
                found.pk
            }
            (None, _) => {
                if !connector.provision {
                    return Ok(Err(Refusal::new(
                        ErrorCode::NoAccount,
                        format!(
                            "there is no supportctl account for {}; ask an operator to create \
                             one (or to let the connector '{}' create accounts)",
                            who.email, connector.name
                        ),
                    )));
                }
                if who.role == Role::Operator {
                    return Ok(Err(Refusal::new(
                        ErrorCode::NoAccount,
                        format!(
                            "operator accounts are never created by a sign-in; ask an operator \
                             to create one for {}",
                            who.email
                        ),
                    )));
                }
                let id = ids::new_id(ids::ACCOUNT);
                // A token nobody knows, until the sign-in's own replaces it.
                let placeholder = crate::server::tokens::new_account_token();
                let pk: i64 = sqlx::query_scalar(
                    "INSERT INTO accounts (id, email, role, org_pk, token_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING pk",
                )
                .bind(&id)
                .bind(&who.email)
                .bind(who.role.to_string())
                .bind(org_of_connector)
                .bind(hex::encode(placeholder.hash))
                .bind(now.as_second())
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO sso_identities (account_pk, iss, sub, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(pk)
                .bind(&who.iss)
                .bind(&who.sub)
                .bind(now.as_second())
                .execute(&mut *tx)
                .await?;
                events.push((
                    "account.created",
                    json!({ "email": who.email, "role": who.role, "via": "sso",
                            "connector": connector.name, "iss": who.iss, "sub": who.sub }),
                ));
                pk
            }
        };
        let ready = sqlx::query(
            "UPDATE sso_flows SET status = 'ready', account_pk = $1, iss = $2, sub = $3, \
             auth_at = $4 WHERE pk = $5 AND status = 'pending'",
        )
        .bind(account_pk)
        .bind(&who.iss)
        .bind(&who.sub)
        .bind(who.auth_at.as_second())
        .bind(flow.pk)
        .execute(&mut *tx)
        .await?;
        if ready.rows_affected() == 0 {
            return Ok(Err(Refusal::new(
                ErrorCode::InvalidState,
                "this sign-in already finished; start a new one",
            )));
        }
        if !events.is_empty() {
            let account = self
                .account_for_sign_in(&mut tx, "a.pk = $1", account_pk.into())
                .await?
                .ok_or_else(|| StoreError::Database("the account vanished".into()))?;
            let actor = person(
                account.pk,
                &account.account.id,
                &account.account.email,
                account.account.role,
                account.account.org.clone(),
            );
            let id = account.account.id.clone();
            for (action, details) in events {
                self.record_in_chain(
                    &mut tx,
                    account.org_pk,
                    &actor,
                    action,
                    Some(&id),
                    details,
                    now,
                )
                .await?;
            }
        }
        self.0.commit_ending_access(tx).await?;
        Ok(Ok(()))
    }

    /// Hands out a ready sign-in's token, once: the account's token becomes `token` (the one
    /// it had stops working) and `account.login` is recorded.
    pub async fn take_flow_token(
        &self,
        flow: &FlowRecord,
        connector: &ConnectorRecord,
        token: &IssuedToken,
        now: Timestamp,
    ) -> StoreResult<Result<Account, Refusal>> {
        let mut tx = self.0.begin_write().await?;
        let row = sqlx::query(
            "UPDATE sso_flows SET status = 'taken' WHERE pk = $1 AND status = 'ready' \
             RETURNING account_pk, iss, sub, auth_at",
        )
        .bind(flow.pk)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Err(Refusal::new(
                ErrorCode::FlowUsed,
                "this sign-in's token was already handed out; start a new sign-in",
            )));
        };
        let account_pk: i64 = row.try_get("account_pk")?;
        let iss: Option<String> = row.try_get("iss")?;
        let sub: Option<String> = row.try_get("sub")?;
        let auth_at = opt_ts(row.try_get("auth_at")?)?.unwrap_or(now);
        let found = self
            .account_for_sign_in(&mut tx, "a.pk = $1", account_pk.into())
            .await?
            .ok_or_else(|| StoreError::Database("the signed-in account vanished".into()))?;
        if found.account.status == EnabledStatus::Disabled {
            return Ok(Err(Refusal::new(
                ErrorCode::AccountDisabled,
                format!(
                    "the account {} is disabled; ask an operator",
                    found.account.email
                ),
            )));
        }
        sqlx::query(
            "UPDATE accounts SET token_hash = $1, token_expires_at = $2, token_connector = $3, \
             token_auth_at = $4 WHERE pk = $5",
        )
        .bind(hex::encode(token.hash))
        .bind(token.expires_at.as_second())
        .bind(&connector.name)
        .bind(auth_at.as_second())
        .bind(account_pk)
        .execute(&mut *tx)
        .await?;
        let actor = person(
            found.pk,
            &found.account.id,
            &found.account.email,
            found.account.role,
            found.account.org.clone(),
        );
        let details = json!({
            "connector": connector.name,
            "flow": flow.kind,
            "iss": iss,
            "sub": sub,
            "auth_time": auth_at,
            "token_expires_at": token.expires_at,
        });
        let id = found.account.id.clone();
        self.record_in_chain(
            &mut tx,
            found.org_pk,
            &actor,
            "account.login",
            Some(&id),
            details,
            now,
        )
        .await?;
        self.0.commit_ending_access(tx).await?;
        let mut account = found.account;
        account.token_expires_at = Some(token.expires_at);
        account.token_connector = Some(connector.name.clone());
        Ok(Ok(account))
    }

    async fn account_for_sign_in(
        &self,
        tx: &mut AnyConnection,
        condition: &str,
        value: Key,
    ) -> StoreResult<Option<Found>> {
        let lock = self.0.engine.backend().sql().for_no_key_update;
        if !lock.is_empty() {
            let sql = format!("SELECT a.pk FROM accounts a WHERE {condition}{lock}");
            let query = sqlx::query(AssertSqlSafe(sql));
            let query = match &value {
                Key::Pk(pk) => query.bind(*pk),
                Key::Email(email) => query.bind(email.clone()),
            };
            query.execute(&mut *tx).await?;
        }
        let sql = format!("{ACCOUNT_SELECT} WHERE {condition}");
        let query = sqlx::query(AssertSqlSafe(sql));
        let query = match &value {
            Key::Pk(pk) => query.bind(*pk),
            Key::Email(email) => query.bind(email.clone()),
        };
        let Some(row) = query.fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        Ok(Some(Found {
            pk: row.try_get("pk")?,
            org_pk: row.try_get("org_pk")?,
            account: account_from_row(&row)?,
        }))
    }

    /// Records one event in an org's chain, or the vendor's (`org_pk` none).
    #[allow(clippy::too_many_arguments)]
    async fn record_in_chain(
        &self,
        tx: &mut AnyConnection,
        org_pk: Option<i64>,
        actor: &Principal,
        action: &str,
        target: Option<&str>,
        details: serde_json::Value,
        now: Timestamp,
    ) -> StoreResult<()> {
        match org_pk {
            Some(org_pk) => {
                let mut org = self.0.lock_org_pk(tx, org_pk).await?;
                org.head.record(now, actor, action, target, details)?;
                org.head.save(tx).await
            }
            None => record_vendor_event(self.0, tx, now, actor, action, target, details).await,
        }
    }
}

/// A value an account is found by.
enum Key {
    Pk(i64),
    Email(String),
}

impl From<i64> for Key {
    fn from(pk: i64) -> Self {
        Key::Pk(pk)
    }
}

impl From<String> for Key {
    fn from(email: String) -> Self {
        Key::Email(email)
    }
}

fn nonzero(org_pk: i64) -> Option<i64> {
    (org_pk != 0).then_some(org_pk)
}

/// Whether the account found for a sign-in may sign in through this connector.
fn admissible(
    found: &Found,
    connector: &ConnectorRecord,
    who: &VerifiedSignIn,
    linked: bool,
) -> Result<(), Refusal> {
    let account = &found.account;
    if account.status == EnabledStatus::Disabled {
        return Err(Refusal::new(
            ErrorCode::AccountDisabled,
            format!(
                "the account {} is disabled; ask an operator to enable it",
                account.email
            ),
        ));
    }
    match (nonzero(connector.org_pk), found.org_pk) {
        (Some(connector_org), Some(account_org)) if connector_org == account_org => {}
        (None, None) if account.role != Role::Service => {}
        (Some(_), _) => {
            return Err(Refusal::new(
                ErrorCode::WrongOrg,
                format!(
                    "the connector '{}' signs in admins of {} only, and {} is not one; sign in \
                     through your own org's connector",
                    connector.name,
                    connector.org.as_deref().unwrap_or("its org"),
                    account.email
                ),
            ));
        }
        (None, _) => {
            return Err(Refusal::new(
                ErrorCode::WrongOrg,
                format!(
                    "the connector '{}' signs in the vendor's support engineers and operators; \
                     {} is a {} account: sign in through your org's connector",
                    connector.name, account.email, account.role
                ),
            ));
        }
    }
    // An account found by email is linked only when the provider gives it the same role.
    if !linked && account.role != who.role {
        return Err(Refusal::new(
            ErrorCode::NoMatchingRule,
            format!(
                "the account {} is a {} account, but the connector's rules make you {}; ask an \
                 operator",
                account.email, account.role, who.role
            ),
        ));
    }
    Ok(())
}

/// JSON text of a column value.
fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}
