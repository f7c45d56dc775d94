//! RFC 8785 canonical JSON, quickly for the values audit events hold.
//!
//! The general canonicalizer parses every object key back from JSON to sort it, which made
//! hashing an event cost several microseconds, on the path of every recorded access. Events
//! hold integers, strings, nulls, booleans, arrays and objects with ASCII keys; for those the
//! canonical form is what serde_json writes once keys are sorted by their bytes (for ASCII the
//! UTF-16 order the RFC asks for): serde_json escapes strings exactly as the RFC does (`\"`,
//! `\\`, the short forms `\b \t \n \f \r`, `\u00xx` in lowercase hex for the other control
//! characters, nothing else) and prints integers alike. Anything else (a float, an integer
//! past 2^53, a non-ASCII key) goes to the general canonicalizer.

use serde_json::Value;

/// The canonical bytes of `value`.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(512);
    if write_simple(value, &mut out) {
        Ok(out)
    } else {
        serde_json_canonicalizer::to_vec(value)
    }
}

/// Writes `value` if it holds only what the fast form covers; false otherwise.
fn write_simple(value: &Value, out: &mut Vec<u8>) -> bool {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => match number.as_i64() {
            // Past 2^53 the RFC prints the nearest double, not the integer.
            Some(integer) if integer.unsigned_abs() <= 1 << 53 => {
                out.extend_from_slice(integer.to_string().as_bytes());
            }
            _ => return false,
        },
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !write_simple(item, out) {
                    return false;
                }
            }
            out.push(b']');
        }
        Value::Object(members) => {
            let mut members: Vec<(&String, &Value)> = members.iter().collect();
            if !members.iter().all(|(key, _)| key.is_ascii()) {
                return false;
            }
            members.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                if !write_simple(member, out) {
                    return false;
                }
            }
            out.push(b'}');
        }
    }
    true
}

fn write_string(text: &str, out: &mut Vec<u8>) {
    serde_json::to_writer(out, text).expect("writing a string to memory cannot fail");
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    fn general(value: &Value) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(value).unwrap()
    }

    #[test]
    fn gives_the_general_canonicalizers_bytes_for_what_events_hold() {
        let controls: String = (0u8..0x20).map(char::from).collect();
        let values = [
            json!({
                "seq": 9_007_199_254_740_992_i64,
                "neg": -42,
                "zero": 0,
                "id": "evt_01",
                "details": {"reason": null, "ok": true, "no": false, "list": [1, "two", [], {}]},
                "text": format!("quote \" backslash \\ slash / {controls} \u{7f} é ✓ 🔒 \u{2028} \u{2029} \u{feff}"),
                "Z": 1, "a": 2, "_": 3, "A": 4, "aa": 5, "a_b": 6,
            }),
            json!([]),
            json!({}),
            json!("only text"),
        ];
        for value in values {
            let fast = super::to_vec(&value).unwrap();
            let mut out = Vec::new();
            assert!(super::write_simple(&value, &mut out), "{value}");
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(general(&value)).unwrap()
            );
        }
    }

    #[test]
    fn leaves_what_it_does_not_cover_to_the_general_canonicalizer() {
        for value in [
            json!({"float": 1.5}),
            json!({"big": 9_007_199_254_740_993_i64}),
            json!({"huge": u64::MAX}),
            json!({"ключ": 1, "key": 2}),
            json!({"\u{e000}": 1, "\u{1f512}": 2}),
            json!([1e300, -0.0]),
        ] {
            let mut out = Vec::new();
            assert!(!super::write_simple(&value, &mut out), "{value}");
            assert_eq!(super::to_vec(&value).unwrap(), general(&value));
        }
    }
}
