//! Appending to an audit chain (an org's, or the vendor's own) inside the transaction of the
//! change it records.

use jiff::Timestamp;
use prometheus_client::metrics::counter::Counter;
use serde_json::Value;
use sqlx::AnyConnection;

use super::engine::Backend;
use super::engine::script::{Rows, Script};
use super::outbox::EnabledWebhook;
use super::values::{Principal, StoreError, StoreResult};
use crate::api::tlog::{Frontier, leaf_hash};
use crate::api::{Actor, AuditEvent, chain::event_hash};
use crate::server::ids;

const COLUMNS: usize = 16;

/// A chain's tree as its head row stores it: `audit_tree_size` and `audit_tree` (the
/// frontier's hashes, concatenated; `NULL` before the first).
pub(super) type StoredTree = (i64, Option<Vec<u8>>);

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
    /// The newest event's time: later events never carry an earlier one.
    last_at: Option<Timestamp>,
    pending: Vec<AuditEvent>,
    /// The chain's Merkle tree, while it holds every event up to the head: then each event
    /// recorded is appended, and its stored hashes go in with it. `None` while the tree is
    /// behind (a chain the migration has not built yet, or events an older replica wrote):
    /// the events are written without, and [`super::tree::build_behind`] appends them later.
    tree: Option<Frontier>,
    /// The stored hashes of each pending event (concatenated), in the same order.
    pending_tree: Vec<Option<Vec<u8>>>,
    /// Where the events written are counted, for `/metrics`.
    counter: Option<Counter>,
}

impl ChainHead {
    /// `head` is the newest event's `(seq, hash)`, `last_at` its time (`None` before the first),
    /// `tree` the chain's tree as stored beside the head.
    pub fn new(
        backend: Backend,
        org_pk: i64,
        org: String,
        (seq, hash): (i64, String),
        last_at: Option<Timestamp>,
        (tree_size, frontier): StoredTree,
    ) -> Self {
        let tree = u64::try_from(tree_size)
            .ok()
            .filter(|&size| i64::try_from(size) == Ok(seq))
            .and_then(|size| Frontier::from_bytes(size, frontier.as_deref().unwrap_or_default()));
        ChainHead {
            tree,
            pending_tree: Vec::new(),
            org_pk,
            org,
            vendor: false,
            backend,
            seq,
            hash,
            last_at,
            pending: Vec::new(),
            counter: None,
        }
    }

    /// Counts the events this head writes on `counter`.
    pub fn count_on(&mut self, counter: Option<&Counter>) {
        self.counter = counter.cloned();
    }

    /// The vendor chain's head, as read from `vendor_audit_head`.
    pub fn vendor(
        backend: Backend,
        head: (i64, String),
        last_at: Option<Timestamp>,
        tree: StoredTree,
    ) -> Self {
        ChainHead {
            vendor: true,
            ..ChainHead::new(backend, 0, String::new(), head, last_at, tree)
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
        // Writers take their time before they wait for the chain's lock: one that waited
        // longer than a later writer must not put an earlier time after that writer's.
        let at = self.last_at.map_or(at, |last| at.max(last));
        self.last_at = Some(at);
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
        let stored = match &mut self.tree {
            Some(tree) => {
                let leaf = leaf_hash(&event.hash)
                    .ok_or_else(|| StoreError::Database("an event hash is not hex".into()))?;
                Some(tree.append(leaf).iter().flat_map(|hash| hash.0).collect())
            }
            None => None,
        };
        self.seq = event.seq;
        self.hash = event.hash.clone();
        self.pending.push(event);
        self.pending_tree.push(stored);
        Ok(())
    }

    /// Writes the recorded events and moves the head, in the caller's transaction.
    pub async fn save(self, tx: &mut AnyConnection) -> StoreResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let hooks = if self.vendor {
            Vec::new()
        } else {
            super::outbox::enabled_webhooks(tx, self.org_pk).await?
        };
        self.save_with(tx, &hooks).await
    }

    /// [`ChainHead::save`] with the org's enabled webhooks already read in this transaction.
    pub async fn save_with(
        self,
        tx: &mut AnyConnection,
        hooks: &[EnabledWebhook],
    ) -> StoreResult<()> {
        self.into_script(hooks)?.send(tx).await
    }

