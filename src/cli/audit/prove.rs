//! `supportctl audit prove SEQ`: proves one event is in the log the server signs now, by an
//! inclusion proof against its current checkpoint, checked here.

use clap::Args;
use serde::Serialize;

use super::chain::chain_of;
use super::proofs::{current, includes, org_of};
use super::server_key::verifier_key;
use crate::api::checkpoint::ChainId;
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The event's seq.
    #[arg(value_name = "SEQ", value_parser = clap::value_parser!(i64).range(1..))]
    pub seq: i64,
    /// The org [default: SUPPORTCTL_ORG, the profile's, or your own]
    #[arg(long, value_name = "ORG", conflicts_with = "vendor", add = candidates::orgs())]
    pub org: Option<String>,
    /// The vendor's own chain (operators).
    #[arg(long)]
    pub vendor: bool,
    /// The verifier key to check the checkpoint with (from `audit key`), or a file holding
    /// it [default: fetched from the server]
    #[arg(long, value_name = "VKEY")]
    pub key: Option<String>,
}

/// What `-o json` prints: the proof, with the checkpoint it holds against.
#[derive(Serialize)]
struct Proven {
    org: String,
    seq: i64,
    size: i64,
    hash: String,
    proof: Vec<String>,
    checkpoint: String,
}

pub fn run(context: &mut Context, args: ProveArgs) -> CommandResult {
    let key = verifier_key(context, args.key.as_deref())?;
    let mut connection = context.connect()?;
    let chain = chain_of(&mut connection, args.org.as_deref(), args.vendor)?;
    let (note, signed) = current(&connection, &chain, &key)?;
    if args.seq > signed.seq {
        return Err(CommandError::general(format!(
            "{chain} has no event {}: its signed tree holds {} events",
            args.seq, signed.seq
        )));
    }
    let proof = connection
        .client
        .inclusion_proof(org_of(&chain), args.seq, signed.seq)?;
    if proof.seq != args.seq || !includes(&signed, &proof) {
        return Err(CommandError::general(format!(
            "the server's proof of event {} does not hold against its checkpoint of {} events",
            args.seq, signed.seq
        ))
        .with_hint("the log was altered, or the answer on its way; keep both as evidence"));
    }
    if context.ui.format() == OutputFormat::Json {
        return Ok(context.ui.json(&Proven {
            org: match &chain {
                ChainId::Org(org) => org.clone(),
                ChainId::Vendor => String::new(),
            },
            seq: proof.seq,
            size: proof.size,
            hash: proof.hash,
            proof: proof.proof,
            checkpoint: note,
        })?);
    }
    context.ui.success(&format!(
        "Event {} of {chain} (hash {}) is in the log the server signed at {} events: \
         inclusion proof of {} hashes verified",
        proof.seq,
        proof.hash,
        signed.seq,
        proof.proof.len()
    ));
    Ok(())
}
