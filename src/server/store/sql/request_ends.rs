//! How access requests end without a grant: denied by an admin, cancelled by their requester
//! (or by disabling the engineer or the org), lapsed at their expiry (the sweeper records it).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::super::chain::ChainHead;
use super::requests::{OPEN, Requests, decided};
use super::{ID_CHUNK, Store};
use crate::api::{AccessRequest, RequestStatus};
use crate::server::domain::requests::not_pending;
use crate::server::store::values::{Principal, StoreError, StoreResult, WriteMode};

/// Requests swept per org transaction.
const SWEEP_BATCH: i64 = 1000;

/// Whose open requests to gather.
#[derive(Clone, Copy)]
pub(super) enum OpenRequestsOf {
    Org,
    Requester,
}

impl Store {
    /// Denies or cancels the given pending requests of the org of `head`, recording
    /// `request.denied` / `request.cancelled` for each and announcing them at commit.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn decide(
        &self,
        tx: &mut AnyConnection,
        head: &mut ChainHead,
        actor: &Principal,
        requests: &[(i64, String)],
        decision: RequestStatus,
        comment: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        for chunk in requests.chunks(ID_CHUNK) {
            let sql = format!(
                "UPDATE access_requests SET decision = {}, decided_at = {}, decided_by = {}, \
                 decision_comment = {} WHERE pk IN ({})",
                self.engine.backend().params(1, 1),
                self.engine.backend().params(2, 1),
                self.engine.backend().params(3, 1),
                self.engine.backend().params(4, 1),
                self.engine.backend().params(5, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .bind(decision.to_string())
                .bind(now.as_second())
                .bind(&actor.email)
                .bind(comment);
            for (pk, _) in chunk {
                query = query.bind(*pk);
            }
            query.execute(&mut *tx).await?;
        }
        let action = match decision {
            RequestStatus::Denied => "request.denied",
            _ => "request.cancelled",
        };
        for (_, id) in requests {
            head.record(now, actor, action, Some(id), json!({ "comment": comment }))?;
        }
        let ids: Vec<String> = requests.iter().map(|(_, id)| id.clone()).collect();
        self.notify(tx, &ids).await
    }

    /// Pending requests of an org, or of an engineer, as `(org_pk, request pk, request id)`.
    pub(super) async fn open_requests(
        &self,
        tx: &mut AnyConnection,
        of: OpenRequestsOf,
        pk: i64,
        now: Timestamp,
    ) -> StoreResult<Vec<(i64, i64, String)>> {
        let column = match of {
            OpenRequestsOf::Org => "r.org_pk",
            OpenRequestsOf::Requester => "r.requester_pk",
        };
        let sql = format!(
            "SELECT r.org_pk, r.pk, r.id FROM access_requests r WHERE {column} = $1 \
             AND {OPEN} AND r.expires_at > $2 ORDER BY r.org_pk, r.pk"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(pk)
            .bind(now.as_second())
            .fetch_all(&mut *tx)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
            .collect()
    }

    /// Records `request.expired` for requests that lapsed undecided; returns how many.
    pub(super) async fn sweep_requests(&self, now: Timestamp) -> StoreResult<usize> {
        let rows = sqlx::query(
            "SELECT org_pk, pk, id, expires_at FROM access_requests WHERE decision IS NULL \
             AND expiry_recorded = 0 AND expires_at <= $1 ORDER BY org_pk, pk LIMIT $2",
        )
        .bind(now.as_second())
        .bind(SWEEP_BATCH)
        .fetch_all(&self.read)
        .await?;
        let mut by_org: BTreeMap<i64, Vec<(i64, String, i64)>> = BTreeMap::new();
        for row in &rows {
            by_org.entry(row.try_get(0)?).or_default().push((
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
            ));
        }
        let system = Principal::system();
        let mut count = 0;
        for (org_pk, requests) in by_org {
            let mut tx = self.begin_write().await?;
            let mut org = self.lock_org_pk(&mut tx, org_pk).await?;
            let mut expired = Vec::new();
            for (pk, id, expires_at) in requests {
                // Conditional: a decision or another replica's sweep may have come first.
                let updated = sqlx::query(
                    "UPDATE access_requests SET expiry_recorded = 1 WHERE pk = $1 \
                     AND expiry_recorded = 0 AND decision IS NULL",
                )
                .bind(pk)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 1 {
                    org.head.record(
                        now,
                        &system,
                        "request.expired",
                        Some(&id),
                        json!({ "expires_at": Timestamp::from_second(expires_at).ok() }),
                    )?;
                    expired.push(id);
                }
            }
            org.head.save(&mut tx).await?;
            self.notify(&mut tx, &expired).await?;
            tx.commit().await?;
            self.announce(&expired);
            count += expired.len();
        }
        Ok(count)
    }
}

impl Requests<'_> {
    pub async fn deny(
        &self,
        actor: &Principal,
        org: &str,
        id: &str,
        comment: &str,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<AccessRequest> {
        let store = self.0.counting_for(mode);
        Requests(&store)
            .deny_counted(actor, org, id, comment, now, mode)
            .await
    }

    /// [`Requests::deny`], with its audit events counted by this store.
    async fn deny_counted(
        &self,
        actor: &Principal,
        org_slug: &str,
        id: &str,
        comment: &str,
        now: Timestamp,
        mode: WriteMode,
    ) -> StoreResult<AccessRequest> {
        let mut tx = self.0.begin_write().await?;
        let mut org = self.0.lock_existing_org(&mut tx, org_slug).await?;
        let (pk, request) = self
            .0
            .request_in_org(&mut tx, org.pk, org_slug, id, now)
            .await?;
        if request.status != RequestStatus::Pending {
            return Err(StoreError::Conflict(not_pending(&request)));
        }
        self.0
            .decide(
                &mut tx,
                &mut org.head,
                actor,
                &[(pk, id.to_owned())],
                RequestStatus::Denied,
                comment,
                now,
            )
            .await?;
        org.head.save(&mut tx).await?;
        self.0.finish(tx, mode).await?;
        if mode == WriteMode::Commit {
            self.0.announce(&[id.to_owned()]);
        }
        Ok(decided(request, RequestStatus::Denied, actor, comment, now))
    }

    /// Cancels the caller's own pending request.
    pub async fn cancel(
        &self,
        actor: &Principal,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<AccessRequest> {
        let not_found = || StoreError::NotFound(format!("no request '{id}'"));
        let mut tx = self.0.begin_write().await?;
        let org_pk: i64 = sqlx::query_scalar(
            "SELECT org_pk FROM access_requests WHERE id = $1 AND requester_pk = $2",
        )
        .bind(id)
        .bind(actor.pk)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(not_found)?;
        let mut org = self.0.lock_org_pk(&mut tx, org_pk).await?;
        let (pk, record) = self
            .0
            .request_where(&mut tx, "r.org_pk = $1 AND r.id = $2", org_pk, id, now)
            .await?
            .ok_or_else(not_found)?;
        let request = record.request;
        if request.status != RequestStatus::Pending {
            return Err(StoreError::Conflict(not_pending(&request)));
        }
        let comment = "cancelled by the requester";
        self.0
            .decide(
                &mut tx,
                &mut org.head,
                actor,
                &[(pk, id.to_owned())],
                RequestStatus::Cancelled,
                comment,
                now,
            )
            .await?;
        org.head.save(&mut tx).await?;
        tx.commit().await?;
        self.0.announce(&[id.to_owned()]);
        Ok(decided(
            request,
            RequestStatus::Cancelled,
            actor,
            comment,
            now,
        ))
    }
}
