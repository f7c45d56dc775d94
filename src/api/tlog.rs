//! The audit chains as Merkle trees in the RFC 6962 form of Go's `golang.org/x/mod/sumdb/tlog`
//! (implemented by the `tlog_tiles` crate): leaf `seq` n is record n−1, whose record hash is
//! `RecordHash` of the 32 bytes of the event's hash; interior nodes are `NodeHash`.
//!
//! Shared by the server, which keeps each chain's stored hashes and proves, and the client,
//! which checks proofs. The *frontier* of a tree of size n is the hashes of its complete
//! subtrees, largest first (one per bit set in n): all an append needs, and all the root needs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
pub use tlog_tiles::{Hash, check_record, check_tree, node_hash, record_hash};

/// The record hash of leaf `seq`: `RecordHash` of the event hash's 32 bytes (`None` when
/// `event_hash` is not 64 hex digits).
pub fn leaf_hash(event_hash: &str) -> Option<Hash> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(event_hash, &mut bytes).ok()?;
    Some(record_hash(&bytes))
}

/// A tree's size and frontier: enough to append to it and to compute its root.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier as stored (`hashes` concatenated), for a tree of `size` records; `None` if
    /// the bytes are not one hash per bit set in `size`.
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Option<Frontier> {
        if bytes.len() != size.count_ones() as usize * 32 {
            return None;
        }
        let hashes = bytes
            .chunks_exact(32)
            .map(|chunk| Hash(chunk.try_into().expect("32 bytes")))
            .collect();
        Some(Frontier { size, hashes })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.hashes.iter().flat_map(|hash| hash.0).collect()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends record `size` with record hash `leaf`, and returns the hashes that its append
    /// stores (`tlog.StoredHashesForRecordHash`): the leaf, then one node per subtree it
    /// completes. They are stored from `tlog.StoredHashIndex(0, size)` on.
    pub fn append(&mut self, leaf: Hash) -> Vec<Hash> {
        let completed = (self.size + 1).trailing_zeros() as usize;
        let mut stored = Vec::with_capacity(1 + completed);
        stored.push(leaf);
        let mut hash = leaf;
        for _ in 0..completed {
            let left = self.hashes.pop().expect("a subtree per trailing one bit");
            hash = node_hash(left, hash);
            stored.push(hash);
        }
        self.hashes.push(hash);
        self.size += 1;
        stored
    }

    /// The tree's root hash (`tlog.TreeHash`); the empty tree's is 32 zero bytes, as in Go.
    pub fn root(&self) -> Hash {
        let mut hashes = self.hashes.iter().rev();
        let Some(last) = hashes.next() else {
            return Hash::default();
        };
        hashes.fold(*last, |right, left| node_hash(*left, right))
    }
}

/// Where stored hash `index` (`tlog.StoredHashIndex` numbering) is kept: with the leaf `seq`
/// whose append stored it, at that position in the leaf's stored hashes.
pub fn stored_hash_place(index: u64) -> (u64, usize) {
    let (level, n) = tlog_tiles::split_stored_hash_index(index);
    ((n + 1) << level, usize::from(level))
}

pub fn encode_hash(hash: &Hash) -> String {
    BASE64.encode(hash.0)
}

pub fn decode_hash(text: &str) -> Option<Hash> {
    let bytes = BASE64.decode(text).ok()?;
    Some(Hash(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use tlog_tiles::{
        HashReader, prove_record, prove_tree, stored_hash_index, stored_hashes_for_record_hash,
        tree_hash,
    };

    struct Stored(HashMap<u64, Hash>);

    impl HashReader for Stored {
        fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
            Ok(indexes.iter().map(|i| self.0[i]).collect())
        }
    }

    fn event_hash(seq: u64) -> String {
        hex::encode(sha2::Sha256::digest(seq.to_string().as_bytes()))
    }

    use sha2::Digest;

    #[test]
    fn the_frontier_appends_and_roots_as_tlog_does() {
        let mut stored = Stored(HashMap::new());
        let mut frontier = Frontier::default();
        for n in 0..200u64 {
            let leaf = leaf_hash(&event_hash(n + 1)).unwrap();
            let expected = stored_hashes_for_record_hash(n, leaf, &stored).unwrap();
            let hashes = frontier.append(leaf);
            assert_eq!(hashes, expected, "record {n}");
            for (k, hash) in hashes.iter().enumerate() {
                let index = stored_hash_index(0, n) + k as u64;
                assert_eq!(stored_hash_place(index), (n + 1, k));
                stored.0.insert(index, *hash);
            }
            assert_eq!(frontier.root(), tree_hash(n + 1, &stored).unwrap());
            let again = Frontier::from_bytes(n + 1, &frontier.to_bytes()).unwrap();
            assert_eq!(again, frontier);
        }
        assert!(Frontier::from_bytes(3, &[0; 32]).is_none());
        // Proofs from the stored hashes check against the frontier's roots.
        let mut small = Frontier::default();
        for n in 1..=200u64 {
            small.append(leaf_hash(&event_hash(n)).unwrap());
            let proof = prove_record(n, n / 2, &stored).unwrap();
            let leaf = leaf_hash(&event_hash(n / 2 + 1)).unwrap();
            check_record(&proof, n, small.root(), n / 2, leaf).unwrap();
        }
        let mut old = Frontier::default();
        for n in 1..=37u64 {
            old.append(leaf_hash(&event_hash(n)).unwrap());
        }
        let proof = prove_tree(200, 37, &stored).unwrap();
        check_tree(&proof, 200, frontier.root(), 37, old.root()).unwrap();
    }

    /// Values computed with Go's `golang.org/x/mod/sumdb/tlog`: `RecordHash` of 32 bytes 0xab;
    /// `TreeHash` of the tree whose record n is SHA-256 of the decimal n+1, for sizes 5 and 0.
    #[test]
    fn hashes_match_go() {
        let leaf = leaf_hash(&"ab".repeat(32)).unwrap();
        assert_eq!(
            encode_hash(&leaf),
            "hnVOcauQ8wXE+qfu5XtBuJ5J683wOnRchV7mEeRZcjc="
        );
        let mut frontier = Frontier::default();
        for seq in 1..=5u64 {
            frontier.append(leaf_hash(&event_hash(seq)).unwrap());
        }
        assert_eq!(
            encode_hash(&frontier.root()),
            "Tn3lr/qhBzMzKSPZ6xuFV7yInESPDzGu/8ncrEITWiw="
        );
        assert_eq!(
            encode_hash(&Frontier::default().root()),
            BASE64.encode([0; 32])
        );
    }
}
