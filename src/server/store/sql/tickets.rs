//! Closing a ticket: every active grant with it revoked (its sessions ended) and every pending
//! request with it cancelled, in one transaction under the org's lock.

use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Row};

use super::Store;
use super::requests::OPEN;
use crate::api::{RequestStatus, TicketClosed};
use crate::server::store::values::{Principal, StoreResult};

/// The revocation reason, as a ticket's closing records it.
pub const TICKET_CLOSED: &str = "ticket closed";

/// A store's tickets: `store.tickets().close(…)`.
pub struct Tickets<'a>(&'a Store);

impl Store {
    pub fn tickets(&self) -> Tickets<'_> {
        Tickets(self)
    }
}

impl Tickets<'_> {
    /// Revokes the org's active grants with `ticket` (ending their sessions) and cancels its
    /// pending requests with it, in one transaction; writes nothing when there are none.
    pub async fn close(
        &self,
        actor: &Principal,
        org_slug: &str,
        ticket: &str,
        comment: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<TicketClosed> {
        let mut tx = self.0.begin_write().await?;
        let mut org = self.0.lock_existing_org(&mut tx, org_slug).await?;
        let grants: Vec<(i64, String)> = sqlx::query(
            "SELECT pk, id FROM grants WHERE org_pk = $1 AND ticket = $2 \
             AND revoked_at IS NULL AND expires_at > $3 ORDER BY pk",
        )
        .bind(org.pk)
        .bind(ticket)
        .bind(now.as_second())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<StoreResult<_>>()?;
        let sql = format!(
            "SELECT r.pk, r.id FROM access_requests r WHERE r.org_pk = $1 AND r.ticket = $2 \
             AND {OPEN} AND r.expires_at > $3 ORDER BY r.pk"
        );
        let requests: Vec<(i64, String)> = sqlx::query(AssertSqlSafe(sql))
            .bind(org.pk)
            .bind(ticket)
            .bind(now.as_second())
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<StoreResult<_>>()?;
        let mut closed = TicketClosed {
            org: org_slug.to_owned(),
            ticket: ticket.to_owned(),
            ..TicketClosed::default()
        };
        if grants.is_empty() && requests.is_empty() {
            // A ticket nobody used: nothing to end, nothing written.
            tx.rollback().await?;
            return Ok(closed);
        }
        closed.sessions_ended = self
            .0
            .revoke_selected(
                &mut tx,
                &mut org.head,
                actor,
                &grants,
                Some(TICKET_CLOSED),
                Some(ticket),
                now,
            )
            .await?;
        let why = match comment {
            Some(comment) => format!("{TICKET_CLOSED}: {comment}"),
            None => TICKET_CLOSED.to_owned(),
        };
        if !requests.is_empty() {
            self.0
                .decide(
                    &mut tx,
                    &mut org.head,
                    actor,
                    &requests,
                    RequestStatus::Cancelled,
                    &why,
                    now,
                )
                .await?;
        }
        org.head.save(&mut tx).await?;
        self.0.commit_ending_access(tx).await?;
        closed.grants_revoked = grants.len() as i64;
        closed.requests_cancelled = requests.len() as i64;
        closed.grants = grants.into_iter().map(|(_, id)| id).collect();
        closed.requests = requests.into_iter().map(|(_, id)| id).collect();
        self.0.announce(&closed.requests);
        Ok(closed)
    }
}
