//! How write transactions begin and end: SQLite's write lock taken up front, a dry run rolled
//! back, and a change that can end access committed while the token cache answers nothing.

use super::Store;
use super::access_queues::Waiting;
use crate::server::store::cache::AuthCache;
use crate::server::store::values::{StoreError, StoreResult, WriteMode};

impl Store {
    /// Commits a change that can end access while the token cache answers nothing: from before
    /// the commit starts until after it ends (see [`AuthCache::ending`]), so no reader who can
    /// already see the change is answered from before it.
    ///
    /// The commit runs in a task of its own: the caller's future is dropped when its client
    /// hangs up or its request times out, and a drop between a finished commit and the end of
    /// the guard would leave lookups from before the change answering "active". A spawned task
    /// runs to its end whatever happens to the future that awaits it.
    pub(super) async fn commit_ending_access(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
    ) -> StoreResult<()> {
        let cache = self.engine.cache().cloned();
        let committed = tokio::spawn(async move {
            // Dropped after the commit, also a failed one (whether it reached the database is
            // then unknown).
            let _ending = cache.as_deref().map(AuthCache::ending);
            tx.commit().await
        })
        .await
        .map_err(|error| StoreError::Database(format!("the commit task failed: {error}")))?;
        Ok(committed?)
    }

    /// Ends a write transaction as `mode` says: committed, or rolled back after a dry run.
    pub(super) async fn finish(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
        mode: WriteMode,
    ) -> StoreResult<()> {
        match mode {
            WriteMode::Commit => tx.commit().await?,
            WriteMode::DryRun => tx.rollback().await?,
        }
        Ok(())
    }

    /// [`Store::commit_ending_access`], or a rollback after a dry run (which ended nothing,
    /// so no cached lookup needs to go).
    pub(super) async fn finish_ending_access(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
        mode: WriteMode,
    ) -> StoreResult<()> {
        match mode {
            WriteMode::Commit => self.commit_ending_access(tx).await,
            WriteMode::DryRun => Ok(tx.rollback().await?),
        }
    }

    /// Counts the caller as waiting for SQLite's one write connection until dropped: the access
    /// writers, which keep it from batch to batch while nobody waits, hand it back after their
    /// batch. Every use of [`Store::write`] on SQLite goes through here. (On PostgreSQL the
    /// access writers have connections of their own.)
    pub(super) fn wait_for_write(&self) -> Option<Waiting<'_>> {
        self.engine
            .backend()
            .sql()
            .single_process
            .then(|| self.access_waiters.enter())
    }

    pub(super) async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        let _waiting = self.wait_for_write();
        Ok(self.write.begin_with(self.begin_statement()).await?)
    }

    /// How a write transaction begins. On SQLite, IMMEDIATE takes the write lock up front, so
    /// a transaction never fails half-way when another process holds it; the busy timeout
    /// makes it wait instead.
    pub(super) fn begin_statement(&self) -> &'static str {
        self.engine.backend().sql().begin_write
    }
}
