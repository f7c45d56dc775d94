//! `authorize` decisions by group commit: one writer per org takes every decision waiting
//! for that org, decides each under the org's lock in arrival order, appends their events in
//! that order, commits once, and only then answers each caller.
//!
//! Why this keeps the guarantees of one transaction per decision:
//! - An answer is sent only after the commit that holds its event returned: an `allow` a
//!   client received is durable, and a failed commit fails every decision of its batch.
//! - The chain is appended by one transaction at a time under the org's lock, as before; a
//!   batch is a run of consecutive events.
//! - Revocation stays linearizable: a decision joins the queue after its request arrived, and
//!   the writer takes the org's lock (and reads the session under it) only after it took the
//!   decision off the queue. A revoke answered before the request arrived committed under the
//!   same lock before that, so the decision sees it.
//! - The writer is a task of its own: a caller that hangs up only drops its receiver; the batch
//!   still commits and the other callers still get their answers.
//!
//! What makes a batch cheap: the writer keeps its connection for the next batch while nobody
//! else waits for one (on SQLite every other use of the write connection, see
//! [`Store::wait_for_write`]; on PostgreSQL other orgs' writers), so a revoke waits for one
//! batch at most; the org's lock also reads its webhooks; events, deliveries and the head's
//! move go in as few calls as the database allows ([`Script`]). On SQLite the batches run on
//! a blocking thread of their own, each in one go, with no hop per statement (see
//! [`sqlite_access`]), and a session whose cached lookup is still current (checked under the
//! write lock, see [`AuthCache`]) is not read again.
//!
//! [`sqlite_access`]: crate::server::store::engine::sqlite_access

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::json;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Connection};
use tokio::sync::oneshot;

use super::Store;
use super::access_queues::{AccessQueues, Answer, Pending, answer};
use super::columns::{LOCK_ORG_WITH_WEBHOOKS_PG, SESSION_SELECT};
use super::rows::{Cells, OrgRow};
use super::rows::{org_row, session_row};
use crate::api::Role;
use crate::server::store::chain::ChainHead;
use crate::server::store::engine::Backend;
use crate::server::store::outbox::EnabledWebhook;
use crate::server::store::values::{
    AccessRequest, Principal, SessionAuth, StoreError, StoreResult,
};

/// Removes the org's entry if its writer ends without doing so (a panic): the decisions still
/// queued are dropped, their callers get an error, and the next decision starts a new writer.
struct WriterGuard {
    queues: Arc<AccessQueues>,
    org_pk: i64,
    armed: bool,
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        if self.armed {
            self.queues.lock().remove(&self.org_pk);
        }
    }
}

