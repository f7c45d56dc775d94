//! `audit verify --checkpoint OLD` against the server, without reading the log: the server's
//! current signed checkpoint is checked with the same key, and a consistency proof that its
//! tree extends OLD's (for a checkpoint from before the chains were trees, an inclusion proof
//! of OLD's event), checked here: log-size work, whatever the log's length.

use serde::Serialize;

use super::check::Verified;
use super::read::of_another_log;
use crate::api::checkpoint::ChainId;
use crate::cli::audit::proofs::{Standing, current, standing};
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::OutputFormat;

#[derive(Serialize)]
struct Verdict {
    org: String,
    valid: bool,
    checkpoint: Tree,
    /// The server's checkpoint now.
    current: Tree,
    /// `consistency`, or `inclusion` for an older checkpoint; absent when neither holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    proof: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

#[derive(Serialize)]
struct Tree {
    seq: i64,
    hash: String,
}

pub(super) fn verify(context: &mut Context, signed: &Verified) -> CommandResult {
    let connection = context.connect()?;
    let older = &signed.checkpoint;
    let (_, newer) = current(&connection, &older.chain, &signed.key)
        .map_err(|error| of_another_log(error, Some(signed)))?;
    let found = standing(&connection, older, &newer)?;
    let when = signed.when();
    let problem = match found {
        Standing::Extends | Standing::HoldsItsEvent => None,
        Standing::Truncated => Some(
            CommandError::general(format!(
                "the log was truncated since the checkpoint {when}: the server's signed tree \
                 has {} events, the checkpoint's {}",
                newer.seq, older.seq
            ))
            .with_hint("keep this checkpoint and the server's current one as evidence"),
        ),
        Standing::Rewritten => Some(
            CommandError::general(format!(
                "the log was rewritten since the checkpoint {when}: the server's signed tree \
                 of {} events does not extend it",
                newer.seq
            ))
            .with_hint(
                "events up to the checkpoint's seq were replaced; keep this checkpoint and the \
                 server's current one as evidence",
            ),
        ),
    };
    let proof = match found {
        Standing::Extends => Some("consistency"),
        Standing::HoldsItsEvent => Some("inclusion"),
        _ => None,
    };
    if context.ui.format() == OutputFormat::Json {
        context.ui.json(&Verdict {
            org: match &older.chain {
                ChainId::Org(org) => org.clone(),
                ChainId::Vendor => String::new(),
            },
            valid: problem.is_none(),
            checkpoint: Tree {
                seq: older.seq,
                hash: older.hash.clone(),
            },
            current: Tree {
                seq: newer.seq,
                hash: newer.hash.clone(),
            },
            proof,
            problem: problem.as_ref().map(|p| p.message.clone()),
        })?;
    }
    if let Some(problem) = problem {
        return Err(problem);
    }
    if context.ui.format() != OutputFormat::Json {
        let how = match found {
            Standing::HoldsItsEvent => "an inclusion proof of its event (an older checkpoint)",
            _ => "a consistency proof",
        };
        context.ui.success(&format!(
            "Audit log of {} extends the checkpoint {when}: the server's signed tree of {} \
             events holds it, by {how} (pass --full to also check every event)",
            older.chain, newer.seq
        ));
    }
    Ok(())
}
