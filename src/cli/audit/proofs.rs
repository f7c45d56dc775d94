//! A chain's current signed tree and the server's proofs from it, checked here (RFC 6962, as
//! Go's `sumdb/tlog` checks them), for `audit prove` and `audit verify --checkpoint`: each is
//! log-size work, whatever the log's length.

use crate::api::checkpoint::{ChainId, Checkpoint};
use crate::api::tlog::{Hash, check_record, check_tree, decode_hash, leaf_hash};
use crate::api::{ConsistencyProof, InclusionProof};
use crate::cli::context::Connection;
use crate::cli::error::{CommandError, CommandResult};

/// The org a chain's requests name (`None`: the vendor chain).
pub(super) fn org_of(chain: &ChainId) -> Option<&str> {
    match chain {
        ChainId::Org(org) => Some(org),
        ChainId::Vendor => None,
    }
}

/// The chain's checkpoint as the server signs it now (the note, and what it states), its
/// signature checked with `key`.
pub(super) fn current(
    connection: &Connection,
    chain: &ChainId,
    key: &str,
) -> CommandResult<(String, Checkpoint)> {
    let note = connection.client.checkpoint(org_of(chain))?;
    let checkpoint = Checkpoint::open(&note, key).map_err(|error| {
        CommandError::general(format!("the server's current checkpoint: {error}")).with_hint(
            "the server signs with another key than the one checked against, or the answer \
             was altered on its way",
        )
    })?;
    if checkpoint.chain != *chain {
        return Err(CommandError::general(format!(
            "the server answered a checkpoint of {}, not of {chain}",
            checkpoint.chain
        )));
    }
    Ok((note, checkpoint))
}

fn root(checkpoint: &Checkpoint) -> Hash {
    let mut bytes = [0u8; 32];
    // A checkpoint's hash was read from 32 bytes of base64.
    let _ = hex::decode_to_slice(&checkpoint.hash, &mut bytes);
    Hash(bytes)
}

fn hashes(proof: &[String]) -> Option<Vec<Hash>> {
    proof.iter().map(|hash| decode_hash(hash)).collect()
}

/// Whether `proof` shows its event in the tree `signed` signed (`tlog.CheckRecord`).
pub(super) fn includes(signed: &Checkpoint, proof: &InclusionProof) -> bool {
    let (Some(leaf), Some(path)) = (leaf_hash(&proof.hash), hashes(&proof.proof)) else {
        return false;
    };
    proof.size == signed.seq
        && proof.seq >= 1
        && check_record(
            &path,
            signed.seq as u64,
            root(signed),
            proof.seq as u64 - 1,
            leaf,
        )
        .is_ok()
}

/// How the tree of `newer` stands to the older checkpoint `older`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Standing {
    /// A consistency proof shows the newer tree extends the older one.
    Extends,
    /// An older checkpoint (its third line the head event's hash, before the chains were
    /// trees): the newer tree holds that event at that seq, by an inclusion proof.
    HoldsItsEvent,
    /// The newer tree is smaller: events were removed.
    Truncated,
    /// Neither proof holds: the log was rewritten.
    Rewritten,
}

/// Proves how `newer` (the server's current checkpoint) stands to `older`, asking the server
/// for one proof, or two for an older checkpoint.
pub(super) fn standing(
    connection: &Connection,
    older: &Checkpoint,
    newer: &Checkpoint,
) -> CommandResult<Standing> {
    if older.seq == 0 {
        return Ok(if root(older) == Hash::default() {
            Standing::Extends
        } else {
            Standing::Rewritten
        });
    }
    if newer.seq < older.seq {
        return Ok(Standing::Truncated);
    }
    let org = org_of(&newer.chain);
    let ConsistencyProof { proof } = connection
        .client
        .consistency_proof(org, older.seq, newer.seq)?;
    let consistent = hashes(&proof).is_some_and(|proof| {
        check_tree(
            &proof,
            newer.seq as u64,
            root(newer),
            older.seq as u64,
            root(older),
        )
        .is_ok()
    });
    if consistent {
        return Ok(Standing::Extends);
    }
    let inclusion = connection
        .client
        .inclusion_proof(org, older.seq, newer.seq)?;
    if inclusion.hash == older.hash && includes(newer, &inclusion) {
        return Ok(Standing::HoldsItsEvent);
    }
    Ok(Standing::Rewritten)
}
