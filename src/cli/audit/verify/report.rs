//! What `audit verify` prints: the verdict as JSON, or a line; a break or a log that does not
//! extend the checkpoint is the error it exits with.

use std::io::IsTerminal;
use std::path::Path;

use serde::Serialize;

use super::check::Verified;
use super::read::Read;
use crate::api::chain::{ChainBreak, ChainSummary};
use crate::api::checkpoint::ChainId;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::OutputFormat;

#[derive(Serialize)]
struct Verdict {
    org: Option<String>,
    valid: bool,
    /// Events that verified (up to the break, if any).
    events: usize,
    last_seq: i64,
    last_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    broken_at_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    /// With `--checkpoint`: whether the log extends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    checkpoint: Option<CheckpointVerdict>,
}

#[derive(Serialize)]
struct CheckpointVerdict {
    seq: i64,
    hash: String,
    extended: bool,
}

fn chain_error(error: ChainBreak) -> CommandError {
    CommandError::general(error.to_string()).with_hint(
        "the log was altered or is incomplete from this point on; earlier events are intact",
    )
}

/// The verdict on what was read (`judged`: the log against the checkpoint, when it chains).
pub(super) fn report(
    context: &mut Context,
    file: Option<&Path>,
    read: Read,
    signed: Option<&Verified>,
    summary: &ChainSummary,
    judged: Option<CommandResult>,
) -> CommandResult {
    let Read {
        chain,
        broken,
        filtered,
    } = read;
    let extended = matches!(judged, Some(Ok(())));
    if context.ui.format() == OutputFormat::Json {
        context.ui.json(&Verdict {
            org: chain.as_ref().map(|c| match c {
                ChainId::Org(org) => org.clone(),
                ChainId::Vendor => String::new(),
            }),
            valid: broken.is_none() && (signed.is_none() || extended),
            events: summary.events,
            last_seq: summary.last_seq,
            last_hash: summary.last_hash.clone(),
            broken_at_seq: broken.as_ref().and_then(|b| b.seq),
            problem: broken
                .as_ref()
                .map(|b| filtered.clone().unwrap_or_else(|| b.problem.clone()))
                .or_else(|| {
                    judged
                        .as_ref()
                        .and_then(|j| j.as_ref().err())
                        .map(|e| e.message.clone())
                }),
            checkpoint: signed.map(|s| CheckpointVerdict {
                seq: s.checkpoint.seq,
                hash: s.checkpoint.hash.clone(),
                extended,
            }),
        })?;
    }
    if let (Some(what), Some(path), Some(broken)) = (&filtered, file, &broken) {
        return Err(CommandError::general(format!(
            "{} looks filtered rather than broken: {what} (the chain breaks at seq {})",
            path.display(),
            broken.seq.unwrap_or_default()
        ))
        .with_hint(
            "`audit list` with --action, --since or --limit exports part of the log; verify all \
             of it (`supportctl audit list --all -o json > audit.json`) or the server's copy \
             (`supportctl audit verify`)",
        ));
    }
    if let Some(broken) = broken {
        return Err(chain_error(broken));
    }
    if let Some(judged) = judged {
        judged?;
    }
    if context.ui.format() == OutputFormat::Json {
        return Ok(());
    }
    let of = match &chain {
        Some(ChainId::Org(org)) => format!(" of {org}"),
        Some(ChainId::Vendor) => " of the vendor".to_owned(),
        None => String::new(),
    };
    let extends = signed
        .map(|s| format!("; it extends the checkpoint {}", s.when()))
        .unwrap_or_default();
    context.ui.success(&format!(
        "Audit chain{of} verifies: {} events, seq 1 to {}, head {}{extends}",
        summary.events, summary.last_seq, summary.last_hash
    ));
    if signed.is_none() && std::io::stderr().is_terminal() {
        let file = match &chain {
            Some(ChainId::Vendor) => "vendor.checkpoint".to_owned(),
            Some(ChainId::Org(org)) => format!("{org}.checkpoint"),
            None => "org.checkpoint".to_owned(),
        };
        context.ui.note(&format!(
            "note: without a checkpoint this cannot tell whether the newest events were removed \
             or the whole log rewritten and re-hashed. Keep one (`supportctl audit checkpoint{} \
             > {file}`, e.g. daily from cron) and pass --checkpoint {file}.",
            if matches!(chain, Some(ChainId::Vendor)) {
                " --vendor"
            } else {
                ""
            }
        ));
    }
    Ok(())
}
