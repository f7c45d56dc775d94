//! Appending to an audit chain (an org's, or the vendor's own) inside the transaction of the
//! change it records.

use jiff::Timestamp;
use serde_json::Value;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::backend::Backend;
use super::{Principal, StoreError, StoreResult};
use crate::api::{Actor, AuditEvent, chain::event_hash};
use crate::server::ids;

/// Rows per multi-row insert: well under SQLite's and PostgreSQL's bound-parameter limits.
const INSERT_CHUNK: usize = 500;
const COLUMNS: usize = 12;

/// The head of one org's chain, read (and, on PostgreSQL, row-locked) at the start of a
/// write transaction. Events are hashed as they are recorded and written by [`ChainHead::save`].
/// The vendor chain's head ([`ChainHead::vendor`]) has no org: its events' `org` is empty.
pub(super) struct ChainHead {
    pub org_pk: i64,
    pub org: String,
    vendor: bool,
    backend: Backend,
    seq: i64,
    hash: String,
    pending: Vec<AuditEvent>,
}

impl ChainHead {
    pub fn new(backend: Backend, org_pk: i64, org: String, seq: i64, hash: String) -> Self {
        ChainHead {
            org_pk,
            org,
            vendor: false,
            backend,
            seq,
            hash,
            pending: Vec::new(),
        }
    }

    /// The vendor chain's head, as read from `vendor_audit_head`.
    pub fn vendor(backend: Backend, seq: i64, hash: String) -> Self {
        ChainHead {
            vendor: true,
            ..ChainHead::new(backend, 0, String::new(), seq, hash)
        }
    }

    pub fn record(
        &mut self,
        at: Timestamp,
        actor: &Principal,
        action: &str,
        target: Option<&str>,
        details: Value,
    ) -> StoreResult<()> {
        let mut event = AuditEvent {
            seq: self.seq + 1,
            id: ids::new_id(ids::EVENT),
            at,
            org: self.org.clone(),
            actor: actor_of(actor),
            action: action.to_owned(),
            target: target.map(str::to_owned),
            details,
            prev_hash: self.hash.clone(),
            hash: String::new(),
        };
        event.hash =
            event_hash(&event).map_err(|e| StoreError::Database(format!("hashing event: {e}")))?;
        self.seq = event.seq;
        self.hash = event.hash.clone();
        self.pending.push(event);
        Ok(())
    }

    /// Writes the recorded events and moves the head, in the caller's transaction.
    pub async fn save(self, tx: &mut AnyConnection) -> StoreResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let (table, org_column, columns, head) = if self.vendor {
            ("vendor_audit_events", "", COLUMNS - 1, "vendor_audit_head")
        } else {
            ("audit_events", "org_pk, ", COLUMNS, "orgs")
        };
        for chunk in self.pending.chunks(INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO {table} ({org_column}seq, id, at, actor_id, actor_email, actor_role, \
                 action, target, details, prev_hash, hash) VALUES {}",
                placeholders(self.backend, chunk.len(), columns)
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for event in chunk {
                if !self.vendor {
                    query = query.bind(self.org_pk);
                }
                query = query
                    .bind(event.seq)
                    .bind(event.id.clone())
                    .bind(event.at.as_second())
                    .bind(event.actor.id.clone())
                    .bind(event.actor.email.clone())
                    .bind(event.actor.role.clone())
                    .bind(event.action.clone())
                    .bind(event.target.clone())
                    .bind(event.details.to_string())
                    .bind(event.prev_hash.clone())
                    .bind(event.hash.clone());
            }
            query.execute(&mut *tx).await?;
        }
        let (key, pk) = if self.vendor {
            ("id", 1)
        } else {
            ("pk", self.org_pk)
        };
        let sql = format!("UPDATE {head} SET audit_seq = $1, audit_hash = $2 WHERE {key} = $3");
        sqlx::query(AssertSqlSafe(sql))
            .bind(self.seq)
            .bind(self.hash)
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

pub(super) fn actor_of(principal: &Principal) -> Actor {
    Actor {
        id: principal.id.clone(),
        email: principal.email.clone(),
        role: if principal.pk == 0 {
            "system".to_owned()
        } else {
            principal.role.to_string()
        },
    }
}

/// `($1, $2, ...), ($n+1, ...)` for a multi-row insert (see [`Backend::params`]).
pub(super) fn placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", backend.params(row * columns + 1, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_rows_consecutively() {
        use super::Backend;
        assert_eq!(
            super::placeholders(Backend::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(super::placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