    /// The writes of the recorded events, their deliveries to `hooks` (the org's enabled
    /// webhooks) and the head's move, in as few calls as the database allows (see [`Script`]).
    pub fn into_script(self, hooks: &[EnabledWebhook]) -> StoreResult<Script> {
        let mut script = Script::new(self.backend);
        if self.pending.is_empty() {
            return Ok(script);
        }
        if let Some(counter) = &self.counter {
            counter.inc_by(self.pending.len() as u64);
        }
        let (table, org_columns, head) = if self.vendor {
            ("vendor_audit_events", "", "vendor_audit_head")
        } else {
            (
                "audit_events",
                "org_pk, grant_id, session_id, request_id, ",
                "orgs",
            )
        };
        let mut rows = Rows::new(format!(
            "INSERT INTO {table} ({org_columns}seq, id, at, actor_id, actor_email, actor_role, \
             action, target, details, prev_hash, hash, tree_hashes) VALUES"
        ));
        for (event, stored) in self.pending.iter().zip(&self.pending_tree) {
            let mut columns = Vec::with_capacity(COLUMNS);
            if !self.vendor {
                let subjects = EventSubjects::of(event);
                columns.extend([
                    script.bind(self.org_pk),
                    script.bind(subjects.grant),
                    script.bind(subjects.session),
                    script.bind(subjects.request),
                ]);
            }
            columns.extend([
                script.bind(event.seq),
                script.bind(event.id.clone()),
                script.bind(event.at.as_second()),
                script.bind(event.actor.id.clone()),
                script.bind(event.actor.email.clone()),
                script.bind(event.actor.role.clone()),
                script.bind(event.action.clone()),
                script.bind(event.target.clone()),
                script.bind(event.details.to_string()),
                script.bind(event.prev_hash.clone()),
                script.bind(event.hash.clone()),
                script.bind(stored.clone()),
            ]);
            script.add_row(&mut rows, format!("({})", columns.join(", ")));
        }
        script.end_rows(rows);
        if !self.vendor {
            super::outbox::enqueue_events(&mut script, hooks, &self.pending)?;
        }
        let (key, pk) = if self.vendor {
            ("id", 1)
        } else {
            ("pk", self.org_pk)
        };
        let (seq, hash) = (script.bind(self.seq), script.bind(self.hash));
        let tree = match &self.tree {
            Some(tree) => {
                let (size, frontier) = (
                    script.bind(tree.size() as i64),
                    script.bind(Some(tree.to_bytes())),
                );
                format!(", audit_tree_size = {size}, audit_tree = {frontier}")
            }
            None => String::new(),
        };
        let pk = script.bind(pk);
        script.push(format!(
            "UPDATE {head} SET audit_seq = {seq}, audit_hash = {hash}{tree} WHERE {key} = {pk}"
        ));
        Ok(script)
    }
}

/// The grant, session and access request an org event is about, stored beside it so that the
/// log is looked up by them through an index (migration 0007 fills them in for older events by
/// the same rules).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct EventSubjects {
    pub grant: Option<String>,
    pub session: Option<String>,
    pub request: Option<String>,
}

impl EventSubjects {
    pub fn of(event: &AuditEvent) -> Self {
        let target = || event.target.clone();
        let named = |key: &str| {
            event
                .details
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let kind = event.action.split('.').next().unwrap_or_default();
        EventSubjects {
            grant: if kind == "grant" {
                target()
            } else {
                named("grant_id")
            },
            session: if kind == "session" || kind == "access" {
                target()
            } else {
                None
            },
            request: if kind == "request" {
                target()
            } else {
                named("request_id")
            },
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn an_event_never_carries_an_earlier_time_than_the_one_before() {
        use super::{Backend, ChainHead, Principal};
        let at = |second| jiff::Timestamp::from_second(second).unwrap();
        let genesis = ("0".repeat(64), Some(at(1_000)));
        let mut head = ChainHead::new(
            Backend::Sqlite,
            1,
            "acme".into(),
            (4, genesis.0),
            genesis.1,
            (0, None),
        );
        let actor = Principal::system();
        // A writer that read the clock before it waited for the chain's lock.
        head.record(
            at(990),
            &actor,
            "grant.created",
            None,
            serde_json::json!({}),
        )
        .unwrap();
        head.record(
            at(1_005),
            &actor,
            "grant.created",
            None,
            serde_json::json!({}),
        )
        .unwrap();
        head.record(
            at(1_001),
            &actor,
            "grant.created",
            None,
            serde_json::json!({}),
        )
        .unwrap();
        let times: Vec<i64> = head.pending.iter().map(|e| e.at.as_second()).collect();
        assert_eq!(times, [1_000, 1_005, 1_005]);
    }
}
