//! Signed checkpoints of an audit chain, shared by the server (which signs them) and the client
//! (which checks them). A checkpoint is a C2SP tlog checkpoint, a signed note whose body is
//! three lines: the chain's origin (`<name>/orgs/<org>` or `<name>/vendor`), the tree size (the
//! head `seq`) in decimal, and the root hash of the chain's Merkle tree (see [`super::tlog`])
//! as base64 of its 32 bytes. Checkpoints signed before the chains were trees have the head
//! event's hash on the third line, and still verify: against that event. Whoever keeps one can
//! later prove that the log extends it: a log cut short, or rewritten and re-hashed from any
//! earlier point, no longer does.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use signed_note::{Note, NoteError, Signer, StandardVerifier, VerifierList};

use super::chain::{ChainSummary, GENESIS_HASH};

/// Which chain a checkpoint is of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainId {
    Org(String),
    /// The vendor's own chain: accounts outside any org, and orgs themselves.
    Vendor,
}

impl ChainId {
    /// The origin line of this chain's checkpoints, for a server named `name`.
    pub fn origin(&self, name: &str) -> String {
        match self {
            ChainId::Org(org) => format!("{name}/orgs/{org}"),
            ChainId::Vendor => format!("{name}/vendor"),
        }
    }
}

impl std::fmt::Display for ChainId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainId::Org(org) => write!(f, "org {org}"),
            ChainId::Vendor => f.write_str("the vendor chain"),
        }
    }
}

/// What a checkpoint states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The key's name: the first part of the origin.
    pub name: String,
    pub chain: ChainId,
    /// The tree size: the head `seq`.
    pub seq: i64,
    /// The tree's root hash (an older checkpoint's: the head event's hash), lowercase hex
    /// like the events' own hashes (64 zeros for `seq` 0).
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("not a signed checkpoint: {0}")]
    Malformed(String),
    #[error(
        "not a verifier key ({0}): expected NAME+KEYID+BASE64, as `supportctl audit key` prints"
    )]
    BadKey(String),
    #[error("the checkpoint is not signed by the key {key} (it is signed by {signers})")]
    OtherKey { key: String, signers: String },
    #[error("the checkpoint's signature by {0} is not valid: it was altered or forged")]
    BadSignature(String),
}

impl Checkpoint {
    pub fn new(name: &str, chain: ChainId, seq: i64, hash: &str) -> Checkpoint {
        Checkpoint {
            name: name.to_owned(),
            chain,
            seq,
            hash: hash.to_owned(),
        }
    }

    /// The signed text: three lines, each ending in a newline.
    pub fn body(&self) -> String {
        let hash = hex::decode(&self.hash).unwrap_or_else(|_| vec![0; 32]);
        format!(
            "{}\n{}\n{}\n",
            self.chain.origin(&self.name),
            self.seq,
            BASE64.encode(hash)
        )
    }

