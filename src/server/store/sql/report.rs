//! The events of an evidence report (see [`crate::api::report`]): those of a grant, of its
//! sessions and of its request, read through the log's `grant_id`, `session_id` and
//! `request_id` indexes, each with its inclusion proof.

use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, Row};

use super::Store;
use super::rows::audit_from_row;
use super::tree::StoredHashes;
use crate::api::AuditEvent;
use crate::api::report::{ReportEvent, ReportSummary, SummaryBuilder};
use crate::api::tlog::encode_hash;
use crate::server::store::values::{StoreError, StoreResult};

const COLUMNS: &str =
    "seq, id, at, actor_id, actor_email, actor_role, action, target, details, prev_hash, hash";

/// What a report covers: the org's events up to `size` (its signed tree) about the grant or
/// the request.
#[derive(Debug, Clone)]
pub struct ReportScope {
    pub org: String,
    pub grant: Option<String>,
    pub request: Option<String>,
    pub size: i64,
}

/// Some of a report's events as read (see [`Store::read_report_batch`]).
#[derive(Debug)]
pub struct ReportBatch {
    events: Vec<AuditEvent>,
    /// `(seq, tree_hashes)` of the rows that hold stored hashes.
    stored: Vec<(i64, Vec<u8>)>,
}

/// A report's summary and which events it holds, read before any is sent, so that the
/// report can state its summary first.
#[derive(Debug, Clone)]
pub struct ReportPlan {
    org_pk: i64,
    pub summary: ReportSummary,
    pub seqs: Vec<i64>,
}

impl Store {
    /// Reads the scope's events once, as they come: the summary, and their `seq`s.
    pub async fn plan_report(&self, scope: &ReportScope) -> StoreResult<ReportPlan> {
        let org_pk = self.org_pk(&scope.org).await?;
        // Ids are never empty: "" names nothing.
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE org_pk = $1 AND seq <= $2 AND \
             (grant_id = $3 OR request_id = $4 OR session_id IN (SELECT target FROM audit_events \
             WHERE org_pk = $1 AND grant_id = $3 AND action = 'session.opened')) ORDER BY seq"
        );
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(org_pk)
            .bind(scope.size)
            .bind(scope.grant.clone().unwrap_or_default())
            .bind(scope.request.clone().unwrap_or_default());
        let mut rows = query.fetch(&self.read);
        let mut builder = SummaryBuilder::default();
        let mut seqs = Vec::new();
        while let Some(row) = rows.try_next().await? {
            let event = audit_from_row(&row, &scope.org)?;
            builder.push(&event);
            seqs.push(event.seq);
        }
        Ok(ReportPlan {
            org_pk,
            summary: builder.finish(),
            seqs,
        })
    }

    /// Events `seqs` of the plan (a few hundred at most) as stored, with the tree's stored
    /// hashes their rows hold (most of their proofs' hashes), to prove with
    /// [`Store::prove_report_batch`]: the next batch is read while one is proved and sent.
    pub async fn read_report_batch(
        &self,
        plan: &ReportPlan,
        org: &str,
        seqs: &[i64],
    ) -> StoreResult<ReportBatch> {
        // Numbered on SQLite too, after the org's `$1` (an unnumbered `?` would take `$1`'s).
        let sql = format!(
            "SELECT {COLUMNS}, tree_hashes FROM audit_events WHERE org_pk = $1 AND seq IN ({}) \
             ORDER BY seq",
            (2..2 + seqs.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(plan.org_pk);
        for seq in seqs {
            query = query.bind(*seq);
        }
        let rows = query.fetch_all(&self.read).await?;
        if rows.len() != seqs.len() {
            return Err(StoreError::Database(format!(
                "a report's events: {} of {} found",
                rows.len(),
                seqs.len()
            )));
        }
        let mut batch = ReportBatch {
            events: Vec::with_capacity(rows.len()),
            stored: Vec::with_capacity(rows.len()),
        };
        for row in &rows {
            let event = audit_from_row(row, org)?;
            if let Some(stored) = row.try_get::<Option<Vec<u8>>, _>("tree_hashes")? {
                batch.stored.push((event.seq, stored));
            }
            batch.events.push(event);
        }
        Ok(batch)
    }

    /// The batch's events, each with its proof in the tree of `size` events.
    pub async fn prove_report_batch(
        &self,
        plan: &ReportPlan,
        size: i64,
        batch: ReportBatch,
        cache: &mut StoredHashes,
    ) -> StoreResult<Vec<ReportEvent>> {
        for (seq, stored) in &batch.stored {
            cache.keep_row(*seq, stored);
        }
        let seqs: Vec<i64> = batch.events.iter().map(|event| event.seq).collect();
        let proofs = self
            .org_inclusion_proofs(plan.org_pk, size, &seqs, cache)
            .await?;
        Ok(batch
            .events
            .into_iter()
            .zip(proofs)
            .map(|(event, proof)| ReportEvent {
                event,
                proof: proof.iter().map(encode_hash).collect(),
            })
            .collect())
    }
}
