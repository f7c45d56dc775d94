//! `supportctl org policy pending`: the change waiting for admins' approvals.

use clap::Args;

use super::pending_change::pending;
use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct PendingArgs {
    #[command(flatten)]
    pub org: OrgArg,
}

pub fn run(context: &mut Context, args: PendingArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = connection.org(args.org.org.as_deref())?;
    let change = pending(&connection.client, &org)?;
    Ok(context.ui.one(&change)?)
}
