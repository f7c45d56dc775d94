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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe};
use tokio::sync::oneshot;

use super::SqlStore;
use super::rows::{SESSION_SELECT, session_row};
use crate::api::Role;
use crate::server::store::{AccessRequest, Principal, SessionAuth, StoreError, StoreResult};

/// Decisions per transaction at most (each batch also reads its sessions in one statement).
const MAX_BATCH: usize = 256;

type Answer = StoreResult<Option<String>>;

struct Pending {
    access: AccessRequest,
    now: Timestamp,
    reply: oneshot::Sender<Answer>,
}

/// The decisions waiting, per org. An org has an entry exactly while its writer runs.
#[derive(Default)]
pub(crate) struct AccessQueues(Mutex<HashMap<i64, Vec<Pending>>>);

impl AccessQueues {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Vec<Pending>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

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

impl SqlStore {
    pub(super) async fn decide_access(&self, access: &AccessRequest, now: Timestamp) -> Answer {
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
        loop {
            let batch: Vec<Pending> = {
                let mut queues = self.access_queues.lock();
                let Some(queue) = queues.get_mut(&org_pk).filter(|queue| !queue.is_empty()) else {
                    queues.remove(&org_pk);
                    guard.armed = false;
                    return;
                };
                let take = queue.len().min(MAX_BATCH);
                queue.drain(..take).collect()
            };
            match self.decide_batch(org_pk, &batch).await {
                Ok(answers) => {
                    for (pending, answer) in batch.into_iter().zip(answers) {
                        let _ = pending.reply.send(answer);
                    }
                }
                Err(error) => {
                    for pending in batch {
                        let _ = pending.reply.send(Err(error.clone()));
                    }
                }
            }
        }
    }

    /// One transaction: lock the org, read the batch's sessions, decide and record each in
    /// order, commit. The answers are in the batch's order.
    async fn decide_batch(&self, org_pk: i64, batch: &[Pending]) -> StoreResult<Vec<Answer>> {
        let mut tx = self.begin_write().await?;
        let mut org = self.lock_org_pk(&mut tx, org_pk).await?;
        // Every change that ends a session (close, revoke, disable) holds this org's lock, so
        // the sessions read now reflect each one committed before; the lookups the callers
        // made before they queued may be older.
        let sessions = self.sessions_by_ids(&mut tx, batch).await?;
        let mut answers = Vec::with_capacity(batch.len());
        for Pending { access, now, .. } in batch {
            let Some(session) = sessions.get(&access.session.session.id) else {
                answers.push(Err(StoreError::NotFound("the session is gone".into())));
                continue;
            };
            let denial = session.access_denial(access.area, access.action, *now);
            let engineer = Principal {
                pk: session.engineer_pk,
                id: session.engineer_id.clone(),
                email: session.session.engineer.clone(),
                role: Role::Support,
                org: None,
            };
            org.head.record(
                *now,
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
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        Ok(answers)
    }

    /// The batch's distinct sessions, by id, in one statement.
    async fn sessions_by_ids(
        &self,
        tx: &mut AnyConnection,
        batch: &[Pending],
    ) -> StoreResult<HashMap<String, SessionAuth>> {
        let mut ids: Vec<&str> = batch
            .iter()
            .map(|pending| pending.access.session.session.id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let sql = format!(
            "{SESSION_SELECT} WHERE s.id IN ({})",
            self.backend.params(1, ids.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id.to_owned());
        }
        let rows = query.fetch_all(&mut *tx).await?;
        rows.iter()
            .map(|row| {
                let row = session_row(row)?;
                Ok((row.auth.session.id.clone(), row.auth))
            })
            .collect()
    }
}
