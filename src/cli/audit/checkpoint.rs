//! `supportctl audit checkpoint`: the signed note, exactly as the server signed it.

use clap::Args;

use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// The org [default: SUPPORTCTL_ORG, the profile's, or your own]
    #[arg(long, value_name = "ORG", conflicts_with = "vendor", add = candidates::orgs())]
    pub org: Option<String>,
    /// The vendor's own chain (operators).
    #[arg(long)]
    pub vendor: bool,
}

/// `audit checkpoint`: the signed note, exactly as the server signed it.
pub fn run(context: &mut Context, args: CheckpointArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let note = if args.vendor {
        connection.client.checkpoint(None)?
    } else {
        let org = connection.org(args.org.as_deref())?;
        connection.client.checkpoint(Some(&org))?
    };
    if context.ui.format() == OutputFormat::Json && !context.ui.quiet() {
        return Ok(context
            .ui
            .json(&serde_json::json!({ "checkpoint": note }))?);
    }
    Ok(context.ui.line(note.strip_suffix('\n').unwrap_or(&note))?)
}
