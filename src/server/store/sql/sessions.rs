//! Sessions: short-lived access opened from a grant, and the access decisions made on them.

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::super::chain::ChainHead;
use super::columns::{GRANT_SELECT, SESSION_SELECT};
use super::rows::{GrantRow, SessionRow, areas_text, grant_row, session_auth, session_row};
use super::{ID_CHUNK, ListQuery, Store};
use crate::api::{EnabledStatus, GrantStatus, Page, Session, SessionStatus, SessionStatusFilter};
use crate::server::domain::{self, SessionAsk};
use crate::server::ids;
use crate::server::store::values::{
    NewSession, PageRequest, Principal, SessionAuth, SessionScope, StoreError, StoreResult,
    TokenHash,
};

/// Candidate grants considered when the server picks one for a new session.
const PICK_CANDIDATES: i64 = 1000;

/// Grants the engineer `$2` may use: those naming them, and those for the whole team.
const USABLE_BY: &str = "(g.all_engineers = 1 OR EXISTS (SELECT 1 FROM grant_engineers ge \
                         WHERE ge.grant_pk = g.pk AND ge.account_pk = $2))";

impl Store {
    pub(super) async fn read_session_auth(
        &self,
        token: &TokenHash,
    ) -> StoreResult<Option<Arc<SessionAuth>>> {
        let sql = format!("{SESSION_SELECT} WHERE s.token_hash = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(hex::encode(token))
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| session_auth(&row).map(Arc::new)).transpose()
    }