    /// Reads a body written by [`Checkpoint::body`] by the server named `name`.
    ///
    /// The origin is read after that name, whose key signed it: `/orgs/<org>` or `/vendor`.
    /// Read from its end instead, `<name>/orgs/vendor` (the org `vendor`) would pass for the
    /// vendor chain of a server named `<name>/orgs`.
    pub fn parse_body(text: &str, name: &str) -> Result<Checkpoint, CheckpointError> {
        let malformed = |why: &str| CheckpointError::Malformed(why.to_owned());
        let lines: Vec<&str> = text
            .strip_suffix('\n')
            .ok_or_else(|| malformed("the body does not end with a newline"))?
            .split('\n')
            .collect();
        let [origin, seq, hash] = lines[..] else {
            return Err(malformed("the body is not three lines (origin, seq, hash)"));
        };
        let Some(chain) = origin
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            return Err(CheckpointError::Malformed(format!(
                "its origin {origin} is not a chain of server {name}, whose key signed it"
            )));
        };
        let chain = match chain.strip_prefix("orgs/") {
            Some(org) if !org.is_empty() && !org.contains('/') => ChainId::Org(org.to_owned()),
            _ if chain == "vendor" => ChainId::Vendor,
            _ => {
                return Err(malformed(
                    "the origin is neither NAME/orgs/ORG nor NAME/vendor",
                ));
            }
        };
        // Decimal as written by the server: digits only, no leading zero.
        let canonical = !seq.is_empty()
            && seq.bytes().all(|b| b.is_ascii_digit())
            && (seq == "0" || !seq.starts_with('0'));
        let seq: i64 = canonical
            .then(|| seq.parse().ok())
            .flatten()
            .ok_or_else(|| malformed("the second line is not a seq in decimal"))?;
        let hash = BASE64
            .decode(hash)
            .ok()
            .filter(|bytes| bytes.len() == 32)
            .ok_or_else(|| malformed("the third line is not the base64 of a 32-byte hash"))?;
        Ok(Checkpoint::new(name, chain, seq, &hex::encode(hash)))
    }

    /// The signed note: the body, an empty line, and `signer`'s signature line.
    pub fn sign(&self, signer: &dyn Signer) -> Result<String, NoteError> {
        let mut note = Note::new(self.body().as_bytes(), &[])?;
        note.add_sigs(&[signer])?;
        String::from_utf8(note.to_bytes()).map_err(|_| NoteError::MalformedNote)
    }

    /// Checks `note`'s signature with the verifier key `key` and reads what it states. The
    /// origin must name the key's own server.
    pub fn open(note: &str, key: &str) -> Result<Checkpoint, CheckpointError> {
        let verifier = StandardVerifier::new(key.trim())
            .map_err(|e| CheckpointError::BadKey(e.to_string()))?;
        let key_label = key_label(key.trim());
        let parsed = Note::from_bytes(note.as_bytes())
            .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        let known = VerifierList::new(vec![Box::new(verifier)]);
        match parsed.verify(&known) {
            Ok(_) => {}
            Err(NoteError::UnverifiedNote) => {
                return Err(CheckpointError::OtherKey {
                    key: key_label,
                    signers: signers_of(note),
                });
            }
            Err(NoteError::InvalidSignature { .. }) => {
                return Err(CheckpointError::BadSignature(key_label));
            }
            Err(other) => return Err(CheckpointError::Malformed(other.to_string())),
        }
        let text = std::str::from_utf8(parsed.text())
            .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        let key_name = key.trim().split('+').next().unwrap_or_default();
        Checkpoint::parse_body(text, key_name)
    }

    /// How a log whose chain verified, ending at `log`, compares with this checkpoint;
    /// `hash_at_seq` is the hash of the log's event at this checkpoint's `seq`, if it has one,
    /// and `root_at_seq` the root of the log's tree of that many events. A checkpoint states
    /// the root (an older one, from before the chains were trees, the event's hash).
    pub fn compare(
        &self,
        log: &ChainSummary,
        hash_at_seq: Option<&str>,
        root_at_seq: Option<&str>,
    ) -> Extension {
        if self.seq == 0 {
            return if self.hash == GENESIS_HASH {
                Extension::Extends
            } else {
                Extension::Rewritten
            };
        }
        match hash_at_seq {
            _ if log.last_seq < self.seq => Extension::Truncated {
                log_last_seq: log.last_seq,
            },
            _ if root_at_seq == Some(self.hash.as_str()) => Extension::Extends,
            Some(hash) if hash == self.hash => Extension::Extends,
            _ => Extension::Rewritten,
        }
    }
}

/// How a log stands to a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extension {
    /// The log holds the checkpoint's event, and its chain runs on from it to the head.
    Extends,
    /// The log ends before the checkpoint's `seq`: newest events were removed.
    Truncated { log_last_seq: i64 },
    /// The log has another event at the checkpoint's `seq`: it was rewritten.
    Rewritten,
}

/// `name+keyid` of a verifier key, for messages (never the key bytes).
fn key_label(key: &str) -> String {
    let mut parts = key.split('+');
    match (parts.next(), parts.next()) {
        (Some(name), Some(id)) => format!("{name}+{id}"),
        _ => key.to_owned(),
    }
}

