//! The audit log's hash chain. The server computes it, the client (or anyone holding an export)
//! recomputes it from the JSON the API returns: no server-side secret is involved.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `prev_hash` of the first event of every org.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lowercase hex SHA-256 of the RFC 8785 canonical JSON of `event` without its `hash` member.
pub fn event_hash<T: Serialize>(event: &T) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(event)?;
    if let Value::Object(map) = &mut value {
        map.remove("hash");
    }
    let canonical = serde_json_canonicalizer::to_vec(&value)?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}

/// Where a chain stops holding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// Position in the input (0-based).
    pub index: usize,
    /// The event's `seq` as found, if it had one.
    pub seq: Option<i64>,
    pub problem: String,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "chain broken at seq {seq}: {}", self.problem),
            None => write!(
                f,
                "chain broken at entry {}: {}",
                self.index + 1,
                self.problem
            ),
        }
    }
}

/// What a verified chain covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    pub events: usize,
    pub last_seq: i64,
    pub last_hash: String,
}

/// Incremental verifier: feed events in `seq` order, starting at `seq` 1.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    index: usize,
    last_seq: i64,
    last_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            index: 0,
            last_seq: 0,
            last_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    /// Checks the next event against the chain so far.
    pub fn push(&mut self, event: &Value) -> Result<(), ChainBreak> {
        let seq = event.get("seq").and_then(Value::as_i64);
        let fail = |problem: String| ChainBreak {
            index: self.index,
            seq,
            problem,
        };
        let Some(seq_value) = seq else {
            return Err(fail("event has no integer seq".into()));
        };
        if seq_value != self.last_seq + 1 {
            return Err(fail(format!(
                "expected seq {}, found {seq_value} (events missing or reordered)",
                self.last_seq + 1
            )));
        }
        let prev_hash = event.get("prev_hash").and_then(Value::as_str);
        if prev_hash != Some(self.last_hash.as_str()) {
            return Err(fail(format!(
                "prev_hash does not match the hash of seq {}",
                self.last_seq
            )));
        }
        let Some(stated) = event.get("hash").and_then(Value::as_str) else {
            return Err(fail("event has no hash".into()));
        };
        let computed = event_hash(event).map_err(|e| fail(format!("cannot hash event: {e}")))?;
        if computed != stated {
            return Err(fail(format!(
                "content does not match its hash (stated {stated}, computed {computed})"
            )));
        }
        self.index += 1;
        self.last_seq = seq_value;
        self.last_hash = computed;
        Ok(())
    }

    pub fn summary(&self) -> ChainSummary {
        ChainSummary {
            events: self.index,
            last_seq: self.last_seq,
            last_hash: self.last_hash.clone(),
        }
    }
}

/// Verifies a whole chain from `seq` 1.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = &'a Value>,
) -> Result<ChainSummary, ChainBreak> {
    let mut verifier = ChainVerifier::default();
    for event in events {
        verifier.push(event)?;
    }
    Ok(verifier.summary())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chained(n: i64) -> Vec<Value> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut event = json!({
                    "seq": seq, "id": format!("ev_{seq}"), "at": "2026-01-01T00:00:00Z",
                    "org": "acme", "actor": {"id": "acc_1", "email": "a@acme.test", "role": "admin"},
                    "action": "grant.created", "target": "gr_1", "details": {"z": 1, "a": "é\n"},
                    "prev_hash": prev,
                });
                let hash = event_hash(&event).unwrap();
                event["hash"] = json!(hash);
                prev = hash;
                event
            })
            .collect()
    }

    #[test]
    fn a_chain_built_by_the_rules_verifies() {
        let events = chained(5);
        let summary = verify_chain(&events).unwrap();
        assert_eq!(summary.events, 5);
        assert_eq!(summary.last_seq, 5);
    }

    #[test]
    fn canonical_form_sorts_keys_and_drops_whitespace() {
        // RFC 8785: the hash must not depend on key order or formatting of the export.
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"d": 2, "c": "x"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"c":"x","d":2},"b":1}"#).unwrap();
        assert_eq!(event_hash(&a).unwrap(), event_hash(&b).unwrap());
        assert_eq!(
            serde_json_canonicalizer::to_string(&a).unwrap(),
            r#"{"a":{"c":"x","d":2},"b":1}"#
        );
    }

    #[test]
    fn tampering_with_content_is_caught_at_that_seq() {
        let mut events = chained(4);
        events[2]["details"]["z"] = json!(2);
        let err = verify_chain(&events).unwrap_err();
        assert_eq!(err.seq, Some(3));
        assert!(err.problem.contains("does not match its hash"), "{err}");
    }

    #[test]
    fn a_deleted_event_is_caught() {
        let mut events = chained(4);
        events.remove(1);
        let err = verify_chain(&events).unwrap_err();
        assert_eq!(err.seq, Some(3));
        assert!(err.problem.contains("expected seq 2"), "{err}");
    }

    #[test]
    fn a_rehashed_forgery_breaks_the_link_to_the_next_event() {
        let mut events = chained(3);
        events[1]["action"] = json!("grant.extended");
        let forged = event_hash(&events[1]).unwrap();
        events[1]["hash"] = json!(forged);
        let err = verify_chain(&events).unwrap_err();
        assert_eq!(err.seq, Some(3));
        assert!(err.problem.contains("prev_hash"), "{err}");
    }
}
