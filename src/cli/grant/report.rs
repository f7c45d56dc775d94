//! `supportctl grant report`: everything the audit log says about one grant, signed.

use clap::Args;

use crate::cli::args::OrgArg;
use crate::cli::candidates;
use crate::cli::client::ReportOf;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;
use crate::cli::evidence;

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Grant id.
    #[arg(add = candidates::grant_ids())]
    pub id: String,
}

pub fn run(context: &mut Context, args: ReportArgs) -> CommandResult {
    evidence::print(context, &args.org, ReportOf::Grant(&args.id))
}