/// `name+keyid` of each signature line of a note, for messages.
fn signers_of(note: &str) -> String {
    let signers: Vec<String> = note
        .lines()
        .filter_map(|line| line.strip_prefix("— "))
        .filter_map(|line| {
            let (name, signature) = line.split_once(' ')?;
            let bytes = BASE64.decode(signature).ok()?;
            let id = bytes.get(..4)?;
            Some(format!("{name}+{}", hex::encode(id)))
        })
        .collect();
    if signers.is_empty() {
        "no one".to_owned()
    } else {
        signers.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example key of Go's signed-note package.
    const SIGNER: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    fn signer() -> signed_note::StandardSigner {
        signed_note::StandardSigner::new(SIGNER).unwrap()
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_key_and_reads_back() {
        let checkpoint = Checkpoint::new(
            "PeterNeumann",
            ChainId::Org("acme".into()),
            12,
            &"ab".repeat(32),
        );
        let note = checkpoint.sign(&signer()).unwrap();
        assert!(
            note.starts_with("PeterNeumann/orgs/acme\n12\nq6ur"),
            "{note}"
        );
        assert!(note.contains("\n\n— PeterNeumann "), "{note}");
        assert_eq!(Checkpoint::open(&note, VERIFIER).unwrap(), checkpoint);

        let edited = note.replacen("\n12\n", "\n11\n", 1);
        assert!(matches!(
            Checkpoint::open(&edited, VERIFIER),
            Err(CheckpointError::BadSignature(_))
        ));
    }

    #[test]
    fn bodies_are_three_exact_lines() {
        for bad in [
            "a/orgs/acme\n1\n",
            "b/orgs/acme\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "ab/vendor\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "a/orgs/\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "a/orgs/x/y\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "a/orgs/acme\n01x\nAAAA\n",
            "a/orgs/acme\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "a/elsewhere\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "a/orgs/acme\n1\nAAAA\n",
        ] {
            assert!(Checkpoint::parse_body(bad, "a").is_err(), "{bad:?}");
        }
        let vendor = Checkpoint::parse_body(
            "a/vendor\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "a",
        )
        .unwrap();
        assert_eq!(vendor.chain, ChainId::Vendor);
        assert_eq!(vendor.hash, GENESIS_HASH);
    }

    #[test]
    fn an_org_named_vendor_and_a_name_holding_orgs_read_as_written() {
        let hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let body = format!("a/orgs/vendor\n3\n{hash}\n");
        let org = Checkpoint::parse_body(&body, "a").unwrap();
        assert_eq!(org.chain, ChainId::Org("vendor".into()));
        assert_eq!(org.name, "a");
        let vendor = Checkpoint::parse_body(&body, "a/orgs").unwrap();
        assert_eq!(vendor.chain, ChainId::Vendor);
        let org = Checkpoint::parse_body(&format!("x/orgs/y/orgs/acme\n3\n{hash}\n"), "x/orgs/y")
            .unwrap();
        assert_eq!(org.chain, ChainId::Org("acme".into()));

        // Signed and opened: the org `vendor` keeps verifying.
        let checkpoint = Checkpoint::new(
            "PeterNeumann",
            ChainId::Org("vendor".into()),
            4,
            &"ab".repeat(32),
        );
        let note = checkpoint.sign(&signer()).unwrap();
        assert_eq!(Checkpoint::open(&note, VERIFIER).unwrap(), checkpoint);
    }

    #[test]
    fn a_log_is_judged_against_the_checkpoint() {
        let checkpoint = Checkpoint::new("a", ChainId::Vendor, 5, &"cd".repeat(32));
        let log = |last_seq| ChainSummary {
            events: last_seq as usize,
            last_seq,
            last_hash: String::new(),
        };
        let same = "cd".repeat(32);
        let other = "ef".repeat(32);
        // The tree's root (a checkpoint of today), or the event's hash (an older one).
        assert_eq!(
            checkpoint.compare(&log(7), Some(&other), Some(&same)),
            Extension::Extends
        );
        assert_eq!(
            checkpoint.compare(&log(7), Some(&same), Some(&other)),
            Extension::Extends
        );
        assert_eq!(
            checkpoint.compare(&log(4), None, None),
            Extension::Truncated { log_last_seq: 4 }
        );
        assert_eq!(
            checkpoint.compare(&log(5), Some(&other), Some(&other)),
            Extension::Rewritten
        );
        let empty = Checkpoint::new("a", ChainId::Vendor, 0, GENESIS_HASH);
        assert_eq!(empty.compare(&log(0), None, None), Extension::Extends);
    }
}