impl Store {
    /// Decides `access` on the session's state under its org's lock, so that no change that
    /// ended the session before this decision is missed, records the decision and returns it:
    /// `None` when allowed, else why not.
    pub async fn decide_access(&self, access: &AccessRequest, now: Timestamp) -> Answer {
        let org_pk = access.session.org_pk;
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            access: access.clone(),
            now,
            reply,
        };
        let start_writer = {
            let mut queues = self.access_queues.lock();
            match queues.get_mut(&org_pk) {
                Some(queue) => {
                    queue.push(pending);
                    false
                }
                None => {
                    queues.insert(org_pk, vec![pending]);
                    true
                }
            }
        };
        if start_writer {
            let store = self.clone();
            tokio::spawn(async move { store.write_access_batches(org_pk).await });
        }
        answer
            .await
            .map_err(|_| StoreError::Database("the access decision was not recorded".into()))?
    }

    /// The org's writer: batches until its queue is empty, then removes the entry.
    async fn write_access_batches(&self, org_pk: i64) {
        let mut guard = WriterGuard {
            queues: self.access_queues.clone(),
            org_pk,
            armed: true,
        };
        // SQLite's writer takes the batches where the store has one.
        if let Some(drained) = self.write_sqlite_batches(org_pk).await {
            guard.armed = !drained;
            return;
        }
        let mut held: Option<PoolConnection<Any>> = None;
        while let Some(batch) = self.access_queues.next_batch(org_pk) {
            let connection = match held.take() {
                Some(connection) => Ok(connection),
                None => {
                    let _waiting = self.access_waiters.enter();
                    self.access.acquire().await
                }
            };
            let decided = match connection {
                Ok(mut connection) => {
                    let decided = self.decide_batch(&mut connection, org_pk, &batch).await;
                    // Kept only after a batch that went well, and only while nobody waits.
                    if decided.is_ok() && !self.access_waiters.anyone() {
                        held = Some(connection);
                    }
                    decided
                }
                Err(error) => Err(error.into()),
            };
            answer(batch, decided);
        }
        guard.armed = false;
    }

    /// One transaction on PostgreSQL (SQLite's run in `sqlite_access`): lock the org with its
    /// webhooks, read the batch's sessions, decide and record each in order, commit. The
    /// answers are in the batch's order.
    async fn decide_batch(
        &self,
        connection: &mut AnyConnection,
        org_pk: i64,
        batch: &[Pending],
    ) -> StoreResult<Vec<Answer>> {
        let mut tx = connection.begin_with(self.begin_statement()).await?;
        let locked = sqlx::query(LOCK_ORG_WITH_WEBHOOKS_PG)
            .bind(org_pk)
            .fetch_one(&mut *tx)
            .await?;
        let (mut org, hooks) = org_with_webhooks(&locked, self.engine.backend())?;
        self.count_events_of(&mut org.head);
        // Every change that ends a session (close, revoke, disable) holds this org's lock, so
        // the sessions read now reflect each one committed before; the lookups the callers
        // made before they queued may be older.
        let (mut sessions, unread) = self.cached_sessions(batch);
        if !unread.is_empty() {
            sessions.extend(self.sessions_by_ids(&mut tx, unread).await?);
        }
        let answers = decide_in_order(
            &mut org.head,
            &sessions,
            batch.iter().map(Pending::question),
        )?;
        org.head.save_with(&mut tx, &hooks).await?;
        tx.commit().await?;
        Ok(answers)
    }

    /// The batch's sessions whose cached lookup is current, and the ids of the others, which
    /// the batch must read. Called under the write lock: an entry is current when no change
    /// that can end access committed since it was read, and none is committing, since the
    /// write lock held keeps any from starting (see [`AuthCache`]).
    ///
    /// [`AuthCache`]: crate::server::store::cache::AuthCache
    pub(in crate::server::store) fn cached_sessions(
        &self,
        batch: &[Pending],
    ) -> (HashMap<String, Arc<SessionAuth>>, Vec<String>) {
        let mut sessions = HashMap::new();
        let mut unread = Vec::new();
        for pending in batch {
            let id = &pending.access.session.session.id;
            let cached = self
                .engine
                .cache()
                .map(Arc::as_ref)
                .and_then(|cache| cache.get(&cache.sessions, &pending.access.token));
            match cached {
                Some(session) if session.session.id == *id => {
                    sessions.insert(id.clone(), session);
                }
                _ => unread.push(id.clone()),
            }
        }
        unread.sort_unstable();
        unread.dedup();
        (sessions, unread)
    }

    /// These sessions (some may repeat), by id, in one statement.
    async fn sessions_by_ids(
        &self,
        tx: &mut AnyConnection,
        ids: Vec<String>,
    ) -> StoreResult<HashMap<String, Arc<SessionAuth>>> {
        let mut query = sqlx::query(AssertSqlSafe(sessions_by_ids_sql(
            self.engine.backend(),
            ids.len(),
        )));
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&mut *tx).await?;
        rows.iter()
            .map(|row| {
                let row = session_row(row)?;
                Ok((row.auth.session.id.clone(), Arc::new(row.auth)))
            })
            .collect()
    }
}

impl Pending {
    pub(in crate::server::store) fn question(&self) -> (&AccessRequest, Timestamp) {
        (&self.access, self.now)
    }
}

/// The sessions with `count` ids, a parameter each.
pub(in crate::server::store) fn sessions_by_ids_sql(backend: Backend, count: usize) -> String {
    format!(
        "{SESSION_SELECT} WHERE s.id IN ({})",
        backend.params(1, count)
    )
}

/// The org and its enabled webhooks from a row of `LOCK_ORG_WITH_WEBHOOKS_*`.
pub(in crate::server::store) fn org_with_webhooks(
    row: &impl Cells,
    backend: Backend,
) -> StoreResult<(OrgRow, Vec<EnabledWebhook>)> {
    let hooks: Option<String> = row.cell("webhooks")?;
    let hooks: Vec<(i64, String)> = match hooks {
        Some(hooks) => serde_json::from_str(&hooks)
            .map_err(|e| StoreError::Database(format!("reading webhooks: {e}")))?,
        None => Vec::new(),
    };
    let hooks = hooks
        .into_iter()
        .map(|(pk, events)| EnabledWebhook::from_row(pk, &events))
        .collect();
    Ok((org_row(row, backend)?, hooks))
}

/// Decides each question in order against `sessions` (the batch's sessions as they are under
/// the org's lock) and records its event on the org's chain; the answers are in that order.
pub(in crate::server::store) fn decide_in_order<'a>(
    head: &mut ChainHead,
    sessions: &HashMap<String, Arc<SessionAuth>>,
    questions: impl Iterator<Item = (&'a AccessRequest, Timestamp)>,
) -> StoreResult<Vec<Answer>> {
    let mut answers = Vec::new();
    for (access, now) in questions {
        let Some(session) = sessions.get(&access.session.session.id) else {
            answers.push(Err(StoreError::NotFound("the session is gone".into())));
            continue;
        };
        let denial = session.access_denial(access.area, access.action, now);
        let engineer = Principal {
            pk: session.engineer_pk,
            id: session.engineer_id.clone(),
            email: session.session.engineer.clone(),
            role: Role::Support,
            org: None,
        };
        head.record(
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
        answers.push(Ok(denial));
    }
    Ok(answers)
}
