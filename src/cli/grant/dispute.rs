//! `supportctl grant dispute`: an org admin does not accept a break-glass grant; it is revoked
//! at once and the dispute is recorded for the vendor to answer.

use clap::Args;

use crate::cli::args::OrgArg;
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::OutputFormat;

#[derive(Debug, Args)]
pub struct DisputeArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Break-glass grant id.
    #[arg(add = candidates::grant_ids())]
    pub id: String,
    /// Why you dispute it (required: the vendor reads it).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

pub fn run(context: &mut Context, args: DisputeArgs) -> CommandResult {
    if args.reason.trim().is_empty() {
        return Err(CommandError::usage("--reason must not be empty"));
    }
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    let grant = connection
        .client
        .dispute_grant(&org, &args.id, &args.reason)?;
    context.ui.success(&format!(
        "Disputed break-glass grant {}: it is revoked and its sessions have ended",
        grant.id
    ));
    if context.ui.quiet() || context.ui.format() != OutputFormat::Table {
        context.ui.one(&grant)?;
    }
    Ok(())
}