    pub(super) async fn session_by_id(
        &self,
        conn: &mut AnyConnection,
        id: &str,
    ) -> StoreResult<Option<SessionRow>> {
        let sql = format!("{SESSION_SELECT} WHERE s.id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|row| session_row(&row)).transpose()
    }

    /// Closes the given open sessions and records `session.closed` for each, in the org of `head`.
    pub(super) async fn close_sessions(
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
                self.engine.backend().params(1, 1),
                self.engine.backend().params(2, 1),
                self.engine.backend().params(3, chunk.len())
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
    pub(super) async fn open_sessions(
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

    /// Opens a session from the grant named, or else from the narrowest usable grant that
    /// covers the request, and records `session.opened`: all in one transaction that holds the
    /// engineer's account row and then the org's chain head.
    pub async fn open_session(
        &self,
        engineer: &Principal,
        org_slug: &str,
        request: &NewSession,
        now: Timestamp,
    ) -> StoreResult<Session> {
        let no_grant = || {
            StoreError::NotFound(domain::no_usable_grant(
                org_slug,
                request.grant_id.as_deref(),
            ))
        };
        let mut tx = self.begin_write().await?;
        self.lock_enabled_engineer(&mut tx, engineer.pk).await?;
        self.check_session_cap(&mut tx, engineer.pk, request.max_active, now)
            .await?;
        let mut org = match self.lock_org(&mut tx, org_slug).await? {
            Some(org) if org.org.status == EnabledStatus::Enabled => org,
            _ => return Err(no_grant()),
        };
        self.require_policy_version(&mut tx, org.pk, request.policy_version)
            .await?;
        let ask = SessionAsk {
            level: request.level,
            areas: request.areas.as_deref(),
        };
        let grant = match &request.grant_id {
            Some(grant_id) => {
                self.named_grant(&mut tx, org.pk, engineer.pk, grant_id, ask, now)
                    .await?
            }
            None => {
                self.narrowest_usable_grant(&mut tx, org.pk, engineer.pk, org_slug, ask, now)
                    .await?
            }
        }
        .ok_or_else(no_grant)?;

        let ttl_end = Timestamp::from_second(now.as_second().saturating_add(request.ttl_seconds))
            .map_err(|_| StoreError::Invalid("ttl out of range".into()))?;
        let expires_at = ttl_end.min(grant.grant.expires_at);
        // The grant may predate a tightening of the policy: the session gets only what the
        // policy allows now.
        let (level, areas) = request
            .limits
            .session_scope(
                request.level,
                request.areas.as_deref(),
                grant.grant.level,
                &grant.grant.areas,
            )
            .map_err(StoreError::Policy)?;
        let session = Session {
            id: ids::new_id(ids::SESSION),
            org: org_slug.to_owned(),
            grant_id: grant.grant.id.clone(),
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
        };
        self.insert_session(&mut tx, org.pk, grant.pk, engineer.pk, &session, request)
            .await?;
        org.head.record(
            now,
            engineer,
            "session.opened",
            Some(&session.id),
            json!({
                "grant_id": session.grant_id,
                "engineer": engineer.email,
                "level": session.level,
                "areas": session.areas,
                "expires_at": session.expires_at,
                "reason": session.reason,
            }),
        )?;
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Refuses a new session to an engineer who has `max_active` already; counted under the
    /// engineer's lock, so that concurrent opens cannot all slip under the cap.
    async fn check_session_cap(
        &self,
        tx: &mut AnyConnection,
        engineer_pk: i64,
        max_active: u32,
        now: Timestamp,
    ) -> StoreResult<()> {
        let active = self
            .open_sessions(tx, OpenSessionsOf::Engineer, engineer_pk, now)
            .await?
            .len();
        if active >= max_active as usize {
            return Err(StoreError::Policy(format!(
                "you have {active} active sessions, the most this server allows one engineer; \
                 close some first"
            )));
        }
        Ok(())
    }

    /// Locks the engineer's account row, before the org's (see `account_by_id`): a concurrent
    /// disable either sees the new session and closes it, or this sees the disable. Exclusive,
    /// not FOR SHARE: shared lockers that keep coming would starve the disable's lock.
    pub(super) async fn lock_enabled_engineer(
        &self,
        tx: &mut AnyConnection,
        pk: i64,
    ) -> StoreResult<()> {
        let lock = self.engine.backend().sql().for_no_key_update;
        let sql = format!("SELECT disabled_at FROM accounts WHERE pk = $1{lock}");
        let disabled: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(pk)
            .fetch_one(&mut *tx)
            .await?;
        match disabled {
            Some(_) => Err(StoreError::Conflict("your account is disabled".into())),
            None => Ok(()),
        }
    }

    /// The grant named for a new session, if the engineer may use it; an error when it is not
    /// active or does not cover the ask.
    async fn named_grant(
        &self,
        tx: &mut AnyConnection,
        org_pk: i64,
        engineer_pk: i64,
        grant_id: &str,
        ask: SessionAsk<'_>,
        now: Timestamp,
    ) -> StoreResult<Option<GrantRow>> {
        let sql = format!("{GRANT_SELECT} WHERE g.org_pk = $1 AND {USABLE_BY} AND g.id = $3");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(engineer_pk)
            .bind(grant_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let row = grant_row(&row, now)?;
        if row.grant.status != GrantStatus::Active {
            return Err(StoreError::Conflict(domain::grant_not_active(
                grant_id,
                row.grant.status,
            )));
        }
        if let Some(gap) = ask.coverage_gap(&row.grant) {
            return Err(StoreError::Policy(domain::grant_does_not_cover(
                grant_id, &gap,
            )));
        }
        Ok(Some(row))
    }

    /// Of the engineer's active grants in the org (the newest [`PICK_CANDIDATES`]), the
    /// narrowest that covers the ask; `None` when there is no active grant at all.
    async fn narrowest_usable_grant(
        &self,
        tx: &mut AnyConnection,
        org_pk: i64,
        engineer_pk: i64,
        org_slug: &str,
        ask: SessionAsk<'_>,
        now: Timestamp,
    ) -> StoreResult<Option<GrantRow>> {
        let sql = format!(
            "{GRANT_SELECT} WHERE g.org_pk = $1 AND {USABLE_BY} AND g.revoked_at IS NULL \
             AND g.expires_at > $3 ORDER BY g.pk DESC LIMIT $4"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(engineer_pk)
            .bind(now.as_second())
            .bind(PICK_CANDIDATES)
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let candidates = rows
            .iter()
            .map(|row| grant_row(row, now))
            .collect::<StoreResult<Vec<_>>>()?;
        ask.narrowest_grant(candidates)
            .map(Some)
            .map_err(|gap| StoreError::Policy(domain::no_grant_covers(org_slug, &gap)))
    }

    async fn insert_session(
        &self,
        tx: &mut AnyConnection,
        org_pk: i64,
        grant_pk: i64,
        engineer_pk: i64,
        session: &Session,
        request: &NewSession,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id, org_pk, grant_pk, engineer_pk, level, areas, reason, \
             token_hash, opened_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&session.id)
        .bind(org_pk)
        .bind(grant_pk)
        .bind(engineer_pk)
        .bind(session.level.to_string())
        .bind(areas_text(&session.areas))
        .bind(&session.reason)
        .bind(hex::encode(request.token_hash))
        .bind(session.opened_at.as_second())
        .bind(session.expires_at.as_second())
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    pub async fn list_sessions(
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
            SessionScope::Org(slug) => ("s.org_pk = $1", self.org_pk(slug).await?),
            SessionScope::Engineer(engineer) => ("s.engineer_pk = $1", engineer.pk),
        };
        let sql = format!(
            "{SESSION_SELECT} WHERE {scope_sql} {status_sql} AND s.pk < $3 \
             ORDER BY s.pk DESC LIMIT $4"
        );
        let bind = |query: ListQuery, after: Option<i64>, limit: i64| {
            query
                .bind(scope_value)
                .bind(now.as_second())
                .bind(after.unwrap_or(i64::MAX))
                .bind(limit)
        };
        self.fetch_list(sql, bind, page, |row| {
            Ok((row.try_get("pk")?, session_auth(row)?.to_api(now)))
        })
        .await
    }

    pub async fn get_session(&self, id: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        let mut conn = self.read.acquire().await?;
        Ok(self
            .session_by_id(&mut conn, id)
            .await?
            .map(|row| row.auth.to_api(now)))
    }

    /// Closes an open session; a session that already ended is returned as it is.
    pub async fn close_session(
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
            .auth
            .org_pk;
        let mut org = self.lock_org_pk(&mut tx, org_pk).await?;
        // Read again under the org's lock: the session may have ended meanwhile.
        let SessionRow { pk, auth } = self
            .session_by_id(&mut tx, id)
            .await?
            .ok_or_else(not_found)?;
        if auth.inactive_reason(now).is_some() {
            return Ok(auth.to_api(now));
        }
        let reason = reason.unwrap_or("closed");
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
}

#[derive(Clone, Copy)]
pub(super) enum OpenSessionsOf {
    Org,
    Engineer,
}
