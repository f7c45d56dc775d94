//! `supportctl audit verify`: the log is read (`read.rs`: the server's pages or an export, and
//! the checkpoint file), checked (`check.rs`: the hash chain, the checkpoint), and reported
//! (`report.rs`: the verdict, as JSON or a line).

mod check;
mod proved;
mod read;
mod report;

use std::path::PathBuf;

use clap::Args;

use self::check::Tracker;
use crate::api::checkpoint::ChainId;
use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// The vendor's own log (operators).
    #[arg(long, conflicts_with = "org")]
    pub vendor: bool,
    /// Verify an export (a JSON array from `audit list --all -o json`; `-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// A checkpoint from `audit checkpoint`: prove that the log the server signs now extends
    /// it, by a consistency proof (its org, or the vendor's log, is the one checked)
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// With --checkpoint, also read and check the whole log (as without a checkpoint, or with
    /// --file), not only the proof
    #[arg(long, requires = "checkpoint", conflicts_with = "file")]
    pub full: bool,
    /// The verifier key to check the checkpoint with (from `audit key`), or a file holding
    /// it [default: fetched from the server]
    #[arg(long, value_name = "VKEY", requires = "checkpoint")]
    pub key: Option<String>,
}

pub fn run(context: &mut Context, args: VerifyArgs) -> CommandResult {
    let signed = match &args.checkpoint {
        Some(path) => Some(read::checkpoint(context, path, args.key.as_deref())?),
        None => None,
    };
    let flagged = match (&args.org.org, args.vendor) {
        (_, true) => Some(ChainId::Vendor),
        (Some(org), false) => Some(ChainId::Org(org.clone())),
        (None, false) => None,
    };
    if let (Some(signed), Some(flagged)) = (&signed, &flagged)
        && signed.checkpoint.chain != *flagged
    {
        // A verification that failed, like any other (exit 1): the log is not the checkpoint's.
        return Err(CommandError::general(format!(
            "the checkpoint is of another log: {}, not {flagged}",
            signed.checkpoint.chain
        )));
    }
    if let Some(signed) = &signed
        && args.file.is_none()
        && !args.full
    {
        return proved::verify(context, signed);
    }
    let mut tracker = Tracker::new(signed.as_ref().map(|s| s.checkpoint.seq));
    let read = match &args.file {
        Some(path) => read::export(path, signed.as_ref(), &mut tracker)?,
        None => read::server(
            context,
            args.org.org.as_deref(),
            args.vendor,
            signed.as_ref(),
            &mut tracker,
        )?,
    };
    let summary = tracker.verifier.summary();
    let judged = match (&signed, &read.broken) {
        (Some(signed), None) => Some(signed.judge(
            &summary,
            tracker.hash_at_wanted.as_deref(),
            tracker.root_at_wanted.as_deref(),
        )),
        _ => None,
    };
    report::report(
        context,
        args.file.as_deref(),
        read,
        signed.as_ref(),
        &summary,
        judged,
    )
}
