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
    let canonical = super::canonical::to_vec(&value)?;
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

    /// Properties of the hash and the chain, over arbitrary event-like JSON.
    mod properties {
        use super::*;
        use proptest::prelude::*;
        use std::fmt::Write;

        /// RFC 8785 serializes numbers as IEEE 754 doubles: integers are exact up to 2^53 - 1
        /// (the I-JSON range). The API's integers (seq, counts, seconds) stay far inside it.
        const MAX_SAFE: i64 = (1 << 53) - 1;

        /// Strings that stress escaping and JCS's UTF-16 key order: controls, quotes,
        /// backslashes, U+2028, DEL, the top of the BMP and beyond it.
        fn text() -> impl Strategy<Value = String> {
            let tricky = vec![
                'a',
                'Z',
                '0',
                ' ',
                'é',
                'ß',
                '\u{0}',
                '\u{8}',
                '\u{1f}',
                '\n',
                '\r',
                '\t',
                '"',
                '\\',
                '/',
                '\u{7f}',
                '\u{2028}',
                '\u{e000}',
                '\u{fb01}',
                '\u{ffff}',
                '\u{10000}',
                '😀',
                '\u{10ffff}',
            ];
            prop_oneof![
                "[a-z_]{0,8}",
                any::<String>(),
                prop::collection::vec(prop::sample::select(tricky), 0..8)
                    .prop_map(|chars| chars.into_iter().collect()),
            ]
        }

        fn scalar() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                (-MAX_SAFE..=MAX_SAFE).prop_map(Value::from),
                (-1000i64..1000).prop_map(Value::from),
                text().prop_map(Value::String),
            ]
        }

        fn json() -> impl Strategy<Value = Value> {
            scalar().prop_recursive(3, 32, 5, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map(text(), inner, 0..5)
                        .prop_map(|map| Value::Object(map.into_iter().collect())),
                ]
            })
        }

        /// An audit event as the API returns it, minus `seq`, `prev_hash` and `hash`.
        fn event_body() -> impl Strategy<Value = Value> {
            (
                "[0-9a-z]{26}",
                0i64..4_000_000_000,
                text(),
                prop::sample::select(vec!["operator", "admin", "support", "service"]),
                prop::sample::select(vec![
                    "grant.created",
                    "grant.revoked",
                    "session.opened",
                    "access.allowed",
                ]),
                prop::option::of(text()),
                prop::collection::btree_map(text(), json(), 0..5),
            )
                .prop_map(|(id, at, email, role, action, target, details)| {
                    json!({
                        "id": format!("ev_{id}"),
                        "at": jiff::Timestamp::from_second(at).unwrap().to_string(),
                        "org": "acme",
                        "actor": {"id": "acc_1", "email": email, "role": role},
                        "action": action,
                        "target": target,
                        "details": Value::Object(details.into_iter().collect()),
                    })
                })
        }

        /// A chain of `bodies`, built by the rules.
        fn build(bodies: &[Value]) -> Vec<Value> {
            let mut prev = GENESIS_HASH.to_owned();
            bodies
                .iter()
                .enumerate()
                .map(|(index, body)| {
                    let mut event = body.clone();
                    event["seq"] = json!(index as i64 + 1);
                    event["prev_hash"] = json!(prev);
                    prev = event_hash(&event).unwrap();
                    event["hash"] = json!(prev);
                    event
                })
                .collect()
        }

        /// A small deterministic noise source for the serialized forms.
        struct Noise(u64);

        impl Noise {
            fn next(&mut self) -> u64 {
                // xorshift64*
                self.0 ^= self.0 >> 12;
                self.0 ^= self.0 << 25;
                self.0 ^= self.0 >> 27;
                self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
            }

            fn whitespace(&mut self, out: &mut String) {
                for _ in 0..self.next() % 3 {
                    out.push([' ', '\n', '\t', '\r'][(self.next() % 4) as usize]);
                }
            }
        }

        /// `value` as JSON text with keys in a shuffled order, whitespace between tokens, and
        /// characters escaped as `\uXXXX` here and there: all the same JSON.
        fn render(value: &Value, noise: &mut Noise, out: &mut String) {
            noise.whitespace(out);
            match value {
                Value::Object(map) => {
                    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                    for i in (1..entries.len()).rev() {
                        entries.swap(i, (noise.next() % (i as u64 + 1)) as usize);
                    }
                    out.push('{');
                    for (i, (key, item)) in entries.into_iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        noise.whitespace(out);
                        render_string(key, noise, out);
                        noise.whitespace(out);
                        out.push(':');
                        render(item, noise, out);
                    }
                    noise.whitespace(out);
                    out.push('}');
                }
                Value::Array(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        render(item, noise, out);
                    }
                    noise.whitespace(out);
                    out.push(']');
                }
                Value::String(text) => render_string(text, noise, out),
                other => out.push_str(&other.to_string()),
            }
            noise.whitespace(out);
        }

        fn render_string(text: &str, noise: &mut Noise, out: &mut String) {
            out.push('"');
            for c in text.chars() {
                if noise.next().is_multiple_of(4) || c < ' ' || c == '"' || c == '\\' {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        write!(out, "\\u{unit:04X}").unwrap();
                    }
                } else {
                    out.push(c);
                }
            }
            out.push('"');
        }

        /// RFC 8785 for the JSON the API uses (no floats), written from the RFC: keys sorted
        /// by UTF-16 code units, strings escaped like ECMAScript's JSON.stringify.
        fn reference_jcs(value: &Value, out: &mut String) {
            match value {
                Value::Null => out.push_str("null"),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Number(n) => write!(out, "{}", n.as_i64().unwrap()).unwrap(),
                Value::String(text) => reference_string(text, out),
                Value::Array(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        reference_jcs(item, out);
                    }
                    out.push(']');
                }
                Value::Object(map) => {
                    let mut keys: Vec<&String> = map.keys().collect();
                    keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
                    out.push('{');
                    for (i, key) in keys.into_iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        reference_string(key, out);
                        out.push(':');
                        reference_jcs(&map[key], out);
                    }
                    out.push('}');
                }
            }
        }

        fn reference_string(text: &str, out: &mut String) {
            out.push('"');
            for c in text.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\u{8}' => out.push_str("\\b"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\u{c}' => out.push_str("\\f"),
                    '\r' => out.push_str("\\r"),
                    c if c < ' ' => write!(out, "\\u{:04x}", c as u32).unwrap(),
                    c => out.push(c),
                }
            }
            out.push('"');
        }

        /// Paths to every scalar in `value`.
        fn scalar_paths(value: &Value, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
            match value {
                Value::Object(map) => {
                    for (key, item) in map {
                        path.push(key.clone());
                        scalar_paths(item, path, found);
                        path.pop();
                    }
                }
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(i.to_string());
                        scalar_paths(item, path, found);
                        path.pop();
                    }
                }
                _ => found.push(path.clone()),
            }
        }

        fn at_path<'v>(value: &'v mut Value, path: &[String]) -> &'v mut Value {
            path.iter().fold(value, |node, step| match node {
                Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
                other => &mut other[step.as_str()],
            })
        }

        /// Changes the scalar at `path` to a different value.
        fn mutate(value: &mut Value, path: &[String]) {
            let node = at_path(value, path);
            *node = match node.take() {
                Value::Null => Value::Bool(false),
                Value::Bool(b) => Value::Bool(!b),
                Value::Number(n) => {
                    let n = n.as_i64().unwrap();
                    json!(if n == MAX_SAFE { n - 1 } else { n + 1 })
                }
                Value::String(mut text) => {
                    text.push('x');
                    Value::String(text)
                }
                other => unreachable!("not a scalar: {other}"),
            };
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            /// The hash depends on the JSON value only: not on key order, whitespace or
            /// escapes of the text it came from. And the canonical form is RFC 8785's.
            #[test]
            fn the_hash_depends_on_the_value_not_its_serialized_form(
                body in event_body(),
                seeds in prop::collection::vec(1u64.., 3),
            ) {
                let hash = event_hash(&body).unwrap();
                for seed in seeds {
                    let mut text = String::new();
                    render(&body, &mut Noise(seed), &mut text);
                    let parsed: Value = serde_json::from_str(&text)
                        .map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
                    prop_assert_eq!(&parsed, &body);
                    prop_assert_eq!(event_hash(&parsed).unwrap(), hash.clone());
                }
                let mut expected = String::new();
                reference_jcs(&body, &mut expected);
                prop_assert_eq!(serde_json_canonicalizer::to_string(&body).unwrap(), expected.clone());
                // The fast form the server hashes with agrees.
                let fast = crate::api::canonical::to_vec(&body).unwrap();
                prop_assert_eq!(String::from_utf8(fast).unwrap(), expected);
                // `hash` itself is never part of what is hashed.
                let mut with_hash = body.clone();
                with_hash["hash"] = json!("anything");
                prop_assert_eq!(event_hash(&with_hash).unwrap(), hash);
            }

            /// Changing any scalar anywhere in an event changes its hash.
            #[test]
            fn changing_any_scalar_changes_the_hash(
                body in event_body(),
                pick in any::<prop::sample::Index>(),
            ) {
                let mut paths = Vec::new();
                scalar_paths(&body, &mut Vec::new(), &mut paths);
                let path = pick.get(&paths);
                let mut changed = body.clone();
                mutate(&mut changed, path);
                prop_assert_ne!(&changed, &body);
                prop_assert_ne!(event_hash(&changed).unwrap(), event_hash(&body).unwrap());
            }

            /// A chain built by the rules verifies; changing any scalar of any event, dropping
            /// an event, or swapping two is caught at the first event affected.
            #[test]
            fn a_built_chain_verifies_and_any_single_mutation_is_caught(
                bodies in prop::collection::vec(event_body(), 1..8),
                victim in any::<prop::sample::Index>(),
                other in any::<prop::sample::Index>(),
                pick in any::<prop::sample::Index>(),
            ) {
                let events = build(&bodies);
                let summary = verify_chain(&events).unwrap();
                prop_assert_eq!(summary.events, events.len());
                prop_assert_eq!(summary.last_seq, events.len() as i64);
                prop_assert_eq!(&summary.last_hash, events.last().unwrap()["hash"].as_str().unwrap());
                let n = events.len();
                let k = victim.index(n);

                // Change one scalar, chain fields included.
                let mut paths = Vec::new();
                scalar_paths(&events[k], &mut Vec::new(), &mut paths);
                let path = pick.get(&paths);
                let mut changed = events.clone();
                mutate(&mut changed[k], path);
                let err = verify_chain(&changed).unwrap_err();
                prop_assert_eq!(err.index, k, "{:?}: {}", path, err);

                // Drop one: caught where it was, unless it was the last one; a dropped tail
                // leaves a valid shorter chain whose head no longer matches the known one.
                let mut dropped = events.clone();
                dropped.remove(k);
                match verify_chain(&dropped) {
                    Err(err) => {
                        prop_assert!(k < n - 1);
                        prop_assert_eq!(err.index, k);
                    }
                    Ok(shorter) => {
                        prop_assert_eq!(k, n - 1);
                        prop_assert_ne!(shorter, summary.clone());
                    }
                }

                // Swap two distinct events.
                if n > 1 {
                    let j = other.index(n - 1);
                    let j = if j >= k { j + 1 } else { j };
                    let mut swapped = events.clone();
                    swapped.swap(k, j);
                    let err = verify_chain(&swapped).unwrap_err();
                    prop_assert_eq!(err.index, k.min(j));
                }
            }
        }
    }
}
