//! The events of an evidence report (see [`crate::api::report`]): those of a grant, of its
//! sessions and of its request, read through the log's `grant_id`, `session_id` and
//! `request_id` indexes, each with its inclusion proof.

use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, Row};

use super::Store;
use super::rows::audit_from_row;
use super::tree::StoredHashes;
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

    /// Events `seqs` of the plan (a few hundred at most), each with its proof in the tree of
    /// `size` events.
    pub async fn report_events(
        &self,
        plan: &ReportPlan,
        scope: &ReportScope,
        seqs: &[i64],
        cache: &mut StoredHashes,
    ) -> StoreResult<Vec<ReportEvent>> {
        // Numbered on SQLite too, after the org's `$1` (an unnumbered `?` would take `$1`'s).
        // With the stored hashes of the tree the rows hold: most of their proofs' hashes.
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
        for row in &rows {
            if let Some(stored) = row.try_get::<Option<Vec<u8>>, _>("tree_hashes")? {
                cache.keep_row(row.try_get("seq")?, &stored);
            }
        }
        let proofs = self
            .org_inclusion_proofs(plan.org_pk, scope.size, seqs, cache)
            .await?;
        if rows.len() != seqs.len() {
            return Err(StoreError::Database(format!(
                "a report's events: {} of {} found",
                rows.len(),
                seqs.len()
            )));
        }
        rows.iter()
            .zip(proofs)
            .map(|(row, proof)| {
                Ok(ReportEvent {
                    event: audit_from_row(row, &scope.org)?,
                    proof: proof.iter().map(encode_hash).collect(),
                })
            })
            .collect()
    }
}
