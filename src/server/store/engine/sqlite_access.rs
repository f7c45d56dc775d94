//! SQLite's `authorize` batches in one hop: the whole transaction (the org's lock, the
//! sessions, the events, the commit) runs at once on a blocking thread, on a connection of its
//! own. Through sqlx every statement is a hop between the writer's task and the connection's
//! thread, and a batch takes five or six of them; under load each hop waits for a core, and
//! the hops, not SQLite, bounded how many decisions one process could record.
//!
//! The statements and the decoding of their rows are the store's own (the same SQL, and
//! [`Cells`] for both drivers). This connection writes the same file as the store's write
//! connection, never at the same time: the access writer holds that connection, unused, for
//! the batch, so every other writer of this process waits for it as before (see
//! [`Store::wait_for_write`]), and another process waits on SQLite's lock (busy timeout).
//! Both drivers link the one SQLite library of `libsqlite3-sys`, which shares its file locks
//! among the connections of a process (two copies of SQLite in one process would not).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use prometheus_client::metrics::counter::Counter;
use rusqlite::TransactionBehavior;

use crate::server::store::engine::Backend;
use crate::server::store::engine::sqlite::SqliteAccess;
use crate::server::store::sql::Store;
use crate::server::store::sql::access_queues::{Answer, Pending, answer};
use crate::server::store::sql::authorize::{
    decide_in_order, org_with_webhooks, sessions_by_ids_sql,
};
use crate::server::store::sql::columns::LOCK_ORG_WITH_WEBHOOKS_SQLITE;
use crate::server::store::sql::rows::{At, Cell, Cells, session_row};
use crate::server::store::values::{SessionAuth, StoreError, StoreResult};

impl Cells for rusqlite::Row<'_> {
    fn cell<T: Cell>(&self, at: impl At) -> StoreResult<T> {
        Ok(self.get(at)?)
    }
}

impl Store {
    /// The org's batches, written on SQLite's access connection by [`Store::drain_on`]
    /// (whether the queue was emptied), or `None` when the store has no such connection
    /// (PostgreSQL): its batches go through sqlx.
    pub(in crate::server::store) async fn write_sqlite_batches(&self, org_pk: i64) -> Option<bool> {
        let sqlite = self.engine.sqlite_access()?;
        Some(self.drain_on(sqlite, org_pk).await)
    }

    /// On SQLite: holds the write connection, unused, while a blocking thread decides the
    /// org's batches on the access connection one after another (see [`sqlite_access`]), and
    /// hands it over whenever another writer waits for it. True once the queue is empty (and
    /// its entry gone); false after a panic of the thread, whose queue is still there.
    ///
    /// [`sqlite_access`]: self
    async fn drain_on(&self, sqlite: &Arc<SqliteAccess>, org_pk: i64) -> bool {
        loop {
            let token = {
                let _waiting = self.access_waiters.enter();
                self.access.acquire().await
            };
            let token = match token {
                Ok(token) => token,
                Err(error) => match self.access_queues.next_batch(org_pk) {
                    Some(batch) => {
                        answer(batch, Err(error.into()));
                        continue;
                    }
                    None => return true,
                },
            };
            let (store, sqlite) = (self.clone(), Arc::clone(sqlite));
            let drained =
                tokio::task::spawn_blocking(move || store.decide_batches_on(&sqlite, org_pk)).await;
            drop(token);
            match drained {
                Ok(true) => return true,
                // Someone waits for the write connection: it goes to them first.
                Ok(false) => {}
                Err(_) => return false,
            }
        }
    }

    /// Decides the org's queued batches one after another on the access connection, each in
    /// one transaction, answering each batch's callers as it commits; the caller holds the
    /// write connection. True once the queue is empty (its entry is then gone), false as soon
    /// as another writer waits for the write connection.
    pub(in crate::server::store) fn decide_batches_on(
        &self,
        sqlite: &SqliteAccess,
        org_pk: i64,
    ) -> bool {
        let mut connection = sqlite.0.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let Some(batch) = self.access_queues.next_batch(org_pk) else {
                return true;
            };
            // Under the write lock (see `cached_sessions`).
            let (sessions, unread) = self.cached_sessions(&batch);
            let decided = decide_batch(
                &mut connection,
                org_pk,
                &batch,
                sessions,
                unread,
                self.audit_events.get(),
            );
            answer(batch, decided);
            if self.access_waiters.anyone() {
                return false;
            }
        }
    }
}

/// One transaction: lock the org, read the sessions not known current, decide and record each
/// of the batch's questions in order, commit.
fn decide_batch(
    connection: &mut rusqlite::Connection,
    org_pk: i64,
    batch: &[Pending],
    mut sessions: HashMap<String, Arc<SessionAuth>>,
    unread: Vec<String>,
    audit_events: Option<&Counter>,
) -> StoreResult<Vec<Answer>> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (mut org, hooks) = {
        let mut lock = tx.prepare_cached(LOCK_ORG_WITH_WEBHOOKS_SQLITE)?;
        let mut rows = lock.query([org_pk])?;
        let row = rows
            .next()?
            .ok_or_else(|| StoreError::NotFound("the org is gone".into()))?;
        org_with_webhooks(row, Backend::Sqlite)?
    };
    org.head.count_on(audit_events);
    if !unread.is_empty() {
        let mut read = tx.prepare_cached(&sessions_by_ids_sql(Backend::Sqlite, unread.len()))?;
        let mut rows = read.query(rusqlite::params_from_iter(&unread))?;
        while let Some(row) = rows.next()? {
            let row = session_row(row)?;
            sessions.insert(row.auth.session.id.clone(), Arc::new(row.auth));
        }
    }
    let answers = decide_in_order(
        &mut org.head,
        &sessions,
        batch.iter().map(Pending::question),
    )?;
    org.head.into_script(&hooks)?.run(&tx)?;
    tx.commit()?;
    Ok(answers)
}

/// A locked or busy database is a "try again shortly"; the rest is a bug.
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        let busy = matches!(
            error.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        if busy {
            crate::server::store::values::UNAVAILABLE_ERRORS
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            StoreError::Unavailable(error.to_string())
        } else {
            StoreError::Database(error.to_string())
        }
    }
}
