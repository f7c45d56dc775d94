//! The checks of `audit verify`: the hash chain, the log against a signed checkpoint, and
//! whether an export that fails to chain is only part of the log.

use jiff::Timestamp;
use serde_json::Value;

use crate::api::chain::{ChainBreak, ChainSummary, ChainVerifier};
use crate::api::checkpoint::{ChainId, Checkpoint, Extension};
use crate::api::tlog::{Frontier, leaf_hash};
use crate::cli::error::{CommandError, CommandResult};

/// A checkpoint whose signature verified, and when its file was written.
pub struct Verified {
    pub checkpoint: Checkpoint,
    pub saved: Option<Timestamp>,
    /// The verifier key that checked it.
    pub key: String,
}

impl Verified {
    /// "saved 3h ago (seq 41)", as the tables say times, or "at seq 41" when the time is
    /// unknown: what follows "the checkpoint".
    pub fn when(&self) -> String {
        match self.saved {
            Some(at) => format!(
                "saved {} (seq {})",
                crate::cli::time::spoken_time(at),
                self.checkpoint.seq
            ),
            None => format!("at seq {}", self.checkpoint.seq),
        }
    }

    /// The log's standing to the checkpoint, as an error when it does not extend it.
    pub fn judge(
        &self,
        log: &ChainSummary,
        hash_at_seq: Option<&str>,
        root_at_seq: Option<&str>,
    ) -> CommandResult {
        let seq = self.checkpoint.seq;
        match self.checkpoint.compare(log, hash_at_seq, root_at_seq) {
            Extension::Extends => Ok(()),
            Extension::Truncated { log_last_seq } => Err(CommandError::general(format!(
                "the log was truncated since the checkpoint {}: it ends at seq \
                 {log_last_seq}, the checkpoint's head is seq {seq}",
                self.when()
            ))
            .with_hint(if log_last_seq == 0 {
                "every event was removed; keep this checkpoint and the log as evidence".to_owned()
            } else {
                format!(
                    "events after seq {log_last_seq} were removed; keep this checkpoint and \
                     the log as evidence"
                )
            })),
            Extension::Rewritten => Err(CommandError::general(format!(
                "the log was rewritten since the checkpoint {}: its event at seq {seq} is \
                 not the one the checkpoint signed",
                self.when()
            ))
            .with_hint(
                "events up to that seq were replaced and the chain re-hashed; an earlier \
                 export shows where",
            )),
        }
    }
}

/// The chain verifier, remembering the hash of the event at the checkpoint's `seq` and the
/// root of the chain's tree up to it.
pub(super) struct Tracker {
    pub verifier: ChainVerifier,
    wanted: Option<i64>,
    pub hash_at_wanted: Option<String>,
    pub root_at_wanted: Option<String>,
    tree: Frontier,
}

impl Tracker {
    /// A verifier that also notes the hash of the event at `wanted` (the checkpoint's seq).
    pub fn new(wanted: Option<i64>) -> Self {
        Self {
            verifier: ChainVerifier::default(),
            wanted,
            hash_at_wanted: None,
            root_at_wanted: None,
            tree: Frontier::default(),
        }
    }

    pub fn push_all(&mut self, events: &[Value]) -> Option<ChainBreak> {
        events.iter().find_map(|event| {
            self.verifier.push(event).err().or_else(|| {
                // It chained: its seq follows the one before, from 1.
                let hash = event["hash"].as_str().unwrap_or_default();
                if let Some(leaf) = leaf_hash(hash) {
                    self.tree.append(leaf);
                }
                if event.get("seq").and_then(Value::as_i64) == self.wanted {
                    self.hash_at_wanted = Some(hash.to_owned());
                    self.root_at_wanted = Some(hex::encode(self.tree.root().0));
                }
                None
            })
        })
    }
}

/// Whether an export's events belong to the checkpoint's chain (vendor events have no org).
pub fn same_chain(chain: &ChainId, event_org: Option<&str>) -> bool {
    match (chain, event_org) {
        (_, None) => true,
        (ChainId::Org(org), Some(found)) => org == found,
        (ChainId::Vendor, Some(found)) => found.is_empty(),
    }
}

/// How an export that fails to chain reads as part of the log: every event intact (its content
/// matches its own hash) and in order, but not starting at seq 1 or with seqs left out.
pub(super) fn looks_filtered(events: &[Value]) -> Option<String> {
    let seqs: Vec<i64> = events
        .iter()
        .map(|event| event.get("seq").and_then(Value::as_i64))
        .collect::<Option<_>>()?;
    let intact = events.iter().all(|event| {
        event
            .get("hash")
            .and_then(Value::as_str)
            .is_some_and(|stated| {
                crate::api::chain::event_hash(event).is_ok_and(|computed| computed == stated)
            })
    });
    if !intact || seqs.windows(2).any(|pair| pair[1] <= pair[0]) {
        return None;
    }
    let first = *seqs.first()?;
    let gaps = seqs
        .windows(2)
        .filter(|pair| pair[1] != pair[0] + 1)
        .count();
    let skipped: i64 = seqs.windows(2).map(|pair| pair[1] - pair[0] - 1).sum();
    let mut what = Vec::new();
    if first != 1 {
        what.push(format!("it starts at seq {first}"));
    }
    if gaps > 0 {
        what.push(format!(
            "it leaves out {skipped} event{} in {gaps} place{}",
            if skipped == 1 { "" } else { "s" },
            if gaps == 1 { "" } else { "s" }
        ));
    }
    (!what.is_empty()).then(|| {
        format!(
            "{}, each of its {} events intact",
            what.join(" and "),
            events.len()
        )
    })
}
